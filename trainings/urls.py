from django.urls import path

from . import views

app_name = "trainings"

urlpatterns = [
    # Staff: labels of a training and their withdrawal.
    path(
        "equipe/formations/<int:pk>/labels/",
        views.staff_training_labels,
        name="staff_training_labels",
    ),
    path(
        "equipe/labels/<int:pk>/retirer/", views.staff_label_withdraw, name="staff_label_withdraw"
    ),
]
