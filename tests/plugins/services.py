"""Fixtures for integration tests against the real services (pytest plugin).

Loaded from `tests/conftest.py` with `pytest_plugins`. The helpers behind them are in
`tests/services.py`.

- autouse: tasks run eagerly (in-process) unless the test asks for `celery_broker`.
- `redis_url`: the Redis broker from CELERY_BROKER_URL, checked with a PING.
- `celery_broker`: the Celery app switched from eager mode to that broker for one test,
  with the queue purged before and after; no worker consumes.
- `celery_worker_thread`: `celery_broker` plus a real worker consuming in a thread.

A task run by the worker thread uses its own database connection, so it only sees rows the
test has committed: tests using the worker are `@pytest.mark.django_db(transaction=True)`
(the fixture asks for `transactional_db` too, so forgetting the marker cannot hang a test).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery

from tests.services import (
    celery_conf_for_broker,
    celery_configured,
    redis_problem,
    service_unavailable,
    worker_thread,
)


@pytest.fixture(autouse=True)
def _celery_eager_unless_real_broker(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tasks run in-process in every test that does not ask for the real broker.

    CI exports CELERY_BROKER_URL so the integration tests find Redis; without this, every
    other test would start publishing to Redis (with no worker) instead of running the task,
    and pass or fail depending on the caller's environment.
    """
    # `redis_url` too: it reads CELERY_BROKER_URL, which the override below points elsewhere.
    if {"celery_broker", "redis_url"} & set(request.fixturenames):
        yield
        return
    from gen_portal.celery import app

    request.getfixturevalue("settings").CELERY_TASK_ALWAYS_EAGER = True
    # Eager tasks still borrow a producer from the broker pool: the in-memory transport keeps
    # that from opening (and leaking) Redis connections in live-server threads.
    with celery_configured(app, task_always_eager=True, broker_url="memory://"):
        yield


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = (os.environ.get("CELERY_BROKER_URL") or "").strip()
    if not url:
        service_unavailable("CELERY_BROKER_URL is not set: no Redis broker to test against")
    problem = redis_problem(url)
    if problem:
        service_unavailable(problem)
    return url


@pytest.fixture
def celery_broker(redis_url: str, settings: Any) -> Iterator[Celery]:
    from gen_portal.celery import app

    # Django settings drive what the code under test believes (the health check reads
    # CELERY_TASK_ALWAYS_EAGER); the Celery app has its own copy of the configuration.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis_url
    settings.CELERY_RESULT_BACKEND = redis_url
    with celery_configured(app, **celery_conf_for_broker(redis_url)):
        # A message left by an earlier, interrupted run would be consumed by this test's
        # worker and point at rows that no longer exist.
        app.control.purge()
        try:
            yield app
        finally:
            app.control.purge()


@pytest.fixture
def celery_worker_thread(celery_broker: Celery, transactional_db: None) -> Iterator[Any]:
    with worker_thread(celery_broker) as worker:
        yield worker
