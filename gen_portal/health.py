"""`/health/`: 200 only when the database, the broker and a worker all answer.

Without a broker URL (the embedded default) tasks run inside the web process, so the broker
and the worker are reported as `in-process` and count as answering.
"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app as celery_app

BROKER_TIMEOUT_SECONDS = 2
WORKER_TIMEOUT_SECONDS = 2


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_broker() -> str:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    return "ok"


def check_workers() -> str:
    replies = celery_app.control.ping(timeout=WORKER_TIMEOUT_SECONDS)
    if not replies:
        raise RuntimeError("no worker answered the ping")
    return f"{len(replies)} worker(s)"


def run_checks() -> tuple[bool, dict[str, str]]:
    checks: dict[str, str] = {}
    healthy = True
    parts = [("database", check_database)]
    if settings.CELERY_TASK_ALWAYS_EAGER:
        checks["broker"] = "in-process"
        checks["workers"] = "in-process"
    else:
        parts += [("broker", check_broker), ("workers", check_workers)]
    for name, check in parts:
        try:
            checks[name] = check()
        except Exception as exc:  # any failure of a part is reported, never raised
            healthy = False
            checks[name] = f"failed: {exc.__class__.__name__}: {exc}"
            if name == "broker":
                # No broker means no worker can be reached either; say so without waiting.
                checks["workers"] = "failed: broker unreachable"
                break
    return healthy, checks


@never_cache
@require_GET
def health(request):
    healthy, checks = run_checks()
    failed = [name for name, value in checks.items() if value.startswith("failed")]
    body = {"status": "ok" if healthy else "fail", "failed": failed, "checks": checks}
    return JsonResponse(body, status=200 if healthy else 503)
