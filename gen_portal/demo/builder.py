"""Writes the demo plan through the portal's own services, so the demo data obeys every rule
the pages obey (deadlines, states, conflicts of interest, quorum, audit rows) and exercises
the same code.

Historical times are passed to the services (`now=`, `at=`, `decided_at=`); the only rows
stamped with the real clock are technical columns the services fill themselves ("created
at", "sent at"), the recent renewal call (`renewal`, dated relative to today) and the final
`labels_expire(today=...)`.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db.models import Max
from django.utils import timezone

from accounts.models import OutboxEmail, User
from accounts.services import membership_add, outbox_deliver, user_create
from labelling.models import Call
from learners.services import enrollments_upsert
from trainings.models import Label, Organisation
from trainings.services import labels_expire, organisation_create

from . import calls as c
from .learners import PUBLISHED, TrainingFacts, learner_records
from .plan import (
    ADMIN_EMAIL,
    APPLICANT_EMAIL,
    AS_OF,
    COMMITTEE_EMAIL,
    DEMO_PASSWORD,
    STAFF_EMAIL,
    NetworkPlan,
    PersonPlan,
    scaled,
)
from .renewal import Renewal, renewal_reference
from .replay import CallReplay, Cast


class DemoPasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2 with few iterations, used only while loading the demo: hashing ~500 accounts at
    Django's full cost would take minutes. The hash keeps Django's standard algorithm name,
    so the normal hasher checks it and re-hashes it at full cost on first login."""

    iterations = 1_000


# --------------------------------------------------------------------------- demo accounts


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str


DEMO_ACCOUNTS = (
    DemoAccount("Équipe GEN (staff)", STAFF_EMAIL),
    DemoAccount("Membre du comité de labellisation", COMMITTEE_EMAIL),
    DemoAccount("Candidat (organisme labellisé, dossiers dans l'appel 2018)", APPLICANT_EMAIL),
    DemoAccount("Administrateur (administration Django)", ADMIN_EMAIL),
)


def demo_is_loaded() -> bool:
    return (
        Call.objects.filter(reference=c.CALLS[0].reference).exists()
        and User.objects.filter(email=STAFF_EMAIL).exists()
    )


def database_is_empty() -> bool:
    """No business data yet (accounts alone, such as a superuser, do not count)."""
    return not (Call.objects.exists() or Organisation.objects.exists())


def conflicting_rows() -> list[str]:
    """What would stop the demo from loading next to existing data."""
    references = [call.reference for call in c.CALLS]
    references.append(renewal_reference(timezone.localdate()))
    emails = [account.email for account in DEMO_ACCOUNTS]
    problems = [
        f"l'appel « {reference} » existe déjà"
        for reference in Call.objects.filter(reference__in=references).values_list(
            "reference", flat=True
        )
    ]
    problems += [
        f"le compte {email} existe déjà"
        for email in User.objects.filter(email__in=emails).values_list("email", flat=True)
    ]
    return problems


# ------------------------------------------------------------------------------ builder


@dataclass
class BuildSummary:
    organisations: int = 0
    users: int = 0
    dossiers: dict[str, int] = field(default_factory=dict)
    labelled: dict[str, int] = field(default_factory=dict)
    learners: int = 0
    followups: int = 0
    emails: int = 0
    labels_expired: int = 0
    renewed: int = 0
    sessions: int = 0


