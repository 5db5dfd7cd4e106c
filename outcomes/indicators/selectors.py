"""Reads of published indicators, and the disclosure control applied to anything public
(public pages, open data, `show_indicators --public`). Staff see the values as computed."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from outcomes.models import IndicatorRun, IndicatorValue, TrainingCounts

from .catalogue import (
    ALL,
    BY_CODE,
    DIMENSION_ORDER,
    MIN_COUNT,
    MIN_DENOMINATOR,
    ORDER,
    Dimension,
    Kind,
    Reason,
)
from .engine import VALUE_FIELDS, ValueRow, cell_rows

FIGURES = ("numerator", "denominator", "value", "ci_low", "ci_high", "coverage", "lower_bound")


def latest_published_run(as_of: datetime.date | None = None) -> IndicatorRun | None:
    """The run to show: the latest published one, or the latest published for `as_of`."""
    runs = IndicatorRun.objects.all()
    if as_of is not None:
        runs = runs.filter(as_of=as_of)
    return runs.latest_published()


def stored_values(run: IndicatorRun) -> QuerySet[IndicatorValue]:
    """The cells of a run stored one by one: every breakdown but `training`."""
    return IndicatorValue.objects.filter(run=run)


def training_values(
    run: IndicatorRun, *, codes: Iterable[str] | None = None, period: str | None = None
) -> list[ValueRow]:
    """The cells of the `training` breakdown (of the indicators `codes`, in `period`),
    derived from the trainings' stored counts by the engine's own function: the same floats
    as if they had been stored."""
    wanted = None if codes is None else frozenset(codes)
    rows = TrainingCounts.objects.filter(run=run)
    if period is not None:
        rows = rows.filter(period=period)
    cells = []
    for key, row_period, counts in rows.values_list("key", "period", "counts").iterator(
        chunk_size=5000
    ):
        cells.extend(cell_rows(Dimension.TRAINING, key, row_period, counts, wanted))
    return cells


def values_for(
    run: IndicatorRun, code: str | None = None, dimension: str | None = None
) -> list[ValueRow]:
    """Every cell of a run (stored and derived), optionally of one indicator and one
    breakdown ("" for national), ordered by (code, period, dimension, key)."""
    values: list[ValueRow] = []
    if dimension != Dimension.TRAINING:
        stored = stored_values(run)
        if code is not None:
            stored = stored.filter(code=code)
        if dimension is not None:
            stored = stored.filter(dimension=dimension)
        values.extend(ValueRow(*row) for row in stored.values_list(*VALUE_FIELDS))
    if dimension is None or dimension == Dimension.TRAINING:
        values.extend(training_values(run, codes=None if code is None else [code]))
    values.sort(key=lambda v: (v.code, v.period, v.dimension, v.key))
    return values


@dataclass(frozen=True)
class Cell:
    """A value as shown: with every figure, or hidden (no figure at all, only the reason)."""

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
    suppressed: bool = False
    reason: str | None = None

    @classmethod
    def of(cls, value, reason: str | None = None) -> Cell:
        """From a cell (an IndicatorValue, a ValueRow or a row with their attributes), hidden
        when `reason`."""
        figures = {name: None if reason else getattr(value, name) for name in FIGURES}
        return cls(
            code=value.code,
            period=value.period,
            dimension=value.dimension,
            key=value.key,
            target=value.target,
            suppressed=reason is not None,
            reason=reason,
            **figures,
        )


def _period_order(period: str) -> tuple[int, str]:
    return (1, "") if period == ALL else (0, period)


def cell_order(cell) -> tuple:
    return (
        ORDER.get(cell.code, len(ORDER)),
        cell.code,
        _period_order(cell.period),
        DIMENSION_ORDER.get(cell.dimension, len(DIMENSION_ORDER)),
        cell.key,
    )


CellId = tuple[str, str, str, str]  # code, period, dimension, key


def _primary_reason(value) -> Reason | None:
    indicator = BY_CODE.get(value.code)
    if indicator is None or indicator.kind == Kind.COUNT:
        if value.numerator is not None and 0 < value.numerator < MIN_COUNT:
            return Reason.COUNT_UNDER_5
        return None
    if value.denominator is None or value.denominator < MIN_DENOMINATOR:
        return Reason.DENOMINATOR_UNDER_20
    return None


def _size(value) -> int:
    indicator = BY_CODE.get(value.code)
    size = (
        value.numerator if indicator is None or indicator.kind == Kind.COUNT else value.denominator
    )
    return size or 0


def _tables(values: dict[CellId, object]) -> list[list[CellId]]:
    """Groups of cells whose total is published, so that one hidden cell of a group could be
    recovered by subtraction:
    - the cells of one breakdown for one indicator and period (total: the national cell);
    - for cohort indicators, the yearly cells of one key (total: its `all` cell)."""
    tables: dict[tuple, list[CellId]] = defaultdict(list)
    for cell_id in values:
        code, period, dimension, key = cell_id
        if dimension != Dimension.NATIONAL:
            tables[("breakdown", code, period, dimension)].append(cell_id)
        indicator = BY_CODE.get(code)
        if (
            period != ALL
            and dimension != Dimension.YEAR
            and indicator is not None
            and indicator.additive_over_years
        ):
            tables[("years", code, dimension, key)].append(cell_id)
    return [cells for cells in tables.values() if len(cells) > 1]


def _twins(values: dict[CellId, object]) -> dict[CellId, CellId]:
    """The national cell of year Y and the cell Y of the `year` table are the same figure."""
    twins = {}
    for code, period, dimension, key in values:
        if dimension == Dimension.YEAR:
            national = (code, key, Dimension.NATIONAL.value, "")
            if national in values:
                twins[(code, period, dimension, key)] = national
                twins[national] = (code, period, dimension, key)
    return twins


def suppressions(values: Iterable) -> dict[CellId, str]:
    """The hidden cells and why: primary thresholds (counts 1–4, rates on fewer than 20),
    then secondary suppression until no table has exactly one hidden cell (the next smallest
    cell of the table is hidden too).

    `values` are cells: IndicatorValue rows, ValueRows, or anything with their attributes."""
    by_id = {(v.code, v.period, v.dimension, v.key): v for v in values}
    hidden: dict[CellId, str] = {}
    for cell_id, value in by_id.items():
        reason = _primary_reason(value)
        if reason is not None:
            hidden[cell_id] = reason
    twins = _twins(by_id)
    for cell_id, twin in twins.items():
        if cell_id in hidden and twin not in hidden:
            hidden[twin] = hidden[cell_id]
    tables = _tables(by_id)
    tables_of: dict[CellId, list[int]] = defaultdict(list)
    for index, cells in enumerate(tables):
        for cell_id in cells:
            tables_of[cell_id].append(index)

    # A worklist: a table is looked at again only when one of its cells gets hidden.
    pending = list(range(len(tables)))
    queued = set(pending)
    while pending:
        index = pending.pop()
        queued.discard(index)
        cells = tables[index]
        hidden_here = sum(1 for cell_id in cells if cell_id in hidden)
        if hidden_here != 1:
            continue
        visible = [cell_id for cell_id in cells if cell_id not in hidden]
        if not visible:
            continue
        # The next smallest cell; prefer one with something in it (hiding an empty cell
        # protects nothing).
        pick = min(
            visible,
            key=lambda cell_id: (
                _size(by_id[cell_id]) == 0,
                _size(by_id[cell_id]),
                cell_id[3],
                cell_id[1],
            ),
        )
        newly = [pick]
        hidden[pick] = Reason.SECONDARY
        twin = twins.get(pick)
        if twin is not None and twin not in hidden:
            hidden[twin] = Reason.SECONDARY
            newly.append(twin)
        for cell_id in newly:
            for other in tables_of[cell_id]:
                if other not in queued:
                    queued.add(other)
                    pending.append(other)
    return {cell_id: str(reason) for cell_id, reason in hidden.items()}


def cells_for(
    run: IndicatorRun,
    *,
    public: bool,
    code: str | None = None,
    dimension: str | None = None,
) -> list[Cell]:
    """The cells of a run in catalogue order; `public=True` applies disclosure control.

    Disclosure is decided on every cell of the indicator (its tables span breakdowns and
    periods) before filtering on `dimension`."""
    # Named tuples rather than model instances: a large run has hundreds of thousands.
    values = values_for(run, code=code)
    hidden = suppressions(values) if public else {}
    cells = [
        Cell.of(value, hidden.get((value.code, value.period, value.dimension, value.key)))
        for value in values
        if dimension is None or value.dimension == dimension
    ]
    return sorted(cells, key=cell_order)


def public_values(
    run: IndicatorRun, code: str | None = None, dimension: str | None = None
) -> list[Cell]:
    return cells_for(run, public=True, code=code, dimension=dimension)


# --- one training's public figures (the catalogue's training pages) ---------------------------

# Figures shown on a training's public page, period `all`, in this order.
TRAINING_PAGE_CODES = (
    "entrants",
    "women_share",
    "neet_share",
    "dropout_rate",
    "positive_exit_rate_m3",
    "followup_coverage_m3",
)


# The latest run's table, kept in the process: (run id, publication time) -> table. Not in
# Django's cache, which would pickle tens of thousands of cells on every read.
_training_table: tuple[tuple, dict[str, list[tuple[ValueRow, str | None]]]] | None = None


def public_training_table(run: IndicatorRun) -> dict[str, list[tuple[ValueRow, str | None]]]:
    """Cells of the `training` breakdown, period `all`, for `TRAINING_PAGE_CODES`, by
    training code, each with the reason it is hidden from the public (or None).

    Only those cells are derived. A cell of period `all` in the training breakdown belongs to
    exactly one table (`_tables`): the `all` cells of every training for its indicator
    (yearly tables leave `all` out, and no twin links the training breakdown to another),
    so hiding any other cell can never reach it, and this decides exactly what
    `cells_for(public=True)` decides for them. Every training's cell is still needed
    (secondary suppression crosses trainings), so the table is computed once per published
    run and process (a run never changes once published)."""
    global _training_table
    key = (run.pk, run.published_at)
    memo = _training_table
    if memo is not None and memo[0] == key:
        return memo[1]
    values = training_values(run, codes=TRAINING_PAGE_CODES, period=ALL)
    hidden = suppressions(values)
    table: dict[str, list[tuple[ValueRow, str | None]]] = defaultdict(list)
    for value in values:
        cell_id = (value.code, value.period, value.dimension, value.key)
        table[value.key].append((value, hidden.get(cell_id)))
    table = dict(table)
    _training_table = (key, table)
    return table


def public_training_cells(run: IndicatorRun, training_code: str) -> dict[str, Cell]:
    """The public figures of one training (indicator code → cell); empty when the run has
    none for it (no learner recorded)."""
    return {
        value.code: Cell.of(value, reason)
        for value, reason in public_training_table(run).get(training_code, ())
    }
