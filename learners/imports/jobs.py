"""Import jobs: the web path of both CSV imports (docs/imports.md §7).

An upload is stored privately and becomes an `ImportJob`; a task validates it with the
engine's validate-only mode; a person reads the report and confirms; a second task imports
it with the same engine (which validates again before writing, in one transaction). Every
upload takes this path, whatever its size, so there is one behaviour to test and to explain.

    queued → validating → invalid                          (report; file deleted)
                        → valid → importing → done | failed (file deleted)
    queued, validating, valid → cancelled (by a person) or expired (by the purge)

Tasks are thin (`learners/tasks.py`) and call the functions below, which are safe to run
twice: a job is claimed under a row lock, and only the execution that claimed it records
its outcome. Progress goes to the job row, throttled, through `_ProgressWriter`.
"""

from __future__ import annotations

import datetime
import logging
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gen_portal.errors import DomainError

from ..models import IMPORT_UPLOAD_DIR, ImportJob
from .learners_csv import Importer, learners_import
from .progress import ImportProgress
from .reading import Source
from .trainings_csv import trainings_import

logger = logging.getLogger(__name__)

State = ImportJob.State
Kind = ImportJob.Kind

# docs/privacy.md: an upload nobody confirmed is deleted this long after it was made; a
# report (which quotes cells of the file) is kept this long after its job ended.
UNCONFIRMED_HOURS = 24
REPORT_DAYS = 30
# The job page polls every second or two: more frequent writes would only cost the import.
PROGRESS_INTERVAL = 1.0
# A job waiting this long for a worker has probably lost its message (broker restart): the
# hourly task queues it again (harmless if the first message is still coming).
RESUME_AFTER = datetime.timedelta(minutes=10)
ERROR_MAX_CHARS = 5000


