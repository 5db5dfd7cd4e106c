import datetime

import pytest

from learners.models import Enrollment, Learner
from learners.services import EnrollmentRecord, enrollments_upsert, learner_forget
from outcomes.models import FollowUp
from trainings.services import organisation_create, training_create


@pytest.fixture
def training(db):
    organisation = organisation_create(name="Orga", siret="73282932000074", department_code="59")
    return training_create(
        organisation=organisation, title="Data analyst", duration_months=6, department_code="59"
    )


def records(training, followups=None):
    return [
        EnrollmentRecord(
            organisation_id=training.organisation_id,
            training_id=training.pk,
            learner_ref=f"L{i:03d}",
            entry_date=datetime.date(2017, 1, 9),
            sex="F" if i % 2 else "M",
            situation_at_entry="job_seeker",
            exit_date=datetime.date(2017, 7, 7),
            exit_reason="completed",
            followups=dict(followups or {}),
        )
        for i in range(5)
    ]


def test_upsert_writes_learners_enrollments_and_followups(training):
    result = enrollments_upsert(records=records(training, {"exit": "job_seeking"}), batch_size=2)

    assert (result.learners, result.enrollments, result.followups) == (5, 5, 5)
    assert Learner.objects.count() == 5
    assert Enrollment.objects.filter(training=training).count() == 5
    assert FollowUp.objects.filter(milestone="exit", situation="job_seeking").count() == 5


def test_same_records_twice_change_nothing(training):
    enrollments_upsert(records=records(training, {"exit": "job_seeking"}))
    before = list(Enrollment.objects.order_by("pk").values())

    enrollments_upsert(records=records(training, {"exit": "job_seeking"}))

    assert Learner.objects.count() == 5
    assert list(Enrollment.objects.order_by("pk").values_list("pk", "exit_date")) == [
        (row["id"], row["exit_date"]) for row in before
    ]
    assert FollowUp.objects.count() == 5


def test_later_records_add_and_update_followups(training):
    enrollments_upsert(records=records(training, {"exit": "job_seeking"}))

    enrollments_upsert(records=records(training, {"exit": "job_seeking", "m3": "cdi"}))

    assert FollowUp.objects.count() == 10
    assert FollowUp.objects.filter(milestone="m3", situation="cdi").count() == 5


def test_forgetting_a_learner_deletes_their_rows(training):
    enrollments_upsert(records=records(training, {"exit": "cdi"}))
    learner = Learner.objects.get(learner_ref="L001")

    learner_forget(learner=learner)

    assert not Learner.objects.filter(learner_ref="L001").exists()
    assert Enrollment.objects.count() == 4
    assert FollowUp.objects.count() == 4
