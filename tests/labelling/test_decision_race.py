"""Two staff members record a decision on the same dossier at the same moment, each on their
own database connection: one decision is stored, the other gets a clear refusal."""

import threading

import pytest
from django.db import connection, connections

from accounts.services import user_create
from gen_portal.errors import DomainError
from labelling.models import Decision
from labelling.services import decision_record, dossier_submit
from trainings.models import Label

from .dossier_setup import draft_for, open_call


@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_produce_one_decision():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; CI runs this test on PostgreSQL")
    dossier, applicant = draft_for(open_call())
    dossier_submit(dossier=dossier, actor=applicant)
    staff = [
        user_create(email=f"equipe{i}@gen.example", password=None, is_staff=True) for i in (1, 2)
    ]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(actor, outcome, reason):
        try:
            barrier.wait(timeout=10)
            decision_record(dossier=dossier, outcome=outcome, actor=actor, reason=reason)
            outcomes.append("recorded")
        except DomainError as refusal:
            outcomes.append(refusal.code)
        finally:
            connections.close_all()  # each thread opened its own connection

    threads = [
        threading.Thread(target=decide, args=(staff[0], "labelled", "")),
        threading.Thread(target=decide, args=(staff[1], "rejected", "Hors cible")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["already_decided", "recorded"]
    assert Decision.objects.filter(dossier=dossier).count() == 1
    assert Label.objects.count() == (1 if Decision.objects.get().outcome == "labelled" else 0)
