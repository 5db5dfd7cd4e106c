"""The demo network as a plan: who applies to which call, when, with what, and how each
dossier's story ends. Pure Python (no database), so it is the same for a given seed and
scale whatever the database; `builder` then replays it through the services.

Sizes and dates follow the GEN network as described on 29 June 2018 (see
`/docs/demo.md`): 171 trainings labelled from the 2015 call, 229 from the 2016 call, and a
2018 call with 855 applications of which 347 end up labelled.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from trainings.geo import DEPARTMENTS

from . import names
from .calls import (
    CALLS,
    DECIDED_AT_FIRST_MEETING,
    DEFERRED,
    DEFERRED_LABELLED,
    DEFERRED_REJECTED,
    DEFERRED_WITHDRAWN,
    DRAFT,
    ENDS_LABELLED,
    IN_REVIEW_CORRECTION,
    LABELLED,
    REJECTED,
    SUBMITTED,
    CallPlan,
    paris,
)
from .names import Place, TrainingKind

# The date of the article the demo reproduces: learner records stop here.
AS_OF = datetime.date(2018, 6, 29)
DEFAULT_SEED = 20180629

DEMO_DOMAIN = "gen-demo.example"
# Printed by load_demo and in docs/demo.md on purpose: demo data only, never production.
DEMO_PASSWORD = "demo-gen-portail-2018"  # noqa: S105
STAFF_EMAIL = f"equipe@{DEMO_DOMAIN}"
COMMITTEE_EMAIL = f"comite@{DEMO_DOMAIN}"
APPLICANT_EMAIL = f"candidat@{DEMO_DOMAIN}"
ADMIN_EMAIL = f"administrateur@{DEMO_DOMAIN}"

# Share of the real 2018 call (855 applications) the demo builds by default: the whole call
# replayed through the services (reviews, decisions, notifications) takes too long to load
# for a demo; `load_demo --full-2018-call` builds it all (see docs/demo.md).
CALL_2018_SHARE = 0.5

COMMITTEE_SIZE = 12
ORGANISATIONS_AT_FULL_SCALE = 300


def scaled(count: int, scale: float) -> int:
    """A count at `scale`; never zero for something that exists at full scale, so every
    state and story stays present in small test networks."""
    if count == 0:
        return 0
    return max(1, round(count * scale))


# ------------------------------------------------------------------------------- the plan


@dataclass
class PersonPlan:
    first_name: str
    last_name: str
    email: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass
class OrganisationPlan:
    index: int
    name: str
    siret: str
    place: Place
    address: str
    members: list[PersonPlan]
    # How often it applies, relative to the others.
    activity: int
    joined_at: datetime.datetime | None = None


@dataclass
class DossierPlan:
    call: CallPlan
    path: str
    organisation: int
    creator: int  # index into the organisation's members
    kind: TrainingKind
    fields: dict[str, object]
    created_at: datetime.datetime
    submitted_at: datetime.datetime | None
    quality: float  # 0..1, drives review scores
    corrected: bool = False  # had a correction request answered before the decision


@dataclass
class CommitteeMemberPlan:
    person: PersonPlan
    # Organisation this member works for (a membership on the portal), if any.
    organisation: int | None = None


@dataclass
class NetworkPlan:
    seed: int
    scale: float
    organisations: list[OrganisationPlan]
    committee: list[CommitteeMemberPlan]
    staff: list[PersonPlan]
    dossiers: dict[str, list[DossierPlan]] = field(default_factory=dict)


def _unique_email(local: str, domain: str, taken: set[str]) -> str:
    email = f"{local}@{domain}"
    number = 2
    while email in taken:
        email = f"{local}{number}@{domain}"
        number += 1
    taken.add(email)
    return email


def _person(rng: random.Random, domain: str, taken: set[str]) -> PersonPlan:
    first, last = names.person_name(rng)
    email = _unique_email(f"{names.slug(first)}.{names.slug(last)}", domain, taken)
    return PersonPlan(first, last, email)


def _organisations(rng: random.Random, count: int, emails: set[str]) -> list[OrganisationPlan]:
    taken_names: set[str] = set()
    taken_sirets: set[str] = set()
    taken_domains: set[str] = set()
    organisations = []
    for index in range(count):
        # The first ones sit one per region, so every region, overseas included, gets a
        # labelled training whatever the scale.
        if index < len(names.REGION_ORDER):
            place = rng.choice(names.places_in_region(names.REGION_ORDER[index]))
        else:
            place = names.pick_place(rng)
        name = names.organisation_name(rng, place, taken_names)
        domain = names.slug(name)
        if domain in taken_domains:
            domain = f"{domain}-{index}"
        taken_domains.add(domain)
        members = []
        for _position in range(rng.choice((1, 1, 1, 1, 2, 2, 3))):
            members.append(_person(rng, f"{domain}.example", emails))
        organisations.append(
            OrganisationPlan(
                index=index,
                name=name,
                siret=names.siret(rng, taken_sirets),
                place=place,
                address=names.street_address(rng),
                members=members,
                activity=rng.choice((1, 1, 1, 2, 2, 3, 5)),
            )
        )
    # The demo applicant: a named account in the first organisation.
    organisations[0].members.insert(0, PersonPlan("Camille", "Durand", APPLICANT_EMAIL))
    emails.add(APPLICANT_EMAIL)
    return organisations


def _committee(
    rng: random.Random, organisations: Sequence[OrganisationPlan], emails: set[str]
) -> list[CommitteeMemberPlan]:
    members = [CommitteeMemberPlan(PersonPlan("Sophie", "Moreau", COMMITTEE_EMAIL))]
    emails.add(COMMITTEE_EMAIL)
    while len(members) < COMMITTEE_SIZE:
        members.append(CommitteeMemberPlan(_person(rng, f"comite.{DEMO_DOMAIN}", emails)))
    # Two members work for training organisations (never the demo applicant's): they must
    # never review their own organisation's dossiers.
    for member, organisation in zip(members[-2:], (5, 9), strict=True):
        member.organisation = organisation % len(organisations) or 1
    return members


def _staff(emails: set[str]) -> list[PersonPlan]:
    staff = [
        PersonPlan("Hélène", "Garnier", STAFF_EMAIL),
        PersonPlan("Thomas", "Lefèvre", f"thomas.lefevre@{DEMO_DOMAIN}"),
        PersonPlan("Nadia", "Benali", f"nadia.benali@{DEMO_DOMAIN}"),
    ]
    emails.update(person.email for person in staff)
    return staff


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` in proportion to `weights` into whole numbers that add up exactly
    (largest remainder; ties go to the first)."""
    weight_sum = sum(weights)
    if total == 0 or weight_sum <= 0:
        return [0] * len(weights)
    quotas = [total * weight / weight_sum for weight in weights]
    counts = [int(quota) for quota in quotas]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def exact_values(counts: dict, rng: random.Random) -> list:
    """A shuffled list holding exactly `counts[value]` copies of each value: shares come out
    exact by construction, not by luck."""
    values = [value for value, count in counts.items() for _i in range(count)]
    rng.shuffle(values)
    return values


