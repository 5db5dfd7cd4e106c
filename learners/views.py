"""Organisation pages on learners: enrollment list, enrollment detail with its follow-up
situations, follow-ups due, and forgetting a learner (the CSV imports are in
`views_imports.py`).

Thin views: parse, authorize through `selectors.get_*_for` (404 for outsiders), call a
service, respond. Organisation members see their organisations' learners; staff see all.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gen_portal.dates import add_months
from gen_portal.errors import DomainError
from outcomes.situations import MILESTONE_MONTHS, Milestone

from .filters import EnrollmentFilter
from .forms import FollowUpForm
from .selectors import (
    enrollments_for,
    followups_due,
    get_enrollment_for,
    get_learner_for,
    missing_milestones,
)
from .services import followup_declare, learner_forget

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


@login_required
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


@login_required
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


@login_required
@require_http_methods(["GET", "POST"])
def enrollment_detail(request, pk: int):
    enrollment = get_enrollment_for(request.user, pk)
    today = timezone.localdate()
    if request.method == "POST":
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
    else:
        form = FollowUpForm(initial={"milestone": request.GET.get("echeance")})
    followups = {followup.milestone: followup for followup in enrollment.followups.all()}
    milestones = []
    for milestone in Milestone:
        due_on = (
            add_months(enrollment.exit_date, MILESTONE_MONTHS[milestone])
            if enrollment.exit_date
            else None
        )
        milestones.append(
            {
                "milestone": milestone,
                "due_on": due_on,
                "is_due": due_on is not None and due_on <= today,
                "followup": followups.get(milestone.value),
            }
        )
    return render(
        request,
        "learners/enrollment_detail.html",
        {"enrollment": enrollment, "milestones": milestones, "form": form},
    )


@login_required
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
