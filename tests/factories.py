"""factory_boy factories: one per model, each building a valid row with sensible defaults.

Defaults describe the ordinary case (a published call open now, a draft dossier, an
enrolled learner); traits give the usual variations (`DossierFactory(submitted=True)`,
`EnrollmentFactory(exited=True)`). Factories write rows directly and never call services:
a test of a service builds its starting point here and then calls the service.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db.models import F
from factory.django import DjangoModelFactory

from accounts.models import Invitation, Membership, OutboxEmail, User
from labelling.models import (
    AdmissibilityCheck,
    Attachment,
    Call,
    CommitteeMeeting,
    ConflictDeclaration,
    Criterion,
    DeadlineExtension,
    Decision,
    Dossier,
    DossierTransition,
    DraftReminder,
    Review,
    ReviewAssignment,
    ReviewScore,
)
from learners.models import Enrollment, ImportJob, Learner
from outcomes.indicators import engine
from outcomes.indicators.catalogue import BY_CODE
from outcomes.models import FollowUp, IndicatorRun, IndicatorValue, OpenDataFile, TrainingCounts
from outcomes.situations import DEFINITION_VERSION
from trainings.geo import DEPARTMENTS
from trainings.models import Label, Organisation, Session, Training

PASSWORD = "motdepasse-solide-123"
PARIS = ZoneInfo("Europe/Paris")

# A small, valid PDF: enough for content sniffing (it starts with the PDF magic bytes).
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)

# Departments the factories cycle through: mainland, Corsica and overseas, so breakdowns by
# region and department get more than one key.
FACTORY_DEPARTMENTS = ["75", "69", "13", "59", "33", "93", "2A", "974", "35", "67"]


def paris_now() -> datetime.datetime:
    return datetime.datetime.now(PARIS)


def paris_today() -> datetime.date:
    return paris_now().date()


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def luhn_check_digit(body: str) -> str:
    """The digit that, appended to `body`, makes the whole number pass the Luhn test."""
    total = 0
    # Once the check digit is appended, the last digit of `body` is the second from the
    # right: that one, and every other digit leftwards, gets doubled.
    for position, char in enumerate(reversed(body)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def siret_for(n: int) -> str:
    """A valid 14-digit SIRET for sequence number `n` (distinct for distinct `n`).

    The leading 8 keeps clear of La Poste's SIREN (356000000), whose SIRETs follow another
    rule."""
    body = f"8{n % 10**12:012d}"
    return body + luhn_check_digit(body)


@functools.cache
def _password_hash(raw: str) -> str:
    # Hashing takes a deliberate fraction of a second; tests create many users, all with the
    # same password, so it is hashed once per process.
    return make_password(raw)


# ---------------------------------------------------------------------------------------------
# accounts


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"personne{n}@exemple.fr")
    full_name = factory.Sequence(lambda n: f"Personne {n}")
    password = PASSWORD

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        kwargs["password"] = _password_hash(kwargs["password"])
        return super()._build(model_class, *args, **kwargs)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        kwargs["password"] = _password_hash(kwargs["password"])
        return super()._create(model_class, *args, **kwargs)


class StaffFactory(UserFactory):
    email = factory.Sequence(lambda n: f"agent{n}@grandeecolenumerique.fr")
    full_name = factory.Sequence(lambda n: f"Agent GEN {n}")
    is_staff = True


class SuperuserFactory(StaffFactory):
    email = factory.Sequence(lambda n: f"admin{n}@grandeecolenumerique.fr")
    full_name = factory.Sequence(lambda n: f"Administrateur {n}")
    is_superuser = True


class CommitteeMemberFactory(UserFactory):
    email = factory.Sequence(lambda n: f"membre{n}@comite.exemple.fr")
    full_name = factory.Sequence(lambda n: f"Membre du comité {n}")
    is_committee_member = True


# ---------------------------------------------------------------------------------------------
# trainings


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisme de formation {n}")
    siret = factory.Sequence(siret_for)
    address = factory.Sequence(lambda n: f"{n % 200 + 1} rue de la République")
    postcode = "75011"
    city = "Paris"
    department_code = factory.Iterator(FACTORY_DEPARTMENTS)
    region_code = factory.LazyAttribute(lambda o: DEPARTMENTS[o.department_code][1])


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.MEMBER


class InvitationFactory(DjangoModelFactory):
    """A pending invitation (the token itself is not kept, only its hash, as in the portal).
    Pass `invited_by=` a member of the organisation when the test cares who invited."""

    class Meta:
        model = Invitation

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"invite{n}@exemple.fr")
    token_hash = factory.Sequence(lambda n: hashlib.sha256(f"jeton-{n}".encode()).hexdigest())
    invited_by = factory.SubFactory(UserFactory)


class TrainingFactory(DjangoModelFactory):
    class Meta:
        model = Training

    code = factory.Sequence(lambda n: f"GEN-{n:05d}")
    organisation = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"Développeur web et web mobile {n}")
    description = "Formation intensive aux métiers du développement web."
    targeted_jobs = "M1805 – Études et développement informatique"
    duration_months = factory.Sequence(lambda n: 3 + n % 22)  # 3..24, the label's rule
    hours = 700
    is_free = True
    price = None
    site_address = "12 rue des Écoles"
    department_code = factory.LazyAttribute(lambda o: o.organisation.department_code)
    region_code = factory.LazyAttribute(lambda o: DEPARTMENTS[o.department_code][1])
    site_qpv = Training.SiteQpv.OUT


class LabelFactory(DjangoModelFactory):
    class Meta:
        model = Label

    training = factory.SubFactory(TrainingFactory)
    call = None
    decision = None
    start_date = factory.LazyFunction(lambda: paris_today() - datetime.timedelta(days=30))
    end_date = factory.LazyAttribute(lambda o: add_years(o.start_date, 3))
    status = Label.Status.ACTIVE

    class Params:
        withdrawn = factory.Trait(
            status=Label.Status.WITHDRAWN,
            withdrawal_reason="Engagements de la charte non respectés.",
            withdrawn_at=factory.LazyFunction(paris_now),
        )


class SessionFactory(DjangoModelFactory):
    class Meta:
        model = Session

    training = factory.SubFactory(TrainingFactory)
    start_date = factory.LazyFunction(lambda: paris_today() + datetime.timedelta(days=30))
    end_date = factory.LazyAttribute(lambda o: o.start_date + datetime.timedelta(days=180))
    capacity = 16
    place = "Salle 2"


# ---------------------------------------------------------------------------------------------
# labelling


class CallFactory(DjangoModelFactory):
    """A published call, open now: opened a week ago, closes in a month at noon, Paris time."""

    class Meta:
        model = Call

    reference = factory.Sequence(lambda n: f"A{n:04d}")
    title = factory.Sequence(lambda n: f"Appel à labellisation n° {n}")
    description = "Appel à labellisation de formations aux métiers du numérique."
    opens_at = factory.LazyFunction(
        lambda: (paris_now() - datetime.timedelta(days=7)).replace(second=0, microsecond=0)
    )
    closes_at = factory.LazyFunction(
        lambda: (paris_now() + datetime.timedelta(days=30)).replace(
            hour=12, minute=0, second=0, microsecond=0
        )
    )
    label_duration_months = 36
    qpv_training_target = Decimal("0.300")
    is_published = True

    class Params:
        closed = factory.Trait(
            opens_at=factory.LazyFunction(
                lambda: (paris_now() - datetime.timedelta(days=60)).replace(microsecond=0)
            ),
            closes_at=factory.LazyFunction(
                lambda: (paris_now() - datetime.timedelta(days=1)).replace(microsecond=0)
            ),
        )
        upcoming = factory.Trait(
            opens_at=factory.LazyFunction(
                lambda: (paris_now() + datetime.timedelta(days=7)).replace(microsecond=0)
            ),
            closes_at=factory.LazyFunction(
                lambda: (paris_now() + datetime.timedelta(days=60)).replace(microsecond=0)
            ),
        )


class DeadlineExtensionFactory(DjangoModelFactory):
    class Meta:
        model = DeadlineExtension

    call = factory.SubFactory(CallFactory)
    previous_closes_at = factory.LazyAttribute(lambda o: o.call.closes_at)
    new_closes_at = factory.LazyAttribute(
        lambda o: o.previous_closes_at + datetime.timedelta(days=7)
    )
    reason = "Panne du portail le dernier jour de l'appel."
    created_by = factory.SubFactory(StaffFactory)


class CriterionFactory(DjangoModelFactory):
    class Meta:
        model = Criterion

    call = factory.SubFactory(CallFactory)
    position = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Critère {n}")
    guidance = "Noter de 0 à 5."
    weight = Decimal("1.00")
    max_score = 5
    eliminatory = False


class _NextNumber:
    """Placeholder reference: the dossier takes its call's next number at creation."""

    def __repr__(self) -> str:
        return "NEXT_NUMBER"


