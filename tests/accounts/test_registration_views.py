"""The applicant journey in pages: register, confirm, create the organisation, invite."""

import re

import pytest
from django.urls import reverse

from accounts.models import Membership, OutboxEmail, User
from accounts.services import user_create
from trainings.models import Organisation
from trainings.services import organisation_create

PASSWORD = "motdepasse-solide-123"


def link_in(email: OutboxEmail) -> str:
    return re.search(r"https?://\S+", email.body).group(0).split("://", 1)[1].split("/", 1)[1]


@pytest.mark.django_db
def test_register_confirm_then_create_organisation(client, settings):
    settings.SITE_URL = "http://testserver"

    response = client.post(
        reverse("accounts:register"),
        {
            "full_name": "Awa Diallo",
            "email": "awa@orga.example",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "Vérifiez votre messagerie" in response.content.decode()
    assert not User.objects.get(email="awa@orga.example").is_active

    confirm = client.get("/" + link_in(OutboxEmail.objects.get(to="awa@orga.example")))
    assert confirm.url == reverse("accounts:organisation_create")

    created = client.post(
        reverse("accounts:organisation_create"),
        {
            "siret": "732 829 320 00074",
            "name": "Code pour tous",
            "address": "1 rue Haute",
            "postcode": "93200",
            "city": "Saint-Denis",
            "department_code": "93",
        },
    )
    assert created.url == reverse("accounts:my_space")
    organisation = Organisation.objects.get(siret="73282932000074")
    assert organisation.region_code == "11"
    assert Membership.objects.filter(
        user__email="awa@orga.example", organisation=organisation
    ).exists()


@pytest.mark.django_db
def test_registration_errors_are_shown_in_french(client):
    response = client.post(
        reverse("accounts:register"),
        {"full_name": "A", "email": "pas-une-adresse", "password1": "court", "password2": "autre"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Les deux mots de passe ne sont pas identiques." in page
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_registered_siret_is_refused_with_how_to_join(client):
    organisation_create(name="Déjà là", siret="73282932000074", department_code="75")
    user = user_create(email="b@orga.example", password=PASSWORD)
    client.force_login(user)

    response = client.post(
        reverse("accounts:organisation_create"),
        {
            "siret": "73282932000074",
            "name": "Doublon",
            "address": "1 rue",
            "postcode": "75001",
            "city": "Paris",
            "department_code": "75",
        },
    )

    assert "inviter" in response.content.decode()
    assert Organisation.objects.count() == 1


@pytest.mark.django_db
def test_invalid_siret_checksum_is_explained(client):
    client.force_login(user_create(email="b@orga.example", password=PASSWORD))

    response = client.post(
        reverse("accounts:organisation_create"),
        {
            "siret": "73282932000075",
            "name": "X",
            "address": "1 rue",
            "postcode": "75001",
            "city": "Paris",
            "department_code": "75",
        },
    )

    assert "clé de contrôle" in response.content.decode()


@pytest.mark.django_db
def test_invite_and_accept_through_the_pages(client, settings):
    settings.SITE_URL = "http://testserver"
    admin = user_create(email="admin@orga.example", password=PASSWORD)
    organisation = organisation_create(
        name="Orga", siret="73282932000074", department_code="75", creator=admin
    )
    client.force_login(admin)
    client.post(
        reverse("accounts:organisation_invite", args=[organisation.pk]),
        {"email": "collegue@orga.example"},
    )
    path = "/" + link_in(OutboxEmail.objects.get(to="collegue@orga.example"))
    client.logout()

    anonymous = client.get(path)
    assert "Se connecter" in anonymous.content.decode()

    colleague = user_create(email="collegue@orga.example", password=PASSWORD)
    client.force_login(colleague)
    client.post(path)
    assert Membership.objects.filter(user=colleague, organisation=organisation).exists()


@pytest.mark.django_db
def test_inviting_for_another_organisation_is_404(client):
    other = organisation_create(name="Autre", siret="73282932000074", department_code="75")
    client.force_login(user_create(email="x@orga.example", password=PASSWORD))

    assert client.get(reverse("accounts:organisation_invite", args=[other.pk])).status_code == 404
    assert (
        client.post(
            reverse("accounts:organisation_invite", args=[other.pk]), {"email": "y@z.example"}
        ).status_code
        == 404
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["organisation_create", "organisation_invite"])
def test_anonymous_is_sent_to_login(client, name):
    url = reverse(f"accounts:{name}", args=[1] if name == "organisation_invite" else [])

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_bad_confirmation_link_says_so(client):
    response = client.get(reverse("accounts:verify", args=["pas-un-jeton"]))

    assert response.status_code == 400
    assert "pas valide" in response.content.decode()
