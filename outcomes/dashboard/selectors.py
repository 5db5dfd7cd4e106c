"""Reads of the staff dashboard.

Every indicator figure comes from what a published run stored: its cells (`IndicatorValue`),
read with a handful of queries that seek slices of the unique cell index
(run, code, period, dimension, key), and, for the one table that grows with the network (by
training), its trainings' counts (`TrainingCounts`), filtered, sorted and paged by the
database. The number of queries does not depend on the volume of data. The one figure the
engine does not store, the time from submission to decision, is one SQL aggregate over the
dossiers (a few thousand rows at most).
"""

from __future__ import annotations

import datetime
from collections import namedtuple
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from labelling.models import Call, Decision
from outcomes.indicators.catalogue import ALL, HEADLINE_CODES, Dimension
from outcomes.indicators.engine import TRAINING_TABLE_OUTCOME, Context
from outcomes.indicators.selectors import FIGURES, latest_published_run
from outcomes.models import IndicatorRun, IndicatorValue, TrainingCounts
from trainings.models import Training

# --- what the page reads ----------------------------------------------------------------------

# Also the outcome the trainings' stored counts carry as columns for the table by training.
HEADLINE_OUTCOME = TRAINING_TABLE_OUTCOME
HEADLINE_COVERAGE = "followup_coverage_m3"
# Yearly trends: counts as bars, rates as lines.
TREND_COUNT_CODES = ("entrants", "learners_total", "labelled_trainings")
TREND_PROFILE_CODES = ("women_share", "neet_share", "qpv_resident_share", "free_access_share")
TREND_OUTCOME_CODES = (HEADLINE_OUTCOME, HEADLINE_COVERAGE, "dropout_rate")
NATIONAL_CODES = tuple(
    dict.fromkeys((*HEADLINE_CODES, *TREND_COUNT_CODES, *TREND_PROFILE_CODES, *TREND_OUTCOME_CODES))
)
# Columns of the tables by region and by department (and the map's choices).
GEO_CODES = (
    "entrants",
    "women_share",
    "neet_share",
    "qpv_resident_share",
    "free_access_share",
    HEADLINE_OUTCOME,
    "labelled_trainings",
    "qpv_training_share",
)
# Columns of the table by call.
CALL_CODES = ("applications", "acceptance_rate", "labelled_trainings", "entrants", HEADLINE_OUTCOME)

CellKey = tuple[str, str, str, str]  # code, period, dimension, key


CELL_COLUMNS = ("code", "period", "dimension", "key", "target", *FIGURES)
CellRow = namedtuple("CellRow", CELL_COLUMNS)


def _cells(run: IndicatorRun, codes, periods, dimensions) -> dict[CellKey, CellRow]:
    """The cells of every (code, period, dimension), in one query: a UNION ALL of one branch
    per combination, each an equality on the first four columns of the unique cell index.

    Why not `code IN (...) AND dimension IN (...)`: right after a run is published the table's
    statistics do not know its run id yet (autovacuum analyses it later), and PostgreSQL then
    seeks the index on (run, period) only and filters the rest: a scan of every cell of the
    run (tens of milliseconds for a large network). With equalities it seeks each slice
    exactly, statistics or not. Written as SQL: compiling some fifty ORM branches cost more than
    running them."""
    table = connection.ops.quote_name(IndicatorValue._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column) for column in CELL_COLUMNS)
    branch = (
        f"SELECT {columns} FROM {table} "  # noqa: S608 (names from the model, values bound)
        "WHERE run_id = %s AND code = %s AND period = %s AND dimension = %s"
    )
    combinations = [(c, p, str(d)) for c in codes for p in periods for d in dimensions]
    params = [value for combination in combinations for value in (run.pk, *combination)]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join([branch] * len(combinations)), params)
        rows = [CellRow(*row) for row in cursor.fetchall()]
    return {(row.code, row.period, row.dimension, row.key): row for row in rows}


# --- runs -----------------------------------------------------------------------------------


def shown_run(as_of: datetime.date | None = None) -> IndicatorRun | None:
    """The run the dashboard shows: the latest published one, or the latest published for
    `as_of` (staff may go back to an earlier as-of date, e.g. the demo's 29 June 2018)."""
    return latest_published_run(as_of)


def published_dates(limit: int = 100) -> list[datetime.date]:
    """As-of dates that have a published run, most recent first."""
    return list(
        IndicatorRun.objects.published()
        .order_by("-as_of")
        .values_list("as_of", flat=True)
        .distinct()[:limit]
    )


def latest_run() -> IndicatorRun | None:
    """The run asked for last, whatever its state: the dashboard follows it."""
    return (
        IndicatorRun.objects.select_related("requested_by").order_by("-created_at", "-pk").first()
    )


def stale_after() -> datetime.timedelta:
    """After this long a queued or running run has lost its message or its worker: the same
    allowance as `outcomes.indicators.runs` gives before another worker may take a run over
    (the task's hard time limit, plus a minute)."""
    return datetime.timedelta(seconds=int(settings.CELERY_TASK_TIME_LIMIT) + 60)


def runs_in_progress(now: datetime.datetime | None = None) -> QuerySet[IndicatorRun]:
    """Runs queued or running that may still finish (not stale)."""
    since = (now or timezone.now()) - stale_after()
    return IndicatorRun.objects.filter(
        Q(status=IndicatorRun.Status.QUEUED, created_at__gte=since)
        | Q(status=IndicatorRun.Status.RUNNING, started_at__gte=since)
    )


