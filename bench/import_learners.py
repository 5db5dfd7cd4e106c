"""Learner import benchmark: N rows of learners.csv through `manage.py import_learners`.

Creates a fresh PostgreSQL database, migrates it, creates organisations and trainings
through the services, writes N generated rows to a temporary CSV (streamed, never held in
memory), then runs the import command as a subprocess and measures its wall time and peak
memory (maximum resident set size, from `/usr/bin/time -v` when available, else from
`getrusage(RUSAGE_CHILDREN)`). Checks the learners, enrollments and follow-ups found in the
database against what was generated, and drops the database.

    .venv/bin/python bench/import_learners.py                 # 100,000 rows
    .venv/bin/python bench/import_learners.py --rows 1000000  # memory check at a million

Targets: 100,000 rows in 30 s or less; peak memory under 300 MB at 1,000,000 rows.
"""

import argparse
import csv
import datetime
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/9")
TIME_BIN = "/usr/bin/time"

COLUMNS = [
    "training_code",
    "learner_ref",
    "sex",
    "birth_year",
    "qpv_resident",
    "situation_at_entry",
    "diploma_level",
    "free_access",
    "entry_date",
    "exit_date",
    "exit_reason",
    "situation_exit",
    "situation_m3",
    "situation_m6",
    "situation_m12",
]
SITUATIONS = [
    "cdi",
    "cdd_long",
    "cdd_short",
    "interim",
    "alternance",
    "further_study",
    "job_seeking",
    "inactive",
    "unknown",
]


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", f"{PG_URL}/postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def manage(env: dict, *args: str, capture: bool = False) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
    )
    return done.stdout or ""


def create_trainings(env: dict, organisations: int, per_organisation: int) -> list[str]:
    script = f"""
from trainings.services import organisation_create, training_create
from trainings.validators import luhn_ok

def siret(n):
    body = f"{{n:013d}}"
    return next(body + d for d in "0123456789" if luhn_ok(body + d))

departments = ["75", "93", "94", "59", "69", "13", "33", "2A", "974", "35"]
for o in range({organisations}):
    department = departments[o % len(departments)]
    org = organisation_create(name=f"Organisme {{o}}", siret=siret(700000 + o),
                              department_code=department)
    for t in range({per_organisation}):
        training = training_create(organisation=org, code=f"B-{{o:03d}}-{{t:02d}}",
                                   title=f"Formation {{o}}-{{t}}", duration_months=6,
                                   department_code=department)
        print("TRAINING", training.code, org.pk)
"""
    out = manage(env, "shell", "-c", script, capture=True)
    return [line.split()[1:] for line in out.splitlines() if line.startswith("TRAINING ")]


def generate(path: Path, rows: int, trainings: list[list[str]], seed: int = 5) -> dict:
    """Write `rows` rows; returns the counts the database must show afterwards."""
    rng = random.Random(seed)
    by_org: dict[str, list[str]] = {}
    for code, org in trainings:
        by_org.setdefault(org, []).append(code)
    orgs = sorted(by_org)
    # A few learners come back for a second training: kept per organisation, bounded.
    recent: dict[str, list[tuple]] = {org: [] for org in orgs}
    learners = followups = 0
    start = datetime.date(2016, 1, 4)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow(COLUMNS)
        for number in range(rows):
            org = orgs[number % len(orgs)]
            code = rng.choice(by_org[org])
            entry = start + datetime.timedelta(days=rng.randrange(0, 2000))
            pool = recent[org]
            if pool and rng.random() < 0.1:
                ref, sex, year = pool.pop(rng.randrange(len(pool)))
                entry = entry + datetime.timedelta(days=2100)  # a later enrollment
            else:
                learners += 1
                ref = f"L{number:08d}"
                sex = rng.choice(["F", "M", "femme", "homme", "X", ""])
                year = rng.choice(["", str(rng.randrange(1960, 2004))])
                if len(pool) < 1000:
                    pool.append((ref, sex, year))
            exited = rng.random() < 0.7
            cells = {
                "training_code": code,
                "learner_ref": ref,
                "sex": sex,
                "birth_year": year,
                "qpv_resident": rng.choice(["oui", "non", ""]),
                "situation_at_entry": rng.choice(["job_seeker", "inactif", "emploi", "etudes", ""]),
                "diploma_level": rng.choice(["3", "4", "5", ""]),
                "free_access": rng.choice(["oui", "non", "1", ""]),
                "entry_date": entry.strftime("%d/%m/%Y") if number % 2 else entry.isoformat(),
            }
            if exited:
                exit_date = entry + datetime.timedelta(days=rng.randrange(30, 365))
                cells["exit_date"] = exit_date.isoformat()
                cells["exit_reason"] = rng.choice(["completed", "terminee", "abandon"])
                for column in ("situation_exit", "situation_m3", "situation_m6", "situation_m12"):
                    if rng.random() < 0.6:
                        cells[column] = rng.choice(SITUATIONS)
                        followups += 1
            writer.writerow([cells.get(column, "") for column in COLUMNS])
    return {"learners": learners, "enrollments": rows, "followups": followups}


