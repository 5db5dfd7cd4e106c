from django.urls import path

from . import views

app_name = "learners"

urlpatterns = [
    path("apprenants/", views.enrollment_list, name="enrollment_list"),
    path("apprenants/suivis-a-faire/", views.followups_due_list, name="followups_due"),
    path("apprenants/inscriptions/<int:pk>/", views.enrollment_detail, name="enrollment_detail"),
    path("apprenants/<int:pk>/oublier/", views.learner_forget_confirm, name="learner_forget"),
    path("apprenants/import/", views.upload, name="upload"),
    path("apprenants/import/confirmer/", views.upload_confirm, name="upload_confirm"),
    path(
        "apprenants/import/rapport/<str:token>/",
        views.upload_report_csv,
        name="upload_report_csv",
    ),
]