def _submission_times(call: CallPlan, count: int, rng: random.Random) -> list[datetime.datetime]:
    """Submission times, crowding towards the deadline: on the last evening of the 2018 call
    about one application a minute arrived."""
    close = call.closes_at
    spans = (
        (0.15, call.opens_at + datetime.timedelta(days=7), close - datetime.timedelta(days=14)),
        (0.25, close - datetime.timedelta(days=14), close - datetime.timedelta(days=2)),
        (0.25, close - datetime.timedelta(days=2), close - datetime.timedelta(hours=6)),
        (0.35, close - datetime.timedelta(hours=6), close - datetime.timedelta(seconds=30)),
    )
    times = []
    counts = apportion(count, [share for share, _s, _e in spans])
    for position, ((_share, start, end), span_count) in enumerate(zip(spans, counts, strict=True)):
        seconds = int((end - start).total_seconds())
        for _i in range(span_count):
            moment = start + datetime.timedelta(seconds=rng.randint(0, seconds))
            if position < len(spans) - 1:
                # Office hours and evenings; any day before the last one stays before the
                # midnight deadline whatever the hour.
                moment = moment.replace(hour=rng.choice((9, 10, 11, 14, 15, 16, 17, 18, 21, 22)))
            times.append(moment)
    return sorted(times)


