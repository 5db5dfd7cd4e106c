"""Writes on learners, enrollments and their follow-up situations.

`enrollments_upsert` is the single write path for enrollment records, whatever they come
from (CSV import, declaration screens, demo network): it writes in batches, a few queries
per batch whatever the batch size, and is idempotent (same records twice change nothing;
records with new follow-up situations update them). An enrollment's session is written
when the enrollment is created and never changed by a later record: learners.csv has no
session column, so a re-import must not erase the session a declaration screen gave.
"""

import datetime
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice

from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from gen_portal.dates import add_months
from gen_portal.errors import DomainError
from outcomes.models import FollowUp
from outcomes.situations import MILESTONE_MONTHS, Milestone, Situation
from trainings.models import Session, Training

from .models import Enrollment, ExitReason, Learner, Sex, SituationAtEntry

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000


@dataclass(frozen=True)
class EnrollmentRecord:
    organisation_id: int
    training_id: int
    learner_ref: str
    entry_date: datetime.date
    sex: str = ""
    birth_year: int | None = None
    situation_at_entry: str = ""
    qpv_resident: bool | None = None
    qpv_code: str = ""
    diploma_level: str = ""
    free_access: bool | None = None
    # Written on creation only (see the module's docstring).
    session_id: int | None = None
    exit_date: datetime.date | None = None
    exit_reason: str = ""
    # milestone code -> situation code, for the milestones the record knows.
    followups: dict[str, str] = field(default_factory=dict)


@dataclass
class UpsertResult:
    learners: int = 0
    enrollments: int = 0
    followups: int = 0


