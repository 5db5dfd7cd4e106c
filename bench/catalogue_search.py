"""Public catalogue at scale: filtered searches over 10,000 labelled trainings.

Builds its own PostgreSQL database: 2,000 organisations on real departments, 10,000
trainings labelled today (titles, targeted jobs, free or not, QPV or not, durations), 2,500
more that are not (label ended yesterday, withdrawn this morning, starting tomorrow, never
labelled: the catalogue must skip them at query time), about 17,000 sessions, and a
published indicator run holding the `training` cells the training pages show (six
indicators × six periods × 12,500 trainings). Then requests pages through Django's test
client (the whole stack: middleware, filter form, queries, template) many times per
scenario and prints, for each, the server time (median, p95, max) and the number of SQL
queries (CaptureQueriesContext): training pages, then filtered searches as a list and as
a map.

    .venv/bin/python bench/catalogue_search.py                    # 10,000 trainings, 200 runs
    .venv/bin/python bench/catalogue_search.py --repeat 500 --reuse
    .venv/bin/python bench/catalogue_search.py --database my_bench_db

Targets: every scenario at most 100 ms median server time and at most 10 queries. The 95th
percentile is printed too, with the machine's load average: on a shared machine it measures
the neighbours as much as the portal.
The database (`bench_catalogue` by default) is dropped and rebuilt unless --reuse is given,
and kept afterwards for inspection.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")

TARGET_MS = 100
TARGET_QUERIES = 10

TITLES = (
    "Développeur web et web mobile",
    "Concepteur développeur d'applications",
    "Technicien d'assistance informatique",
    "Technicien réseaux et télécommunications",
    "Technicien fibre optique",
    "Administrateur systèmes et réseaux",
    "Intégrateur web",
    "Designer web et UX",
    "Community manager",
    "Chargé de projet e-commerce",
    "Médiateur numérique",
    "Data analyst",
    "Testeur logiciel",
)
JOBS = (
    "M1805 Études et développement informatique",
    "M1801 Administration de systèmes d'information",
    "I1401 Maintenance informatique et bureautique",
    "E1205 Réalisation de contenus multimédias",
    "E1101 Animation de site multimédia",
    "M1810 Production et exploitation de systèmes d'information",
)

# (label, query string): a plain listing, then filtered searches of growing selectivity.
SCENARIOS = (
    ("liste, sans filtre", {}),
    ("texte « developpeur » + région", {"q": "developpeur", "region": "11"}),
    (
        "texte + gratuite + QPV + durée + tri par session",
        {"q": "web", "free": "on", "qpv": "on", "duration": "7-12", "o": "session"},
    ),
    ("métier + session dans les 3 mois + page 3", {"job": "M1805", "session": "90", "page": "3"}),
    ("organisme (2 mots) + département", {"q": "fabrique numerique", "department": "59"}),
    ("carte de France, texte + gratuite", {"q": "technicien", "free": "on", "affichage": "carte"}),
    ("carte d'une région, sans texte", {"region": "84", "affichage": "carte"}),
)


def setup_django(database: str) -> None:
    os.environ["DATABASE_URL"] = f"{PG_URL}/{database}"
    os.environ.setdefault("DEBUG", "1")
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gen_portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    # Production-like: no query log kept in memory (CaptureQueriesContext still records).
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # WhiteNoise warns when STATIC_ROOT does not exist; nothing is served from it here.
    settings.STATIC_ROOT = tempfile.mkdtemp(prefix="bench-static-")


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
            cursor.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{database}"')
    conn.close()
    return False


def siret(number: int) -> str:
    from trainings.validators import siret_is_valid

    body = f"7{number:012d}"
    return next(body + digit for digit in "0123456789" if siret_is_valid(body + digit))


def build(labelled: int, seed: int = 7) -> None:
    """Rows written with bulk_create (the services would send one open-data refresh per
    change, which is not what is measured here)."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from trainings.geo import DEPARTMENTS
    from trainings.models import Label, Organisation, Session, Training

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    print(f"  migrate: {time.monotonic() - started:.1f} s", flush=True)
    started = time.monotonic()
    rng = random.Random(seed)
    today = timezone.localdate()
    departments = sorted(DEPARTMENTS.items())
    organisation_count = max(1, labelled // 5)
    with transaction.atomic():
        organisations = Organisation.objects.bulk_create(
            Organisation(
                name=f"{rng.choice(('Fabrique numérique', 'Campus', 'École', 'Atelier'))} {n}",
                siret=siret(n),
                department_code=code,
                region_code=region,
            )
            for n, (code, (_name, region)) in (
                (n, departments[n % len(departments)]) for n in range(organisation_count)
            )
        )
        unlabelled = labelled // 4
        trainings = []
        for n in range(labelled + unlabelled):
            organisation = organisations[n % len(organisations)]
            free = rng.random() < 0.77
            trainings.append(
                Training(
                    code=f"B-{n:06d}",
                    organisation=organisation,
                    title=f"{rng.choice(TITLES)} {n}",
                    description="Formation par projets, sans condition de diplôme.",
                    targeted_jobs="\n".join(rng.sample(JOBS, k=rng.randint(1, 2))),
                    duration_months=rng.randint(3, 24),
                    hours=700,
                    is_free=free,
                    price=None if free else 1500,
                    site_city=f"Commune {n % 500}",
                    department_code=organisation.department_code,
                    region_code=organisation.region_code,
                    site_qpv=rng.choices(("in", "out", "undetermined"), (20, 72, 8))[0],
                )
            )
        trainings = Training.objects.bulk_create(trainings, batch_size=2000)
        labels = []
        now = timezone.now()
        for n, training in enumerate(trainings):
            start = today - datetime.timedelta(days=rng.randint(1, 900))
            label = Label(
                training=training,
                start_date=start,
                end_date=start + datetime.timedelta(days=3 * 365),
            )
            if n >= labelled:  # not labelled today, in each of the ways that exist
                kind = n % 4
                if kind == 0:
                    label.end_date = today - datetime.timedelta(days=1)
                    label.start_date = label.end_date - datetime.timedelta(days=1000)
                elif kind == 1:
                    label.status = Label.Status.WITHDRAWN
                    label.withdrawal_reason = "Engagements non tenus"
                    label.withdrawn_at = now
                elif kind == 2:
                    label.start_date = today + datetime.timedelta(days=1)
                    label.end_date = label.start_date + datetime.timedelta(days=1000)
                else:
                    continue  # never labelled
            labels.append(label)
        Label.objects.bulk_create(labels, batch_size=2000)
        sessions = []
        for training in trainings:
            start = today - datetime.timedelta(days=rng.randint(0, 120))
            for _number in range(rng.choice((0, 1, 1, 2, 3))):
                sessions.append(
                    Session(
                        training=training,
                        start_date=start,
                        end_date=start + datetime.timedelta(days=30 * training.duration_months),
                        capacity=16,
                        place=training.site_city,
                    )
                )
                start += datetime.timedelta(days=rng.randint(30, 150))
        Session.objects.bulk_create(sessions, batch_size=2000)
    values = publish_run()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"  about {values:,} indicator cells (training breakdown) in a published run, "
        f"{len(organisations):,} organisations, {len(trainings):,} trainings "
        f"({labelled:,} labelled today), {len(labels):,} labels, {len(sessions):,} sessions: "
        f"{time.monotonic() - started:.1f} s",
        flush=True,
    )


