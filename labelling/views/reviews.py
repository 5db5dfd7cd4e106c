"""Committee members' pages: the dossiers assigned to them and the review of one dossier.

A member reaches a dossier only through `get_dossier_for` (assigned, no conflict declared)
and only if the assignment is theirs; anyone else gets 404. Other members' reviews show
only once the member has submitted their own, so nobody is swayed before forming a view.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gen_portal.errors import DomainError

from .. import selectors, services
from ..access import get_dossier_for
from ..forms.committee import ReviewForm
from ..models import Call, Dossier, ReviewAssignment


def committee_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Committee members only: anonymous visitors go to the login page, anyone else gets
    404 (no hint that the page exists). Outermost, above the method checks."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.is_active and user.is_committee_member):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def member_breadcrumb(current: str) -> dict:
    return {
        "links": [{"url": reverse("labelling:my_reviews"), "title": _("Mes évaluations")}],
        "current": current,
    }


@committee_required
@require_GET
def my_reviews(request: HttpRequest) -> HttpResponse:
    assignments = list(selectors.member_assignments(request.user))
    for assignment in assignments:
        assignment.review_or_none = selectors.review_of(assignment)
    # Calls whose dossiers the committee examines: the member declares interests in each.
    calls = list(
        Call.objects.filter(is_published=True, is_historical=False)
        .filter(dossiers__state__in=[*services.AWAITING_DECISION, *Dossier.DECIDED_STATES])
        .distinct()
        .order_by("-opens_at")
    )
    declared = {
        declaration.call_id: declaration
        for declaration in request.user.conflict_declarations.filter(
            dossier__isnull=True, call__in=calls
        ).order_by("declared_at", "pk")
    }
    return render(
        request,
        "labelling/reviews/my_reviews.html",
        {
            "assignments": assignments,
            "calls": [(call, declared.get(call.pk)) for call in calls],
            "page_title": _("Mes évaluations"),
        },
    )


def _assignment_or_404(request: HttpRequest, pk: int) -> ReviewAssignment:
    dossier = get_dossier_for(request.user, pk)
    assignment = (
        ReviewAssignment.objects.filter(dossier=dossier, member=request.user)
        .select_related("dossier__call", "dossier__organisation", "review")
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment


@committee_required
@require_http_methods(["GET", "POST"])
def review_edit(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _assignment_or_404(request, pk)
    dossier = assignment.dossier
    if selectors.latest_interests(dossier.call, request.user) is None:
        messages.info(
            request,
            _(
                "Avant d'évaluer les dossiers de l'appel %(reference)s, déclarez vos intérêts "
                "pour cet appel."
            )
            % {"reference": dossier.call.reference},
        )
        return redirect("labelling:member_interests", pk=dossier.call_id)
    review = selectors.review_of(assignment)
    submitted = review is not None and review.submitted_at is not None
    # Once the committee has decided (or the applicant withdrew), reviews are closed.
    closed = dossier.state not in services.AWAITING_DECISION
    criteria = list(dossier.call.criteria.all())
    form = None
    if not (submitted or closed):
        submitting = request.method == "POST" and "submit" in request.POST
        form = ReviewForm(
            request.POST if request.method == "POST" else None,
            criteria=criteria,
            review=review,
            submitting=submitting,
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.review_save(
                    assignment=assignment,
                    scores=form.scores(),
                    recommendation=form.cleaned_data["recommendation"],
                    comment=form.cleaned_data["comment"],
                    submit=submitting,
                )
            except DomainError as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(
                    request,
                    _(
                        "Évaluation rendue. Les évaluations des autres membres sont maintenant "
                        "visibles."
                    )
                    if submitting
                    else _("Brouillon enregistré : vous pouvez y revenir à tout moment."),
                )
                return redirect("labelling:review_edit", pk=dossier.pk)
    elif request.method == "POST":
        messages.error(
            request,
            _("Cette évaluation a déjà été rendue.")
            if submitted
            else _("Ce dossier n'est plus en instruction : l'évaluation est close."),
        )
        return redirect("labelling:review_edit", pk=dossier.pk)
    own = None
    peers = []
    if submitted:
        own = selectors.own_review(assignment)
        peers = selectors.peer_reviews(dossier, request.user)
    title = _("Évaluation du dossier %(reference)s") % {"reference": dossier.reference}
    return render(
        request,
        "labelling/reviews/review.html",
        {
            "dossier": dossier,
            "assignment": assignment,
            "review": review,
            "submitted": submitted,
            "closed": closed,
            "criteria": criteria,
            "form": form,
            "own": own,
            "peers": peers,
            "attachments": dossier.attachments.order_by("kind", "uploaded_at"),
            "page_title": title,
            "breadcrumb_data": member_breadcrumb(title),
        },
    )
