"""`outcomes.selectors.network_profile`: a small hand-counted network, then the full demo
network against the figures published on 29 June 2018."""

import datetime
import io
import random
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import F, Q
from django.test.utils import override_settings

from gen_portal.dates import milestone_cutoff
from gen_portal.demo import names
from learners.models import Enrollment, Learner
from learners.services import EnrollmentRecord, enrollments_upsert
from outcomes.models import FollowUp
from outcomes.selectors import Share, network_profile
from outcomes.situations import KNOWN, POSITIVE
from trainings.models import Training
from trainings.services import label_grant, organisation_create, training_create

D = datetime.date
AS_OF = D(2018, 6, 29)  # so the 3-month cut-off is an exit on 29/03/2018

# ref, training, entry, sex, situation at entry, lives in a QPV, exit, exit reason, m3.
# Every expected figure below is counted by hand from this table.
ROWS = [
    ("R01", "free", D(2017, 1, 9), "F", "job_seeker", True, D(2017, 7, 7), "completed", "cdi"),
    ("R02", "free", D(2017, 1, 9), "F", "inactive", False, D(2017, 7, 7), "completed", "further_study"),
    ("R03", "free", D(2017, 1, 9), "M", "job_seeker", False, D(2017, 7, 7), "completed", "job_seeking"),
    ("R04", "free", D(2017, 1, 9), "M", "employed", None, D(2017, 7, 7), "completed", "unknown"),
    ("R05", "free", D(2017, 1, 9), "M", "", False, D(2017, 7, 7), "completed", None),
    ("R06", "free", D(2017, 1, 9), "X", "in_education", True, D(2017, 3, 1), "dropout", None),
    ("R07", "free", D(2017, 9, 4), "F", "job_seeker", True, D(2018, 3, 2), "completed", "cdd_short"),
    # Exit + 3 months = 29/06/2018 = as-of: counts. One day later: does not, yet.
    ("R08", "free", D(2017, 9, 4), "M", "job_seeker", False, D(2018, 3, 29), "completed", "interim"),
    ("R09", "free", D(2017, 9, 4), "M", "inactive", False, D(2018, 3, 30), "completed", "cdi"),
    ("R10", "free", D(2017, 9, 4), "", "job_seeker", None, D(2018, 3, 30), "completed", "job_seeking"),
    ("R11", "free", D(2018, 3, 5), "M", "employed", False, None, "", None),
    ("R12", "free", D(2018, 3, 5), "M", "job_seeker", False, None, "", None),
    ("R13", "free", D(2018, 3, 5), "F", "", None, None, "", None),
    ("R14", "free", D(2018, 6, 29), "M", "job_seeker", False, None, "", None),
    ("R15", "paying", D(2017, 2, 6), "M", "employed", False, D(2017, 11, 3), "completed", "cdi"),
    ("R16", "paying", D(2017, 2, 6), "M", "job_seeker", False, D(2017, 11, 3), "completed", "alternance"),
    ("R17", "paying", D(2017, 2, 6), "", "inactive", True, D(2017, 5, 15), "dropout", "inactive"),
    ("R18", "paying", D(2017, 2, 6), "M", "in_education", False, D(2018, 7, 13), "completed", None),
    ("R19", "paying", D(2018, 1, 8), "F", "job_seeker", False, None, "", None),
    ("R20", "paying", D(2018, 1, 8), "M", "inactive", False, None, "", None),
    # Entered after the as-of date: ignored everywhere.
    ("R21", "free", D(2018, 7, 2), "F", "job_seeker", True, None, "", None),
    ("R22", "paying", D(2018, 7, 2), "F", "inactive", True, None, "", None),
]  # fmt: skip


@pytest.fixture
def small_network(db):
    # Hand counts hold only in an otherwise empty database (the full demo below is loaded
    # after these tests and rolled back).
    assert not Learner.objects.exists()
    organisation = organisation_create(
        name="Organisme témoin", siret=names.siret(random.Random(7), set()), department_code="93"
    )
    trainings = {
        "free": training_create(
            organisation=organisation, title="Développeur web", duration_months=6,
            is_free=True, department_code="93", site_qpv="in", qpv_code="QP093001",
        ),
        "paying": training_create(
            organisation=organisation, title="Data analyst", duration_months=9, is_free=False,
            price=Decimal("1200"), department_code="93", site_qpv="out",
        ),
    }  # fmt: skip
    later = training_create(
        organisation=organisation, title="Intégrateur web", duration_months=4, department_code="93"
    )
    label_grant(training=trainings["free"], start_date=D(2016, 9, 1))
    label_grant(training=trainings["paying"], start_date=D(2017, 1, 10))
    label_grant(training=later, start_date=D(2018, 7, 2))  # labelled after the as-of date
    records = [
        EnrollmentRecord(
            organisation_id=organisation.pk,
            training_id=trainings[training].pk,
            learner_ref=ref,
            entry_date=entry,
            sex=sex,
            situation_at_entry=situation,
            qpv_resident=qpv,
            free_access=training == "free",
            exit_date=exit_date,
            exit_reason=reason,
            followups={"m3": m3} if m3 else {},
        )
        for ref, training, entry, sex, situation, qpv, exit_date, reason, m3 in ROWS
    ]
    enrollments_upsert(records=records)
    return trainings


def test_profile_counts_a_small_network_exactly(small_network):
    profile = network_profile(as_of=AS_OF)

    assert profile.learners == 20
    assert profile.enrollments == 20
    assert profile.women == Share(5, 18)  # R01 R02 R07 R13 R19; R10 and R17 unrecorded
    assert profile.neet == Share(13, 18)  # R05 and R13 unrecorded
    assert profile.qpv_residents == Share(4, 17)  # R01 R06 R07 R17; R04 R10 R13 unrecorded
    assert profile.free_access == Share(14, 20)
    # Matured: R01-R08, R15-R17 (11). Known at 3 months: 8, of which 6 positive.
    assert profile.positive_m3 == Share(6, 8)
    assert profile.unknown_m3 == Share(3, 11)  # R04 unknown, R05 and R06 missing
    assert profile.labelled_trainings == 2


