"""Reads over learner records. Every figure is one SQL aggregation in the database."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q

from gen_portal.dates import milestone_cutoff
from learners.models import NEET_SITUATIONS, Enrollment
from trainings.models import Training

from .situations import KNOWN, POSITIVE, Milestone


@dataclass(frozen=True)
class Share:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class NetworkProfile:
    as_of: datetime.date
    learners: int
    enrollments: int
    women: Share
    neet: Share
    qpv_residents: Share
    free_access: Share
    positive_m3: Share  # among matured exits with a known situation at 3 months
    unknown_m3: Share  # matured exits whose 3-month situation is unknown or missing
    labelled_trainings: int


def network_profile(*, as_of: datetime.date) -> NetworkProfile:
    """The network's headline profile on `as_of` (DESIGN.md §5 definitions, national, `all`
    period), in two aggregate queries whatever the number of records."""
    cutoff_m3 = milestone_cutoff(as_of, 3)
    entered = Enrollment.objects.filter(entry_date__lte=as_of)
    m3 = Q(followups__milestone=Milestone.M3)
    matured = Q(exit_date__isnull=False, exit_date__lte=cutoff_m3)
    row = entered.aggregate(
        learners=Count("learner", distinct=True),
        enrollments=Count("pk", distinct=True),
        women=Count("pk", filter=Q(learner__sex="F"), distinct=True),
        sex_known=Count("pk", filter=~Q(learner__sex=""), distinct=True),
        neet=Count("pk", filter=Q(situation_at_entry__in=NEET_SITUATIONS), distinct=True),
        situation_known=Count("pk", filter=~Q(situation_at_entry=""), distinct=True),
        qpv=Count("pk", filter=Q(qpv_resident=True), distinct=True),
        qpv_known=Count("pk", filter=Q(qpv_resident__isnull=False), distinct=True),
        free=Count("pk", filter=Q(free_access=True), distinct=True),
        free_known=Count("pk", filter=Q(free_access__isnull=False), distinct=True),
        matured=Count("pk", filter=matured, distinct=True),
        known_m3=Count(
            "pk", filter=matured & m3 & Q(followups__situation__in=KNOWN), distinct=True
        ),
        positive_m3=Count(
            "pk", filter=matured & m3 & Q(followups__situation__in=POSITIVE), distinct=True
        ),
    )
    labelled = Training.objects.labelled_on(as_of).count()
    return NetworkProfile(
        as_of=as_of,
        learners=row["learners"],
        enrollments=row["enrollments"],
        women=Share(row["women"], row["sex_known"]),
        neet=Share(row["neet"], row["situation_known"]),
        qpv_residents=Share(row["qpv"], row["qpv_known"]),
        free_access=Share(row["free"], row["free_known"]),
        positive_m3=Share(row["positive_m3"], row["known_m3"]),
        unknown_m3=Share(row["matured"] - row["known_m3"], row["matured"]),
        labelled_trainings=labelled,
    )
