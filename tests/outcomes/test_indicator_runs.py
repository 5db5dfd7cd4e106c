"""The life of an indicator run: request, execution with progress, atomic publication,
failure, safety when run twice, the nightly run and the debounced run after imports."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from outcomes import tasks
from outcomes.indicators import engine, runs
from outcomes.indicators.runs import (
    indicator_run_after_import,
    indicator_run_execute,
    indicator_run_request,
)
from outcomes.indicators.selectors import latest_published_run
from outcomes.models import IndicatorRun, IndicatorValue, TrainingCounts
from tests.factories import IndicatorRunFactory, StaffFactory
from tests.outcomes.indicator_dataset import AS_OF, build_dataset


def stored(run: IndicatorRun) -> tuple[int, int]:
    """Rows a run holds: its cells stored one by one, its trainings' counts."""
    return (
        IndicatorValue.objects.filter(run_id=run.pk).count(),
        TrainingCounts.objects.filter(run_id=run.pk).count(),
    )


pytestmark = pytest.mark.django_db

Status = IndicatorRun.Status


@pytest.fixture
def dataset(db):
    return build_dataset()


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple[list, int | None]]:
    """Calls to the Celery task's apply_async, instead of sending them."""
    calls = []
    monkeypatch.setattr(
        tasks.indicators_compute,
        "apply_async",
        lambda args, countdown=None: calls.append((args, countdown)),
    )
    return calls


def temporary_tables() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_temp_master WHERE type = 'table'")
        else:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname LIKE 'pg_temp%%'")
        return [name for (name,) in cursor.fetchall() if name.startswith("indicators_")]


def published_run(as_of=AS_OF) -> IndicatorRun:
    run = indicator_run_execute(run_id=indicator_run_request(as_of=as_of, enqueue=False).pk)
    assert run.status == Status.DONE, run.error
    return run


# --- request ------------------------------------------------------------------------------


def test_request_creates_a_queued_run_and_enqueues_it_on_commit(
    django_capture_on_commit_callbacks, enqueued
):
    staff = StaffFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = indicator_run_request(as_of=AS_OF, requested_by=staff, trigger="manual")
    assert len(callbacks) == 1
    assert enqueued == [([run.pk], None)]
    run.refresh_from_db()
    assert (run.status, run.progress, run.requested_by, run.as_of) == (
        Status.QUEUED,
        0,
        staff,
        AS_OF,
    )
    assert run.definition_version == "1"


def test_nothing_is_enqueued_when_the_request_rolls_back(
    django_capture_on_commit_callbacks, enqueued
):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        indicator_run_request(as_of=AS_OF)
        raise RuntimeError("the caller fails after asking")
    assert callbacks == []
    assert enqueued == []
    assert not IndicatorRun.objects.exists()


# --- execution and publication ------------------------------------------------------------------


def test_execution_publishes_the_run_with_progress_saved_as_it_goes(dataset):
    run = indicator_run_request(as_of=AS_OF, enqueue=False)
    seen = []

    def on_progress(percent):
        stored = IndicatorRun.objects.get(pk=run.pk)
        seen.append((percent, stored.progress, stored.status))

    done = indicator_run_execute(run_id=run.pk, on_progress=on_progress)
    assert done.status == Status.DONE
    assert done.progress == 100
    assert done.started_at <= done.finished_at == done.published_at
    percents = [percent for percent, _stored, _status in seen]
    assert percents == sorted(percents) and len(set(percents)) == len(percents) > 5
    assert percents[-1] == 100
    # Every step before publication is saved on the run row while it is running.
    for percent, stored, status in seen[:-1]:
        assert (stored, status) == (percent, Status.RUNNING)
    assert latest_published_run() == done
    assert temporary_tables() == []


