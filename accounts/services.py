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


# ------------------------------------------------------- registration and invitations

VERIFY_SALT = "accounts.email-verification"
VERIFY_MAX_AGE = 3 * 24 * 3600
INVITATION_MAX_AGE_DAYS = 14


def email_verification_token(user: User) -> str:
    from django.core import signing

    return signing.dumps({"user": user.pk, "email": user.email}, salt=VERIFY_SALT)


@transaction.atomic
def applicant_register(*, email: str, password: str, full_name: str, verify_url) -> User | None:
    """Create an inactive account and email a verification link (`verify_url(token)`).

    An address that already has an account gets an email saying so instead, and the caller
    shows the same page either way: registration never reveals who has an account.
    """
    email = email.strip().lower()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        email_queue(
            to=email,
            subject=_("Votre compte sur le portail de la Grande école du numérique"),
            body=_(
                "Quelqu'un (vous, sans doute) a voulu créer un compte avec cette adresse, qui en "
                "a déjà un. Connectez-vous, ou choisissez « Mot de passe oublié » sur la page "
                "de connexion."
            ),
        )
        return None
    user = User.objects.create_user(email=email, password=password, full_name=full_name.strip())
    user.is_active = False
    user.save(update_fields=["is_active"])
    email_queue(
        to=email,
        subject=_("Confirmez votre adresse électronique"),
        body=_(
            "Bienvenue sur le portail de la Grande école du numérique.\n\n"
            "Pour activer votre compte, ouvrez ce lien dans les 3 jours :\n%(url)s\n\n"
            "Si vous n'avez pas demandé ce compte, ignorez ce message."
        )
        % {"url": verify_url(email_verification_token(user))},
    )
    return user


@transaction.atomic
def email_verify(*, token: str) -> User:
    from django.core import signing

    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.SignatureExpired:
        raise DomainError(
            _("Ce lien a expiré : inscrivez-vous de nouveau pour en recevoir un autre."),
            code="expired",
        ) from None
    except signing.BadSignature:
        raise DomainError(_("Ce lien de confirmation n'est pas valide."), code="invalid") from None
    user = User.objects.select_for_update().filter(pk=data["user"], email=data["email"]).first()
    if user is None:
        raise DomainError(_("Ce lien de confirmation n'est pas valide."), code="invalid")
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.is_active = True
        user.save(update_fields=["email_verified_at", "is_active"])
    return user


def _token_hash(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_send(*, organisation, email: str, invited_by: User, accept_url):
    """Invite `email` to join `organisation`; `accept_url(token)` builds the link."""
    import secrets

    from .models import Invitation

    if not Membership.objects.filter(user=invited_by, organisation=organisation).exists():
        raise DomainError(_("Seul un membre de l'organisation peut inviter."), code="forbidden")
    email = email.strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise DomainError(_("Cette personne est déjà membre de l'organisation."), code="member")
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organisation=organisation, email=email, token_hash=_token_hash(token), invited_by=invited_by
    )
    email_queue(
        to=email,
        subject=_("Invitation à rejoindre %(org)s") % {"org": organisation.name},
        body=_(
            "%(who)s vous invite à rejoindre %(org)s sur le portail de la Grande école du "
            "numérique. Ouvrez ce lien dans les %(days)d jours, puis connectez-vous ou créez "
            "votre compte avec cette adresse :\n%(url)s"
        )
        % {
            "who": invited_by.get_full_name(),
            "org": organisation.name,
            "days": INVITATION_MAX_AGE_DAYS,
            "url": accept_url(token),
        },
    )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    import datetime

    from .models import Invitation

    invitation = (
        Invitation.objects.select_for_update()
        .select_related("organisation")
        .filter(token_hash=_token_hash(token))
        .first()
    )
    if invitation is None or invitation.accepted_at is not None:
        raise DomainError(_("Cette invitation n'est pas valide ou a déjà servi."), code="invalid")
    if invitation.created_at < timezone.now() - datetime.timedelta(days=INVITATION_MAX_AGE_DAYS):
        raise DomainError(
            _("Cette invitation a expiré : demandez-en une nouvelle."), code="expired"
        )
    if invitation.email.lower() != user.email.lower():
        raise DomainError(
            _(
                "Cette invitation a été envoyée à une autre adresse : connectez-vous avec "
                "l'adresse qui l'a reçue."
            ),
            code="other_email",
        )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership_add(user=user, organisation=invitation.organisation)
