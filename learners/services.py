"""Writes on learners, enrollments and their follow-up situations.

`enrollments_upsert` is the single write path for enrollment records, whatever they come
from (CSV import, declaration screens, demo network): it writes in batches, a few queries
per batch whatever the batch size, and is idempotent (same records twice change nothing;
records with new follow-up situations update them).
"""

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.db import connection, transaction
from django.utils import timezone

from outcomes.models import FollowUp

from .models import Enrollment, Learner

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
