"""Staff list a training's labels and withdraw an active one with a reason; the beat task
expires labels on their end date and is safe to run twice."""

import datetime
import html

import pytest
from django.urls import reverse

from tests.factories import LabelFactory, MembershipFactory, paris_today
from trainings.models import Label
from trainings.tasks import labels_expire

pytestmark = pytest.mark.django_db


def labels_url(training) -> str:
    return reverse("trainings:staff_training_labels", args=[training.pk])


def withdraw_url(label) -> str:
    return reverse("trainings:staff_label_withdraw", args=[label.pk])


def test_staff_see_the_labels_of_a_training(staff_client):
    active = LabelFactory()
    old = LabelFactory(
        training=active.training, withdrawn=True, start_date=datetime.date(2018, 1, 1)
    )

    response = staff_client.get(labels_url(active.training))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row["label"] for row in rows] == [active, old]
    assert rows[0]["form"] is not None and rows[1]["form"] is None  # only active ones
    assert "Engagements de la charte non respectés." in html.unescape(response.content.decode())


def test_staff_withdraw_a_label_with_a_reason(staff_client, staff):
    label = LabelFactory()

    response = staff_client.post(
        withdraw_url(label),
        {f"label-{label.pk}-reason": "Formation devenue payante pour les apprenants."},
        follow=True,
    )

    label.refresh_from_db()
    assert label.status == Label.Status.WITHDRAWN
    assert label.withdrawal_reason == "Formation devenue payante pour les apprenants."
    assert label.withdrawn_by == staff
    assert label.withdrawn_at is not None
    assert f"Le label de la formation {label.training.code} est retiré." in html.unescape(
        response.content.decode()
    )


def test_a_withdrawal_needs_a_reason(staff_client):
    label = LabelFactory()

    response = staff_client.post(withdraw_url(label), {f"label-{label.pk}-reason": "   "})

    assert response.status_code == 400
    label.refresh_from_db()
    assert label.status == Label.Status.ACTIVE


def test_a_label_no_longer_active_is_not_withdrawn_again(staff_client):
    label = LabelFactory(withdrawn=True)

    response = staff_client.post(
        withdraw_url(label), {f"label-{label.pk}-reason": "Autre motif"}, follow=True
    )

    assert "Seul un label actif peut être retiré." in html.unescape(response.content.decode())
    label.refresh_from_db()
    assert label.withdrawal_reason == "Engagements de la charte non respectés."


@pytest.mark.parametrize("persona", ["applicant_client", "committee_client"])
def test_label_pages_are_404_for_non_staff(request, persona, applicant):
    label = LabelFactory()
    # Even the organisation holding the label does not withdraw it.
    MembershipFactory(user=applicant, organisation=label.training.organisation)
    client = request.getfixturevalue(persona)

    assert client.get(labels_url(label.training)).status_code == 404
    assert client.post(withdraw_url(label), {f"label-{label.pk}-reason": "x"}).status_code == 404
    label.refresh_from_db()
    assert label.status == Label.Status.ACTIVE


def test_label_pages_send_anonymous_visitors_to_login(client):
    label = LabelFactory()

    response = client.get(labels_url(label.training))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_beat_task_expires_labels_on_their_end_date_and_is_safe_to_run_twice():
    today = paris_today()
    ended = LabelFactory(
        start_date=today - datetime.timedelta(days=800), end_date=today - datetime.timedelta(days=1)
    )
    ends_today = LabelFactory(start_date=today - datetime.timedelta(days=800), end_date=today)

    assert labels_expire() == 1
    assert labels_expire() == 0

    ended.refresh_from_db()
    ends_today.refresh_from_db()
    assert ended.status == Label.Status.EXPIRED
    assert ends_today.status == Label.Status.ACTIVE  # the end date is the last labelled day
