"""Users (email login), organisation membership and the email outbox.

Roles: an *applicant* is a user with at least one membership of an organisation; a
*committee member* has `is_committee_member`; *staff* have `is_staff`. A person may hold
several roles (a staff member can also sit on the committee).
"""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("adresse électronique"), unique=True)
    full_name = models.CharField(_("nom complet"), max_length=150, blank=True)
    is_staff = models.BooleanField(
        _("équipe GEN"),
        default=False,
        help_text=_(
            "Membre de l'équipe de la GEN : accès à tout le portail et à l'administration."
        ),
    )
    is_committee_member = models.BooleanField(_("membre du comité"), default=False)
    is_active = models.BooleanField(_("actif"), default=True)
    email_verified_at = models.DateTimeField(_("adresse vérifiée le"), null=True, blank=True)
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                condition=Q(email=models.functions.Lower("email")),
                name="accounts_user_email_lowercase",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_applicant(self) -> bool:
        return self.memberships.exists()


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrateur de l'organisation")
        MEMBER = "member", _("Membre")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("utilisateur")
    )
    organisation = models.ForeignKey(
        "trainings.Organisation",
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("rôle"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("appartenance")
        verbose_name_plural = _("appartenances")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="accounts_membership_unique_user_org"
            ),
            models.CheckConstraint(
                condition=Q(role__in=["admin", "member"]), name="accounts_membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation}"


class OutboxEmail(models.Model):
    """One outgoing email. Written in the same transaction as the change it reports, then
    sent by a Celery task, so a rolled-back change never sends mail and a broker outage
    never loses one."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("En attente")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Échec")

    to = models.EmailField(_("destinataire"))
    subject = models.CharField(_("objet"), max_length=255)
    body = models.TextField(_("message"))
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("courriel sortant")
        verbose_name_plural = _("courriels sortants")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sent", "failed"]),
                name="accounts_outbox_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="accounts_outbox_sent_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.to} · {self.subject}"


class Invitation(models.Model):
    """An invitation to join an organisation, sent by one of its members. Only a hash of the
    token is stored: a leaked database does not let anyone accept an invitation."""

    organisation = models.ForeignKey(
        "trainings.Organisation",
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("organisation"),
    )
    email = models.EmailField(_("adresse invitée"))
    token_hash = models.CharField(_("empreinte du jeton"), max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="+", verbose_name=_("invité par")
    )
    created_at = models.DateTimeField(_("envoyée le"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("acceptée le"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acceptée par"),
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"
