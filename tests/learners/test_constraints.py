"""Each named constraint of the learners app refuses the bad row at the database level."""

import datetime

import pytest

from tests.factories import EnrollmentFactory, LearnerFactory

pytestmark = pytest.mark.django_db

ENTRY = datetime.date(2024, 9, 2)


def test_same_learner_ref_twice_in_one_organisation_is_rejected(rejected_by):
    learner = LearnerFactory(learner_ref="APP-2024-001")

    with rejected_by("learners_learner_unique_ref"):
        LearnerFactory(organisation=learner.organisation, learner_ref="APP-2024-001")


def test_same_learner_ref_in_two_organisations_is_accepted():
    LearnerFactory(learner_ref="APP-2024-001")

    assert LearnerFactory(learner_ref="APP-2024-001").pk


def test_learner_with_an_unknown_sex_code_is_rejected(rejected_by):
    with rejected_by("learners_learner_sex_valid"):
        LearnerFactory(sex="Z")


def test_learner_with_sex_not_recorded_is_accepted():
    assert LearnerFactory(sex="").pk


def test_learner_born_before_1900_is_rejected(rejected_by):
    with rejected_by("learners_learner_birth_year_range"):
        LearnerFactory(birth_year=1850)


def test_learner_born_after_2100_is_rejected(rejected_by):
    with rejected_by("learners_learner_birth_year_range"):
        LearnerFactory(birth_year=2101)


def test_same_enrollment_twice_is_rejected(rejected_by):
    enrollment = EnrollmentFactory(entry_date=ENTRY)

    with rejected_by("learners_enrollment_unique"):
        EnrollmentFactory(
            learner=enrollment.learner, training=enrollment.training, entry_date=ENTRY
        )


def test_exit_before_entry_is_rejected(rejected_by):
    with rejected_by("learners_enrollment_exit_after_entry"):
        EnrollmentFactory(
            entry_date=ENTRY, exit_date=ENTRY - datetime.timedelta(days=1), exit_reason="dropout"
        )


def test_exit_on_the_day_of_entry_is_accepted():
    assert EnrollmentFactory(entry_date=ENTRY, exit_date=ENTRY, exit_reason="dropout").pk


def test_exit_date_without_reason_is_rejected(rejected_by):
    with rejected_by("learners_enrollment_exit_reason_with_date"):
        EnrollmentFactory(exit_date=ENTRY + datetime.timedelta(days=90), exit_reason="")


def test_exit_reason_without_date_is_rejected(rejected_by):
    with rejected_by("learners_enrollment_exit_reason_with_date"):
        EnrollmentFactory(exit_date=None, exit_reason="completed")


def test_enrollment_with_an_unknown_situation_at_entry_is_rejected(rejected_by):
    with rejected_by("learners_enrollment_situation_valid"):
        EnrollmentFactory(situation_at_entry="retired")
