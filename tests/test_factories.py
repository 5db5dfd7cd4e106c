import datetime
import re

import pytest
from django.contrib.auth.models import AnonymousUser

from labelling.models import Dossier
from tests import factories as f
from trainings.geo import DEPARTMENTS
from trainings.validators import luhn_ok, siret_is_valid

ALL_FACTORIES = [
    f.UserFactory,
    f.StaffFactory,
    f.SuperuserFactory,
    f.CommitteeMemberFactory,
    f.OrganisationFactory,
    f.MembershipFactory,
    f.InvitationFactory,
    f.TrainingFactory,
    f.LabelFactory,
    f.SessionFactory,
    f.CallFactory,
    f.DeadlineExtensionFactory,
    f.CriterionFactory,
    f.DossierFactory,
    f.DossierTransitionFactory,
    f.DraftReminderFactory,
    f.AdmissibilityCheckFactory,
    f.AttachmentFactory,
    f.ReviewAssignmentFactory,
    f.ConflictDeclarationFactory,
    f.ReviewFactory,
    f.ReviewScoreFactory,
    f.CommitteeMeetingFactory,
    f.DecisionFactory,
    f.LearnerFactory,
    f.EnrollmentFactory,
    f.FollowUpFactory,
    f.IndicatorRunFactory,
    f.IndicatorValueFactory,
    f.TrainingCountsFactory,
    f.OutboxEmailFactory,
    f.ImportJobFactory,
]

