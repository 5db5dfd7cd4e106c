from celery import shared_task
from django.utils import timezone

from .services import labels_expire as labels_expire_service


@shared_task(acks_late=True)
def labels_expire() -> int:
    return labels_expire_service(today=timezone.localdate())
