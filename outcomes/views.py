"""Public pages of the indicators (DESIGN.md §5) and their open data (§6).

Everything here is public: the disclosure control of `outcomes.indicators.selectors` is
applied to every figure, and a hidden cell shows only its mark ("< 5", "n.c.") and its reason.
The open-data files are exactly `show_indicators --format json|csv --public`.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import condition, require_GET

from outcomes.indicators.catalogue import (
    ALL,
    BY_CODE,
    REASON_DISPLAY,
    Dimension,
    Indicator,
    Kind,
    Reason,
)
from outcomes.indicators.selectors import (
    FIGURES,
    Cell,
    cell_order,
    cells_for,
    latest_published_run,
    suppressions,
    values_for,
)
from outcomes.management.commands.show_indicators import CSV_COLUMNS, _csv_field, cell_json
from outcomes.models import IndicatorRun
from trainings.geo import region_name

# Headline national figures, in this order.
HEADLINE_CODES = (
    "learners_total",
    "entrants",
    "women_share",
    "neet_share",
    "qpv_resident_share",
    "free_access_share",
    "positive_exit_rate_m3",
    "labelled_trainings",
    "qpv_training_share",
)
# Columns of the table by region (period `all`).
REGION_CODES = ("entrants", "women_share", "neet_share", "positive_exit_rate_m3")
# Disclosure control of a cell of these breakdowns depends only on cells of these breakdowns
# (selectors._tables groups cells by breakdown, and by key across years; selectors._twins
# pairs the `year` table with the national cells), so the other breakdowns need not be read.
PAGE_DIMENSIONS = (Dimension.NATIONAL, Dimension.YEAR, Dimension.REGION)

REASON_TEXT = {
    Reason.COUNT_UNDER_5: gettext_lazy(
        "Effectif compris entre 1 et 4, masqué au titre du secret statistique."
    ),
    Reason.DENOMINATOR_UNDER_20: gettext_lazy(
        "Taux non communiqué : il porterait sur moins de 20 personnes ou formations."
    ),
    Reason.SECONDARY: gettext_lazy(
        "Non communiqué pour qu'une autre valeur masquée ne puisse pas être retrouvée par "
        "soustraction (secret statistique)."
    ),
}

LICENCE_NAME = gettext_lazy("Licence Ouverte / Open Licence version 2.0 (Etalab 2.0)")
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"


# --- the latest published run, read once per request ----------------------------------------


def _run(request: HttpRequest) -> IndicatorRun | None:
    if not hasattr(request, "_public_indicator_run"):
        request._public_indicator_run = latest_published_run()
    return request._public_indicator_run


def _last_modified(request: HttpRequest, *args, **kwargs):
    run = _run(request)
    return run.published_at if run is not None else None


# --- formatting ------------------------------------------------------------------------------


def _percent(value: float) -> str:
    # number_format truncates floats: round first.
    return f"{number_format(round(value * 100, 1), 1)}\u00a0%"


def _count(value: float | int) -> str:
    return number_format(int(round(value)), 0, force_grouping=True)


@dataclass(frozen=True)
class Shown:
    """One cell as the page shows it: a figure, or a mark with its reason."""

    text: str
    hidden: bool = False
    reason: str = ""
    reason_code: str = ""
    fraction: str = ""  # "12 / 27" under a rate
    details: tuple[str, ...] = ()  # interval, coverage, lower bound
    missing: bool = False


def _shown(indicator: Indicator, cell: Cell | None, *, details: bool = False) -> Shown:
    if cell is None:
        return Shown(text="—", missing=True)
    if cell.suppressed:
        return Shown(
            text=REASON_DISPLAY.get(cell.reason, "n.c."),
            hidden=True,
            reason=str(REASON_TEXT.get(cell.reason, "")),
            reason_code=cell.reason or "",
        )
    if indicator.kind == Kind.COUNT:
        return Shown(text=_count(cell.numerator or 0))
    if cell.value is None:
        return Shown(text="—", missing=True)
    extra = []
    if details:
        if cell.ci_low is not None and cell.ci_high is not None:
            extra.append(
                _("intervalle de confiance à 95 %% : %(low)s – %(high)s")
                % {"low": _percent(cell.ci_low), "high": _percent(cell.ci_high)}
            )
        if cell.coverage is not None:
            extra.append(_("situations connues : %(value)s") % {"value": _percent(cell.coverage)})
        if cell.lower_bound is not None:
            extra.append(
                _("borne basse (situations inconnues comptées non positives) : %(value)s")
                % {"value": _percent(cell.lower_bound)}
            )
    return Shown(
        text=_percent(cell.value),
        fraction=f"{_count(cell.numerator or 0)} / {_count(cell.denominator or 0)}",
        details=tuple(extra),
    )


def _target(indicator: Indicator, target: float | None) -> str:
    if target is None:
        return ""
    if indicator.kind == Kind.RATE:
        return _("≥ %(value)s") % {"value": _percent(target)}
    return _count(target)


def _period_label(period: str) -> str:
    return _("Depuis le début") if period == ALL else period


# --- cells -------------------------------------------------------------------------------------


def _page_cells(run: IndicatorRun) -> dict[tuple[str, str, str, str], Cell]:
    """Public cells of the page's indicators and breakdowns, in one query."""
    codes = sorted(set(HEADLINE_CODES) | set(REGION_CODES))
    values = list(
        values_for(run)
        .filter(code__in=codes, dimension__in=[d.value for d in PAGE_DIMENSIONS])
        .values_list("code", "period", "dimension", "key", "target", *FIGURES, named=True)
    )
    hidden = suppressions(values)
    cells = {}
    for value in values:
        cell_id = (value.code, value.period, value.dimension, value.key)
        cells[cell_id] = Cell.of(value, hidden.get(cell_id))
    return cells


