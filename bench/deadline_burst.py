"""Deadline burst: 300 different drafts submitted at once in the last seconds of a call.

Builds its own PostgreSQL database, starts gunicorn on loopback with production-like
settings (DEBUG off), prepares N applicants each with a complete draft and a logged-in
session, then fires every submission concurrently in a window that straddles the closing
time. Reports accepted, refused as late, server errors and p50/p95 latency, then checks the
database: every accepted dossier stored once with its reference, every refused one still a
draft with its content.

    .venv/bin/python bench/deadline_burst.py            # 300 drafts, 4 gunicorn workers
    .venv/bin/python bench/deadline_burst.py --drafts 50 --workers 2

Only loopback traffic; bounded in count and time.
"""

import argparse
import concurrent.futures
import http.client
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
BENCH_REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def run(cmd: list[str], env: dict) -> None:
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare(env: dict, drafts: int, closes_in: float) -> None:
    """Create the call and the drafts through the services, and open one session each."""
    script = f"""
import datetime, zoneinfo
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from accounts.services import user_create
from labelling.services import call_create, dossier_create
from trainings.services import organisation_create
from trainings.validators import luhn_ok

now = timezone.now()
call = call_create(reference="BURST", title="Appel de charge", published=True,
    opens_at=now - datetime.timedelta(days=1),
    closes_at=now + datetime.timedelta(seconds={closes_in}))
print("CLOSES", call.closes_at.timestamp())

def siret(n):
    body = f"{{n:013d}}"
    for digit in "0123456789":
        if luhn_ok(body + digit):
            return body + digit

for i in range({drafts}):
    user = user_create(email=f"burst{{i}}@bench.example", password=None)
    org = organisation_create(name=f"Organisme {{i}}", siret=siret(900000 + i),
        department_code="75", creator=user)
    dossier = dossier_create(call=call, organisation=org, actor=user,
        training_title=f"Formation {{i}}", duration_months=9, site_address="1 rue du Test",
        site_postcode="75011", site_city="Paris", department_code="75", region_code="11")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    print("DRAFT", dossier.pk, session.session_key)
"""
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out


def request(port: int, method: str, path: str, cookies: dict, body: str = "", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    all_headers = {"Cookie": cookie, "Host": "127.0.0.1", **(headers or {})}
    if body:
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=all_headers)
    response = conn.getresponse()
    data = response.read()
    set_cookies = response.headers.get_all("Set-Cookie") or []
    conn.close()
    return response.status, response.getheader("Location", ""), data, set_cookies


