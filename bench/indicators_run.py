"""Indicator engine at scale: a full run against one hand-written SQL statement.

Builds its own PostgreSQL database with bulk SQL (`generate_series`, `INSERT ... SELECT`):
2,000 trainings on real departments with their labels (renewals, withdrawals, expiries),
1,000,000 enrollments of 920,001 learners (some enrolled twice) and their follow-up
situations (~2.2 million), plus 3,000 dossiers with decisions. Then times:

- a full indicator run (`indicator_run_execute`: every family, every breakdown, the values
  written and published in one transaction), as the nightly task does it;
- one hand-written statement computing the same cohort counts for the national, yearly,
  regional and per-training cells (GROUPING SETS over the same joins);

and prints both times and their ratio (target: the full run within 2× the statement).

    .venv/bin/python bench/indicators_run.py                       # 1,000,000 enrollments
    .venv/bin/python bench/indicators_run.py --enrollments 100000  # quicker
    .venv/bin/python bench/indicators_run.py --reuse               # keep the built data

The database (`bench_indicators` by default) is dropped and rebuilt unless --reuse is given.
"""

# Every statement here is built from the script's own constants and integers, never from input
# text: the f-strings are not an injection vector.
# ruff: noqa: S608

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")

SITUATIONS = (
    ["cdi"] * 3 + ["cdd_long"] * 2 + ["cdd_short"] * 2 + ["interim"] * 2 + ["alternance"] * 2
    + ["business_creation", "subsidised_contract"] + ["further_study"] * 3
    + ["job_seeking"] * 4 + ["inactive"] + ["unknown"] * 2
)  # fmt: skip


def setup_django(database: str) -> None:
    os.environ["DATABASE_URL"] = f"{PG_URL}/{database}"
    os.environ.setdefault("DEBUG", "1")
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gen_portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    # Query logging (on with DEBUG) would keep every statement and its parameters in memory.
    settings.DEBUG = False


