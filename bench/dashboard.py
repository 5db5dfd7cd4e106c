"""Staff indicator dashboard at scale: server time and query count of the page.

Builds its own PostgreSQL database with the data builder of `bench/indicators_run.py`
(1,000,000 enrollments and 2,000 trainings by default), runs one indicator run (every value
written and published, as the nightly task does), then requests the dashboard through
Django's test client as a staff member, several times, and prints the median, best and worst
server time and the number of queries of each variant:

- the page as it opens (latest run, period "since the beginning");
- the page with the training table filtered and sorted (a region, flagged trainings only,
  sorted by outcome, second page);
- the page for a calendar year;
- the XLSX export (every table, the training table unpaginated).

    .venv/bin/python bench/dashboard.py                                # 1,000,000 enrollments
    .venv/bin/python bench/dashboard.py --enrollments 100000 --trainings 500 --database bench_dash_small
    .venv/bin/python bench/dashboard.py --reuse                        # keep the data and run

Target: the page within 20 queries and 150 ms of server time, whatever the volume.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import indicators_run  # noqa: E402  (the data builder, imported as a sibling module)

QUERY_BUDGET = 20
TIME_BUDGET_MS = 150


def ensure_run(as_of: datetime.date, reused: bool, new_run: bool):
    from outcomes.models import IndicatorRun

    if reused and not new_run:
        run = IndicatorRun.objects.published().filter(as_of=as_of).order_by("-published_at").first()
        if run is not None:
            print(f"  reusing published run n° {run.pk}")
            return run
    elapsed, run = indicators_run.time_run(as_of)
    print(f"  indicator run n° {run.pk}: {elapsed:.1f} s, {run.cells:,} cells published")
    return run


def staff_client():
    from django.test import Client

    from accounts.models import User

    user, _created = User.objects.get_or_create(
        email="bench-staff@bench.example", defaults={"is_staff": True, "full_name": "Bench"}
    )
    client = Client()
    client.force_login(user)
    return client


def measure(
    client, url: str, params: dict, repeat: int
) -> tuple[list[float], list[float], int, int]:
    """Wall-clock and CPU times (ms) of `repeat` requests, their query count and size. The
    CPU time is this process's only (Django), not the database's; on a machine shared with
    other jobs it varies much less than the wall clock."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url, params)  # warm-up: templates, first connection
    assert response.status_code == 200, response.status_code
    times, cpu = [], []
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url, params)
            elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        assert response.status_code == 200, response.status_code
        times.append(elapsed * 1000)
        cpu.append(elapsed_cpu * 1000)
        queries = len(captured.captured_queries)
    return times, cpu, queries, len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrollments", type=int, default=1_000_000)
    parser.add_argument("--trainings", type=int, default=2_000)
    parser.add_argument(
        "--as-of", type=datetime.date.fromisoformat, default=datetime.date(2025, 6, 30)
    )
    parser.add_argument("--database", default="bench_dashboard")
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per variant")
    parser.add_argument("--reuse", action="store_true", help="reuse the database if it exists")
    parser.add_argument(
        "--new-run",
        action="store_true",
        help="with --reuse, publish a new run first (its cells have no planner statistics yet)",
    )
    args = parser.parse_args()

    reused = indicators_run.create_database(args.database, args.reuse)
    indicators_run.setup_django(args.database)
    from django.conf import settings
    from django.urls import reverse

    # The test client's host. Not `setup_test_environment()`: it instruments every template
    # render to record its context for the test client (a copy of the context per template,
    # hundreds per page), a cost production does not pay.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # WhiteNoise warns once per process when STATIC_ROOT does not exist (no collectstatic).
    settings.STATIC_ROOT = tempfile.mkdtemp(prefix="bench-static-")
    print(f"PostgreSQL database {args.database} ({indicators_run.PG_URL})")
    if not reused:
        indicators_run.build(args.enrollments, args.trainings, args.as_of)
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("learners_enrollment", "trainings_training", "labelling_dossier"):
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            print(f"  {table}: {cursor.fetchone()[0]:,}")
    run = ensure_run(args.as_of, reused, args.new_run)
    with connection.cursor() as cursor:
        # Cells written since the table was last analysed: right after a run, PostgreSQL's
        # statistics do not know its run id yet (autovacuum analyses the table later).
        cursor.execute(
            "SELECT n_mod_since_analyze FROM pg_stat_user_tables "
            "WHERE relname = 'outcomes_indicatorvalue'"
        )
        print(f"  indicator cells not yet analysed by PostgreSQL: {cursor.fetchone()[0]:,}")
    from trainings.models import Training

    region = Training.objects.values_list("region_code", flat=True).order_by("region_code")[0]
    client = staff_client()
    dashboard = reverse("outcomes:dashboard")
    variants = [
        ("page as it opens", dashboard, {}),
        (
            "filtered and sorted training table",
            dashboard,
            {"region": region, "flag": "any", "o": "-rate", "page": "2"},
        ),
        ("one calendar year", dashboard, {"period": str(args.as_of.year - 1)}),
        ("XLSX export (every table)", reverse("outcomes:dashboard_export_xlsx"), {}),
    ]
    print(f"dashboard of run n° {run.pk} (as of {run.as_of}), {args.repeat} requests each:")
    print(f"  load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    verdicts = []
    for label, url, params in variants:
        times, cpu, queries, size = measure(client, url, params, args.repeat)
        median = statistics.median(times)
        print(
            f"  {label:38s} median {median:7.1f} ms  (best {min(times):.1f}, "
            f"worst {max(times):.1f}; Django CPU {statistics.median(cpu):.1f})  "
            f"{queries} queries  {size / 1024:.0f} KB"
        )
        if url == dashboard:
            verdicts.append(median <= TIME_BUDGET_MS and queries <= QUERY_BUDGET)
    print(
        f"target (page ≤ {QUERY_BUDGET} queries and ≤ {TIME_BUDGET_MS} ms median): "
        + ("met" if all(verdicts) else "NOT met")
    )


if __name__ == "__main__":
    main()
