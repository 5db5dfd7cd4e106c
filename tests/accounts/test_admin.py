import pytest
from django.urls import reverse

from accounts.models import Invitation, Membership, OutboxEmail, User
from tests.admin_checks import (
    assert_cannot_be_deleted,
    assert_changelist_lists_a_row,
    assert_changelist_queries_do_not_grow,
    assert_every_model_registered,
    assert_no_delete_action,
    assert_sent_to_the_admin_login,
    name_of,
    url,
)
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    OrganisationFactory,
    OutboxEmailFactory,
    UserFactory,
    siret_for,
)

pytestmark = pytest.mark.django_db

WRITABLE = {User: UserFactory, Membership: MembershipFactory}
READ_ONLY = {OutboxEmail: OutboxEmailFactory}
ALL = {**WRITABLE, **READ_ONLY, Invitation: InvitationFactory}


def test_every_accounts_model_has_an_admin_screen():
    assert_every_model_registered("accounts")


def test_admin_pages_carry_the_portal_title(superuser_client):
    response = superuser_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "Portail GEN – administration" in response.content.decode()


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_changelist_answers_200(superuser_client, model):
    assert_changelist_lists_a_row(superuser_client, model, ALL[model])


@pytest.mark.parametrize("model", WRITABLE, ids=name_of)
def test_add_page_answers_200(superuser_client, model):
    response = superuser_client.get(url(model, "add"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_change_page_answers_200(superuser_client, model):
    row = ALL[model]()

    response = superuser_client.get(url(model, "change", row.pk))

    assert response.status_code == 200


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_changelist_queries_do_not_grow_with_rows(superuser_client, model):
    assert_changelist_queries_do_not_grow(superuser_client, model, ALL[model])


SEARCHES = {
    User: (lambda: UserFactory(email="camille.martin@exemple.fr"), "camille.martin"),
    Membership: (
        lambda: MembershipFactory(organisation=OrganisationFactory(siret=siret_for(987654))),
        siret_for(987654),
    ),
    OutboxEmail: (lambda: OutboxEmailFactory(subject="Correction demandée"), "Correction"),
    Invitation: (lambda: InvitationFactory(email="nouvelle.recrue@exemple.fr"), "recrue"),
}


@pytest.mark.parametrize("model", SEARCHES, ids=name_of)
def test_search_finds_the_matching_row_only(superuser_client, model):
    make, term = SEARCHES[model]
    target = make()
    other = ALL[model]()

    response = superuser_client.get(url(model, "changelist"), {"q": term})

    assert response.status_code == 200
    results = set(response.context["cl"].result_list)
    assert target in results
    assert other not in results


def test_user_search_also_matches_the_full_name(superuser_client):
    target = UserFactory(full_name="Dominique Lefèvre")
    UserFactory(full_name="Camille Martin")

    response = superuser_client.get(url(User, "changelist"), {"q": "Lefèvre"})

    assert list(response.context["cl"].result_list) == [target]


# --- the email-based user forms -------------------------------------------------------------


def test_admin_creates_a_user_with_a_lowercased_email(superuser_client):
    response = superuser_client.post(
        url(User, "add"),
        {
            "email": "Nouvelle.Personne@Exemple.FR",
            "full_name": "Nouvelle Personne",
            "usable_password": "true",
            "password1": "un-mot-de-passe-tres-solide-7",
            "password2": "un-mot-de-passe-tres-solide-7",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="nouvelle.personne@exemple.fr")
    assert user.check_password("un-mot-de-passe-tres-solide-7")
    assert user.full_name == "Nouvelle Personne"


def test_admin_refuses_an_email_that_differs_only_by_case(superuser_client):
    UserFactory(email="deja.inscrit@exemple.fr")

    response = superuser_client.post(
        url(User, "add"),
        {
            "email": "Deja.Inscrit@Exemple.fr",
            "usable_password": "true",
            "password1": "un-mot-de-passe-tres-solide-7",
            "password2": "un-mot-de-passe-tres-solide-7",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.filter(email__iexact="deja.inscrit@exemple.fr").count() == 1


def test_admin_changes_a_users_roles_and_membership(superuser_client):
    user = UserFactory(email="role@exemple.fr")
    organisation = OrganisationFactory()

    response = superuser_client.post(
        url(User, "change", user.pk),
        {
            "email": "Role@Exemple.fr",
            "full_name": "Rôle Modifié",
            "is_active": "on",
            "is_committee_member": "on",
            "date_joined_0": "01/01/2024",
            "date_joined_1": "10:00:00",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-organisation": str(organisation.pk),
            "memberships-0-role": "admin",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.email == "role@exemple.fr"
    assert user.is_committee_member and not user.is_staff
    assert user.check_password("motdepasse-solide-123")  # untouched by the change form
    assert user.memberships.get().role == Membership.Role.ADMIN


# --- read-only audit rows -------------------------------------------------------------------


@pytest.mark.parametrize("model", READ_ONLY, ids=name_of)
def test_audit_rows_cannot_be_added(superuser_client, model):
    assert superuser_client.get(url(model, "add")).status_code == 403


@pytest.mark.parametrize("model", READ_ONLY, ids=name_of)
def test_audit_rows_offer_no_delete_action(superuser_client, model):
    assert_no_delete_action(superuser_client, model, READ_ONLY[model])


def test_writable_rows_do_offer_the_delete_action(superuser_client):
    MembershipFactory()

    response = superuser_client.get(url(Membership, "changelist"))

    assert "delete_selected" in response.content.decode()


@pytest.mark.parametrize("model", READ_ONLY, ids=name_of)
def test_audit_rows_cannot_be_deleted(superuser_client, model):
    assert_cannot_be_deleted(superuser_client, model, READ_ONLY[model])


def test_outbox_email_cannot_be_changed(superuser_client):
    email = OutboxEmailFactory(subject="Objet d'origine")

    page = superuser_client.get(url(OutboxEmail, "change", email.pk))
    response = superuser_client.post(
        url(OutboxEmail, "change", email.pk),
        {"to": "autre@exemple.fr", "subject": "Objet modifié", "body": "x", "status": "sent"},
    )

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert response.status_code == 403
    email.refresh_from_db()
    assert email.subject == "Objet d'origine"


# --- invitations: looked at or revoked, never written by hand -------------------------------


def test_invitations_cannot_be_created_or_changed_in_the_admin(superuser_client):
    invitation = InvitationFactory(email="invitee@exemple.fr")

    add = superuser_client.get(url(Invitation, "add"))
    change = superuser_client.post(
        url(Invitation, "change", invitation.pk), {"email": "autre@exemple.fr"}
    )

    assert add.status_code == 403
    assert change.status_code == 403
    invitation.refresh_from_db()
    assert invitation.email == "invitee@exemple.fr"


def test_invitation_page_does_not_show_the_token_hash(superuser_client):
    invitation = InvitationFactory()

    page = superuser_client.get(url(Invitation, "change", invitation.pk))

    assert page.status_code == 200
    assert invitation.token_hash not in page.content.decode()


def test_staff_can_revoke_an_invitation_by_deleting_it(superuser_client):
    invitation = InvitationFactory()

    response = superuser_client.post(url(Invitation, "delete", invitation.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Invitation.objects.filter(pk=invitation.pk).exists()


# --- who may enter --------------------------------------------------------------------------


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_non_staff_user_is_sent_to_the_admin_login(applicant_client, model):
    assert_sent_to_the_admin_login(applicant_client, model)


def test_anonymous_visitor_is_sent_to_the_admin_login(client):
    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_permissions_cannot_open_user_admin(staff_client):
    assert staff_client.get(url(User, "changelist")).status_code == 403
