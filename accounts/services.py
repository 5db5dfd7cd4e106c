"""Writes on users, memberships and the outbox."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gen_portal.errors import DomainError

from .models import Membership, OutboxEmail, User


@transaction.atomic
def email_queue(*, to: str, subject: str, body: str) -> OutboxEmail:
    """Store an email in the outbox and send it once the surrounding transaction commits."""
    from .tasks import outbox_send

    email = OutboxEmail.objects.create(to=to, subject=subject, body=body)
    transaction.on_commit(lambda: outbox_send.delay(email.pk))
    return email


def outbox_deliver(*, outbox_id: int) -> OutboxEmail | None:
    """Send one queued email. Safe to run twice: a row already sent is left alone, and the
    row lock stops two workers sending the same message at once."""
    from django.core.mail import send_mail

    with transaction.atomic():
        email = OutboxEmail.objects.select_for_update(skip_locked=True).filter(pk=outbox_id).first()
        if email is None or email.status == OutboxEmail.Status.SENT:
            return email
        email.attempts += 1
        try:
            send_mail(email.subject, email.body, None, [email.to], fail_silently=False)
        except Exception as exc:  # the SMTP layer raises many types; keep the row, record why
            email.status = OutboxEmail.Status.FAILED
            email.last_error = f"{exc.__class__.__name__}: {exc}"
            email.save(update_fields=["status", "attempts", "last_error"])
            return email
        email.status = OutboxEmail.Status.SENT
        email.sent_at = timezone.now()
        email.last_error = ""
        email.save(update_fields=["status", "attempts", "sent_at", "last_error"])
        return email


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    full_name: str = "",
    is_staff: bool = False,
    is_committee_member: bool = False,
    verified: bool = False,
    now: datetime.datetime | None = None,
) -> User:
    now = now or timezone.now()
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise DomainError(
            _("Un compte existe déjà avec cette adresse électronique."), code="email_taken"
        )
    user = User.objects.create_user(
        email=email,
        password=password,
        full_name=full_name,
        is_staff=is_staff,
        is_committee_member=is_committee_member,
        email_verified_at=now if verified else None,
        date_joined=now,
    )
    return user


@transaction.atomic
def membership_add(*, user: User, organisation, role: str = Membership.Role.MEMBER) -> Membership:
    membership, _created = Membership.objects.get_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    return membership
