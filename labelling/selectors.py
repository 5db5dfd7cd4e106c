"""Reads of the committee pages: the staff work queue, review summaries, a member's
assignments, the declarations of interests and the exports.

**Weighted score.** The weighted total of one review is

    sum(score × weight) / sum(max_score × weight) × 100        (a percentage, 0 to 100)

over the call's criteria. The weighted score of a dossier pools its *submitted* reviews:
the same sum taken over every score of every submitted review. A review is submitted only
once every criterion is scored (`review_save`) and criteria are frozen once scoring starts
(`criteria_replace`), so all submitted reviews of a call share one denominator and the
pooled figure is exactly the mean of the reviews' weighted totals; pooling lets the
database compute it in one aggregate, whatever the number of dossiers. Draft reviews never
count. A dossier without a submitted review has no score (NULL), not 0.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    StdDev,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, NullIf

from accounts.models import User

from .models import (
    AdmissibilityCheck,
    Call,
    ConflictDeclaration,
    Criterion,
    Decision,
    Dossier,
    Review,
    ReviewAssignment,
    ReviewScore,
)
from .services import siret_list

Recommendation = Review.Recommendation


# ------------------------------------------------------------------------ expressions


def _score_times_weight(prefix: str = "") -> F:
    return Cast(F(f"{prefix}score"), FloatField()) * Cast(
        F(f"{prefix}criterion__weight"), FloatField()
    )


def _max_times_weight(prefix: str = "") -> F:
    return Cast(F(f"{prefix}criterion__max_score"), FloatField()) * Cast(
        F(f"{prefix}criterion__weight"), FloatField()
    )


def _per_dossier_sum(scores: QuerySet, expression) -> Subquery:
    """One number per outer dossier: the sum of `expression` over `scores` (already
    restricted to that dossier). A correlated subquery rather than a join, so it never
    multiplies the rows other annotations count."""
    return Subquery(
        scores.order_by()
        .values("review__assignment__dossier")
        .annotate(total=Sum(expression))
        .values("total")[:1],
        output_field=FloatField(),
    )


def _per_dossier_count(queryset: QuerySet, dossier_path: str):
    return Coalesce(
        Subquery(
            queryset.order_by().values(dossier_path).annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def weighted_score_expression():
    """The dossier's weighted score (see the module's docstring), for `Dossier` rows."""
    scores = ReviewScore.objects.filter(
        review__assignment__dossier=OuterRef("pk"), review__submitted_at__isnull=False
    )
    earned = _per_dossier_sum(scores, _score_times_weight())
    possible = _per_dossier_sum(scores, _max_times_weight())
    # NULLIF spares a division by zero; no submitted review gives NULL, as it should.
    return Value(100.0) * earned / NullIf(possible, Value(0.0))


def with_committee_figures(dossiers: QuerySet) -> QuerySet:
    """Annotate dossiers with what the committee pages show: weighted score, numbers of
    assigned and submitted reviews, recommendation counts and the latest admissibility
    check. Every figure is a correlated subquery, so one query serves any number of
    dossiers."""
    submitted = Review.objects.filter(
        assignment__dossier=OuterRef("pk"), submitted_at__isnull=False
    )
    latest_check = AdmissibilityCheck.objects.filter(dossier=OuterRef("pk")).order_by(
        "-checked_at", "-id"
    )
    return dossiers.annotate(
        weighted_score=weighted_score_expression(),
        reviewers_count=_per_dossier_count(
            ReviewAssignment.objects.filter(dossier=OuterRef("pk")), "dossier"
        ),
        reviews_submitted=_per_dossier_count(submitted, "assignment__dossier"),
        favourable_count=_per_dossier_count(
            submitted.filter(recommendation=Recommendation.FAVOURABLE), "assignment__dossier"
        ),
        reserved_count=_per_dossier_count(
            submitted.filter(recommendation=Recommendation.RESERVED), "assignment__dossier"
        ),
        unfavourable_count=_per_dossier_count(
            submitted.filter(recommendation=Recommendation.UNFAVOURABLE), "assignment__dossier"
        ),
        admissibility_complete=Subquery(latest_check.values("is_complete")[:1]),
    )


# ------------------------------------------------------------------------- work queue


def work_queue(call: Call) -> QuerySet:
    """Every dossier of the call that was submitted (drafts are the applicant's business),
    with its committee figures and its reviewers (names and review state) prefetched."""
    reviewers = ReviewAssignment.objects.select_related("member", "review").order_by(
        "member__full_name", "member__email", "pk"
    )
    return with_committee_figures(
        Dossier.objects.filter(call=call)
        .exclude(state=Dossier.State.DRAFT)
        .select_related("organisation")
        .prefetch_related(Prefetch("assignments", queryset=reviewers, to_attr="reviewer_list"))
    ).order_by("reference", "pk")


def with_recommendation(dossiers: QuerySet, recommendation: str) -> QuerySet:
    """Dossiers with at least one submitted review giving `recommendation`."""
    return dossiers.filter(
        Exists(
            Review.objects.filter(
                assignment__dossier=OuterRef("pk"),
                submitted_at__isnull=False,
                recommendation=recommendation,
            )
        )
    )


def with_reviewer(dossiers: QuerySet, member: User) -> QuerySet:
    return dossiers.filter(
        Exists(ReviewAssignment.objects.filter(dossier=OuterRef("pk"), member=member))
    )


def search(dossiers: QuerySet, text: str) -> QuerySet:
    """Organisation name, training title, dossier number or SIRET containing `text`."""
    text = text.strip()
    if not text:
        return dossiers
    return dossiers.filter(
        Q(organisation__name__icontains=text)
        | Q(training_title__icontains=text)
        | Q(reference__icontains=text)
        | Q(organisation__siret__contains=text.replace(" ", ""))
    )


# --------------------------------------------------------------------- review summary


@dataclass
class CriterionStats:
    criterion: Criterion
    count: int = 0
    average: float | None = None
    minimum: int | None = None
    maximum: int | None = None
    stddev: float | None = None

    @property
    def spread(self) -> int | None:
        """The range of the scores given: a large one says the reviewers disagree."""
        if self.minimum is None or self.maximum is None:
            return None
        return self.maximum - self.minimum


@dataclass
class ReviewLine:
    assignment: ReviewAssignment
    review: Review | None
    scores: dict[int, int] = field(default_factory=dict)
    weighted: float | None = None
    criteria: list[Criterion] = field(default_factory=list)

    @property
    def is_submitted(self) -> bool:
        return self.review is not None and self.review.submitted_at is not None

    @property
    def score_rows(self) -> list[tuple[Criterion, int | None]]:
        """(criterion, score or None) in the call's order, for the templates."""
        return [(criterion, self.scores.get(criterion.pk)) for criterion in self.criteria]


@dataclass
class ReviewSummary:
    criteria: list[CriterionStats]
    lines: list[ReviewLine]
    weighted_score: float | None
    weighted_min: float | None
    weighted_max: float | None
    weighted_stddev: float | None

    @property
    def submitted(self) -> list[ReviewLine]:
        return [line for line in self.lines if line.is_submitted]

    @property
    def weighted_spread(self) -> float | None:
        if self.weighted_min is None or self.weighted_max is None:
            return None
        return self.weighted_max - self.weighted_min

    @property
    def recommendation_counts(self) -> list[tuple[str, int]]:
        counts = dict.fromkeys(Recommendation.values, 0)
        for line in self.submitted:
            counts[line.review.recommendation] += 1
        return [(label, counts[value]) for value, label in Recommendation.choices]


def review_of(assignment: ReviewAssignment) -> Review | None:
    """The assignment's review, or None before the member saved anything."""
    try:
        return assignment.review
    except Review.DoesNotExist:
        return None


def _review_lines(assignments: QuerySet, criteria: list[Criterion]) -> list[ReviewLine]:
    """Lines for the given assignments; each review's weighted total comes from sums the
    database computes (same formula as the dossier's score)."""
    assignments = list(assignments.select_related("member", "review"))
    reviews = {a.pk: review_of(a) for a in assignments}
    review_ids = [review.pk for review in reviews.values() if review is not None]
    weighted: dict[int, float] = {}
    scores: dict[int, dict[int, int]] = {}
    if review_ids:
        for review_id, earned, possible in (
            Review.objects.filter(pk__in=review_ids)
            .annotate(
                earned=Sum(_score_times_weight("scores__")),
                possible=Sum(_max_times_weight("scores__")),
            )
            .values_list("pk", "earned", "possible")
        ):
            if possible:
                weighted[review_id] = 100.0 * earned / possible
        for review_id, criterion_id, score in ReviewScore.objects.filter(
            review__in=review_ids
        ).values_list("review_id", "criterion_id", "score"):
            scores.setdefault(review_id, {})[criterion_id] = score
    lines = []
    for assignment in assignments:
        review = reviews[assignment.pk]
        lines.append(
            ReviewLine(
                assignment=assignment,
                review=review,
                scores=scores.get(review.pk, {}) if review else {},
                weighted=weighted.get(review.pk) if review else None,
                criteria=criteria,
            )
        )
    return lines


def review_summary(dossier: Dossier) -> ReviewSummary:
    """Everything staff see about a dossier's reviews: every review (drafts included, marked
    as such), per-criterion averages, range and standard deviation of the submitted
    scores, and the weighted score with the range of the reviews' weighted totals."""
    criteria = list(dossier.call.criteria.all())
    stats = {
        row["criterion"]: row
        for row in ReviewScore.objects.filter(
            review__assignment__dossier=dossier, review__submitted_at__isnull=False
        )
        .values("criterion")
        .annotate(
            n=Count("pk"),
            average=Avg("score"),
            low=Min("score"),
            high=Max("score"),
            deviation=StdDev("score"),
        )
        .order_by()
    }
    criterion_stats = []
    for criterion in criteria:
        row = stats.get(criterion.pk)
        criterion_stats.append(
            CriterionStats(
                criterion=criterion,
                count=row["n"] if row else 0,
                average=row["average"] if row else None,
                minimum=row["low"] if row else None,
                maximum=row["high"] if row else None,
                stddev=row["deviation"] if row else None,
            )
        )
    lines = _review_lines(
        ReviewAssignment.objects.filter(dossier=dossier).order_by(
            "member__full_name", "member__email", "pk"
        ),
        criteria,
    )
    totals = [line.weighted for line in lines if line.is_submitted and line.weighted is not None]
    score = with_committee_figures(Dossier.objects.filter(pk=dossier.pk)).values_list(
        "weighted_score", flat=True
    )[0]
    return ReviewSummary(
        criteria=criterion_stats,
        lines=lines,
        weighted_score=score,
        weighted_min=min(totals) if totals else None,
        weighted_max=max(totals) if totals else None,
        weighted_stddev=statistics.pstdev(totals) if totals else None,
    )


def peer_reviews(dossier: Dossier, member: User) -> list[ReviewLine]:
    """The other members' submitted reviews of a dossier. Only for a member who submitted
    their own: the caller checks that, so nobody is swayed before forming a view."""
    return _review_lines(
        ReviewAssignment.objects.filter(dossier=dossier, review__submitted_at__isnull=False)
        .exclude(member=member)
        .order_by("member__full_name", "member__email", "pk"),
        list(dossier.call.criteria.all()),
    )


def own_review(assignment: ReviewAssignment) -> ReviewLine:
    """The member's own review as a line, with its weighted total."""
    return _review_lines(
        ReviewAssignment.objects.filter(pk=assignment.pk),
        list(assignment.dossier.call.criteria.all()),
    )[0]


# ------------------------------------------------------------------------ members


def member_assignments(member: User) -> QuerySet:
    """The member's assignments on dossiers they may see (no conflict, no draft)."""
    return (
        ReviewAssignment.objects.filter(
            member=member, dossier__in=Dossier.objects.visible_to(member)
        )
        .select_related("dossier__call", "dossier__organisation", "review")
        .order_by("-dossier__call__opens_at", "dossier__reference", "pk")
    )


def latest_interests(call: Call, member: User) -> ConflictDeclaration | None:
    return (
        ConflictDeclaration.objects.filter(call=call, member=member, dossier__isnull=True)
        .order_by("-declared_at", "-pk")
        .first()
    )


def assignable_members(dossier: Dossier) -> list[User]:
    """Committee members staff may still assign to the dossier: not yet assigned, no
    conflict declared on it, no declared interest in its organisation's SIRET, not a
    member of its organisation."""
    candidates = (
        User.objects.filter(is_committee_member=True, is_active=True)
        .exclude(assignments__dossier=dossier)
        .exclude(conflict_declarations__dossier=dossier)
        .exclude(memberships__organisation=dossier.organisation_id)
        .order_by("full_name", "email", "pk")
    )
    declared: dict[int, set[str]] = {}
    for member_id, text in ConflictDeclaration.objects.filter(
        call=dossier.call_id, dossier__isnull=True
    ).values_list("member_id", "sirets"):
        declared.setdefault(member_id, set()).update(siret_list(text))
    siret = dossier.organisation.siret
    return [member for member in candidates if siret not in declared.get(member.pk, set())]


def member_loads(call: Call) -> dict[int, int]:
    """Assignments per member in the call."""
    return dict(
        ReviewAssignment.objects.filter(dossier__call=call)
        .values("member")
        .annotate(n=Count("pk"))
        .values_list("member", "n")
        .order_by()
    )


def call_declarations(call: Call) -> QuerySet:
    return (
        ConflictDeclaration.objects.filter(call=call)
        .select_related("member", "dossier__organisation")
        .order_by("declared_at", "pk")
    )


# -------------------------------------------------------------------------- exports


def criterion_averages(call: Call) -> dict[tuple[int, int], float]:
    """(dossier id, criterion id) → average of the submitted scores, in one query."""
    return {
        (row["review__assignment__dossier"], row["criterion"]): row["average"]
        for row in ReviewScore.objects.filter(
            criterion__call=call, review__submitted_at__isnull=False
        )
        .values("review__assignment__dossier", "criterion")
        .annotate(average=Avg("score"))
        .order_by()
    }


def export_dossiers(call: Call) -> QuerySet:
    """The queue's rows plus their decisions, for the CSV and XLSX exports."""
    decisions = Decision.objects.order_by("decided_at", "pk")
    return work_queue(call).prefetch_related(
        Prefetch("decisions", queryset=decisions, to_attr="decision_list")
    )


def latest_decision(dossier: Dossier) -> Decision | None:
    return (
        dossier.decisions.select_related("meeting", "label__training")
        .order_by("-decided_at", "-pk")
        .first()
    )