def _batches(records: Iterable[EnrollmentRecord], size: int) -> Iterator[list[EnrollmentRecord]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


def enrollments_upsert(
    *,
    records: Iterable[EnrollmentRecord],
    followup_source: str = FollowUp.Source.DECLARED,
    batch_size: int = BATCH_SIZE,
) -> UpsertResult:
    """Create or update the learners, enrollments and follow-ups of `records`.

    Runs in one transaction: either every record is written or none is.
    """
    result = UpsertResult()
    with transaction.atomic():
        for batch in _batches(records, batch_size):
            _write_batch(batch, followup_source, result)
    return result


def _write_batch(batch: list[EnrollmentRecord], source: str, result: UpsertResult) -> None:
    if _postgresql_with_psycopg2():
        _write_batch_postgresql(batch, source, result)
    else:
        _write_batch_orm(batch, source, result)


def _postgresql_with_psycopg2() -> bool:
    if connection.vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return not is_psycopg3


def _write_batch_orm(batch: list[EnrollmentRecord], source: str, result: UpsertResult) -> None:
    learners = {}
    for record in batch:
        learners[(record.organisation_id, record.learner_ref)] = Learner(
            organisation_id=record.organisation_id,
            learner_ref=record.learner_ref,
            sex=record.sex,
            birth_year=record.birth_year,
        )
    Learner.objects.bulk_create(
        learners.values(),
        update_conflicts=True,
        unique_fields=["organisation", "learner_ref"],
        update_fields=["sex", "birth_year"],
    )
    result.learners += len(learners)
    learner_ids = _returned_ids(learners) or _learner_ids(learners.keys())

    enrollments = {}
    for record in batch:
        learner_id = learner_ids[(record.organisation_id, record.learner_ref)]
        enrollments[(learner_id, record.training_id, record.entry_date)] = Enrollment(
            learner_id=learner_id,
            training_id=record.training_id,
            entry_date=record.entry_date,
            situation_at_entry=record.situation_at_entry,
            qpv_resident=record.qpv_resident,
            qpv_code=record.qpv_code,
            diploma_level=record.diploma_level,
            free_access=record.free_access,
            session_id=record.session_id,
            exit_date=record.exit_date,
            exit_reason=record.exit_reason,
        )
    Enrollment.objects.bulk_create(
        enrollments.values(),
        update_conflicts=True,
        unique_fields=["learner", "training", "entry_date"],
        update_fields=[
            "situation_at_entry",
            "qpv_resident",
            "qpv_code",
            "diploma_level",
            "free_access",
            "exit_date",
            "exit_reason",
        ],
    )
    result.enrollments += len(enrollments)
    enrollment_ids = _returned_ids(enrollments) or _enrollment_ids(enrollments.keys())

    followups = []
    for record in batch:
        if not record.followups:
            continue
        learner_id = learner_ids[(record.organisation_id, record.learner_ref)]
        enrollment_id = enrollment_ids[(learner_id, record.training_id, record.entry_date)]
        for milestone, situation in record.followups.items():
            followups.append(
                FollowUp(
                    enrollment_id=enrollment_id,
                    milestone=milestone,
                    situation=situation,
                    source=source,
                )
            )
    if followups:
        FollowUp.objects.bulk_create(
            followups,
            update_conflicts=True,
            unique_fields=["enrollment", "milestone"],
            update_fields=["situation", "source"],
        )
    result.followups += len(followups)


def _write_batch_postgresql(
    batch: list[EnrollmentRecord], source: str, result: UpsertResult
) -> None:
    """The same three upserts as `_write_batch_orm`, written as SQL: building and compiling
    model instances cost more than the database's own work at import sizes (about 20 s of
    a 46 s import of 100,000 rows; see docs/performance.md). Same columns, conflict
    targets and updated columns; auto timestamps set on insert only, as the ORM does. Each
    statement returns its rows' keys with their ids, so nothing is selected back."""
    now = timezone.now()
    learners = {}
    for record in batch:
        learners[(record.organisation_id, record.learner_ref)] = (
            record.organisation_id,
            record.learner_ref,
            record.sex,
            record.birth_year,
        )
    returned = _upsert(
        Learner,
        fields=("organisation", "learner_ref", "sex", "birth_year"),
        now=now,
        now_fields=("created_at",),
        unique=("organisation", "learner_ref"),
        update=("sex", "birth_year"),
        returning=("organisation", "learner_ref", "id"),
        rows=learners.values(),
    )
    learner_ids = {(organisation, ref): pk for organisation, ref, pk in returned}
    result.learners += len(learners)

    enrollments = {}
    for record in batch:
        learner_id = learner_ids[(record.organisation_id, record.learner_ref)]
        enrollments[(learner_id, record.training_id, record.entry_date)] = (
            learner_id,
            record.training_id,
            record.entry_date,
            record.situation_at_entry,
            record.qpv_resident,
            record.qpv_code,
            record.diploma_level,
            record.free_access,
            record.session_id,
            record.exit_date,
            record.exit_reason,
        )
    returned = _upsert(
        Enrollment,
        fields=(
            "learner",
            "training",
            "entry_date",
            "situation_at_entry",
            "qpv_resident",
            "qpv_code",
            "diploma_level",
            "free_access",
            "session",
            "exit_date",
            "exit_reason",
        ),
        now=now,
        now_fields=("updated_at",),
        unique=("learner", "training", "entry_date"),
        update=(
            "situation_at_entry",
            "qpv_resident",
            "qpv_code",
            "diploma_level",
            "free_access",
            "exit_date",
            "exit_reason",
        ),
        returning=("learner", "training", "entry_date", "id"),
        rows=enrollments.values(),
    )
    enrollment_ids = {(lid, tid, day): pk for lid, tid, day, pk in returned}
    result.enrollments += len(enrollments)

    followups = []
    for record in batch:
        if not record.followups:
            continue
        learner_id = learner_ids[(record.organisation_id, record.learner_ref)]
        enrollment_id = enrollment_ids[(learner_id, record.training_id, record.entry_date)]
        for milestone, situation in record.followups.items():
            followups.append((enrollment_id, milestone, situation, source))
    if followups:
        _upsert(
            FollowUp,
            fields=("enrollment", "milestone", "situation", "source"),
            now=now,
            now_fields=("updated_at",),
            unique=("enrollment", "milestone"),
            update=("situation", "source"),
            returning=(),
            rows=followups,
        )
    result.followups += len(followups)


def _upsert(model, *, fields, unique, update, returning, rows, now=None, now_fields=()):
    """INSERT ... ON CONFLICT (unique) DO UPDATE SET update ... RETURNING returning, for all
    `rows` in one statement. The values travel as one array literal per column, unnested by
    the database: a few bound strings per batch, not one bound value per cell."""
    rows = list(rows)
    if not rows:
        return []
    meta = model._meta
    quote = connection.ops.quote_name

    def columns(names) -> str:
        return ", ".join(quote(meta.get_field(name).column) for name in names)

    aliases = [f"c{position}" for position in range(len(fields))]
    arrays = ", ".join(f"%s::{meta.get_field(name).db_type(connection)}[]" for name in fields)
    assignments = ", ".join(
        f"{quote(meta.get_field(name).column)} = EXCLUDED.{quote(meta.get_field(name).column)}"
        for name in update
    )
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns([*fields, *now_fields])}) "  # noqa: S608 (names from the models, values bound)
        f"SELECT {', '.join([*aliases, *['%s'] * len(now_fields)])} "
        f"FROM unnest({arrays}) AS t({', '.join(aliases)}) "
        f"ON CONFLICT ({columns(unique)}) DO UPDATE SET {assignments}"
    )
    if returning:
        sql += f" RETURNING {columns(returning)}"
    params = [now] * len(now_fields) + [
        _array_literal(values) for values in zip(*rows, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if returning else []


def _array_literal(values) -> str:
    """A PostgreSQL array literal ('{1,NULL,"a\\"b"}') for one column, bound as one string
    and cast by the statement: letting the driver adapt each element costs more than the
    insert itself. Text is always quoted and escaped, so any value round-trips."""
    parts = []
    append = parts.append
    for value in values:
        kind = type(value)
        if value is None:
            append("NULL")
        elif kind is str:
            append('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"')
        elif kind is bool:
            append("t" if value else "f")
        elif kind is int or kind is datetime.date:
            append(str(value))  # digits, or an ISO date
        else:
            append('"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(parts) + "}"


def _returned_ids(objects: dict) -> dict:
    """The primary keys the upsert itself returned (PostgreSQL, SQLite >= 3.35 return the
    inserted and the updated rows alike), sparing a query that, inside a long import's
    transaction, the planner runs against statistics of a table still empty. Empty when any
    row came back without its key: the caller then selects them."""
    ids = {}
    for key, instance in objects.items():
        if instance.pk is None:
            return {}
        ids[key] = instance.pk
    return ids


def _learner_ids(keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], int]:
    # One query per organisation present in the batch (usually one), not one per learner.
    by_org: dict[int, list[str]] = {}
    for organisation_id, ref in keys:
        by_org.setdefault(organisation_id, []).append(ref)
    ids = {}
    for organisation_id, refs in by_org.items():
        rows = Learner.objects.filter(
            organisation_id=organisation_id, learner_ref__in=refs
        ).values_list("learner_ref", "pk")
        ids.update({(organisation_id, ref): pk for ref, pk in rows})
    return ids


def _enrollment_ids(
    keys: Iterable[tuple[int, int, datetime.date]],
) -> dict[tuple[int, int, datetime.date], int]:
    keys = list(keys)
    learner_ids = {learner_id for learner_id, _t, _d in keys}
    rows = Enrollment.objects.filter(learner_id__in=learner_ids).values_list(
        "learner_id", "training_id", "entry_date", "pk"
    )
    return {(lid, tid, day): pk for lid, tid, day, pk in rows}


@transaction.atomic
def learner_forget(*, learner: Learner) -> int:
    """Delete a learner and everything recorded about them (enrollments, follow-ups)."""
    deleted, _details = Learner.objects.filter(pk=learner.pk).delete()
    return deleted


@transaction.atomic
def followup_declare(
    *,
    enrollment: Enrollment,
    milestone: str,
    situation: str,
    actor,
    observed_on: datetime.date | None = None,
    today: datetime.date | None = None,
) -> FollowUp:
    """Record (or correct) the situation of `enrollment` at `milestone` (exit, m3, m6, m12).

    Refused before the learner has left the training, and before the milestone's date
    (exit + K months): a situation "at 6 months" observed after 2 months would skew the
    indicators.
    """
    # Imported here to keep this addition self-contained at the end of the module.
    import logging

    from django.utils.formats import date_format
    from django.utils.translation import gettext as _

    from gen_portal.dates import add_months
    from gen_portal.errors import DomainError
    from outcomes.situations import MILESTONE_MONTHS, Milestone, Situation

    if milestone not in Milestone.values:
        raise DomainError(_("Échéance de suivi inconnue."), code="milestone_unknown")
    if situation not in Situation.values:
        raise DomainError(_("Situation inconnue."), code="situation_unknown")
    if enrollment.exit_date is None:
        raise DomainError(
            _("Cet apprenant n'est pas sorti de formation : aucune situation de suivi à déclarer."),
            code="not_exited",
        )
    today = today or timezone.localdate()
    due_on = add_months(enrollment.exit_date, MILESTONE_MONTHS[Milestone(milestone)])
    if due_on > today:
        raise DomainError(
            _(
                "L'échéance « %(milestone)s » tombe le %(date)s : sa situation ne peut pas "
                "être déclarée avant cette date."
            )
            % {"milestone": Milestone(milestone).label, "date": date_format(due_on, "d/m/Y")},
            code="milestone_in_future",
        )
    followup, _created = FollowUp.objects.update_or_create(
        enrollment=enrollment,
        milestone=milestone,
        defaults={
            "situation": situation,
            "observed_on": observed_on,
            "source": FollowUp.Source.DECLARED,
        },
    )
    logging.getLogger(__name__).info(
        "follow-up %s of enrollment %s declared by user %s",
        milestone,
        enrollment.pk,
        getattr(actor, "pk", None),
    )
    return followup


# --- declaration screens ------------------------------------------------------------------


def _day(value: datetime.date) -> str:
    return date_format(value, "d/m/Y")


def _refusal(code: str, **params) -> DomainError:
    """A refusal worded as the import's report words the same rule."""
    # Imported here: the import engine (learners.imports) imports this module.
    from .imports.report import reason_sentence

    return DomainError(reason_sentence(code, **params), code=code)


def _check_record(record: EnrollmentRecord, *, today: datetime.date) -> None:
    """The rules of learners.csv for one record, checked by the import's own functions,
    plus the one rule of a declaration: nothing dated after today (a declaration says what
    has happened; the indicators would ignore a future date anyway)."""
    from .imports import values  # see `_refusal`

    try:
        values.learner_ref(
            record.learner_ref, max_length=Learner._meta.get_field("learner_ref").max_length
        )
        if record.birth_year is not None:
            values.birth_year(str(record.birth_year), today=today)
    except values.Invalid as problem:
        raise _refusal(problem.code, **problem.params) from None
    if record.sex not in Sex.values:
        raise _refusal("sex")
    if record.situation_at_entry not in SituationAtEntry.values:
        raise _refusal("situation_at_entry")
    if record.exit_reason not in ExitReason.values:
        raise _refusal("exit_reason")
    for situation in record.followups.values():
        if situation not in Situation.values:
            raise _refusal("situation", codes=values.SITUATION_CODES)
    problems = values.enrollment_problems(
        entry_date=record.entry_date,
        exit_date=record.exit_date,
        exit_given=record.exit_date is not None,
        exit_reason=record.exit_reason,
        milestones=record.followups,
    )
    if problems:
        raise _refusal(problems[0][1])
    if record.entry_date > today:
        raise DomainError(
            _("La date d'entrée ne peut pas être postérieure à aujourd'hui (%(today)s).")
            % {"today": _day(today)},
            code="entry_date_future",
        )
    if record.exit_date is not None and record.exit_date > today:
        raise DomainError(
            _("La date de sortie ne peut pas être postérieure à aujourd'hui (%(today)s).")
            % {"today": _day(today)},
            code="exit_date_future",
        )


@transaction.atomic
def enrollment_declare(
    *, record: EnrollmentRecord, actor, today: datetime.date | None = None
) -> Enrollment:
    """Declare one enrollment from the declaration screen, written by `enrollments_upsert`
    like an imported row, with the import's rules.

    Refused where an import would silently update: an enrollment already declared (same
    learner, training and entry date), and a learner already known with another sex or
    birth year. An unknown sex or birth year keeps the known one, as in an import. The
    session, if any, must be one of the training's.
    """
    today = today or timezone.localdate()
    _check_record(record, today=today)
    if not Training.objects.filter(
        pk=record.training_id, organisation_id=record.organisation_id
    ).exists():
        raise _refusal("training_forbidden")
    if (
        record.session_id is not None
        and not Session.objects.filter(
            pk=record.session_id, training_id=record.training_id
        ).exists()
    ):
        raise DomainError(
            _("Cette session n'est pas une session de la formation choisie."),
            code="session_other_training",
        )
    learner = (
        Learner.objects.select_for_update()
        .filter(organisation_id=record.organisation_id, learner_ref=record.learner_ref)
        .first()
    )
    if learner is not None:
        if learner.enrollments.filter(
            training_id=record.training_id, entry_date=record.entry_date
        ).exists():
            raise DomainError(
                _(
                    "L'apprenant %(ref)s est déjà inscrit à cette formation avec une entrée "
                    "le %(date)s : retrouvez son inscription dans la liste des apprenants."
                )
                % {"ref": record.learner_ref, "date": _day(record.entry_date)},
                code="duplicate_enrollment",
            )
        if record.sex and learner.sex and record.sex != learner.sex:
            raise DomainError(
                _(
                    "La référence %(ref)s désigne déjà un apprenant de votre organisme, "
                    "enregistré avec le sexe « %(sex)s » : vérifiez la référence, ou "
                    "choisissez « Non renseigné » pour garder la valeur connue."
                )
                % {"ref": record.learner_ref, "sex": learner.get_sex_display()},
                code="sex_conflict",
            )
        if record.birth_year and learner.birth_year and record.birth_year != learner.birth_year:
            raise DomainError(
                _(
                    "La référence %(ref)s désigne déjà un apprenant de votre organisme, né en "
                    "%(year)s : vérifiez la référence, ou laissez l'année vide pour garder la "
                    "valeur connue."
                )
                % {"ref": record.learner_ref, "year": learner.birth_year},
                code="birth_year_conflict",
            )
        record = replace(
            record,
            sex=record.sex or learner.sex,
            birth_year=record.birth_year or learner.birth_year,
        )
    enrollments_upsert(records=[record], followup_source=FollowUp.Source.DECLARED)
    enrollment = Enrollment.objects.select_related("learner", "training", "session").get(
        learner__organisation_id=record.organisation_id,
        learner__learner_ref=record.learner_ref,
        training_id=record.training_id,
        entry_date=record.entry_date,
    )
    logger.info("enrollment %s declared by user %s", enrollment.pk, getattr(actor, "pk", None))
    return enrollment


@transaction.atomic
def enrollment_exit_declare(
    *,
    enrollment: Enrollment,
    exit_date: datetime.date,
    exit_reason: str,
    situation: str = "",
    actor,
    today: datetime.date | None = None,
) -> Enrollment:
    """Declare (or correct) the exit of `enrollment` and, when known, the situation at exit,
    written by `enrollments_upsert` with the import's rules (an exit not before the entry,
    a reason with every exit) and not after today.

    An empty `situation` leaves a declared one in place, as an empty cell of an import does.
    Refused when a situation already declared at 3, 6 or 12 months would fall before its
    milestone with the new exit date (`followup_declare` refuses those too).
    """
    today = today or timezone.localdate()
    locked = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    learner = Learner.objects.get(pk=locked.learner_id)
    record = EnrollmentRecord(
        organisation_id=learner.organisation_id,
        training_id=locked.training_id,
        learner_ref=learner.learner_ref,
        entry_date=locked.entry_date,
        sex=learner.sex,
        birth_year=learner.birth_year,
        situation_at_entry=locked.situation_at_entry,
        qpv_resident=locked.qpv_resident,
        qpv_code=locked.qpv_code,
        diploma_level=locked.diploma_level,
        free_access=locked.free_access,
        session_id=locked.session_id,
        exit_date=exit_date,
        exit_reason=exit_reason,
        followups={Milestone.EXIT.value: situation} if situation else {},
    )
    _check_record(record, today=today)
    declared = FollowUp.objects.filter(enrollment=locked).exclude(milestone=Milestone.EXIT)
    milestones = declared.values_list("milestone", flat=True)
    for milestone in sorted(milestones, key=lambda code: MILESTONE_MONTHS[Milestone(code)]):
        due_on = add_months(exit_date, MILESTONE_MONTHS[Milestone(milestone)])
        if due_on > today:
            raise DomainError(
                _(
                    "Une situation « %(milestone)s » est déjà déclarée : avec une sortie le "
                    "%(exit)s, son échéance (le %(due)s) ne serait pas encore passée."
                )
                % {
                    "milestone": Milestone(milestone).label,
                    "exit": _day(exit_date),
                    "due": _day(due_on),
                },
                code="followup_not_due",
            )
    enrollments_upsert(records=[record], followup_source=FollowUp.Source.DECLARED)
    locked.refresh_from_db()
    logger.info("exit of enrollment %s declared by user %s", locked.pk, getattr(actor, "pk", None))
    return locked
