"""A malformed deployment stops at start-up with one line naming the culprit variable, and a
correct production configuration passes Django's deployment checklist without warnings.

Each case runs `manage.py` in a fresh process: settings are read once at import, so the
environment must be set before Python starts.
"""

import ast
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Every variable gen_portal/settings.py reads, plus Celery's own environment overrides.
SETTINGS_VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SITE_URL",
    "DATABASE_URL",
    "STATIC_ROOT",
    "PRIVATE_MEDIA_ROOT",
    "ATTACHMENT_MAX_BYTES",
    "DEFAULT_FROM_EMAIL",
    "LOG_LEVEL",
    "SESSION_COOKIE_AGE",
    "DJANGO_SETTINGS_MODULE",
    # Set by the browser-test plugin for the test process; check --deploy rejects it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}
SETTINGS_PREFIXES = ("EMAIL_", "CELERY_", "SECURE_")


def run_manage(tmp_path: Path, *args: str, **variables: str) -> subprocess.CompletedProcess:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in SETTINGS_VARIABLES and not name.startswith(SETTINGS_PREFIXES)
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'check.sqlite3'}"
    env.update(variables)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_one_line_naming(result: subprocess.CompletedProcess, variable: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0], lines[0]
    assert "Traceback" not in result.stderr


def production_secret_key() -> str:
    return secrets.token_urlsafe(64)


def test_missing_secret_key_without_debug_stops_with_one_line(tmp_path):
    result = run_manage(tmp_path, "check")

    assert_one_line_naming(result, "SECRET_KEY")


def test_short_secret_key_without_debug_stops_with_one_line(tmp_path):
    result = run_manage(tmp_path, "check", SECRET_KEY="too-short")

    assert_one_line_naming(result, "SECRET_KEY")


@pytest.mark.parametrize(
    "database_url",
    ["not-a-url", "mysql://user:pass@db.example.org:3306/gen"],
    ids=["no-scheme", "unsupported-engine"],
)
def test_malformed_database_url_stops_with_one_line(tmp_path, database_url):
    result = run_manage(
        tmp_path, "check", SECRET_KEY=production_secret_key(), DATABASE_URL=database_url
    )

    assert_one_line_naming(result, "DATABASE_URL")


def test_malformed_debug_stops_with_one_line(tmp_path):
    result = run_manage(tmp_path, "check", DEBUG="maybe")

    assert_one_line_naming(result, "DEBUG")


def test_production_configuration_passes_deploy_checks(tmp_path):
    result = run_manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=production_secret_key(),
        ALLOWED_HOSTS="gen.example.org",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def variables_read_by_settings() -> set[str]:
    """Names passed to the typed readers (env_str, env_bool, ...) in settings.py."""
    tree = ast.parse((PROJECT_ROOT / "gen_portal" / "settings.py").read_text(encoding="utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id.startswith("env_")
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }


def test_env_example_documents_every_variable_settings_read():
    documented = set(
        re.findall(
            r"^#?\s*([A-Z][A-Z0-9_]*)=",
            (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8"),
            flags=re.MULTILINE,
        )
    )
    read = variables_read_by_settings()

    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"} <= read
    assert read - documented == set()
    # Read by the test fixtures rather than by settings.py.
    assert {"REQUIRE_SERVICES", "CHROMIUM_PATH"} <= documented


def test_makemigrations_check_runs_on_a_bare_clone(tmp_path):
    # No DEBUG, no SECRET_KEY: comparing models with migrations needs no production setting.
    result = run_manage(tmp_path, "makemigrations", "--check", "--dry-run")

    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "No changes detected" in result.stdout


def test_makemigrations_with_debug_explicitly_off_still_demands_the_secret_key(tmp_path):
    result = run_manage(tmp_path, "makemigrations", "--check", "--dry-run", DEBUG="0")

    assert_one_line_naming(result, "SECRET_KEY")
