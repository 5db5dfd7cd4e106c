"""Web import benchmark: N rows of learners.csv through an import job and a real Celery worker.

The path of a web upload, minus the browser: `import_job_create` stores the file and queues
its validation on Redis; a Celery worker (a subprocess, as in production) validates it; the
script confirms it and the worker imports it. Meanwhile the script reads the job row ten times
a second, as the job page's status endpoint does, and reports how long each step took and
which progress values a visitor would have seen, in particular while the import is writing
(inside its one transaction).

    .venv/bin/python bench/import_job.py                        # 100,000 rows
    .venv/bin/python bench/import_job.py --rows 20000
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/some_empty_db \\
    BENCH_BROKER_URL=redis://127.0.0.1:6379/13 .venv/bin/python bench/import_job.py

Without BENCH_DATABASE_URL a database is created for the run and dropped afterwards; a given
one must be empty (it is migrated, filled and left as is). The broker's default queue is used:
give the benchmark a Redis database of its own.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from import_learners import PG_URL, create_trainings, generate, psql  # noqa: E402

POLL_SECONDS = 0.1


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "gen_portal", "worker"]
    command += ["--pool", "solo", "--concurrency", "1", "-l", "warning"]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for_worker(app, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(timeout=1):
            return
    raise SystemExit("the Celery worker did not answer within a minute")


def follow(job_id: int, until: set[str], timeout: float) -> list[tuple[float, str, int, int]]:
    """Read the job row as the status endpoint does: (time, state, percent, rows_done)."""
    from learners.models import ImportJob

    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state, percent, rows = (
            ImportJob.objects.filter(pk=job_id).values_list("state", "percent", "rows_done").get()
        )
        seen.append((time.perf_counter(), state, percent, rows))
        if state in until:
            return seen
        time.sleep(POLL_SECONDS)
    raise SystemExit(f"job {job_id} still {seen[-1][1]!r} after {timeout:.0f} s")


def first_time(seen, state: str) -> float | None:
    return next((moment for moment, seen_state, *_rest in seen if seen_state == state), None)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--organisations", type=int, default=20)
    parser.add_argument("--trainings", type=int, default=5, help="per organisation")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per step")
    args = parser.parse_args()

    given = os.environ.get("BENCH_DATABASE_URL")
    database = None if given else f"gen_bench_jobs_{os.getpid()}"
    database_url = given or f"{PG_URL}/{database}"
    broker = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13")
    workdir = Path(tempfile.mkdtemp(prefix="gen-bench-job-"))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
        "PRIVATE_MEDIA_ROOT": str(workdir / "private"),
        "DEBUG": "1",
    }
    if database:
        psql(f'CREATE DATABASE "{database}"')
    worker = None
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        trainings = create_trainings(env, args.organisations, args.trainings)
        csv_path = workdir / "learners.csv"
        expected = generate(csv_path, args.rows, trainings)
        size_mb = csv_path.stat().st_size / 1e6

        os.environ.update({key: env[key] for key in ("DATABASE_URL", "CELERY_BROKER_URL")})
        os.environ.update(
            {key: env[key] for key in ("CELERY_RESULT_BACKEND", "PRIVATE_MEDIA_ROOT", "DEBUG")}
        )
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gen_portal.settings")
        import django

        django.setup()
        from django.core.files import File

        from accounts.services import user_create
        from gen_portal.celery import app
        from learners.imports.jobs import import_job_confirm, import_job_create
        from learners.models import Enrollment, ImportJob, Learner
        from outcomes.models import FollowUp

        app.control.purge()
        worker = start_worker(env, workdir / "worker.log")
        wait_for_worker(app)
        staff = user_create(email="bench@gen.example", password=None, is_staff=True)

        started = time.perf_counter()
        with csv_path.open("rb") as stream:
            job = import_job_create(
                kind=ImportJob.Kind.LEARNERS,
                upload=File(stream, name="learners.csv"),
                uploaded_by=staff,
            )
        stored = time.perf_counter()
        validation = follow(job.pk, {"valid", "invalid", "failed"}, args.timeout)
        if validation[-1][1] != "valid":
            raise SystemExit(f"validation ended {validation[-1][1]!r}: see the job's report")
        confirmed = time.perf_counter()
        import_job_confirm(job=job, actor=staff)
        importing = follow(job.pk, {"done", "failed"}, args.timeout)
        finished = importing[-1][0]
        if importing[-1][1] != "done":
            raise SystemExit(f"import ended {importing[-1][1]!r}")

        job.refresh_from_db()
        counts = {
            "learners": Learner.objects.count(),
            "enrollments": Enrollment.objects.count(),
            "followups": FollowUp.objects.count(),
        }
        validating_from = first_time(validation, "validating") or stored
        writing = sorted({p for _t, state, p, _r in importing if state == "importing" and p > 50})
        checking = sorted({p for _t, state, p, _r in importing if state == "importing" and p < 50})
        print(f"rows: {args.rows:,} ({size_mb:.1f} MB)")
        print(f"upload stored (file copied, job row written): {stored - started:.2f} s")
        print(f"queued → a worker took the validation: {validating_from - stored:.2f} s")
        print(f"validation (validate-only engine): {validation[-1][0] - validating_from:.2f} s")
        print(f"confirmation → import done: {finished - confirmed:.2f} s")
        print(f"progress values seen while re-checking (0-50 %): {checking}")
        print(f"progress values seen while writing (50-100 %): {writing}")
        print(f"job: {job.state}, {job.percent} %, {job.rows_done:,} rows, counts {job.counts}")
        match = all(counts[key] == expected[key] for key in expected)
        print(f"database: {counts} ({'match' if match else 'MISMATCH'}, expected {expected})")
        print(f"file deleted after the import: {not job.file}")
        return 0 if match and not job.file else 1
    finally:
        if worker is not None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        if database:
            psql(f'DROP DATABASE IF EXISTS "{database}"')


if __name__ == "__main__":
    raise SystemExit(main())
