"""Login by email, POST-only logout, password reset by email, and the personal space."""

import re

import pytest
from django.urls import reverse

from accounts.models import Membership, OutboxEmail
from trainings.models import Organisation

PASSWORD = "Un-mot-de-passe-solide-2026"


@pytest.fixture
def member(django_user_model):
    return django_user_model.objects.create_user(
        email="formation@organisme.example", password=PASSWORD, full_name="Alex Martin"
    )


def make_organisation(name: str, siret: str) -> Organisation:
    return Organisation.objects.create(
        name=name, siret=siret, department_code="75", region_code="11"
    )


@pytest.mark.django_db
def test_login_with_email_opens_a_session(client, member):
    response = client.post(
        reverse("accounts:login"),
        {"username": "Formation@Organisme.example", "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert int(client.session["_auth_user_id"]) == member.pk


@pytest.mark.django_db
def test_login_follows_a_safe_next_parameter(client, member):
    target = reverse("accounts:my_space")
    response = client.post(
        f"{reverse('accounts:login')}?next={target}",
        {"username": member.email, "password": PASSWORD},
    )

    assert response["Location"] == target


@pytest.mark.django_db
def test_wrong_password_shows_one_message_in_a_dsfr_alert(client, member):
    response = client.post(
        reverse("accounts:login"), {"username": member.email, "password": "pas-le-bon"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Adresse électronique ou mot de passe incorrect" in html
    assert "fr-alert--error" in html
    assert "<title>Erreur : Connexion" in html
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_unknown_email_gets_the_same_message_as_a_wrong_password(client):
    response = client.post(
        reverse("accounts:login"), {"username": "inconnu@example.org", "password": "x"}
    )

    assert "Adresse électronique ou mot de passe incorrect" in response.content.decode()


@pytest.mark.django_db
def test_logout_refuses_get(client, member):
    client.force_login(member)

    response = client.get(reverse("accounts:logout"))

    assert response.status_code == 405
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_logout_by_post_ends_the_session_and_says_so(client, member):
    client.force_login(member)

    response = client.post(reverse("accounts:logout"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    assert "_auth_user_id" not in client.session
    html = response.content.decode()
    assert "Vous êtes déconnecté(e)." in html
    assert "fr-alert--success" in html


def request_reset(client, email, capture):
    with capture(execute=True):
        return client.post(reverse("accounts:password_reset"), {"email": email})


@pytest.mark.django_db
def test_password_reset_sends_a_link_that_sets_a_new_password(
    client, member, mailoutbox, django_capture_on_commit_callbacks
):
    response = request_reset(client, member.email, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert OutboxEmail.objects.get().status == OutboxEmail.Status.SENT
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [member.email]
    assert "Réinitialisation de votre mot de passe" in message.subject
    link = re.search(r"https?://\S+(/compte/mot-de-passe/nouveau/\S+/\S+/)", message.body)
    assert link, message.body

    # Django swaps the token in the URL for a session key before showing the form.
    response = client.get(link.group(1), follow=True)
    assert response.status_code == 200
    set_password_url = response.redirect_chain[-1][0]
    assert "fr-password" in response.content.decode()

    new_password = "Encore-un-autre-secret-42"
    response = client.post(
        set_password_url, {"new_password1": new_password, "new_password2": new_password}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")
    member.refresh_from_db()
    assert member.check_password(new_password)


@pytest.mark.django_db
def test_password_reset_link_works_only_once(
    client, member, mailoutbox, django_capture_on_commit_callbacks
):
    request_reset(client, member.email, django_capture_on_commit_callbacks)
    path = re.search(r"(/compte/mot-de-passe/nouveau/\S+/\S+/)", mailoutbox[0].body).group(1)
    set_password_url = client.get(path, follow=True).redirect_chain[-1][0]
    new_password = "Encore-un-autre-secret-42"
    client.post(set_password_url, {"new_password1": new_password, "new_password2": new_password})

    response = client.get(path, follow=True)

    assert "Ce lien n’est plus valable" in response.content.decode()


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, mailoutbox):
    response = client.post(
        reverse("accounts:password_reset"), {"email": "inconnu@example.org"}, follow=True
    )

    assert mailoutbox == []
    assert response.redirect_chain[-1][0] == reverse("accounts:password_reset_done")


@pytest.mark.django_db
def test_my_space_sends_anonymous_visitors_to_login(client):
    url = reverse("accounts:my_space")

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


@pytest.mark.django_db
def test_my_space_lists_only_the_users_own_organisations(client, member, django_user_model):
    mine = make_organisation("Code pour tous", "73282932000074")
    other = make_organisation("Numérique solidaire", "73282932000041")
    Membership.objects.create(user=member, organisation=mine)
    someone_else = django_user_model.objects.create_user(email="autre@example.org", password="x")
    Membership.objects.create(user=someone_else, organisation=other)
    client.force_login(member)

    response = client.get(reverse("accounts:my_space"))

    assert response.status_code == 200
    assert [m.organisation for m in response.context["memberships"]] == [mine]
    html = response.content.decode()
    assert "Code pour tous" in html
    assert "Numérique solidaire" not in html
    assert "<h1>Mon espace</h1>" in html


@pytest.mark.django_db
def test_my_space_without_organisation_explains_how_to_be_attached(client, member):
    client.force_login(member)

    html = client.get(reverse("accounts:my_space")).content.decode()

    assert "n’est rattaché à aucune organisation" in html
