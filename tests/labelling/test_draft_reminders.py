import datetime

import pytest
from django.utils import timezone

from accounts.models import OutboxEmail
from labelling.models import DraftReminder
from labelling.services import dossier_submit, draft_reminders_send

from .dossier_setup import draft_for, open_call


@pytest.mark.django_db
def test_48h_then_24h_reminders_are_sent_once_each():
    call = open_call(closes_in=datetime.timedelta(hours=47))
    dossier, applicant = draft_for(call)
    now = timezone.now()

    assert draft_reminders_send(now=now) == 1
    assert draft_reminders_send(now=now) == 0  # safe to run twice
    assert draft_reminders_send(now=now + datetime.timedelta(hours=24)) == 1
    assert draft_reminders_send(now=now + datetime.timedelta(hours=25)) == 0

    kinds = sorted(DraftReminder.objects.values_list("kind", flat=True))
    assert kinds == ["24h", "48h"]
    assert OutboxEmail.objects.filter(to=applicant.email, subject__startswith="Rappel").count() == 2


@pytest.mark.django_db
def test_no_reminder_far_from_the_deadline_or_for_submitted_dossiers():
    far = open_call(closes_in=datetime.timedelta(days=5), reference="LOIN")
    draft_for(far)
    near = open_call(closes_in=datetime.timedelta(hours=20), reference="PROCHE")
    dossier, applicant = draft_for(near, email="b@orga.example", siret="35600000000048")
    dossier_submit(dossier=dossier, actor=applicant)

    assert draft_reminders_send() == 0
