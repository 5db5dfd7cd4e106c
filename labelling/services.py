"""Writes of the labelling process: calls, dossiers and their states, reviews, committee
meetings and decisions. Every change of state goes through one function here that locks the
dossier row, checks the current state, writes the audit row and returns the new state."""

import datetime
import hashlib
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import email_queue
from gen_portal.errors import DomainError
from trainings.models import MAX_DURATION_MONTHS, MIN_DURATION_MONTHS, Organisation, Training
from trainings.services import label_grant, training_create

from .attachments import ACCEPTED_LABEL, EXTENSIONS, sniff
from .models import (
    Attachment,
    Call,
    CommitteeMeeting,
    ConflictDeclaration,
    Criterion,
    DeadlineExtension,
    Decision,
    Dossier,
    DossierTransition,
    DraftReminder,
    Review,
    ReviewAssignment,
    ReviewScore,
)

State = Dossier.State

# Fields an applicant fills in; the content hash of a submission covers exactly these.
DOSSIER_FIELDS = (
    "training_title",
    "training_description",
    "targeted_jobs",
    "duration_months",
    "hours",
    "is_free",
    "price",
    "free_justification",
    "diploma_required",
    "site_address",
    "site_postcode",
    "site_city",
    "commune_code",
    "department_code",
    "region_code",
    "site_qpv",
    "qpv_code",
    "planned_entrants_per_year",
    "women_share_commitment",
    "neet_share_commitment",
    "qpv_share_commitment",
    "support_description",
    "immersion_weeks",
    "partners",
    "budget_total",
)


# ---------------------------------------------------------------------------------- calls


@transaction.atomic
def call_create(
    *,
    reference: str,
    title: str,
    opens_at: datetime.datetime,
    closes_at: datetime.datetime,
    description: str = "",
    label_duration_months: int = 36,
    qpv_training_target: Decimal | None = None,
    required_attachments: list[str] | None = None,
    criteria: Iterable[Mapping] = (),
    published: bool = False,
    historical: bool = False,
) -> Call:
    if closes_at <= opens_at:
        raise DomainError(_("La clôture doit suivre l'ouverture."), code="dates")
    if Call.objects.filter(reference=reference).exists():
        raise DomainError(_("Un appel porte déjà cette référence."), code="reference_taken")
    call = Call.objects.create(
        reference=reference,
        title=title,
        description=description,
        opens_at=opens_at,
        closes_at=closes_at,
        label_duration_months=label_duration_months,
        qpv_training_target=qpv_training_target,
        required_attachments=list(required_attachments or []),
        is_published=published,
        is_historical=historical,
    )
    for position, criterion in enumerate(criteria):
        Criterion.objects.create(call=call, position=position, **criterion)
    return call


@transaction.atomic
def call_extend_deadline(
    *, call: Call, new_closes_at: datetime.datetime, reason: str, actor: User
) -> DeadlineExtension:
    call = Call.objects.select_for_update().get(pk=call.pk)
    if not reason.strip():
        raise DomainError(_("Le motif du report est obligatoire."), code="reason_required")
    if new_closes_at <= call.closes_at:
        raise DomainError(
            _("La nouvelle clôture doit être postérieure à l'actuelle."), code="dates"
        )
    extension = DeadlineExtension.objects.create(
        call=call,
        previous_closes_at=call.closes_at,
        new_closes_at=new_closes_at,
        reason=reason.strip(),
        created_by=actor,
    )
    call.closes_at = new_closes_at
    call.save(update_fields=["closes_at"])
    return extension


# ------------------------------------------------------------------------------- dossiers


def _audit(
    dossier: Dossier,
    *,
    actor: User | None,
    from_state: str,
    to_state: str,
    action: str,
    reason: str = "",
    public: bool = True,
    at: datetime.datetime | None = None,
) -> DossierTransition:
    return DossierTransition.objects.create(
        dossier=dossier,
        actor=actor,
        at=at or timezone.now(),
        from_state=from_state,
        to_state=to_state,
        action=action,
        reason=reason,
        is_public=public,
    )


def _lock(dossier: Dossier) -> Dossier:
    return (
        Dossier.objects.select_for_update()
        .select_related("call", "organisation")
        .get(pk=dossier.pk)
    )


def _notify_organisation(dossier: Dossier, subject: str, body: str) -> None:
    for email in dossier.organisation.memberships.values_list("user__email", flat=True):
        email_queue(to=email, subject=subject, body=body)


@transaction.atomic
def dossier_create(
    *,
    call: Call,
    organisation: Organisation,
    actor: User,
    now: datetime.datetime | None = None,
    **fields,
) -> Dossier:
    now = now or timezone.now()
    if not call.is_open(now):
        raise DomainError(_("Cet appel n'est pas ouvert aux candidatures."), code="call_closed")
    unknown = set(fields) - set(DOSSIER_FIELDS) - {"existing_training"}
    if unknown:
        raise TypeError(f"unknown dossier fields: {sorted(unknown)}")
    dossier = Dossier.objects.create(
        call=call, organisation=organisation, created_by=actor, **fields
    )
    _audit(dossier, actor=actor, from_state="", to_state=State.DRAFT, action="created", at=now)
    return dossier