def _latest_year(cells: dict) -> str | None:
    years = [
        period
        for (_code, period, dimension, _key) in cells
        if dimension == Dimension.NATIONAL and period.isdigit()
    ]
    return max(years) if years else None


def _headline(cells: dict, periods: list[str]) -> list[dict]:
    rows = []
    for code in HEADLINE_CODES:
        indicator = BY_CODE[code]
        by_period = [cells.get((code, period, "", "")) for period in periods]
        target = next((c.target for c in by_period if c is not None and c.target), None)
        rows.append(
            {
                "code": code,
                "label": indicator.label,
                "numerator_definition": indicator.numerator_definition,
                "denominator_definition": indicator.denominator_definition,
                "figures": [_shown(indicator, cell, details=True) for cell in by_period],
                "target": _target(indicator, target),
            }
        )
    return rows


def _regions(cells: dict) -> list[dict]:
    keys = sorted(
        {
            key
            for (code, period, dimension, key) in cells
            if code in REGION_CODES and period == ALL and dimension == Dimension.REGION
        },
        key=lambda key: (region_name(key), key),
    )
    return [
        {
            "key": key,
            "name": region_name(key),
            "figures": [
                _shown(BY_CODE[code], cells.get((code, ALL, Dimension.REGION.value, key)))
                for code in REGION_CODES
            ],
        }
        for key in keys
    ]


# --- views -------------------------------------------------------------------------------------


@require_GET
def public_indicators(request: HttpRequest) -> HttpResponse:
    run = _run(request)
    context = {"run": run, "page_title": _("Indicateurs"), "reasons": []}
    if run is not None:
        cells = _page_cells(run)
        latest = _latest_year(cells)
        periods = [p for p in (latest, ALL) if p is not None]
        headline = _headline(cells, periods)
        regions = _regions(cells)
        used = {
            figure.reason_code
            for row in [*headline, *regions]
            for figure in row["figures"]
            if figure.hidden
        }
        context.update(
            {
                "periods": [{"code": p, "label": _period_label(p)} for p in periods],
                "headline": headline,
                "region_columns": [BY_CODE[code].label for code in REGION_CODES],
                "regions": regions,
                "reasons": [
                    {"mark": REASON_DISPLAY[reason], "text": REASON_TEXT[reason]}
                    for reason in Reason
                    if reason in used
                ],
            }
        )
    return render(request, "outcomes/public_indicators.html", context)


@require_GET
def open_data(request: HttpRequest) -> HttpResponse:
    run = _run(request)
    return render(
        request,
        "outcomes/open_data.html",
        {
            "run": run,
            "page_title": _("Données ouvertes"),
            "licence_name": LICENCE_NAME,
            "licence_url": LICENCE_URL,
        },
    )


def _public_run_or_404(request: HttpRequest) -> IndicatorRun:
    run = _run(request)
    if run is None:
        raise Http404(_("Aucun calcul d'indicateurs n'est encore publié."))
    return run


@require_GET
@condition(last_modified_func=_last_modified)
def open_data_indicators_json(request: HttpRequest) -> HttpResponse:
    """The same document as `show_indicators --format json --public`."""
    run = _public_run_or_404(request)
    payload = {
        "as_of": run.as_of.isoformat(),
        "definition_version": run.definition_version,
        "indicators": [cell_json(cell) for cell in cells_for(run, public=True)],
    }
    return HttpResponse(
        json.dumps(payload, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(cells: list[Cell]):
    writer = csv.writer(_Echo(), lineterminator="\n")
    yield writer.writerow(CSV_COLUMNS)
    for cell in cells:
        data = cell_json(cell)
        breakdown = data.pop("breakdown")
        data["breakdown_dimension"] = breakdown.get("dimension", "")
        data["breakdown_key"] = breakdown.get("key", "")
        yield writer.writerow([_csv_field(data[column]) for column in CSV_COLUMNS])


@require_GET
@condition(last_modified_func=_last_modified)
def open_data_indicators_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The same rows as `show_indicators --format csv --public`."""
    run = _public_run_or_404(request)
    cells = sorted(cells_for(run, public=True), key=cell_order)
    response = StreamingHttpResponse(_csv_rows(cells), content_type="text/csv; charset=utf-8")
    filename = f"gen-indicateurs-{run.as_of.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
