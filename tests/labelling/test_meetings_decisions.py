"""Committee meetings: staff create them (date, members present, agenda), record one
decision per dossier (reason required for a refusal or a deferral, quorum checked) and export
the minutes as PDF. A decision notifies the applicant; a labelled one creates the training
and its label. Only staff record decisions; two staff deciding at once get one decision and
a clear message."""

import datetime
import html
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from accounts.models import OutboxEmail
from labelling.models import CommitteeMeeting, Decision, Dossier
from tests.factories import (
    CommitteeMeetingFactory,
    CommitteeMemberFactory,
    DecisionFactory,
    DossierFactory,
    StaffFactory,
    paris_today,
)
from trainings.models import Label, Training

from .test_decision_letter import pdf_text

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def members(db):
    return [CommitteeMemberFactory(full_name=name) for name in ("Ana", "Bruno", "Chloé")]


@pytest.fixture
def meeting(dossier_a, members, staff):
    return CommitteeMeetingFactory(
        call=dossier_a.call,
        members_present=members,
        agenda=[dossier_a],
        quorum=3,
        created_by=staff,
    )


def decide_url(meeting, dossier) -> str:
    return reverse("labelling:staff_decision_record", args=[meeting.pk, dossier.pk])


def decision_post(dossier, outcome, reason="", label_start="") -> dict:
    prefix = f"dossier-{dossier.pk}"
    return {
        f"{prefix}-outcome": outcome,
        f"{prefix}-reason": reason,
        f"{prefix}-label_start": label_start,
    }


# --- meetings --------------------------------------------------------------------------------


def test_staff_create_a_meeting(staff_client, staff, dossier_a, members):
    url = reverse("labelling:staff_meeting_create", args=[dossier_a.call_id])
    assert staff_client.get(url).status_code == 200

    response = staff_client.post(
        url,
        {
            "date": "2026-06-15",
            "time": "10:00",
            "location": "Ministère, salle 101",
            "quorum": "2",
            "members_present": [m.pk for m in members[:2]],
            "agenda": [dossier_a.pk],
        },
    )

    meeting = CommitteeMeeting.objects.get()
    assert response["Location"] == reverse("labelling:staff_meeting_detail", args=[meeting.pk])
    assert meeting.date == datetime.datetime(2026, 6, 15, 8, 0, tzinfo=datetime.UTC)
    assert meeting.quorum == 2
    assert list(meeting.members_present.order_by("full_name")) == members[:2]
    assert list(meeting.agenda.all()) == [dossier_a]
    assert meeting.created_by == staff


def test_the_agenda_offers_only_dossiers_awaiting_a_decision(staff_client, dossier_a):
    decided = DecisionFactory(dossier__call=dossier_a.call).dossier
    DossierFactory(call=dossier_a.call)  # draft

    response = staff_client.get(reverse("labelling:staff_meeting_create", args=[dossier_a.call_id]))

    assert list(response.context["form"].fields["agenda"].queryset) == [dossier_a]
    assert decided not in response.context["form"].fields["agenda"].queryset


def test_staff_edit_attendance_and_agenda(staff_client, meeting, members, dossier_a):
    response = staff_client.post(
        reverse("labelling:staff_meeting_edit", args=[meeting.pk]),
        {
            "date": "2026-06-16",
            "time": "14:30",
            "quorum": "3",
            "members_present": [m.pk for m in members],
            "agenda": [],
        },
    )

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.agenda.count() == 0
    assert meeting.date.astimezone(datetime.UTC).hour == 12


def test_meeting_page_shows_agenda_with_figures_and_quorum(staff_client, meeting, dossier_a):
    response = staff_client.get(reverse("labelling:staff_meeting_detail", args=[meeting.pk]))

    assert response.status_code == 200
    body = page_text(response)
    assert dossier_a.reference in body
    assert "Quorum atteint : 3 présents pour un quorum de 3." in body


# --- decisions -------------------------------------------------------------------------------


