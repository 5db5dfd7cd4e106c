"""Import jobs (learners/imports/jobs.py): the states from upload to import, running twice,
failures that leave nothing written, and the progress recorded on the job row."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction
from django.utils import timezone

from gen_portal.errors import DomainError
from learners import services
from learners.imports import jobs
from learners.imports.progress import VALIDATE, WRITE, ImportProgress
from learners.imports.report import Report
from learners.models import Enrollment, ImportJob, Learner
from tests.factories import ImportJobFactory, TrainingFactory
from tests.services import service_unavailable

State = ImportJob.State

HEADER = "training_code;learner_ref;sex;qpv_resident;situation_at_entry;free_access;entry_date\n"


def _content(code: str, rows: int = 2, *, bad_sex_on: tuple[int, ...] = ()) -> bytes:
    lines = [
        f"{code};REF-{n};{'Q' if n in bad_sex_on else 'F'};non;job_seeker;oui;2024-09-02\n"
        for n in range(rows)
    ]
    return (HEADER + "".join(lines)).encode()


@pytest.fixture
def training_a(org_a):
    return TrainingFactory(organisation=org_a, code="GEN-08001")


@pytest.fixture
def make_job(applicant, org_a, django_capture_on_commit_callbacks):
    """A job created through the service, its validation run (eagerly) on commit."""

    def make(content: bytes, *, validate: bool = True) -> ImportJob:
        upload = SimpleUploadedFile("apprenants.csv", content, content_type="text/csv")
        with django_capture_on_commit_callbacks(execute=validate):
            job = jobs.import_job_create(
                kind=ImportJob.Kind.LEARNERS,
                upload=upload,
                uploaded_by=applicant,
                organisation=org_a,
            )
        job.refresh_from_db()
        return job

    return make


def _confirm(job, actor, capture):
    with capture(execute=True):
        jobs.import_job_confirm(job=job, actor=actor)
    job.refresh_from_db()
    return job


# --- creation and validation ----------------------------------------------------------------


@pytest.mark.django_db
def test_upload_is_stored_and_its_validation_queued_on_commit(make_job, training_a):
    job = make_job(_content(training_a.code), validate=False)

    assert job.state == State.QUEUED
    assert job.filename == "apprenants.csv"
    assert job.file_size == len(_content(training_a.code))
    assert job.file.storage.exists(job.file.name)


@pytest.mark.django_db
def test_create_queues_exactly_one_task_after_commit(
    applicant, org_a, training_a, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(jobs, "_enqueue", lambda name, job_id: queued.append((name, job_id)))
    upload = SimpleUploadedFile("a.csv", _content(training_a.code))

    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.import_job_create(
            kind="learners", upload=upload, uploaded_by=applicant, organisation=org_a
        )
        assert queued == []  # not before the row is committed

    assert queued == [("import_job_validate", job.pk)]


@pytest.mark.django_db
def test_member_cannot_create_a_job_for_another_organisation_or_trainings(
    applicant, org_b, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("a.csv", b"x\n")
    with pytest.raises(DomainError):
        jobs.import_job_create(
            kind="learners", upload=upload, uploaded_by=applicant, organisation=org_b
        )
    with pytest.raises(DomainError):
        jobs.import_job_create(kind="trainings", upload=upload, uploaded_by=applicant)
    with pytest.raises(DomainError):  # staff-wide learners import
        jobs.import_job_create(kind="learners", upload=upload, uploaded_by=applicant)
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_valid_file_waits_for_confirmation_with_the_counts_to_come(make_job, training_a):
    job = make_job(_content(training_a.code, rows=3))

    assert job.state == State.VALID
    assert job.counts == {"rows": 3, "learners": 3, "enrollments": 3, "followups": 0}
    assert (job.percent, job.rows_done, job.rows_total) == (100, 3, 3)
    assert job.validated_at is not None and job.finished_at is None
    assert job.file.storage.exists(job.file.name)
    assert not Learner.objects.exists()


@pytest.mark.django_db
def test_invalid_file_keeps_its_report_and_loses_its_file(make_job, training_a):
    job = make_job(_content(training_a.code, rows=5, bad_sex_on=(1, 3)), validate=False)
    stored = job.file.name
    storage = job.file.storage

    jobs.import_job_validate(job_id=job.pk)

    job.refresh_from_db()
    assert job.state == State.INVALID
    assert job.finished_at is not None
    assert not job.file and not storage.exists(stored)
    report = Report.from_data(job.report)
    assert report.as_text().splitlines() == [
        "ligne 3, colonne sex, valeur « Q » : sexe inconnu (F, M ou X attendu)",
        "ligne 5, colonne sex, valeur « Q » : sexe inconnu (F, M ou X attendu)",
    ]
    assert report.summary() == "2 lignes invalides : rien n'a été importé."


@pytest.mark.django_db
def test_validation_run_twice_does_the_work_once(make_job, training_a, monkeypatch):
    job = make_job(_content(training_a.code))
    calls = []
    monkeypatch.setattr(jobs, "_run_engine", lambda *args, **kwargs: calls.append(1))

    again = jobs.import_job_validate(job_id=job.pk)

    assert again.state == State.VALID
    assert calls == []


@pytest.mark.django_db
def test_validation_abandoned_by_a_lost_worker_is_taken_over(make_job, training_a):
    job = make_job(_content(training_a.code), validate=False)
    long_ago = timezone.now() - jobs._stale_after() - datetime.timedelta(seconds=1)
    ImportJob.objects.filter(pk=job.pk).update(state=State.VALIDATING, started_at=long_ago)

    assert jobs.import_job_validate(job_id=job.pk).state == State.VALID


@pytest.mark.django_db
def test_validation_in_another_worker_is_left_alone(make_job, training_a):
    job = make_job(_content(training_a.code), validate=False)
    ImportJob.objects.filter(pk=job.pk).update(state=State.VALIDATING, started_at=timezone.now())

    assert jobs.import_job_validate(job_id=job.pk).state == State.VALIDATING


@pytest.mark.django_db
def test_missing_job_is_ignored():
    assert jobs.import_job_validate(job_id=999_999) is None
    assert jobs.import_job_import(job_id=999_999) is None


# --- confirmation and import ----------------------------------------------------------------


@pytest.mark.django_db
def test_confirmed_file_is_imported_and_deleted(
    make_job, training_a, applicant, django_capture_on_commit_callbacks
):
    job = make_job(_content(training_a.code, rows=3))
    stored, storage = job.file.name, job.file.storage

    job = _confirm(job, applicant, django_capture_on_commit_callbacks)

    assert job.state == State.DONE
    assert job.confirmed_by == applicant
    assert job.counts["enrollments"] == 3
    assert (job.percent, job.rows_done) == (100, 3)
    assert not storage.exists(stored) and not job.file
    assert Enrollment.objects.filter(training=training_a).count() == 3


@pytest.mark.django_db
def test_confirmation_is_refused_after_the_delay(
    make_job, training_a, applicant, django_capture_on_commit_callbacks
):
    job = make_job(_content(training_a.code))
    later = job.created_at + datetime.timedelta(hours=jobs.UNCONFIRMED_HOURS, seconds=1)

    with pytest.raises(DomainError) as refused:
        jobs.import_job_confirm(job=job, actor=applicant, now=later)

    assert refused.value.code == "expired"
    job.refresh_from_db()
    assert job.state == State.VALID


@pytest.mark.django_db
def test_import_that_crashes_leaves_nothing_written(
    make_job, training_a, applicant, django_capture_on_commit_callbacks, monkeypatch
):
    job = make_job(_content(training_a.code, rows=3))
    write_batch = services._write_batch

    def write_then_crash(*args, **kwargs):
        write_batch(*args, **kwargs)  # rows are in the transaction...
        raise RuntimeError("disk full")  # ...which this rolls back

    monkeypatch.setattr(services, "_write_batch", write_then_crash)

    job = _confirm(job, applicant, django_capture_on_commit_callbacks)

    assert job.state == State.FAILED
    assert job.error == "RuntimeError: disk full"
    assert not job.file
    assert not Learner.objects.exists()
    assert not Enrollment.objects.exists()


@pytest.mark.django_db
def test_database_error_while_writing_fails_with_the_report(
    make_job, training_a, applicant, django_capture_on_commit_callbacks, monkeypatch
):
    job = make_job(_content(training_a.code))

    def refuse(*args, **kwargs):
        raise OperationalError("connection lost")

    monkeypatch.setattr(services, "_write_batch", refuse)

    job = _confirm(job, applicant, django_capture_on_commit_callbacks)

    assert job.state == State.FAILED
    assert Report.from_data(job.report).codes() == ["write_failed"]
    assert not Enrollment.objects.exists()


@pytest.mark.django_db
def test_rows_invalid_by_confirmation_time_fail_with_the_new_report(
    make_job, training_a, org_b, applicant, django_capture_on_commit_callbacks
):
    job = make_job(_content(training_a.code))
    training_a.organisation = org_b  # the training changed hands meanwhile
    training_a.save()

    job = _confirm(job, applicant, django_capture_on_commit_callbacks)

    assert job.state == State.FAILED
    assert set(Report.from_data(job.report).codes()) == {"training_forbidden"}
    assert not Enrollment.objects.exists()


@pytest.mark.django_db
def test_import_run_twice_imports_once(
    make_job, training_a, applicant, django_capture_on_commit_callbacks, monkeypatch
):
    job = _confirm(
        make_job(_content(training_a.code)), applicant, django_capture_on_commit_callbacks
    )
    calls = []
    monkeypatch.setattr(jobs, "_run_engine", lambda *args, **kwargs: calls.append(1))

    assert jobs.import_job_import(job_id=job.pk).state == State.DONE
    assert calls == []


@pytest.mark.django_db
def test_cancel_deletes_the_file_and_a_late_validation_records_nothing(
    make_job, training_a, django_capture_on_commit_callbacks
):
    job = make_job(_content(training_a.code), validate=False)
    stored, storage = job.file.name, job.file.storage

    with django_capture_on_commit_callbacks(execute=True):
        jobs.import_job_cancel(job=job)
    jobs.import_job_validate(job_id=job.pk)

    job.refresh_from_db()
    assert job.state == State.CANCELLED
    assert not storage.exists(stored)
    assert job.report == {}


@pytest.mark.django_db
def test_an_import_under_way_cannot_be_cancelled(org_a):
    job = ImportJobFactory(organisation=org_a, state=State.IMPORTING, confirmed_at=timezone.now())

    with pytest.raises(DomainError):
        jobs.import_job_cancel(job=job)


@pytest.mark.django_db
def test_trainings_job_imports_with_the_trainings_engine(
    staff, django_capture_on_commit_callbacks, monkeypatch
):
    seen = []

    def fake_trainings_import(*, source, progress, validate_only):
        seen.append(validate_only)
        from learners.imports import TrainingsImportResult

        return TrainingsImportResult(report=Report(), rows=1, validated_only=validate_only)

    monkeypatch.setattr(jobs, "trainings_import", fake_trainings_import)
    upload = SimpleUploadedFile("trainings.csv", b"code\nGEN-1\n")
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.import_job_create(kind="trainings", upload=upload, uploaded_by=staff)
    job.refresh_from_db()
    assert job.state == State.VALID

    job = _confirm(job, staff, django_capture_on_commit_callbacks)

    assert job.state == State.DONE
    assert seen == [True, False]


# --- progress ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_progress_goes_up_through_validation_then_writing(
    make_job, training_a, applicant, django_capture_on_commit_callbacks, monkeypatch
):
    recorded = []
    monkeypatch.setattr(jobs, "PROGRESS_INTERVAL", 0)
    monkeypatch.setattr(
        jobs._ProgressWriter, "_write", lambda self, values: recorded.append((self.state, values))
    )
    job = make_job(_content(training_a.code, rows=6))

    _confirm(job, applicant, django_capture_on_commit_callbacks)

    validating = [values["percent"] for state, values in recorded if state == State.VALIDATING]
    importing = [values["percent"] for state, values in recorded if state == State.IMPORTING]
    assert validating[-1] == 100  # a validate-only run spans the whole bar
    assert importing == sorted(importing)
    assert importing[0] <= 50 < importing[-1]
    assert recorded[-1][1]["rows_total"] == 6


@pytest.mark.django_db
def test_progress_writes_are_throttled(org_a, monkeypatch):
    recorded = []
    monkeypatch.setattr(
        jobs._ProgressWriter, "_write", lambda self, values: recorded.append(values)
    )
    job = ImportJobFactory(organisation=org_a, state=State.VALIDATING)
    writer = jobs._ProgressWriter(job, validate_only=True)

    for rows in (10, 20, 30):
        writer(ImportProgress(VALIDATE, rows, None, rows, 100))

    # The first only: 10 of 100 bytes read, 10 % (the engine's 5 % of its 0-50 validation).
    assert recorded == [{"rows_done": 10, "percent": 10}]


@pytest.mark.django_db(transaction=True)
def test_progress_outside_a_transaction_is_written_on_the_job_row(org_a):
    job = ImportJobFactory(organisation=org_a, state=State.VALIDATING, percent=0)
    writer = jobs._ProgressWriter(job, validate_only=True)

    writer(ImportProgress(VALIDATE, 40, None, 30, 100))
    writer.close()

    job.refresh_from_db()
    assert (job.rows_done, job.percent) == (40, 30)


@pytest.mark.django_db(transaction=True)
def test_progress_of_a_job_that_moved_on_is_not_written(org_a):
    job = ImportJobFactory(organisation=org_a, state=State.VALIDATING, percent=0)
    writer = jobs._ProgressWriter(job, validate_only=True)
    ImportJob.objects.filter(pk=job.pk).update(state=State.CANCELLED)

    writer(ImportProgress(VALIDATE, 40, None, 30, 100))

    job.refresh_from_db()
    assert (job.rows_done, job.percent) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_progress_while_writing_is_visible_before_the_import_commits(org_a):
    if connection.vendor != "postgresql":
        service_unavailable("a second connection reading mid-transaction needs PostgreSQL")
    job = ImportJobFactory(
        organisation=org_a,
        state=State.IMPORTING,
        confirmed_at=timezone.now(),
        started_at=timezone.now(),
        percent=0,
    )
    writer = jobs._ProgressWriter(job, validate_only=False)
    reader = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with transaction.atomic():  # as the engine is while it writes
            writer(ImportProgress(WRITE, 500, 1000, 0, 100))
            with reader.cursor() as cursor:
                cursor.execute(
                    "SELECT percent, rows_done, rows_total FROM learners_importjob WHERE id = %s",
                    [job.pk],
                )
                seen = cursor.fetchone()
    finally:
        writer.close()
        reader.close()

    assert seen == (75, 500, 1000)
