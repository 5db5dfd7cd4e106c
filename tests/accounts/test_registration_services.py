import pytest
from django.core import signing

from accounts.models import Invitation, Membership, OutboxEmail, User
from accounts.services import (
    applicant_register,
    email_verification_token,
    email_verify,
    invitation_accept,
    invitation_send,
    user_create,
)
from gen_portal.errors import DomainError
from trainings.services import organisation_create


def link(token: str) -> str:
    return f"https://portail.example/lien/{token}/"


@pytest.mark.django_db
def test_registration_creates_an_inactive_account_and_sends_the_link():
    user = applicant_register(
        email="Nouvelle@Orga.example",
        password="motdepasse-solide-123",
        full_name="Awa Diallo",
        verify_url=link,
    )

    assert user.email == "nouvelle@orga.example"
    assert not user.is_active
    mail = OutboxEmail.objects.get(to="nouvelle@orga.example")
    assert "https://portail.example/lien/" in mail.body


@pytest.mark.django_db
def test_registration_with_a_known_address_creates_nothing_and_says_so_by_email():
    user_create(email="deja@orga.example", password=None)

    assert (
        applicant_register(
            email="deja@orga.example", password="x" * 12, full_name="", verify_url=link
        )
        is None
    )
    assert User.objects.count() == 1
    assert "déjà" in OutboxEmail.objects.get(to="deja@orga.example").body


@pytest.mark.django_db
def test_verification_activates_once_and_rejects_tampering():
    user = applicant_register(
        email="a@orga.example", password="x" * 12, full_name="", verify_url=link
    )
    token = email_verification_token(user)

    verified = email_verify(token=token)
    again = email_verify(token=token)

    assert verified.is_active and verified.email_verified_at is not None
    assert again.email_verified_at == verified.email_verified_at
    with pytest.raises(DomainError):
        email_verify(token=token[:-2] + "xx")


@pytest.mark.django_db
def test_expired_verification_link_is_refused(settings, monkeypatch):
    user = applicant_register(
        email="a@orga.example", password="x" * 12, full_name="", verify_url=link
    )
    token = email_verification_token(user)
    monkeypatch.setattr("accounts.services.VERIFY_MAX_AGE", -1)

    with pytest.raises(DomainError) as refusal:
        email_verify(token=token)

    assert refusal.value.code == "expired"
    assert isinstance(signing.loads(token, salt="accounts.email-verification"), dict)


@pytest.fixture
def organisation_and_admin(db):
    admin = user_create(email="admin@orga.example", password=None)
    organisation = organisation_create(
        name="Orga", siret="73282932000074", department_code="33", creator=admin
    )
    return organisation, admin


def test_invitation_is_accepted_by_the_invited_address_only(organisation_and_admin):
    organisation, admin = organisation_and_admin
    tokens = []
    invitation_send(
        organisation=organisation,
        email="Collegue@Orga.example",
        invited_by=admin,
        accept_url=lambda t: tokens.append(t) or link(t),
    )
    colleague = user_create(email="collegue@orga.example", password=None)
    stranger = user_create(email="autre@ailleurs.example", password=None)

    with pytest.raises(DomainError) as refusal:
        invitation_accept(token=tokens[0], user=stranger)
    assert refusal.value.code == "other_email"

    invitation_accept(token=tokens[0], user=colleague)
    assert Membership.objects.filter(user=colleague, organisation=organisation).exists()
    with pytest.raises(DomainError):
        invitation_accept(token=tokens[0], user=colleague)  # used once
    assert len(Invitation.objects.get().token_hash) == 64  # only the hash is stored


def test_only_members_invite(organisation_and_admin):
    organisation, _admin = organisation_and_admin
    outsider = user_create(email="x@ailleurs.example", password=None)

    with pytest.raises(DomainError):
        invitation_send(
            organisation=organisation, email="y@orga.example", invited_by=outsider, accept_url=link
        )
