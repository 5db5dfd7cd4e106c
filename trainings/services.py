"""Writes on organisations, trainings, labels and sessions."""

import datetime
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, User
from gen_portal.dates import add_months
from gen_portal.errors import DomainError
from outcomes.open_data.services import open_data_refresh_on_commit

from .geo import region_of
from .models import Label, Organisation, Session, Training
from .validators import siret_is_valid

TRAINING_FIELDS = (
    "title",
    "description",
    "targeted_jobs",
    "duration_months",
    "hours",
    "is_free",
    "price",
    "site_address",
    "site_postcode",
    "site_city",
    "commune_code",
    "department_code",
    "region_code",
    "site_qpv",
    "qpv_code",
)


@transaction.atomic
def organisation_create(
    *,
    name: str,
    siret: str,
    department_code: str,
    address: str = "",
    postcode: str = "",
    city: str = "",
    commune_code: str = "",
    creator: User | None = None,
) -> Organisation:
    siret = siret.replace(" ", "")
    if not siret_is_valid(siret):
        raise DomainError(
            _("Ce SIRET n'est pas valide (14 chiffres, clé de contrôle)."), code="siret"
        )
    region = region_of(department_code)
    if region is None:
        raise DomainError(_("Département inconnu : %(code)s") % {"code": department_code})
    if Organisation.objects.filter(siret=siret).exists():
        raise DomainError(
            _(
                "Une organisation avec ce SIRET est déjà inscrite sur le portail. Demandez à "
                "l'un de ses membres de vous inviter depuis son espace, ou écrivez à l'équipe "
                "de la GEN."
            ),
            code="siret_taken",
        )
    try:
        organisation = Organisation.objects.create(
            name=name.strip(),
            siret=siret,
            address=address,
            postcode=postcode,
            city=city,
            commune_code=commune_code,
            department_code=department_code,
            region_code=region,
        )
    except IntegrityError:
        # Two people registering the same SIRET at the same moment: the loser gets the
        # same message as if they had come second.
        raise DomainError(
            _("Une organisation avec ce SIRET est déjà inscrite sur le portail."),
            code="siret_taken",
        ) from None
    if creator is not None:
        Membership.objects.create(
            user=creator, organisation=organisation, role=Membership.Role.ADMIN
        )
    return organisation


@transaction.atomic
def training_create(*, organisation: Organisation, code: str | None = None, **fields) -> Training:
    """Create a training. Without a code, it gets the next `GEN-00042` number, taken from its
    own primary key so concurrent creations never collide."""
    unknown = set(fields) - set(TRAINING_FIELDS)
    if unknown:
        raise TypeError(f"unknown training fields: {sorted(unknown)}")
    if not fields.get("region_code"):
        fields["region_code"] = region_of(fields.get("department_code", "")) or ""
    training = Training.objects.create(
        organisation=organisation, code=code or f"TMP-{uuid.uuid4().hex[:16]}", **fields
    )
    if code is None:
        training.code = f"GEN-{training.pk:05d}"
        training.save(update_fields=["code"])
    open_data_refresh_on_commit()
    return training


@transaction.atomic
def label_grant(
    *,
    training: Training,
    start_date: datetime.date,
    duration_months: int = 36,
    end_date: datetime.date | None = None,
    call=None,
    decision=None,
) -> Label:
    end = end_date or add_months(start_date, duration_months)
    label = Label.objects.create(
        training=training, call=call, decision=decision, start_date=start_date, end_date=end
    )
    open_data_refresh_on_commit()
    return label


@transaction.atomic
def labels_expire(*, today: datetime.date) -> int:
    """Mark active labels whose end date has passed as expired. Running it twice is harmless:
    the second run finds nothing to change.

    The public catalogue and open data judge labels by their dates, not by this status, so
    they drop an ended label on the first day after its end even before this runs. The
    open-data refresh is still asked, like after any label change: a file whose content did
    not change keeps its date."""
    expired = Label.objects.filter(status=Label.Status.ACTIVE, end_date__lt=today).update(
        status=Label.Status.EXPIRED
    )
    if expired:
        open_data_refresh_on_commit()
    return expired


