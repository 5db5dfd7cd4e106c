import datetime

import pytest

from accounts.services import user_create
from gen_portal.errors import DomainError
from trainings.models import Label, Training
from trainings.services import (
    label_grant,
    label_withdraw,
    labels_expire,
    organisation_create,
    training_create,
)


@pytest.fixture
def training(db):
    organisation = organisation_create(name="Orga", siret="73282932000074", department_code="974")
    return training_create(
        organisation=organisation,
        title="Technicien réseaux",
        duration_months=12,
        department_code="974",
    )


def test_training_gets_a_gen_code_and_the_region_of_its_department(training):
    assert training.code == f"GEN-{training.pk:05d}"
    assert training.region_code == "04"


def test_label_lasts_three_years_by_default(training):
    label = label_grant(training=training, start_date=datetime.date(2016, 1, 31))

    assert label.end_date == datetime.date(2019, 1, 31)


def test_expiry_is_safe_to_run_twice(training):
    label_grant(training=training, start_date=datetime.date(2016, 1, 1))
    label_grant(training=training, start_date=datetime.date(2019, 1, 2))

    assert labels_expire(today=datetime.date(2019, 1, 2)) == 1
    assert labels_expire(today=datetime.date(2019, 1, 2)) == 0
    assert list(Label.objects.order_by("start_date").values_list("status", flat=True)) == [
        "expired",
        "active",
    ]


def test_labelled_on_uses_labels_covering_the_day(training):
    label_grant(training=training, start_date=datetime.date(2016, 1, 1))

    assert list(Training.objects.labelled_on(datetime.date(2017, 6, 1))) == [training]
    assert not Training.objects.labelled_on(datetime.date(2015, 12, 31)).exists()
    assert not Training.objects.labelled_on(datetime.date(2019, 1, 2)).exists()


def test_withdrawal_needs_a_reason(training):
    label = label_grant(training=training, start_date=datetime.date(2016, 1, 1))
    staff = user_create(email="s@gen.example", password=None, is_staff=True)

    with pytest.raises(DomainError):
        label_withdraw(label=label, reason="", actor=staff)


def test_duplicate_siret_says_how_to_join(db):
    organisation_create(name="Orga", siret="73282932000074", department_code="75")

    with pytest.raises(DomainError) as refusal:
        organisation_create(name="Orga bis", siret="732 829 320 00074", department_code="75")

    assert refusal.value.code == "siret_taken"
    assert "inviter" in refusal.value.message


def test_invalid_siret_is_refused(db):
    with pytest.raises(DomainError):
        organisation_create(name="Orga", siret="73282932000075", department_code="75")


def test_an_expired_label_still_counts_on_the_days_it_covered(training):
    label_grant(training=training, start_date=datetime.date(2016, 1, 1))
    labels_expire(today=datetime.date(2020, 1, 1))

    assert Training.objects.labelled_on(datetime.date(2017, 6, 1)).exists()
    assert not Training.objects.labelled_on(datetime.date(2020, 1, 1)).exists()


def test_a_withdrawn_label_counts_until_the_day_before_its_withdrawal(training):
    from django.utils import timezone

    label = label_grant(
        training=training, start_date=datetime.date(2016, 1, 1), duration_months=240
    )
    staff = user_create(email="s@gen.example", password=None, is_staff=True)
    label_withdraw(label=label, reason="Manquements", actor=staff)
    today = timezone.localdate()

    assert Training.objects.labelled_on(today - datetime.timedelta(days=1)).exists()
    assert not Training.objects.labelled_on(today).exists()
