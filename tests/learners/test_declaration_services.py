"""`enrollment_declare` and `enrollment_exit_declare`: the import's write path and rules for
one record, plus what a declaration refuses where an import would silently update."""

import datetime

import pytest

from gen_portal.dates import add_months
from gen_portal.errors import DomainError
from learners.models import Enrollment, Learner
from learners.services import (
    EnrollmentRecord,
    enrollment_declare,
    enrollment_exit_declare,
    enrollments_upsert,
)
from outcomes.models import FollowUp
from tests.factories import (
    EnrollmentFactory,
    FollowUpFactory,
    LearnerFactory,
    SessionFactory,
    TrainingFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 6, 30)
ENTRY = datetime.date(2025, 1, 6)


@pytest.fixture
def training(org_a):
    return TrainingFactory(organisation=org_a)


def _record(training, **changes) -> EnrollmentRecord:
    fields = {
        "organisation_id": training.organisation_id,
        "training_id": training.pk,
        "learner_ref": "A-2025-001",
        "entry_date": ENTRY,
        "sex": "F",
        "birth_year": 1998,
        "situation_at_entry": "job_seeker",
        "qpv_resident": True,
        "qpv_code": "QP059001",
        "diploma_level": "bac",
        "free_access": True,
    }
    return EnrollmentRecord(**(fields | changes))


def test_declare_writes_the_learner_and_the_enrollment_with_its_session(training, applicant):
    session = SessionFactory(training=training)

    enrollment = enrollment_declare(
        record=_record(training, session_id=session.pk), actor=applicant, today=TODAY
    )

    learner = Learner.objects.get()
    assert (learner.organisation_id, learner.learner_ref) == (
        training.organisation_id,
        "A-2025-001",
    )
    assert (learner.sex, learner.birth_year) == ("F", 1998)
    stored = Enrollment.objects.get()
    assert stored.pk == enrollment.pk
    assert (stored.training, stored.session, stored.entry_date) == (training, session, ENTRY)
    assert (stored.situation_at_entry, stored.qpv_resident, stored.qpv_code) == (
        "job_seeker",
        True,
        "QP059001",
    )
    assert (stored.diploma_level, stored.free_access, stored.exit_date) == ("bac", True, None)


def test_declaring_the_same_enrollment_again_is_refused(training, applicant):
    enrollment_declare(record=_record(training), actor=applicant, today=TODAY)

    with pytest.raises(DomainError) as refusal:
        enrollment_declare(record=_record(training, sex=""), actor=applicant, today=TODAY)

    assert refusal.value.code == "duplicate_enrollment"
    assert Enrollment.objects.count() == 1


def test_a_known_learner_in_another_training_keeps_their_facts(training, applicant, org_a):
    LearnerFactory(organisation=org_a, learner_ref="A-2025-001", sex="F", birth_year=1998)
    other = TrainingFactory(organisation=org_a)

    enrollment_declare(record=_record(other, sex="", birth_year=None), actor=applicant, today=TODAY)

    learner = Learner.objects.get()
    assert (learner.sex, learner.birth_year) == ("F", 1998)
    assert learner.enrollments.get().training == other


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"sex": "M"}, "sex_conflict"),
        ({"birth_year": 1990}, "birth_year_conflict"),
    ],
)
def test_a_known_learner_with_other_facts_is_refused(training, applicant, org_a, changes, code):
    LearnerFactory(organisation=org_a, learner_ref="A-2025-001", sex="F", birth_year=1998)

    with pytest.raises(DomainError) as refusal:
        enrollment_declare(record=_record(training, **changes), actor=applicant, today=TODAY)

    assert refusal.value.code == code
    assert not Enrollment.objects.exists()
    assert Learner.objects.get().sex == "F"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"learner_ref": "camille@example.org"}, "learner_ref_contact"),
        ({"birth_year": 1899}, "birth_year"),
        ({"situation_at_entry": "student"}, "situation_at_entry"),
        ({"sex": "Q"}, "sex"),
        ({"entry_date": TODAY + datetime.timedelta(days=1)}, "entry_date_future"),
    ],
)
def test_declare_applies_the_rules_of_the_import(training, applicant, changes, code):
    with pytest.raises(DomainError) as refusal:
        enrollment_declare(record=_record(training, **changes), actor=applicant, today=TODAY)

    assert refusal.value.code == code
    assert not Learner.objects.exists()


def test_a_session_of_another_training_is_refused(training, applicant, org_a):
    session = SessionFactory(training=TrainingFactory(organisation=org_a))

    with pytest.raises(DomainError) as refusal:
        enrollment_declare(
            record=_record(training, session_id=session.pk), actor=applicant, today=TODAY
        )

    assert refusal.value.code == "session_other_training"


