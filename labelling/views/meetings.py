"""Committee meetings (staff): schedule, attendance and agenda, one decision per dossier of
the agenda, minutes as PDF. And the applicant's side of a decision: its page and its letter.

Only staff record decisions. `decision_record` locks the dossier row, so when two staff
decide the same dossier at once the second gets the service's message, not an error page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gen_portal.errors import DomainError

from .. import selectors, services
from ..access import get_dossier_for, is_applicant_of
from ..forms.committee import DecisionForm, MeetingForm, MinutesForm
from ..letters import APPEAL_ROUTE, decision_letter_pdf, meeting_minutes_pdf
from ..models import Call, CommitteeMeeting, Decision, Dossier
from .permissions import staff_required
from .staff_queue import call_breadcrumb


def _meeting_breadcrumb(meeting: CommitteeMeeting, current: str | None = None) -> dict:
    data = call_breadcrumb(meeting.call, "")
    data["links"].append(
        {
            "url": reverse("labelling:staff_meeting_list", args=[meeting.call_id]),
            "title": _("Séances"),
        }
    )
    title = _("Séance du %(date)s") % {"date": _local(meeting.date)}
    if current:
        data["links"].append(
            {"url": reverse("labelling:staff_meeting_detail", args=[meeting.pk]), "title": title}
        )
    data["current"] = current or title
    return data


def _local(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y")


@staff_required
@require_GET
def staff_meeting_list(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(Call, pk=pk)
    meetings = call.meetings.prefetch_related("members_present").order_by("-date", "-pk")
    title = _("Séances du comité — appel %(reference)s") % {"reference": call.reference}
    return render(
        request,
        "labelling/meetings/list.html",
        {
            "call": call,
            "meetings": [
                {
                    "meeting": meeting,
                    "present": len(meeting.members_present.all()),
                }
                for meeting in meetings
            ],
            "page_title": title,
            "breadcrumb_data": call_breadcrumb(call, _("Séances")),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def staff_meeting_create(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(Call, pk=pk)
    form = MeetingForm(request.POST if request.method == "POST" else None, call=call)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_schedule(
                call=call,
                date=data["when"],
                actor=request.user,
                members_present=data["members_present"],
                agenda=data["agenda"],
                quorum=data["quorum"],
                location=data["location"],
            )
        except DomainError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("La séance est créée."))
            return redirect("labelling:staff_meeting_detail", pk=meeting.pk)
    title = _("Nouvelle séance du comité")
    return render(
        request,
        "labelling/meetings/form.html",
        {
            "call": call,
            "form": form,
            "meeting": None,
            "page_title": title,
            "breadcrumb_data": call_breadcrumb(call, title),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def staff_meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(CommitteeMeeting.objects.select_related("call"), pk=pk)
    form = MeetingForm(
        request.POST if request.method == "POST" else None, call=meeting.call, meeting=meeting
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.meeting_update(
                meeting=meeting,
                actor=request.user,
                date=data["when"],
                members_present=data["members_present"],
                agenda=data["agenda"],
                quorum=data["quorum"],
                location=data["location"],
            )
        except DomainError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("La séance est modifiée."))
            return redirect("labelling:staff_meeting_detail", pk=meeting.pk)
    title = _("Modifier la séance")
    return render(
        request,
        "labelling/meetings/form.html",
        {
            "call": meeting.call,
            "form": form,
            "meeting": meeting,
            "page_title": title,
            "breadcrumb_data": _meeting_breadcrumb(meeting, title),
        },
    )


def _meeting_page(
    request: HttpRequest,
    meeting: CommitteeMeeting,
    *,
    bound: DecisionForm | None = None,
    minutes_form: MinutesForm | None = None,
    status: int = 200,
) -> HttpResponse:
    members = list(meeting.members_present.order_by("full_name", "email"))
    decisions = {
        decision.dossier_id: decision
        for decision in meeting.decisions.select_related("decided_by").order_by("decided_at")
    }
    rows = []
    for dossier in selectors.with_committee_figures(
        meeting.agenda.select_related("organisation").order_by("reference", "pk")
    ):
        decision = decisions.get(dossier.pk)
        form = None
        if decision is None and dossier.state in services.AWAITING_DECISION:
            form = bound if bound is not None and bound.dossier.pk == dossier.pk else None
            form = form or DecisionForm(dossier=dossier)
        rows.append({"dossier": dossier, "decision": decision, "form": form})
    return render(
        request,
        "labelling/meetings/detail.html",
        {
            "meeting": meeting,
            "call": meeting.call,
            "members": members,
            "quorum_reached": len(members) >= meeting.quorum,
            "rows": rows,
            "minutes_form": minutes_form or MinutesForm(initial={"minutes": meeting.minutes}),
            "page_title": _("Séance du %(date)s") % {"date": _local(meeting.date)},
            "breadcrumb_data": _meeting_breadcrumb(meeting),
        },
        status=status,
    )


def _meeting_or_404(pk: int) -> CommitteeMeeting:
    return get_object_or_404(CommitteeMeeting.objects.select_related("call"), pk=pk)


@staff_required
@require_GET
def staff_meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_page(request, _meeting_or_404(pk))


@staff_required
@require_POST
def staff_decision_record(request: HttpRequest, pk: int, dossier_pk: int) -> HttpResponse:
    meeting = _meeting_or_404(pk)
    dossier = meeting.agenda.filter(pk=dossier_pk).select_related("call", "organisation").first()
    if dossier is None:
        raise Http404
    form = DecisionForm(request.POST, dossier=dossier)
    if not form.is_valid():
        return _meeting_page(request, meeting, bound=form, status=400)
    try:
        decision = services.decision_record(
            dossier=dossier,
            outcome=form.cleaned_data["outcome"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
            meeting=meeting,
            label_start=form.cleaned_data["label_start"],
        )
    except DomainError as refusal:
        # Typically another staff member decided this dossier a moment ago: say so and show
        # the page as it now is, with their decision.
        messages.error(
            request,
            _("Dossier %(reference)s : %(message)s")
            % {"reference": dossier.reference, "message": refusal.message},
        )
    else:
        messages.success(
            request,
            _(
                "Décision enregistrée pour le dossier %(reference)s : %(outcome)s. Le candidat "
                "en est informé."
            )
            % {"reference": dossier.reference, "outcome": decision.get_outcome_display()},
        )
    return redirect(
        reverse("labelling:staff_meeting_detail", args=[meeting.pk]) + f"#dossier-{dossier.pk}"
    )


@staff_required
@require_POST
def staff_meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_or_404(pk)
    form = MinutesForm(request.POST)
    if not form.is_valid():
        return _meeting_page(request, meeting, minutes_form=form, status=400)
    services.meeting_minutes_save(
        meeting=meeting, minutes=form.cleaned_data["minutes"], actor=request.user
    )
    messages.success(request, _("Le procès-verbal est enregistré."))
    return redirect("labelling:staff_meeting_detail", pk=meeting.pk)


@staff_required
@require_GET
def staff_meeting_minutes_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_or_404(pk)
    response = HttpResponse(meeting_minutes_pdf(meeting), content_type="application/pdf")
    filename = f"proces-verbal-{meeting.call.reference}-{meeting.date:%Y%m%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ------------------------------------------------------------------- the applicant's side


def _decided_dossier(request: HttpRequest, pk: int) -> tuple[Dossier, Decision]:
    """A dossier with a decision, for its applicant or staff. Committee members read the
    dossier but not the letter, which is the applicant's document: 404 for them."""
    dossier = get_dossier_for(request.user, pk)
    if not (request.user.is_staff or is_applicant_of(request.user, dossier)):
        raise Http404
    decision = selectors.latest_decision(dossier)
    if decision is None:
        raise Http404
    return dossier, decision


@login_required
@require_GET
def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dossier, decision = _decided_dossier(request, pk)
    label = None
    if decision.outcome == Decision.Outcome.LABELLED:
        label = getattr(decision, "label", None)
    return render(
        request,
        "labelling/meetings/decision.html",
        {
            "dossier": dossier,
            "decision": decision,
            "label": label,
            "appeal_route": APPEAL_ROUTE,
            "earlier": dossier.decisions.exclude(pk=decision.pk).order_by("-decided_at", "-pk"),
            "page_title": _("Décision sur le dossier %(reference)s")
            % {"reference": dossier.reference},
        },
    )


@login_required
@require_GET
def decision_letter(request: HttpRequest, pk: int) -> HttpResponse:
    dossier, decision = _decided_dossier(request, pk)
    response = HttpResponse(decision_letter_pdf(decision), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="decision-{dossier.reference}.pdf"'
    return response
