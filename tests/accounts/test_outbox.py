import pytest
from django.core import mail

from accounts.models import OutboxEmail
from accounts.services import email_queue, outbox_deliver
from accounts.tasks import outbox_flush


@pytest.mark.django_db
def test_queued_email_is_sent_after_commit(django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email = email_queue(to="a@orga.example", subject="Dossier déposé", body="Bonjour")

    assert len(callbacks) == 1
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT
    assert [m.subject for m in mail.outbox] == ["Dossier déposé"]


@pytest.mark.django_db
def test_nothing_is_sent_before_commit(django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    with django_capture_on_commit_callbacks(execute=False):
        email_queue(to="a@orga.example", subject="Sujet", body="Corps")

    assert mail.outbox == []
    assert OutboxEmail.objects.get().status == OutboxEmail.Status.QUEUED


@pytest.mark.django_db
def test_delivering_twice_sends_once(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    email = OutboxEmail.objects.create(to="a@orga.example", subject="S", body="B")

    outbox_deliver(outbox_id=email.pk)
    outbox_deliver(outbox_id=email.pk)

    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_smtp_failure_keeps_the_row_with_its_error(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # discard port: nothing listens, the connection is refused
    email = OutboxEmail.objects.create(to="a@orga.example", subject="S", body="B")

    outbox_deliver(outbox_id=email.pk)

    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.FAILED
    assert email.last_error


@pytest.mark.django_db
def test_flush_sends_what_is_still_queued(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboxEmail.objects.create(to="a@orga.example", subject="S1", body="B")
    OutboxEmail.objects.create(to="b@orga.example", subject="S2", body="B")

    assert outbox_flush() == 2
    assert OutboxEmail.objects.filter(status="sent").count() == 2
