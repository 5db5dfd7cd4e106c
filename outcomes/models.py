"""Follow-up situations after a training, and indicator runs with their values."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .situations import Milestone, Situation


class FollowUp(models.Model):
    class Source(models.TextChoices):
        DECLARED = "declared", _("Déclaration de l'organisme")
        DOCUMENT = "document", _("Justificatif")
        SURVEY = "survey", _("Enquête")
        IMPORT = "import", _("Import")

    enrollment = models.ForeignKey(
        "learners.Enrollment",
        on_delete=models.CASCADE,
        related_name="followups",
        verbose_name=_("inscription"),
    )
    milestone = models.CharField(_("échéance"), max_length=4, choices=Milestone.choices)
    situation = models.CharField(_("situation"), max_length=20, choices=Situation.choices)
    observed_on = models.DateField(_("constatée le"), null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.DECLARED
    )
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("situation de suivi")
        verbose_name_plural = _("situations de suivi")
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "milestone"], name="outcomes_followup_unique_milestone"
            ),
            models.CheckConstraint(
                condition=Q(milestone__in=[m.value for m in Milestone]),
                name="outcomes_followup_milestone_valid",
            ),
            models.CheckConstraint(
                condition=Q(situation__in=[s.value for s in Situation]),
                name="outcomes_followup_situation_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id} · {self.milestone} · {self.situation}"


class IndicatorRunQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=IndicatorRun.Status.DONE, published_at__isnull=False)

    def latest_published(self):
        return self.published().order_by("-published_at", "-id").first()


class IndicatorRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échec")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("demandé par"),
    )
    trigger = models.CharField(_("déclencheur"), max_length=20, default="manual")
    as_of = models.DateField(_("date d'arrêté"))
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(_("avancement (%)"), default=0)
    definition_version = models.CharField(_("version des définitions"), max_length=10)
    created_at = models.DateTimeField(_("demandé le"), auto_now_add=True)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    error = models.TextField(_("erreur"), blank=True)
    # Cells of the published run, stored or derived from a training's counts
    # (`TrainingCounts`): what `compute_indicators` reports.
    cells = models.PositiveIntegerField(_("cellules"), default=0)

    objects = IndicatorRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("calcul d'indicateurs")
        verbose_name_plural = _("calculs d'indicateurs")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="outcomes_run_progress_percent"
            ),
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | Q(status="done"),
                name="outcomes_run_only_done_is_published",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]),
                name="outcomes_run_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} · {self.as_of} · {self.get_status_display()}"


class IndicatorValue(models.Model):
    """One cell of a run: the national figures and every breakdown but `training`, whose
    cells are derived from `TrainingCounts` (see that model)."""

    # No index of its own: the unique cell constraint below starts with `run` and serves
    # every lookup by run; a second index only slows the bulk writes of a run.
    run = models.ForeignKey(
        IndicatorRun, on_delete=models.CASCADE, related_name="values", db_index=False
    )
    code = models.CharField(_("indicateur"), max_length=40)
    period = models.CharField(_("période"), max_length=10)
    dimension = models.CharField(_("dimension"), max_length=20, blank=True)
    key = models.CharField(_("modalité"), max_length=40, blank=True)
    numerator = models.IntegerField(_("numérateur"), null=True, blank=True)
    denominator = models.IntegerField(_("dénominateur"), null=True, blank=True)
    value = models.FloatField(_("valeur"), null=True, blank=True)
    ci_low = models.FloatField(_("IC bas"), null=True, blank=True)
    ci_high = models.FloatField(_("IC haut"), null=True, blank=True)
    coverage = models.FloatField(_("couverture"), null=True, blank=True)
    lower_bound = models.FloatField(_("borne basse"), null=True, blank=True)
    target = models.FloatField(_("cible"), null=True, blank=True)

    class Meta:
        verbose_name = _("valeur d'indicateur")
        verbose_name_plural = _("valeurs d'indicateurs")
        constraints = [
            models.UniqueConstraint(
                fields=["run", "code", "period", "dimension", "key"],
                name="outcomes_value_unique_cell",
            ),
            models.CheckConstraint(
                condition=Q(denominator__isnull=True) | Q(denominator__gte=0),
                name="outcomes_value_denominator_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.period} {self.dimension}={self.key}"


class TrainingCounts(models.Model):
    """What one training counted over one period of a run, from which the engine derives that
    training's cells (`engine.cell_rows`, the function that computes every other cell).

    Why not one `IndicatorValue` per cell: the training breakdown is 93 % of a run's cells
    (2,000 trainings × 12 periods × 28 indicators ≈ 650,000 rows at a million enrollments),
    and writing them as rows cost more than computing the whole run (docs/performance.md).
    One row per training and period is 24 times fewer rows; deriving a cell again gives the
    same floats bit for bit (the same integers through the same Python).

    The figures of the staff dashboard's table by training are kept as columns too, derived
    at the same time from the same counts, so the database can filter, sort and page them."""

    # No index of its own: the unique constraint below starts with `run`.
    run = models.ForeignKey(
        IndicatorRun, on_delete=models.CASCADE, related_name="training_counts", db_index=False
    )
    period = models.CharField(_("période"), max_length=10)
    key = models.CharField(_("code de formation"), max_length=40)
    # {count name: integer}, names as in `engine` (entrants, women, matured_m3, ...); a count
    # of zero is left out.
    counts = models.JSONField(_("comptages"), default=dict)
    # The cells of the dashboard's table: NULL when the training has no such cell.
    entrants = models.IntegerField(_("entrées"), null=True, blank=True)
    exits = models.IntegerField(_("sorties"), null=True, blank=True)
    dropouts = models.IntegerField(_("abandons"), null=True, blank=True)
    positive = models.IntegerField(_("sorties positives à 3 mois"), null=True, blank=True)
    known = models.IntegerField(_("situations connues à 3 mois"), null=True, blank=True)
    rate = models.FloatField(_("taux de sorties positives à 3 mois"), null=True, blank=True)
    ci_low = models.FloatField(_("IC bas"), null=True, blank=True)
    ci_high = models.FloatField(_("IC haut"), null=True, blank=True)
    coverage = models.FloatField(_("couverture"), null=True, blank=True)
    lower_bound = models.FloatField(_("borne basse"), null=True, blank=True)

    class Meta:
        verbose_name = _("comptages d'une formation")
        verbose_name_plural = _("comptages par formation")
        constraints = [
            models.UniqueConstraint(
                fields=["run", "period", "key"], name="outcomes_training_counts_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.period}"


class OpenDataFile(models.Model):
    """One generated open-data file (the labelled trainings, the calls), served as it is.

    Kept in the database rather than on disk: web processes and workers share no file
    system when they scale out, and a regeneration replaces a file in the same transaction
    as its date, so a download never sees half a file or a date that does not match it."""

    name = models.CharField(_("nom"), max_length=60, unique=True)
    content_type = models.CharField(_("type de contenu"), max_length=60)
    content = models.TextField(_("contenu"), blank=True)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64, blank=True)
    rows = models.PositiveIntegerField(_("lignes"), default=0)
    as_of = models.DateField(_("situation au"), null=True, blank=True)
    # When the content last changed: the download's Last-Modified.
    modified_at = models.DateTimeField(_("modifié le"), null=True, blank=True)
    # When the latest generation started, whether or not it changed the content: a request
    # for a refresh made before that instant is already served (see open_data.services).
    checked_at = models.DateTimeField(_("vérifié le"), null=True, blank=True)

    class Meta:
        verbose_name = _("fichier de données ouvertes")
        verbose_name_plural = _("fichiers de données ouvertes")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(modified_at__isnull=True) | ~Q(sha256=""),
                name="outcomes_open_data_generated_has_hash",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_generated(self) -> bool:
        return self.modified_at is not None
