"""Reads on learners and enrollments for the organisation pages: scoped querysets, the
follow-ups still to declare (computed in SQL), and the dry run of a learners.csv upload."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from gen_portal.dates import add_months, milestone_cutoff
from outcomes.models import FollowUp
from outcomes.situations import MILESTONE_MONTHS, Milestone
from trainings.models import Organisation

from .imports import Importer, LearnersImportResult, learners_import
from .models import Enrollment, Learner

# The milestones the "follow-ups due" page chases (the exit situation is declared with the
# exit itself).
DUE_MILESTONES = (Milestone.M3, Milestone.M6, Milestone.M12)


def organisations_of(user) -> QuerySet[Organisation]:
    return Organisation.objects.filter(memberships__user=user).order_by("name")


def learners_of(user) -> QuerySet[Learner]:
    if not user.is_authenticated:
        return Learner.objects.none()
    if user.is_staff:
        return Learner.objects.all()
    return Learner.objects.filter(organisation__memberships__user=user)


def get_learner_for(user, pk: int) -> Learner:
    """The learner, if `user` belongs to its organisation (or is staff); 404 otherwise."""
    learner = learners_of(user).select_related("organisation").filter(pk=pk).first()
    if learner is None:
        raise Http404
    return learner


def get_enrollment_for(user, pk: int) -> Enrollment:
    """The enrollment, if `user` belongs to its learner's organisation (or is staff); 404
    otherwise."""
    enrollment = (
        Enrollment.objects.of_user(user)
        .select_related("learner__organisation", "training")
        .filter(pk=pk)
        .first()
    )
    if enrollment is None:
        raise Http404
    return enrollment


def _has_followup(milestone: str) -> Exists:
    return Exists(FollowUp.objects.filter(enrollment=OuterRef("pk"), milestone=milestone))


def enrollments_for(user) -> QuerySet[Enrollment]:
    """The enrollments `user` may see, with what the list pages show, in a fixed number of
    queries whatever the number of rows."""
    return (
        Enrollment.objects.of_user(user)
        .select_related("learner", "training")
        .annotate(**{f"has_{milestone}": _has_followup(milestone) for milestone in Milestone})
        .order_by("-entry_date", "-pk")
    )


def missing_followups_q(today: datetime.date) -> Q:
    """Exits past a 3, 6 or 12-month milestone with no situation for it. Needs the
    `has_<milestone>` annotations of `enrollments_for`."""
    condition = Q()
    for milestone in DUE_MILESTONES:
        cutoff = milestone_cutoff(today, MILESTONE_MONTHS[milestone])
        condition |= Q(exit_date__lte=cutoff, **{f"has_{milestone}": False})
    return condition


def followups_due(user, *, today: datetime.date) -> QuerySet[Enrollment]:
    return (
        enrollments_for(user)
        .filter(exit_date__isnull=False)
        .filter(missing_followups_q(today))
        .order_by("exit_date", "pk")
    )


def missing_milestones(enrollment: Enrollment, today: datetime.date) -> list[Milestone]:
    """The due milestones of one annotated row still without a situation (no query)."""
    if enrollment.exit_date is None:
        return []
    return [
        milestone
        for milestone in DUE_MILESTONES
        if add_months(enrollment.exit_date, MILESTONE_MONTHS[milestone]) <= today
        and not getattr(enrollment, f"has_{milestone}")
    ]


class _DryRun(Exception):
    def __init__(self, result: LearnersImportResult):
        super().__init__()
        self.result = result


def learners_csv_check(*, source, importer: Importer) -> LearnersImportResult:
    """Validate a learners.csv without keeping anything.

    The import engine has no validate-only mode: this runs the real import inside a
    savepoint and rolls it back, so the report (and, for a valid file, the counts) are
    exactly what the confirmed import will give.
    """
    try:
        with transaction.atomic():
            result = learners_import(source=source, importer=importer)
            if result.ok:
                raise _DryRun(result)
    except _DryRun as dry_run:
        return dry_run.result
    return result
