"""Computes every indicator of the catalogue for one as-of date, by SQL aggregation.

The database does the counting, with the same statements on PostgreSQL and SQLite; Python
only walks aggregated rows (a few per key and year), never the enrollments, so the number of
queries of a run is fixed by the catalogue, and its cost follows the database.

How a run counts:

1. Staging, one scan of the enrollments: the conditional counts of every cohort indicator
   (`Count(filter=Q(...))`, built by the ORM) grouped by (training, sex, entry year, exit
   year) into a temporary table. Each follow-up milestone is joined once with its own
   condition (at most one follow-up per enrollment and milestone, a unique constraint), so
   no join multiplies rows and plain counts are exact. A second small temporary table holds
   each training's codes and call.
2. Roll-ups of the staged counts, one query per breakdown and cohort: entry-cohort counts by
   entry year, exit-cohort counts by exit year, and the stock in training at the end of year
   P (entered by P, not exited by P: an exit after the as-of date is no exit yet).
3. Distinct learners: a learner with a single enrollment is one learner in every cell that
   holds that enrollment, so a cell has as many learners as entrants, less the enrollments
   of learners with several, plus those learners counted once. The few learners with
   several enrollments are staged apart and counted with COUNT(DISTINCT) per breakdown.
4. Labels (trainings under label at the end of each period, one column per period) and
   applications (dossiers by call and year of submission): small tables, one ORM query per
   breakdown.
5. Cells: each (breakdown, key, period) has its counts; `cell_rows` turns them into the cells
   of every indicator (value, Wilson interval, coverage, lower bound, target). They are
   stored one by one (`IndicatorValue`), except in the training breakdown, where the counts
   are stored (`TrainingCounts`) and the same function derives the cells when they are read:
   93 % of a run's cells, whose writing cost more than the counting (docs/performance.md).

As-of rules: an entry after the as-of date is ignored; an exit after it counts as no exit
yet; a follow-up situation counts only once its milestone is reached (exit date + K months
on or before the as-of date, `gen_portal.dates.milestone_cutoff`); labels are taken as they
stood on each date (an expired label was in force until its end, a withdrawn one until its
withdrawal); dossiers and decisions after the as-of date (Paris time) are ignored.

The call of a training (breakdown `call` of learner indicators) is the call of its most
recent label started on or before the as-of date, whatever became of that label; a training
without such a label has no call. For `labelled_trainings`, it is the call of the label in
force on the day.
"""

from __future__ import annotations

