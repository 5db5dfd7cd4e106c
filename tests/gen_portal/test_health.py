"""`/health/` answers 200 only when the database, the broker and a worker all answer."""

import re

import pytest

from gen_portal.celery import app as celery_app
from tests.services import celery_conf_for_broker, celery_configured

# Port 1 on loopback: nothing listens there, so the connection is refused at once.
DEAD_BROKER_URL = "redis://127.0.0.1:1/0"


@pytest.mark.django_db
def test_embedded_default_reports_tasks_in_process(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    response = client.get("/health/")

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    body = response.json()
    assert body["status"] == "ok"
    assert body["failed"] == []
    assert body["checks"] == {
        "database": "ok",
        "broker": "in-process",
        "workers": "in-process",
    }


@pytest.mark.django_db
def test_unreachable_broker_is_reported_as_503(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with celery_configured(celery_app, **celery_conf_for_broker(DEAD_BROKER_URL)):
        response = client.get("/health/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert "broker" in body["failed"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("failed")


@pytest.mark.django_db
def test_health_accepts_only_get(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    assert client.post("/health/").status_code == 405


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_real_broker_and_worker_answer_200(client, celery_worker_thread):
    response = client.get("/health/")

    body = response.json()
    assert response.status_code == 200, body
    assert body["failed"] == []
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] == "ok"
    workers = re.fullmatch(r"(\d+) worker\(s\)", body["checks"]["workers"])
    assert workers, body["checks"]["workers"]
    assert int(workers.group(1)) >= 1


@pytest.mark.services
@pytest.mark.django_db
def test_broker_without_worker_is_reported_as_503(client, celery_broker):
    response = client.get("/health/")

    body = response.json()
    assert response.status_code == 503, body
    assert body["failed"] == ["workers"]
    assert body["checks"]["broker"] == "ok"
    assert body["checks"]["database"] == "ok"
