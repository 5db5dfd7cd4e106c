"""Reads on learners and enrollments for the organisation pages: scoped querysets, the
follow-ups still to declare (computed in SQL), and the import jobs of the upload pages."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from gen_portal.dates import add_months, milestone_cutoff
from outcomes.models import FollowUp
from outcomes.situations import MILESTONE_MONTHS, Milestone
from trainings.models import Organisation

from .imports import LearnersImportResult, Report, TrainingsImportResult
from .models import Enrollment, ImportJob, Learner

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
        .select_related("learner__organisation", "training", "session")
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
        .select_related("learner", "training", "session")
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


# --- import jobs ------------------------------------------------------------------------


def get_import_job_for(user, pk: int) -> ImportJob:
    """The job, if `user` may see it (its organisation's members, staff); 404 otherwise."""
    job = (
        ImportJob.objects.visible_to(user)
        .select_related("organisation", "uploaded_by", "confirmed_by")
        .filter(pk=pk)
        .first()
    )
    if job is None:
        raise Http404
    return job


def import_jobs_recent(user, *, kind: str, limit: int = 10) -> list[ImportJob]:
    """The latest jobs of one kind `user` may see, for the upload page; one query, and
    without the reports (up to a megabyte each)."""
    return list(
        ImportJob.objects.visible_to(user)
        .filter(kind=kind)
        .select_related("organisation")
        .defer("report", "counts", "error")
        .order_by("-created_at", "-pk")[:limit]
    )


def import_job_result(job: ImportJob) -> LearnersImportResult | TrainingsImportResult | None:
    """The engine's result as the job recorded it (counts and report), to render in the
    reader's language; None before validation has finished."""
    if job.state in (ImportJob.State.QUEUED, ImportJob.State.VALIDATING) or (
        not job.counts and not job.report
    ):
        return None
    result_class = (
        TrainingsImportResult if job.kind == ImportJob.Kind.TRAININGS else LearnersImportResult
    )
    known = {name for name in result_class.__dataclass_fields__ if name != "report"}
    counts = {name: value for name, value in job.counts.items() if name in known}
    return result_class(
        report=Report.from_data(job.report),
        validated_only=job.state != ImportJob.State.DONE,
        **counts,
    )


def import_job_progress_text(job: ImportJob) -> str:
    """What the job is doing, in words, for the page and its status endpoint."""
    State = ImportJob.State
    rows = {"rows": job.rows_done, "total": job.rows_total}
    if job.state == State.QUEUED:
        return _("En attente de vérification…")
    if job.state == State.VALIDATING:
        return _("Vérification : %(rows)s lignes lues…") % rows
    if job.state == State.IMPORTING:
        if job.started_at is None:
            return _("Import confirmé, en attente de démarrage…")
        # The engine checks the file again before writing (0-50 %), then writes (50-100 %).
        if job.percent < 50:
            return _("Dernière vérification avant écriture : %(rows)s lignes lues…") % rows
        return _("Écriture : %(rows)s lignes sur %(total)s…") % rows
    return str(job.get_state_display())


def import_job_status(job: ImportJob) -> dict:
    """The job's state for the page's polling script (JSON)."""
    return {
        "state": job.state,
        "state_label": str(job.get_state_display()),
        "running": job.is_running,
        "percent": job.percent,
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "progress_text": str(import_job_progress_text(job)),
    }