class DemoBuilder:
    def __init__(self, *, plan: NetworkPlan, log: Callable[[str], None]) -> None:
        self.plan = plan
        self.log = log
        self.summary = BuildSummary()
        self.started = time.monotonic()
        # Emails already in the outbox before the load are not the demo's to send.
        self.outbox_before = OutboxEmail.objects.aggregate(last=Max("pk"))["last"] or 0

    def _progress(self, message: str) -> None:
        self.log(f"[{time.monotonic() - self.started:5.1f} s] {message}")

    def build(self) -> BuildSummary:
        cast = self._people()
        for call in c.CALLS:
            dossiers = CallReplay(
                cast=cast, call_plan=call, plans=self.plan.dossiers[call.reference]
            ).run()
            submitted = sum(1 for _dossier, plan in dossiers if plan.path != c.DRAFT)
            labelled = sum(1 for _dossier, plan in dossiers if plan.path in c.ENDS_LABELLED)
            self.summary.dossiers[call.reference] = len(dossiers)
            self.summary.labelled[call.reference] = labelled
            self._progress(
                f"Appel {call.reference} : {submitted} dossiers déposés "
                f"et {len(dossiers) - submitted} brouillon(s) jamais déposé(s), "
                f"{labelled} labellisés"
            )
        self._learners(cast)
        today = timezone.localdate()
        renewal = Renewal(cast=cast, today=today).run()
        self.summary.renewed, self.summary.sessions = renewal.renewed, renewal.sessions
        until = f" jusqu'au {renewal.labels_end:%d/%m/%Y}" if renewal.labels_end else ""
        self._progress(
            f"Appel {renewal.reference} (renouvellement) : {renewal.renewed} formations "
            f"labellisées à nouveau{until}, {renewal.refused} renouvellement(s) refusé(s), "
            f"{renewal.sessions} sessions annoncées"
        )
        self._deliver_outbox()
        # Label statuses must be true today: every label of 2015–2018 ended years ago and
        # becomes "expired"; the renewal's labels stay active (see docs/demo.md).
        self.summary.labels_expired = labels_expire(today=today)
        self._progress(
            f"Labels échus au {today:%d/%m/%Y} marqués « expiré » : {self.summary.labels_expired}"
        )
        return self.summary

    # -- people and organisations

    def _user(self, person: PersonPlan, joined: datetime.datetime, **roles: bool) -> User:
        self.summary.users += 1
        return user_create(
            email=person.email,
            password=DEMO_PASSWORD,
            full_name=person.full_name,
            verified=True,
            now=joined,
            **roles,
        )

    def _people(self) -> Cast:
        joined = c.paris(2015, 9, 1, 9)
        staff = [self._user(person, joined, is_staff=True) for person in self.plan.staff]
        committee = [
            self._user(
                member.person, joined + datetime.timedelta(days=14), is_committee_member=True
            )
            for member in self.plan.committee
        ]
        # No service creates administrators: this manager method is what `createsuperuser`
        # uses too.
        User.objects.create_superuser(
            email=ADMIN_EMAIL,
            password=DEMO_PASSWORD,
            full_name="Ada Administratrice",
            email_verified_at=joined,
            date_joined=joined,
        )
        self.summary.users += 1

        organisations: list[Organisation] = []
        org_users: list[list[User]] = []
        for plan in self.plan.organisations:
            assert plan.joined_at is not None  # set by the planner
            first, *others = plan.members
            creator = self._user(first, plan.joined_at)
            organisation = organisation_create(
                name=plan.name,
                siret=plan.siret,
                department_code=plan.place.department_code,
                address=plan.address,
                postcode=plan.place.postcode,
                city=plan.place.city,
                commune_code=plan.place.commune_code,
                creator=creator,
            )
            users = [creator]
            for position, person in enumerate(others, start=1):
                user = self._user(person, plan.joined_at + datetime.timedelta(days=position))
                membership_add(user=user, organisation=organisation)
                users.append(user)
            organisations.append(organisation)
            org_users.append(users)

        member_org = {}
        for index, member in enumerate(self.plan.committee):
            if member.organisation is not None:
                member_org[index] = member.organisation
                membership_add(
                    user=committee[index], organisation=organisations[member.organisation]
                )
        self.summary.organisations = len(organisations)
        self._progress(
            f"Comptes : {len(staff)} à l'équipe, {len(committee)} au comité, 1 administrateur ; "
            f"{len(organisations)} organisations et "
            f"{sum(len(users) for users in org_users)} comptes de candidats"
        )
        return Cast(
            seed=self.plan.seed,
            scale=self.plan.scale,
            staff=staff[0],
            committee=committee,
            organisations=organisations,
            org_users=org_users,
            member_org=member_org,
        )

    # -- learners

    def _learners(self, cast: Cast) -> None:
        """Learner records in the trainings labelled on the article's date."""
        labels = (
            Label.objects.filter(
                start_date__lte=AS_OF,
                end_date__gte=AS_OF,
                decision__dossier__in=list(cast.plan_of),
            )
            .select_related("training", "decision")
            .order_by("pk")
        )
        trainings = [
            TrainingFacts(
                training_id=label.training_id,
                organisation_id=label.training.organisation_id,
                label_start=label.start_date,
                duration_months=label.training.duration_months,
                is_free=label.training.is_free,
                department_code=label.training.department_code,
                site_qpv=label.training.site_qpv,
                women_affinity=cast.plan_of[label.decision.dossier_id].kind.women_affinity,
            )
            for label in labels
        ]
        total = scaled(PUBLISHED.learners, self.plan.scale)
        records = learner_records(trainings=trainings, total=total, seed=self.plan.seed)
        result = enrollments_upsert(records=records)
        self.summary.learners = result.learners
        self.summary.followups = result.followups
        self._progress(
            f"Apprenants : {result.learners} dans {len(trainings)} formations labellisées au "
            f"{AS_OF:%d/%m/%Y}, {result.followups} situations de suivi"
        )

    def _deliver_outbox(self) -> None:
        """Send the demo's notifications now, inside the load's transaction: once it commits,
        the tasks the services queued find them sent and stop (they are safe to run twice).
        Sent after the commit instead, each would be a transaction of its own, which costs
        minutes on SQLite for thousands of emails."""
        queued = OutboxEmail.objects.filter(
            status=OutboxEmail.Status.QUEUED, pk__gt=self.outbox_before
        ).order_by("pk")
        for pk in queued.values_list("pk", flat=True):
            outbox_deliver(outbox_id=pk)
            self.summary.emails += 1
        self._progress(f"Notifications envoyées (boîte locale) : {self.summary.emails}")