def test_a_training_of_another_organisation_is_refused(training, applicant, org_b):
    foreign = TrainingFactory(organisation=org_b)

    with pytest.raises(DomainError) as refusal:
        enrollment_declare(
            record=_record(foreign, organisation_id=training.organisation_id),
            actor=applicant,
            today=TODAY,
        )

    assert refusal.value.code == "training_forbidden"


def test_a_later_import_never_erases_the_declared_session(training, applicant):
    session = SessionFactory(training=training)
    enrollment_declare(
        record=_record(training, session_id=session.pk), actor=applicant, today=TODAY
    )

    # learners.csv has no session column: its records come without one.
    enrollments_upsert(records=[_record(training, diploma_level="bac+2")])

    enrollment = Enrollment.objects.get()
    assert enrollment.session == session
    assert enrollment.diploma_level == "bac+2"


# --- exit -----------------------------------------------------------------------------------


@pytest.fixture
def enrollment(training):
    return EnrollmentFactory(
        learner=LearnerFactory(organisation=training.organisation, sex="F", birth_year=1998),
        training=training,
        entry_date=ENTRY,
        session=SessionFactory(training=training),
    )


def test_exit_is_written_with_its_situation_as_a_declaration(enrollment, applicant):
    exit_date = datetime.date(2025, 6, 27)

    enrollment_exit_declare(
        enrollment=enrollment,
        exit_date=exit_date,
        exit_reason="completed",
        situation="cdd_short",
        actor=applicant,
        today=TODAY,
    )

    enrollment.refresh_from_db()
    assert (enrollment.exit_date, enrollment.exit_reason) == (exit_date, "completed")
    followup = FollowUp.objects.get(enrollment=enrollment)
    assert (followup.milestone, followup.situation) == ("exit", "cdd_short")
    assert followup.source == FollowUp.Source.DECLARED
    # Everything else of the enrollment and the learner is left as it was.
    assert enrollment.session is not None
    assert (enrollment.situation_at_entry, enrollment.free_access) == ("job_seeker", True)
    assert (enrollment.learner.sex, enrollment.learner.birth_year) == ("F", 1998)


def test_exit_without_a_situation_keeps_the_declared_one(enrollment, applicant):
    enrollment_exit_declare(
        enrollment=enrollment,
        exit_date=datetime.date(2025, 6, 27),
        exit_reason="completed",
        situation="interim",
        actor=applicant,
        today=TODAY,
    )

    enrollment_exit_declare(
        enrollment=enrollment,
        exit_date=datetime.date(2025, 6, 20),
        exit_reason="dropout",
        actor=applicant,
        today=TODAY,
    )

    enrollment.refresh_from_db()
    assert (enrollment.exit_date, enrollment.exit_reason) == (datetime.date(2025, 6, 20), "dropout")
    assert FollowUp.objects.get(enrollment=enrollment).situation == "interim"


@pytest.mark.parametrize(
    ("exit_date", "exit_reason", "situation", "code"),
    [
        (ENTRY - datetime.timedelta(days=1), "completed", "", "exit_before_entry"),
        (datetime.date(2025, 6, 27), "", "", "exit_reason_required"),
        (datetime.date(2025, 6, 27), "finished", "", "exit_reason"),
        (datetime.date(2025, 6, 27), "completed", "employed", "situation"),
        (TODAY + datetime.timedelta(days=1), "completed", "", "exit_date_future"),
    ],
)
def test_exit_applies_the_rules_of_the_import(
    enrollment, applicant, exit_date, exit_reason, situation, code
):
    with pytest.raises(DomainError) as refusal:
        enrollment_exit_declare(
            enrollment=enrollment,
            exit_date=exit_date,
            exit_reason=exit_reason,
            situation=situation,
            actor=applicant,
            today=TODAY,
        )

    assert refusal.value.code == code
    enrollment.refresh_from_db()
    assert enrollment.exit_date is None
    assert not FollowUp.objects.exists()


def test_moving_the_exit_past_a_declared_milestone_is_refused(training, applicant):
    exit_date = add_months(TODAY, -4)
    enrollment = EnrollmentFactory(
        learner=LearnerFactory(organisation=training.organisation),
        training=training,
        entry_date=ENTRY,
        exit_date=exit_date,
        exit_reason="completed",
    )
    FollowUpFactory(enrollment=enrollment, milestone="m3", situation="cdi")

    with pytest.raises(DomainError) as refusal:
        enrollment_exit_declare(
            enrollment=enrollment,
            exit_date=add_months(TODAY, -2),
            exit_reason="completed",
            actor=applicant,
            today=TODAY,
        )

    assert refusal.value.code == "followup_not_due"
    assert "À 3 mois" in str(refusal.value.message)
    enrollment.refresh_from_db()
    assert enrollment.exit_date == exit_date
