"""The dashboard's figures as shown: stored cells turned into tiles, yearly series, tables and
map data, with their formatting. The page and the exports read the same objects, so an
export holds exactly what the page shows.

Staff see every value as computed (no disclosure control, DESIGN.md §1).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.formats import date_format, get_format
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from outcomes.indicators.catalogue import (
    ALL,
    BY_CODE,
    HEADLINE_CODES,
    Dimension,
    Indicator,
    Kind,
    entrant_targets,
)
from trainings.geo import DEPARTMENTS, department_name, region_name

from . import selectors
from .selectors import HEADLINE_COVERAGE, HEADLINE_OUTCOME, Flag

# --- formatting ---------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _separators(language: str) -> dict[int, str]:
    """A `str.translate` table from Python's "1,234.5" to the language's separators."""
    decimal = get_format("DECIMAL_SEPARATOR", language, use_l10n=True)
    thousand = get_format("THOUSAND_SEPARATOR", language, use_l10n=True)
    return str.maketrans({",": thousand, ".": decimal})


def separators() -> dict[int, str]:
    return _separators(get_language() or settings.LANGUAGE_CODE)


def number(value: float | int, decimals: int, table: dict[int, str] | None = None) -> str:
    """`value` rounded to `decimals`, with the language's separators and groups of three
    digits (as `number_format(..., force_grouping=True)` writes it in French and English).
    A page formats a few thousand numbers: the separators are looked up once per language
    (Django's `number_format` looks them up each time), and callers formatting several
    numbers pass `table` to skip even the language lookup."""
    return format(value, f",.{decimals}f").translate(table or separators())


def percent(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{number(value * 100, 1)}\u00a0%"


def count(value: float | int | None) -> str:
    if value is None:
        return "—"
    return number(int(round(value)), 0)


def signed(value: float, decimals: int) -> str:
    text = number(abs(value), decimals)
    if round(value, decimals) == 0:
        return text
    return ("+" if value > 0 else "\u2212") + text


def definition_url(code: str) -> str:
    return f"{reverse('outcomes:definitions')}#{code}"


def period_label(period: str, as_of: datetime.date) -> str:
    """ "Depuis le début", a past year, or the as-of year marked as incomplete."""
    if period == ALL:
        return _("Depuis le début")
    if period == str(as_of.year) and as_of < datetime.date(as_of.year, 12, 31):
        return _("%(year)s (au %(day)s)") % {
            "year": period,
            "day": date_format(as_of, "j F"),
        }
    return period


@dataclass(frozen=True)
class Shown:
    """One stored cell of one indicator, with its formatted parts (`cell` may be None: no
    row, e.g. a region without any matured exit). Parts are computed once: a page shows
    about 1,500 of them."""

    indicator: Indicator
    cell: Any

    @property
    def is_rate(self) -> bool:
        return self.indicator.kind == Kind.RATE

    @cached_property
    def missing(self) -> bool:
        if self.cell is None:
            return True
        return self.cell.value is None if self.is_rate else self.cell.numerator is None

    @cached_property
    def number(self) -> float | int | None:
        """The figure itself: a proportion (0–1) for a rate, a count otherwise."""
        if self.missing:
            return None
        return self.cell.value if self.is_rate else self.cell.numerator

    @cached_property
    def text(self) -> str:
        if self.missing:
            return "—"
        return percent(self.cell.value) if self.is_rate else count(self.cell.numerator)

    @cached_property
    def fraction(self) -> str:
        if self.missing or not self.is_rate:
            return ""
        return f"{count(self.cell.numerator)} / {count(self.cell.denominator)}"

    @cached_property
    def interval(self) -> str:
        if self.missing or not self.is_rate or self.cell.ci_low is None:
            return ""
        return _("IC 95 %% : %(low)s – %(high)s") % {
            "low": percent(self.cell.ci_low),
            "high": percent(self.cell.ci_high),
        }

    @cached_property
    def interval_range(self) -> str:
        """The interval alone ("64,6 % – 100,0 %"), for a column already titled."""
        if self.missing or not self.is_rate or self.cell.ci_low is None:
            return ""
        return f"{percent(self.cell.ci_low)} – {percent(self.cell.ci_high)}"

    @cached_property
    def coverage(self) -> str:
        if self.missing or getattr(self.cell, "coverage", None) is None:
            return ""
        return percent(self.cell.coverage)

    @cached_property
    def lower_bound(self) -> str:
        if self.missing or getattr(self.cell, "lower_bound", None) is None:
            return ""
        return percent(self.cell.lower_bound)

    @property
    def definition_url(self) -> str:
        return definition_url(self.indicator.code)

    @cached_property
    def html(self) -> str:
        """The figure in a table cell: the value, with numerator / denominator under a rate.
        Built here rather than by a template include per cell, which cost most of the page's
        rendering time (a page shows about 1,500 figures). Written by `number` from the
        stored numbers only (digits, separators, "%", "/"): nothing to escape."""
        if self.missing:
            return format_html(
                '<span aria-hidden="true">—</span><span class="fr-sr-only">{}</span>',
                _("non disponible"),
            )
        cell = self.cell
        if not self.is_rate:
            return mark_safe(number(cell.numerator, 0))  # noqa: S308
        table = separators()
        return mark_safe(  # noqa: S308
            f"{number(cell.value * 100, 1, table)}\u00a0%<br>"
            f'<span class="fr-text--xs">{number(cell.numerator, 0, table)} / '
            f"{number(cell.denominator, 0, table)}</span>"
        )


def shown(code: str, cell) -> Shown:
    return Shown(BY_CODE[code], cell)


def cells_html(items: list[Shown]) -> str:
    """The `<td>` cells of one table row. The region, department and year tables hold about a
    thousand figures: one string per row instead of a template loop per cell halves the
    page's rendering time."""
    return format_html_join("", "<td>{}</td>", ((item.html,) for item in items))


# --- targets ----------------------------------------------------------------------------------


class TargetStatus:
    REACHED = "reached"
    BELOW = "below"
    WITHIN = "within"  # the target lies inside the rate's 95 % interval


TARGET_BADGES = {
    TargetStatus.REACHED: ("success", gettext_lazy("Cible atteinte")),
    TargetStatus.BELOW: ("warning", gettext_lazy("Sous la cible")),
    TargetStatus.WITHIN: ("info", gettext_lazy("Cible dans l’intervalle de confiance")),
}


def target_status(item: Shown, target: float | None) -> str | None:
    """Reached or not, judged on the 95 % interval for a rate: a rate whose interval contains
    the target is neither (a few more or fewer people would tip it)."""
    if target is None or item.missing:
        return None
    if not item.is_rate:
        return TargetStatus.REACHED if item.number >= target else TargetStatus.BELOW
    low, high = item.cell.ci_low, item.cell.ci_high
    if low is not None and low >= target:
        return TargetStatus.REACHED
    if high is not None and high < target:
        return TargetStatus.BELOW
    if low is None:
        return TargetStatus.REACHED if item.number >= target else TargetStatus.BELOW
    return TargetStatus.WITHIN


def target_text(indicator: Indicator, target: float | None) -> str:
    if target is None:
        return ""
    if indicator.kind == Kind.RATE:
        return _("≥ %(value)s") % {"value": percent(target)}
    return count(target)


# --- headline tiles ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    current_label: str
    current: Shown
    previous_label: str
    previous: Shown
    delta: str  # "+1,7 point", "−12,3 %", or "" when it cannot be computed


def _change(code: str, cells: dict, as_of: datetime.date) -> Change | None:
    year, previous_year = str(as_of.year), str(as_of.year - 1)
    current = shown(code, cells.get((code, ALL, Dimension.YEAR.value, year)))
    previous = shown(code, cells.get((code, ALL, Dimension.YEAR.value, previous_year)))
    if current.missing and previous.missing:
        return None
    delta = ""
    if not current.missing and not previous.missing:
        if current.is_rate:
            points = (current.number - previous.number) * 100
            delta = ngettext("%(points)s point", "%(points)s points", 2 if abs(points) >= 2 else 1)
            delta = delta % {"points": signed(points, 1)}
        elif previous.number:
            delta = (
                f"{signed((current.number - previous.number) / previous.number * 100, 1)}\u00a0%"
            )
    return Change(
        current_label=period_label(year, as_of),
        current=current,
        previous_label=previous_year,
        previous=previous,
        delta=delta,
    )


@dataclass(frozen=True)
class Tile:
    item: Shown
    period: str
    period_label: str
    target: float | None
    target_text: str
    target_note: str  # e.g. the next year's entrants target when this year has none
    status: str | None
    change: Change | None
    coverage: Shown | None = None  # the headline outcome's follow-up coverage

    @property
    def label(self):
        return self.item.indicator.label

    @property
    def code(self) -> str:
        return self.item.indicator.code

    @property
    def badge(self) -> tuple[str, str] | None:
        return TARGET_BADGES.get(self.status) if self.status else None


def _entrants_note(as_of: datetime.date) -> str:
    later = sorted(year for year in entrant_targets() if year > as_of.year)
    if not later:
        return ""
    year = later[0]
    return _("Pas de cible pour %(year)s ; cible %(next)s : %(target)s entrées.") % {
        "year": as_of.year,
        "next": year,
        "target": count(entrant_targets()[year]),
    }


def tiles(cells: dict, as_of: datetime.date) -> list[Tile]:
    """The headline figures: since the beginning, except entrants, taken in the as-of year
    against that year's target."""
    out = []
    for code in HEADLINE_CODES:
        indicator = BY_CODE[code]
        period = str(as_of.year) if code == "entrants" else ALL
        key = (code, ALL, Dimension.YEAR.value, period) if period != ALL else (code, ALL, "", "")
        item = shown(code, cells.get(key))
        target = item.cell.target if item.cell is not None else indicator.target
        note = _entrants_note(as_of) if code == "entrants" and target is None else ""
        coverage = None
        if code == HEADLINE_OUTCOME:
            coverage = shown(HEADLINE_COVERAGE, cells.get((HEADLINE_COVERAGE, ALL, "", "")))
        out.append(
            Tile(
                item=item,
                period=period,
                period_label=period_label(period, as_of),
                target=target,
                target_text=target_text(indicator, target),
                target_note=note,
                status=target_status(item, target),
                change=_change(code, cells, as_of),
                coverage=coverage,
            )
        )
    return out


# --- yearly trends ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    item_code: str
    points: list[Shown]

    @property
    def label(self):
        return BY_CODE[self.item_code].label


@dataclass(frozen=True)
class Trend:
    id: str
    title: str
    chart: str  # "bar-chart" or "line-chart"
    unit: str
    years: list[str]
    year_labels: list[str]
    series: list[Series]
    targets: list[str] = field(default_factory=list)  # one per year ("" when none)

    def _chart_number(self, item: Shown):
        if item.missing:
            return None
        return round(item.number * 100, 1) if item.is_rate else item.number

    @property
    def x(self) -> str:
        return json.dumps([self.year_labels for _series in self.series], ensure_ascii=False)

    @property
    def y(self) -> str:
        return json.dumps([[self._chart_number(p) for p in s.points] for s in self.series])

    @property
    def names(self) -> str:
        return json.dumps([str(s.label) for s in self.series], ensure_ascii=False)

    @property
    def rows(self) -> list[tuple[str, str, str]]:
        """Table rows: the year, the cells of its figure in each series, its target."""
        targets = self.targets or [""] * len(self.years)
        return [
            (label, cells_html([s.points[index] for s in self.series]), targets[index])
            for index, label in enumerate(self.year_labels)
        ]


def trend_years(cells: dict) -> list[str]:
    return sorted(
        {key for (_code, _period, dimension, key) in cells if dimension == Dimension.YEAR}
    )


def trends(cells: dict, as_of: datetime.date) -> list[Trend]:
    years = trend_years(cells)
    labels = [period_label(year, as_of) for year in years]

    def series(code: str) -> Series:
        return Series(
            code, [shown(code, cells.get((code, ALL, Dimension.YEAR.value, y))) for y in years]
        )

    entrants = series("entrants")
    return [
        Trend(
            id="tendance-entrees",
            title=_("Entrées en formation et apprenants, par année"),
            chart="bar-chart",
            unit=_("personnes"),
            years=years,
            year_labels=labels,
            series=[entrants, series("learners_total")],
            targets=[
                count(p.cell.target) if p.cell is not None and p.cell.target else ""
                for p in entrants.points
            ],
        ),
        Trend(
            id="tendance-profil",
            title=_("Profil des entrants, par année d’entrée (en %)"),
            chart="line-chart",
            unit="%",
            years=years,
            year_labels=labels,
            series=[series(code) for code in selectors.TREND_PROFILE_CODES],
        ),
        Trend(
            id="tendance-sorties",
            title=_("Sorties positives, suivi et abandons, par année de sortie (en %)"),
            chart="line-chart",
            unit="%",
            years=years,
            year_labels=labels,
            series=[series(code) for code in selectors.TREND_OUTCOME_CODES],
        ),
        Trend(
            id="tendance-formations",
            title=_("Formations labellisées en fin d’année"),
            chart="bar-chart",
            unit=_("formations"),
            years=years,
            year_labels=labels,
            series=[series("labelled_trainings")],
        ),
    ]


# --- regions, departments, calls ------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    key: str
    name: str
    figures: list[Shown]

    @cached_property
    def cells_html(self) -> str:
        return cells_html(self.figures)


def breakdown_rows(cells: dict, period: str, dimension: str, codes) -> list[Row]:
    keys = {
        key
        for (code, cell_period, cell_dimension, key) in cells
        if cell_dimension == dimension and cell_period == period
    }
    name = region_name if dimension == Dimension.REGION else department_name
    if dimension == Dimension.DEPARTMENT:
        order = list(DEPARTMENTS)
        keys_sorted = sorted(keys, key=lambda k: (order.index(k) if k in order else len(order), k))
    else:
        keys_sorted = sorted(keys, key=lambda k: (name(k), k))
    return [
        Row(
            key=key,
            name=name(key),
            figures=[shown(code, cells.get((code, period, dimension, key))) for code in codes],
        )
        for key in keys_sorted
    ]


def national_row(cells: dict, period: str, codes) -> Row:
    return Row(
        key="",
        name=_("France entière"),
        figures=[shown(code, cells.get((code, period, "", ""))) for code in codes],
    )


# The keys of <map-chart level="reg"> (dsfr-chart 2.0.4): metropolitan regions by the letters
# of their ISO 3166-2 code (Corsica "20R"), overseas regions by their department's code. Our
# breakdowns use the INSEE region code.
MAP_REGION_KEYS = {
    "84": "ARA",
    "27": "BFC",
    "53": "BRE",
    "24": "CVL",
    "94": "20R",
    "44": "GES",
    "32": "HDF",
    "11": "IDF",
    "75": "NAQ",
    "28": "NOR",
    "76": "OCC",
    "52": "PDL",
    "93": "PAC",
    "01": "971",
    "02": "972",
    "03": "973",
    "04": "974",
    "06": "976",
}


@dataclass(frozen=True)
class MapData:
    code: str
    label: str
    data: str  # JSON {map key: value}, as <map-chart level="reg"> reads it
    national: str


def map_data(cells: dict, period: str, code: str) -> MapData:
    item = BY_CODE[code]
    data = {}
    for cell_code, cell_period, dimension, key in cells:
        if cell_code == code and cell_period == period and dimension == Dimension.REGION:
            value = shown(code, cells[(cell_code, cell_period, dimension, key)]).number
            if value is not None and key in MAP_REGION_KEYS:
                data[MAP_REGION_KEYS[key]] = (
                    round(value * 100, 1) if item.kind == Kind.RATE else value
                )
    national = shown(code, cells.get((code, period, "", "")))
    if national.missing:
        national_text = ""
    elif item.kind == Kind.RATE:
        national_text = str(round(national.number * 100, 1))
    else:
        national_text = str(national.number)
    label = item.label if item.kind == Kind.COUNT else f"{item.label} (%)"
    return MapData(code=code, label=str(label), data=json.dumps(data), national=national_text)


@dataclass(frozen=True)
class CallRow:
    reference: str
    title: str
    figures: list[Shown]
    delay: selectors.DecisionDelay | None

    @property
    def mean_days(self) -> str:
        if self.delay is None or self.delay.mean_days is None:
            return "—"
        return number(self.delay.mean_days, 1)


def call_rows(cells: dict, titles: dict, delays: dict) -> list[CallRow]:
    references = {key for (_code, _period, _dimension, key) in cells} | set(delays)

    def order(reference: str):
        return (0, -int(reference)) if reference.isdigit() else (1, reference)

    return [
        CallRow(
            reference=reference,
            title=titles.get(reference, ""),
            figures=[
                shown(code, cells.get((code, ALL, Dimension.CALL.value, reference)))
                for code in selectors.CALL_CODES
            ],
            delay=delays.get(reference),
        )
        for reference in sorted(references, key=order)
    ]


# --- trainings --------------------------------------------------------------------------------

FLAG_BADGES = {
    Flag.BELOW: ("warning", gettext_lazy("Au-dessous du taux national")),
    Flag.ABOVE: ("success", gettext_lazy("Au-dessus du taux national")),
}


@dataclass(frozen=True)
class TrainingRow:
    code: str
    title: str
    organisation: str
    region: str
    department: str
    entrants: int | None
    exits: int | None
    dropouts: int | None
    outcome: Shown
    flag: str

    @property
    def badge(self) -> tuple[str, str] | None:
        return FLAG_BADGES.get(self.flag)

    @property
    def dropout(self) -> Shown:
        cell = None
        if self.exits:
            cell = SimpleNamespace(
                numerator=self.dropouts or 0,
                denominator=self.exits,
                value=(self.dropouts or 0) / self.exits,
                ci_low=None,
                ci_high=None,
            )
        return shown("dropout_rate", cell)


def training_rows(rows) -> list[TrainingRow]:
    out = []
    for row in rows:
        outcome = None
        if row["known"] is not None:
            outcome = SimpleNamespace(
                numerator=row["positive"],
                denominator=row["known"],
                value=row["rate"],
                ci_low=row["ci_low"],
                ci_high=row["ci_high"],
                coverage=row["coverage"],
                lower_bound=row["lower_bound"],
            )
        department = row["department_code"]
        out.append(
            TrainingRow(
                code=row["key"],
                title=row["title"],
                organisation=row["organisation_name"],
                region=region_name(row["region_code"]),
                department=f"{department} – {department_name(department)}",
                entrants=row["entrants"],
                exits=row["exits"],
                dropouts=row["dropouts"],
                outcome=shown(HEADLINE_OUTCOME, outcome),
                flag=row["flag"],
            )
        )
    return out
