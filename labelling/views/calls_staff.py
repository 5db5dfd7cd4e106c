"""Staff pages for calls: the list with dossier counts, creation, editing with the criteria,
publication and deadline extensions. Thin views: parse, authorize, call a service, respond.
"""

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gen_portal.errors import DomainError

from .. import services
from ..forms.calls import (
    CallForm,
    CriterionCreateFormSet,
    CriterionEditFormSet,
    ExtensionForm,
    criteria_initial,
)
from ..models import Call, Dossier
from ..templatetags.labelling_tags import call_status, paris_datetime
from .permissions import staff_required

CRITERIA_PREFIX = "criteria"


def _breadcrumb(current: str, *, with_list: bool = True) -> dict:
    links = []
    if with_list:
        links.append(
            {"url": reverse("labelling:staff_call_list"), "title": _("Gestion des appels")}
        )
    return {"links": links, "current": current}


def _calls_with_dossier_counts():
    """Every call with one count per dossier state, computed by the database in the same
    query as the calls (conditional aggregates over one join), whatever the number of calls."""
    counts = {
        f"dossiers_{state}": Count("dossiers", filter=Q(dossiers__state=state))
        for state in Dossier.State.values
    }
    return Call.objects.annotate(**counts).order_by("-opens_at", "-pk")


@staff_required
@require_GET
def call_admin_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = [
        {
            "call": call,
            "status": call_status(call, now),
            "counts": [getattr(call, f"dossiers_{state}") for state in Dossier.State.values],
        }
        for call in _calls_with_dossier_counts()
    ]
    return render(
        request,
        "labelling/calls/staff_list.html",
        {
            "rows": rows,
            "states": Dossier.State.choices,
            "page_title": _("Gestion des appels à labellisation"),
            "breadcrumb_data": _breadcrumb(_("Gestion des appels"), with_list=False),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def call_create_view(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = CallForm(data)
    formset = CriterionCreateFormSet(data, prefix=CRITERIA_PREFIX)
    # Both validated, so every error shows at once.
    if data is not None and all([form.is_valid(), formset.is_valid()]):
        try:
            call = services.call_create(**form.service_fields(), criteria=formset.criteria())
        except DomainError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request,
                _(
                    "L'appel %(reference)s est enregistré. Il n'est pas encore publié : "
                    "publiez-le quand il est prêt."
                )
                % {"reference": call.reference},
            )
            return redirect("labelling:staff_call_edit", pk=call.pk)
    title = _("Nouvel appel à labellisation")
    return render(
        request,
        "labelling/calls/staff_form.html",
        {
            "form": form,
            "formset": formset,
            "call": None,
            "page_title": title,
            "breadcrumb_data": _breadcrumb(title),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def call_edit(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(Call, pk=pk)
    dates_locked = services.call_has_submissions(call)
    criteria_locked = services.call_criteria_locked(call)
    data = request.POST if request.method == "POST" else None
    form = CallForm(data, call=call, dates_locked=dates_locked)
    formset = None
    if not criteria_locked:
        formset = CriterionEditFormSet(data, prefix=CRITERIA_PREFIX, initial=criteria_initial(call))
    if data is not None and all([form.is_valid(), formset is None or formset.is_valid()]):
        try:
            services.call_update(
                call=call,
                criteria=None if formset is None else formset.criteria(),
                **form.service_fields(),
            )
        except DomainError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request, _("L'appel %(reference)s est enregistré.") % {"reference": call.reference}
            )
            return redirect("labelling:staff_call_edit", pk=call.pk)
        call.refresh_from_db()
    title = _("Appel %(reference)s") % {"reference": call.reference}
    return render(
        request,
        "labelling/calls/staff_form.html",
        {
            "form": form,
            "formset": formset,
            "call": call,
            "status": call_status(call),
            "criteria": call.criteria.all(),
            "extensions": call.extensions.select_related("created_by"),
            "dates_locked": dates_locked,
            "criteria_locked": criteria_locked,
            "page_title": title,
            "breadcrumb_data": _breadcrumb(title),
        },
    )


@staff_required
@require_POST
def call_publish(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(Call, pk=pk)
    try:
        call = services.call_publish(call=call, actor=request.user)
    except DomainError as refusal:
        messages.error(request, refusal.message)
        return redirect("labelling:staff_call_edit", pk=call.pk)
    messages.success(
        request,
        _("L'appel %(reference)s est publié : sa page est visible de tous.")
        % {"reference": call.reference},
    )
    return redirect("labelling:staff_call_list")


@staff_required
@require_http_methods(["GET", "POST"])
def call_extend(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(Call, pk=pk)
    form = ExtensionForm(request.POST if request.method == "POST" else None, call=call)
    if request.method == "POST" and form.is_valid():
        try:
            extension = services.call_extend_deadline(
                call=call,
                new_closes_at=form.cleaned_data["new_closes_at"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except DomainError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request,
                _(
                    "La clôture de l'appel %(reference)s est reportée au %(date)s. Le report et "
                    "son motif sont affichés sur la page publique de l'appel."
                )
                % {"reference": call.reference, "date": paris_datetime(extension.new_closes_at)},
            )
            return redirect("labelling:staff_call_edit", pk=call.pk)
    title = _("Reporter la clôture de l'appel %(reference)s") % {"reference": call.reference}
    return render(
        request,
        "labelling/calls/staff_extend.html",
        {
            "form": form,
            "call": call,
            "status": call_status(call),
            "extensions": call.extensions.select_related("created_by"),
            "page_title": title,
            "breadcrumb_data": {
                "links": [
                    {"url": reverse("labelling:staff_call_list"), "title": _("Gestion des appels")},
                    {
                        "url": reverse("labelling:staff_call_edit", args=[call.pk]),
                        "title": _("Appel %(reference)s") % {"reference": call.reference},
                    },
                ],
                "current": _("Report de clôture"),
            },
        },
    )
