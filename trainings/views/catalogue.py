"""Public catalogue: the search of labelled trainings (as a list or a map), a training's page
and an organisation's page. No login.

Only trainings labelled today exist here (`selectors.labelled_trainings`): a training whose
label has expired or been withdrawn, or an organisation without a labelled training, is a
404, exactly like a code that never existed, so the public pages reveal nothing about what
is not labelled.
"""

from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from outcomes.indicators.catalogue import BY_CODE
from outcomes.indicators.display import reasons_used, shown
from outcomes.indicators.selectors import (
    TRAINING_PAGE_CODES,
    latest_published_run,
    public_training_cells,
)

from .. import selectors
from ..filters import CatalogueFilter
from ..geo import region_name

PAGE_SIZE = 20
# `affichage` chooses how results are shown; it is not a filter.
DISPLAY_PARAM = "affichage"
LIST, MAP = "liste", "carte"


def _query_without(request: HttpRequest, *names: str, **values: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    for name, value in values.items():
        query[name] = value
    return query.urlencode()


# The chart library (@gouvfr/dsfr-chart 2.0.4) draws regions under its own codes, not INSEE
# numbers (its README says otherwise; its code and SVG say these): INSEE code -> chart code.
CHART_REGION_CODES = {
    "11": "IDF",
    "24": "CVL",
    "27": "BFC",
    "28": "NOR",
    "32": "HDF",
    "44": "GES",
    "52": "PDL",
    "53": "BRE",
    "75": "NAQ",
    "76": "OCC",
    "84": "ARA",
    "93": "PAC",
    "94": "20R",
    "01": "971",
    "02": "972",
    "03": "973",
    "04": "974",
    "06": "976",
}


def _map_context(request: HttpRequest, search: CatalogueFilter) -> dict:
    """Counts of the filtered trainings per region and department, for the maps and the
    tables beside them. With a region chosen, the map zooms on its departments. Each row
    links to the same search narrowed to its area: a region on the map, a department as a
    list. Areas without a training are 0 on the map (so the whole country is shaded) and
    left out of the department table of the whole country (over a hundred rows)."""
    counts = selectors.area_counts(search.qs)
    region = search.form.cleaned_data.get("region") if search.form.is_valid() else None
    departments = counts["departments"]
    if region:
        departments = [row for row in departments if row["region"] == region]
    for row in counts["regions"]:
        query = _query_without(
            request, "page", "department", region=row["code"], **{DISPLAY_PARAM: MAP}
        )
        row["url"] = f"?{query}"
    for row in departments:
        row["url"] = "?" + _query_without(request, "page", DISPLAY_PARAM, department=row["code"])
    return {
        "counts": counts,
        "map_region": region or "",
        "map_region_chart": CHART_REGION_CODES.get(region or "", ""),
        "map_region_name": region_name(region) if region else "",
        "map_region_total": sum(row["total"] for row in departments),
        "region_rows": counts["regions"],
        "department_rows": departments if region else [r for r in departments if r["total"]],
        # JSON for the chart components' `data` attribute; the template escapes it.
        "region_data": json.dumps(
            {CHART_REGION_CODES[row["code"]]: row["total"] for row in counts["regions"]}
        ),
        "department_data": json.dumps({row["code"]: row["total"] for row in departments}),
    }


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    search = CatalogueFilter(request.GET, queryset=selectors.catalogue())
    display = MAP if request.GET.get(DISPLAY_PARAM) == MAP else LIST
    title = _("Formations labellisées")
    context = {
        "filter": search,
        "display": display,
        "page_title": title,
        "list_query": _query_without(request, DISPLAY_PARAM, "page"),
        "map_query": _query_without(request, "page", **{DISPLAY_PARAM: MAP}),
        # Sorting alone is no filter: nothing to clear.
        "filtered": any(
            value for name, value in request.GET.items() if name in search.filters and name != "o"
        ),
        "breadcrumb_data": {"current": title},
    }
    if display == LIST:
        paginator = Paginator(search.qs, PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        # What django-dsfr's pagination tag lists: first, last and the pages around.
        page.pages_list = list(
            paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
        )
        context.update({"page_obj": page, "total": paginator.count})
    else:
        context.update(_map_context(request, search))
        context["total"] = context["counts"]["total"]
    return render(request, "trainings/catalogue/search.html", context)


def _figures(training) -> dict:
    """The training's public outcome figures from the latest published indicator run, under
    the disclosure control of the public indicators."""
    run = latest_published_run()
    if run is None:
        return {"run": None, "figures": [], "reasons": []}
    cells = public_training_cells(run, training.code)
    if not cells:
        return {"run": run, "figures": [], "reasons": []}
    figures = [
        {
            "code": code,
            "label": BY_CODE[code].label,
            "figure": shown(BY_CODE[code], cells.get(code), details=False),
        }
        for code in TRAINING_PAGE_CODES
    ]
    return {
        "run": run,
        "figures": figures,
        "reasons": reasons_used(row["figure"] for row in figures),
    }


@require_GET
def training_detail(request: HttpRequest, code: str) -> HttpResponse:
    day = selectors.today()
    training = get_object_or_404(selectors.catalogue(day), code=code)
    catalogue_title = _("Formations labellisées")
    return render(
        request,
        "trainings/catalogue/training.html",
        {
            "training": training,
            "label": selectors.label_in_force(training, day),
            "sessions": selectors.current_sessions(training, day),
            "page_title": training.title,
            "breadcrumb_data": {
                "links": [{"url": reverse("trainings:catalogue"), "title": catalogue_title}],
                "current": training.title,
            },
            **_figures(training),
        },
    )


@require_GET
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    trainings = list(selectors.catalogue().filter(organisation_id=pk).order_by("title", "code"))
    if not trainings:
        raise Http404(_("Aucune formation labellisée de cet organisme."))
    organisation = trainings[0].organisation
    catalogue_title = _("Formations labellisées")
    return render(
        request,
        "trainings/catalogue/organisation.html",
        {
            "organisation": organisation,
            "trainings": trainings,
            "page_title": organisation.name,
            "breadcrumb_data": {
                "links": [{"url": reverse("trainings:catalogue"), "title": catalogue_title}],
                "current": organisation.name,
            },
        },
    )
