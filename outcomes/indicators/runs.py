"""The life of an indicator run, as services: request → queued → running (progress) → done and
published, or failed.

Publication is atomic: the values of a run are written in the same transaction that marks it
done and published, so readers see either the previous publication or the whole new one,
never a half-written run. A failed run leaves no value behind and the previous publication
untouched. Earlier runs stay published; the latest published one is what is shown.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from outcomes.models import IndicatorRun, IndicatorValue, TrainingCounts

from . import engine
from .catalogue import DEFINITION_VERSION

logger = logging.getLogger(__name__)

Status = IndicatorRun.Status


class Trigger:
    MANUAL = "manual"
    COMMAND = "command"
    NIGHTLY = "nightly"
    IMPORT = "import"


def _import_delay() -> int:
    """Seconds between an import and the run it asks for, so that a burst of imports
    gives one run (the queued run is reused until a worker starts it)."""
    return int(getattr(settings, "INDICATORS_IMPORT_DELAY_SECONDS", 60))


def _stale_after() -> datetime.timedelta:
    """A run still `running` this long after its start lost its worker (the task's hard
    time limit has passed): another worker may take it over."""
    return datetime.timedelta(seconds=int(settings.CELERY_TASK_TIME_LIMIT) + 60)


def _enqueue(run_id: int, countdown: int | None = None) -> None:
    from outcomes.tasks import indicators_compute

    indicators_compute.apply_async(args=[run_id], countdown=countdown)


def indicator_run_request(
    *,
    as_of: datetime.date,
    requested_by=None,
    trigger: str = Trigger.MANUAL,
    enqueue: bool = True,
    countdown: int | None = None,
) -> IndicatorRun:
    """Create a queued run and hand it to a worker once the transaction commits.

    `enqueue=False` leaves the caller to execute it (the command does, in eager mode)."""
    with transaction.atomic():
        run = IndicatorRun.objects.create(
            as_of=as_of,
            requested_by=requested_by,
            trigger=trigger,
            status=Status.QUEUED,
            definition_version=DEFINITION_VERSION,
        )
        if enqueue:
            run_id = run.pk
            transaction.on_commit(lambda: _enqueue(run_id, countdown))
    return run


def indicator_run_after_import(
    *, requested_by=None, today: datetime.date | None = None
) -> IndicatorRun:
    """Ask for a run after a successful import, debounced: while a run for today waits in
    the queue (whatever asked for it), it is reused, so imports close together give one run.
    A new run starts after a short delay, which gives the next imports time to join it."""
    today = today or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        pending = (
            IndicatorRun.objects.select_for_update()
            .filter(status=Status.QUEUED, as_of=today)
            .order_by("created_at", "pk")
            .first()
        )
        if pending is not None:
            if pending.created_at < now - datetime.timedelta(seconds=_import_delay() * 5):
                # Queued for too long: its message was probably lost (broker restart).
                # Enqueuing again is harmless, a run is only ever executed once.
                pending_id = pending.pk
                transaction.on_commit(lambda: _enqueue(pending_id))
            return pending
        return indicator_run_request(
            as_of=today,
            requested_by=requested_by,
            trigger=Trigger.IMPORT,
            countdown=_import_delay(),
        )


def indicator_run_nightly(*, today: datetime.date | None = None) -> IndicatorRun | None:
    """The nightly run for today, unless one was already asked for (safe to run twice)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        already = (
            IndicatorRun.objects.filter(as_of=today, trigger=Trigger.NIGHTLY)
            .exclude(status=Status.FAILED)
            .exists()
        )
        if already:
            return None
        return indicator_run_request(as_of=today, trigger=Trigger.NIGHTLY)


