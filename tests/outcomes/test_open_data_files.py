"""Open-data files of the labelled trainings and of the calls: content and column order,
regeneration after each change (one task per transaction, after commit), the midnight beat,
downloads with Last-Modified and conditional GET, and the open-data page."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from outcomes.models import OpenDataFile
from outcomes.open_data.datasets import CALL_COLUMNS, TRAINING_COLUMNS
from outcomes.open_data.services import open_data_generate, open_data_refresh_on_commit
from outcomes.tasks import open_data_refresh
from tests.factories import (
    CallFactory,
    DossierFactory,
    LabelFactory,
    OrganisationFactory,
    SessionFactory,
    StaffFactory,
    TrainingFactory,
    paris_today,
)
from tests.trainings.catalogue_setup import labelled, network
from trainings.services import label_grant, label_withdraw, labels_expire, session_create

pytestmark = pytest.mark.django_db


def download(client, name, **headers):
    return client.get(reverse("outcomes:open_data_file", args=[name]), headers=headers)


def csv_rows(client, name) -> list[dict]:
    response = download(client, name)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def json_records(client, name) -> list[dict]:
    return json.loads(download(client, name).content)["records"]


def codes(client) -> set[str]:
    return {row["code"] for row in csv_rows(client, "trainings.csv")}


def test_the_trainings_files_hold_the_trainings_labelled_today(client):
    trainings = network()
    SessionFactory(training=trainings.shown, place="Montreuil, salle 2")

    open_data_generate()

    response = download(client, "trainings.csv")
    header = response.content.decode("utf-8").splitlines()[0]
    assert header == ",".join(TRAINING_COLUMNS)
    rows = csv_rows(client, "trainings.csv")
    assert [row["code"] for row in rows] == [trainings.shown.code]
    row = rows[0]
    assert row["title"] == "Développeur web et web mobile"
    assert row["organisation_name"] == "Fabrique numérique de Montreuil"
    assert row["department_code"] == "93" and row["region_name"] == "Île-de-France"
    assert row["is_free"] == "true" and row["price_eur"] == ""
    assert row["upcoming_sessions"] == "1"
    assert row["url"] == f"{settings.SITE_URL}/formations/{trainings.shown.code}/"
    document = json.loads(download(client, "trainings.json").content)
    assert document["as_of"] == paris_today().isoformat()
    assert document["licence"].startswith("Licence Ouverte")
    assert document["count"] == 1
    record = document["records"][0]
    assert record["targeted_jobs"] == ["M1805 – Études et développement informatique"]
    assert record["sessions"][0]["place"] == "Montreuil, salle 2"
    assert set(TRAINING_COLUMNS) <= set(record)


def test_a_cell_that_looks_like_a_formula_is_neutralised_in_the_csv_only(client):
    labelled(title='=HYPERLINK("http://example.com")')

    open_data_generate()

    assert csv_rows(client, "trainings.csv")[0]["title"].startswith("'=HYPERLINK")
    assert json_records(client, "trainings.json")[0]["title"].startswith("=HYPERLINK")


def test_the_calls_files_count_applications_and_labels(client):
    call = CallFactory(reference="2026", closed=True)
    unpublished = CallFactory(reference="BROUILLON", is_published=False)
    for _number in range(3):
        DossierFactory(call=call, submitted=True)
    DossierFactory(call=call)  # a draft is no application
    DossierFactory(call=unpublished, submitted=True)
    LabelFactory(call=call)
    LabelFactory(call=call, withdrawn=True)

    open_data_generate()

    rows = csv_rows(client, "calls.csv")
    assert download(client, "calls.csv").content.decode().splitlines()[0] == ",".join(CALL_COLUMNS)
    assert [row["reference"] for row in rows] == ["2026"]
    assert rows[0]["applications"] == "3"
    assert rows[0]["labels_granted"] == "2"
    assert rows[0]["labels_in_force"] == "1"
    assert json_records(client, "calls.json")[0]["applications"] == 3


def test_the_open_data_page_lists_the_files_and_the_calls(client, django_assert_max_num_queries):
    CallFactory(reference="2026", closed=True, title="Appel 2026")
    labelled()
    open_data_generate()
    client.get(reverse("outcomes:open_data"))

    with django_assert_max_num_queries(3):
        response = client.get(reverse("outcomes:open_data"))

    content = response.content.decode()
    for name in ("trainings.csv", "trainings.json", "calls.csv", "calls.json"):
        assert reverse("outcomes:open_data_file", args=[name]) in content
    assert "Appel 2026" in content
    assert "organisation_siret" in content  # the columns are described
    assert "Licence Ouverte" in content


# --- regeneration ---------------------------------------------------------------------------


def test_changes_ask_for_one_regeneration_after_commit(django_capture_on_commit_callbacks):
    training = TrainingFactory()
    staff = StaffFactory()

    with django_capture_on_commit_callbacks() as callbacks:
        label = label_grant(training=training, start_date=paris_today())
        session_create(
            training=training,
            start_date=paris_today(),
            end_date=paris_today() + datetime.timedelta(days=90),
        )
        label_withdraw(label=label, reason="Charte non respectée.", actor=staff)

    assert len(callbacks) == 1


def test_a_rolled_back_change_asks_nothing(django_capture_on_commit_callbacks):
    training = TrainingFactory()

    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            label_grant(training=training, start_date=paris_today())
            raise RuntimeError("the request fails after the label was written")
        # A later change in the same transaction asks again.
        session_create(
            training=training,
            start_date=paris_today(),
            end_date=paris_today() + datetime.timedelta(days=90),
        )

    assert len(callbacks) == 1


def test_labels_expire_asks_only_when_it_changed_something(django_capture_on_commit_callbacks):
    yesterday = paris_today() - datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks() as callbacks:
        labels_expire(today=paris_today())
    assert callbacks == []

    LabelFactory(start_date=yesterday - datetime.timedelta(days=400), end_date=yesterday)
    with django_capture_on_commit_callbacks() as callbacks:
        assert labels_expire(today=paris_today()) == 1
    assert len(callbacks) == 1


def test_a_withdrawal_removes_the_training_from_the_files_at_once(
    client, staff, django_capture_on_commit_callbacks
):
    training = labelled()
    open_data_generate()
    assert codes(client) == {training.code}

    # The task runs eagerly in tests: the files are regenerated as the withdrawal commits.
    with django_capture_on_commit_callbacks(execute=True):
        label_withdraw(label=training.labels.get(), reason="Charte non respectée.", actor=staff)

    assert codes(client) == set()
    assert json_records(client, "trainings.json") == []


def test_a_label_granted_through_a_service_appears_at_once(
    client, django_capture_on_commit_callbacks
):
    training = TrainingFactory()

    with django_capture_on_commit_callbacks(execute=True):
        label_grant(training=training, start_date=paris_today())

    assert codes(client) == {training.code}


def test_an_ended_label_leaves_the_files_at_the_midnight_regeneration(client):
    today = paris_today()
    yesterday = today - datetime.timedelta(days=1)
    training = TrainingFactory()
    LabelFactory(
        training=training, start_date=yesterday - datetime.timedelta(days=900), end_date=yesterday
    )
    yesterday_noon = timezone.now() - datetime.timedelta(days=1)
    yesterday_noon = yesterday_noon.replace(hour=12)
    open_data_generate(now=yesterday_noon)
    assert codes(client) == {training.code}

    open_data_refresh()  # what the beat runs just after midnight

    assert codes(client) == set()
    schedule = settings.CELERY_BEAT_SCHEDULE["open-data-refresh"]
    assert schedule["task"] == "outcomes.tasks.open_data_refresh"
    assert schedule["schedule"].hour == {0} and schedule["schedule"].minute == {1}


def test_a_request_older_than_the_last_generation_is_skipped():
    labelled()
    before = timezone.now() - datetime.timedelta(seconds=5)
    assert open_data_generate() is not None

    assert open_data_refresh(requested_at=before.isoformat()) is None
    assert open_data_refresh(requested_at=timezone.now().isoformat()) == []


def test_an_unchanged_file_keeps_its_date_and_a_changed_one_gets_a_new_one():
    training = labelled()
    first = timezone.now() - datetime.timedelta(hours=2)
    open_data_generate(now=first)
    open_data_generate()
    dates = dict(OpenDataFile.objects.values_list("name", "modified_at"))
    assert dates["trainings.csv"] == first

    training.title = "Nouvel intitulé"
    training.save()
    open_data_generate()

    assert OpenDataFile.objects.get(name="trainings.csv").modified_at > first
    assert OpenDataFile.objects.get(name="calls.csv").modified_at == first


def test_the_refresh_task_tolerates_being_run_twice(client):
    labelled()
    open_data_refresh()
    first = list(OpenDataFile.objects.order_by("name").values_list("name", "sha256", "rows"))

    open_data_refresh()

    assert list(OpenDataFile.objects.order_by("name").values_list("name", "sha256", "rows")) == (
        first
    )


@pytest.mark.django_db(transaction=True)
def test_asking_outside_a_transaction_regenerates_at_once(client):
    training = labelled()

    open_data_refresh_on_commit()  # autocommit: no transaction to wait for

    assert codes(client) == {training.code}


# --- downloads --------------------------------------------------------------------------------


def test_downloads_carry_their_date_and_answer_not_modified(client):
    labelled()
    open_data_generate()
    file = OpenDataFile.objects.get(name="trainings.csv")

    response = download(client, "trainings.csv")

    assert response["Last-Modified"] == http_date(file.modified_at.timestamp())
    assert response["ETag"] == f'"{file.sha256}"'
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="gen-formations-labellisees-' in response["Content-Disposition"]
    assert (
        download(client, "trainings.csv", if_modified_since=response["Last-Modified"]).status_code
        == 304
    )
    assert download(client, "trainings.csv", if_none_match=response["ETag"]).status_code == 304
    assert download(client, "trainings.json").status_code == 200


def test_unknown_or_not_yet_generated_files_are_not_found(client):
    assert download(client, "trainings.csv").status_code == 404
    open_data_generate()
    assert download(client, "trainings.csv").status_code == 200
    assert download(client, "learners.csv").status_code == 404
    assert client.get("/open-data/..%2Fsettings.py").status_code == 404


def test_the_files_are_utf8_with_accents_intact(client):
    labelled(title="Médiateur numérique — Île-de-France", organisation=OrganisationFactory())
    open_data_generate()

    raw = download(client, "trainings.csv").content

    assert "Médiateur numérique — Île-de-France".encode() in raw
    assert not raw.startswith(b"\xef\xbb\xbf")  # no byte-order mark


@pytest.mark.django_db(transaction=True)
def test_a_trainings_import_that_only_updates_regenerates_the_files(client, tmp_path):
    """Committed for real (the import is its own transaction), as in production."""
    from learners.imports import trainings_import
    from tests.trainings.test_import_trainings import csv_text, row

    path = tmp_path / "trainings.csv"
    start = paris_today().isoformat()
    path.write_text(csv_text([row(label_start=start)]), encoding="utf-8")
    trainings_import(source=path)
    assert {r["title"] for r in csv_rows(client, "trainings.csv")} == {
        "Développeur web et web mobile"
    }

    path.write_text(csv_text([row(label_start=start, title="Intitulé corrigé")]), encoding="utf-8")
    trainings_import(source=path)

    assert {r["title"] for r in csv_rows(client, "trainings.csv")} == {"Intitulé corrigé"}


def test_an_admin_edit_asks_for_a_regeneration(
    superuser_client, django_capture_on_commit_callbacks
):
    label = LabelFactory()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = superuser_client.post(
            reverse("admin:trainings_label_change", args=[label.pk]),
            {
                "training": str(label.training.pk),
                "start_date": label.start_date.strftime("%d/%m/%Y"),
                "end_date": label.end_date.strftime("%d/%m/%Y"),
                "status": "withdrawn",
                "withdrawal_reason": "Charte non respectée.",
            },
        )

    assert response.status_code == 302
    assert len(callbacks) == 1
    assert not OpenDataFile.objects.get(name="trainings.csv").content.count(label.training.code)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_withdrawal_reaches_the_files_through_the_broker_and_a_worker(
    client, celery_worker_thread, staff
):
    """Production path: the service commits, the on-commit hook publishes the task to Redis,
    a real worker regenerates the files."""
    from tests.services import wait_until

    training = labelled()
    open_data_generate()
    assert codes(client) == {training.code}

    label_withdraw(label=training.labels.get(), reason="Charte non respectée.", actor=staff)

    assert wait_until(lambda: codes(client) == set(), timeout=20)
