"""A Celery worker killed in the middle of an indicator run (issue 6, "must hold").

A real worker process (`celery worker`, not a thread: a thread cannot be killed) consumes the
run from Redis and works on the test database. To catch it mid-run deterministically, the
test holds an exclusive lock on the dossiers table, which the engine reads after its staging
steps: the worker claims the run, saves progress, then waits on the lock. It is killed with
SIGKILL there, as the kernel's OOM killer or a lost machine would, with no chance to clean
up. Then:

- the previous publication is what readers see, with its values unchanged, and the killed
  run left no value behind;
- a new run, taken by a new worker, succeeds and is published;
- the killed run itself is taken over when its message comes back from the broker after the
  stale delay (acks_late: the message of a killed worker is never acknowledged), and is
  published too.

PostgreSQL only: a second process must reach the test database, which pytest-django keeps in
memory on SQLite.
"""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings as django_settings
from django.db import connection

from labelling.models import Dossier
from learners.models import Enrollment, Learner
from outcomes.indicators.runs import indicator_run_execute, indicator_run_request
from outcomes.indicators.selectors import latest_published_run, values_for
from outcomes.models import IndicatorRun, IndicatorValue, TrainingCounts
from outcomes.tasks import indicators_compute
from tests.outcomes.indicator_dataset import AS_OF, build_dataset
from tests.services import SESSION_NAMESPACE, service_unavailable, wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

Status = IndicatorRun.Status
ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    params = connection.settings_dict
    user = params["USER"] or "postgres"
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    host = params["HOST"] or "127.0.0.1"
    port = params["PORT"] or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


class WorkerProcess:
    """`celery worker` in a child process, on the test database and this session's queue."""

    def __init__(self, redis_url: str, log: Path) -> None:
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": redis_url,
            "CELERY_RESULT_BACKEND": redis_url,
        }
        self.log = log.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "gen_portal",
                "worker",
                "--pool",
                "solo",
                "--queues",
                SESSION_NAMESPACE,
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


@pytest.fixture
def postgresql() -> None:
    if connection.vendor != "postgresql":
        service_unavailable("a worker process needs the test database on PostgreSQL")


@pytest.fixture
def start_worker(celery_broker, redis_url, tmp_path) -> Iterator:
    started: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        worker = WorkerProcess(redis_url, tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def lock_dossiers() -> Iterator:
    """Takes, when called, an exclusive lock on the dossiers table from a second connection;
    returns that connection (rolling it back releases the lock)."""
    lockers = []

    def lock():
        locker = psycopg2.connect(**connection.get_connection_params())
        lockers.append(locker)
        with locker.cursor() as cursor:
            cursor.execute(f'LOCK TABLE "{Dossier._meta.db_table}" IN ACCESS EXCLUSIVE MODE')
        return locker

    yield lock
    for locker in lockers:
        locker.rollback()
        locker.close()


def _values(run: IndicatorRun) -> list[tuple]:
    """Every cell of the run, stored or derived from its trainings' counts."""
    return [
        (v.code, v.period, v.dimension, v.key, v.numerator, v.denominator, v.value)
        for v in values_for(run)
    ]


def _national(code: str, run: IndicatorRun) -> int:
    return IndicatorValue.objects.get(
        run=run, code=code, period="all", dimension="", key=""
    ).numerator


def _waiting_backends() -> list[int]:
    """Database sessions of this test database waiting for a lock (the worker's)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE NOT l.granted AND a.datname = current_database()"
        )
        return [pid for (pid,) in cursor.fetchall()]


def _log(worker: WorkerProcess) -> str:
    worker.log.flush()
    return Path(worker.log.name).read_text()


def test_a_killed_worker_leaves_the_publication_and_the_next_runs_succeed(
    postgresql, start_worker, lock_dossiers
):
    build_dataset()
    previous = indicator_run_execute(run_id=indicator_run_request(as_of=AS_OF, enqueue=False).pk)
    assert previous.status == Status.DONE, previous.error
    previous_values = _values(previous)
    assert previous_values

    locked = lock_dossiers()
    worker = start_worker()
    killed = indicator_run_request(as_of=AS_OF)  # enqueued to the worker on commit

    # The worker claims the run, records progress, then blocks on the dossiers table.
    started = wait_until(
        lambda: (
            IndicatorRun.objects.filter(pk=killed.pk, progress__gt=0).exists()
            and _waiting_backends()
        ),
        timeout=60,
    )
    assert started, f"the worker never reached the locked table; its log:\n{_log(worker)}"
    killed.refresh_from_db()
    assert killed.status == Status.RUNNING
    assert 0 < killed.progress < 100

    worker.kill()
    # The killed worker's database session would otherwise go on once the lock is released.
    with connection.cursor() as cursor:
        for pid in _waiting_backends():
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    locked.rollback()

    # Readers still see the previous publication, whole; the killed run wrote nothing.
    assert latest_published_run().pk == previous.pk
    assert _values(previous) == previous_values
    assert not IndicatorValue.objects.filter(run=killed).exists()
    assert not TrainingCounts.objects.filter(run=killed).exists()
    killed.refresh_from_db()
    assert killed.status == Status.RUNNING and killed.published_at is None

    # Data changes (one woman fewer), then a new run, on a new worker, succeeds and shows it.
    women_before = _national("women_share", previous)
    learner = Learner.objects.filter(sex="F").order_by("pk").first()
    Learner.objects.filter(pk=learner.pk).update(sex="M")
    # The share counts enrollments of the entry cohort: each of hers moves it.
    hers = Enrollment.objects.filter(learner=learner, entry_date__lte=AS_OF).count()
    assert hers > 0
    start_worker()
    following = indicator_run_request(as_of=AS_OF)
    done = wait_until(
        lambda: IndicatorRun.objects.filter(pk=following.pk, status=Status.DONE).exists(),
        timeout=60,
    )
    following.refresh_from_db()
    assert done, f"the next run ended {following.status}: {following.error}"
    assert latest_published_run().pk == following.pk
    assert _national("women_share", following) == women_before - hers
    assert _values(previous) == previous_values  # earlier publications stay as they were

    # The killed run's message comes back once the broker's visibility timeout has passed,
    # after the stale delay: the run is taken over and published. Time is moved, not waited.
    stale = datetime.timedelta(seconds=django_settings.CELERY_TASK_TIME_LIMIT + 61)
    IndicatorRun.objects.filter(pk=killed.pk).update(started_at=killed.started_at - stale)
    indicators_compute.apply_async(args=[killed.pk])
    taken_over = wait_until(
        lambda: IndicatorRun.objects.filter(pk=killed.pk, status=Status.DONE).exists(),
        timeout=60,
    )
    killed.refresh_from_db()
    assert taken_over, f"the abandoned run ended {killed.status}: {killed.error}"
    assert _values(killed) == _values(following)
