from django.urls import path

from .views import catalogue, sessions, staff

app_name = "trainings"

urlpatterns = [
    # Public catalogue of labelled trainings.
    path("formations/", catalogue.catalogue, name="catalogue"),
    path("formations/<str:code>/", catalogue.training_detail, name="training_detail"),
    path("organismes/<int:pk>/", catalogue.organisation_detail, name="organisation_detail"),
    # Organisation space: the sessions of its trainings.
    path("sessions/", sessions.session_list, name="session_list"),
    path("sessions/nouvelle/", sessions.session_create_view, name="session_create"),
    path("sessions/<int:pk>/modifier/", sessions.session_edit, name="session_edit"),
    path("sessions/<int:pk>/supprimer/", sessions.session_delete_view, name="session_delete"),
    # Staff: labels of a training and their withdrawal.
    path(
        "equipe/formations/<int:pk>/labels/",
        staff.staff_training_labels,
        name="staff_training_labels",
    ),
    path(
        "equipe/labels/<int:pk>/retirer/", staff.staff_label_withdraw, name="staff_label_withdraw"
    ),
]
