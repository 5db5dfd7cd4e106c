"""Calls for labelling, dossiers and their audit trail, attachments, reviews, committee
meetings and decisions."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from trainings.geo import DEPARTMENT_CHOICES, REGION_CHOICES
from trainings.models import Training

User = settings.AUTH_USER_MODEL


class Call(models.Model):
    reference = models.CharField(_("référence"), max_length=20, unique=True)
    title = models.CharField(_("titre"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    opens_at = models.DateTimeField(_("ouverture"))
    closes_at = models.DateTimeField(_("clôture"))
    label_duration_months = models.PositiveSmallIntegerField(_("durée du label (mois)"), default=36)
    qpv_training_target = models.DecimalField(
        _("cible de formations en QPV"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Part visée, entre 0 et 1 (0,30 pour 30 %)."),
    )
    required_attachments = models.JSONField(
        _("pièces exigées"),
        default=list,
        blank=True,
        help_text=_("Types de pièces jointes obligatoires."),
    )
    is_published = models.BooleanField(_("publié"), default=False)
    last_dossier_number = models.PositiveIntegerField(
        _("dernier numéro de dossier attribué"), default=0, editable=False
    )
    is_historical = models.BooleanField(
        _("historique"),
        default=False,
        help_text=_("Appel antérieur au portail, créé par un import de formations."),
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("appel à labellisation")
        verbose_name_plural = _("appels à labellisation")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")),
                name="labelling_call_closes_after_opening",
            ),
            models.CheckConstraint(
                condition=Q(qpv_training_target__isnull=True)
                | (Q(qpv_training_target__gte=0) & Q(qpv_training_target__lte=1)),
                name="labelling_call_qpv_target_share",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} – {self.title}"

    def is_open(self, now: datetime.datetime) -> bool:
        # Both ends judged on the server clock; closes_at itself is already too late.
        return self.is_published and self.opens_at <= now < self.closes_at


class DeadlineExtension(models.Model):
    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="extensions", verbose_name=_("appel")
    )
    previous_closes_at = models.DateTimeField(_("clôture précédente"))
    new_closes_at = models.DateTimeField(_("nouvelle clôture"))
    reason = models.TextField(_("motif"))
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("enregistrée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("report de clôture")
        verbose_name_plural = _("reports de clôture")
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(new_closes_at__gt=models.F("previous_closes_at")),
                name="labelling_extension_moves_later",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="labelling_extension_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.call.reference} → {self.new_closes_at:%d/%m/%Y %H:%M}"


class Criterion(models.Model):
    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("appel")
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    title = models.CharField(_("intitulé"), max_length=255)
    guidance = models.TextField(_("aide à la notation"), blank=True)
    weight = models.DecimalField(_("pondération"), max_digits=5, decimal_places=2, default=1)
    max_score = models.PositiveSmallIntegerField(_("note maximale"), default=5)
    eliminatory = models.BooleanField(_("éliminatoire"), default=False)

    class Meta:
        verbose_name = _("critère")
        verbose_name_plural = _("critères")
        ordering = ["call", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gt=0), name="labelling_criterion_weight_positive"
            ),
            models.CheckConstraint(
                condition=Q(max_score__gt=0), name="labelling_criterion_max_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class DossierQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Dossiers `user` may open: staff all; members of an organisation its own; committee
        members those assigned to them without a declared conflict."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        own = Q(organisation__memberships__user=user)
        if user.is_committee_member:
            assigned = Q(assignments__member=user) & ~Q(conflicts__member=user)
            # Drafts are the applicant's business only.
            return self.filter(own | (assigned & ~Q(state=Dossier.State.DRAFT))).distinct()
        return self.filter(own).distinct()


class Dossier(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SUBMITTED = "submitted", _("Déposé")
        IN_REVIEW = "in_review", _("En instruction")
        LABELLED = "labelled", _("Labellisé")
        REJECTED = "rejected", _("Refusé")
        DEFERRED = "deferred", _("Ajourné")
        WITHDRAWN = "withdrawn", _("Retiré")

    DECIDED_STATES = (State.LABELLED, State.REJECTED, State.DEFERRED)

    call = models.ForeignKey(
        Call, on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("appel")
    )
    organisation = models.ForeignKey(
        "trainings.Organisation",
        on_delete=models.PROTECT,
        related_name="dossiers",
        verbose_name=_("organisation"),
    )
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("créé par")
    )
    state = models.CharField(
        _("état"), max_length=12, choices=State.choices, default=State.DRAFT, db_index=True
    )
    correction_requested = models.BooleanField(_("correction demandée"), default=False)
    # "GEN-" + call reference (up to 20) + "-" + the number: 32 leaves room.
    reference = models.CharField(_("numéro"), max_length=32, null=True, blank=True)
    submitted_at = models.DateTimeField(_("déposé le"), null=True, blank=True)
    content_sha256 = models.CharField(_("empreinte SHA-256"), max_length=64, blank=True)
    existing_training = models.ForeignKey(
        Training,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dossiers",
        verbose_name=_("formation existante (renouvellement)"),
    )
    # Proposed training: the same facts as trainings.Training.
    training_title = models.CharField(_("intitulé de la formation"), max_length=255, blank=True)
    training_description = models.TextField(_("description"), blank=True)
    targeted_jobs = models.TextField(_("métiers visés"), blank=True)
    duration_months = models.PositiveSmallIntegerField(_("durée (mois)"), null=True, blank=True)
    hours = models.PositiveIntegerField(_("volume horaire"), null=True, blank=True)
    is_free = models.BooleanField(_("gratuite pour les apprenants"), default=True)
    price = models.DecimalField(
        _("prix (€)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    free_justification = models.TextField(_("justification d'un coût"), blank=True)
    diploma_required = models.BooleanField(_("diplôme exigé à l'entrée"), default=False)
    site_address = models.CharField(_("adresse du lieu"), max_length=255, blank=True)
    site_postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    site_city = models.CharField(_("commune"), max_length=120, blank=True)
    commune_code = models.CharField(_("code commune INSEE"), max_length=5, blank=True)
    department_code = models.CharField(
        _("département"), max_length=3, choices=DEPARTMENT_CHOICES, blank=True
    )
    region_code = models.CharField(_("région"), max_length=2, choices=REGION_CHOICES, blank=True)
    site_qpv = models.CharField(
        _("lieu en QPV"),
        max_length=12,
        choices=Training.SiteQpv.choices,
        default=Training.SiteQpv.UNDETERMINED,
    )
    qpv_code = models.CharField(_("code QPV"), max_length=10, blank=True)
    # Commitments.
    planned_entrants_per_year = models.PositiveIntegerField(
        _("entrants prévus par an"), null=True, blank=True
    )
    women_share_commitment = models.PositiveSmallIntegerField(
        _("part de femmes visée (%)"), null=True, blank=True
    )
    neet_share_commitment = models.PositiveSmallIntegerField(
        _("part de NEET visée (%)"), null=True, blank=True
    )
    qpv_share_commitment = models.PositiveSmallIntegerField(
        _("part de résidents QPV visée (%)"), null=True, blank=True
    )
    # Support, immersion, partners, budget.
    support_description = models.TextField(_("accompagnement socio-professionnel"), blank=True)
    immersion_weeks = models.PositiveSmallIntegerField(
        _("semaines d'immersion"), null=True, blank=True
    )
    partners = models.TextField(_("partenaires"), blank=True)
    budget_total = models.DecimalField(
        _("budget total (€)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    objects = DossierQuerySet.as_manager()

    class Meta:
        verbose_name = _("dossier de candidature")
        verbose_name_plural = _("dossiers de candidature")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["reference"],
                condition=Q(reference__isnull=False),
                name="labelling_dossier_reference_unique",
            ),
            models.CheckConstraint(
                condition=Q(
                    state__in=[
                        "draft",
                        "submitted",
                        "in_review",
                        "labelled",
                        "rejected",
                        "deferred",
                        "withdrawn",
                    ]
                ),
                name="labelling_dossier_state_valid",
            ),
            # Anything past draft was submitted once, so it has its number and date.
            models.CheckConstraint(
                condition=Q(state="draft")
                | (Q(reference__isnull=False) & Q(submitted_at__isnull=False)),
                name="labelling_dossier_submitted_has_reference",
            ),
            models.CheckConstraint(
                condition=Q(duration_months__isnull=True)
                | (Q(duration_months__gte=3) & Q(duration_months__lte=24)),
                name="labelling_dossier_duration_3_24",
            ),
            models.CheckConstraint(
                condition=Q(women_share_commitment__isnull=True)
                | Q(women_share_commitment__lte=100),
                name="labelling_dossier_women_share_percent",
            ),
            models.CheckConstraint(
                condition=Q(neet_share_commitment__isnull=True) | Q(neet_share_commitment__lte=100),
                name="labelling_dossier_neet_share_percent",
            ),
            models.CheckConstraint(
                condition=Q(qpv_share_commitment__isnull=True) | Q(qpv_share_commitment__lte=100),
                name="labelling_dossier_qpv_share_percent",
            ),
        ]
        indexes = [models.Index(fields=["call", "state"], name="labelling_dossier_call_state")]

    def __str__(self) -> str:
        return self.reference or f"{self.organisation} · {self.training_title or _('brouillon')}"

    @property
    def is_editable(self) -> bool:
        return self.state == self.State.DRAFT or self.correction_requested


class DossierTransition(models.Model):
    """Audit trail: one row per change of state (or of the correction flag)."""

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="transitions", verbose_name=_("dossier")
    )
    actor = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("auteur"),
    )
    at = models.DateTimeField(_("date"))
    from_state = models.CharField(_("de"), max_length=12, blank=True, choices=Dossier.State.choices)
    to_state = models.CharField(_("vers"), max_length=12, choices=Dossier.State.choices)
    action = models.CharField(_("action"), max_length=40)
    reason = models.TextField(_("motif"), blank=True)
    is_public = models.BooleanField(
        _("visible du candidat"),
        default=True,
        help_text=_("Les étapes internes d'instruction ne sont montrées qu'à l'équipe."),
    )

    class Meta:
        verbose_name = _("transition de dossier")
        verbose_name_plural = _("journal des dossiers")
        ordering = ["dossier", "at", "id"]

    def __str__(self) -> str:
        return f"{self.dossier} : {self.from_state or '∅'} → {self.to_state}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        STATUTES = "statutes", _("Statuts")
        BUDGET = "budget", _("Budget prévisionnel")
        CVS = "cvs", _("CV des formateurs")
        SUPPORT_LETTER = "support_letter", _("Lettre de soutien")
        OTHER = "other", _("Autre")

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("dossier")
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    file = models.FileField(_("fichier"), upload_to="attachments/%Y/%m/")
    original_name = models.CharField(_("nom d'origine"), max_length=255)
    content_type = models.CharField(_("type de contenu"), max_length=100)
    size = models.PositiveBigIntegerField(_("taille (octets)"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("déposé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["dossier", "kind", "uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class ReviewAssignment(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="assignments")
    member = models.ForeignKey(User, on_delete=models.PROTECT, related_name="assignments")
    assigned_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    assigned_at = models.DateTimeField(_("attribué le"), auto_now_add=True)

    class Meta:
        verbose_name = _("attribution")
        verbose_name_plural = _("attributions")
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "member"], name="labelling_assignment_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier} → {self.member}"


class ConflictDeclaration(models.Model):
    """A member's declaration of interests for a call (dossier empty) or of a conflict on one
    dossier. Rows are never deleted: they are the record auditors ask for."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="conflict_declarations")
    member = models.ForeignKey(User, on_delete=models.PROTECT, related_name="conflict_declarations")
    dossier = models.ForeignKey(
        Dossier, on_delete=models.PROTECT, related_name="conflicts", null=True, blank=True
    )
    organisations = models.TextField(_("organisations liées"), blank=True)
    sirets = models.TextField(_("SIRET liés"), blank=True)
    comment = models.TextField(_("commentaire"), blank=True)
    declared_at = models.DateTimeField(_("déclaré le"), auto_now_add=True)

    class Meta:
        verbose_name = _("déclaration d'intérêts")
        verbose_name_plural = _("déclarations d'intérêts")
        ordering = ["-declared_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "dossier"],
                condition=Q(dossier__isnull=False),
                name="labelling_conflict_one_per_dossier",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.dossier or self.call}"