def _claim(run_id: int) -> IndicatorRun | None:
    """Mark a queued run running and return it, or None when it is not ours to execute:
    done, failed, or running elsewhere (its row locked now, or started recently)."""
    with transaction.atomic():
        run = IndicatorRun.objects.select_for_update(skip_locked=True).filter(pk=run_id).first()
        if run is None:
            return None
        now = timezone.now()
        abandoned = (
            run.status == Status.RUNNING
            and run.started_at is not None
            and run.started_at < now - _stale_after()
        )
        if run.status != Status.QUEUED and not abandoned:
            return None
        run.status = Status.RUNNING
        run.started_at = now
        run.progress = 0
        run.error = ""
        run.save(update_fields=["status", "started_at", "progress", "error"])
        return run


def _still_ours(run: IndicatorRun) -> IndicatorRun | None:
    """The run row, locked, if this execution still owns it (nobody took it over)."""
    locked = IndicatorRun.objects.select_for_update().get(pk=run.pk)
    if locked.status != Status.RUNNING or locked.started_at != run.started_at:
        return None
    return locked


def _record_progress(run: IndicatorRun, percent: int) -> None:
    IndicatorRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(progress=percent)


def _values_delete(run_id: int) -> None:
    IndicatorValue.objects.filter(run_id=run_id).delete()
    TrainingCounts.objects.filter(run_id=run_id).delete()


def _publish(run: IndicatorRun, result: engine.Result) -> bool:
    with transaction.atomic():
        locked = _still_ours(run)
        if locked is None:
            logger.warning("Indicator run %s was taken over; its values are dropped.", run.pk)
            return False
        _values_delete(run.pk)
        cells = engine.result_insert(run_id=run.pk, result=result)
        now = timezone.now()
        locked.status = Status.DONE
        locked.progress = 100
        locked.finished_at = now
        locked.published_at = now
        locked.definition_version = DEFINITION_VERSION
        locked.cells = cells
        locked.save(
            update_fields=[
                "status",
                "progress",
                "finished_at",
                "published_at",
                "definition_version",
                "cells",
            ]
        )
        return True


def _fail(run: IndicatorRun, error: BaseException) -> None:
    with transaction.atomic():
        locked = _still_ours(run)
        if locked is None:
            return
        _values_delete(run.pk)
        locked.status = Status.FAILED
        locked.finished_at = timezone.now()
        locked.error = f"{error.__class__.__name__}: {error}"[:5000]
        locked.save(update_fields=["status", "finished_at", "error"])


def _statistics_refresh() -> None:
    """Let PostgreSQL's planner know the run just published. Until autovacuum analyses the
    table (late, and never once a run is under a tenth of it), the planner has never seen the
    new run id and may read every cell of the run to find a few (measured: 46-59 ms instead
    of under 1 ms at a million enrollments, docs/performance.md). A failure here costs speed,
    not correctness: it is logged, the publication stands."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table)
        for model in (IndicatorValue, TrainingCounts)
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {tables}")
    except DatabaseError:
        logger.exception("ANALYZE after indicator run failed")


def indicator_run_execute(*, run_id: int, on_progress=None) -> IndicatorRun | None:
    """Compute and publish a queued run. Safe to run twice: a run that is done, failed or
    running elsewhere is left alone. Any error marks the run failed with its text; the
    exception is not raised again (recomputing the same data would fail the same way).

    `on_progress(percent)` is called after each saved progress step (the command prints it).
    """
    run = _claim(run_id)
    if run is None:
        return IndicatorRun.objects.filter(pk=run_id).first()

    def progress(percent: int) -> None:
        _record_progress(run, percent)
        if on_progress is not None:
            on_progress(percent)

    try:
        result = engine.compute(as_of=run.as_of, progress=progress)
        published = _publish(run, result)
    except Exception as error:  # any failure: record it, publish nothing
        logger.exception("Indicator run %s failed", run.pk)
        _fail(run, error)
    else:
        if published:
            _statistics_refresh()
    run.refresh_from_db()
    if on_progress is not None and run.status == Status.DONE:
        on_progress(100)
    return run
