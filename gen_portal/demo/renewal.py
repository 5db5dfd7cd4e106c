"""A recent renewal call, so the public catalogue has trainings labelled today.

The demo network stands on 29 June 2018 and every one of its labels ended between 2019 and
2021. This step replays one more call, dated relative to today (opened about nine months
ago, decided about four months ago), in which about 150 of the network's trainings apply
for a renewal (`Dossier.existing_training`) and are labelled again for 36 months through the
same services as the historical calls; a few renewals are refused. Each renewed training
then announces its sessions (one may be running, one or two are upcoming).

Nothing of 2018 changes: the renewal call is a new call, its labels start this year, and no
learner is added, so `network_profile(2018-06-29)` and the 2015–2018 calls' counts stay what
they were. Same seed, same choices; only the dates move with today.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from trainings.models import Label, Training
from trainings.services import session_create

from . import calls as c
from .plan import DossierPlan, apportion, scaled
from .replay import CallReplay, Cast, between

RENEWED_AT_FULL_SCALE = 150
REFUSED_AT_FULL_SCALE = 12

# Days before today.
OPENS_DAYS_AGO = 270
CLOSES_DAYS_AGO = 200
FIRST_MEETING_DAYS_AGO = 120
SECOND_MEETING_DAYS_AGO = 113


def _at(day: datetime.date, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return c.paris(day.year, day.month, day.day, hour, minute)


def renewal_call_plan(today: datetime.date, *, renewed: int, refused: int) -> c.CallPlan:
    opens = today - datetime.timedelta(days=OPENS_DAYS_AGO)
    closes = today - datetime.timedelta(days=CLOSES_DAYS_AGO)
    return c.CallPlan(
        reference=renewal_reference(today),
        title=f"Appel à labellisation {opens.year} : renouvellement des labels",
        description="Renouvellement du label des formations du réseau arrivées au terme de "
        "leurs trois ans, avec un objectif de 30 % de formations implantées dans les "
        "quartiers prioritaires.",
        opens_at=_at(opens, 10),
        closes_at=_at(closes),
        meetings=(
            _at(today - datetime.timedelta(days=FIRST_MEETING_DAYS_AGO), 9, 30),
            _at(today - datetime.timedelta(days=SECOND_MEETING_DAYS_AGO), 9, 30),
        ),
        location="Paris, Grande école du numérique",
        required_attachments=("statutes", "budget"),
        criteria=(*c._CRITERIA_BASE[:4], c._CRITERION_QPV, c._CRITERION_ELIGIBILITY),
        qpv_training_target=Decimal("0.30"),
        paths={c.LABELLED: renewed, c.REJECTED: refused},
        labelled_qpv_in=0.0,  # the trainings keep their own sites
        labelled_qpv_undetermined=0.0,
    )


def renewal_reference(today: datetime.date) -> str:
    """The call's reference: the year it opened."""
    return str((today - datetime.timedelta(days=OPENS_DAYS_AGO)).year)


@dataclass
class RenewalSummary:
    reference: str = ""
    renewed: int = 0
    refused: int = 0
    sessions: int = 0
    labels_end: datetime.date | None = None


def _spread_over_regions(
    trainings: Sequence[Training], count: int, rng: random.Random
) -> list[Training]:
    """`count` trainings, every region getting at least one when there are enough, the rest
    in proportion to each region's share of the network."""
    by_region: dict[str, list[Training]] = defaultdict(list)
    for training in trainings:
        by_region[training.region_code].append(training)
    regions = sorted(by_region)
    count = min(count, len(trainings))
    base = [1 if count >= len(regions) else 0 for _region in regions]
    room = [len(by_region[region]) - first for region, first in zip(regions, base, strict=True)]
    extra = apportion(count - sum(base), room)
    chosen = []
    for region, first, more in zip(regions, base, extra, strict=True):
        pool = by_region[region]
        chosen += rng.sample(pool, k=min(len(pool), first + more))
    return sorted(chosen, key=lambda training: training.code)


