"""A learners.csv uploaded from the web is validated and then imported by a real Celery worker
consuming from Redis, as in production; the page follows through the status endpoint."""

import threading

import pytest
from celery.signals import task_prerun
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from learners.models import Enrollment, ImportJob
from tests.factories import TrainingFactory
from tests.services import wait_until

HEADER = "training_code;learner_ref;sex;qpv_resident;situation_at_entry;free_access;entry_date\n"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_upload_is_validated_and_imported_by_the_worker(
    celery_worker_thread, applicant_client, org_a
):
    training = TrainingFactory(organisation=org_a, code="GEN-08501")
    rows = "".join(
        f"{training.code};W-{n:03d};F;non;job_seeker;oui;2024-09-02\n" for n in range(120)
    )
    upload = SimpleUploadedFile("learners.csv", (HEADER + rows).encode(), content_type="text/csv")
    runs: list[tuple[str, str]] = []

    def record_run(sender=None, **_kwargs):
        runs.append((sender.name, threading.current_thread().name))

    task_prerun.connect(record_run, weak=False)
    try:
        response = applicant_client.post(
            reverse("learners:upload"), {"file": upload, "organisation": org_a.pk}
        )
        job = ImportJob.objects.get()
        assert response["Location"] == reverse("learners:import_job", args=[job.pk])
        status_url = reverse("learners:import_job_status", args=[job.pk])

        valid = wait_until(
            lambda: applicant_client.get(status_url).json()["state"] == "valid", timeout=20
        )
        assert valid, applicant_client.get(status_url).json()
        assert not Enrollment.objects.exists()

        applicant_client.post(reverse("learners:import_job_confirm", args=[job.pk]))
        done = wait_until(
            lambda: applicant_client.get(status_url).json()["state"] == "done", timeout=20
        )
    finally:
        task_prerun.disconnect(record_run)

    status = applicant_client.get(status_url).json()
    assert done, status
    assert (status["percent"], status["rows_done"], status["running"]) == (100, 120, False)
    assert Enrollment.objects.filter(training=training).count() == 120
    job.refresh_from_db()
    assert not job.file
    main_thread = threading.main_thread().name
    assert [name for name, thread in runs if thread != main_thread] == [
        "learners.tasks.import_job_validate",
        "learners.tasks.import_job_import",
    ]
