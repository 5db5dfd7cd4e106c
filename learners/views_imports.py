"""The web path of the two CSV imports: upload, job page (progress, report, confirmation),
status for the page's script, report download, cancellation.

learners.csv: an organisation's members for its own trainings, staff for all. trainings.csv:
staff only (anyone else gets 404). A job is seen through `get_import_job_for`: outside its
organisation (or staff) every job URL is a 404. The work itself runs in tasks
(`imports/jobs.py`); these views only start it and show where it stands.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import organisation_member_required
from gen_portal.errors import DomainError

from .forms import LearnersUploadForm, TrainingsUploadForm
from .imports.jobs import (
    UNCONFIRMED_HOURS,
    import_job_cancel,
    import_job_confirm,
    import_job_create,
)
from .imports.report import Report
from .models import ImportJob
from .selectors import (
    get_import_job_for,
    import_job_progress_text,
    import_job_result,
    import_job_status,
    import_jobs_recent,
    organisations_of,
)

# The page lists this many errors; the CSV report has them all (up to the engine's cap).
REPORT_ROWS_SHOWN = 1000
# Without JavaScript, a running job's page reloads itself this often (seconds).
REFRESH_SECONDS = 5


def _step(job: ImportJob) -> dict:
    """Where the job stands in the four steps the page's stepper shows."""
    State = ImportJob.State
    titles = [
        _("Dépôt du fichier"),
        _("Vérification du fichier"),
        _("Confirmation"),
        _("Import"),
    ]
    if job.state in (State.IMPORTING, State.DONE) or (
        job.state == State.FAILED and job.confirmed_at
    ):
        number = 4
    elif job.state == State.VALID or (
        job.state in (State.EXPIRED, State.CANCELLED) and job.validated_at
    ):
        number = 3
    else:
        number = 2
    return {
        "number": number,
        "total": len(titles),
        "title": titles[number - 1],
        "next": titles[number] if number < len(titles) and job.is_running else "",
    }


def _start(request, form, *, kind: str, organisation=None):
    try:
        job = import_job_create(
            kind=kind,
            upload=form.cleaned_data["file"],
            uploaded_by=request.user,
            organisation=organisation,
        )
    except DomainError as error:
        form.add_error(None, error.message)
        return None
    return redirect("learners:import_job", pk=job.pk)


@organisation_member_required
@require_http_methods(["GET", "POST"])
def upload(request):
    """learners.csv: members choose among their organisations; staff import for all."""
    organisations = None if request.user.is_staff else organisations_of(request.user)
    if organisations is not None and not organisations.exists():
        return render(request, "learners/upload.html", {"form": None})
    form = LearnersUploadForm(
        request.POST or None, request.FILES or None, organisations=organisations
    )
    if request.method == "POST" and form.is_valid():
        response = _start(
            request,
            form,
            kind=ImportJob.Kind.LEARNERS,
            organisation=form.cleaned_data.get("organisation"),
        )
        if response is not None:
            return response
    return render(
        request,
        "learners/upload.html",
        {
            "form": form,
            "jobs": import_jobs_recent(request.user, kind=ImportJob.Kind.LEARNERS),
            "unconfirmed_hours": UNCONFIRMED_HOURS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def trainings_upload(request):
    if not request.user.is_staff:
        raise Http404
    form = TrainingsUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        response = _start(request, form, kind=ImportJob.Kind.TRAININGS)
        if response is not None:
            return response
    return render(
        request,
        "learners/trainings_upload.html",
        {
            "form": form,
            "jobs": import_jobs_recent(request.user, kind=ImportJob.Kind.TRAININGS),
            "unconfirmed_hours": UNCONFIRMED_HOURS,
        },
    )


@login_required
@never_cache
@require_GET
def import_job(request, pk: int):
    job = get_import_job_for(request.user, pk)
    result = import_job_result(job)
    errors = result.report.errors if result is not None else []
    return render(
        request,
        "learners/import_job.html",
        {
            "job": job,
            "heading": (
                _("Import de formations labellisées")
                if job.kind == ImportJob.Kind.TRAININGS
                else _("Import d'apprenants")
            ),
            "step": _step(job),
            "unconfirmed_hours": UNCONFIRMED_HOURS,
            "result": result,
            "errors": errors[:REPORT_ROWS_SHOWN],
            "errors_hidden": max(0, len(errors) - REPORT_ROWS_SHOWN),
            "progress_text": import_job_progress_text(job),
            "refresh_seconds": REFRESH_SECONDS,
            "upload_url_name": (
                "learners:trainings_upload"
                if job.kind == ImportJob.Kind.TRAININGS
                else "learners:upload"
            ),
        },
    )


@login_required
@never_cache
@require_GET
def import_job_status_json(request, pk: int):
    job = get_import_job_for(request.user, pk)
    return JsonResponse(import_job_status(job))


@login_required
@require_GET
def import_job_report_csv(request, pk: int):
    job = get_import_job_for(request.user, pk)
    response = HttpResponse(
        "\ufeff" + Report.from_data(job.report).as_csv(), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="rapport-import-{job.pk}.csv"'
    return response


@login_required
@require_POST
def import_job_confirm_view(request, pk: int):
    job = get_import_job_for(request.user, pk)
    try:
        import_job_confirm(job=job, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("learners:import_job", pk=job.pk)


@login_required
@require_POST
def import_job_cancel_view(request, pk: int):
    job = get_import_job_for(request.user, pk)
    try:
        import_job_cancel(job=job)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("learners:import_job", pk=job.pk)