def create_database(database: str, reuse: bool) -> bool:
    """Create the database; returns True when it already existed and is reused."""
    import psycopg2

    conn = psycopg2.connect(f"{PG_URL}/postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        exists = cursor.fetchone() is not None
        if exists and reuse:
            return True
        if exists:
            cursor.execute(f'DROP DATABASE "{database}"')
        cursor.execute(f'CREATE DATABASE "{database}"')
    conn.close()
    return False


def step(label: str, started: float) -> float:
    now = time.monotonic()
    print(f"  {label}: {now - started:.1f} s", flush=True)
    return now


def build(enrollments: int, trainings: int, as_of: datetime.date) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from trainings.geo import DEPARTMENTS

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    started = step("migrate", started)
    organisations = max(1, trainings // 7)
    learners = int(enrollments * 0.92) + 1  # not a multiple of the trainings: see below
    span = (as_of - datetime.date(2015, 1, 1)).days + 60  # a few entries after as-of
    departments = ", ".join(
        f"({n}, '{code}', '{region}')"
        for n, (code, (_name, region)) in enumerate(sorted(DEPARTMENTS.items()))
    )
    situations = "ARRAY[" + ", ".join(f"'{s}'" for s in SITUATIONS) + "]"
    statements = [
        "SELECT setseed(0.2018)",
        "CREATE TEMP TABLE depts (n int, code text, region text) ON COMMIT DROP",
        f"INSERT INTO depts VALUES {departments}",
        # Calls every two years, 2014 to 2024.
        """INSERT INTO labelling_call (reference, title, description, opens_at, closes_at,
              label_duration_months, qpv_training_target, required_attachments, is_published,
              last_dossier_number, is_historical, created_at)
           SELECT y::text, 'Appel ' || y, '', make_timestamptz(y - 1, 10, 1, 9, 0, 0, 'Europe/Paris'),
              make_timestamptz(y, 1, 31, 12, 0, 0, 'Europe/Paris'), 36, 0.3, '[]', true, 0,
              true, now()
           FROM generate_series(2014, 2024, 2) AS y""",
        f"""INSERT INTO trainings_organisation (name, siret, address, postcode, city, commune_code,
              department_code, region_code, created_at)
           SELECT 'Organisme ' || i, lpad(i::text, 14, '0'), '', '', '', '', d.code, d.region, now()
           FROM generate_series(1, {organisations}) AS i
           JOIN depts d ON d.n = i % (SELECT count(*) FROM depts)""",
        f"""INSERT INTO trainings_training (code, organisation_id, title, description, targeted_jobs,
              duration_months, hours, is_free, price, site_address, site_postcode, site_city,
              commune_code, department_code, region_code, site_qpv, qpv_code, created_at,
              updated_at)
           SELECT 'B-' || lpad(i::text, 5, '0'), o.id, 'Formation ' || i, '', '', 3 + i % 22, 700,
              r < 0.77, CASE WHEN r < 0.77 THEN NULL ELSE 1500 END, '', '', '', '',
              o.department_code, o.region_code,
              CASE WHEN q < 0.2 THEN 'in' WHEN q < 0.9 THEN 'out' ELSE 'undetermined' END, '',
              now(), now()
           FROM (SELECT i, random() AS r, random() AS q FROM generate_series(1, {trainings}) i) s
           JOIN trainings_organisation o ON o.id = 1 + (i - 1) % {organisations}""",
        # A first label per training (call 2014 to 2022), renewed for two trainings in three;
        # one in fifty withdrawn; statuses as labels_expire leaves them today.
        """INSERT INTO trainings_label (training_id, call_id, start_date, end_date, status,
              withdrawal_reason, withdrawn_at, created_at)
           SELECT t.id, c.id, s.start, (s.start + interval '3 years' - interval '1 day')::date,
              CASE WHEN t.id % 50 = 0 THEN 'withdrawn'
                   WHEN s.start + interval '3 years' - interval '1 day' < current_date
                   THEN 'expired' ELSE 'active' END,
              CASE WHEN t.id % 50 = 0 THEN 'Engagements non tenus' ELSE '' END,
              CASE WHEN t.id % 50 = 0 THEN (s.start + 400)::timestamptz END, now()
           FROM trainings_training t
           CROSS JOIN LATERAL (SELECT (make_date((2014 + 2 * (t.id % 5))::int, 6, 1) + (t.id % 150)::int) AS start,
                                      (2014 + 2 * (t.id % 5))::text AS ref) s
           JOIN labelling_call c ON c.reference = s.ref""",
        """INSERT INTO trainings_label (training_id, call_id, start_date, end_date, status,
              withdrawal_reason, created_at)
           SELECT l.training_id, c.id, l.end_date + 1,
              (l.end_date + 1 + interval '3 years' - interval '1 day')::date,
              CASE WHEN l.end_date + 1 + interval '3 years' - interval '1 day' < current_date
                   THEN 'expired' ELSE 'active' END, '', now()
           FROM trainings_label l
           JOIN labelling_call cl ON cl.id = l.call_id
           JOIN labelling_call c ON c.reference = (cl.reference::int + 4)::text
           WHERE l.training_id % 3 <> 0 AND l.status <> 'withdrawn'""",
        # Learner i (i <= L) is enrolled once; enrollments beyond L re-enrol learner i - L in
        # another training (L is not a multiple of the number of trainings).
        f"""INSERT INTO learners_learner (organisation_id, learner_ref, sex, birth_year, created_at)
           SELECT 1 + ((i - 1) % {trainings}) % {organisations}, 'A' || i,
              CASE WHEN r < 0.24 THEN 'F' WHEN r < 0.97 THEN 'M' WHEN r < 0.985 THEN 'X' ELSE '' END,
              1980 + i % 25, now()
           FROM (SELECT i, random() AS r FROM generate_series(1, {learners}) i) s""",
        f"""INSERT INTO learners_enrollment (learner_id, training_id, entry_date, situation_at_entry,
              qpv_resident, qpv_code, diploma_level, free_access, exit_date, exit_reason, updated_at)
           SELECT learner_id, training_id, entry_date,
              CASE WHEN r1 < 0.03 THEN '' WHEN r1 < 0.45 THEN 'job_seeker' WHEN r1 < 0.68 THEN 'inactive'
                   WHEN r1 < 0.85 THEN 'in_education' ELSE 'employed' END,
              CASE WHEN r2 < 0.03 THEN NULL ELSE r2 < 0.20 END, '', '',
              CASE WHEN r3 < 0.02 THEN NULL ELSE r3 < 0.79 END,
              exit_date,
              CASE WHEN exit_date IS NULL THEN '' WHEN r4 < 0.2 THEN 'dropout' ELSE 'completed' END,
              now()
           FROM (
              SELECT CASE WHEN i <= {learners} THEN i ELSE i - {learners} END AS learner_id,
                 1 + (i - 1) % {trainings} AS training_id,
                 date '2015-01-01' + floor(random() * {span})::int AS entry_date,
                 random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
                 60 + floor(random() * 400)::int AS stay
              FROM generate_series(1, {enrollments}) AS i
           ) s
           CROSS JOIN LATERAL (SELECT CASE WHEN r5 < 0.1 THEN NULL ELSE entry_date + stay END
                               AS exit_date) x""",
        # random() in the subquery's select list keeps PostgreSQL from evaluating it once per
        # milestone instead of once per (enrollment, milestone).
        f"""INSERT INTO outcomes_followup (enrollment_id, milestone, situation, source, updated_at)
           SELECT id, milestone, ({situations})[1 + floor(r2 * {len(SITUATIONS)})::int],
              'declared', now()
           FROM (SELECT e.id, m.milestone, m.p, random() AS r, random() AS r2
                 FROM learners_enrollment e
                 CROSS JOIN (VALUES ('exit', 0.85), ('m3', 0.75), ('m6', 0.65), ('m12', 0.55))
                    AS m(milestone, p)
                 WHERE e.exit_date IS NOT NULL) s
           WHERE r < p""",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
    started = step("trainings, labels, learners, enrollments, follow-ups", started)
    build_dossiers()
    started = step("dossiers and decisions", started)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    step("vacuum analyze", started)


def build_dossiers(per_call: int = 500) -> None:
    """A few thousand dossiers through the ORM (there are few of them in real life too)."""
    from accounts.models import User
    from labelling.models import Call, Decision, Dossier
    from trainings.models import Organisation

    user = User.objects.create_user(email="bench@bench.example", password=None)
    organisations = list(Organisation.objects.order_by("pk")[:200])
    dossiers = []
    for call in Call.objects.order_by("reference"):
        for n in range(per_call):
            submitted = call.opens_at + datetime.timedelta(hours=n * 5)
            dossiers.append(
                Dossier(
                    call=call, organisation=organisations[n % len(organisations)],
                    created_by=user, state="submitted", reference=f"B-{call.reference}-{n:05d}",
                    submitted_at=submitted, training_title=f"Projet {n}",
                )
            )  # fmt: skip
    Dossier.objects.bulk_create(dossiers, batch_size=2000)
    decisions = [
        Decision(
            dossier=dossier,
            outcome=("labelled", "rejected", "deferred")[index % 3],
            reason="" if index % 3 == 0 else "Motifs",
            decided_by=user,
            decided_at=dossier.submitted_at + datetime.timedelta(days=120),
        )
        for index, dossier in enumerate(Dossier.objects.order_by("pk"))
        if index % 5 != 4
    ]
    Decision.objects.bulk_create(decisions, batch_size=2000)


def hand_written_statement(as_of: datetime.date) -> str:
    """The cohort counts of the national, yearly, regional and per-training cells, in one
    statement: the yardstick of the engine."""
    from gen_portal.dates import milestone_cutoff
    from outcomes.situations import GROUPS

    def situations(group: str) -> str:
        return ", ".join(f"'{s.value}'" for s in sorted(GROUPS[group]))

    counts = [
        "count(*)",
        "count(*) FILTER (WHERE l.sex = 'F')",
        "count(*) FILTER (WHERE l.sex <> '')",
        "count(*) FILTER (WHERE e.situation_at_entry IN ('job_seeker', 'inactive'))",
        "count(*) FILTER (WHERE e.situation_at_entry <> '')",
        "count(*) FILTER (WHERE e.qpv_resident)",
        "count(*) FILTER (WHERE e.qpv_resident IS NOT NULL)",
        "count(*) FILTER (WHERE e.free_access)",
        "count(*) FILTER (WHERE e.free_access IS NOT NULL)",
        f"count(*) FILTER (WHERE e.exit_date <= '{as_of}')",
        f"count(*) FILTER (WHERE e.exit_date <= '{as_of}' AND e.exit_reason = 'dropout')",
    ]
    for milestone, months in (("exit", 0), ("m3", 3), ("m6", 6), ("m12", 12)):
        matured = f"e.exit_date <= '{milestone_cutoff(as_of, months)}'"
        counts.append(f"count(*) FILTER (WHERE {matured})")
        for group in ("known", "positive", "employment", "durable", "further_study"):
            counts.append(
                f"count(*) FILTER (WHERE {matured} AND f_{milestone}.situation IN ({situations(group)}))"
            )
    joins = "\n".join(
        f"LEFT JOIN outcomes_followup f_{m} ON f_{m}.enrollment_id = e.id AND f_{m}.milestone = '{m}'"
        for m in ("exit", "m3", "m6", "m12")
    )
    return f"""
        SELECT t.region_code, t.code,
               extract(year FROM e.entry_date)::int AS entry_year,
               CASE WHEN e.exit_date <= '{as_of}' THEN extract(year FROM e.exit_date)::int END
                   AS exit_year,
               {", ".join(counts)}
        FROM learners_enrollment e
        JOIN learners_learner l ON l.id = e.learner_id
        JOIN trainings_training t ON t.id = e.training_id
        {joins}
        WHERE e.entry_date <= '{as_of}'
        GROUP BY GROUPING SETS ((3, 4), (1, 3, 4), (2, 3, 4))
    """


def time_statement(sql: str) -> tuple[float, int]:
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    return time.monotonic() - started, len(rows)


def time_run(as_of: datetime.date) -> tuple[float, object]:
    from outcomes.indicators.runs import indicator_run_execute, indicator_run_request

    started = time.monotonic()
    run = indicator_run_execute(run_id=indicator_run_request(as_of=as_of, enqueue=False).pk)
    elapsed = time.monotonic() - started
    if run.status != "done":
        raise SystemExit(f"run failed: {run.error}")
    return elapsed, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrollments", type=int, default=1_000_000)
    parser.add_argument("--trainings", type=int, default=2_000)
    parser.add_argument(
        "--as-of", type=datetime.date.fromisoformat, default=datetime.date(2025, 6, 30)
    )
    parser.add_argument("--database", default="bench_indicators")
    parser.add_argument("--repeat", type=int, default=3, help="timings kept: the best of N")
    parser.add_argument("--reuse", action="store_true", help="reuse the database if it exists")
    args = parser.parse_args()

    reused = create_database(args.database, args.reuse)
    setup_django(args.database)
    from django.db import connection

    print(f"PostgreSQL database {args.database} ({PG_URL})")
    if reused:
        print("  reusing the data already built; previous indicator runs removed")
        from django.core.management import call_command

        call_command("migrate", verbosity=0)  # data built by an earlier version of the code
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE outcomes_indicatorvalue, outcomes_trainingcounts, outcomes_indicatorrun"
            )
            cursor.execute("VACUUM ANALYZE")
    else:
        build(args.enrollments, args.trainings, args.as_of)
    with connection.cursor() as cursor:
        for table in ("learners_enrollment", "learners_learner", "outcomes_followup",
                      "trainings_training", "trainings_label", "labelling_dossier"):  # fmt: skip
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            print(f"  {table}: {cursor.fetchone()[0]:,}")

    from outcomes.indicators import engine

    sql = hand_written_statement(args.as_of)
    statement_times, run_times, compute_times = [], [], []
    for _ in range(args.repeat):
        elapsed, rows = time_statement(sql)
        statement_times.append(elapsed)
        started = time.monotonic()
        engine.compute(as_of=args.as_of)
        compute_times.append(time.monotonic() - started)
        elapsed, run = time_run(args.as_of)
        run_times.append(elapsed)
    values = run.cells

    from outcomes.indicators.selectors import cells_for

    started = time.monotonic()
    public = cells_for(run, public=True)
    public_time = time.monotonic() - started

    best_statement, best_run = min(statement_times), min(run_times)
    print(f"hand-written statement: {best_statement:.2f} s ({rows:,} grouped rows) "
          f"[{', '.join(f'{t:.2f}' for t in statement_times)}]")  # fmt: skip
    print(f"full indicator run:     {best_run:.2f} s ({values:,} cells published) "
          f"[{', '.join(f'{t:.2f}' for t in run_times)}]")  # fmt: skip
    print(f"ratio run / statement:  {best_run / best_statement:.2f} (target: at most 2)")
    best_compute = min(compute_times)
    print(f"of which computing:     {best_compute:.2f} s (ratio {best_compute / best_statement:.2f}); "
          f"writing and publishing the values: the rest")  # fmt: skip
    print(f"public disclosure control over the run: {public_time:.2f} s ({len(public):,} cells)")


if __name__ == "__main__":
    main()