def fetch_csrf(port: int, pk: int, session: str) -> tuple[str, str]:
    status, location, body, set_cookies = request(
        port, "GET", f"/candidatures/{pk}/etape/recapitulatif/", {"sessionid": session}
    )
    if status != 200:
        raise RuntimeError(f"summary page of {pk} answered {status} {location}")
    token = CSRF_RE.search(body.decode()).group(1)
    cookie = next(c for c in set_cookies if c.startswith("csrftoken="))
    return token, cookie.split(";", 1)[0].split("=", 1)[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drafts", type=int, default=300)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--window", type=float, default=5.0, help="seconds of the burst")
    parser.add_argument("--late-share", type=float, default=0.2, help="share sent after closing")
    args = parser.parse_args()

    db_name = f"gen_bench_burst_{os.getpid()}"
    static_root = tempfile.mkdtemp(prefix="gen-bench-static-")
    media_root = tempfile.mkdtemp(prefix="gen-bench-media-")
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"{PG_URL}/{db_name}",
        "STATIC_ROOT": static_root,
        "PRIVATE_MEDIA_ROOT": media_root,
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }
    # As in production, emails are queued to Redis for a worker; none runs here, and the
    # bench's queue is emptied at the end.
    env["CELERY_BROKER_URL"] = BENCH_REDIS
    subprocess.run(["psql", PG_URL + "/postgres", "-qc", f"CREATE DATABASE {db_name}"], check=True)
    server = None
    try:
        run([sys.executable, "manage.py", "migrate", "-v0"], env)
        run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env)
        # The call closes a little after preparation is over; preparation time is measured.
        started = time.time()
        closes_in = 30 + args.drafts * 0.25
        out = prepare(env, args.drafts, closes_in)
        closes_at = float(re.search(r"CLOSES (\S+)", out).group(1))
        drafts = [(int(pk), key) for pk, key in re.findall(r"DRAFT (\d+) (\S+)", out)]
        print(f"prepared {len(drafts)} drafts in {time.time() - started:.1f} s")

        try:
            request(args.port, "GET", "/", {})
        except OSError:
            pass  # nothing listens there: good
        else:
            print(
                f"port {args.port} is already in use; choose another with --port", file=sys.stderr
            )
            return 2
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "gen_portal.wsgi",
                "--bind",
                f"127.0.0.1:{args.port}",
                "--workers",
                str(args.workers),
                "--threads",
                str(args.threads),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        for _ in range(100):
            try:
                request(args.port, "GET", "/", {})
                break
            except OSError:
                time.sleep(0.2)
        tokens = {}
        for pk, key in drafts:
            tokens[pk] = fetch_csrf(args.port, pk, key)
        wait = closes_at - args.window * (1 - args.late_share) - time.time()
        if wait < 0:
            print("preparation overran the closing time; raise the margin", file=sys.stderr)
            return 2
        time.sleep(wait)

        def submit(item):
            index, (pk, key) = item
            # Spread the requests over the window, the last ones after the closing time.
            fire_at = (
                closes_at - args.window * (1 - args.late_share) + args.window * index / len(drafts)
            )
            time.sleep(max(0.0, fire_at - time.time()))
            token, csrf_cookie = tokens[pk]
            t0 = time.perf_counter()
            status, location, _body, set_cookies = request(
                args.port,
                "POST",
                f"/candidatures/{pk}/deposer/",
                {"sessionid": key, "csrftoken": csrf_cookie},
                body=f"csrfmiddlewaretoken={token}",
                headers={"Referer": f"http://127.0.0.1:{args.port}/"},
            )
            elapsed = time.perf_counter() - t0
            path = urlsplit(location).path
            told = None
            if path.endswith("/recapitulatif/"):
                # Follow the redirect as a browser would, to read the message shown.
                jar = {"sessionid": key, "csrftoken": csrf_cookie}
                for cookie in set_cookies:
                    name, _sep, value = cookie.split(";", 1)[0].partition("=")
                    jar[name] = value
                _s, _l, page, _c = request(args.port, "GET", path, jar)
                told = "brouillon est conservé" in page.decode()
            return pk, status, path, elapsed, told

        with concurrent.futures.ThreadPoolExecutor(max_workers=len(drafts)) as pool:
            results = list(pool.map(submit, enumerate(drafts)))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)

    accepted = [r for r in results if r[1] == 302 and r[2].endswith("/recu/")]
    refused = [r for r in results if r[1] == 302 and r[2].endswith("/recapitulatif/")]
    errors = [r for r in results if r[1] >= 500]
    other = [r for r in results if r not in accepted and r not in refused and r not in errors]
    latencies = sorted(r[3] for r in results)
    p50 = statistics.median(latencies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]

    check = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            """
from labelling.models import Dossier
submitted = Dossier.objects.filter(call__reference="BURST").exclude(reference=None)
refs = list(submitted.values_list("reference", flat=True))
drafts = Dossier.objects.filter(call__reference="BURST", state="draft")
print("STORED", len(refs), len(set(refs)), drafts.count(), drafts.exclude(training_title="").count())
""",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    stored, distinct, still_draft, intact = map(
        int, re.search(r"STORED (\d+) (\d+) (\d+) (\d+)", check).groups()
    )
    subprocess.run(["psql", PG_URL + "/postgres", "-qc", f"DROP DATABASE {db_name}"], check=False)
    subprocess.run(
        ["redis-cli", "-u", BENCH_REDIS, "FLUSHDB"], check=False, stdout=subprocess.DEVNULL
    )
    shutil.rmtree(static_root, ignore_errors=True)
    shutil.rmtree(media_root, ignore_errors=True)

    untold = [r for r in refused if not r[4]]
    print(f"drafts submitted concurrently: {len(results)}")
    print(
        f"accepted: {len(accepted)}  refused as late: {len(refused)}  server errors: {len(errors)}  other: {len(other)}"
    )
    print(
        f"latency p50: {p50 * 1000:.0f} ms  p95: {p95 * 1000:.0f} ms  max: {latencies[-1] * 1000:.0f} ms"
    )
    print(
        f"database: {stored} submitted with {distinct} distinct references; {still_draft} drafts kept, {intact} with their content"
    )
    print(f"refusals that showed the late message: {len(refused) - len(untold)} of {len(refused)}")
    ok = (
        not errors
        and not other
        and stored == len(accepted) == distinct
        and still_draft == len(refused) == intact
        and not untold
    )
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
