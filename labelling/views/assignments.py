"""Staff assign committee members to dossiers, by hand on the dossier's page or
automatically for a whole call. The services refuse conflicted members and members of the
applicant organisation; these views only parse and report."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from gen_portal.errors import DomainError

from .. import selectors, services
from ..forms.committee import AssignForm, AutoAssignForm
from ..models import Call, ReviewAssignment
from .permissions import staff_required
from .staff_queue import call_breadcrumb, dossier_page_context, staff_dossier_or_404


@staff_required
@require_POST
def staff_assign(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = staff_dossier_or_404(request, pk)
    form = AssignForm(request.POST, members=selectors.assignable_members(dossier))
    if form.is_valid():
        member = form.cleaned_data["member"]
        try:
            services.review_assign(dossier=dossier, member=member, actor=request.user)
        except DomainError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(
                request,
                _("Dossier attribué à %(name)s.") % {"name": member.get_full_name()},
            )
            return redirect("labelling:staff_dossier", pk=dossier.pk)
    return render(
        request,
        "labelling/staff/dossier.html",
        dossier_page_context(dossier, assign_form=form),
    )


@staff_required
@require_POST
def staff_unassign(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    dossier = staff_dossier_or_404(request, pk)
    assignment = get_object_or_404(
        ReviewAssignment.objects.select_related("member"), pk=assignment_pk, dossier=dossier
    )
    try:
        services.assignment_remove(assignment=assignment, actor=request.user)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("L'attribution à %(name)s est retirée.")
            % {"name": assignment.member.get_full_name()},
        )
    return redirect("labelling:staff_dossier", pk=dossier.pk)


@staff_required
@require_http_methods(["GET", "POST"])
def staff_assign_auto(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(Call, pk=pk)
    form = AutoAssignForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.assignments_auto(
                call=call, per_dossier=form.cleaned_data["per_dossier"], actor=request.user
            )
        except DomainError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d attribution créée.",
                    "%(count)d attributions créées.",
                    result["created"],
                )
                % {"count": result["created"]},
            )
            if result["short"]:
                messages.warning(
                    request,
                    _(
                        "Pas assez de membres sans conflit pour ces dossiers : %(references)s. "
                        "Attribuez-les à la main ou ajoutez des membres au comité."
                    )
                    % {"references": ", ".join(result["short"])},
                )
            return redirect("labelling:staff_assign_auto", pk=call.pk)
    loads = selectors.member_loads(call)
    members = [
        {"member": member, "load": loads.get(member.pk, 0)}
        for member in services.committee_members()
    ]
    title = _("Attribution automatique")
    return render(
        request,
        "labelling/staff/assign_auto.html",
        {
            "call": call,
            "form": form,
            "members": members,
            "page_title": title,
            "breadcrumb_data": call_breadcrumb(call, title),
        },
    )
