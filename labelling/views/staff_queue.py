"""Staff work queue of a call and the staff page of one dossier: filters and sorting,
admissibility checklist, correction requests, start of the review, the reviews with their
figures. Thin views: parse, authorize, call a service, respond."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gen_portal.errors import DomainError

from .. import selectors, services
from ..access import get_dossier_for
from ..filters import SORTABLE, WorkQueueFilter
from ..forms.committee import AdmissibilityForm, AssignForm, CorrectionRequestForm
from ..models import AdmissibilityCheck, Call, Dossier
from .permissions import staff_required

QUEUE_PAGE_SIZE = 50


def call_breadcrumb(call: Call, current: str, *, with_queue: bool = True) -> dict:
    links = [{"url": reverse("labelling:staff_call_list"), "title": _("Gestion des appels")}]
    if with_queue:
        links.append(
            {
                "url": reverse("labelling:staff_queue", args=[call.pk]),
                "title": _("Dossiers de l'appel %(reference)s") % {"reference": call.reference},
            }
        )
    return {"links": links, "current": current}


def _sort_columns(request: HttpRequest) -> dict:
    """For each sortable column: the link that sorts by it (ascending, or descending when
    it is already the ascending sort) and its `aria-sort` state."""
    current = request.GET.get("o", "")
    columns = {}
    for column, _field, _label in SORTABLE:
        query = request.GET.copy()
        query.pop("page", None)
        if current == column:
            query["o"], state = f"-{column}", "ascending"
        elif current == f"-{column}":
            query["o"], state = column, "descending"
        else:
            query["o"], state = column, "none"
        columns[column] = {"url": f"?{query.urlencode()}", "aria_sort": state}
    return columns


@staff_required
@require_GET
def staff_queue(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(Call, pk=pk)
    filterset = WorkQueueFilter(request.GET or None, queryset=selectors.work_queue(call))
    dossiers = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    page = Paginator(dossiers, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    title = _("Dossiers de l'appel %(reference)s") % {"reference": call.reference}
    return render(
        request,
        "labelling/staff/queue.html",
        {
            "call": call,
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "sort": _sort_columns(request),
            "page_title": title,
            "breadcrumb_data": call_breadcrumb(call, title, with_queue=False),
        },
    )


def dossier_page_context(dossier: Dossier, **forms) -> dict:
    checks = list(
        dossier.admissibility_checks.select_related("checked_by").order_by("-checked_at", "-id")
    )
    latest = checks[0] if checks else None
    awaiting = dossier.state in services.AWAITING_DECISION
    summary = selectors.review_summary(dossier)
    context = {
        "dossier": dossier,
        "call": dossier.call,
        "awaiting": awaiting,
        "attachments": dossier.attachments.order_by("kind", "uploaded_at"),
        "checks": checks,
        "latest_check": latest,
        "checklist": [
            (value, label, latest is not None and value in latest.items)
            for value, label in AdmissibilityCheck.Item.choices
        ],
        "summary": summary,
        "decisions": dossier.decisions.select_related("meeting", "decided_by").order_by(
            "-decided_at", "-pk"
        ),
        "transitions": dossier.transitions.select_related("actor").order_by("at", "id"),
        "conflicts": dossier.conflicts.select_related("member").order_by("declared_at", "pk"),
        "page_title": _("Dossier %(reference)s") % {"reference": dossier.reference},
    }
    context["breadcrumb_data"] = call_breadcrumb(dossier.call, context["page_title"])
    if awaiting:
        latest_items = latest.items if latest else []
        context["admissibility_form"] = forms.get("admissibility_form") or AdmissibilityForm(
            initial={"items": latest_items, "notes": latest.notes if latest else ""}
        )
        context["correction_form"] = forms.get("correction_form") or CorrectionRequestForm()
        context["assign_form"] = forms.get("assign_form") or AssignForm(
            members=selectors.assignable_members(dossier)
        )
    return context


def staff_dossier_or_404(request: HttpRequest, pk: int) -> Dossier:
    dossier = get_dossier_for(request.user, pk)
    # Drafts are the applicant's business until submitted, staff included.
    if dossier.state == Dossier.State.DRAFT:
        raise Http404
    return dossier


@staff_required
@require_GET
def staff_dossier(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = staff_dossier_or_404(request, pk)
    return render(request, "labelling/staff/dossier.html", dossier_page_context(dossier))


@staff_required
@require_POST
def staff_admissibility(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = staff_dossier_or_404(request, pk)
    form = AdmissibilityForm(request.POST)
    if form.is_valid():
        try:
            check = services.admissibility_record(
                dossier=dossier,
                actor=request.user,
                items=form.cleaned_data["items"],
                notes=form.cleaned_data["notes"],
            )
        except DomainError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(
                request,
                _("Recevabilité enregistrée : tous les points sont vérifiés.")
                if check.is_complete
                else _("Recevabilité enregistrée : des points restent à vérifier."),
            )
            return redirect("labelling:staff_dossier", pk=dossier.pk)
    return render(
        request,
        "labelling/staff/dossier.html",
        dossier_page_context(dossier, admissibility_form=form),
    )


@staff_required
@require_POST
def staff_request_correction(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = staff_dossier_or_404(request, pk)
    form = CorrectionRequestForm(request.POST)
    if form.is_valid():
        try:
            services.dossier_request_correction(
                dossier=dossier, actor=request.user, message=form.cleaned_data["message"]
            )
        except DomainError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(
                request,
                _("La demande de correction est envoyée à l'organisme %(name)s.")
                % {"name": dossier.organisation.name},
            )
            return redirect("labelling:staff_dossier", pk=dossier.pk)
    return render(
        request,
        "labelling/staff/dossier.html",
        dossier_page_context(dossier, correction_form=form),
    )


@staff_required
@require_POST
def staff_start_review(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = staff_dossier_or_404(request, pk)
    try:
        services.dossier_start_review(dossier=dossier, actor=request.user)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Le dossier est en instruction."))
    return redirect("labelling:staff_dossier", pk=dossier.pk)