def test_labelled_decision_creates_training_and_label_and_notifies(
    staff_client, staff, meeting, dossier_a, applicant
):
    response = staff_client.post(
        decide_url(meeting, dossier_a), decision_post(dossier_a, "labelled"), follow=True
    )

    assert "Décision enregistrée pour le dossier" in page_text(response)
    decision = Decision.objects.get(dossier=dossier_a)
    assert (decision.outcome, decision.meeting, decision.decided_by) == ("labelled", meeting, staff)
    training = Training.objects.get()
    assert training.title == dossier_a.training_title
    label = Label.objects.get()
    assert (label.training, label.decision, label.call) == (training, decision, dossier_a.call)
    assert label.start_date == paris_today()
    assert label.end_date == label.start_date.replace(year=label.start_date.year + 3)
    dossier_a.refresh_from_db()
    assert dossier_a.state == Dossier.State.LABELLED
    email = OutboxEmail.objects.get(to=applicant.email, subject__contains="décision")
    assert "Labellisé" in email.body


def test_label_start_can_be_chosen(staff_client, meeting, dossier_a):
    staff_client.post(
        decide_url(meeting, dossier_a),
        decision_post(dossier_a, "labelled", label_start="2026-09-01"),
    )

    label = Label.objects.get()
    assert (label.start_date, label.end_date) == (
        datetime.date(2026, 9, 1),
        datetime.date(2029, 9, 1),
    )


@pytest.mark.parametrize("outcome", ["rejected", "deferred"])
def test_a_refusal_or_deferral_needs_a_reason(staff_client, meeting, dossier_a, outcome):
    response = staff_client.post(decide_url(meeting, dossier_a), decision_post(dossier_a, outcome))

    assert response.status_code == 400
    assert "Un refus ou un ajournement doit être motivé." in page_text(response)
    assert not Decision.objects.exists()


def test_a_rejection_with_reasons_creates_no_label(staff_client, meeting, dossier_a):
    staff_client.post(
        decide_url(meeting, dossier_a),
        decision_post(dossier_a, "rejected", reason="Public visé hors cible."),
    )

    decision = Decision.objects.get()
    assert (decision.outcome, decision.reason) == ("rejected", "Public visé hors cible.")
    assert not Label.objects.exists() and not Training.objects.exists()


def test_a_deferred_dossier_can_be_decided_at_a_later_meeting(
    staff_client, meeting, dossier_a, members, staff
):
    staff_client.post(
        decide_url(meeting, dossier_a),
        decision_post(dossier_a, "deferred", reason="Budget à préciser."),
    )
    later = CommitteeMeetingFactory(
        call=dossier_a.call, members_present=members, agenda=[dossier_a], quorum=3
    )

    staff_client.post(decide_url(later, dossier_a), decision_post(dossier_a, "labelled"))

    assert list(Decision.objects.order_by("decided_at").values_list("outcome", flat=True)) == [
        "deferred",
        "labelled",
    ]


def test_no_decision_without_quorum(staff_client, meeting, dossier_a):
    meeting.quorum = 4
    meeting.save()

    response = staff_client.post(
        decide_url(meeting, dossier_a), decision_post(dossier_a, "labelled"), follow=True
    )

    assert "Le quorum de la séance n'est pas atteint." in page_text(response)
    assert not Decision.objects.exists()


def test_a_dossier_off_the_agenda_cannot_be_decided_there(staff_client, meeting, open_call):
    other = DossierFactory(call=open_call, submitted=True)

    response = staff_client.post(decide_url(meeting, other), decision_post(other, "labelled"))

    assert response.status_code == 404
    assert not Decision.objects.exists()