def _training_fields(
    rng: random.Random, kind: TrainingKind, place: Place, *, free: bool, site_qpv: str
) -> dict[str, object]:
    duration = rng.choice(kind.durations)
    planned = rng.randint(12, 48)
    fields: dict[str, object] = {
        "training_title": names.training_title(rng, kind),
        "training_description": names.training_description(rng),
        "targeted_jobs": "\n".join(kind.jobs),
        "duration_months": duration,
        "hours": duration * rng.choice((105, 120, 140, 150)),
        "is_free": free,
        "price": None if free else Decimal(rng.choice((450, 800, 1200, 1900, 2900, 3500))),
        "free_justification": "" if free else rng.choice(names.FREE_JUSTIFICATIONS),
        "diploma_required": False,
        "site_address": names.street_address(rng),
        "site_postcode": place.postcode,
        "site_city": place.city,
        "commune_code": place.commune_code,
        "department_code": place.department_code,
        "region_code": DEPARTMENTS[place.department_code][1],
        "site_qpv": site_qpv,
        "qpv_code": names.qpv_code(rng, place.department_code) if site_qpv == "in" else "",
        "planned_entrants_per_year": planned,
        "women_share_commitment": rng.randint(20, 50),
        "neet_share_commitment": rng.randint(50, 90),
        "qpv_share_commitment": rng.randint(10, 60),
        "support_description": rng.choice(names.SUPPORT_TEXTS),
        "immersion_weeks": rng.randint(2, 8),
        "partners": rng.choice(names.PARTNER_TEXTS),
        "budget_total": Decimal(planned * rng.randint(2500, 6000)),
    }
    return fields


def _draft_fields(rng: random.Random, kind: TrainingKind) -> dict[str, object]:
    # A draft someone started and never finished: a title and a few facts, no site yet.
    return {
        "training_title": names.training_title(rng, kind),
        "training_description": names.training_description(rng),
        "duration_months": rng.choice(kind.durations),
    }


_QUALITY = {
    LABELLED: (0.62, 0.95),
    DEFERRED_LABELLED: (0.55, 0.75),
    DEFERRED: (0.45, 0.65),
    DEFERRED_REJECTED: (0.3, 0.55),
    DEFERRED_WITHDRAWN: (0.4, 0.6),
    REJECTED: (0.1, 0.55),
}