def _unconfirmed_cutoff(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(hours=UNCONFIRMED_HOURS)


def _stale_after() -> datetime.timedelta:
    """A job still validating or importing this long after a worker took it lost that worker
    (past the task's hard time limit): another execution may take it over. Nothing of the
    lost one remains: the engine writes in one transaction, gone with its connection."""
    return datetime.timedelta(seconds=int(settings.CELERY_TASK_TIME_LIMIT) + 60)


def _enqueue(task_name: str, job_id: int) -> None:
    from learners import tasks

    getattr(tasks, task_name).delay(job_id)


# --- what a person does ---------------------------------------------------------------------


def import_job_create(*, kind: str, upload, uploaded_by, organisation=None) -> ImportJob:
    """Store `upload` privately and queue its validation.

    `organisation`: the declaring organisation of a learners.csv, None for staff (every
    training). trainings.csv is staff-only and never has one."""
    if kind == Kind.TRAININGS and organisation is not None:
        raise ValueError("a trainings.csv import belongs to no organisation")
    # The views offer only what the user may do; this is the last line if one forgets.
    if not uploaded_by.is_staff and (
        kind != Kind.LEARNERS
        or organisation is None
        or not organisation.memberships.filter(user=uploaded_by).exists()
    ):
        raise DomainError(_("Vous ne pouvez pas importer ce fichier."), code="forbidden")
    with transaction.atomic():
        job = ImportJob(
            kind=kind,
            organisation=organisation,
            uploaded_by=uploaded_by,
            filename=(upload.name or "")[-255:],
            file_size=upload.size or 0,
        )
        # The file reaches storage before the row commits: a rollback leaves an orphan file,
        # which the purge deletes (`_orphan_files_delete`).
        job.file.save("upload.csv", upload, save=False)
        job.save()
        job_id = job.pk
        transaction.on_commit(lambda: _enqueue("import_job_validate", job_id))
    return job


def import_job_confirm(*, job: ImportJob, actor, now: datetime.datetime | None = None) -> ImportJob:
    """Queue the import of a validated file. A replayed confirmation changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.confirmed_at is not None and locked.state in (State.IMPORTING, State.DONE):
            return locked
        if locked.state != State.VALID:
            raise DomainError(
                _("Ce fichier n'attend pas de confirmation : déposez-le à nouveau."),
                code="not_valid",
            )
        if locked.created_at < _unconfirmed_cutoff(now):
            raise DomainError(
                _(
                    "Ce fichier a été déposé il y a plus de %(hours)s heures et n'est plus "
                    "conservé : déposez-le à nouveau."
                )
                % {"hours": UNCONFIRMED_HOURS},
                code="expired",
            )
        locked.state = State.IMPORTING
        locked.confirmed_at = now
        locked.confirmed_by = actor
        locked.started_at = None  # no worker yet: `_claim` takes a job in this state
        locked.percent = 0
        locked.rows_done = 0
        locked.save(
            update_fields=[
                "state",
                "confirmed_at",
                "confirmed_by",
                "started_at",
                "percent",
                "rows_done",
            ]
        )
        job_id = locked.pk
        transaction.on_commit(lambda: _enqueue("import_job_import", job_id))
    return locked


def import_job_cancel(*, job: ImportJob, now: datetime.datetime | None = None) -> ImportJob:
    """Give up a file before its import: it is deleted now rather than at the purge."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.state == State.CANCELLED:
            return locked
        if locked.state not in (State.QUEUED, State.VALIDATING, State.VALID):
            raise DomainError(_("Cet import ne peut plus être annulé."), code="not_cancellable")
        locked.state = State.CANCELLED
        locked.finished_at = now
        locked.save(update_fields=["state", "finished_at"])
        job_id = locked.pk
        # A worker still validating it finds the state changed and records nothing.
        transaction.on_commit(lambda: _discard_file(job_id))
    return locked


# --- what the tasks do ----------------------------------------------------------------------


def import_job_validate(*, job_id: int) -> ImportJob | None:
    """Validate the whole file (engine in validate-only mode): valid, or invalid with its
    report. Writes nothing but the job row."""
    return _execute(job_id, State.VALIDATING, validate_only=True)


def import_job_import(*, job_id: int) -> ImportJob | None:
    """Import a confirmed file: done with its counts, or failed with its report or error,
    and nothing written."""
    return _execute(job_id, State.IMPORTING, validate_only=False)


def _execute(job_id: int, state: str, *, validate_only: bool) -> ImportJob | None:
    job = _claim(job_id, state)
    if job is None:  # not ours: finished, cancelled, or in another worker's hands
        return ImportJob.objects.filter(pk=job_id).first()
    writer = _ProgressWriter(job, validate_only=validate_only)
    try:
        result = _run_engine(job, validate_only=validate_only, progress=writer)
    except Exception as error:  # any failure: record it, nothing was written
        logger.exception("Import job %s failed while %s", job.pk, state)
        _finish(job, state=State.FAILED, error=f"{error.__class__.__name__}: {error}")
    else:
        if result.ok:
            _finish(job, state=State.VALID if validate_only else State.DONE, result=result)
        else:
            _finish(job, state=State.INVALID if validate_only else State.FAILED, result=result)
    finally:
        writer.close()
    return ImportJob.objects.filter(pk=job_id).first()


def _claim(job_id: int, state: str) -> ImportJob | None:
    """Mark the job as taken by this execution (`started_at` is the owner's token) and
    return it; None when it is not this execution's to run."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
        if job is None:
            return None
        now = timezone.now()
        waiting = (state == State.VALIDATING and job.state == State.QUEUED) or (
            state == State.IMPORTING and job.state == State.IMPORTING and job.started_at is None
        )
        abandoned = (
            job.state == state
            and job.started_at is not None
            and job.started_at < now - _stale_after()
        )
        if not (waiting or abandoned):
            return None
        job.state = state
        job.started_at = now
        job.percent = 0
        job.rows_done = 0
        job.save(update_fields=["state", "started_at", "percent", "rows_done"])
        return job


def _run_engine(job: ImportJob, *, validate_only: bool, progress):
    storage, name = job.file.storage, job.file.name
    if not name or not storage.exists(name):
        raise FileNotFoundError(f"stored file of import job {job.pk} is gone ({name!r})")
    # The engine reads the file several times (encoding, validation, writing): each pass
    # opens it again from storage, which needs no local path.
    source = Source(lambda: storage.open(name, "rb"), size=job.file_size or None)
    if job.kind == Kind.TRAININGS:
        return trainings_import(source=source, progress=progress, validate_only=validate_only)
    return learners_import(
        source=source,
        importer=Importer(organisation_id=job.organisation_id),
        progress=progress,
        validate_only=validate_only,
    )


def _finish(job: ImportJob, *, state: str, result=None, error: str = "") -> None:
    running_state = job.state
    now = timezone.now()
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().filter(pk=job.pk).first()
        if locked is None or locked.state != running_state or locked.started_at != job.started_at:
            logger.warning("Import job %s changed hands; its outcome is dropped.", job.pk)
            return
        locked.state = state
        locked.error = error[:ERROR_MAX_CHARS]
        fields = ["state", "error", "percent", "rows_done", "rows_total"]
        if result is not None:
            locked.counts = result.counts()
            locked.report = result.report.to_data()
            locked.rows_total = result.rows
            fields += ["counts", "report"]
        if result is not None and state != State.FAILED:
            locked.percent = 100
            locked.rows_done = result.rows
        if running_state == State.VALIDATING:
            locked.validated_at = now
            fields.append("validated_at")
        if state != State.VALID:
            locked.finished_at = now
            fields.append("finished_at")
        locked.save(update_fields=fields)
    if state != State.VALID:
        _discard_file(job.pk)


def _discard_file(job_id: int) -> None:
    """Delete the stored upload of a job (a missing file is not an error)."""
    job = ImportJob.objects.filter(pk=job_id).only("pk", "file").first()
    if job is None or not job.file:
        return
    job.file.delete(save=False)
    ImportJob.objects.filter(pk=job_id).update(file="")


class _ProgressWriter:
    """Records the engine's progress on the job row, at most once per PROGRESS_INTERVAL.

    While the engine writes it is inside its one transaction, and an update through the same
    connection would stay invisible to the job page until the commit. On PostgreSQL such
    updates go through a connection of their own (autocommit): the page sees them at once,
    and a rollback of the import leaves only a number that `_finish` overwrites. Progress is
    best effort: a failed write is logged and the import goes on.
    """

    def __init__(self, job: ImportJob, *, validate_only: bool):
        self.job_id = job.pk
        self.state = job.state
        self.validate_only = validate_only
        self._last: float | None = None
        self._side = None
        self._broken = False

    def __call__(self, event: ImportProgress) -> None:
        now = time.monotonic()
        if self._broken or (self._last is not None and now - self._last < PROGRESS_INTERVAL):
            return
        self._last = now
        values: dict[str, int] = {"rows_done": event.rows_done}
        percent = event.percent
        if percent is not None:
            # A validate-only run is all validation: the engine's 0-50 becomes 0-100.
            values["percent"] = min(100, percent * 2) if self.validate_only else percent
        if event.rows_total is not None:
            values["rows_total"] = event.rows_total
        try:
            self._write(values)
        except DatabaseError:
            logger.warning("Progress of import job %s not recorded", self.job_id, exc_info=True)
            self._broken = True

    def _write(self, values: dict[str, int]) -> None:
        connection = connections[DEFAULT_DB_ALIAS]
        if not connection.in_atomic_block:
            ImportJob.objects.filter(pk=self.job_id, state=self.state).update(**values)
            return
        if connection.vendor != "postgresql":
            # SQLite allows one writer at a time: a second connection would wait for the
            # import's own transaction. The page shows the final state when it commits.
            return
        side = self._side_connection()
        quote = side.ops.quote_name
        assignments = ", ".join(f"{quote(column)} = %s" for column in values)
        # Table and column names come from the model, never from input.
        sql = (
            f"UPDATE {quote(ImportJob._meta.db_table)} SET {assignments} "  # noqa: S608
            f"WHERE {quote('id')} = %s AND {quote('state')} = %s"
        )
        with side.cursor() as cursor:
            cursor.execute(sql, [*values.values(), self.job_id, self.state])

    def _side_connection(self):
        if self._side is None:
            self._side = connections.create_connection(DEFAULT_DB_ALIAS)
            with self._side.cursor() as cursor:
                # Never wait behind a lock for a progress figure.
                cursor.execute("SET lock_timeout = '2s'")
        return self._side

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None


# --- the hourly tasks -----------------------------------------------------------------------


def import_jobs_resume(*, now: datetime.datetime | None = None) -> int:
    """Queue again the jobs whose message or worker was lost: waiting for a worker for more
    than RESUME_AFTER, or running past the task's hard time limit (a worker killed mid-way:
    Celery redelivers its message at once, while the job still looks taken, so that delivery
    leaves it alone). `_claim` makes a duplicate message harmless."""
    now = now or timezone.now()
    waiting = now - RESUME_AFTER
    abandoned = now - _stale_after()
    validate = ImportJob.objects.filter(
        Q(state=State.QUEUED, created_at__lt=waiting)
        | Q(state=State.VALIDATING, started_at__lt=abandoned)
    )
    write = ImportJob.objects.filter(
        Q(state=State.IMPORTING, started_at__isnull=True, confirmed_at__lt=waiting)
        | Q(state=State.IMPORTING, started_at__lt=abandoned)
    )
    resumed = 0
    for task_name, queryset in (("import_job_validate", validate), ("import_job_import", write)):
        for job_id in queryset.values_list("pk", flat=True):
            _enqueue(task_name, job_id)
            resumed += 1
    return resumed


def import_jobs_purge(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Apply the retention rules of docs/privacy.md to uploads and reports. Safe to run at
    any time and twice: each step only touches what is past its delay."""
    now = now or timezone.now()
    cutoff = _unconfirmed_cutoff(now)
    purged = {"expired": 0, "interrupted": 0, "files": 0, "jobs": 0, "orphans": 0}

    # Never confirmed (or never validated, if the validation was lost): the file goes.
    stale = ImportJob.objects.filter(
        state__in=[State.QUEUED, State.VALIDATING, State.VALID], created_at__lt=cutoff
    )
    for job_id in stale.values_list("pk", flat=True):
        if _close(job_id, stale, State.EXPIRED, now, error=""):
            purged["expired"] += 1

    # Confirmed a day ago and still not done: the worker (and its transaction) are gone.
    lost = ImportJob.objects.filter(state=State.IMPORTING, confirmed_at__lt=cutoff)
    for job_id in lost.values_list("pk", flat=True):
        if _close(job_id, lost, State.FAILED, now, error="interrupted: never finished"):
            purged["interrupted"] += 1

    # Files a finished job still holds (a deletion that failed earlier).
    leftovers = ImportJob.objects.filter(state__in=ImportJob.FINAL_STATES).exclude(file="")
    for job_id in leftovers.values_list("pk", flat=True):
        _discard_file(job_id)
        purged["files"] += 1

    # Reports quote cells of the file: kept REPORT_DAYS after the job ended, then deleted.
    report_cutoff = now - datetime.timedelta(days=REPORT_DAYS)
    purged["jobs"], _by_model = (
        ImportJob.objects.filter(state__in=ImportJob.FINAL_STATES, file="")
        .filter(
            Q(finished_at__lt=report_cutoff)
            | Q(finished_at__isnull=True, created_at__lt=report_cutoff)
        )
        .delete()
    )

    purged["orphans"] = _orphan_files_delete(older_than=cutoff)
    return purged


def _close(job_id: int, queryset, state: str, now: datetime.datetime, *, error: str) -> bool:
    with transaction.atomic():
        job = queryset.select_for_update(skip_locked=True).filter(pk=job_id).first()
        if job is None:  # changed meanwhile, or a worker holds it right now
            return False
        job.state = state
        job.finished_at = now
        job.error = error
        job.save(update_fields=["state", "finished_at", "error"])
    _discard_file(job_id)
    return True


def _orphan_files_delete(*, older_than: datetime.datetime) -> int:
    """Uploads with no job row (the row's transaction rolled back after the file was saved)."""
    storage = ImportJob._meta.get_field("file").storage
    try:
        _folders, names = storage.listdir(IMPORT_UPLOAD_DIR)
    except FileNotFoundError:
        return 0
    held = set(ImportJob.objects.exclude(file="").values_list("file", flat=True))
    deleted = 0
    for name in names:
        path = f"{IMPORT_UPLOAD_DIR}/{name}"
        if path in held:
            continue
        try:
            modified = storage.get_modified_time(path)
        except FileNotFoundError:
            continue
        if modified < older_than:
            storage.delete(path)
            deleted += 1
    return deleted