def test_previous_publication_stays_visible_until_the_new_run_is_done(dataset, monkeypatch):
    first = published_run()
    second = indicator_run_request(as_of=AS_OF, enqueue=False)
    observed = {}
    original = engine.label_rows

    def label_rows(*args, **kwargs):
        # Halfway through the second run.
        observed["latest"] = latest_published_run()
        observed["values"] = (
            IndicatorValue.objects.filter(run_id=second.pk).count()
            + TrainingCounts.objects.filter(run_id=second.pk).count()
        )
        observed["status"] = IndicatorRun.objects.get(pk=second.pk).status
        return original(*args, **kwargs)

    monkeypatch.setattr(engine, "label_rows", label_rows)
    second = indicator_run_execute(run_id=second.pk)
    assert observed == {"latest": first, "values": 0, "status": Status.RUNNING}
    assert second.status == Status.DONE
    assert latest_published_run() == second
    # The first run stays published; it is simply no longer the latest.
    first.refresh_from_db()
    assert first.published_at is not None and stored(first) == stored(second)


def test_a_failing_run_is_recorded_and_leaves_the_previous_publication(dataset, monkeypatch):
    first = published_run()
    first_values = stored(first)

    def broken(*args, **kwargs):
        raise RuntimeError("département inconnu")

    monkeypatch.setattr(engine, "rollup_rows", broken)
    failed = indicator_run_execute(run_id=indicator_run_request(as_of=AS_OF, enqueue=False).pk)
    assert failed.status == Status.FAILED
    assert failed.error == "RuntimeError: département inconnu"
    assert failed.published_at is None and failed.finished_at is not None
    assert stored(failed) == (0, 0)
    assert latest_published_run() == first
    assert stored(first) == first_values
    # The temporary tables of the failed computation are gone.
    assert temporary_tables() == []


def test_a_failure_while_publishing_leaves_no_partial_values(dataset, monkeypatch):
    first = published_run()
    original = engine.result_insert

    def insert_then_fail(*, run_id, result):
        original(run_id=run_id, result=result)
        assert all(stored(IndicatorRun(pk=run_id)))
        raise RuntimeError("disque plein")

    monkeypatch.setattr(engine, "result_insert", insert_then_fail)
    failed = indicator_run_execute(run_id=indicator_run_request(as_of=AS_OF, enqueue=False).pk)
    assert failed.status == Status.FAILED
    assert "disque plein" in failed.error
    assert stored(failed) == (0, 0)
    assert latest_published_run() == first


def test_a_run_is_executed_once(dataset, monkeypatch):
    run = published_run()
    values = stored(run)
    monkeypatch.setattr(engine, "compute", lambda **kwargs: pytest.fail("computed twice"))
    again = indicator_run_execute(run_id=run.pk)
    assert again.status == Status.DONE
    assert again.published_at == run.published_at
    assert stored(again) == values


def test_a_failed_run_is_not_retried(dataset, monkeypatch):
    failed = IndicatorRunFactory(status=Status.FAILED, error="boom", as_of=AS_OF)
    monkeypatch.setattr(engine, "compute", lambda **kwargs: pytest.fail("recomputed"))
    assert indicator_run_execute(run_id=failed.pk).status == Status.FAILED


def test_a_run_running_elsewhere_is_left_alone(dataset, monkeypatch):
    running = IndicatorRunFactory(
        status=Status.RUNNING, progress=40, as_of=AS_OF, started_at=timezone.now(), finished_at=None
    )
    monkeypatch.setattr(engine, "compute", lambda **kwargs: pytest.fail("computed twice"))
    left = indicator_run_execute(run_id=running.pk)
    assert (left.status, left.progress) == (Status.RUNNING, 40)


def test_a_run_abandoned_by_a_dead_worker_is_taken_over(dataset, settings):
    started = timezone.now() - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 120)
    abandoned = IndicatorRunFactory(
        status=Status.RUNNING, progress=40, as_of=AS_OF, started_at=started, finished_at=None
    )
    run = indicator_run_execute(run_id=abandoned.pk)
    assert run.status == Status.DONE
    assert run.started_at > started
    assert all(stored(run))


def test_an_unknown_run_is_ignored():
    assert indicator_run_execute(run_id=999_999) is None


# --- tasks -------------------------------------------------------------------------------------


def test_compute_task_executes_the_run(dataset):
    run = indicator_run_request(as_of=AS_OF, enqueue=False)
    assert tasks.indicators_compute(run.pk) == Status.DONE
    assert tasks.indicators_compute(run.pk) == Status.DONE  # safe twice
    assert tasks.indicators_compute(999_999) == "missing"
    assert tasks.indicators_compute.acks_late is True