def publish_run() -> int:
    """A published indicator run with the counts of every training for five years and `all`
    (drawn at random, on 0 to 60 entrants, so that disclosure control has work to do), from
    which the training pages derive their six figures. Returns the number of those cells."""
    from django.db import connection
    from django.utils import timezone

    from outcomes.indicators.selectors import TRAINING_PAGE_CODES
    from outcomes.models import IndicatorRun

    now = timezone.now()
    run = IndicatorRun.objects.create(
        trigger="bench",
        as_of=timezone.localdate(),
        status=IndicatorRun.Status.DONE,
        progress=100,
        definition_version="1",
        started_at=now,
        finished_at=now,
        published_at=now,
    )
    periods = ", ".join(
        f"('{period}')" for period in ("2021", "2022", "2023", "2024", "2025", "all")
    )
    # Built from the module's own constants: no outside text reaches this statement. Each
    # count is a random share of the one it is part of (women of entrants, known of matured).
    sql = f"""
        INSERT INTO outcomes_trainingcounts (run_id, period, key, counts, entrants)
        SELECT %s, p.period, t.code, jsonb_build_object(
                'entrants', d, 'sex_known', d, 'women', floor(random() * (d + 1))::int,
                'situation_known', d, 'neet', floor(random() * (d + 1))::int,
                'exits', x, 'dropouts', floor(random() * (x + 1))::int,
                'matured_m3', x, 'known_m3', k,
                'positive_m3', floor(random() * (k + 1))::int), d
        FROM trainings_training t
        CROSS JOIN (VALUES {periods}) AS p(period)
        CROSS JOIN LATERAL (SELECT floor(random() * 61)::int + (t.id * 0) AS d) AS r
        CROSS JOIN LATERAL (SELECT floor(random() * (d + 1))::int AS x) AS e
        CROSS JOIN LATERAL (SELECT floor(random() * (x + 1))::int AS k) AS f
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [run.pk])
        rows = cursor.rowcount
    return rows * len(TRAINING_PAGE_CODES)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure(repeat: int) -> bool:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from trainings.selectors import labelled_trainings

    client = Client()
    url = reverse("trainings:catalogue")
    print(f"labelled today: {labelled_trainings().count():,} trainings")
    print(f"{'scenario':58} {'results':>7} {'median':>8} {'p95':>8} {'max':>8} {'queries':>7}")
    ok = True
    ok = measure_training_page(client, repeat) and ok
    for label, params in SCENARIOS:
        for _warm in range(3):
            client.get(url, params)
        times, queries = [], set()
        results = None
        for _run in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, params)
                elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (label, response.status_code)
            times.append(elapsed)
            queries.add(len(captured.captured_queries))
            if results is None:
                content = response.content.decode()
                marker = 'id="resultats">'
                results = content[content.index(marker) + len(marker) :].split("<")[0].split()[0]
        median, p95 = statistics.median(times), percentile(times, 0.95)
        worst_queries = max(queries)
        passed = median <= TARGET_MS and worst_queries <= TARGET_QUERIES
        ok = ok and passed
        print(
            f"{label:58} {results:>7} {median:7.1f}ms {p95:7.1f}ms {max(times):7.1f}ms "
            f"{worst_queries:>7}{'' if passed else '  <- over target'}"
        )
    return ok


def measure_training_page(client, repeat: int) -> bool:
    """A training's page: once with the run's public figures not yet cached (the first
    page after a publication, in each web process), then as every later visitor gets it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from trainings.selectors import labelled_trainings

    codes = list(labelled_trainings().order_by("?").values_list("code", flat=True)[:repeat])
    started = time.perf_counter()
    response = client.get(reverse("trainings:training_detail", args=[codes[0]]))
    cold = (time.perf_counter() - started) * 1000
    assert response.status_code == 200
    times, queries = [], set()
    for code in codes:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(reverse("trainings:training_detail", args=[code]))
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        queries.add(len(captured.captured_queries))
    median, p95 = statistics.median(times), percentile(times, 0.95)
    passed = median <= TARGET_MS and max(queries) <= TARGET_QUERIES
    print(
        f"{'page d’une formation (' + str(len(codes)) + ' formations différentes)':58} "
        f"{'—':>7} {median:7.1f}ms {p95:7.1f}ms {max(times):7.1f}ms "
        f"{max(queries):>7}{'' if passed else '  <- over target'}"
    )
    print(
        f"{'  … la première après une publication (figures à calculer)':58} {'—':>7} {cold:7.1f}ms"
    )
    return passed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trainings", type=int, default=10_000, help="labelled today")
    parser.add_argument("--repeat", type=int, default=200, help="requests per scenario")
    parser.add_argument("--database", default="bench_catalogue")
    parser.add_argument("--reuse", action="store_true", help="keep the data already built")
    args = parser.parse_args()

    reused = create_database(args.database, args.reuse)
    setup_django(args.database)
    if not reused:
        print(f"building {args.database}…", flush=True)
        build(args.trainings)
    print(f"load average before: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    ok = measure(args.repeat)
    print(
        f"load average (1, 5, 15 min): {', '.join(f'{v:.2f}' for v in os.getloadavg())}\n"
        f"RESULT: {'PASS' if ok else 'FAIL'} (targets: median ≤ {TARGET_MS} ms, "
        f"≤ {TARGET_QUERIES} queries)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
