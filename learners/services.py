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

from django.db import transaction

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
    learner_ids = _learner_ids(learners.keys())

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
    enrollment_ids = _enrollment_ids(enrollments.keys())

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