class Review(models.Model):
    class Recommendation(models.TextChoices):
        FAVOURABLE = "favourable", _("Favorable")
        RESERVED = "reserved", _("Réservé")
        UNFAVOURABLE = "unfavourable", _("Défavorable")

    assignment = models.OneToOneField(
        ReviewAssignment, on_delete=models.PROTECT, related_name="review"
    )
    recommendation = models.CharField(
        _("avis"), max_length=12, choices=Recommendation.choices, blank=True
    )
    comment = models.TextField(_("commentaire"), blank=True)
    submitted_at = models.DateTimeField(_("rendu le"), null=True, blank=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("évaluation")
        verbose_name_plural = _("évaluations")
        constraints = [
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True) | ~Q(recommendation=""),
                name="labelling_review_submitted_has_recommendation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment}"


class ReviewScore(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    score = models.PositiveSmallIntegerField(_("note"))

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="labelling_score_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.score}"


class CommitteeMeeting(models.Model):
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="meetings")
    date = models.DateTimeField(_("date"))
    location = models.CharField(_("lieu"), max_length=255, blank=True)
    quorum = models.PositiveSmallIntegerField(_("quorum"), default=3)
    members_present = models.ManyToManyField(User, related_name="meetings_attended", blank=True)
    agenda = models.ManyToManyField(Dossier, related_name="meetings", blank=True)
    minutes = models.TextField(_("procès-verbal"), blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("séance du comité")
        verbose_name_plural = _("séances du comité")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.call.reference} · {self.date:%d/%m/%Y}"


class Decision(models.Model):
    class Outcome(models.TextChoices):
        LABELLED = "labelled", _("Labellisé")
        REJECTED = "rejected", _("Refusé")
        DEFERRED = "deferred", _("Ajourné")

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="decisions")
    meeting = models.ForeignKey(
        CommitteeMeeting, on_delete=models.PROTECT, related_name="decisions", null=True, blank=True
    )
    outcome = models.CharField(_("décision"), max_length=10, choices=Outcome.choices)
    reason = models.TextField(_("motifs"), blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("décidé le"))

    class Meta:
        verbose_name = _("décision")
        verbose_name_plural = _("décisions")
        ordering = ["-decided_at"]
        constraints = [
            # A dossier may be deferred several times but gets one final decision.
            models.UniqueConstraint(
                fields=["dossier"],
                condition=~Q(outcome="deferred"),
                name="labelling_decision_one_final_per_dossier",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["labelled", "rejected", "deferred"]),
                name="labelling_decision_outcome_valid",
            ),
            models.CheckConstraint(
                condition=Q(outcome="labelled") | ~Q(reason=""),
                name="labelling_decision_reason_required",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier} : {self.get_outcome_display()}"