def test_profile_ignores_what_happened_after_the_as_of_date(small_network):
    profile = network_profile(as_of=D(2017, 12, 31))

    assert profile.learners == 14  # R01-R10 and R15-R18
    assert profile.women == Share(3, 12)
    # Cut-off 30/09/2017: R01-R06 and R17 matured; R15 and R16 (exit 03/11/2017) not yet.
    assert profile.positive_m3 == Share(2, 4)
    assert profile.unknown_m3 == Share(3, 7)
    assert profile.labelled_trainings == 2


def test_an_exit_counts_at_three_months_only_once_three_months_have_passed(small_network):
    on_the_day = network_profile(as_of=AS_OF)
    next_day = network_profile(as_of=AS_OF + datetime.timedelta(days=1))

    # R09 (positive) and R10 (job seeking) left on 30/03/2018: they mature on 30/06/2018.
    assert on_the_day.positive_m3 == Share(6, 8)
    assert next_day.positive_m3 == Share(7, 10)
    assert next_day.unknown_m3 == Share(3, 13)
    assert next_day.learners == 20  # R21 and R22 only enter on 02/07/2018


# ----------------------------------------------------------------------- the full demo


@pytest.fixture(scope="module")
def full_demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The whole demo network (scale 1.0), loaded once for this module inside a transaction
    that is rolled back at the end, so nothing is committed and nothing needs flushing.
    Each test runs in its own savepoint on top of it."""
    storages = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path_factory.mktemp("demo-media"))},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with django_db_blocker.unblock(), override_settings(STORAGES=storages), transaction.atomic():
        call_command("load_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def labelled_on(day: datetime.date) -> int:
    """Trainings whose label covered `day`, whatever the label's status today (every demo
    label has expired since), withdrawn labels excepted."""
    return (
        Training.objects.filter(labels__start_date__lte=day, labels__end_date__gte=day)
        .exclude(labels__status="withdrawn")
        .distinct()
        .count()
    )


def share_from_rows(numerator: Q, denominator: Q, base) -> Share:
    return Share(base.filter(numerator).count(), base.filter(denominator).count())


@pytest.mark.slow
@pytest.mark.django_db
def test_full_demo_gives_the_published_profile(full_demo):
    profile = network_profile(as_of=AS_OF)

    assert profile.learners == 11_409
    assert round(100 * profile.women.value) == 24
    assert round(100 * profile.neet.value) == 65
    assert round(100 * profile.qpv_residents.value) == 17
    assert round(100 * profile.free_access.value) == 77
    assert 0.73 <= profile.positive_m3.value <= 0.75
    assert 0.22 <= profile.unknown_m3.value <= 0.28
    assert 390 <= labelled_on(AS_OF) <= 410


@pytest.mark.slow
@pytest.mark.django_db
def test_full_demo_profile_is_computed_from_the_rows(full_demo):
    profile = network_profile(as_of=AS_OF)
    entered = Enrollment.objects.filter(entry_date__lte=AS_OF)
    cutoff = milestone_cutoff(AS_OF, 3)
    matured = entered.filter(exit_date__lte=cutoff)
    m3 = FollowUp.objects.filter(milestone="m3", enrollment__in=matured)

    assert profile.learners == Learner.objects.filter(enrollments__in=entered).distinct().count()
    assert profile.women == share_from_rows(Q(learner__sex="F"), ~Q(learner__sex=""), entered)
    assert profile.neet == share_from_rows(
        Q(situation_at_entry__in=["job_seeker", "inactive"]), ~Q(situation_at_entry=""), entered
    )
    assert profile.qpv_residents == share_from_rows(
        Q(qpv_resident=True), Q(qpv_resident__isnull=False), entered
    )
    assert profile.free_access == share_from_rows(
        Q(free_access=True), Q(free_access__isnull=False), entered
    )
    known = m3.filter(situation__in=KNOWN).count()
    assert profile.positive_m3 == Share(m3.filter(situation__in=POSITIVE).count(), known)
    assert profile.unknown_m3 == Share(matured.count() - known, matured.count())
    # Free access follows the training: the 77 % are learners sitting in free trainings.
    assert not entered.exclude(free_access=F("training__is_free")).exists()


@pytest.mark.slow
@pytest.mark.django_db
def test_changing_one_row_changes_the_profile(full_demo):
    before = network_profile(as_of=AS_OF)
    man = Learner.objects.filter(sex="M", enrollments__entry_date__lte=AS_OF).first()
    job_seeker = FollowUp.objects.filter(
        milestone="m3",
        situation="job_seeking",
        enrollment__exit_date__lte=milestone_cutoff(AS_OF, 3),
    ).first()

    Learner.objects.filter(pk=man.pk).update(sex="F")
    FollowUp.objects.filter(pk=job_seeker.pk).update(situation="cdi")
    after = network_profile(as_of=AS_OF)

    assert after.women == Share(before.women.numerator + 1, before.women.denominator)
    assert after.positive_m3 == Share(
        before.positive_m3.numerator + 1, before.positive_m3.denominator
    )
    assert after.neet == before.neet


@pytest.mark.slow
@pytest.mark.django_db
def test_profile_counts_trainings_labelled_on_a_past_date_after_their_labels_expired(full_demo):
    assert network_profile(as_of=AS_OF).labelled_trainings == labelled_on(AS_OF)