def test_nightly_task_asks_for_one_run_for_today(django_capture_on_commit_callbacks, enqueued):
    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.indicators_nightly()
        second = tasks.indicators_nightly()
    assert second is None
    run = IndicatorRun.objects.get()
    assert first == run.pk
    assert (run.as_of, run.trigger, run.status) == (timezone.localdate(), "nightly", Status.QUEUED)
    assert enqueued == [([run.pk], None)]
    assert tasks.indicators_nightly.acks_late is True


def test_nightly_task_tries_again_after_a_failure(enqueued):
    IndicatorRunFactory(as_of=timezone.localdate(), trigger="nightly", status=Status.FAILED)
    assert tasks.indicators_nightly() is not None


# --- after an import: debounced ----------------------------------------------------------------


def test_imports_close_together_give_one_run(django_capture_on_commit_callbacks, enqueued):
    with django_capture_on_commit_callbacks(execute=True):
        first = indicator_run_after_import()
        second = indicator_run_after_import()
        third = indicator_run_after_import(requested_by=StaffFactory())
    assert first == second == third
    assert (first.trigger, first.as_of) == ("import", timezone.localdate())
    assert IndicatorRun.objects.count() == 1
    # Enqueued once, with a short delay for the next imports to join.
    assert enqueued == [([first.pk], runs._import_delay())]


def test_a_queued_run_of_any_trigger_is_reused(enqueued):
    nightly = IndicatorRunFactory(
        as_of=timezone.localdate(), status=Status.QUEUED, started_at=None, finished_at=None
    )
    assert indicator_run_after_import() == nightly


def test_an_import_after_the_run_started_asks_for_a_new_one(
    django_capture_on_commit_callbacks, enqueued
):
    with django_capture_on_commit_callbacks(execute=True):
        first = indicator_run_after_import()
    IndicatorRun.objects.filter(pk=first.pk).update(
        status=Status.RUNNING, started_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        second = indicator_run_after_import()
    assert second != first
    assert [args for args, _countdown in enqueued] == [[first.pk], [second.pk]]


def test_a_run_queued_for_too_long_is_enqueued_again(django_capture_on_commit_callbacks, enqueued):
    stuck = IndicatorRunFactory(
        as_of=timezone.localdate(), status=Status.QUEUED, started_at=None, finished_at=None
    )
    IndicatorRun.objects.filter(pk=stuck.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert indicator_run_after_import() == stuck
    assert enqueued == [([stuck.pk], None)]


def test_the_debounced_run_computes_like_any_other(
    dataset, django_capture_on_commit_callbacks, settings
):
    """Eager mode (no broker): the run executes as soon as the import commits."""
    assert settings.CELERY_TASK_ALWAYS_EAGER
    with django_capture_on_commit_callbacks(execute=True):
        run = indicator_run_after_import()
    run.refresh_from_db()
    assert run.status == Status.DONE
    assert latest_published_run() == run


def test_a_published_run_refreshes_the_planner_statistics(dataset):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        published_run()
    analyses = [q["sql"] for q in queries if q["sql"].startswith("ANALYZE")]
    if connection.vendor == "postgresql":
        assert analyses == ['ANALYZE "outcomes_indicatorvalue", "outcomes_trainingcounts"']
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables "
                "WHERE relname IN ('outcomes_indicatorvalue', 'outcomes_trainingcounts') "
                "ORDER BY relname"
            )
            assert cursor.fetchall() == [
                ("outcomes_indicatorvalue", True),
                ("outcomes_trainingcounts", True),
            ]
    else:  # SQLite's planner needs no such help for these lookups
        assert analyses == []


def test_a_failed_run_does_not_analyse(dataset, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "compute", broken)
    with CaptureQueriesContext(connection) as queries:
        run = indicator_run_execute(run_id=indicator_run_request(as_of=AS_OF, enqueue=False).pk)
    assert run.status == Status.FAILED
    assert not [q for q in queries if q["sql"].startswith("ANALYZE")]
