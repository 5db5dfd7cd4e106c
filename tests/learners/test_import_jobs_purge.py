"""The hourly purge of import uploads and reports (docs/privacy.md, "CSV imports")."""

from __future__ import annotations

import datetime
import os

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from learners import tasks
from learners.imports import jobs
from learners.models import IMPORT_UPLOAD_DIR, ImportJob
from tests.factories import ImportJobFactory

pytestmark = pytest.mark.django_db

State = ImportJob.State
MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def _aged(job: ImportJob, age: datetime.timedelta, **fields) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - age, **fields)
    job.refresh_from_db()
    return job


def _stored(job: ImportJob) -> bool:
    return bool(job.file) and job.file.storage.exists(job.file.name)


def test_unconfirmed_file_is_deleted_after_24_hours():
    old = _aged(ImportJobFactory(), 25 * HOUR)
    recent = _aged(ImportJobFactory(), 23 * HOUR)
    old_name, storage = old.file.name, old.file.storage

    purged = jobs.import_jobs_purge()

    old.refresh_from_db()
    recent.refresh_from_db()
    assert purged["expired"] == 1
    assert old.state == State.EXPIRED and old.finished_at is not None
    assert not old.file and not storage.exists(old_name)
    assert recent.state == State.VALID and _stored(recent)


@pytest.mark.parametrize("state", [State.QUEUED, State.VALIDATING])
def test_upload_never_validated_expires_too(state):
    job = _aged(ImportJobFactory(state=state), 25 * HOUR)

    jobs.import_jobs_purge()

    job.refresh_from_db()
    assert job.state == State.EXPIRED
    assert not job.file


def test_import_confirmed_a_day_ago_and_never_finished_is_failed():
    now = timezone.now()
    lost = _aged(
        ImportJobFactory(state=State.IMPORTING, confirmed_at=now - 25 * HOUR),
        26 * HOUR,
    )
    running = _aged(
        ImportJobFactory(state=State.IMPORTING, confirmed_at=now - HOUR, started_at=now),
        26 * HOUR,
    )

    purged = jobs.import_jobs_purge()

    lost.refresh_from_db()
    running.refresh_from_db()
    assert purged["interrupted"] == 1
    assert lost.state == State.FAILED and not lost.file
    assert running.state == State.IMPORTING and _stored(running)


def test_file_left_behind_by_a_finished_job_is_deleted():
    job = ImportJobFactory(
        state=State.DONE, confirmed_at=timezone.now(), finished_at=timezone.now()
    )
    name, storage = job.file.name, job.file.storage
    assert storage.exists(name)

    purged = jobs.import_jobs_purge()

    job.refresh_from_db()
    assert purged["files"] == 1
    assert not job.file and not storage.exists(name)


def test_reports_are_kept_30_days_after_the_job_ended():
    now = timezone.now()
    old = ImportJobFactory(done=True)
    ImportJob.objects.filter(pk=old.pk).update(finished_at=now - 31 * DAY)
    kept = ImportJobFactory(done=True)
    ImportJob.objects.filter(pk=kept.pk).update(finished_at=now - 29 * DAY)
    waiting = _aged(ImportJobFactory(), 40 * DAY)  # expires now, its report stays 30 days

    purged = jobs.import_jobs_purge()

    assert purged["jobs"] == 1
    assert set(ImportJob.objects.values_list("pk", flat=True)) == {kept.pk, waiting.pk}


def test_orphan_upload_without_a_job_is_deleted_after_24_hours():
    storage = ImportJob._meta.get_field("file").storage
    old = storage.save(f"{IMPORT_UPLOAD_DIR}/orphan-old.csv", ContentFile(b"x"))
    new = storage.save(f"{IMPORT_UPLOAD_DIR}/orphan-new.csv", ContentFile(b"x"))
    held = ImportJobFactory()
    day_ago = (timezone.now() - 25 * HOUR).timestamp()
    for name in (old, held.file.name):
        os.utime(storage.path(name), (day_ago, day_ago))

    purged = jobs.import_jobs_purge()

    assert purged["orphans"] == 1
    assert not storage.exists(old)
    assert storage.exists(new)
    assert storage.exists(held.file.name)  # its job decides, not its age on disk


def test_purge_with_nothing_stored_yet_does_nothing():
    assert jobs.import_jobs_purge() == {
        "expired": 0,
        "interrupted": 0,
        "files": 0,
        "jobs": 0,
        "orphans": 0,
    }


def test_purge_twice_changes_nothing_the_second_time():
    _aged(ImportJobFactory(), 25 * HOUR)
    jobs.import_jobs_purge()
    before = list(ImportJob.objects.values())

    again = tasks.import_jobs_purge()

    assert set(again.values()) == {0}
    assert list(ImportJob.objects.values()) == before


def test_purge_runs_every_hour_from_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["import-jobs-purge"]

    assert entry["task"] == "learners.tasks.import_jobs_purge"
    assert entry["task"] == tasks.import_jobs_purge.name
    assert entry["schedule"].hour == set(range(24))
    assert len(entry["schedule"].minute) == 1


# --- resuming jobs whose message or worker was lost --------------------------------------------


def test_jobs_lost_on_the_way_are_queued_again(monkeypatch):
    now = timezone.now()
    queued = []
    monkeypatch.setattr(jobs, "_enqueue", lambda name, job_id: queued.append((name, job_id)))
    lost_message = _aged(ImportJobFactory(state=State.QUEUED), 11 * MINUTE)
    just_queued = ImportJobFactory(state=State.QUEUED)
    killed = ImportJobFactory(state=State.VALIDATING, started_at=now - jobs._stale_after() - MINUTE)
    working = ImportJobFactory(state=State.VALIDATING, started_at=now - MINUTE)
    confirmed_lost = ImportJobFactory(
        state=State.IMPORTING, confirmed_at=now - 11 * MINUTE, started_at=None
    )
    killed_writing = ImportJobFactory(
        state=State.IMPORTING,
        confirmed_at=now - HOUR,
        started_at=now - jobs._stale_after() - MINUTE,
    )

    resumed = jobs.import_jobs_resume(now=now)

    assert resumed == 4
    assert sorted(queued) == sorted(
        [
            ("import_job_validate", lost_message.pk),
            ("import_job_validate", killed.pk),
            ("import_job_import", confirmed_lost.pk),
            ("import_job_import", killed_writing.pk),
        ]
    )
    assert just_queued.pk not in {job_id for _name, job_id in queued}
    assert working.pk not in {job_id for _name, job_id in queued}


def test_a_resumed_validation_is_taken_over_and_finished():
    job = ImportJobFactory(
        state=State.VALIDATING, started_at=timezone.now() - jobs._stale_after() - MINUTE
    )

    tasks.import_jobs_purge()  # eager: the queued validation runs at once

    job.refresh_from_db()
    assert job.state in (State.VALID, State.INVALID)
    assert job.started_at > timezone.now() - MINUTE