class DraftReminder(models.Model):
    """A reminder sent about an unsubmitted draft before its call closes. One row per dossier
    and kind: the unique constraint is what makes the reminder task safe to run twice."""

    class Kind(models.TextChoices):
        H48 = "48h", _("48 heures avant la clôture")
        H24 = "24h", _("24 heures avant la clôture")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(_("rappel"), max_length=3, choices=Kind.choices)
    sent_at = models.DateTimeField(_("envoyé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("rappel de brouillon")
        verbose_name_plural = _("rappels de brouillon")
        constraints = [
            models.UniqueConstraint(fields=["dossier", "kind"], name="labelling_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier} · {self.kind}"


class AdmissibilityCheck(models.Model):
    """One pass of the staff's admissibility checklist on a dossier. Rows are only added,
    never changed: the latest row is the dossier's current checklist, the earlier ones show
    who checked what and when."""

    class Item(models.TextChoices):
        ORGANISATION = "organisation", _("L'organisme candidat est identifié (SIRET, statuts)")
        ATTACHMENTS = "attachments", _("Les pièces exigées par l'appel sont fournies et lisibles")
        DURATION = "duration", _("La formation dure de 3 à 24 mois")
        FREE = "free", _("La formation est gratuite pour les apprenants, ou son coût est justifié")
        NO_DIPLOMA = "no_diploma", _("Aucun diplôme n'est exigé à l'entrée")
        PUBLIC = "public", _("Le public visé est prioritairement éloigné de l'emploi")
        DIGITAL_JOBS = "digital_jobs", _("Les métiers visés relèvent du numérique")

    dossier = models.ForeignKey(
        Dossier,
        on_delete=models.CASCADE,
        related_name="admissibility_checks",
        verbose_name=_("dossier"),
    )
    items = models.JSONField(_("points vérifiés"), default=list, blank=True)
    is_complete = models.BooleanField(_("tous les points sont vérifiés"), default=False)
    notes = models.TextField(_("observations"), blank=True)
    checked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("vérifié par")
    )
    checked_at = models.DateTimeField(_("vérifié le"))

    class Meta:
        verbose_name = _("contrôle de recevabilité")
        verbose_name_plural = _("contrôles de recevabilité")
        ordering = ["dossier", "-checked_at", "-id"]
        indexes = [
            models.Index(
                fields=["dossier", "-checked_at", "-id"], name="labelling_admissibility_latest"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dossier} · {self.checked_at:%d/%m/%Y %H:%M}"
