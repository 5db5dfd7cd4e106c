"""Organisations, trainings, their labels and sessions."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .geo import DEPARTMENT_CHOICES, REGION_CHOICES
from .validators import validate_department_code, validate_region_code, validate_siret

MIN_DURATION_MONTHS = 3
MAX_DURATION_MONTHS = 24


class Organisation(models.Model):
    name = models.CharField(_("raison sociale"), max_length=255)
    siret = models.CharField(_("SIRET"), max_length=14, unique=True, validators=[validate_siret])
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("commune"), max_length=120, blank=True)
    commune_code = models.CharField(_("code commune INSEE"), max_length=5, blank=True)
    department_code = models.CharField(
        _("département"),
        max_length=3,
        choices=DEPARTMENT_CHOICES,
        validators=[validate_department_code],
    )
    region_code = models.CharField(
        _("région"), max_length=2, choices=REGION_CHOICES, validators=[validate_region_code]
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(siret__regex=r"^[0-9]{14}$"), name="trainings_org_siret_14_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TrainingQuerySet(models.QuerySet):
    def labelled_on(self, day: datetime.date):
        """Trainings with a label in force on `day` (see `LabelQuerySet.active_on`)."""
        return self.filter(labels__in=Label.objects.active_on(day)).distinct()

    def of_user(self, user):
        """Trainings of the organisations `user` belongs to; everything for staff."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(organisation__memberships__user=user)


class Training(models.Model):
    class SiteQpv(models.TextChoices):
        IN = "in", _("Dans un QPV")
        OUT = "out", _("Hors QPV")
        UNDETERMINED = "undetermined", _("Indéterminé")

    code = models.CharField(_("code"), max_length=20, unique=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="trainings",
        verbose_name=_("organisation"),
    )
    title = models.CharField(_("intitulé"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    targeted_jobs = models.TextField(
        _("métiers visés"), blank=True, help_text=_("Un métier ou code ROME par ligne.")
    )
    duration_months = models.PositiveSmallIntegerField(_("durée (mois)"))
    hours = models.PositiveIntegerField(_("volume horaire"), null=True, blank=True)
    is_free = models.BooleanField(_("gratuite pour les apprenants"), default=True)
    price = models.DecimalField(
        _("prix pour l'apprenant (€)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    site_address = models.CharField(_("adresse du lieu de formation"), max_length=255, blank=True)
    site_postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    site_city = models.CharField(_("commune"), max_length=120, blank=True)
    commune_code = models.CharField(_("code commune INSEE"), max_length=5, blank=True)
    department_code = models.CharField(
        _("département"),
        max_length=3,
        choices=DEPARTMENT_CHOICES,
        db_index=True,
        validators=[validate_department_code],
    )
    region_code = models.CharField(
        _("région"),
        max_length=2,
        choices=REGION_CHOICES,
        db_index=True,
        validators=[validate_region_code],
    )
    site_qpv = models.CharField(
        _("lieu en quartier prioritaire (QPV)"),
        max_length=12,
        choices=SiteQpv.choices,
        default=SiteQpv.UNDETERMINED,
    )
    qpv_code = models.CharField(_("code QPV"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    objects = TrainingQuerySet.as_manager()

    class Meta:
        verbose_name = _("formation")
        verbose_name_plural = _("formations")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_months__gte=MIN_DURATION_MONTHS)
                & Q(duration_months__lte=MAX_DURATION_MONTHS),
                name="trainings_training_duration_3_24",
            ),
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0),
                name="trainings_training_price_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(is_free=False) | Q(price__isnull=True) | Q(price=0),
                name="trainings_training_free_has_no_price",
            ),
            models.CheckConstraint(
                condition=Q(site_qpv__in=["in", "out", "undetermined"]),
                name="trainings_training_site_qpv_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.title}"

    @property
    def targeted_jobs_list(self) -> list[str]:
        return [line.strip() for line in self.targeted_jobs.splitlines() if line.strip()]


class LabelQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date):
        """Labels in force on `day`: its dates cover the day and it had not been withdrawn by
        then. A label that has since expired was in force on the days it covered, so past
        dates keep their labelled trainings; a withdrawal counts from the day it was
        recorded, so a withdrawn label leaves the catalogue that same day."""
        return self.filter(start_date__lte=day, end_date__gte=day).filter(
            Q(status__in=[Label.Status.ACTIVE, Label.Status.EXPIRED])
            | Q(status=Label.Status.WITHDRAWN, withdrawn_at__date__gt=day)
        )


class Label(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Actif")
        EXPIRED = "expired", _("Expiré")
        WITHDRAWN = "withdrawn", _("Retiré")

    training = models.ForeignKey(
        Training, on_delete=models.PROTECT, related_name="labels", verbose_name=_("formation")
    )
    call = models.ForeignKey(
        "labelling.Call",
        on_delete=models.PROTECT,
        related_name="labels",
        verbose_name=_("appel"),
        null=True,
        blank=True,
    )
    decision = models.OneToOneField(
        "labelling.Decision",
        on_delete=models.PROTECT,
        related_name="label",
        verbose_name=_("décision"),
        null=True,
        blank=True,
    )
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"))
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    withdrawal_reason = models.TextField(_("motif du retrait"), blank=True)
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("retiré par"),
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    objects = LabelQuerySet.as_manager()

    class Meta:
        verbose_name = _("label")
        verbose_name_plural = _("labels")
        ordering = ["-start_date"]
        indexes = [models.Index(fields=["start_date", "end_date"], name="trainings_label_dates")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=models.F("start_date")),
                name="trainings_label_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "expired", "withdrawn"]),
                name="trainings_label_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | (~Q(withdrawal_reason="")),
                name="trainings_label_withdrawal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.training.code} · {self.start_date:%d/%m/%Y} → {self.end_date:%d/%m/%Y}"

    def covers(self, day: datetime.date) -> bool:
        return self.status == self.Status.ACTIVE and self.start_date <= day <= self.end_date


class SessionQuerySet(models.QuerySet):
    def of_user(self, user):
        """Sessions of the trainings of the organisations `user` belongs to; everything for
        staff. A subquery, not a join: no duplicate rows under an aggregate."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(
            training__organisation__in=Organisation.objects.filter(memberships__user=user).values(
                "pk"
            )
        )


class Session(models.Model):
    training = models.ForeignKey(
        Training, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("formation")
    )
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"))
    capacity = models.PositiveSmallIntegerField(_("places"), null=True, blank=True)
    place = models.CharField(_("lieu"), max_length=255, blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["training", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="trainings_session_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.training.code} · {self.start_date:%d/%m/%Y}"
