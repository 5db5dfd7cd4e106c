"""Each named constraint of the trainings app refuses the bad row at the database level."""

import datetime
from decimal import Decimal

import pytest

from tests.factories import LabelFactory, OrganisationFactory, SessionFactory, TrainingFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2024, 3, 1)


def test_siret_with_thirteen_digits_is_rejected(rejected_by):
    with rejected_by("trainings_org_siret_14_digits"):
        OrganisationFactory(siret="1234567890123")


def test_siret_with_a_letter_is_rejected(rejected_by):
    with rejected_by("trainings_org_siret_14_digits"):
        OrganisationFactory(siret="1234567890123A")


def test_training_shorter_than_three_months_is_rejected(rejected_by):
    with rejected_by("trainings_training_duration_3_24"):
        TrainingFactory(duration_months=2)


def test_training_longer_than_twenty_four_months_is_rejected(rejected_by):
    with rejected_by("trainings_training_duration_3_24"):
        TrainingFactory(duration_months=25)


def test_training_durations_of_three_and_twenty_four_months_are_accepted():
    assert TrainingFactory(duration_months=3).pk
    assert TrainingFactory(duration_months=24).pk


def test_training_with_a_negative_price_is_rejected(rejected_by):
    with rejected_by("trainings_training_price_not_negative"):
        TrainingFactory(is_free=False, price=Decimal("-1.00"))


def test_free_training_with_a_price_is_rejected(rejected_by):
    with rejected_by("trainings_training_free_has_no_price"):
        TrainingFactory(is_free=True, price=Decimal("1200.00"))


def test_free_training_with_a_zero_price_and_paid_training_with_a_price_are_accepted():
    assert TrainingFactory(is_free=True, price=Decimal("0")).pk
    assert TrainingFactory(is_free=False, price=Decimal("1200.00")).pk


def test_training_with_an_unknown_qpv_status_is_rejected(rejected_by):
    with rejected_by("trainings_training_site_qpv_valid"):
        TrainingFactory(site_qpv="maybe")


def test_label_ending_the_day_it_starts_is_rejected(rejected_by):
    with rejected_by("trainings_label_end_after_start"):
        LabelFactory(start_date=DAY, end_date=DAY)


def test_label_ending_before_it_starts_is_rejected(rejected_by):
    with rejected_by("trainings_label_end_after_start"):
        LabelFactory(start_date=DAY, end_date=DAY - datetime.timedelta(days=1))


def test_label_with_an_unknown_status_is_rejected(rejected_by):
    with rejected_by("trainings_label_status_valid"):
        LabelFactory(status="suspended")


def test_label_withdrawn_without_reason_is_rejected(rejected_by):
    with rejected_by("trainings_label_withdrawal_has_reason"):
        LabelFactory(status="withdrawn", withdrawal_reason="")


def test_label_withdrawn_with_a_reason_is_accepted():
    assert LabelFactory(withdrawn=True).pk


def test_session_ending_before_it_starts_is_rejected(rejected_by):
    with rejected_by("trainings_session_end_after_start"):
        SessionFactory(start_date=DAY, end_date=DAY - datetime.timedelta(days=1))


def test_one_day_session_is_accepted():
    assert SessionFactory(start_date=DAY, end_date=DAY).pk
