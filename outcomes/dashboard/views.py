"""The staff indicator dashboard, its exports, the recompute button and its progress, and the
public page of indicator definitions. Thin views: parse, authorize, read or call a service,
respond. Every staff address answers 404 to anyone but active staff (`access.staff_only`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gen_portal.errors import DomainError
from outcomes.indicators.catalogue import ALL, BY_CODE, Dimension
from outcomes.models import IndicatorRun

from . import definitions as defs
from . import exports, figures, selectors, services
from .access import staff_only
from .filters import TrainingTableFilter
from .forms import DEFAULT_MAP, DashboardViewForm, RecomputeForm
from .selectors import CALL_CODES, GEO_CODES, HEADLINE_OUTCOME

PAGE_SIZE = 50
TEMPLATE = "outcomes/dashboard/dashboard.html"


@dataclass
class Dashboard:
    """Everything the page and the exports show for one run."""

    run: IndicatorRun
    period: str
    period_label: str
    tiles: list
    trends: list
    regions: list
    departments: list
    total: figures.Row
    map: figures.MapData
    calls: list
    filterset: TrainingTableFilter
    training_rows: object  # queryset, filtered and sorted


def _dashboard(request: HttpRequest, run: IndicatorRun, view_form: DashboardViewForm) -> Dashboard:
    national = selectors.national_cells(run)
    view_form.set_periods(figures.trend_years(national))
    period = view_form.value("period", ALL)
    geo = selectors.geo_cells(run, period)
    national_rate = figures.shown(HEADLINE_OUTCOME, geo.get((HEADLINE_OUTCOME, period, "", "")))
    filterset = TrainingTableFilter(
        request.GET or None,
        queryset=selectors.training_rows(run, period, national_rate.number),
        national_rate=national_rate.number,
    )
    if filterset.is_bound and filterset.is_valid():
        rows = filterset.qs
    else:
        rows = filterset.queryset.order_by("key")
    call_cells = selectors.call_cells(run)
    delays = selectors.decision_delays(as_of=run.as_of)
    titles = selectors.call_titles({key for (*_rest, key) in call_cells} | set(delays))
    return Dashboard(
        run=run,
        period=period,
        period_label=figures.period_label(period, run.as_of),
        tiles=figures.tiles(national, run.as_of),
        trends=figures.trends(national, run.as_of),
        regions=figures.breakdown_rows(geo, period, Dimension.REGION, GEO_CODES),
        departments=figures.breakdown_rows(geo, period, Dimension.DEPARTMENT, GEO_CODES),
        total=figures.national_row(geo, period, GEO_CODES),
        map=figures.map_data(geo, period, view_form.value("carte", DEFAULT_MAP)),
        calls=figures.call_rows(call_cells, titles, delays),
        filterset=filterset,
        training_rows=rows,
    )


def _run_and_form(request: HttpRequest) -> tuple[IndicatorRun | None, DashboardViewForm]:
    view_form = DashboardViewForm(request.GET or None, dates=selectors.published_dates())
    return selectors.shown_run(view_form.requested_as_of()), view_form


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _page_context(request: HttpRequest, *, recompute_form: RecomputeForm | None = None) -> dict:
    run, view_form = _run_and_form(request)
    latest = selectors.latest_run()
    context = {
        "page_title": _("Tableau de bord des indicateurs"),
        "run": run,
        "view_form": view_form,
        "recompute_form": recompute_form or RecomputeForm(),
        "latest": latest,
        "latest_active": latest is not None
        and latest.status in (IndicatorRun.Status.QUEUED, IndicatorRun.Status.RUNNING)
        and not selectors.run_is_stale(latest),
        "latest_stale": latest is not None and selectors.run_is_stale(latest),
        "query": request.GET.urlencode(),
        "definitions_url": reverse("outcomes:definitions"),
    }
    if run is None:
        return context
    shown = _dashboard(request, run, view_form)
    page = Paginator(shown.training_rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(
        {
            "shown": shown,
            "geo_columns": [BY_CODE[code] for code in GEO_CODES],
            "call_columns": [BY_CODE[code] for code in CALL_CODES],
            "outcome": BY_CODE[HEADLINE_OUTCOME],
            "filter": shown.filterset,
            "page": page,
            "trainings": figures.training_rows(page.object_list),
            "page_query": _query_without(request, "page"),
            "hidden_view_fields": [
                (name, request.GET[name])
                for name in ("as_of", "period", "carte")
                if request.GET.get(name)
            ],
            "national_outcome": shown.total.figures[GEO_CODES.index(HEADLINE_OUTCOME)],
        }
    )
    return context


@staff_only
@require_http_methods(["GET", "POST"])
def dashboard(request: HttpRequest) -> HttpResponse:
    """The page; a POST asks for a recompute. Posted to the page itself, so that a refused date
    is shown next to its field on the page, whose links and forms all stay valid."""
    if request.method == "POST":
        return _recompute(request)
    return render(request, TEMPLATE, _page_context(request))


def _recompute(request: HttpRequest) -> HttpResponse:
    form = RecomputeForm(request.POST)
    if not form.is_valid():
        return render(request, TEMPLATE, _page_context(request, recompute_form=form))
    try:
        run = services.indicator_run_on_demand(
            as_of=form.cleaned_data["as_of"], requested_by=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Calcul n° %(number)s au %(as_of)s demandé.")
            % {"number": run.pk, "as_of": date_format(run.as_of, "d/m/Y")},
        )
    return redirect(reverse("outcomes:dashboard") + "#calcul")


@staff_only
@require_GET
def run_status(request: HttpRequest, pk: int) -> JsonResponse:
    """State of one run, polled by static/js/indicator_run_progress.js."""
    run = get_object_or_404(IndicatorRun, pk=pk)
    finished = run.status in (IndicatorRun.Status.DONE, IndicatorRun.Status.FAILED)
    return JsonResponse(
        {
            "id": run.pk,
            "as_of": run.as_of.isoformat(),
            "status": run.status,
            "status_display": str(run.get_status_display()),
            "progress": 100 if run.status == IndicatorRun.Status.DONE else run.progress,
            "finished": finished,
            "published": run.published_at is not None,
            "stale": selectors.run_is_stale(run),
            "error": run.error if run.status == IndicatorRun.Status.FAILED else "",
        },
        headers={"Cache-Control": "no-store"},
    )


# --- exports ----------------------------------------------------------------------------------

CSV_SHEETS = ("chiffres-cles", "annees", "regions", "departements", "appels", "formations")


def _sheets(request: HttpRequest) -> tuple[IndicatorRun, list[exports.Sheet]]:
    run, view_form = _run_and_form(request)
    if run is None:
        raise Http404(_("Aucun calcul d’indicateurs n’est encore publié."))
    shown = _dashboard(request, run, view_form)
    period = shown.period_label
    return run, [
        exports.tiles_sheet(shown.tiles),
        exports.trends_sheet(shown.trends),
        exports.breakdown_sheet(
            "regions",
            _("Par région"),
            _("Région"),
            period,
            shown.regions,
            shown.total,
            GEO_CODES,
        ),
        exports.breakdown_sheet(
            "departements",
            _("Par département"),
            _("Département"),
            period,
            shown.departments,
            shown.total,
            GEO_CODES,
        ),
        exports.calls_sheet(shown.calls, CALL_CODES),
        exports.trainings_sheet(figures.training_rows(shown.training_rows), period),
    ]


def _attachment(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_only
@require_GET
def export_csv(request: HttpRequest, table: str) -> HttpResponse:
    if table not in CSV_SHEETS:
        raise Http404
    run, sheets = _sheets(request)
    sheet = next(sheet for sheet in sheets if sheet.slug == table)
    return _attachment(
        exports.csv_file(sheet),
        "text/csv; charset=utf-8",
        f"gen-tableau-de-bord-{run.as_of.isoformat()}-{table}.csv",
    )


@staff_only
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    run, sheets = _sheets(request)
    return _attachment(
        exports.xlsx_file(sheets),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"gen-tableau-de-bord-{run.as_of.isoformat()}.xlsx",
    )


# --- definitions (public) ---------------------------------------------------------------------


@require_GET
def definitions(request: HttpRequest) -> HttpResponse:
    """Every indicator of the catalogue with its cohort, numerator, denominator, target and
    breakdowns: what each figure of the dashboard and of the public pages means. Public: a
    definition holds no data."""
    return render(
        request,
        "outcomes/dashboard/definitions.html",
        {"page_title": _("Définitions des indicateurs"), **defs.page()},
    )
