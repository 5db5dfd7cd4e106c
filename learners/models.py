"""Learners and their enrollments. No names and no contact data, ever: a learner is known by
the organisation's pseudonymous reference only (see docs/privacy.md)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from trainings.models import Organisation


class Sex(models.TextChoices):
    FEMALE = "F", _("Femme")
    MALE = "M", _("Homme")
    OTHER = "X", _("Autre / non binaire")
    UNKNOWN = "", _("Non renseigné")


class SituationAtEntry(models.TextChoices):
    EMPLOYED = "employed", _("En emploi")
    JOB_SEEKER = "job_seeker", _("Demandeur d'emploi")
    INACTIVE = "inactive", _("Inactif")
    IN_EDUCATION = "in_education", _("En études ou en formation")
    UNKNOWN = "", _("Non renseignée")


# NEET ("ni en emploi, ni en études, ni en formation"): job seekers and inactive people.
NEET_SITUATIONS = (SituationAtEntry.JOB_SEEKER, SituationAtEntry.INACTIVE)


class ExitReason(models.TextChoices):
    COMPLETED = "completed", _("Formation terminée")
    DROPOUT = "dropout", _("Abandon")
    NONE = "", _("—")


class Learner(models.Model):
    organisation = models.ForeignKey(
        "trainings.Organisation",
        on_delete=models.CASCADE,
        related_name="learners",
        verbose_name=_("organisation"),
    )
    learner_ref = models.CharField(_("référence de l'apprenant"), max_length=64)
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("année de naissance"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("apprenant")
        verbose_name_plural = _("apprenants")
        ordering = ["organisation", "learner_ref"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "learner_ref"], name="learners_learner_unique_ref"
            ),
            models.CheckConstraint(
                condition=Q(sex__in=["F", "M", "X", ""]), name="learners_learner_sex_valid"
            ),
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True)
                | (Q(birth_year__gte=1900) & Q(birth_year__lte=2100)),
                name="learners_learner_birth_year_range",
            ),
        ]

    def __str__(self) -> str:
        return self.learner_ref


class EnrollmentQuerySet(models.QuerySet):
    def of_user(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(learner__organisation__memberships__user=user)


class Enrollment(models.Model):
    learner = models.ForeignKey(
        Learner, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("apprenant")
    )
    training = models.ForeignKey(
        "trainings.Training",
        on_delete=models.PROTECT,
        related_name="enrollments",
        verbose_name=_("formation"),
    )
    session = models.ForeignKey(
        "trainings.Session",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enrollments",
        verbose_name=_("session"),
    )
    entry_date = models.DateField(_("date d'entrée"))
    situation_at_entry = models.CharField(
        _("situation à l'entrée"), max_length=12, choices=SituationAtEntry.choices, blank=True
    )
    qpv_resident = models.BooleanField(_("réside en QPV"), null=True, blank=True)
    qpv_code = models.CharField(_("code QPV"), max_length=10, blank=True)
    diploma_level = models.CharField(_("niveau de diplôme"), max_length=20, blank=True)
    free_access = models.BooleanField(_("accès gratuit"), null=True, blank=True)
    exit_date = models.DateField(_("date de sortie"), null=True, blank=True)
    exit_reason = models.CharField(
        _("motif de sortie"), max_length=10, choices=ExitReason.choices, blank=True
    )
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        ordering = ["-entry_date"]
        indexes = [
            models.Index(fields=["entry_date"], name="learners_enr_entry"),
            models.Index(fields=["exit_date"], name="learners_enr_exit"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "training", "entry_date"], name="learners_enrollment_unique"
            ),
            models.CheckConstraint(
                condition=Q(exit_date__isnull=True) | Q(exit_date__gte=models.F("entry_date")),
                name="learners_enrollment_exit_after_entry",
            ),
            # An exit always has its reason, and a reason only comes with an exit.
            models.CheckConstraint(
                condition=(Q(exit_date__isnull=True) & Q(exit_reason=""))
                | (Q(exit_date__isnull=False) & Q(exit_reason__in=["completed", "dropout"])),
                name="learners_enrollment_exit_reason_with_date",
            ),
            models.CheckConstraint(
                condition=Q(
                    situation_at_entry__in=[
                        "employed",
                        "job_seeker",
                        "inactive",
                        "in_education",
                        "",
                    ]
                ),
                name="learners_enrollment_situation_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.training_id} · {self.entry_date}"


# --- CSV imports from the web -------------------------------------------------------------


def _import_upload_to(_job, _filename: str) -> str:
    # A random name: the uploader's file name is kept apart (`filename`), never in a path.
    return f"{IMPORT_UPLOAD_DIR}/{uuid.uuid4().hex}.csv"


IMPORT_UPLOAD_DIR = "imports"


class ImportJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every job; a member sees the learners.csv jobs of their organisations
        (a staff-wide learners import and every trainings.csv are staff business)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        # A subquery rather than a join: no duplicate rows, so no DISTINCT over the reports.
        return self.filter(
            kind=ImportJob.Kind.LEARNERS,
            organisation__in=Organisation.objects.filter(memberships__user=user).values("pk"),
        )


class ImportJob(models.Model):
    """One uploaded CSV on its way: validated by a task, confirmed by a person, imported by a
    task. The row carries the progress the job page shows, and the report once there is one;
    the file itself lives in private storage only as long as it is needed (docs/privacy.md).
    """

    class Kind(models.TextChoices):
        LEARNERS = "learners", _("apprenants (learners.csv)")
        TRAININGS = "trainings", _("formations (trainings.csv)")

    class State(models.TextChoices):
        QUEUED = "queued", _("En attente de vérification")
        VALIDATING = "validating", _("Vérification en cours")
        INVALID = "invalid", _("Fichier refusé")
        VALID = "valid", _("Fichier valide, à confirmer")
        IMPORTING = "importing", _("Import en cours")
        DONE = "done", _("Import terminé")
        FAILED = "failed", _("Échec")
        EXPIRED = "expired", _("Expiré")
        CANCELLED = "cancelled", _("Annulé")

    # A worker is (or will be) busy with these; the others wait for a person or are over.
    RUNNING_STATES = (State.QUEUED, State.VALIDATING, State.IMPORTING)
    FINAL_STATES = (State.INVALID, State.DONE, State.FAILED, State.EXPIRED, State.CANCELLED)

    kind = models.CharField(_("fichier"), max_length=10, choices=Kind.choices)
    organisation = models.ForeignKey(
        "trainings.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="import_jobs",
        verbose_name=_("organisme déclarant"),
        help_text=_("Vide : import de l'équipe de la GEN."),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("déposé par"),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmé par"),
    )
    file = models.FileField(
        _("fichier stocké"), upload_to=_import_upload_to, max_length=200, blank=True
    )
    filename = models.CharField(_("nom du fichier déposé"), max_length=255)
    file_size = models.PositiveBigIntegerField(_("taille (octets)"), default=0)
    state = models.CharField(_("état"), max_length=12, choices=State.choices, default=State.QUEUED)
    percent = models.PositiveSmallIntegerField(_("avancement (%)"), default=0)
    rows_done = models.PositiveIntegerField(_("lignes traitées"), default=0)
    rows_total = models.PositiveIntegerField(_("lignes du fichier"), null=True, blank=True)
    counts = models.JSONField(_("compteurs"), default=dict, blank=True)
    report = models.JSONField(_("rapport"), default=dict, blank=True)
    error = models.TextField(
        _("détail technique de l'échec"), blank=True, help_text=_("Pour l'équipe technique.")
    )
    created_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    started_at = models.DateTimeField(_("pris en charge le"), null=True, blank=True)
    validated_at = models.DateTimeField(_("vérifié le"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("import CSV")
        verbose_name_plural = _("imports CSV")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The hourly purge looks jobs up by state and age.
            models.Index(fields=["state", "created_at"], name="learners_importjob_purge"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["learners", "trainings"]),
                name="learners_importjob_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    state__in=[
                        "queued",
                        "validating",
                        "invalid",
                        "valid",
                        "importing",
                        "done",
                        "failed",
                        "expired",
                        "cancelled",
                    ]
                ),
                name="learners_importjob_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(percent__lte=100), name="learners_importjob_percent"
            ),
            # trainings.csv is staff-only: it never belongs to an organisation.
            models.CheckConstraint(
                condition=Q(kind="learners") | Q(organisation__isnull=True),
                name="learners_importjob_trainings_without_organisation",
            ),
            # Nothing is imported without somebody's confirmation.
            models.CheckConstraint(
                condition=~Q(state__in=["importing", "done"]) | Q(confirmed_at__isnull=False),
                name="learners_importjob_import_confirmed",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} · {self.filename} · {self.get_state_display()}"

    @property
    def is_running(self) -> bool:
        return self.state in self.RUNNING_STATES

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL_STATES