class Renewal:
    def __init__(self, *, cast: Cast, today: datetime.date) -> None:
        self.cast = cast
        self.today = today
        self.rng = random.Random(f"{cast.seed}:renewal")

    def run(self) -> RenewalSummary:
        labels = (
            Label.objects.filter(decision__dossier__in=list(self.cast.plan_of))
            .select_related("training", "decision")
            .order_by("training__code")
        )
        original: dict[int, int] = {}  # training pk -> the dossier that created it
        trainings: list[Training] = []
        for label in labels:
            if label.training_id not in original:
                original[label.training_id] = label.decision.dossier_id
                trainings.append(label.training)
        wanted = scaled(RENEWED_AT_FULL_SCALE, self.cast.scale)
        refused_count = scaled(REFUSED_AT_FULL_SCALE, self.cast.scale)
        renewed = _spread_over_regions(trainings, wanted, self.rng)
        others = [training for training in trainings if training not in set(renewed)]
        refused = sorted(
            self.rng.sample(others, k=min(len(others), refused_count)), key=lambda t: t.code
        )

        call_plan = renewal_call_plan(self.today, renewed=len(renewed), refused=len(refused))
        index_of = {org.pk: index for index, org in enumerate(self.cast.organisations)}
        plans = [
            self._plan(call_plan, training, original[training.pk], path, index_of)
            for training, path in [
                *((training, c.LABELLED) for training in renewed),
                *((training, c.REJECTED) for training in refused),
            ]
        ]
        self.rng.shuffle(plans)
        CallReplay(cast=self.cast, call_plan=call_plan, plans=plans).run()
        sessions = sum(self._sessions(training) for training in renewed)
        last = (
            Label.objects.filter(call__reference=call_plan.reference)
            .order_by("-end_date")
            .values_list("end_date", flat=True)
            .first()
        )
        return RenewalSummary(
            reference=call_plan.reference,
            renewed=len(renewed),
            refused=len(refused),
            sessions=sessions,
            labels_end=last,
        )

    def _plan(
        self,
        call_plan: c.CallPlan,
        training: Training,
        dossier_pk: int,
        path: str,
        index_of: dict[int, int],
    ) -> DossierPlan:
        first = self.cast.plan_of[dossier_pk]
        # The renewal restates the training as labelled, with this year's commitments.
        fields = {**first.fields, "existing_training": training}
        fields["planned_entrants_per_year"] = self.rng.randint(12, 48)
        submitted = between(
            self.rng,
            call_plan.opens_at + datetime.timedelta(days=7),
            call_plan.closes_at - datetime.timedelta(minutes=5),
        )
        created = max(
            call_plan.opens_at + datetime.timedelta(hours=1),
            submitted - datetime.timedelta(days=self.rng.randint(1, 20)),
        )
        low, high = (0.65, 0.95) if path == c.LABELLED else (0.2, 0.5)
        return DossierPlan(
            call=call_plan,
            path=path,
            organisation=index_of[training.organisation_id],
            creator=0,
            kind=first.kind,
            fields=fields,
            created_at=created,
            submitted_at=submitted,
            quality=self.rng.uniform(low, high),
        )

    def _sessions(self, training: Training) -> int:
        """Sessions as an organisation announces them: sometimes one running, usually one or
        two upcoming (a few trainings announce none yet)."""
        length = datetime.timedelta(days=30 * training.duration_months)
        starts: list[datetime.date] = []
        if self.rng.random() < 0.35:
            starts.append(self.today - datetime.timedelta(days=self.rng.randint(10, 60)))
        upcoming = self.rng.choices((0, 1, 2), weights=(1, 5, 4))[0]
        start = self.today
        for _number in range(upcoming):
            start = start + datetime.timedelta(days=self.rng.randint(14, 120))
            starts.append(start)
        place = ", ".join(part for part in (training.site_address, training.site_city) if part)
        for start in starts:
            session_create(
                training=training,
                start_date=start,
                end_date=start + length,
                capacity=self.rng.choice((12, 14, 16, 20, 24)),
                place=place,
            )
        return len(starts)
