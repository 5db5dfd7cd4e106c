"""Organisation pages on learners: enrollment list, declaration of a learner and their
enrollment, enrollment detail with the declaration of the exit and of the follow-up
situations, follow-ups due, and forgetting a learner (the CSV imports are in
`views_imports.py`).

Thin views: parse, authorize through `selectors.get_*_for` (404 for outsiders), call a
service, respond. Organisation members see their organisations' learners; staff see all.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import organisation_member_required
from gen_portal.dates import add_months
from gen_portal.errors import DomainError
from outcomes.situations import MILESTONE_MONTHS, Milestone
from trainings.models import Session, Training

from .filters import EnrollmentFilter
from .forms import EnrollmentDeclareForm, ExitForm, FollowUpForm
from .selectors import (
    enrollments_for,
    followups_due,
    get_enrollment_for,
    get_learner_for,
    missing_milestones,
)
from .services import enrollment_declare, enrollment_exit_declare, followup_declare, learner_forget

PAGE_SIZE = 50


def _page(request, queryset, today):
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    for enrollment in page:
        enrollment.missing = missing_milestones(enrollment, today)
    return page


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@organisation_member_required
def enrollment_list(request):
    today = timezone.localdate()
    enrollment_filter = EnrollmentFilter(
        request.GET or None, queryset=enrollments_for(request.user), user=request.user, today=today
    )
    return render(
        request,
        "learners/enrollment_list.html",
        {
            "filter": enrollment_filter,
            "page": _page(request, enrollment_filter.qs, today),
            "query": _query_without_page(request),
        },
    )


@organisation_member_required
def followups_due_list(request):
    today = timezone.localdate()
    return render(
        request,
        "learners/followups_due.html",
        {
            "page": _page(request, followups_due(request.user, today=today), today),
            "query": _query_without_page(request),
        },
    )


@organisation_member_required
@require_http_methods(["GET", "POST"])
def enrollment_declare_view(request: HttpRequest) -> HttpResponse:
    """A learner and their enrollment, by form: one learners.csv row through the same
    service and rules. `?training=` and `?session=` preselect (links from the sessions)."""
    trainings = Training.objects.of_user(request.user).order_by("code")
    sessions = (
        Session.objects.of_user(request.user)
        .select_related("training")
        .order_by("training__code", "-start_date", "pk")
    )
    today = timezone.localdate()
    form = EnrollmentDeclareForm(
        request.POST or None,
        trainings=trainings,
        sessions=sessions,
        today=today,
        initial={key: request.GET.get(key) for key in ("training", "session")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            enrollment = enrollment_declare(record=form.record(), actor=request.user, today=today)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("Inscription de l'apprenant %(ref)s enregistrée.")
                % {"ref": enrollment.learner.learner_ref},
            )
            return redirect("learners:enrollment_detail", pk=enrollment.pk)
    return render(
        request,
        "learners/enrollment_declare.html",
        {"form": form, "has_trainings": trainings.exists()},
    )


def _milestones(enrollment, followups: dict, today) -> list[dict]:
    rows = []
    for milestone in Milestone:
        due_on = (
            add_months(enrollment.exit_date, MILESTONE_MONTHS[milestone])
            if enrollment.exit_date
            else None
        )
        rows.append(
            {
                "milestone": milestone,
                "due_on": due_on,
                "is_due": due_on is not None and due_on <= today,
                "followup": followups.get(milestone.value),
            }
        )
    return rows


# The detail page holds two forms; the exit form says which one was sent.
EXIT_ACTION = "exit"


@organisation_member_required
@require_http_methods(["GET", "POST"])
def enrollment_detail(request, pk: int):
    enrollment = get_enrollment_for(request.user, pk)
    # Read by the exit form (the situation at exit) and by the table of milestones.
    prefetch_related_objects([enrollment], "followups")
    today = timezone.localdate()
    form = FollowUpForm(initial={"milestone": request.GET.get("echeance")})
    exit_form = ExitForm(enrollment=enrollment, today=today)
    if request.method == "POST" and request.POST.get("action") == EXIT_ACTION:
        exit_form = ExitForm(request.POST, enrollment=enrollment, today=today)
        if exit_form.is_valid():
            try:
                enrollment_exit_declare(
                    enrollment=enrollment,
                    exit_date=exit_form.cleaned_data["exit_date"],
                    exit_reason=exit_form.cleaned_data["exit_reason"],
                    situation=exit_form.cleaned_data["situation"],
                    actor=request.user,
                    today=today,
                )
            except DomainError as error:
                exit_form.add_domain_error(error)
            else:
                messages.success(request, _("Sortie de formation enregistrée."))
                return redirect("learners:enrollment_detail", pk=enrollment.pk)
    elif request.method == "POST":
        form = FollowUpForm(request.POST)
        if form.is_valid():
            try:
                followup_declare(
                    enrollment=enrollment,
                    milestone=form.cleaned_data["milestone"],
                    situation=form.cleaned_data["situation"],
                    observed_on=form.cleaned_data["observed_on"],
                    actor=request.user,
                    today=today,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Situation de suivi enregistrée."))
                return redirect("learners:enrollment_detail", pk=enrollment.pk)
    followups = {followup.milestone: followup for followup in enrollment.followups.all()}
    return render(
        request,
        "learners/enrollment_detail.html",
        {
            "enrollment": enrollment,
            "milestones": _milestones(enrollment, followups, today),
            "form": form,
            "exit_form": exit_form,
            "exit_action": EXIT_ACTION,
        },
    )


@organisation_member_required
@require_http_methods(["GET", "POST"])
def learner_forget_confirm(request, pk: int):
    learner = get_learner_for(request.user, pk)
    if request.method == "POST":
        learner_forget(learner=learner)
        messages.success(
            request,
            _("L'apprenant %(ref)s et toutes ses données ont été supprimés.")
            % {"ref": learner.learner_ref},
        )
        return redirect("learners:enrollment_list")
    return render(
        request,
        "learners/learner_forget.html",
        {"learner": learner, "enrollment_count": learner.enrollments.count()},
    )
