"""An email queued through the outbox is sent by a real Celery worker consuming from Redis."""

import threading

import pytest
from celery.signals import task_prerun

from tests.services import wait_until

RECIPIENT = "porteur.de.projet@example.org"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_queued_email_is_sent_by_the_worker(celery_worker_thread, mailoutbox):
    from accounts.models import OutboxEmail
    from accounts.services import email_queue

    runs: list[tuple[str, str]] = []

    def record_run(sender=None, **_kwargs):
        runs.append((sender.name, threading.current_thread().name))

    # task_prerun, not task_postrun: it is sent before the body commits the row, so the
    # record cannot race with the polling below.
    task_prerun.connect(record_run, weak=False)
    try:
        email_queue(
            to=RECIPIENT,
            subject="Votre dossier a bien été reçu",
            body="Bonjour,\n\nVotre dossier de labellisation a bien été reçu.\n",
        )
        row = OutboxEmail.objects.get(to=RECIPIENT)

        sent = wait_until(
            lambda: OutboxEmail.objects.filter(pk=row.pk, status=OutboxEmail.Status.SENT).first(),
            timeout=10,
        )
    finally:
        task_prerun.disconnect(record_run)

    row.refresh_from_db()
    assert sent, f"still {row.status!r} after 10 s (last error: {row.last_error!r})"
    assert row.sent_at is not None
    # The task ran in the worker's thread, through the broker, not eagerly in the test.
    main_thread = threading.main_thread().name
    assert any(
        name == "accounts.tasks.outbox_send" and thread != main_thread for name, thread in runs
    ), runs
    # The worker is a thread of this process, so Django's test mail backend captured it.
    assert [message.to for message in mailoutbox] == [[RECIPIENT]]
    assert mailoutbox[0].subject == "Votre dossier a bien été reçu"
