"""Declarations of interests: a member declares their interests once per call (and may
update them: every declaration is kept) and a conflict on any dossier of the call, assigned
to them or not. Staff read every declaration of a call; the exports are in `exports.py`."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from gen_portal.errors import DomainError

from .. import selectors, services
from ..forms.committee import ConflictForm, InterestsForm
from ..models import Call, ConflictDeclaration, Dossier, ReviewAssignment
from .permissions import staff_required
from .reviews import committee_required, member_breadcrumb
from .staff_queue import call_breadcrumb

DOSSIERS_PAGE_SIZE = 50

# Dossiers a member may declare a conflict on: submitted, not withdrawn.
_OPEN_TO_CONFLICT = [*services.AWAITING_DECISION, *Dossier.DECIDED_STATES]


def _member_call(pk: int) -> Call:
    return get_object_or_404(Call, pk=pk, is_published=True, is_historical=False)


@committee_required
@require_http_methods(["GET", "POST"])
def member_interests(request: HttpRequest, pk: int) -> HttpResponse:
    call = _member_call(pk)
    member = request.user
    latest = selectors.latest_interests(call, member)
    initial = {}
    if latest is not None:
        initial = {
            "organisations": latest.organisations,
            "sirets": latest.sirets,
            "comment": latest.comment,
        }
    form = InterestsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            _declaration, conflicts = services.interests_declare(
                call=call,
                member=member,
                organisations=form.cleaned_data["organisations"],
                sirets=form.cleaned_data["sirets"],
                comment=form.cleaned_data["comment"],
            )
        except DomainError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("Votre déclaration d'intérêts est enregistrée."))
            if conflicts:
                messages.info(
                    request,
                    ngettext(
                        "%(count)d dossier attribué relève d'un organisme déclaré : il vous est "
                        "retiré.",
                        "%(count)d dossiers attribués relèvent d'organismes déclarés : ils vous "
                        "sont retirés.",
                        conflicts,
                    )
                    % {"count": conflicts},
                )
            return redirect("labelling:member_interests", pk=call.pk)
    dossiers = (
        Dossier.objects.filter(call=call, state__in=_OPEN_TO_CONFLICT)
        .select_related("organisation")
        .annotate(
            has_conflict=Exists(
                ConflictDeclaration.objects.filter(dossier=OuterRef("pk"), member=member)
            ),
            is_assigned=Exists(
                ReviewAssignment.objects.filter(dossier=OuterRef("pk"), member=member)
            ),
        )
        .order_by("reference", "pk")
    )
    search = request.GET.get("q", "").strip()
    dossiers = selectors.search(dossiers, search)
    page = Paginator(dossiers, DOSSIERS_PAGE_SIZE).get_page(request.GET.get("page"))
    title = _("Déclaration d'intérêts — appel %(reference)s") % {"reference": call.reference}
    return render(
        request,
        "labelling/reviews/interests.html",
        {
            "call": call,
            "form": form,
            "latest": latest,
            "history": member.conflict_declarations.filter(call=call)
            .select_related("dossier")
            .order_by("-declared_at", "-pk"),
            "page": page,
            "search": search,
            "query": urlencode({"q": search}) if search else "",
            "page_title": title,
            "breadcrumb_data": member_breadcrumb(title),
        },
    )


@committee_required
@require_http_methods(["GET", "POST"])
def member_conflict(request: HttpRequest, pk: int, dossier_pk: int) -> HttpResponse:
    call = _member_call(pk)
    # Not `get_dossier_for`: a member may declare a conflict on a dossier that is not
    # assigned to them (so that it never is); this page shows only what the call's list of
    # dossiers already shows (number, organisation, training title).
    dossier = get_object_or_404(
        Dossier.objects.select_related("organisation"),
        pk=dossier_pk,
        call=call,
        state__in=_OPEN_TO_CONFLICT,
    )
    if ConflictDeclaration.objects.filter(dossier=dossier, member=request.user).exists():
        messages.info(request, _("Vous avez déjà déclaré un conflit d'intérêts sur ce dossier."))
        return redirect("labelling:member_interests", pk=call.pk)
    form = ConflictForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.dossier_conflict_declare(
                dossier=dossier, member=request.user, comment=form.cleaned_data["comment"]
            )
        except DomainError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request,
                _(
                    "Conflit d'intérêts déclaré sur le dossier %(reference)s : il ne vous sera "
                    "pas attribué et vous n'y avez plus accès."
                )
                % {"reference": dossier.reference},
            )
            return redirect("labelling:member_interests", pk=call.pk)
    title = _("Déclarer un conflit d'intérêts")
    return render(
        request,
        "labelling/reviews/conflict.html",
        {
            "call": call,
            "dossier": dossier,
            "form": form,
            "page_title": title,
            "breadcrumb_data": member_breadcrumb(title),
        },
    )


@staff_required
@require_GET
def staff_declarations(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(Call, pk=pk)
    title = _("Déclarations d'intérêts — appel %(reference)s") % {"reference": call.reference}
    return render(
        request,
        "labelling/staff/declarations.html",
        {
            "call": call,
            "declarations": selectors.call_declarations(call),
            "page_title": title,
            "breadcrumb_data": call_breadcrumb(call, title),
        },
    )