@transaction.atomic
def label_withdraw(*, label: Label, reason: str, actor: User) -> Label:
    label = Label.objects.select_for_update().get(pk=label.pk)
    if not reason.strip():
        raise DomainError(_("Le motif du retrait est obligatoire."), code="reason_required")
    if label.status != Label.Status.ACTIVE:
        raise DomainError(_("Seul un label actif peut être retiré."), code="not_active")
    label.status = Label.Status.WITHDRAWN
    label.withdrawal_reason = reason.strip()
    label.withdrawn_at = timezone.now()
    label.withdrawn_by = actor
    label.save(update_fields=["status", "withdrawal_reason", "withdrawn_at", "withdrawn_by"])
    open_data_refresh_on_commit()
    return label


def _session_check(
    *,
    training_id: int,
    start_date: datetime.date,
    end_date: datetime.date,
    capacity: int | None,
    exclude: Session | None = None,
) -> None:
    if end_date < start_date:
        raise DomainError(_("La fin de la session précède son début."), code="dates")
    if capacity is not None and capacity < 1:
        raise DomainError(_("Le nombre de places doit être d'au moins 1."), code="capacity")
    others = Session.objects.filter(training_id=training_id, start_date=start_date)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    if others.exists():
        raise DomainError(
            _(
                "Une autre session de cette formation commence déjà le %(date)s : modifiez-la "
                "plutôt que d'en déclarer une seconde."
            )
            % {"date": start_date.strftime("%d/%m/%Y")},
            code="session_exists",
        )


@transaction.atomic
def session_create(
    *,
    training: Training,
    start_date: datetime.date,
    end_date: datetime.date,
    capacity: int | None = None,
    place: str = "",
) -> Session:
    """Create a session (cohort) of `training`. A session of the training starting the same
    day is the same one: given again with the same details, it is returned unchanged (a
    replayed form, a demo loaded twice); with other details, refused, so nothing the user
    typed is silently dropped."""
    place = place.strip()
    existing = Session.objects.filter(training=training, start_date=start_date).first()
    if existing is not None and (existing.end_date, existing.capacity, existing.place) == (
        end_date,
        capacity,
        place,
    ):
        return existing
    _session_check(
        training_id=training.pk, start_date=start_date, end_date=end_date, capacity=capacity
    )
    session = Session.objects.create(
        training=training, start_date=start_date, end_date=end_date, capacity=capacity, place=place
    )
    # Upcoming sessions are in the public catalogue and the open data.
    open_data_refresh_on_commit()
    return session


@transaction.atomic
def session_update(
    *,
    session: Session,
    start_date: datetime.date,
    end_date: datetime.date,
    capacity: int | None = None,
    place: str = "",
) -> Session:
    """Change the dates, capacity or place of a session. Its training never changes: its
    enrollments were declared in that training."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    _session_check(
        training_id=session.training_id,
        start_date=start_date,
        end_date=end_date,
        capacity=capacity,
        exclude=session,
    )
    session.start_date = start_date
    session.end_date = end_date
    session.capacity = capacity
    session.place = place.strip()
    session.save(update_fields=["start_date", "end_date", "capacity", "place"])
    open_data_refresh_on_commit()
    return session


@transaction.atomic
def session_delete(*, session: Session) -> None:
    """Remove a session announced by mistake (it leaves the catalogue and the open data).

    Refused once an enrollment points to it: deleting would silently detach those learners
    from their cohort (the foreign key is SET_NULL), which is a loss of declared data."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.enrollments.exists():
        raise DomainError(
            _(
                "Cette session a des inscriptions : elle ne peut pas être supprimée. "
                "Corrigez plutôt ses dates ou son lieu."
            ),
            code="session_has_enrollments",
        )
    session.delete()
    open_data_refresh_on_commit()