def test_a_second_decision_gets_a_clear_message(staff_client, meeting, dossier_a):
    # Another staff member decided a moment ago, from their own page.
    other_staff = Client()
    other_staff.force_login(StaffFactory())
    other_staff.post(
        decide_url(meeting, dossier_a), decision_post(dossier_a, "rejected", reason="Hors cible")
    )

    response = staff_client.post(
        decide_url(meeting, dossier_a), decision_post(dossier_a, "labelled"), follow=True
    )

    assert response.status_code == 200
    assert "Une décision a déjà été enregistrée pour ce dossier" in page_text(response)
    assert Decision.objects.get().outcome == "rejected"
    assert not Label.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_staff_deciding_at_once_get_one_decision_and_one_message():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; CI runs this test on PostgreSQL")
    members = CommitteeMemberFactory.create_batch(3)
    dossier = DossierFactory(submitted=True)
    meeting = CommitteeMeetingFactory(
        call=dossier.call, members_present=members, agenda=[dossier], quorum=3
    )
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(StaffFactory())
        clients.append(client)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def decide(client, data):
        try:
            barrier.wait(timeout=10)
            statuses.append(client.post(decide_url(meeting, dossier), data).status_code)
        finally:
            connections.close_all()  # each thread opened its own connection

    threads = [
        threading.Thread(target=decide, args=(clients[0], decision_post(dossier, "labelled"))),
        threading.Thread(
            target=decide,
            args=(clients[1], decision_post(dossier, "rejected", reason="Hors cible")),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [302, 302]
    assert Decision.objects.filter(dossier=dossier).count() == 1
    pages = [
        page_text(client.get(reverse("labelling:staff_meeting_detail", args=[meeting.pk])))
        for client in clients
    ]
    told_ok = ["Décision enregistrée pour le dossier" in page for page in pages]
    told_already = ["Une décision a déjà été enregistrée pour ce dossier" in page for page in pages]
    assert sorted(told_ok) == [False, True]
    assert [not ok for ok in told_ok] == told_already


# --- minutes ---------------------------------------------------------------------------------


def test_minutes_are_saved_and_exported_as_pdf(staff_client, meeting, dossier_a):
    staff_client.post(decide_url(meeting, dossier_a), decision_post(dossier_a, "labelled"))
    staff_client.post(
        reverse("labelling:staff_meeting_minutes", args=[meeting.pk]),
        {"minutes": "Sacha Conflit quitte la salle pour le dossier examiné."},
    )

    response = staff_client.get(reverse("labelling:staff_meeting_minutes_pdf", args=[meeting.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    text = pdf_text(response.content)
    assert "Procès-verbal de la séance" in text
    assert dossier_a.reference in text
    assert "Ana, Bruno, Chloé" in text
    assert "Labellisé" in text
    assert "quitte la salle" in text


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona",
    ["committee_client", "conflicted_client", "applicant_client", "other_applicant_client"],
)
def test_only_staff_record_decisions_and_run_meetings(request, persona, meeting, dossier_a):
    client = request.getfixturevalue(persona)

    assert (
        client.post(
            decide_url(meeting, dossier_a), decision_post(dossier_a, "labelled")
        ).status_code
        == 404
    )
    for name, args in (
        ("staff_meeting_list", [dossier_a.call_id]),
        ("staff_meeting_create", [dossier_a.call_id]),
        ("staff_meeting_detail", [meeting.pk]),
        ("staff_meeting_edit", [meeting.pk]),
        ("staff_meeting_minutes_pdf", [meeting.pk]),
    ):
        assert client.get(reverse(f"labelling:{name}", args=args)).status_code == 404
    assert (
        client.post(
            reverse("labelling:staff_meeting_minutes", args=[meeting.pk]), {"minutes": "x"}
        ).status_code
        == 404
    )
    assert not Decision.objects.exists()
    meeting.refresh_from_db()
    assert meeting.minutes == ""


def test_meeting_pages_send_anonymous_visitors_to_login(client, meeting):
    for url in (
        reverse("labelling:staff_meeting_detail", args=[meeting.pk]),
        reverse("labelling:staff_meeting_list", args=[meeting.call_id]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_meeting_list(staff_client, meeting):
    response = staff_client.get(reverse("labelling:staff_meeting_list", args=[meeting.call_id]))

    assert response.status_code == 200
    assert [row["meeting"] for row in response.context["meetings"]] == [meeting]
