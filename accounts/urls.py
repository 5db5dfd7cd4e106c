from django.urls import path

from . import views, views_registration

app_name = "accounts"

urlpatterns = [
    path("connexion/", views.PortalLoginView.as_view(), name="login"),
    path("deconnexion/", views.PortalLogoutView.as_view(), name="logout"),
    path("mot-de-passe/oubli/", views.PortalPasswordResetView.as_view(), name="password_reset"),
    path(
        "mot-de-passe/oubli/envoye/",
        views.PortalPasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        views.PortalPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/nouveau/termine/",
        views.PortalPasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("mon-espace/", views.my_space, name="my_space"),
    path("inscription/", views_registration.register, name="register"),
    path("inscription/confirmer/<str:token>/", views_registration.verify, name="verify"),
    path(
        "organisation/nouvelle/",
        views_registration.organisation_create_view,
        name="organisation_create",
    ),
    path(
        "organisation/<int:pk>/inviter/",
        views_registration.organisation_invite,
        name="organisation_invite",
    ),
    path(
        "invitation/<str:token>/",
        views_registration.invitation_accept_view,
        name="invitation_accept",
    ),
]
