"""Learners and their enrollments. No names and no contact data, ever: a learner is known by
the organisation's pseudonymous reference only (see docs/privacy.md)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


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
