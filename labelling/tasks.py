from celery import shared_task

from .services import draft_reminders_send


@shared_task(acks_late=True)
def draft_reminders() -> int:
    return draft_reminders_send()
