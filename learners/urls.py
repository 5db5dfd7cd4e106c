from django.urls import path

from . import views, views_imports

app_name = "learners"

urlpatterns = [
    path("apprenants/", views.enrollment_list, name="enrollment_list"),
    path("apprenants/declarer/", views.enrollment_declare_view, name="enrollment_declare"),
    path("apprenants/suivis-a-faire/", views.followups_due_list, name="followups_due"),
    path("apprenants/inscriptions/<int:pk>/", views.enrollment_detail, name="enrollment_detail"),
    path("apprenants/<int:pk>/oublier/", views.learner_forget_confirm, name="learner_forget"),
    # CSV imports: two upload pages, then one job page whatever the file.
    path("apprenants/import/", views_imports.upload, name="upload"),
    path("equipe/formations/import/", views_imports.trainings_upload, name="trainings_upload"),
    path("imports/<int:pk>/", views_imports.import_job, name="import_job"),
    path("imports/<int:pk>/etat/", views_imports.import_job_status_json, name="import_job_status"),
    path(
        "imports/<int:pk>/rapport.csv",
        views_imports.import_job_report_csv,
        name="import_job_report_csv",
    ),
    path(
        "imports/<int:pk>/confirmer/",
        views_imports.import_job_confirm_view,
        name="import_job_confirm",
    ),
    path(
        "imports/<int:pk>/annuler/", views_imports.import_job_cancel_view, name="import_job_cancel"
    ),
]