import datetime
import functools
import io
import json
import logging
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import (
    Case,
    Count,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, ExtractYear

from gen_portal.dates import milestone_cutoff
from labelling.models import Decision, Dossier
from learners.models import NEET_SITUATIONS, Enrollment, ExitReason, Sex
from outcomes.models import IndicatorValue, TrainingCounts
from outcomes.situations import GROUPS, MILESTONE_MONTHS, Milestone
from trainings.models import Label, Training

from .catalogue import ALL, CATALOGUE, Dimension, Indicator, Kind, target_for
from .wilson import wilson_interval

logger = logging.getLogger(__name__)

# Outcome groups counted at every milestone, besides "matured" (the denominator of coverage).
OUTCOME_COUNTS = ("known", "positive", "employment", "durable", "further_study")
ENTRY_COUNTS = (
    "entrants",
    "women",
    "sex_known",
    "neet",
    "situation_known",
    "qpv",
    "qpv_known",
    "free",
    "free_known",
)
EXIT_COUNTS = (
    "exits",
    "dropouts",
    *(f"{name}_{m.value}" for m in Milestone for name in ("matured", *OUTCOME_COUNTS)),
)
LABEL_COUNTS = ("labelled", "labelled_free", "labelled_qpv_in", "labelled_qpv_known")
APPLICATION_COUNTS = ("applications", "decided", "accepted")

ENROLLMENT_DIMENSIONS = (
    Dimension.NATIONAL,
    Dimension.REGION,
    Dimension.DEPARTMENT,
    Dimension.TRAINING,
    Dimension.CALL,
)
# Breakdowns of exit-cohort indicators only.
EXIT_ONLY_DIMENSIONS = (Dimension.SEX,)
LABEL_DIMENSIONS = (Dimension.NATIONAL, Dimension.REGION, Dimension.DEPARTMENT, Dimension.CALL)

# The key of each breakdown in the roll-ups: `c` is the staged cohort table, `t` the staged
# trainings.
ROLLUP_KEYS = {
    Dimension.NATIONAL: None,
    Dimension.REGION: "t.region_code",
    Dimension.DEPARTMENT: "t.department_code",
    Dimension.TRAINING: "t.code",
    Dimension.CALL: "t.call_ref",
    Dimension.SEX: "c.sex",
}


@dataclass(frozen=True)
class Context:
    as_of: datetime.date
    # Per milestone, the last exit date whose milestone is reached on the as-of date.
    cutoffs: dict[str, datetime.date]

    @classmethod
    def for_date(cls, as_of: datetime.date) -> Context:
        return cls(
            as_of=as_of,
            cutoffs={m.value: milestone_cutoff(as_of, MILESTONE_MONTHS[m]) for m in Milestone},
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(settings.TIME_ZONE)

    def day_end(self, day: datetime.date) -> datetime.datetime:
        """The first instant after `day`, Paris time: timestamps before it are on or before
        `day`."""
        return datetime.datetime.combine(
            day + datetime.timedelta(days=1), datetime.time.min, tzinfo=self.tz
        )

    def period_end(self, period: str) -> datetime.date:
        """The day a stock is taken for a period: 31 December, or the as-of date for `all`
        and for the as-of date's own year."""
        if period == ALL:
            return self.as_of
        return min(datetime.date(int(period), 12, 31), self.as_of)


class ValueRow(NamedTuple):
    """One cell: as stored in IndicatorValue (without the run), or derived from a training's
    counts."""

    code: str
    period: str
    dimension: str
    key: str
    numerator: int | None
    denominator: int | None
    value: float | None
    ci_low: float | None
    ci_high: float | None
    coverage: float | None
    lower_bound: float | None
    target: float | None


VALUE_FIELDS = ValueRow._fields
ProgressCallback = Callable[[int], None]
Cell = tuple[str, str, str]  # dimension, key, period


class Tally:
    """Counts per cell, filled from aggregated rows."""

    def __init__(self) -> None:
        self.cells: dict[Cell, dict[str, int]] = defaultdict(dict)

    def add(self, cell: Cell, names: Iterable[str], counts: Iterable[int]) -> None:
        target = self.cells[cell]
        for name, count in zip(names, counts, strict=True):
            target[name] = target.get(name, 0) + count


# --- staging --------------------------------------------------------------------------------


class Staging:
    """The temporary tables of one computation. They live in the database session only and
    are dropped when the computation ends, whatever happens."""

    def __init__(self) -> None:
        suffix = uuid.uuid4().hex[:12]
        self.trainings = f"indicators_trainings_{suffix}"
        self.cohorts = f"indicators_cohorts_{suffix}"
        self.repeaters = f"indicators_repeaters_{suffix}"
        self.created: list[str] = []

    def create(self, name: str, queryset: QuerySet) -> None:
        sql, params = queryset.query.sql_with_params()
        self.created.append(name)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE {_q(name)} AS {sql}", params)

    def drop(self) -> None:
        try:
            with connection.cursor() as cursor:
                for name in self.created:
                    cursor.execute(f"DROP TABLE IF EXISTS {_q(name)}")
        except DatabaseError:
            # Only when an error has already broken the enclosing transaction: its rollback
            # takes the tables away, and the error that stopped the run is the one to report.
            logger.warning("Temporary tables of an indicator run left to the rollback.")
        self.created.clear()


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def _situations(group: str) -> list[str]:
    return sorted(situation.value for situation in GROUPS[group])


def _year(field: str):
    return Cast(ExtractYear(field), IntegerField())


def _entered(ctx: Context) -> QuerySet:
    # Meta.ordering is not applied to GROUP BY queries, but clearing it keeps the SQL plain.
    return Enrollment.objects.filter(entry_date__lte=ctx.as_of).order_by()


def _repeaters(ctx: Context) -> QuerySet:
    """Learners with more than one enrollment entered on or before the as-of date."""
    return (
        _entered(ctx)
        .values("learner_id")
        .annotate(enrollments=Count("pk"))
        .filter(enrollments__gt=1)
        .values("learner_id")
    )


def trainings_queryset(ctx: Context) -> QuerySet:
    """Each training's breakdown keys, with the call of its latest label started on or before
    the as-of date (a correlated subquery, but one per training, not per enrollment)."""
    latest_label = Label.objects.filter(
        training_id=OuterRef("pk"), start_date__lte=ctx.as_of
    ).order_by("-start_date", "-pk")
    return (
        Training.objects.order_by()
        .annotate(call_ref=Subquery(latest_label.values("call__reference")[:1]))
        .values("id", "code", "region_code", "department_code", "call_ref")
    )


def cohorts_queryset(ctx: Context) -> QuerySet:
    """Conditional counts of every entry and exit cohort indicator, grouped by (training,
    sex, entry year, exit year)."""
    counts: dict[str, Count] = {
        "entrants": Count("pk"),
        "women": Count("pk", filter=Q(learner__sex=Sex.FEMALE)),
        "sex_known": Count("pk", filter=~Q(learner__sex=Sex.UNKNOWN)),
        "neet": Count("pk", filter=Q(situation_at_entry__in=NEET_SITUATIONS)),
        "situation_known": Count("pk", filter=~Q(situation_at_entry="")),
        "qpv": Count("pk", filter=Q(qpv_resident=True)),
        "qpv_known": Count("pk", filter=Q(qpv_resident__isnull=False)),
        "free": Count("pk", filter=Q(free_access=True)),
        "free_known": Count("pk", filter=Q(free_access__isnull=False)),
        "exits": Count("pk", filter=Q(exit_date__lte=ctx.as_of)),
        "dropouts": Count("pk", filter=Q(exit_date__lte=ctx.as_of, exit_reason=ExitReason.DROPOUT)),
    }
    for m in Milestone:
        matured = Q(exit_date__lte=ctx.cutoffs[m.value])
        counts[f"matured_{m.value}"] = Count("pk", filter=matured)
        for group in OUTCOME_COUNTS:
            situation = Q(**{f"fu_{m.value}__situation__in": _situations(group)})
            counts[f"{group}_{m.value}"] = Count("pk", filter=matured & situation)
    return (
        _entered(ctx)
        .annotate(
            **{
                f"fu_{m.value}": FilteredRelation(
                    "followups", condition=Q(followups__milestone=m.value)
                )
                for m in Milestone
            },
            sex=F("learner__sex"),
            entry_year=_year("entry_date"),
            exit_year=Case(
                When(exit_date__lte=ctx.as_of, then=_year("exit_date")),
                default=Value(None),
                output_field=IntegerField(),
            ),
        )
        .values("training_id", "sex", "entry_year", "exit_year")
        .annotate(**counts)
    )


def repeaters_queryset(ctx: Context) -> QuerySet:
    """Enrollments of learners with several, by (learner, training, entry year).

    A positive IN, which PostgreSQL runs as a semi-join (a NOT IN in the staging's counts
    would be evaluated row by row against the whole subquery)."""
    return (
        _entered(ctx)
        .filter(learner_id__in=_repeaters(ctx))
        .annotate(entry_year=_year("entry_date"))
        .values("learner_id", "training_id", "entry_year")
        .annotate(enrollments=Count("pk"))
    )


# --- roll-ups of the staged counts ------------------------------------------------------------


def _sums(names: Iterable[str]) -> str:
    return ", ".join(f"CAST(SUM(c.{_q(name)}) AS BIGINT)" for name in names)


def _from_cohorts(staging: Staging, dimension: Dimension) -> str:
    tables = f"{_q(staging.cohorts)} c"
    if ROLLUP_KEYS[dimension] and ROLLUP_KEYS[dimension].startswith("t."):
        tables += f" JOIN {_q(staging.trainings)} t ON t.id = c.training_id"
    return tables


def _group_by(dimension: Dimension, *columns: str) -> str:
    # PostgreSQL refuses a constant in GROUP BY: the national key is selected, not grouped.
    key = ROLLUP_KEYS[dimension]
    return "GROUP BY " + ", ".join([key, *columns] if key else columns)


def rollup_rows(staging: Staging, dimension: Dimension) -> dict[str, list[tuple]]:
    """The staged counts of one breakdown: entry cohorts by entry year, exit cohorts by exit
    year, and entrants by (entry year, exit year) for the stocks. Three small queries."""
    key = ROLLUP_KEYS[dimension] or "''"
    tables = _from_cohorts(staging, dimension)
    rows = {
        "exit": _rows(
            f"SELECT {key}, c.exit_year, {_sums(EXIT_COUNTS)} FROM {tables} "  # noqa: S608
            f"WHERE c.exit_year IS NOT NULL {_group_by(dimension, 'c.exit_year')}"
        )
    }
    if dimension not in EXIT_ONLY_DIMENSIONS:
        rows["entry"] = _rows(
            f"SELECT {key}, c.entry_year, {_sums(ENTRY_COUNTS)} FROM {tables} "  # noqa: S608
            f"{_group_by(dimension, 'c.entry_year')}"
        )
        rows["stock"] = _rows(
            f"SELECT {key}, c.entry_year, c.exit_year, {_sums(['entrants'])} "  # noqa: S608
            f"FROM {tables} {_group_by(dimension, 'c.entry_year', 'c.exit_year')}"
        )
    return rows


def repeater_rows(staging: Staging, dimension: Dimension) -> list[tuple]:
    """Enrollments and distinct learners of learners with several enrollments, by (key,
    entry year) and by key over all years (entry year NULL): one query."""
    key = ROLLUP_KEYS[dimension] or "''"
    tables = f"{_q(staging.repeaters)} c"
    if dimension != Dimension.NATIONAL:
        tables += f" JOIN {_q(staging.trainings)} t ON t.id = c.training_id"
    by_key = f" GROUP BY {key}" if dimension != Dimension.NATIONAL else ""
    # COALESCE: with no repeater at all, the national total is one row of SUM() = NULL.
    counts = "CAST(COALESCE(SUM(c.enrollments), 0) AS BIGINT), COUNT(DISTINCT c.learner_id)"
    return _rows(
        f"SELECT {key}, c.entry_year, {counts} FROM {tables} "  # noqa: S608
        f"{_group_by(dimension, 'c.entry_year')} "
        f"UNION ALL SELECT {key}, NULL, {counts} FROM {tables}{by_key}"
    )


# --- labels and applications ----------------------------------------------------------------


def _label_in_force(ctx: Context, day: datetime.date) -> Q:
    """A label in force on `day` as it stood then: covering the day, and not yet withdrawn
    (a withdrawal is dated; an expired label was in force until its end date)."""
    return Q(start_date__lte=day, end_date__gte=day) & (
        ~Q(status=Label.Status.WITHDRAWN) | Q(withdrawn_at__gte=ctx.day_end(day))
    )


LABEL_KEYS = {
    Dimension.REGION: F("training__region_code"),
    Dimension.DEPARTMENT: F("training__department_code"),
    Dimension.CALL: F("call__reference"),
}


def label_rows(ctx: Context, dimension: Dimension, periods: list[str]) -> list[dict]:
    """Trainings under label at the end of each period, one column per period: one query."""
    aggregates = {}
    for period in periods:
        in_force = _label_in_force(ctx, ctx.period_end(period))
        conditions = {
            "labelled": in_force,
            "labelled_free": in_force & Q(training__is_free=True),
            "labelled_qpv_in": in_force & Q(training__site_qpv=Training.SiteQpv.IN),
            "labelled_qpv_known": in_force
            & Q(training__site_qpv__in=[Training.SiteQpv.IN, Training.SiteQpv.OUT]),
        }
        for name, condition in conditions.items():
            # A training with two labels in force (a renewal overlapping) counts once.
            aggregates[f"{name}__{period}"] = Count("training", distinct=True, filter=condition)
    queryset = Label.objects.filter(start_date__lte=ctx.as_of).order_by()
    if dimension == Dimension.NATIONAL:
        return [{"dimension_key": "", **queryset.aggregate(**aggregates)}]
    return list(
        queryset.annotate(dimension_key=LABEL_KEYS[dimension])
        .values("dimension_key")
        .annotate(**aggregates)
    )


def application_rows(ctx: Context) -> list[dict]:
    """Dossiers submitted on or before the as-of date, by call and year of submission, with
    those decided (labelled, rejected or deferred) and labelled by then: one query."""
    end = ctx.day_end(ctx.as_of)
    decided = Q(decisions__decided_at__lt=end)
    return list(
        Dossier.objects.filter(submitted_at__lt=end)
        .order_by()
        .annotate(
            dimension_key=F("call__reference"),
            year=ExtractYear("submitted_at", tzinfo=ctx.tz),
        )
        .values("dimension_key", "year")
        .annotate(
            # Joined with the decisions (a dossier may be deferred, then decided): distinct.
            applications=Count("pk", distinct=True),
            decided=Count("pk", distinct=True, filter=decided),
            accepted=Count(
                "pk",
                distinct=True,
                filter=decided & Q(decisions__outcome=Decision.Outcome.LABELLED),
            ),
        )
    )


# --- from aggregated rows to cells ------------------------------------------------------------


def _key(dimension: Dimension, key) -> str | None:
    if dimension == Dimension.NATIONAL:
        return ""
    # A training without a call, a learner whose sex is not recorded: no cell.
    return str(key) if key not in (None, "") else None


def periods_of(national: dict[str, list[tuple]], applications: list[dict]) -> list[str]:
    """Calendar years with an entry, an exit or a submitted dossier, then `all`."""
    years = {row[1] for row in national["entry"]} | {row[1] for row in national["exit"]}
    years |= {row["year"] for row in applications}
    return [str(year) for year in sorted(int(year) for year in years)] + [ALL]


def add_rollups(
    tally: Tally, dimension: Dimension, rows: dict[str, list[tuple]], periods: list[str]
) -> None:
    entrants = ENTRY_COUNTS.index("entrants")
    for part, names in (("entry", ENTRY_COUNTS), ("exit", EXIT_COUNTS)):
        for key, year, *counts in rows.get(part, ()):
            key = _key(dimension, key)
            if key is None:
                continue
            for period in (str(year), ALL):
                tally.add((dimension, key, period), names, counts)
                if part == "entry":
                    # One learner per enrollment, corrected by add_repeaters.
                    tally.add((dimension, key, period), ("learners",), (counts[entrants],))
    years = [int(period) for period in periods if period != ALL]
    for key, entry_year, exit_year, entrants in rows.get("stock", ()):
        key = _key(dimension, key)
        if key is None:
            continue
        # In training at the end of year P: entered by P and not exited by P.
        for year in years:
            if entry_year <= year and (exit_year is None or exit_year > year):
                tally.add((dimension, key, str(year)), ("in_training",), (entrants,))
        if exit_year is None:
            tally.add((dimension, key, ALL), ("in_training",), (entrants,))


def add_repeaters(tally: Tally, dimension: Dimension, repeaters: list[tuple]) -> None:
    """Learners with several enrollments were counted once per enrollment: count them once."""
    for key, year, enrollments, learners in repeaters:
        key = _key(dimension, key)
        if key is not None:
            period = ALL if year is None else str(year)
            tally.add((dimension, key, period), ("learners",), (learners - enrollments,))


def add_labels(tally: Tally, dimension: Dimension, rows: list[dict], periods: list[str]) -> None:
    for row in rows:
        key = _key(dimension, row["dimension_key"])
        if key is not None:
            for period in periods:
                counts = [row[f"{name}__{period}"] for name in LABEL_COUNTS]
                tally.add((dimension, key, period), LABEL_COUNTS, counts)


def add_applications(tally: Tally, rows: list[dict]) -> None:
    for row in rows:
        counts = [row[name] for name in APPLICATION_COUNTS]
        for dimension in (Dimension.NATIONAL, Dimension.CALL):
            key = _key(dimension, row["dimension_key"])
            if key is not None:
                for period in (str(int(row["year"])), ALL):
                    tally.add((dimension, key, period), APPLICATION_COUNTS, counts)


def add_year_table(tally: Tally, periods: list[str]) -> None:
    """The `year` breakdown of period `all`: the national figure of each year."""
    for period in periods:
        if period != ALL:
            national = tally.cells.get((Dimension.NATIONAL, "", period), {})
            tally.cells[(Dimension.YEAR, period, ALL)] = dict(national)


# The same (successes, trials) pairs come back thousands of times over the cells of small
# trainings: the interval of each pair is computed once.
_wilson = functools.lru_cache(maxsize=65_536)(wilson_interval)


def value_row(
    indicator: Indicator, dimension: str, key: str, period: str, counts: dict[str, int]
) -> ValueRow:
    numerator = counts.get(indicator.numerator, 0)
    target = target_for(indicator, period=period, dimension=dimension, key=key)
    if indicator.kind == Kind.COUNT:
        return ValueRow(
            indicator.code, period, dimension, key, numerator, None, float(numerator),
            None, None, None, None, target,
        )  # fmt: skip
    denominator = counts.get(indicator.denominator, 0)
    low, high = _wilson(numerator, denominator)
    coverage = lower_bound = None
    if indicator.coverage is not None:
        matured = counts.get(indicator.coverage[1], 0)
        coverage = counts.get(indicator.coverage[0], 0) / matured if matured else None
    if indicator.lower_bound is not None:
        whole = counts.get(indicator.lower_bound[1], 0)
        lower_bound = counts.get(indicator.lower_bound[0], 0) / whole if whole else None
    return ValueRow(
        indicator.code,
        period,
        dimension,
        key,
        numerator,
        denominator,
        numerator / denominator if denominator else None,
        low,
        high,
        coverage,
        lower_bound,
        target,
    )


_BY_DIMENSION: dict[str, tuple[Indicator, ...]] = {
    dimension.value: tuple(i for i in CATALOGUE if dimension in i.dimensions)
    for dimension in Dimension
}


def _indicators_with_cells(
    dimension: str, counts: dict[str, int], codes: Collection[str] | None = None
) -> Iterator[Indicator]:
    """The indicators of the breakdown (or those of `codes`) that have a cell for these
    counts: those whose base counted something, and every one for the national figures,
    which always exist."""
    national = dimension == Dimension.NATIONAL
    for indicator in _BY_DIMENSION.get(dimension, ()):
        if (national or counts.get(indicator.base)) and (codes is None or indicator.code in codes):
            yield indicator


def cell_rows(
    dimension: str,
    key: str,
    period: str,
    counts: dict[str, int],
    codes: Collection[str] | None = None,
) -> list[ValueRow]:
    """The cells of one key and period from its counts (of the indicators `codes` only)."""
    return [
        value_row(indicator, dimension, key, period, counts)
        for indicator in _indicators_with_cells(dimension, counts, codes)
    ]


def cell_count(dimension: str, counts: dict[str, int]) -> int:
    """How many cells `cell_rows` gives for these counts, without computing them."""
    return sum(1 for _indicator in _indicators_with_cells(dimension, counts))


class TrainingCountsRow(NamedTuple):
    """One training and period, as stored in TrainingCounts (without the run)."""

    period: str
    key: str
    counts: dict[str, int]
    entrants: int | None
    exits: int | None
    dropouts: int | None
    positive: int | None
    known: int | None
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    coverage: float | None
    lower_bound: float | None


TRAINING_COUNTS_FIELDS = TrainingCountsRow._fields
# The outcome of the dashboard's table by training, kept as columns of TrainingCounts (the
# staff dashboard's headline outcome, `dashboard.selectors.HEADLINE_OUTCOME`).
TRAINING_TABLE_OUTCOME = "positive_exit_rate_m3"
_TRAINING_TABLE_CODES = frozenset(("entrants", "dropout_rate", TRAINING_TABLE_OUTCOME))


def training_counts_row(key: str, period: str, counts: dict[str, int]) -> TrainingCountsRow:
    """The stored form of a training's counts: without the zeros, with the dashboard's
    figures taken from the very cells `cell_rows` derives (only those three: the others are
    derived when read)."""
    kept = {name: count for name, count in counts.items() if count}
    cells = {
        row.code: row
        for row in cell_rows(Dimension.TRAINING, key, period, kept, _TRAINING_TABLE_CODES)
    }
    entrants, dropout, outcome = (
        cells.get("entrants"),
        cells.get("dropout_rate"),
        cells.get(TRAINING_TABLE_OUTCOME),
    )
    return TrainingCountsRow(
        period,
        key,
        kept,
        entrants.numerator if entrants else None,
        dropout.denominator if dropout else None,
        dropout.numerator if dropout else None,
        *(
            (outcome.numerator, outcome.denominator, outcome.value, outcome.ci_low,
             outcome.ci_high, outcome.coverage, outcome.lower_bound)
            if outcome else (None,) * 7
        ),
    )  # fmt: skip


@dataclass
class Result:
    """A computed run: the cells stored one by one, and the training breakdown as counts."""

    values: list[ValueRow]
    trainings: list[TrainingCountsRow]

    @property
    def cells(self) -> int:
        return len(self.values) + sum(
            cell_count(Dimension.TRAINING, row.counts) for row in self.trainings
        )


def result_of(tally: Tally, periods: list[str]) -> Result:
    # Every national cell exists, for every period, even when nothing happened.
    for period in periods:
        tally.cells.setdefault((Dimension.NATIONAL, "", period), {})
    values, trainings = [], []
    for (dimension, key, period), counts in tally.cells.items():
        if dimension == Dimension.TRAINING:
            trainings.append(training_counts_row(key, period, counts))
        else:
            values.extend(cell_rows(dimension, key, period, counts))
    return Result(values=values, trainings=trainings)


# --- a whole run --------------------------------------------------------------------------


class _Progress:
    def __init__(self, callback: ProgressCallback | None, steps: int) -> None:
        self.callback, self.steps, self.done = callback, steps, 0

    def step(self) -> None:
        self.done += 1
        if self.callback is not None:
            # 100 is for the publication, once the values are written.
            self.callback(min(99, 100 * self.done // (self.steps + 1)))


def compute(*, as_of: datetime.date, progress: ProgressCallback | None = None) -> Result:
    """Every indicator of the catalogue on `as_of`, in a fixed number of queries whatever the
    volume of data."""
    ctx = Context.for_date(as_of)
    tally = Tally()
    dimensions = (*ENROLLMENT_DIMENSIONS, *EXIT_ONLY_DIMENSIONS)
    report = _Progress(
        progress, steps=4 + len(dimensions) + len(ENROLLMENT_DIMENSIONS) + len(LABEL_DIMENSIONS)
    )
    staging = Staging()
    try:
        staging.create(staging.trainings, trainings_queryset(ctx))
        staging.create(staging.cohorts, cohorts_queryset(ctx))
        report.step()
        staging.create(staging.repeaters, repeaters_queryset(ctx))
        report.step()
        applications = application_rows(ctx)
        report.step()
        rollups = {}
        for dimension in dimensions:
            rollups[dimension] = rollup_rows(staging, dimension)
            report.step()
        periods = periods_of(rollups[Dimension.NATIONAL], applications)
        for dimension, rows in rollups.items():
            add_rollups(tally, dimension, rows, periods)
        for dimension in ENROLLMENT_DIMENSIONS:
            add_repeaters(tally, dimension, repeater_rows(staging, dimension))
            report.step()
    finally:
        staging.drop()
    add_applications(tally, applications)
    for dimension in LABEL_DIMENSIONS:
        add_labels(tally, dimension, label_rows(ctx, dimension, periods), periods)
        report.step()
    add_year_table(tally, periods)
    result = result_of(tally, periods)
    report.step()
    return result


# --- writing the values -------------------------------------------------------------------


# Characters COPY's text format gives a meaning to, and their escapes.
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_field(value) -> str:
    """A field of PostgreSQL's COPY text format. Floats are written with repr(), the
    shortest text that reads back as the same double (PostgreSQL's parser is exact).

    Called some ten million times for a large run: exact type tests, most frequent first,
    and texts are only translated when they hold a special character (codes never do)."""
    if value is None:
        return "\\N"
    kind = value.__class__
    if kind is str:
        return value.translate(_COPY_ESCAPES) if _COPY_SPECIAL.search(value) else value
    if kind is float:
        return repr(value)
    return str(value)


def _insert(model, run_id: int, fields: tuple[str, ...], rows: list[tuple]) -> None:
    """Write rows of `model` for a run in one statement, whatever their number.

    PostgreSQL loads them with COPY, its bulk path; SQLite takes them through `executemany`,
    one prepared statement bound with the doubles themselves."""
    if not rows:
        return
    table = _q(model._meta.db_table)
    column_list = ", ".join(_q(c) for c in ["run_id", *fields])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Lines sorted in the order of the unique index after `run_id`: PostgreSQL then
            # appends to the index's rightmost page instead of descending to a random one
            # (a fifth off the COPY of a large run, docs/performance.md). A tab sorts before
            # any character of a code or key; under a bytewise (C) collation the order is
            # exactly the index's, under another one nearly so (codes and keys are ASCII
            # letters, digits, - and _).
            lines = ["\t".join(map(_copy_field, row)) for row in rows]
            lines.sort()
            prefix = f"{run_id}\t"
            data = "".join(prefix + line + "\n" for line in lines)
            del lines
            sql = f"COPY {table} ({column_list}) FROM STDIN"
            raw = cursor.cursor
            if hasattr(raw, "copy_expert"):  # psycopg2
                raw.copy_expert(sql, io.StringIO(data))
            else:  # psycopg 3
                with raw.copy(sql) as copy:
                    copy.write(data)
        else:
            placeholders = ", ".join(["%s"] * (len(fields) + 1))
            cursor.executemany(
                f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})",  # noqa: S608
                [(run_id, *row) for row in rows],
            )


def _json(counts: dict[str, int]) -> str:
    # Compact, and in a fixed order: the same counts are always the same text.
    return json.dumps(counts, separators=(",", ":"), sort_keys=True)


def result_insert(*, run_id: int, result: Result) -> int:
    """Write a computed run: its stored cells and its trainings' counts. Returns the number
    of cells of the run (stored and derived)."""
    _insert(IndicatorValue, run_id, VALUE_FIELDS, result.values)
    _insert(
        TrainingCounts,
        run_id,
        TRAINING_COUNTS_FIELDS,
        [(row.period, row.key, _json(row.counts), *row[3:]) for row in result.trainings],
    )
    return result.cells
