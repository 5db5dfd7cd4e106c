from celery import shared_task

from .models import OutboxEmail
from .services import outbox_deliver

# Emails older than this that are still queued were probably enqueued while the broker was
# down; the periodic flush picks them up.
FLUSH_BATCH = 200


@shared_task(acks_late=True)
def outbox_send(outbox_id: int) -> str:
    email = outbox_deliver(outbox_id=outbox_id)
    return email.status if email else "missing"


@shared_task(acks_late=True)
def outbox_flush() -> int:
    ids = list(
        OutboxEmail.objects.filter(status=OutboxEmail.Status.QUEUED)
        .order_by("created_at")
        .values_list("pk", flat=True)[:FLUSH_BATCH]
    )
    for pk in ids:
        outbox_deliver(outbox_id=pk)
    return len(ids)
