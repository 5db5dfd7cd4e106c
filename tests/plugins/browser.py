"""Fixtures for browser tests: Playwright driving the system Chromium (pytest plugin).

Loaded from `tests/conftest.py` with `pytest_plugins`. Chromium comes from Debian
(`apt-get install chromium`), never from `playwright install`: its downloads are not
reachable from CI, so the browser is launched by executable path.

- `chromium_path`: CHROMIUM_PATH or /usr/bin/chromium; missing → skip, or fail under
  REQUIRE_SERVICES=1.
- `browser`: one headless Chromium for the whole session.
- `page`: a fresh context (cookies, storage) per test, French locale, closed afterwards.

Accessibility assertions are in `tests/browser_helpers.py`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.services import service_unavailable

# Playwright's sync API runs an asyncio event loop in the test's thread. Django then sees an
# "async context" and refuses synchronous ORM calls (SynchronousOnlyOperation) in the same
# test, e.g. creating rows for the live server to show. Nothing here is really concurrent
# with that loop, so the safety check is switched off for the test process. It must be set
# before any such test runs, hence at import time of this plugin.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DEFAULT_CHROMIUM_PATH = "/usr/bin/chromium"

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--headless",
    "--disable-gpu",
    "--disable-dev-shm-usage",  # small /dev/shm in containers crashes tabs
    # No calls home: the CI machine has no network beyond package registries.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM_PATH
    if not Path(path).is_file() or not os.access(path, os.X_OK):
        service_unavailable(
            f"Chromium not found at {path} (apt-get install chromium, or set CHROMIUM_PATH)"
        )
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
            # While Playwright's loop is running, Django keeps this thread's database
            # connections in a separate, context-local slot (asgiref's Local), so every test
            # that ran meanwhile used a second connection. Close it while that slot is still
            # the current one, or PostgreSQL refuses to drop the test database at the end of
            # the session ("being accessed by other users").
            from django.db import connections

            connections.close_all()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