def measure(env: dict, csv_path: Path) -> tuple[float, float, str]:
    """(wall seconds, peak resident memory in MB, stdout) of the import command; the
    command's own CPU time goes into stdout's last line (the rest is waiting on
    PostgreSQL)."""
    command = [sys.executable, "manage.py", "import_learners", str(csv_path)]
    use_time = Path(TIME_BIN).exists()
    if use_time:
        command = [TIME_BIN, "-v", *command]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, text=True, capture_output=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-5000:])
        raise SystemExit(f"import_learners failed with status {done.returncode}")
    if use_time:
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        peak_kb = int(match.group(1))
        cpu = sum(
            float(value)
            for value in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", done.stderr)
        )
    else:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_kb, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    return wall, peak_kb / 1024, f"{done.stdout.strip()}\nimport command CPU time: {cpu:.1f} s"


def database_counts(env: dict) -> dict:
    script = (
        "from learners.models import Learner, Enrollment\n"
        "from outcomes.models import FollowUp\n"
        "print(Learner.objects.count(), Enrollment.objects.count(), FollowUp.objects.count())"
    )
    out = manage(env, "shell", "--no-imports", "-c", script, capture=True)
    learners, enrollments, followups = out.strip().splitlines()[-1].split()
    return {
        "learners": int(learners),
        "enrollments": int(enrollments),
        "followups": int(followups),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--organisations", type=int, default=20)
    parser.add_argument("--trainings", type=int, default=5, help="per organisation")
    parser.add_argument("--twice", action="store_true", help="import the same file again")
    args = parser.parse_args()

    database = f"gen_bench_learners_{os.getpid()}"
    env = {**os.environ, "DATABASE_URL": f"{PG_URL}/{database}", "DEBUG": "1"}
    # Without a broker the indicator run an import asks for would be computed inside the
    # command (embedded mode) and timed with it; in production it is queued for a worker.
    # The bench queues it in a Redis database of its own that no worker reads, then empties it.
    env["CELERY_BROKER_URL"] = env["CELERY_RESULT_BACKEND"] = BROKER_URL
    workdir = Path(tempfile.mkdtemp(prefix="gen-bench-"))
    psql(f'CREATE DATABASE "{database}"')
    try:
        manage(env, "migrate", "--noinput")
        trainings = create_trainings(env, args.organisations, args.trainings)
        csv_path = workdir / "learners.csv"
        started = time.perf_counter()
        expected = generate(csv_path, args.rows, trainings)
        size_mb = csv_path.stat().st_size / 1024 / 1024
        print(
            f"generated {args.rows:,} rows ({size_mb:.1f} MB) for {len(trainings)} trainings "
            f"in {time.perf_counter() - started:.1f} s"
        )

        wall, peak_mb, out = measure(env, csv_path)
        print(out.strip())
        print(
            f"import: {wall:.1f} s wall, {args.rows / wall:,.0f} rows/s, peak memory "
            f"{peak_mb:.0f} MB"
        )
        found = database_counts(env)
        print(f"database: {found}  expected: {expected}")
        if found != expected:
            print("MISMATCH between the file and the database")
            return 1
        if args.twice:
            wall, peak_mb, out = measure(env, csv_path)
            print(f"same file again: {wall:.1f} s wall, peak memory {peak_mb:.0f} MB")
            if database_counts(env) != expected:
                print("MISMATCH after the second import")
                return 1
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        import redis

        redis.Redis.from_url(BROKER_URL).flushdb()  # the queued runs no worker will read


if __name__ == "__main__":
    sys.exit(main())