def run_is_stale(run: IndicatorRun, now: datetime.datetime | None = None) -> bool:
    since = (now or timezone.now()) - stale_after()
    if run.status == IndicatorRun.Status.QUEUED:
        return run.created_at < since
    if run.status == IndicatorRun.Status.RUNNING:
        return run.started_at is None or run.started_at < since
    return False


# --- stored values ------------------------------------------------------------------------------


def national_cells(run: IndicatorRun) -> dict[CellKey, CellRow]:
    """National figures of period `all` and the `year` table (the national figure of each
    year), for the tiles and the trends: one query."""
    return _cells(run, NATIONAL_CODES, [ALL], [Dimension.NATIONAL, Dimension.YEAR])


def geo_cells(run: IndicatorRun, period: str) -> dict[CellKey, CellRow]:
    """Region and department cells of one period, with the national cells of that period
    (the tables' total row): one query."""
    return _cells(
        run, GEO_CODES, [period], [Dimension.NATIONAL, Dimension.REGION, Dimension.DEPARTMENT]
    )


def call_cells(run: IndicatorRun) -> dict[CellKey, CellRow]:
    """Cells by call of the label, since the beginning: one query."""
    return _cells(run, CALL_CODES, [ALL], [Dimension.CALL])


def call_titles(references) -> dict[str, str]:
    return dict(
        Call.objects.filter(reference__in=list(references)).values_list("reference", "title")
    )


@dataclass(frozen=True)
class DecisionDelay:
    decided: int  # dossiers with a decision, the mean's population
    mean_days: float | None


def decision_delays(*, as_of: datetime.date) -> dict[str, DecisionDelay]:
    """Mean number of days from submission to the first decision (labelled, rejected or
    deferred: the dossiers counted as decided by `acceptance_rate`), per call, over dossiers
    submitted and decided on or before the as-of date (Paris time): one query over the
    decisions that have no earlier decision for their dossier.

    A mean, not a median: it is the same SQL on PostgreSQL and SQLite (DESIGN.md §2 asks for
    identical results on both), and dossiers of one call are decided at a few committee
    meetings, so their delays have no long tail to distort it."""
    end = Context.for_date(as_of).day_end(as_of)
    earlier = Decision.objects.filter(dossier=OuterRef("dossier"), decided_at__lt=end).filter(
        Q(decided_at__lt=OuterRef("decided_at"))
        | Q(decided_at=OuterRef("decided_at"), pk__lt=OuterRef("pk"))
    )
    rows = (
        Decision.objects.filter(decided_at__lt=end, dossier__submitted_at__lt=end)
        .filter(~Exists(earlier))
        .order_by()
        .values("dossier__call__reference")
        .annotate(
            decided=Count("pk"),
            mean_wait=Avg(
                ExpressionWrapper(
                    F("decided_at") - F("dossier__submitted_at"), output_field=DurationField()
                )
            ),
        )
    )
    return {
        row["dossier__call__reference"]: DecisionDelay(
            decided=row["decided"],
            mean_days=(
                row["mean_wait"].total_seconds() / 86400 if row["mean_wait"] is not None else None
            ),
        )
        for row in rows
    }


# --- the table by training ---------------------------------------------------------------------


class Flag:
    """Where a training's headline outcome stands against the national rate of the period."""

    BELOW = "below"
    ABOVE = "above"
    NONE = ""


def training_rows(run: IndicatorRun, period: str, national_rate: float | None) -> QuerySet:
    """One row per training with cells in `period` (an entrant or an exit): its entrants,
    exits and drop-outs, and the headline outcome with its interval, coverage and lower
    bound, with the training's title, organisation and place.

    Built on the trainings, each figure a correlated lookup of the training's stored counts
    by their whole unique key (run, period, key): exact index seeks whatever the statistics
    (see `_cells`), evaluated only for the rows a filter or a sort needs, and for the page's
    rows. The figures are the columns `engine.training_counts_row` derived from the counts.

    `flag` says whether the training's Wilson 95 % interval lies wholly below or above the
    national rate of the same period (see docs/decisions.md). Filters and sorting apply to
    this queryset."""
    counts = TrainingCounts.objects.filter(run=run, period=period, key=OuterRef("code"))

    def figure(field: str) -> Subquery:
        return Subquery(counts.values(field)[:1])

    rows = (
        Training.objects.filter(
            Exists(counts.filter(Q(entrants__isnull=False) | Q(exits__isnull=False)))
        )
        .order_by()
        .annotate(
            key=F("code"),
            organisation_name=F("organisation__name"),
            **{name: figure(name) for name in TRAINING_FIGURES},
        )
    )
    if national_rate is None:
        flag = Value(Flag.NONE, output_field=CharField())
    else:
        flag = Case(
            When(ci_high__lt=national_rate, then=Value(Flag.BELOW)),
            When(ci_low__gt=national_rate, then=Value(Flag.ABOVE)),
            default=Value(Flag.NONE),
            output_field=CharField(),
        )
    return rows.annotate(flag=flag).values(
        "key",
        "title",
        "organisation_name",
        "region_code",
        "department_code",
        *TRAINING_FIGURES,
        "flag",
    )


TRAINING_FIGURES = (
    "entrants",
    "exits",
    "dropouts",
    "positive",
    "known",
    "rate",
    "ci_low",
    "ci_high",
    "coverage",
    "lower_bound",
)
