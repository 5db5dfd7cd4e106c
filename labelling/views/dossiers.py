"""Applicant pages: my dossiers, the step-by-step dossier, submission, receipt, withdrawal.

Thin views: parse, authorize through `labelling.access`, call a service, respond.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from gen_portal.errors import DomainError
from trainings.models import Organisation

from ..access import get_dossier_for, is_applicant_of
from ..forms.dossiers import (
    AttachmentForm,
    CommitmentsStepForm,
    PartnersStepForm,
    StartForm,
    SupportStepForm,
    TrainingStepForm,
    WithdrawForm,
)
from ..models import Call, Dossier
from ..receipts import receipt_pdf
from ..services import (
    dossier_create,
    dossier_rule_errors,
    dossier_submit,
    dossier_update,
    dossier_withdraw,
)


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    form_class: type | None = None


STEPS = (
    Step("organisation", gettext_lazy("Organisation")),
    Step("formation", gettext_lazy("Formation"), TrainingStepForm),
    Step("publics", gettext_lazy("Publics et engagements"), CommitmentsStepForm),
    Step("accompagnement", gettext_lazy("Accompagnement et immersion"), SupportStepForm),
    Step("partenaires", gettext_lazy("Partenaires et budget"), PartnersStepForm),
    Step("pieces", gettext_lazy("Pièces jointes")),
    Step("recapitulatif", gettext_lazy("Récapitulatif et dépôt")),
)
STEP_INDEX = {step.slug: index for index, step in enumerate(STEPS)}


def _step_or_404(slug: str) -> tuple[int, Step]:
    if slug not in STEP_INDEX:
        raise Http404
    index = STEP_INDEX[slug]
    return index, STEPS[index]


def _organisations_of(user):
    return Organisation.objects.filter(memberships__user=user).order_by("name")


@login_required
def my_dossiers(request):
    dossiers = (
        Dossier.objects.filter(organisation__memberships__user=request.user)
        .select_related("call", "organisation")
        .order_by("-created_at")
    )
    now = timezone.now()
    open_calls = [
        call
        for call in Call.objects.filter(is_published=True, closes_at__gt=now, opens_at__lte=now)
        if call.is_open(now)
    ]
    return render(
        request,
        "labelling/dossiers/my_dossiers.html",
        {
            "dossiers": dossiers,
            "open_calls": open_calls,
            "has_organisation": _organisations_of(request.user).exists(),
            "now": now,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def dossier_start(request, reference: str):
    call = get_object_or_404(Call, reference=reference, is_published=True)
    organisations = _organisations_of(request.user)
    if not organisations.exists():
        messages.info(
            request,
            _("Pour candidater, rattachez d'abord votre compte à votre organisation."),
        )
        return redirect("accounts:my_space")
    form = StartForm(request.POST or None, organisations=organisations)
    if organisations.count() == 1 and request.method == "POST":
        form = StartForm({"organisation": organisations.get().pk}, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            dossier = dossier_create(
                call=call, organisation=form.cleaned_data["organisation"], actor=request.user
            )
        except DomainError as refusal:
            messages.error(request, refusal.message)
            return redirect("labelling:call_detail", reference=call.reference)
        return redirect("labelling:dossier_step", pk=dossier.pk, step=STEPS[0].slug)
    return render(request, "labelling/dossiers/start.html", {"call": call, "form": form})


def _step_context(dossier: Dossier, index: int, step: Step, **extra) -> dict:
    return {
        "dossier": dossier,
        "steps": STEPS,
        "step": step,
        "step_number": index + 1,
        "step_count": len(STEPS),
        "previous_step": STEPS[index - 1] if index > 0 else None,
        "next_step": STEPS[index + 1] if index + 1 < len(STEPS) else None,
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def dossier_step(request, pk: int, step: str):
    index, current = _step_or_404(step)
    dossier = get_dossier_for(request.user, pk, write=True)
    if not dossier.is_editable:
        return redirect("labelling:dossier_detail", pk=dossier.pk)
    extra: dict = {}
    if current.form_class is not None:
        form = current.form_class(request.POST or None, instance=dossier)
        if request.method == "POST":
            valid = form.is_valid()
            try:
                dossier = dossier_update(
                    dossier=dossier,
                    actor=request.user,
                    fields=form.values() if valid else form.valid_values(),
                )
            except DomainError as refusal:
                messages.error(request, refusal.message)
                return redirect("labelling:dossier_detail", pk=dossier.pk)
            if valid:
                messages.success(request, _("Étape enregistrée."))
                target = _next_slug(index) if "next" in request.POST else current.slug
                return redirect("labelling:dossier_step", pk=dossier.pk, step=target)
        extra["form"] = form
        extra["autosave_url"] = reverse(
            "labelling:dossier_autosave", kwargs={"pk": dossier.pk, "step": current.slug}
        )
    elif request.method == "POST":
        return redirect("labelling:dossier_step", pk=dossier.pk, step=_next_slug(index))
    if current.slug == "pieces":
        extra["attachment_form"] = AttachmentForm()
        extra["attachments"] = dossier.attachments.order_by("kind", "uploaded_at")
        extra["required_kinds"] = dossier.call.required_attachments
    if current.slug == "recapitulatif":
        extra["rule_errors"] = dossier_rule_errors(dossier)
        extra["attachments"] = dossier.attachments.order_by("kind", "uploaded_at")
        extra["call_open"] = dossier.call.is_open(timezone.now())
    return render(
        request, "labelling/dossiers/step.html", _step_context(dossier, index, current, **extra)
    )


def _next_slug(index: int) -> str:
    return STEPS[min(index + 1, len(STEPS) - 1)].slug


@require_POST
def dossier_autosave(request, pk: int, step: str):
    """Save what was typed so far. Answers JSON; an expired session gets 401 (not a redirect)
    so the page can keep the typing in the browser and restore it after logging in again."""
    if not request.user.is_authenticated:
        return JsonResponse(
            {
                "error": "session_expired",
                "message": _(
                    "Votre session a expiré. Reconnectez-vous : votre saisie est gardée dans ce "
                    "navigateur et sera enregistrée à votre retour."
                ),
            },
            status=401,
        )
    _index, current = _step_or_404(step)
    if current.form_class is None:
        raise Http404
    dossier = get_dossier_for(request.user, pk, write=True)
    form = current.form_class(request.POST, instance=dossier)
    try:
        dossier_update(dossier=dossier, actor=request.user, fields=form.valid_values())
    except DomainError as refusal:
        return JsonResponse({"error": refusal.code, "message": str(refusal.message)}, status=409)
    saved_at = timezone.localtime().strftime("%H:%M")
    return JsonResponse(
        {
            "saved_at": saved_at,
            "message": _("Enregistré à %(time)s") % {"time": saved_at},
            "errors": {name: [str(e) for e in errors] for name, errors in form.errors.items()},
        }
    )


@login_required
def dossier_detail(request, pk: int):
    dossier = get_dossier_for(request.user, pk)
    applicant = is_applicant_of(request.user, dossier)
    transitions = dossier.transitions.select_related("actor").order_by("at", "id")
    if not request.user.is_staff:
        transitions = transitions.filter(is_public=True)
    return render(
        request,
        "labelling/dossiers/detail.html",
        {
            "dossier": dossier,
            "is_applicant": applicant,
            "transitions": transitions,
            "attachments": dossier.attachments.order_by("kind", "uploaded_at"),
            "can_withdraw": applicant
            and dossier.state
            in (Dossier.State.SUBMITTED, Dossier.State.IN_REVIEW, Dossier.State.DEFERRED),
        },
    )


@login_required
@require_POST
def dossier_submit_view(request, pk: int):
    dossier = get_dossier_for(request.user, pk, write=True)
    try:
        dossier = dossier_submit(dossier=dossier, actor=request.user)
    except DomainError as refusal:
        messages.error(request, refusal.message)
        return redirect("labelling:dossier_step", pk=dossier.pk, step="recapitulatif")
    messages.success(
        request, _("Votre dossier est déposé sous le numéro %(ref)s.") % {"ref": dossier.reference}
    )
    return redirect("labelling:dossier_receipt", pk=dossier.pk)


def _receipt_dossier(request, pk: int) -> Dossier:
    dossier = get_dossier_for(request.user, pk)
    # A receipt is the applicant's document; reviewers read the dossier, not the receipt.
    if not (request.user.is_staff or is_applicant_of(request.user, dossier)):
        raise Http404
    if not dossier.reference:
        raise Http404
    return dossier


@login_required
def dossier_receipt(request, pk: int):
    dossier = _receipt_dossier(request, pk)
    return render(request, "labelling/dossiers/receipt.html", {"dossier": dossier})


@login_required
def dossier_receipt_pdf(request, pk: int):
    dossier = _receipt_dossier(request, pk)
    response = HttpResponse(receipt_pdf(dossier), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="recu-{dossier.reference}.pdf"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def dossier_withdraw_view(request, pk: int):
    dossier = get_dossier_for(request.user, pk, write=True)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dossier_withdraw(
                dossier=dossier, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("Votre dossier a été retiré."))
        return redirect("labelling:dossier_detail", pk=dossier.pk)
    return render(request, "labelling/dossiers/withdraw.html", {"dossier": dossier, "form": form})
