"""A label that ends or is withdrawn takes its training out of every public output the same
day: the search (list and map), the training page, the organisation page, the sitemap and
the open-data files. Judged on the label's dates and withdrawal, so it holds before the
nightly labels_expire task has marked anything."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from outcomes.open_data.services import open_data_generate
from outcomes.tasks import open_data_refresh
from tests.factories import (
    CallFactory,
    LabelFactory,
    OrganisationFactory,
    TrainingFactory,
    add_years,
    paris_today,
)
from trainings.models import Label
from trainings.services import label_withdraw

pytestmark = pytest.mark.django_db


@pytest.fixture
def training(db):
    """The only training of its organisation, labelled by call 2026 until yesterday
    included (still `active`: labels_expire has not run)."""
    yesterday = paris_today() - datetime.timedelta(days=1)
    training = TrainingFactory(
        title="Formation au label échu", organisation=OrganisationFactory(department_code="35")
    )
    LabelFactory(
        training=training,
        call=CallFactory(reference="2026", closed=True),
        start_date=add_years(yesterday, -3),
        end_date=yesterday,
    )
    return training


def public_outputs(client, training) -> dict[str, bool]:
    """Where the training shows up publicly right now."""
    search = client.get(reverse("trainings:catalogue"))
    map_view = client.get(reverse("trainings:catalogue"), {"affichage": "carte"})
    sitemap = client.get("/sitemap.xml").content.decode()
    trainings_csv = client.get(reverse("outcomes:open_data_file", args=["trainings.csv"]))
    trainings_json = client.get(reverse("outcomes:open_data_file", args=["trainings.json"]))
    calls = client.get(reverse("outcomes:open_data_file", args=["calls.json"]))
    return {
        "search": training.title in search.content.decode(),
        "map": map_view.context["counts"]["total"] > 0,
        "training page": client.get(
            reverse("trainings:training_detail", args=[training.code])
        ).status_code
        == 200,
        "organisation page": client.get(
            reverse("trainings:organisation_detail", args=[training.organisation_id])
        ).status_code
        == 200,
        "sitemap": f"/formations/{training.code}/" in sitemap,
        "trainings.csv": training.code
        in {row["code"] for row in csv.DictReader(io.StringIO(trainings_csv.content.decode()))},
        "trainings.json": training.code
        in {record["code"] for record in json.loads(trainings_json.content)["records"]},
        "calls.json": json.loads(calls.content)["records"][0]["labels_in_force"] == 1,
    }


def test_a_label_ended_yesterday_is_gone_today_everywhere(client, training):
    # The files as generated yesterday at noon, when the label was in force.
    open_data_generate(now=timezone.now().replace(hour=12) - datetime.timedelta(days=1))
    assert Label.objects.get(training=training).status == Label.Status.ACTIVE

    open_data_refresh()  # the beat entry just after midnight

    assert public_outputs(client, training) == dict.fromkeys(
        public_outputs(client, training), False
    )
    # Nothing relied on the nightly status change.
    assert Label.objects.get(training=training).status == Label.Status.ACTIVE


def test_a_label_withdrawn_this_morning_is_gone_at_once_everywhere(
    client, training, staff, django_capture_on_commit_callbacks
):
    label = Label.objects.get(training=training)
    label.end_date = add_years(paris_today(), 1)
    label.save()
    open_data_generate()
    before = public_outputs(client, training)
    assert before == dict.fromkeys(before, True)

    with django_capture_on_commit_callbacks(execute=True):
        label_withdraw(label=label, reason="Engagements non tenus.", actor=staff)

    after = public_outputs(client, training)
    assert after == dict.fromkeys(after, False)