NEXT_NUMBER = _NextNumber()


def dossier_reference(call: Call, number: int) -> str:
    return f"GEN-{call.reference}-{number:05d}"


class DossierFactory(DjangoModelFactory):
    """A draft dossier; `submitted=True` (or `in_review=True`) gives it its number and date."""

    class Meta:
        model = Dossier

    call = factory.SubFactory(CallFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    created_by = factory.SubFactory(UserFactory)
    state = Dossier.State.DRAFT
    training_title = factory.Sequence(lambda n: f"Concepteur développeur d'applications {n}")
    training_description = "Formation en alternance, 12 mois."
    targeted_jobs = "M1805"
    duration_months = 12
    hours = 800
    is_free = True
    site_address = "3 place de la Mairie"
    department_code = factory.LazyAttribute(lambda o: o.organisation.department_code)
    region_code = factory.LazyAttribute(lambda o: DEPARTMENTS[o.department_code][1])
    site_qpv = Training.SiteQpv.IN
    planned_entrants_per_year = 24
    women_share_commitment = 30
    neet_share_commitment = 50
    qpv_share_commitment = 30
    support_description = "Référent social, aide à la mobilité et au logement."
    immersion_weeks = 4
    partners = "Pôle emploi, mission locale"
    budget_total = Decimal("180000.00")

    class Params:
        submitted = factory.Trait(
            state=Dossier.State.SUBMITTED,
            reference=NEXT_NUMBER,
            submitted_at=factory.LazyFunction(paris_now),
        )
        in_review = factory.Trait(submitted=True, state=Dossier.State.IN_REVIEW)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        if kwargs.get("reference") is NEXT_NUMBER:
            call = kwargs["call"]
            kwargs["reference"] = dossier_reference(call, call.last_dossier_number + 1)
        return super()._build(model_class, *args, **kwargs)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if kwargs.get("reference") is NEXT_NUMBER:
            # Take the call's next number the way `dossier_submit` does, so a dossier
            # submitted later through the service in the same call never gets the same one.
            call = kwargs["call"]
            Call.objects.filter(pk=call.pk).update(last_dossier_number=F("last_dossier_number") + 1)
            call.refresh_from_db(fields=["last_dossier_number"])
            kwargs["reference"] = dossier_reference(call, call.last_dossier_number)
        return super()._create(model_class, *args, **kwargs)


class DossierTransitionFactory(DjangoModelFactory):
    class Meta:
        model = DossierTransition

    dossier = factory.SubFactory(DossierFactory, submitted=True)
    actor = factory.LazyAttribute(lambda o: o.dossier.created_by)
    at = factory.LazyFunction(paris_now)
    from_state = Dossier.State.DRAFT
    to_state = Dossier.State.SUBMITTED
    action = "submit"


class AdmissibilityCheckFactory(DjangoModelFactory):
    """A complete pass of the admissibility checklist on a submitted dossier."""

    class Meta:
        model = AdmissibilityCheck

    dossier = factory.SubFactory(DossierFactory, submitted=True)
    items = factory.LazyFunction(lambda: [item.value for item in AdmissibilityCheck.Item])
    is_complete = True
    checked_by = factory.SubFactory(StaffFactory)
    checked_at = factory.LazyFunction(paris_now)


class DraftReminderFactory(DjangoModelFactory):
    class Meta:
        model = DraftReminder

    dossier = factory.SubFactory(DossierFactory)
    kind = DraftReminder.Kind.H48


class AttachmentFactory(DjangoModelFactory):
    class Meta:
        model = Attachment

    dossier = factory.SubFactory(DossierFactory)
    kind = Attachment.Kind.STATUTES
    original_name = "statuts.pdf"
    file = factory.LazyAttribute(lambda o: ContentFile(PDF_BYTES, name=o.original_name))
    content_type = "application/pdf"
    size = len(PDF_BYTES)
    sha256 = hashlib.sha256(PDF_BYTES).hexdigest()
    uploaded_by = factory.LazyAttribute(lambda o: o.dossier.created_by)


class ReviewAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = ReviewAssignment

    dossier = factory.SubFactory(DossierFactory, submitted=True)
    member = factory.SubFactory(CommitteeMemberFactory)
    assigned_by = factory.SubFactory(StaffFactory)


class ConflictDeclarationFactory(DjangoModelFactory):
    """A conflict on one dossier; pass `dossier=None, call=...` for a call-wide declaration
    of interests."""

    class Meta:
        model = ConflictDeclaration

    dossier = factory.SubFactory(DossierFactory, submitted=True)
    call = factory.Maybe(
        "dossier",
        yes_declaration=factory.LazyAttribute(lambda o: o.dossier.call),
        no_declaration=factory.SubFactory(CallFactory),
    )
    member = factory.SubFactory(CommitteeMemberFactory)
    organisations = factory.Maybe(
        "dossier",
        yes_declaration=factory.LazyAttribute(lambda o: o.dossier.organisation.name),
        no_declaration="",
    )
    comment = "J'ai été salarié de cet organisme il y a moins de trois ans."


class ReviewFactory(DjangoModelFactory):
    """A submitted review; `draft=True` for one still being written."""

    class Meta:
        model = Review

    assignment = factory.SubFactory(ReviewAssignmentFactory)
    recommendation = Review.Recommendation.FAVOURABLE
    comment = "Projet solide, partenariats crédibles."
    submitted_at = factory.LazyFunction(paris_now)

    class Params:
        draft = factory.Trait(recommendation="", submitted_at=None)


class ReviewScoreFactory(DjangoModelFactory):
    class Meta:
        model = ReviewScore

    review = factory.SubFactory(ReviewFactory)
    criterion = factory.SubFactory(
        CriterionFactory, call=factory.SelfAttribute("..review.assignment.dossier.call")
    )
    score = 4


class CommitteeMeetingFactory(DjangoModelFactory):
    """A meeting; pass `members_present=[...]` and `agenda=[...]` to fill them."""

    class Meta:
        model = CommitteeMeeting
        skip_postgeneration_save = True

    call = factory.SubFactory(CallFactory)
    date = factory.LazyFunction(
        lambda: (paris_now() + datetime.timedelta(days=14)).replace(
            hour=10, minute=0, second=0, microsecond=0
        )
    )
    location = "Ministère, salle 101"
    quorum = 3
    minutes = ""
    created_by = factory.SubFactory(StaffFactory)

    @factory.post_generation
    def members_present(self, create, extracted, **kwargs):
        if create and extracted:
            self.members_present.set(extracted)

    @factory.post_generation
    def agenda(self, create, extracted, **kwargs):
        if create and extracted:
            self.agenda.set(extracted)


class DecisionFactory(DjangoModelFactory):
    """A decision on a dossier already in the matching state (labelled by default). Building
    one does not create the training and label: that is the decision service's job."""

    class Meta:
        model = Decision

    outcome = Decision.Outcome.LABELLED
    dossier = factory.SubFactory(
        DossierFactory, submitted=True, state=factory.SelfAttribute("..outcome")
    )
    meeting = factory.SubFactory(
        CommitteeMeetingFactory, call=factory.SelfAttribute("..dossier.call")
    )
    reason = factory.LazyAttribute(
        lambda o: "" if o.outcome == Decision.Outcome.LABELLED else "Accompagnement insuffisant."
    )
    decided_by = factory.SubFactory(StaffFactory)
    decided_at = factory.LazyFunction(paris_now)


# ---------------------------------------------------------------------------------------------
# learners and outcomes


class LearnerFactory(DjangoModelFactory):
    class Meta:
        model = Learner

    organisation = factory.SubFactory(OrganisationFactory)
    learner_ref = factory.Sequence(lambda n: f"APP-{n:06d}")
    sex = factory.Iterator(["F", "M", "M"])
    birth_year = 1996


class EnrollmentFactory(DjangoModelFactory):
    """An enrollment in a training of the learner's organisation, still in training;
    `exited=True` or `dropped_out=True` for one that ended."""

    class Meta:
        model = Enrollment

    learner = factory.SubFactory(LearnerFactory)
    training = factory.SubFactory(
        TrainingFactory, organisation=factory.SelfAttribute("..learner.organisation")
    )
    session = None
    entry_date = datetime.date(2024, 9, 2)
    situation_at_entry = "job_seeker"
    qpv_resident = False
    free_access = True

    class Params:
        exited = factory.Trait(
            exit_date=factory.LazyAttribute(lambda o: o.entry_date + datetime.timedelta(days=182)),
            exit_reason="completed",
        )
        dropped_out = factory.Trait(
            exit_date=factory.LazyAttribute(lambda o: o.entry_date + datetime.timedelta(days=45)),
            exit_reason="dropout",
        )


class FollowUpFactory(DjangoModelFactory):
    class Meta:
        model = FollowUp

    enrollment = factory.SubFactory(EnrollmentFactory, exited=True)
    milestone = "m3"
    situation = "cdi"
    observed_on = factory.LazyAttribute(
        lambda o: (o.enrollment.exit_date or o.enrollment.entry_date) + datetime.timedelta(days=92)
    )
    source = FollowUp.Source.DECLARED


class IndicatorRunFactory(DjangoModelFactory):
    """A finished run, not yet published; `published=True` publishes it."""

    class Meta:
        model = IndicatorRun

    requested_by = factory.SubFactory(StaffFactory)
    trigger = "manual"
    as_of = factory.LazyFunction(paris_today)
    status = IndicatorRun.Status.DONE
    progress = 100
    definition_version = DEFINITION_VERSION
    started_at = factory.LazyFunction(paris_now)
    finished_at = factory.LazyAttribute(lambda o: o.started_at + datetime.timedelta(seconds=5))

    class Params:
        published = factory.Trait(published_at=factory.LazyAttribute(lambda o: o.finished_at))


class IndicatorValueFactory(DjangoModelFactory):
    class Meta:
        model = IndicatorValue

    run = factory.SubFactory(IndicatorRunFactory)
    code = "women_share"
    # Distinct periods keep several values of one run off the same (code, period) cell.
    period = factory.Sequence(lambda n: str(2000 + n))
    numerator = 24
    denominator = 100
    value = 0.24
    ci_low = 0.166
    ci_high = 0.333
    target = 0.30


class TrainingCountsFactory(DjangoModelFactory):
    """A training's counts in a run. Give `counts`; the dashboard's columns are derived from
    them as the engine derives them."""

    class Meta:
        model = TrainingCounts

    run = factory.SubFactory(IndicatorRunFactory)
    period = "all"
    key = factory.Sequence(lambda n: f"GEN-F{n:05d}")
    counts = factory.LazyFunction(lambda: {"entrants": 24, "women": 6, "sex_known": 24})

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        row = engine.training_counts_row(kwargs["key"], kwargs["period"], kwargs["counts"])
        kwargs.update(row._asdict())
        return super()._create(model_class, *args, **kwargs)


def training_counts_for(cells: dict[str, tuple[int, int | None]]) -> dict[str, int]:
    """The counts that give these training cells: {indicator code: (numerator,
    denominator)} → {count name: count}."""
    counts: dict[str, int] = {}
    for code, (numerator, denominator) in cells.items():
        indicator = BY_CODE[code]
        counts[indicator.numerator] = numerator
        if indicator.denominator is not None:
            counts[indicator.denominator] = denominator
    return counts


class OpenDataFileFactory(DjangoModelFactory):
    class Meta:
        model = OpenDataFile

    name = factory.Sequence(lambda n: f"dataset-{n}.csv")
    content_type = "text/csv; charset=utf-8"
    content = "code;title\r\n"
    sha256 = factory.LazyAttribute(lambda file: hashlib.sha256(file.content.encode()).hexdigest())
    rows = 0


class OutboxEmailFactory(DjangoModelFactory):
    """A queued email; `sent=True` for one already delivered."""

    class Meta:
        model = OutboxEmail

    to = factory.Sequence(lambda n: f"destinataire{n}@exemple.fr")
    subject = "Votre dossier a été déposé"
    body = "Bonjour,\n\nVotre dossier a bien été déposé.\n"

    class Params:
        sent = factory.Trait(
            status=OutboxEmail.Status.SENT,
            attempts=1,
            sent_at=factory.LazyFunction(paris_now),
        )


class ImportJobFactory(DjangoModelFactory):
    """A learners.csv of an organisation, validated and waiting for confirmation (its file in
    private storage); `done=True` for one imported (file deleted), `trainings=True` for a
    staff trainings.csv."""

    class Meta:
        model = ImportJob

    kind = ImportJob.Kind.LEARNERS
    organisation = factory.SubFactory(OrganisationFactory)
    uploaded_by = factory.SubFactory(UserFactory)
    filename = "learners.csv"
    file = factory.LazyAttribute(
        lambda o: ContentFile(b"training_code;learner_ref\n", name=o.filename)
    )
    file_size = 26
    state = ImportJob.State.VALID
    percent = 100
    rows_done = 0
    rows_total = 0
    counts = factory.LazyFunction(
        lambda: {"rows": 0, "learners": 0, "enrollments": 0, "followups": 0}
    )
    validated_at = factory.LazyFunction(paris_now)

    class Params:
        done = factory.Trait(
            state=ImportJob.State.DONE,
            file="",
            confirmed_at=factory.LazyFunction(paris_now),
            finished_at=factory.LazyFunction(paris_now),
        )
        trainings = factory.Trait(
            kind=ImportJob.Kind.TRAININGS,
            organisation=None,
            uploaded_by=factory.SubFactory(StaffFactory),
            filename="trainings.csv",
        )