TRAITS = [
    (f.LabelFactory, {"withdrawn": True}),
    (f.CallFactory, {"closed": True}),
    (f.CallFactory, {"upcoming": True}),
    (f.DossierFactory, {"submitted": True}),
    (f.DossierFactory, {"in_review": True}),
    (f.ReviewFactory, {"draft": True}),
    (f.DecisionFactory, {"outcome": "rejected"}),
    (f.DecisionFactory, {"outcome": "deferred"}),
    (f.ConflictDeclarationFactory, {"dossier": None}),
    (f.EnrollmentFactory, {"exited": True}),
    (f.EnrollmentFactory, {"dropped_out": True}),
    (f.IndicatorRunFactory, {"published": True}),
    (f.OutboxEmailFactory, {"sent": True}),
    (f.ImportJobFactory, {"done": True}),
    (f.ImportJobFactory, {"trainings": True}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("factory", ALL_FACTORIES, ids=lambda factory: factory.__name__)
def test_factory_saves_a_row_that_passes_full_clean(factory):
    obj = factory()

    assert obj.pk is not None
    obj.full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("factory", "kwargs"),
    TRAITS,
    ids=[f"{factory.__name__}-{'-'.join(kwargs)}" for factory, kwargs in TRAITS],
)
def test_factory_variant_saves_a_row_that_passes_full_clean(factory, kwargs):
    obj = factory(**kwargs)

    assert obj.pk is not None
    obj.full_clean()


@pytest.mark.parametrize("n", [0, 1, 2, 9, 10, 99, 12345, 10**12 - 1, 10**12 + 7])
def test_generated_siret_passes_luhn_and_the_portal_validator(n):
    siret = f.siret_for(n)

    assert re.fullmatch(r"[0-9]{14}", siret)
    assert luhn_ok(siret)
    assert siret_is_valid(siret)


@pytest.mark.parametrize(
    "body", ["0000000000000", "1234567890123", "8000000000042", "9999999999999"]
)
def test_luhn_check_digit_is_the_only_digit_that_completes_a_valid_number(body):
    passing = [digit for digit in "0123456789" if luhn_ok(body + digit)]

    assert passing == [f.luhn_check_digit(body)]


def test_generated_sirets_are_distinct_and_all_valid():
    sirets = [f.siret_for(n) for n in range(2000)]

    assert len(set(sirets)) == len(sirets)
    assert all(siret_is_valid(siret) for siret in sirets)


def test_changing_one_digit_of_a_generated_siret_breaks_it():
    siret = f.siret_for(42)
    wrong_last = siret[:-1] + str((int(siret[-1]) + 1) % 10)

    assert not siret_is_valid(wrong_last)


def test_built_organisations_have_a_department_of_their_region():
    organisations = f.OrganisationFactory.build_batch(len(f.FACTORY_DEPARTMENTS))

    assert {o.department_code for o in organisations} == set(f.FACTORY_DEPARTMENTS)
    for organisation in organisations:
        assert DEPARTMENTS[organisation.department_code][1] == organisation.region_code
        assert siret_is_valid(organisation.siret)


@pytest.mark.django_db
def test_user_factory_sets_the_shared_password_and_a_lowercase_email():
    user = f.UserFactory()

    assert user.check_password(f.PASSWORD)
    assert user.email == user.email.lower()
    assert not user.is_staff and not user.is_committee_member


@pytest.mark.django_db
def test_user_factory_accepts_another_password():
    user = f.UserFactory(password="un-autre-mot-de-passe-42")

    assert user.check_password("un-autre-mot-de-passe-42")
    assert not user.check_password(f.PASSWORD)


def test_built_user_has_a_hashed_password():
    user = f.UserFactory.build()

    assert user.password != f.PASSWORD
    assert user.check_password(f.PASSWORD)


@pytest.mark.django_db
def test_role_factories_set_their_role():
    assert f.StaffFactory().is_staff
    assert f.CommitteeMemberFactory().is_committee_member
    superuser = f.SuperuserFactory()
    assert superuser.is_staff and superuser.is_superuser


@pytest.mark.django_db
def test_training_codes_follow_the_gen_pattern_and_durations_the_label_rule():
    trainings = f.TrainingFactory.create_batch(25)

    assert all(re.fullmatch(r"GEN-[0-9]{5}", t.code) for t in trainings)
    assert {t.duration_months for t in trainings} == set(range(3, 25))
    for training in trainings:
        assert training.department_code == training.organisation.department_code


@pytest.mark.django_db
def test_call_factory_gives_a_published_call_open_now_in_paris_time():
    call = f.CallFactory()
    now = datetime.datetime.now(datetime.UTC)

    assert call.is_open(now)
    assert str(call.opens_at.tzinfo) == "Europe/Paris"
    assert str(call.closes_at.tzinfo) == "Europe/Paris"


@pytest.mark.django_db
def test_closed_and_upcoming_calls_are_not_open():
    now = datetime.datetime.now(datetime.UTC)

    assert not f.CallFactory(closed=True).is_open(now)
    assert not f.CallFactory(upcoming=True).is_open(now)


@pytest.mark.django_db
def test_dossier_factory_builds_a_draft_without_number():
    dossier = f.DossierFactory()

    assert dossier.state == Dossier.State.DRAFT
    assert dossier.reference is None
    assert dossier.submitted_at is None


@pytest.mark.django_db
def test_submitted_dossiers_are_numbered_in_their_call_like_the_service_does():
    call = f.CallFactory(reference="T2018")

    first = f.DossierFactory(call=call, submitted=True)
    second = f.DossierFactory(call=call, submitted=True)

    assert first.state == Dossier.State.SUBMITTED
    assert first.submitted_at is not None
    assert (first.reference, second.reference) == ("GEN-T2018-00001", "GEN-T2018-00002")
    call.refresh_from_db()
    assert call.last_dossier_number == 2


@pytest.mark.django_db
def test_decision_factory_puts_the_dossier_in_the_matching_state():
    decision = f.DecisionFactory(outcome="rejected")

    assert decision.dossier.state == Dossier.State.REJECTED
    assert decision.reason
    assert decision.meeting.call == decision.dossier.call


@pytest.mark.django_db
def test_committee_meeting_factory_sets_members_and_agenda():
    members = f.CommitteeMemberFactory.create_batch(2)
    dossier = f.DossierFactory(submitted=True)

    meeting = f.CommitteeMeetingFactory(
        call=dossier.call, members_present=members, agenda=[dossier]
    )

    assert set(meeting.members_present.all()) == set(members)
    assert list(meeting.agenda.all()) == [dossier]


@pytest.mark.django_db
def test_attachment_factory_stores_a_small_pdf():
    attachment = f.AttachmentFactory()

    with attachment.file.open("rb") as stored:
        content = stored.read()
    assert content.startswith(b"%PDF-1.4")
    assert attachment.size == len(content)


@pytest.mark.django_db
def test_enrollment_factory_uses_a_training_of_the_learners_organisation():
    enrollment = f.EnrollmentFactory(exited=True)

    assert enrollment.training.organisation == enrollment.learner.organisation
    assert enrollment.exit_date > enrollment.entry_date
    assert enrollment.exit_reason == "completed"


@pytest.mark.django_db
def test_indicator_values_of_one_run_get_distinct_cells():
    run = f.IndicatorRunFactory()

    values = f.IndicatorValueFactory.create_batch(3, run=run)

    assert len({(v.code, v.period, v.dimension, v.key) for v in values}) == 3


# --- persona fixtures -----------------------------------------------------------------------


def test_applicant_belongs_to_organisation_a_only(applicant, org_a, org_b):
    organisations = {m.organisation for m in applicant.memberships.all()}

    assert organisations == {org_a}


def test_other_applicant_belongs_to_organisation_b_only(other_applicant, org_a, org_b):
    organisations = {m.organisation for m in other_applicant.memberships.all()}

    assert organisations == {org_b}


def test_dossier_a_is_submitted_by_org_a_in_an_open_call(dossier_a, org_a, open_call):
    now = datetime.datetime.now(datetime.UTC)

    assert dossier_a.organisation == org_a
    assert dossier_a.state == Dossier.State.SUBMITTED
    assert dossier_a.call == open_call and open_call.is_open(now)


def test_both_committee_members_are_assigned_to_dossier_a(
    dossier_a, committee_member, conflicted_member
):
    assigned = {a.member for a in dossier_a.assignments.all()}

    assert assigned == {committee_member, conflicted_member}
    assert committee_member.is_committee_member and conflicted_member.is_committee_member


def test_only_the_conflicted_member_declared_a_conflict_on_dossier_a(
    dossier_a, committee_member, conflicted_member
):
    declared = {c.member for c in dossier_a.conflicts.all()}

    assert declared == {conflicted_member}


def test_dossier_visibility_follows_the_personas(
    dossier_a, applicant, other_applicant, committee_member, conflicted_member, staff, anonymous
):
    def sees(user):
        return Dossier.objects.visible_to(user).filter(pk=dossier_a.pk).exists()

    assert sees(applicant)
    assert sees(committee_member)
    assert sees(staff)
    assert not sees(other_applicant)
    assert not sees(conflicted_member)
    assert not sees(anonymous)


def test_staff_is_not_a_superuser(staff):
    assert staff.is_staff and not staff.is_superuser


def test_anonymous_is_django_anonymous_user(anonymous):
    assert isinstance(anonymous, AnonymousUser)
    assert not anonymous.is_authenticated


@pytest.mark.parametrize(
    ("client_fixture", "user_fixture"),
    [
        ("applicant_client", "applicant"),
        ("other_applicant_client", "other_applicant"),
        ("committee_client", "committee_member"),
        ("conflicted_client", "conflicted_member"),
        ("staff_client", "staff"),
        ("superuser_client", "superuser"),
    ],
)
def test_persona_clients_are_logged_in_as_their_persona(request, client_fixture, user_fixture):
    client = request.getfixturevalue(client_fixture)
    user = request.getfixturevalue(user_fixture)

    assert client.session["_auth_user_id"] == str(user.pk)
