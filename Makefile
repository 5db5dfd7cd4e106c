# Everyday commands. `make run` is the one-command start for a newcomer: SQLite, tasks run
# in-process, demo data loaded once. `make stack` is the production-like run (PostgreSQL,
# Redis, gunicorn, a Celery worker and beat). See README and .env.example.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# Written once the dependencies are installed; redone when pyproject.toml changes.
INSTALLED := $(VENV)/.installed

# The embedded default: debug on, SQLite file in the project, no broker (tasks in-process).
# The variables are removed, not emptied, so a value exported in the shell cannot leak in.
EMBEDDED := env -u DATABASE_URL -u CELERY_BROKER_URL -u CELERY_RESULT_BACKEND DEBUG=1

PYTEST_ARGS ?=

.PHONY: help install run test lint format migrations-check messages stack

help:
	@echo "make install           create $(VENV) (Python 3.11) and install the project with dev tools"
	@echo "make run               embedded default on http://127.0.0.1:8000 (SQLite, demo data)"
	@echo "make test              the whole test suite (PYTEST_ARGS='-k ...' to narrow it)"
	@echo "make lint              ruff check + ruff format --check"
	@echo "make format            ruff format + ruff check --fix"
	@echo "make migrations-check  fail if a model change has no migration"
	@echo "make messages          update and compile the English translation catalogue"
	@echo "make stack             gunicorn + Celery worker + beat (needs PostgreSQL and Redis)"

# Python 3.11 exactly (requires-python is >=3.11,<3.12): python3.11, else python3 if it is 3.11.
$(PY):
	@set -e; \
	for candidate in python3.11 python3; do \
		if "$$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then \
			python="$$candidate"; break; \
		fi; \
	done; \
	if [ -z "$${python:-}" ]; then \
		echo "Python 3.11 is required: neither python3.11 nor python3 is 3.11." >&2; exit 1; \
	fi; \
	echo "Creating $(VENV) with $$python ($$(command -v $$python))"; \
	"$$python" -m venv $(VENV) || { \
		echo "Could not create $(VENV); on Debian/Ubuntu: apt-get install python3-venv" >&2; \
		rm -rf $(VENV); exit 1; }

$(INSTALLED): pyproject.toml | $(PY)
	$(PY) -m pip install -e ".[dev]"
	@touch $@

install: | $(PY)
	$(PY) -m pip install -e ".[dev]"
	@touch $(INSTALLED)

run: $(INSTALLED)
	$(EMBEDDED) $(MANAGE) migrate --noinput
	$(EMBEDDED) $(MANAGE) load_demo --if-empty
	$(EMBEDDED) $(MANAGE) runserver 127.0.0.1:8000

# DEBUG=1 only spares a SECRET_KEY; DATABASE_URL, CELERY_BROKER_URL and REQUIRE_SERVICES
# are taken from the caller's environment (CI sets them to PostgreSQL and Redis).
test: $(INSTALLED)
	DEBUG=1 $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(INSTALLED)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: $(INSTALLED)
	DEBUG=1 $(MANAGE) makemigrations --check --dry-run

# Needs GNU gettext (apt-get install gettext). French is the source language: only the
# English catalogue is translated.
messages: $(INSTALLED)
	DEBUG=1 $(MANAGE) makemessages --locale en --no-obsolete \
		--ignore "$(VENV)/*" --ignore "staticfiles/*" --ignore "bench/*"
	DEBUG=1 $(MANAGE) compilemessages --locale en --ignore "$(VENV)/*"

# Production-like: reads .env if present (the same file honcho reads), refuses to start
# without the four variables a real deployment needs. Behind no TLS proxy, also set
# SECURE_SSL_REDIRECT=0 or every request is redirected to https.
stack: $(INSTALLED)
	@set -euo pipefail; \
	if [ -f .env ]; then set -a; . ./.env; set +a; fi; \
	missing=""; \
	for name in DATABASE_URL CELERY_BROKER_URL SECRET_KEY ALLOWED_HOSTS; do \
		[ -n "$${!name:-}" ] || missing="$$missing $$name"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "make stack needs:$$missing (export them or put them in .env; see .env.example)" >&2; \
		exit 1; \
	fi; \
	$(MANAGE) collectstatic --noinput; \
	$(MANAGE) migrate --noinput; \
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" exec $(VENV)/bin/honcho start -f Procfile -p "$${PORT:-8000}"