@transaction.atomic
def dossier_update(*, dossier: Dossier, actor: User, fields: Mapping) -> Dossier:
    """Save applicant fields. Allowed on a draft, or while a correction is requested."""
    dossier = _lock(dossier)
    if not dossier.is_editable:
        raise DomainError(
            _("Ce dossier a été déposé : il ne peut plus être modifié sans demande de correction."),
            code="not_editable",
        )
    unknown = set(fields) - set(DOSSIER_FIELDS)
    if unknown:
        raise TypeError(f"unknown dossier fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(dossier, name, value)
    dossier.save(update_fields=[*fields, "updated_at"])
    return dossier


def dossier_rule_errors(dossier: Dossier) -> list[str]:
    """The label rules a dossier must meet before it can be submitted, as messages."""
    errors = []
    if not dossier.training_title.strip():
        errors.append(_("Indiquez l'intitulé de la formation."))
    if dossier.duration_months is None or not (
        MIN_DURATION_MONTHS <= dossier.duration_months <= MAX_DURATION_MONTHS
    ):
        errors.append(
            _("La durée de la formation doit être comprise entre %(min)d et %(max)d mois.")
            % {"min": MIN_DURATION_MONTHS, "max": MAX_DURATION_MONTHS}
        )
    if not dossier.is_free and not dossier.free_justification.strip():
        errors.append(
            _(
                "Une formation labellisée est gratuite pour les apprenants : sinon, justifiez le coût."
            )
        )
    if dossier.diploma_required:
        errors.append(_("Une formation labellisée ne peut pas exiger de diplôme à l'entrée."))
    if not all(
        [
            dossier.site_address.strip(),
            dossier.site_postcode.strip(),
            dossier.site_city.strip(),
            dossier.department_code,
        ]
    ):
        errors.append(
            _(
                "L'adresse du lieu de formation est incomplète (adresse, code postal, commune, département)."
            )
        )
    required = set(dossier.call.required_attachments)
    present = set(dossier.attachments.values_list("kind", flat=True))
    if required - present:
        errors.append(_("Des pièces jointes obligatoires manquent."))
    return errors


def dossier_content_hash(dossier: Dossier) -> str:
    """SHA-256 of the submitted content: applicant fields and attachment hashes, serialised
    canonically, so a receipt proves what was received."""
    content = {name: getattr(dossier, name) for name in DOSSIER_FIELDS}
    content["attachments"] = sorted(dossier.attachments.values_list("kind", "sha256"))
    content["call"] = dossier.call.reference
    content["organisation_siret"] = dossier.organisation.siret
    payload = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


@transaction.atomic
def dossier_submit(
    *, dossier: Dossier, actor: User, now: datetime.datetime | None = None
) -> Dossier:
    """Submit a draft, or resubmit after a correction request.

    The deadline is judged on the server clock at the moment of the request (`now`), and a
    refused submission raises before anything is written, so the draft stays as it was. A
    replayed request on a dossier already submitted returns it unchanged (one submission).
    """
    now = now or timezone.now()
    dossier = _lock(dossier)
    call = dossier.call
    if dossier.state != State.DRAFT and not dossier.correction_requested:
        if dossier.state in (State.SUBMITTED, State.IN_REVIEW):
            return dossier
        raise DomainError(_("Ce dossier ne peut plus être déposé."), code="bad_state")
    resubmission = dossier.correction_requested
    if not resubmission and not call.is_open(now):
        raise DomainError(
            _(
                "L'appel est clos depuis le %(date)s : le dossier n'a pas été déposé. Votre "
                "brouillon est conservé."
            )
            % {"date": timezone.localtime(call.closes_at).strftime("%d/%m/%Y %H:%M:%S")},
            code="late",
        )
    errors = dossier_rule_errors(dossier)
    if errors:
        raise DomainError(" ".join(str(e) for e in errors), code="rules")
    previous = dossier.state
    if resubmission:
        dossier.correction_requested = False
        action = "resubmitted"
    else:
        # Numbering comes last so the call row, which every submission of the call must
        # lock, is held only for the end of the transaction (see the deadline benchmark).
        Call.objects.filter(pk=call.pk).update(last_dossier_number=F("last_dossier_number") + 1)
        number = Call.objects.filter(pk=call.pk).values_list("last_dossier_number", flat=True)[0]
        dossier.reference = f"GEN-{call.reference}-{number:05d}"
        dossier.submitted_at = now
        dossier.state = State.SUBMITTED
        action = "submitted"
    dossier.content_sha256 = dossier_content_hash(dossier)
    dossier.save()
    _audit(dossier, actor=actor, from_state=previous, to_state=dossier.state, action=action, at=now)
    email_queue(
        to=actor.email,
        subject=_("Dossier %(ref)s déposé") % {"ref": dossier.reference},
        body=_(
            "Votre dossier %(ref)s a bien été déposé le %(date)s.\n"
            "Empreinte SHA-256 du contenu : %(sha)s"
        )
        % {
            "ref": dossier.reference,
            "date": timezone.localtime(now).strftime("%d/%m/%Y %H:%M:%S"),
            "sha": dossier.content_sha256,
        },
    )
    return dossier


@transaction.atomic
def dossier_start_review(
    *, dossier: Dossier, actor: User, at: datetime.datetime | None = None
) -> Dossier:
    dossier = _lock(dossier)
    if dossier.state != State.SUBMITTED:
        raise DomainError(
            _("Seul un dossier déposé peut être mis en instruction."), code="bad_state"
        )
    dossier.state = State.IN_REVIEW
    dossier.save(update_fields=["state", "updated_at"])
    _audit(
        dossier,
        actor=actor,
        from_state=State.SUBMITTED,
        to_state=State.IN_REVIEW,
        action="review_started",
        at=at,
    )
    return dossier


@transaction.atomic
def dossier_request_correction(
    *, dossier: Dossier, actor: User, message: str, at: datetime.datetime | None = None
) -> Dossier:
    dossier = _lock(dossier)
    if dossier.state not in (State.SUBMITTED, State.IN_REVIEW):
        raise DomainError(
            _("Une correction ne peut être demandée que sur un dossier en instruction."),
            code="bad_state",
        )
    if not message.strip():
        raise DomainError(
            _("Expliquez au candidat ce qu'il doit corriger."), code="reason_required"
        )
    dossier.correction_requested = True
    dossier.save(update_fields=["correction_requested", "updated_at"])
    _audit(
        dossier,
        actor=actor,
        from_state=dossier.state,
        to_state=dossier.state,
        action="correction_requested",
        reason=message.strip(),
        at=at,
    )
    _notify_organisation(
        dossier,
        _("Dossier %(ref)s : correction demandée") % {"ref": dossier.reference},
        message.strip(),
    )
    return dossier


@transaction.atomic
def dossier_withdraw(
    *, dossier: Dossier, actor: User, reason: str, at: datetime.datetime | None = None
) -> Dossier:
    dossier = _lock(dossier)
    if dossier.state not in (State.SUBMITTED, State.IN_REVIEW, State.DEFERRED):
        raise DomainError(_("Ce dossier ne peut plus être retiré."), code="bad_state")
    if not reason.strip():
        raise DomainError(_("Indiquez le motif du retrait."), code="reason_required")
    previous = dossier.state
    dossier.state = State.WITHDRAWN
    dossier.correction_requested = False
    dossier.save(update_fields=["state", "correction_requested", "updated_at"])
    _audit(
        dossier,
        actor=actor,
        from_state=previous,
        to_state=State.WITHDRAWN,
        action="withdrawn",
        reason=reason.strip(),
        at=at,
    )
    return dossier


# ---------------------------------------------------------------- conflicts and reviews


def _member_belongs_to(member: User, organisation: Organisation) -> bool:
    return member.memberships.filter(organisation=organisation).exists()


@transaction.atomic
def conflict_declare(
    *,
    call: Call,
    member: User,
    dossier: Dossier | None = None,
    organisations: str = "",
    sirets: str = "",
    comment: str = "",
) -> ConflictDeclaration:
    """Record a declaration of interests (no dossier) or a conflict on a dossier; a conflict
    removes the member's assignment and any unfinished review of it."""
    if dossier is not None:
        existing = ConflictDeclaration.objects.filter(member=member, dossier=dossier).first()
        if existing:
            return existing
        ReviewAssignment.objects.filter(
            dossier=dossier, member=member, review__isnull=True
        ).delete()
        Review.objects.filter(
            assignment__dossier=dossier, assignment__member=member, submitted_at__isnull=True
        ).delete()
        ReviewAssignment.objects.filter(dossier=dossier, member=member).delete()
    return ConflictDeclaration.objects.create(
        call=call,
        member=member,
        dossier=dossier,
        organisations=organisations,
        sirets=sirets,
        comment=comment,
    )


def _declared_sirets(member: User, call: Call) -> set[str]:
    sirets: set[str] = set()
    for text in ConflictDeclaration.objects.filter(
        member=member, call=call, dossier__isnull=True
    ).values_list("sirets", flat=True):
        sirets.update(part.strip() for part in text.replace(",", "\n").splitlines() if part.strip())
    return sirets


@transaction.atomic
def review_assign(*, dossier: Dossier, member: User, actor: User | None) -> ReviewAssignment:
    if not member.is_committee_member:
        raise DomainError(_("Cette personne n'est pas membre du comité."), code="not_member")
    if ConflictDeclaration.objects.filter(member=member, dossier=dossier).exists() or (
        dossier.organisation.siret in _declared_sirets(member, dossier.call)
    ):
        raise DomainError(
            _("Ce membre a déclaré un conflit d'intérêts sur ce dossier."), code="conflict"
        )
    if _member_belongs_to(member, dossier.organisation):
        raise DomainError(_("Ce membre appartient à l'organisation candidate."), code="conflict")
    if dossier.state == State.DRAFT:
        raise DomainError(_("Un brouillon ne s'attribue pas."), code="bad_state")
    assignment, _created = ReviewAssignment.objects.get_or_create(
        dossier=dossier, member=member, defaults={"assigned_by": actor}
    )
    return assignment


@transaction.atomic
def review_save(
    *,
    assignment: ReviewAssignment,
    scores: Mapping[int, int],
    recommendation: str = "",
    comment: str = "",
    submit: bool = False,
    now: datetime.datetime | None = None,
) -> Review:
    """Save a member's scores (criterion id -> score); `submit` makes the review final.

    `scores` is the whole form: a criterion left out is a score the member cleared.
    """
    review, _created = Review.objects.select_for_update().get_or_create(assignment=assignment)
    if review.submitted_at is not None:
        raise DomainError(_("Cette évaluation a déjà été rendue."), code="submitted")
    criteria = {c.pk: c for c in assignment.dossier.call.criteria.all()}
    for criterion_id, score in scores.items():
        criterion = criteria.get(criterion_id)
        if criterion is None:
            raise DomainError(_("Critère inconnu pour cet appel."), code="criterion")
        if not 0 <= score <= criterion.max_score:
            raise DomainError(
                _("La note de « %(title)s » doit être comprise entre 0 et %(max)d.")
                % {"title": criterion.title, "max": criterion.max_score},
                code="score_range",
            )
        ReviewScore.objects.update_or_create(
            review=review, criterion=criterion, defaults={"score": score}
        )
    review.scores.exclude(criterion_id__in=list(scores)).delete()
    review.recommendation = recommendation
    review.comment = comment
    if submit:
        if set(criteria) - set(review.scores.values_list("criterion_id", flat=True)):
            raise DomainError(
                _("Notez chaque critère avant de rendre l'évaluation."), code="incomplete"
            )
        if not recommendation:
            raise DomainError(
                _("Choisissez un avis avant de rendre l'évaluation."), code="incomplete"
            )
        review.submitted_at = now or timezone.now()
    review.save()
    return review


# ------------------------------------------------------------- committee and decisions


@transaction.atomic
def meeting_create(
    *,
    call: Call,
    date: datetime.datetime,
    actor: User,
    members_present: Iterable[User] = (),
    agenda: Iterable[Dossier] = (),
    quorum: int = 3,
    location: str = "",
) -> CommitteeMeeting:
    meeting = CommitteeMeeting.objects.create(
        call=call, date=date, quorum=quorum, location=location, created_by=actor
    )
    meeting.members_present.set(list(members_present))
    meeting.agenda.set(list(agenda))
    return meeting


@transaction.atomic
def decision_record(
    *,
    dossier: Dossier,
    outcome: str,
    actor: User,
    reason: str = "",
    meeting: CommitteeMeeting | None = None,
    decided_at: datetime.datetime | None = None,
    label_start: datetime.date | None = None,
) -> Decision:
    """Record the committee's decision. A labelled decision creates the training (unless the
    dossier renews an existing one) and its label. The dossier row lock plus the partial
    unique constraint mean two staff deciding at once produce one decision."""
    if not actor.is_staff:
        raise DomainError(_("Seule l'équipe de la GEN enregistre les décisions."), code="forbidden")
    dossier = _lock(dossier)
    if dossier.state not in (State.SUBMITTED, State.IN_REVIEW, State.DEFERRED):
        raise DomainError(
            _("Une décision a déjà été enregistrée pour ce dossier (état : %(state)s).")
            % {"state": dossier.get_state_display()},
            code="already_decided",
        )
    if outcome not in Decision.Outcome.values:
        raise DomainError(_("Décision inconnue."), code="outcome")
    if outcome != Decision.Outcome.LABELLED and not reason.strip():
        raise DomainError(_("Un refus ou un ajournement doit être motivé."), code="reason_required")
    if meeting is not None and meeting.members_present.count() < meeting.quorum:
        raise DomainError(_("Le quorum de la séance n'est pas atteint."), code="quorum")
    decided_at = decided_at or timezone.now()
    try:
        with transaction.atomic():
            decision = Decision.objects.create(
                dossier=dossier,
                meeting=meeting,
                outcome=outcome,
                reason=reason.strip(),
                decided_by=actor,
                decided_at=decided_at,
            )
    except IntegrityError:
        raise DomainError(
            _("Une décision a déjà été enregistrée pour ce dossier."), code="already_decided"
        ) from None
    previous = dossier.state
    dossier.state = outcome
    dossier.correction_requested = False
    dossier.save(update_fields=["state", "correction_requested", "updated_at"])
    _audit(
        dossier,
        actor=actor,
        from_state=previous,
        to_state=outcome,
        action="decided",
        reason=reason.strip(),
        at=decided_at,
    )
    if outcome == Decision.Outcome.LABELLED:
        training = dossier.existing_training or _training_from_dossier(dossier)
        label_grant(
            training=training,
            start_date=label_start or timezone.localdate(decided_at),
            duration_months=dossier.call.label_duration_months,
            call=dossier.call,
            decision=decision,
        )
    _notify_organisation(
        dossier,
        _("Dossier %(ref)s : décision du comité") % {"ref": dossier.reference},
        _(
            "Le comité a rendu sa décision sur votre dossier %(ref)s : %(outcome)s. "
            "Retrouvez-la dans votre espace."
        )
        % {"ref": dossier.reference, "outcome": decision.get_outcome_display()},
    )
    return decision


def _training_from_dossier(dossier: Dossier) -> Training:
    return training_create(
        organisation=dossier.organisation,
        title=dossier.training_title,
        description=dossier.training_description,
        targeted_jobs=dossier.targeted_jobs,
        duration_months=dossier.duration_months,
        hours=dossier.hours,
        is_free=dossier.is_free,
        price=None if dossier.is_free else dossier.price,
        site_address=dossier.site_address,
        site_postcode=dossier.site_postcode,
        site_city=dossier.site_city,
        commune_code=dossier.commune_code,
        department_code=dossier.department_code,
        region_code=dossier.region_code,
        site_qpv=dossier.site_qpv,
        qpv_code=dossier.qpv_code,
    )


# ---------------------------------------------------------------------------- attachments


@transaction.atomic
def attachment_add(*, dossier: Dossier, actor: User, kind: str, upload) -> Attachment:
    """Store an uploaded file after checking its real type (by content) and its size. A
    refused file raises before anything is written to disk or to the database."""
    dossier = _lock(dossier)
    if not dossier.is_editable:
        raise DomainError(
            _("Les pièces d'un dossier déposé ne se modifient plus."), code="not_editable"
        )
    if kind not in Attachment.Kind.values:
        raise DomainError(_("Type de pièce inconnu."), code="kind")
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise DomainError(
            _("Le fichier dépasse la taille maximale de %(max)d Mo.")
            % {"max": limit // (1024 * 1024)},
            code="too_large",
        )
    sniffed = sniff(upload)
    if sniffed is None:
        raise DomainError(
            _("Ce fichier n'est pas d'un type accepté (%(types)s), quel que soit son nom.")
            % {"types": ACCEPTED_LABEL},
            code="bad_type",
        )
    attachment = Attachment(
        dossier=dossier,
        kind=kind,
        original_name=upload.name[:255],
        content_type=sniffed.content_type,
        size=sniffed.size,
        sha256=sniffed.sha256,
        uploaded_by=actor,
    )
    # The stored name carries no part of the user's file name: only our own extension.
    attachment.file.save(
        f"{sniffed.sha256[:32]}.{EXTENSIONS[sniffed.content_type]}", upload, save=False
    )
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


@transaction.atomic
def attachment_remove(*, attachment: Attachment, actor: User) -> None:
    dossier = _lock(attachment.dossier)
    if not dossier.is_editable:
        raise DomainError(
            _("Les pièces d'un dossier déposé ne se modifient plus."), code="not_editable"
        )
    stored = attachment.file.name
    storage = attachment.file.storage
    attachment.delete()
    # Remove the file only once the row is gone for good.
    transaction.on_commit(lambda: storage.delete(stored))


# ------------------------------------------------------------------------------ reminders


def draft_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Email the members of organisations holding a draft in a call that closes within 48 h
    (then within 24 h). Returns the number of reminders recorded by this run."""
    now = now or timezone.now()
    sent = 0
    drafts = (
        Dossier.objects.filter(
            state=State.DRAFT,
            call__is_published=True,
            call__closes_at__gt=now,
            call__closes_at__lte=now + datetime.timedelta(hours=48),
        )
        .select_related("call", "organisation")
        .order_by("pk")
    )
    for dossier in drafts:
        hours_left = (dossier.call.closes_at - now).total_seconds() / 3600
        kind = DraftReminder.Kind.H24 if hours_left <= 24 else DraftReminder.Kind.H48
        if _reminder_record(dossier, kind):
            sent += 1
    return sent


@transaction.atomic
def _reminder_record(dossier: Dossier, kind: str) -> bool:
    try:
        with transaction.atomic():
            DraftReminder.objects.create(dossier=dossier, kind=kind)
    except IntegrityError:
        return False  # already sent by an earlier (or concurrent) run
    closes = timezone.localtime(dossier.call.closes_at).strftime("%d/%m/%Y à %H:%M")
    _notify_organisation(
        dossier,
        _("Rappel : votre candidature n'est pas encore déposée"),
        _(
            "L'appel %(call)s se clôt le %(closes)s (heure de Paris). Votre brouillon "
            "« %(title)s » n'a pas encore été déposé : seul un dossier déposé avant la "
            "clôture sera examiné."
        )
        % {
            "call": dossier.call.reference,
            "closes": closes,
            "title": dossier.training_title or "—",
        },
    )
    return True


# ------------------------------------------------------------------- calls (staff pages)

CALL_UPDATABLE_FIELDS = frozenset(
    {
        "reference",
        "title",
        "description",
        "opens_at",
        "closes_at",
        "label_duration_months",
        "qpv_training_target",
        "required_attachments",
    }
)
CRITERION_FIELDS = frozenset({"id", "title", "guidance", "weight", "max_score", "eliminatory"})
MAX_CRITERION_SCORE = 100


def call_has_submissions(call: Call) -> bool:
    """Whether a dossier of the call was ever submitted (whatever its state since)."""
    return call.dossiers.exclude(state=State.DRAFT).exists()


def call_criteria_locked(call: Call) -> bool:
    """Once a reviewer has scored a criterion, the criteria are the ones the scores refer to."""
    return ReviewScore.objects.filter(criterion__call=call).exists()


@transaction.atomic
def call_update(*, call: Call, criteria: Iterable[Mapping] | None = None, **fields) -> Call:
    """Change a call's own fields and, when `criteria` is given, replace its criteria (see
    `criteria_replace`), in one transaction.

    Once a dossier has been submitted, the opening and closing no longer change here: the
    deadline then moves only through `call_extend_deadline`, which records the extension and
    its reason for the public page.
    """
    unknown = set(fields) - CALL_UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"unknown call fields: {sorted(unknown)}")
    call = Call.objects.select_for_update().get(pk=call.pk)
    opens_at = fields.get("opens_at", call.opens_at)
    closes_at = fields.get("closes_at", call.closes_at)
    if (opens_at != call.opens_at or closes_at != call.closes_at) and call_has_submissions(call):
        raise DomainError(
            _(
                "Des dossiers ont déjà été déposés : les dates de l'appel ne se modifient plus. "
                "Pour repousser la clôture, utilisez le report de clôture."
            ),
            code="dates_locked",
        )
    if closes_at <= opens_at:
        raise DomainError(_("La clôture doit suivre l'ouverture."), code="dates")
    reference = fields.get("reference", call.reference)
    if reference != call.reference:
        if call.is_published:
            raise DomainError(_("Un appel publié garde sa référence."), code="reference_locked")
        if Call.objects.filter(reference__iexact=reference).exclude(pk=call.pk).exists():
            raise DomainError(_("Un appel porte déjà cette référence."), code="reference_taken")
    if "required_attachments" in fields:
        fields["required_attachments"] = list(fields["required_attachments"] or [])
    changed = [name for name, value in fields.items() if getattr(call, name) != value]
    for name in changed:
        setattr(call, name, fields[name])
    if changed:
        call.save(update_fields=changed)
    if criteria is not None:
        criteria_replace(call=call, criteria=criteria)
    return call


def _criterion_row(row: Mapping) -> dict:
    unknown = set(row) - CRITERION_FIELDS
    if unknown:
        raise TypeError(f"unknown criterion fields: {sorted(unknown)}")
    title = str(row.get("title", "")).strip()
    if not title:
        raise DomainError(_("Chaque critère a un intitulé."), code="criterion")
    weight = Decimal(row.get("weight", 1))
    if weight <= 0:
        raise DomainError(
            _("La pondération d'un critère doit être strictement positive."), code="criterion"
        )
    max_score = int(row.get("max_score", 5))
    if not 1 <= max_score <= MAX_CRITERION_SCORE:
        raise DomainError(
            _("La note maximale d'un critère est comprise entre 1 et %(max)d.")
            % {"max": MAX_CRITERION_SCORE},
            code="criterion",
        )
    return {
        "title": title,
        "guidance": str(row.get("guidance", "")).strip(),
        "weight": weight,
        "max_score": max_score,
        "eliminatory": bool(row.get("eliminatory", False)),
    }


@transaction.atomic
def criteria_replace(*, call: Call, criteria: Iterable[Mapping]) -> list[Criterion]:
    """Make the call's criteria exactly `criteria`, in that order.

    A row with the `id` of one of the call's criteria updates it (so its identity, which
    review scores point to, is kept); a row without `id` adds a criterion; criteria left out
    are deleted. Refused once reviewers have started scoring, unless nothing changes.
    """
    call = Call.objects.select_for_update().get(pk=call.pk)
    rows = [(row.get("id"), _criterion_row(row)) for row in criteria]
    existing = {criterion.pk: criterion for criterion in call.criteria.all()}
    ids = [pk for pk, _row in rows if pk]
    if len(ids) != len(set(ids)) or any(pk not in existing for pk in ids):
        raise DomainError(_("Critère inconnu pour cet appel."), code="criterion")

    def unchanged() -> bool:
        if [pk for pk, _row in rows] != list(existing):
            return False
        return all(
            all(getattr(existing[pk], name) == value for name, value in row.items())
            for pk, row in rows
        )

    if unchanged():
        return list(existing.values())
    if call_criteria_locked(call):
        raise DomainError(
            _(
                "Des évaluations ont commencé : les critères de cet appel ne peuvent plus être "
                "modifiés."
            ),
            code="criteria_locked",
        )
    Criterion.objects.filter(call=call).exclude(pk__in=ids).delete()
    result = []
    for position, (pk, row) in enumerate(rows):
        if pk:
            criterion = existing[pk]
            for name, value in row.items():
                setattr(criterion, name, value)
            criterion.position = position
            criterion.save()
        else:
            criterion = Criterion.objects.create(call=call, position=position, **row)
        result.append(criterion)
    return result


@transaction.atomic
def call_publish(*, call: Call, actor: User, now: datetime.datetime | None = None) -> Call:
    """Make the call visible on the public pages. Publishing twice changes nothing.

    `actor` is who publishes; calls have no audit table yet, so it is not stored.
    """
    now = now or timezone.now()
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.is_published:
        return call
    if not call.criteria.exists():
        raise DomainError(
            _("Ajoutez au moins un critère d'évaluation avant de publier l'appel."),
            code="no_criteria",
        )
    if call.closes_at <= now:
        raise DomainError(
            _("Cet appel est déjà clos : il ne peut plus être publié."), code="closed"
        )
    call.is_published = True
    call.save(update_fields=["is_published"])
    return call


# ------------------------------------------------------ committee (staff and member pages)

# This section is appended to a module whose import block belongs to earlier work.
from accounts.models import Membership  # noqa: E402

from .models import AdmissibilityCheck  # noqa: E402

# Dossiers that still wait for the committee: they may be checked, assigned and decided.
AWAITING_DECISION = (State.SUBMITTED, State.IN_REVIEW, State.DEFERRED)


def siret_list(text: str) -> list[str]:
    """The SIRETs typed in a free text (one per line, or separated by commas, semicolons or
    spaces); spaces inside a number are not supported, so "732 829 320 00074" is refused by
    the form rather than silently read as four numbers."""
    parts = text.replace(",", " ").replace(";", " ").split()
    return list(dict.fromkeys(part.strip() for part in parts if part.strip()))


@transaction.atomic
def admissibility_record(
    *,
    dossier: Dossier,
    actor: User,
    items: Iterable[str],
    notes: str = "",
    at: datetime.datetime | None = None,
) -> AdmissibilityCheck:
    """Add a pass of the admissibility checklist. The previous passes stay as they were."""
    if not actor.is_staff:
        raise DomainError(_("Seule l'équipe de la GEN vérifie la recevabilité."), code="forbidden")
    dossier = _lock(dossier)
    if dossier.state not in AWAITING_DECISION:
        raise DomainError(
            _("La recevabilité se vérifie sur un dossier déposé et non encore décidé."),
            code="bad_state",
        )
    checked = [item for item in AdmissibilityCheck.Item.values if item in set(items)]
    unknown = set(items) - set(AdmissibilityCheck.Item.values)
    if unknown:
        raise DomainError(_("Point de contrôle inconnu."), code="item")
    return AdmissibilityCheck.objects.create(
        dossier=dossier,
        items=checked,
        is_complete=len(checked) == len(AdmissibilityCheck.Item.values),
        notes=notes.strip(),
        checked_by=actor,
        checked_at=at or timezone.now(),
    )


def _assignment_blocks(call: Call) -> tuple[set[tuple[int, int]], dict[int, set[str]], dict]:
    """What keeps members off dossiers of `call`, read in three queries: (member, dossier)
    conflicts, SIRETs each member declared for the call, organisations each member
    belongs to."""
    conflicts = set(
        ConflictDeclaration.objects.filter(call=call, dossier__isnull=False).values_list(
            "member_id", "dossier_id"
        )
    )
    sirets: dict[int, set[str]] = {}
    for member_id, text in ConflictDeclaration.objects.filter(
        call=call, dossier__isnull=True
    ).values_list("member_id", "sirets"):
        sirets.setdefault(member_id, set()).update(siret_list(text))
    organisations: dict[int, set[int]] = {}
    for user_id, organisation_id in Membership.objects.filter(
        user__is_committee_member=True
    ).values_list("user_id", "organisation_id"):
        organisations.setdefault(user_id, set()).add(organisation_id)
    return conflicts, sirets, organisations


def committee_members():
    return User.objects.filter(is_committee_member=True, is_active=True).order_by(
        "full_name", "email", "pk"
    )


@transaction.atomic
def assignments_auto(*, call: Call, per_dossier: int, actor: User) -> dict:
    """Give every dossier of the call awaiting a decision `per_dossier` reviewers, topping up
    the ones it already has.

    Balanced: each seat goes to the eligible member with the fewest assignments in this call
    so far (ties: lowest id, so the same data always gives the same result). Never a member
    with a conflict declared on the dossier, a declared interest in its organisation's SIRET,
    or a membership of its organisation. Returns the number of assignments created and the
    references of dossiers left short of reviewers (too few eligible members).
    """
    if not actor.is_staff:
        raise DomainError(_("Seule l'équipe de la GEN attribue les dossiers."), code="forbidden")
    if not 1 <= per_dossier <= 10:
        raise DomainError(
            _("Le nombre d'évaluateurs par dossier est compris entre 1 et 10."), code="per_dossier"
        )
    # Two staff running the distribution at once would each see the other's seats as free:
    # the call row lock makes the runs take turns.
    call = Call.objects.select_for_update().get(pk=call.pk)
    members = list(committee_members())
    conflicts, sirets, organisations = _assignment_blocks(call)
    load = {member.pk: 0 for member in members}
    current: dict[int, set[int]] = {}
    for dossier_id, member_id in ReviewAssignment.objects.filter(dossier__call=call).values_list(
        "dossier_id", "member_id"
    ):
        current.setdefault(dossier_id, set()).add(member_id)
        if member_id in load:
            load[member_id] += 1
    dossiers = (
        Dossier.objects.filter(call=call, state__in=AWAITING_DECISION)
        .select_related("organisation")
        .order_by("submitted_at", "pk")
    )
    created: list[ReviewAssignment] = []
    short: list[str] = []
    for dossier in dossiers:
        taken = current.get(dossier.pk, set())
        needed = per_dossier - len(taken)
        if needed <= 0:
            continue
        eligible = [
            member
            for member in members
            if member.pk not in taken
            and (member.pk, dossier.pk) not in conflicts
            and dossier.organisation.siret not in sirets.get(member.pk, set())
            and dossier.organisation_id not in organisations.get(member.pk, set())
        ]
        eligible.sort(key=lambda member: (load[member.pk], member.pk))
        chosen = eligible[:needed]
        for member in chosen:
            created.append(ReviewAssignment(dossier=dossier, member=member, assigned_by=actor))
            load[member.pk] += 1
        if len(chosen) < needed:
            short.append(dossier.reference)
    ReviewAssignment.objects.bulk_create(created)
    return {"created": len(created), "short": short}


@transaction.atomic
def assignment_remove(*, assignment: ReviewAssignment, actor: User) -> None:
    """Take a dossier back from a member; their draft review goes with it. A submitted
    review is part of the record: its assignment stays."""
    if not actor.is_staff:
        raise DomainError(_("Seule l'équipe de la GEN retire une attribution."), code="forbidden")
    assignment = ReviewAssignment.objects.select_for_update().get(pk=assignment.pk)
    review = Review.objects.filter(assignment=assignment).first()
    if review is not None and review.submitted_at is not None:
        raise DomainError(
            _("Ce membre a déjà rendu son évaluation : l'attribution est conservée."),
            code="submitted",
        )
    if review is not None:
        review.delete()
    assignment.delete()


@transaction.atomic
def interests_declare(
    *, call: Call, member: User, organisations: str = "", sirets: str = "", comment: str = ""
) -> tuple[ConflictDeclaration, int]:
    """Record a member's declaration of interests for a call. Each declaration is a new row
    (the earlier ones are kept). A declared SIRET that matches the organisation of a dossier
    assigned to the member turns into a conflict on that dossier, which takes it away from
    them; returns the declaration and the number of such conflicts."""
    if not member.is_committee_member:
        raise DomainError(
            _("Seuls les membres du comité déclarent leurs intérêts."), code="forbidden"
        )
    numbers = siret_list(sirets)
    declaration = conflict_declare(
        call=call,
        member=member,
        organisations=organisations.strip(),
        sirets="\n".join(numbers),
        comment=comment.strip(),
    )
    already_reviewed = Review.objects.filter(
        assignment__member=member, submitted_at__isnull=False
    ).values("assignment__dossier_id")
    matched = (
        Dossier.objects.filter(
            call=call, assignments__member=member, organisation__siret__in=numbers
        )
        .exclude(pk__in=already_reviewed)
        .select_related("organisation")
        .distinct()
    )
    conflicts = 0
    for dossier in matched:
        conflict_declare(
            call=call,
            member=member,
            dossier=dossier,
            organisations=dossier.organisation.name,
            sirets=dossier.organisation.siret,
            comment=_("Intérêt déclaré pour l'appel (SIRET %(siret)s).")
            % {"siret": dossier.organisation.siret},
        )
        conflicts += 1
    return declaration, conflicts


@transaction.atomic
def dossier_conflict_declare(
    *, dossier: Dossier, member: User, comment: str
) -> ConflictDeclaration:
    """A member declares a conflict of interests on one dossier of a call, assigned to them
    or not: they will never review it and no longer see it."""
    if not member.is_committee_member:
        raise DomainError(_("Seuls les membres du comité déclarent un conflit."), code="forbidden")
    if dossier.state == State.DRAFT:
        raise DomainError(_("Ce dossier n'a pas été déposé."), code="bad_state")
    if not comment.strip():
        raise DomainError(
            _("Précisez la nature du lien avec l'organisme candidat."), code="reason_required"
        )
    # A submitted review cannot be withdrawn by its author: it is part of the record the
    # committee decided on. The team must judge what to do with it.
    if Review.objects.filter(
        assignment__dossier=dossier, assignment__member=member, submitted_at__isnull=False
    ).exists():
        raise DomainError(
            _(
                "Vous avez déjà rendu votre évaluation de ce dossier : signalez le conflit "
                "d'intérêts à l'équipe de la GEN, qui décidera du sort de votre évaluation."
            ),
            code="submitted",
        )
    return conflict_declare(
        call=dossier.call,
        member=member,
        dossier=dossier,
        organisations=dossier.organisation.name,
        sirets=dossier.organisation.siret,
        comment=comment.strip(),
    )


def _meeting_checks(call: Call, members: list[User], agenda: list[Dossier], quorum: int) -> None:
    if quorum < 1:
        raise DomainError(_("Le quorum est d'au moins une personne."), code="quorum")
    if any(not member.is_committee_member for member in members):
        raise DomainError(
            _("Seuls des membres du comité peuvent être présents."), code="not_member"
        )
    if any(dossier.call_id != call.pk for dossier in agenda):
        raise DomainError(
            _("L'ordre du jour ne comprend que des dossiers de cet appel."), code="agenda"
        )


@transaction.atomic
def meeting_schedule(
    *,
    call: Call,
    date: datetime.datetime,
    actor: User,
    members_present: Iterable[User] = (),
    agenda: Iterable[Dossier] = (),
    quorum: int = 3,
    location: str = "",
) -> CommitteeMeeting:
    """`meeting_create` with the checks the staff page needs (staff only, members of the
    committee present, dossiers of the same call)."""
    if not actor.is_staff:
        raise DomainError(_("Seule l'équipe de la GEN organise les séances."), code="forbidden")
    members, dossiers = list(members_present), list(agenda)
    _meeting_checks(call, members, dossiers, quorum)
    return meeting_create(
        call=call,
        date=date,
        actor=actor,
        members_present=members,
        agenda=dossiers,
        quorum=quorum,
        location=location.strip(),
    )


@transaction.atomic
def meeting_update(
    *,
    meeting: CommitteeMeeting,
    actor: User,
    date: datetime.datetime,
    members_present: Iterable[User],
    agenda: Iterable[Dossier],
    quorum: int,
    location: str = "",
) -> CommitteeMeeting:
    """Change a meeting's date, attendance, quorum or agenda. A dossier already decided at
    this meeting stays on its agenda: the minutes must show it."""
    if not actor.is_staff:
        raise DomainError(_("Seule l'équipe de la GEN organise les séances."), code="forbidden")
    meeting = CommitteeMeeting.objects.select_for_update().get(pk=meeting.pk)
    members, dossiers = list(members_present), list(agenda)
    _meeting_checks(meeting.call, members, dossiers, quorum)
    decided = set(meeting.decisions.values_list("dossier_id", flat=True))
    if decided - {dossier.pk for dossier in dossiers}:
        raise DomainError(
            _("Un dossier déjà décidé en séance reste à l'ordre du jour."), code="agenda"
        )
    meeting.date = date
    meeting.quorum = quorum
    meeting.location = location.strip()
    meeting.save(update_fields=["date", "quorum", "location"])
    meeting.members_present.set(members)
    meeting.agenda.set(dossiers)
    return meeting


@transaction.atomic
def meeting_minutes_save(*, meeting: CommitteeMeeting, minutes: str, actor: User) -> None:
    if not actor.is_staff:
        raise DomainError(_("Seule l'équipe de la GEN rédige le procès-verbal."), code="forbidden")
    CommitteeMeeting.objects.filter(pk=meeting.pk).update(minutes=minutes.strip())
