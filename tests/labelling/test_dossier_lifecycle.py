"""The dossier state machine, through the service functions every page will call."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from accounts.models import OutboxEmail
from accounts.services import user_create
from gen_portal.errors import DomainError
from labelling.models import Dossier, DossierTransition
from labelling.services import (
    call_create,
    call_extend_deadline,
    decision_record,
    dossier_create,
    dossier_request_correction,
    dossier_start_review,
    dossier_submit,
    dossier_update,
    dossier_withdraw,
)
from trainings.models import Label, Training
from trainings.services import organisation_create

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
OPENS = datetime.datetime(2018, 4, 3, 9, 0, tzinfo=PARIS)
CLOSES = datetime.datetime(2018, 6, 29, 0, 0, tzinfo=PARIS)
DURING = datetime.datetime(2018, 6, 28, 23, 59, 0, tzinfo=PARIS)

COMPLETE = {
    "training_title": "Développeur web et web mobile",
    "duration_months": 9,
    "is_free": True,
    "site_address": "12 rue des Lilas",
    "site_postcode": "93200",
    "site_city": "Saint-Denis",
    "department_code": "93",
    "region_code": "11",
    "site_qpv": "in",
}


@pytest.fixture
def applicant(db):
    return user_create(email="candidate@orga.example", password="motdepasse-solide-123")


@pytest.fixture
def staff(db):
    return user_create(email="equipe@gen.example", password="motdepasse-solide-123", is_staff=True)


@pytest.fixture
def call(db):
    return call_create(
        reference="2018", title="Appel 2018", opens_at=OPENS, closes_at=CLOSES, published=True
    )


@pytest.fixture
def organisation(applicant):
    return organisation_create(
        name="Code pour tous", siret="73282932000074", department_code="93", creator=applicant
    )


@pytest.fixture
def draft(call, organisation, applicant):
    return dossier_create(
        call=call, organisation=organisation, actor=applicant, now=DURING, **COMPLETE
    )


def test_submission_gets_reference_hash_audit_and_email(draft, applicant):
    dossier = dossier_submit(dossier=draft, actor=applicant, now=DURING)

    assert dossier.state == Dossier.State.SUBMITTED
    assert dossier.reference == "GEN-2018-00001"
    assert dossier.submitted_at == DURING
    assert len(dossier.content_sha256) == 64
    actions = list(dossier.transitions.values_list("action", flat=True))
    assert actions == ["created", "submitted"]
    assert OutboxEmail.objects.filter(
        to=applicant.email, subject__contains="GEN-2018-00001"
    ).exists()


def test_submission_one_second_late_is_refused_and_draft_kept(draft, applicant):
    one_second_late = CLOSES + datetime.timedelta(seconds=1)

    with pytest.raises(DomainError) as refusal:
        dossier_submit(dossier=draft, actor=applicant, now=one_second_late)

    assert refusal.value.code == "late"
    assert "brouillon est conservé" in refusal.value.message
    draft.refresh_from_db()
    assert draft.state == Dossier.State.DRAFT
    assert draft.reference is None
    assert draft.training_title == COMPLETE["training_title"]


def test_submission_at_the_closing_instant_is_late(draft, applicant):
    with pytest.raises(DomainError):
        dossier_submit(dossier=draft, actor=applicant, now=CLOSES)


def test_replayed_submission_submits_once(draft, applicant):
    first = dossier_submit(dossier=draft, actor=applicant, now=DURING)
    again = dossier_submit(dossier=draft, actor=applicant, now=DURING)

    assert again.reference == first.reference
    assert DossierTransition.objects.filter(dossier=draft, action="submitted").count() == 1


def test_references_follow_each_other_within_a_call(call, organisation, applicant):
    refs = []
    for _ in range(3):
        dossier = dossier_create(
            call=call, organisation=organisation, actor=applicant, now=DURING, **COMPLETE
        )
        refs.append(dossier_submit(dossier=dossier, actor=applicant, now=DURING).reference)
    assert refs == ["GEN-2018-00001", "GEN-2018-00002", "GEN-2018-00003"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"duration_months": None}, "entre 3 et 24 mois"),
        ({"is_free": False}, "justifiez le coût"),
        ({"diploma_required": True}, "diplôme"),
        ({"site_postcode": ""}, "adresse du lieu"),
    ],
)
def test_label_rules_are_checked_with_clear_messages(draft, applicant, change, message):
    dossier_update(dossier=draft, actor=applicant, fields=change)

    with pytest.raises(DomainError) as refusal:
        dossier_submit(dossier=draft, actor=applicant, now=DURING)

    assert message in refusal.value.message
    draft.refresh_from_db()
    assert draft.state == Dossier.State.DRAFT


def test_submitted_dossier_is_not_editable_without_correction_request(draft, applicant, staff):
    dossier_submit(dossier=draft, actor=applicant, now=DURING)

    with pytest.raises(DomainError):
        dossier_update(dossier=draft, actor=applicant, fields={"training_title": "Autre"})

    dossier_request_correction(dossier=draft, actor=staff, message="Précisez le budget.")
    dossier_update(dossier=draft, actor=applicant, fields={"training_title": "Autre"})
    resubmitted = dossier_submit(
        dossier=draft, actor=applicant, now=CLOSES + datetime.timedelta(days=10)
    )

    assert resubmitted.correction_requested is False
    assert resubmitted.reference == "GEN-2018-00001"
    assert resubmitted.training_title == "Autre"


def test_withdrawal_needs_a_reason(draft, applicant):
    dossier_submit(dossier=draft, actor=applicant, now=DURING)

    with pytest.raises(DomainError):
        dossier_withdraw(dossier=draft, actor=applicant, reason="  ")
    dossier = dossier_withdraw(dossier=draft, actor=applicant, reason="Projet reporté")

    assert dossier.state == Dossier.State.WITHDRAWN


def test_labelled_decision_creates_training_and_label(draft, applicant, staff):
    dossier_submit(dossier=draft, actor=applicant, now=DURING)
    dossier_start_review(dossier=draft, actor=staff)
    decided_at = datetime.datetime(2018, 10, 2, 15, 0, tzinfo=PARIS)

    decision = decision_record(
        dossier=draft, outcome="labelled", actor=staff, decided_at=decided_at
    )

    draft.refresh_from_db()
    assert draft.state == Dossier.State.LABELLED
    training = Training.objects.get()
    assert training.code == f"GEN-{training.pk:05d}"
    assert training.site_qpv == "in"
    label = Label.objects.get(training=training)
    assert label.decision == decision
    assert (label.start_date, label.end_date) == (
        datetime.date(2018, 10, 2),
        datetime.date(2021, 10, 2),
    )


def test_rejection_needs_a_reason_and_creates_no_label(draft, applicant, staff):
    dossier_submit(dossier=draft, actor=applicant, now=DURING)

    with pytest.raises(DomainError):
        decision_record(dossier=draft, outcome="rejected", actor=staff)
    decision_record(dossier=draft, outcome="rejected", actor=staff, reason="Public visé hors cible")

    assert not Label.objects.exists()


def test_second_decision_on_a_decided_dossier_is_refused(draft, applicant, staff):
    dossier_submit(dossier=draft, actor=applicant, now=DURING)
    decision_record(dossier=draft, outcome="labelled", actor=staff)

    with pytest.raises(DomainError) as refusal:
        decision_record(dossier=draft, outcome="rejected", actor=staff, reason="Doublon")

    assert refusal.value.code == "already_decided"
    assert Label.objects.count() == 1


def test_only_staff_record_decisions(draft, applicant):
    dossier_submit(dossier=draft, actor=applicant, now=DURING)

    with pytest.raises(DomainError):
        decision_record(dossier=draft, outcome="labelled", actor=applicant)


def test_deadline_extension_is_recorded_and_reopens_submission(call, draft, applicant, staff):
    later = CLOSES + datetime.timedelta(days=2)
    call_extend_deadline(call=call, new_closes_at=later, reason="Panne du formulaire", actor=staff)

    dossier = dossier_submit(
        dossier=draft, actor=applicant, now=CLOSES + datetime.timedelta(hours=1)
    )

    assert dossier.state == Dossier.State.SUBMITTED
    extension = call.extensions.get()
    assert (extension.previous_closes_at, extension.new_closes_at) == (CLOSES, later)


def test_call_is_open_judges_both_ends(call):
    assert not call.is_open(OPENS - datetime.timedelta(seconds=1))
    assert call.is_open(OPENS)
    assert call.is_open(CLOSES - datetime.timedelta(microseconds=1))
    assert not call.is_open(CLOSES)
    assert timezone.is_aware(call.closes_at)
