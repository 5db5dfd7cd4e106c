"""Each named constraint of the accounts app refuses the bad row at the database level."""

import pytest

from tests.factories import MembershipFactory, OutboxEmailFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_user_email_with_capitals_is_rejected(rejected_by):
    with rejected_by("accounts_user_email_lowercase"):
        UserFactory(email="Camille.Martin@Exemple.fr")


def test_user_with_a_lowercase_email_is_accepted():
    assert UserFactory(email="camille.martin@exemple.fr").pk


def test_second_membership_of_the_same_organisation_is_rejected(rejected_by):
    membership = MembershipFactory()

    with rejected_by("accounts_membership_unique_user_org"):
        MembershipFactory(user=membership.user, organisation=membership.organisation)


def test_membership_with_an_unknown_role_is_rejected(rejected_by):
    with rejected_by("accounts_membership_role_valid"):
        MembershipFactory(role="owner")


def test_outbox_email_with_an_unknown_status_is_rejected(rejected_by):
    with rejected_by("accounts_outbox_status_valid"):
        OutboxEmailFactory(status="bounced")


def test_outbox_email_marked_sent_without_a_date_is_rejected(rejected_by):
    with rejected_by("accounts_outbox_sent_has_date"):
        OutboxEmailFactory(status="sent", sent_at=None)
