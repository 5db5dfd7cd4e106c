"""Helpers for tests that need the real services: Redis and a Celery worker.

The pytest fixtures live in `tests/plugins/services.py`; the plain functions are here so a
test (or a one-off script) can use them without going through a fixture.

Services are optional on a laptop and mandatory in CI: with `REQUIRE_SERVICES=1` a missing
Redis, worker or browser fails the test instead of skipping it, so CI cannot go green by
quietly skipping the integration tests.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
from celery import Celery
from django.db import OperationalError
from kombu import pools

TRUE_WORDS = {"1", "true", "yes", "on", "oui"}

# Celery reads these variables from the environment *before* its own configuration
# (`Settings.broker_url`), so overriding `app.conf` alone is not enough when they are set.
CELERY_ENV_OVERRIDES = {
    "broker_url": "CELERY_BROKER_URL",
    "result_backend": "CELERY_RESULT_BACKEND",
}

_MISSING = object()

# Queue and control exchange of this test session. Two runs sharing a Redis database (two
# developers, CI and a laptop, parallel CI jobs) would otherwise purge each other's queue,
# consume each other's tasks against the wrong test database, and answer each other's
# worker pings.
SESSION_NAMESPACE = f"gen-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def services_required() -> bool:
    """True when the environment demands the real services (CI sets REQUIRE_SERVICES=1)."""
    return os.environ.get("REQUIRE_SERVICES", "").strip().lower() in TRUE_WORDS


def service_unavailable(reason: str) -> None:
    """Fail when services are required, skip otherwise. Never returns."""
    if services_required():
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1 makes this a failure)", pytrace=False)
    pytest.skip(reason)


def redis_problem(url: str, *, timeout: float = 1.0) -> str | None:
    """Why Redis at `url` cannot be used, or None when it answers PING."""
    if not url.startswith(("redis://", "rediss://")):
        return f"CELERY_BROKER_URL is not a Redis URL ({url.split('://', 1)[0]}://)"
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"Redis at {url} does not answer ({exc.__class__.__name__}: {exc})"
    finally:
        client.close()
    return None


def reset_celery_connections(app: Celery) -> None:
    """Forget the broker pools and result backend the app cached for its old configuration."""
    # kombu keeps its pools in a process-wide registry keyed by broker URL: closing one pool
    # without emptying the registry would hand the closed pool back to the next test.
    pools.reset()
    app._pool = None
    # Queues and the remote-control mailbox are built from the configuration once and
    # cached; drop them so a changed queue or control exchange takes effect.
    for cached in ("amqp", "control"):
        app.__dict__.pop(cached, None)
    app._backend_cache = None
    if hasattr(app._local, "backend"):
        del app._local.backend


@contextmanager
def celery_configured(app: Celery, **overrides: Any) -> Iterator[Celery]:
    """Run the block with `app.conf` overridden, then put everything back.

    Only the keys given are touched; connections cached for the previous broker are dropped on
    the way in and on the way out, so the next test talks to the broker it configured.
    """
    changes = app.conf.changes
    saved_conf = {key: changes.get(key, _MISSING) for key in overrides}
    saved_env = {
        env: os.environ.get(env, _MISSING)
        for key, env in CELERY_ENV_OVERRIDES.items()
        if key in overrides
    }
    for key, env in CELERY_ENV_OVERRIDES.items():
        if key in overrides:
            if overrides[key]:
                os.environ[env] = overrides[key]
            else:
                os.environ.pop(env, None)
    for key, value in overrides.items():
        app.conf[key] = value
    reset_celery_connections(app)
    try:
        yield app
    finally:
        reset_celery_connections(app)
        for key, value in saved_conf.items():
            if value is _MISSING:
                changes.pop(key, None)
            else:
                changes[key] = value
        for env, value in saved_env.items():
            if value is _MISSING:
                os.environ.pop(env, None)
            else:
                os.environ[env] = value


def celery_conf_for_broker(url: str) -> dict[str, Any]:
    """The overrides that make the app talk to a real broker instead of running eagerly."""
    return {
        "broker_url": url,
        "result_backend": url,
        "task_always_eager": False,
        "task_default_queue": SESSION_NAMESPACE,
        "control_exchange": SESSION_NAMESPACE,
        # The embedded worker must not replace pytest's log capture on the root logger.
        "worker_hijack_root_logger": False,
        # Fail fast on a dead broker instead of retrying for minutes.
        "broker_connection_retry_on_startup": False,
        "broker_connection_max_retries": 1,
        "broker_connection_timeout": 2,
    }


@contextmanager
def worker_thread(app: Celery, *, ready_timeout: float = 10.0) -> Iterator[Any]:
    """A real Celery worker consuming from the app's broker in a thread of this process.

    The `solo` pool runs tasks in the worker thread itself: no fork, so the task sees the same
    settings and code as the test. The start-up ping round-trips through the broker and the
    result backend, so the worker is proven to consume before the test body runs.
    """
    # Registers the `celery.ping` task that start_worker's readiness check sends.
    import celery.contrib.testing.tasks  # noqa: F401
    from celery.contrib.testing.worker import start_worker

    with start_worker(
        app,
        pool="solo",
        concurrency=1,
        perform_ping_check=True,
        ping_task_timeout=ready_timeout,
        shutdown_timeout=ready_timeout,
        loglevel="WARNING",
    ) as worker:
        yield worker


def wait_until(
    predicate: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.1
) -> Any:
    """Poll `predicate` until it returns something truthy; return that value, or the last
    (falsy) one after `timeout` seconds.

    SQLite's shared in-memory test database raises "database table is locked" when the
    worker thread writes while the test reads; that is a reason to poll again, not a failure.
    """
    deadline = time.monotonic() + timeout
    result = None
    while True:
        try:
            result = predicate()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            result = None
        if result or time.monotonic() >= deadline:
            return result
        time.sleep(interval)