class _Planner:
    def __init__(self, *, seed: int, scale: float, call_2018_share: float) -> None:
        self.seed = seed
        self.scale = scale
        self.call_2018_share = call_2018_share
        self.rng = random.Random(f"{seed}:plan")
        emails: set[str] = set()
        org_count = max(len(names.REGION_ORDER), round(ORGANISATIONS_AT_FULL_SCALE * scale))
        self.organisations = _organisations(self.rng, org_count, emails)
        self.committee = _committee(self.rng, self.organisations, emails)
        self.staff = _staff(emails)
        # Index of the next organisation that must get a labelled training in its own
        # region (see _organisations), across the 2015 and 2016 calls. Organisation 0 (the
        # demo applicant's, in Île-de-France) gets one in 2015 anyway.
        self.next_region_org = 1

    def plan(self) -> NetworkPlan:
        network = NetworkPlan(
            seed=self.seed,
            scale=self.scale,
            organisations=self.organisations,
            committee=self.committee,
            staff=self.staff,
        )
        for call in CALLS:
            network.dossiers[call.reference] = self._call(call)
        self._joined_dates(network)
        return network

    def _call(self, call: CallPlan) -> list[DossierPlan]:
        rng = random.Random(f"{self.seed}:call:{call.reference}")
        share = self.call_2018_share if call.reference == "2018" else 1.0
        counts = {path: scaled(count, self.scale * share) for path, count in call.paths.items()}
        paths = exact_values(counts, rng)
        # The demo applicant's organisation has a labelled dossier in every call and, in the
        # 2018 call, a dossier waiting for its correction, one submitted and one draft, so
        # its space shows each case.
        demo_paths = [LABELLED]
        if call.reference == "2018":
            demo_paths += [IN_REVIEW_CORRECTION, SUBMITTED, DRAFT]
        for wanted in reversed(demo_paths):
            paths.remove(wanted)
            paths.insert(0, wanted)

        labelled_total = sum(1 for path in paths if path in ENDS_LABELLED)
        free_flags = exact_values(
            {
                True: round(0.77 * labelled_total),
                False: labelled_total - round(0.77 * labelled_total),
            },
            rng,
        )
        qpv_in = round(call.labelled_qpv_in * labelled_total)
        qpv_undetermined = round(call.labelled_qpv_undetermined * labelled_total)
        qpv_flags = exact_values(
            {
                "in": qpv_in,
                "undetermined": qpv_undetermined,
                "out": labelled_total - qpv_in - qpv_undetermined,
            },
            rng,
        )

        submitted_count = sum(1 for path in paths if path != DRAFT)
        times = _submission_times(call, submitted_count, rng)
        # Shuffled so the demo organisation's dossiers are not the first ones numbered.
        rng.shuffle(times)
        weights = [organisation.activity for organisation in self.organisations]
        plans = []
        for position, path in enumerate(paths):
            if position < len(demo_paths):
                organisation = 0
            elif (
                path in ENDS_LABELLED
                and call.reference != "2018"
                and (self.next_region_org < len(names.REGION_ORDER))
            ):
                organisation = self.next_region_org
                self.next_region_org += 1
            else:
                organisation = rng.choices(range(len(self.organisations)), weights=weights)[0]
            plans.append(self._dossier(call, path, organisation, rng, free_flags, qpv_flags, times))
        return plans

    def _dossier(
        self,
        call: CallPlan,
        path: str,
        organisation_index: int,
        rng: random.Random,
        free_flags: list[bool],
        qpv_flags: list[str],
        times: list[datetime.datetime],
    ) -> DossierPlan:
        organisation = self.organisations[organisation_index]
        kind = rng.choice(names.TRAINING_KINDS)
        creator = 0 if organisation_index == 0 else rng.randrange(len(organisation.members))
        if path == DRAFT:
            span = int((call.closes_at - call.opens_at).total_seconds()) - 3600
            created = call.opens_at + datetime.timedelta(seconds=rng.randint(60, span))
            return DossierPlan(
                call=call,
                path=path,
                organisation=organisation_index,
                creator=creator,
                kind=kind,
                fields=_draft_fields(rng, kind),
                created_at=created,
                submitted_at=None,
                quality=rng.random(),
            )
        # Most trainings run where the organisation sits; networks open sites elsewhere.
        own_region = organisation_index < len(names.REGION_ORDER)
        place = organisation.place if own_region or rng.random() < 0.85 else names.pick_place(rng)
        if path in ENDS_LABELLED:
            free, site_qpv = free_flags.pop(), qpv_flags.pop()
        else:
            free = rng.random() < 0.7
            site_qpv = rng.choices(("in", "out", "undetermined"), weights=(20, 72, 8))[0]
        submitted = times.pop()
        earliest = call.opens_at + datetime.timedelta(hours=1)
        created = max(
            earliest, submitted - datetime.timedelta(seconds=rng.randint(7200, 20 * 86400))
        )
        low, high = _QUALITY.get(path, (0.2, 0.9))
        return DossierPlan(
            call=call,
            path=path,
            organisation=organisation_index,
            creator=creator,
            kind=kind,
            fields=_training_fields(rng, kind, place, free=free, site_qpv=site_qpv),
            created_at=created,
            submitted_at=submitted,
            quality=rng.uniform(low, high),
            corrected=path in DECIDED_AT_FIRST_MEETING and rng.random() < 0.04,
        )

    def _joined_dates(self, network: NetworkPlan) -> None:
        """Members joined the portal shortly before their organisation's first dossier."""
        first: dict[int, datetime.datetime] = {}
        for plans in network.dossiers.values():
            for plan in plans:
                if plan.organisation not in first or plan.created_at < first[plan.organisation]:
                    first[plan.organisation] = plan.created_at
        rng = random.Random(f"{self.seed}:joined")
        for organisation in network.organisations:
            start = first.get(organisation.index, paris(2018, 5, 2, 10))
            organisation.joined_at = start - datetime.timedelta(minutes=rng.randint(10, 2000))


def network_plan(
    *, seed: int = DEFAULT_SEED, scale: float = 1.0, call_2018_share: float = CALL_2018_SHARE
) -> NetworkPlan:
    return _Planner(seed=seed, scale=scale, call_2018_share=call_2018_share).plan()
