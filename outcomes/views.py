"""Public pages of the indicators (DESIGN.md §5) and the open data (§6, docs/open-data.md).

Everything here is public: the disclosure control of `outcomes.indicators.selectors` is
applied to every figure, and a hidden cell shows only its mark ("< 5", "n.c.") and its reason.
The indicator files are exactly `show_indicators --format json|csv --public`; the files of
the labelled trainings and of the calls are served as `outcomes.open_data` last generated
them, with their Last-Modified and ETag for conditional downloads.
"""

from __future__ import annotations

import csv
import json

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_GET

from outcomes.indicators.catalogue import (
    ALL,
    BY_CODE,
    HEADLINE_CODES,
    REASON_DISPLAY,
    Dimension,
    Reason,
)
from outcomes.indicators.display import REASON_TEXT, shown, target_text
from outcomes.indicators.selectors import (
    FIGURES,
    Cell,
    cell_order,
    cells_for,
    latest_published_run,
    stored_values,
    suppressions,
)
from outcomes.management.commands.show_indicators import CSV_COLUMNS, _csv_field, cell_json
from outcomes.models import IndicatorRun, OpenDataFile
from outcomes.open_data import datasets
from outcomes.open_data.services import FILES
from trainings.geo import region_name

# Columns of the table by region (period `all`).
REGION_CODES = ("entrants", "women_share", "neet_share", "positive_exit_rate_m3")
# Disclosure control of a cell of these breakdowns depends only on cells of these breakdowns
# (selectors._tables groups cells by breakdown, and by key across years; selectors._twins
# pairs the `year` table with the national cells), so the other breakdowns need not be read.
PAGE_DIMENSIONS = (Dimension.NATIONAL, Dimension.YEAR, Dimension.REGION)

# The licence is a proper name, the same in the files and on the page.
LICENCE_NAME = datasets.LICENCE_NAME
LICENCE_URL = datasets.LICENCE_URL


# --- the latest published run, read once per request ----------------------------------------


def _run(request: HttpRequest) -> IndicatorRun | None:
    if not hasattr(request, "_public_indicator_run"):
        request._public_indicator_run = latest_published_run()
    return request._public_indicator_run


def _last_modified(request: HttpRequest, *args, **kwargs):
    run = _run(request)
    return run.published_at if run is not None else None


def _period_label(period: str) -> str:
    return _("Depuis le début") if period == ALL else period


# --- cells -------------------------------------------------------------------------------------


def _page_cells(run: IndicatorRun) -> dict[tuple[str, str, str, str], Cell]:
    """Public cells of the page's indicators and breakdowns, in one query."""
    codes = sorted(set(HEADLINE_CODES) | set(REGION_CODES))
    values = list(
        stored_values(run)
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
                "figures": [shown(indicator, cell, details=True) for cell in by_period],
                "target": target_text(indicator, target),
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
                shown(BY_CODE[code], cells.get((code, ALL, Dimension.REGION.value, key)))
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


def _file_rows(files: dict[str, OpenDataFile], stem: str, label: str, fields: dict) -> dict:
    """One dataset on the page: its two files (those generated so far) and its columns."""
    formats = []
    for fmt, fmt_label in (("csv", _("CSV, séparateur virgule, UTF-8")), ("json", "JSON")):
        file = files.get(f"{stem}.{fmt}")
        if file is not None and file.is_generated:
            formats.append({"file": file, "format": fmt_label, "code": fmt.upper()})
    return {
        "label": label,
        "files": formats,
        "fields": [{"name": name, "text": text} for name, text in fields.items()],
    }


def _calls_table(files: dict[str, OpenDataFile]) -> dict | None:
    """The calls with their counts, read from the published file itself so the page and
    the download never disagree."""
    file = files.get("calls.json")
    if file is None or not file.is_generated:
        return None
    document = json.loads(OpenDataFile.objects.values_list("content", flat=True).get(pk=file.pk))
    return {"as_of": file.as_of, "calls": document["records"]}


@require_GET
def open_data(request: HttpRequest) -> HttpResponse:
    run = _run(request)
    files = {file.name: file for file in OpenDataFile.objects.defer("content")}
    return render(
        request,
        "outcomes/open_data.html",
        {
            "run": run,
            "page_title": _("Données ouvertes"),
            "licence_name": LICENCE_NAME,
            "licence_url": LICENCE_URL,
            "datasets": [
                _file_rows(
                    files, "trainings", _("Formations labellisées"), datasets.TRAINING_FIELDS
                ),
                _file_rows(files, "calls", _("Appels à labellisation"), datasets.CALL_FIELDS),
            ],
            "calls_table": _calls_table(files),
        },
    )


# --- the generated files (labelled trainings, calls) -------------------------------------------


def _generated_file(request: HttpRequest, name: str) -> OpenDataFile | None:
    """The file's metadata, read once per request (conditional GET, then the response)."""
    if not hasattr(request, "_open_data_file"):
        request._open_data_file = (
            OpenDataFile.objects.defer("content")
            .filter(name=name, name__in=FILES, modified_at__isnull=False)
            .first()
        )
    return request._open_data_file


def _file_etag(request: HttpRequest, name: str) -> str | None:
    file = _generated_file(request, name)
    return file.sha256 if file is not None else None


def _file_last_modified(request: HttpRequest, name: str):
    file = _generated_file(request, name)
    return file.modified_at if file is not None else None


@require_GET
@condition(etag_func=_file_etag, last_modified_func=_file_last_modified)
def open_data_file(request: HttpRequest, name: str) -> HttpResponse:
    """A generated file as it was last published; 404 for an unknown name or before the
    first generation. Conditional requests get 304 when nothing changed."""
    file = _generated_file(request, name)
    if file is None:
        raise Http404(_("Ce fichier n'existe pas ou n'a pas encore été produit."))
    content = OpenDataFile.objects.values_list("content", flat=True).get(pk=file.pk)
    response = HttpResponse(content.encode("utf-8"), content_type=file.content_type)
    if name.endswith(".csv"):
        stem = "gen-formations-labellisees" if name.startswith("trainings") else "gen-appels"
        as_of = file.as_of.isoformat() if file.as_of else ""
        response["Content-Disposition"] = f'attachment; filename="{stem}-{as_of}.csv"'
    # Caches may keep it but must ask again each time (a conditional GET, cheap).
    response["Cache-Control"] = "public, no-cache"
    return response


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
