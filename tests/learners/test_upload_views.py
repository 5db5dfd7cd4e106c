"""The web path of both CSV imports: upload → job page (validation report) → confirmation →
import, the status endpoint and the report download, with access per persona.

Tasks run eagerly here; `django_capture_on_commit_callbacks(execute=True)` runs what the
services queue on commit, as the web process does once its transaction commits.
"""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from learners.models import Enrollment, ImportJob, Learner
from outcomes.models import FollowUp
from tests.factories import ImportJobFactory, OrganisationFactory, TrainingFactory, siret_for
from trainings.models import Label, Training

pytestmark = pytest.mark.django_db

HEADER = (
    "training_code;learner_ref;sex;birth_year;qpv_resident;situation_at_entry;free_access;"
    "entry_date;exit_date;exit_reason;situation_exit\n"
)
GOOD = (
    "{code};REF-1;F;1990;non;job_seeker;oui;2024-09-02;2025-03-01;completed;cdi\n"
    "{code};REF-2;M;1995;oui;inactive;oui;02/09/2024;;;\n"
)
BAD = (
    "{code};REF-1;F;1990;non;job_seeker;oui;2024-09-02;2025-03-01;completed;cdi\n"
    "{code};REF-2;Z;1995;oui;inactive;oui;02/09/2024;;;\n"
    "{code};REF-3;M;1995;oui;inactive;oui;31/02/2024;;;\n"
)
TRAININGS = (
    "code,title,organisation_siret,organisation_name,region_code,department_code,free,"
    "duration_months,label_start,call\n"
    "GEN-09001,Développeur web,{siret},Code Nord,32,59,oui,7,2016-09-01,2016\n"
)


@pytest.fixture
def training_a(org_a):
    return TrainingFactory(organisation=org_a, code="GEN-07001")


@pytest.fixture
def training_b(org_b):
    return TrainingFactory(organisation=org_b, code="GEN-07002")


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _csv(body: str, code: str = "", name: str = "learners.csv") -> SimpleUploadedFile:
    content = (HEADER + body.format(code=code)).encode()
    return SimpleUploadedFile(name, content, content_type="text/csv")


def _upload(client, capture, body, code, **extra):
    """POST the file and follow to the job page; the validation task runs on commit."""
    with capture(execute=True):
        response = client.post(reverse("learners:upload"), {"file": _csv(body, code), **extra})
    assert response.status_code == 302, _text(response)[:500]
    return ImportJob.objects.latest("pk"), response


def _job_urls(job):
    return {
        "page": reverse("learners:import_job", args=[job.pk]),
        "status": reverse("learners:import_job_status", args=[job.pk]),
        "report": reverse("learners:import_job_report_csv", args=[job.pk]),
    }


def _post_urls(job):
    return [
        reverse("learners:import_job_confirm", args=[job.pk]),
        reverse("learners:import_job_cancel", args=[job.pk]),
    ]


# --- access --------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_everywhere(client):
    job = ImportJobFactory()
    pages = [reverse("learners:upload"), reverse("learners:trainings_upload")]
    responses = [client.get(url) for url in [*pages, *_job_urls(job).values()]]
    responses += [client.post(url) for url in _post_urls(job)]
    for response in responses:
        assert response.status_code == 302
        assert "next=" in response["Location"]
    job.refresh_from_db()
    assert job.state == ImportJob.State.VALID


@pytest.mark.parametrize("client_name", ["other_applicant_client", "committee_client"])
def test_outsiders_get_404_on_every_job_url(request, client_name, org_a):
    client = request.getfixturevalue(client_name)
    job = ImportJobFactory(organisation=org_a)
    for url in _job_urls(job).values():
        assert client.get(url).status_code == 404, url
    for url in _post_urls(job):
        assert client.post(url).status_code == 404, url
    job.refresh_from_db()
    assert job.state == ImportJob.State.VALID


def test_members_of_the_organisation_see_its_jobs(applicant_client, org_a):
    job = ImportJobFactory(organisation=org_a)  # uploaded by another member, or staff
    for url in _job_urls(job).values():
        assert applicant_client.get(url).status_code == 200, url


def test_staff_jobs_and_trainings_jobs_are_hidden_from_members(applicant_client, org_a):
    staff_learners = ImportJobFactory(organisation=None)
    trainings = ImportJobFactory(trainings=True)
    for job in (staff_learners, trainings):
        for url in _job_urls(job).values():
            assert applicant_client.get(url).status_code == 404, url


def test_staff_see_every_job(staff_client, org_a, org_b):
    for job in (
        ImportJobFactory(organisation=org_a),
        ImportJobFactory(organisation=org_b),
        ImportJobFactory(trainings=True),
    ):
        for url in _job_urls(job).values():
            assert staff_client.get(url).status_code == 200, url


def test_a_member_who_left_the_organisation_loses_its_jobs(applicant, applicant_client, org_a):
    job = ImportJobFactory(organisation=org_a)
    applicant.memberships.all().delete()

    assert applicant_client.get(_job_urls(job)["page"]).status_code == 404


@pytest.mark.parametrize("client_name", ["applicant_client", "committee_client"])
def test_trainings_upload_is_staff_only(request, client_name):
    client = request.getfixturevalue(client_name)
    file = SimpleUploadedFile("trainings.csv", b"code\n", content_type="text/csv")

    assert client.get(reverse("learners:trainings_upload")).status_code == 404
    assert client.post(reverse("learners:trainings_upload"), {"file": file}).status_code == 404
    assert not ImportJob.objects.exists()


def test_user_without_organisation_cannot_upload_learners(committee_client):
    # Deny by default: nothing of theirs here, and the page does not say it exists.
    assert committee_client.get(reverse("learners:upload")).status_code == 404
    assert committee_client.post(reverse("learners:upload")).status_code == 404


def test_member_cannot_pick_another_organisation(
    applicant_client, django_capture_on_commit_callbacks, org_b, training_b
):
    with django_capture_on_commit_callbacks(execute=True):
        response = applicant_client.post(
            reverse("learners:upload"),
            {"file": _csv(GOOD, training_b.code), "organisation": org_b.pk},
        )

    assert response.status_code == 200
    assert "organisation" in response.context["form"].errors
    assert not ImportJob.objects.exists()


# --- learners.csv ---------------------------------------------------------------------------


def test_member_sees_the_upload_form_with_their_organisation_chosen(applicant_client, org_a):
    response = applicant_client.get(reverse("learners:upload"))

    assert response.status_code == 200
    assert "fr-upload-group" in _text(response)
    assert response.context["form"].fields["organisation"].initial == org_a


def test_upload_with_two_bad_rows_reports_both_and_imports_nothing(
    applicant_client, django_capture_on_commit_callbacks, org_a, training_a
):
    job, response = _upload(
        applicant_client,
        django_capture_on_commit_callbacks,
        BAD,
        training_a.code,
        organisation=org_a.pk,
    )

    assert response["Location"] == reverse("learners:import_job", args=[job.pk])
    job.refresh_from_db()
    assert job.state == ImportJob.State.INVALID
    assert job.organisation == org_a
    assert not job.file  # a refused file is not kept
    page = applicant_client.get(response["Location"])
    errors = [(e.line, e.column, e.code) for e in page.context["errors"]]
    assert errors == [(3, "sex", "sex"), (4, "entry_date", "date_impossible")]
    content = _text(page)
    assert "sexe inconnu" in content
    assert "date impossible" in content
    assert "2 lignes invalides" in content
    assert "Confirmer l'import" not in content
    assert not Learner.objects.exists()

    report = applicant_client.get(_job_urls(job)["report"])
    assert report.status_code == 200
    assert report["Content-Type"] == "text/csv; charset=utf-8"
    lines = report.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "ligne;colonne;valeur;motif"
    assert lines[1:] == [
        "3;sex;Z;sexe inconnu (F, M ou X attendu)",
        "4;entry_date;31/02/2024;date impossible",
    ]


def test_fixed_file_is_validated_then_imported_on_confirmation(
    applicant_client, django_capture_on_commit_callbacks, org_a, training_a
):
    _upload(
        applicant_client,
        django_capture_on_commit_callbacks,
        BAD,
        training_a.code,
        organisation=org_a.pk,
    )
    job, response = _upload(
        applicant_client,
        django_capture_on_commit_callbacks,
        GOOD,
        training_a.code,
        organisation=org_a.pk,
    )

    job.refresh_from_db()
    assert job.state == ImportJob.State.VALID
    assert job.file  # kept until confirmation
    page = applicant_client.get(response["Location"])
    assert "Confirmer l'import" in _text(page)
    assert "l'import enregistrera 2 apprenants, 2 inscriptions et 1 situations" in (_text(page))
    assert not Enrollment.objects.exists()  # validation writes nothing

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = applicant_client.post(_post_urls(job)[0])

    assert confirmed.status_code == 302
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert not job.file  # deleted once imported
    assert job.counts["enrollments"] == 2
    assert Enrollment.objects.filter(training=training_a).count() == 2
    assert FollowUp.objects.get().situation == "cdi"
    done = _text(applicant_client.get(confirmed["Location"]))
    assert "Import terminé" in done
    assert "2 lignes lues : 2 apprenants, 2 inscriptions et 1 situations de suivi" in done


def test_member_cannot_import_into_another_organisation_training(
    applicant_client, django_capture_on_commit_callbacks, org_a, training_b
):
    job, _response = _upload(
        applicant_client,
        django_capture_on_commit_callbacks,
        GOOD,
        training_b.code,
        organisation=org_a.pk,
    )

    job.refresh_from_db()
    assert job.state == ImportJob.State.INVALID
    assert {error[3] for error in job.report["errors"]} == {"training_forbidden"}
    assert not Enrollment.objects.exists()


def test_staff_imports_learners_for_any_organisation(
    staff_client, django_capture_on_commit_callbacks, training_a, training_b
):
    job, _response = _upload(
        staff_client, django_capture_on_commit_callbacks, GOOD, training_b.code
    )
    job.refresh_from_db()
    assert job.organisation is None
    assert job.state == ImportJob.State.VALID

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(_post_urls(job)[0])

    assert Enrollment.objects.filter(training=training_b).count() == 2


def test_confirming_twice_imports_once(
    applicant_client, django_capture_on_commit_callbacks, org_a, training_a
):
    job, _response = _upload(
        applicant_client,
        django_capture_on_commit_callbacks,
        GOOD,
        training_a.code,
        organisation=org_a.pk,
    )
    with django_capture_on_commit_callbacks(execute=True) as first:
        applicant_client.post(_post_urls(job)[0])
    with django_capture_on_commit_callbacks(execute=True) as second:
        applicant_client.post(_post_urls(job)[0])

    # The first confirmation queued the import (whose success then asked for an indicator
    # run); the replay queued nothing at all.
    assert first
    assert second == []
    assert Enrollment.objects.count() == 2


def test_confirming_an_invalid_file_is_refused_with_a_message(
    applicant_client, django_capture_on_commit_callbacks, org_a, training_a
):
    job, _response = _upload(
        applicant_client,
        django_capture_on_commit_callbacks,
        BAD,
        training_a.code,
        organisation=org_a.pk,
    )

    response = applicant_client.post(_post_urls(job)[0], follow=True)

    assert "n'attend pas de confirmation" in _text(response)
    job.refresh_from_db()
    assert job.state == ImportJob.State.INVALID


def test_cancelling_deletes_the_file_and_imports_nothing(
    applicant_client, django_capture_on_commit_callbacks, org_a, training_a
):
    job, _response = _upload(
        applicant_client,
        django_capture_on_commit_callbacks,
        GOOD,
        training_a.code,
        organisation=org_a.pk,
    )
    stored = job.file.name
    storage = job.file.storage

    with django_capture_on_commit_callbacks(execute=True):
        response = applicant_client.post(_post_urls(job)[1])

    job.refresh_from_db()
    assert job.state == ImportJob.State.CANCELLED
    assert not storage.exists(stored)
    assert "Import annulé" in _text(applicant_client.get(response["Location"]))
    assert applicant_client.post(_post_urls(job)[0]).status_code == 302
    assert not Enrollment.objects.exists()


def test_uploaded_file_is_stored_privately_under_a_random_name(
    applicant_client, django_capture_on_commit_callbacks, org_a, training_a, settings
):
    job, _response = _upload(
        applicant_client,
        django_capture_on_commit_callbacks,
        GOOD,
        training_a.code,
        organisation=org_a.pk,
    )

    assert job.filename == "learners.csv"
    assert job.file.name.startswith("imports/")
    assert "learners" not in job.file.name
    location = settings.STORAGES["default"]["OPTIONS"]["location"]
    assert job.file.path.startswith(str(location))
    assert not job.file.path.startswith(str(settings.STATIC_ROOT))


def test_too_large_file_is_refused_before_storage(applicant_client, org_a, monkeypatch):
    monkeypatch.setattr("learners.forms.UPLOAD_MAX_BYTES", 10)

    response = applicant_client.post(
        reverse("learners:upload"), {"file": _csv(GOOD, "GEN-1"), "organisation": org_a.pk}
    )

    assert response.status_code == 200
    assert "Fichier trop volumineux" in _text(response)
    assert not ImportJob.objects.exists()


# --- the job page while it runs --------------------------------------------------------------


def test_running_job_page_polls_and_refreshes_without_javascript(applicant_client, org_a):
    job = ImportJobFactory(
        organisation=org_a, state=ImportJob.State.VALIDATING, percent=40, rows_done=12000
    )

    content = _text(applicant_client.get(_job_urls(job)["page"]))

    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in content
    assert 'src="/static/js/import-job.js"' in content
    assert 'src="/static/js/status-poller.js"' in content  # the script it needs
    assert f'data-status-url="{_job_urls(job)["status"]}"' in content
    assert '<progress id="import-job-progress" class="portal-progress" max="100" value="40">' in (
        content
    )
    assert "Vérification : 12000 lignes lues" in content
    assert "<script>" not in content  # CSP: no inline script


def test_finished_job_page_neither_polls_nor_refreshes(applicant_client, org_a):
    job = ImportJobFactory(organisation=org_a, done=True)

    content = _text(applicant_client.get(_job_urls(job)["page"]))

    assert "http-equiv" not in content
    assert "import-job.js" not in content


def test_status_endpoint_reports_state_and_progress(applicant_client, org_a):
    job = ImportJobFactory(
        organisation=org_a,
        state=ImportJob.State.IMPORTING,
        confirmed_at=timezone.now(),
        started_at=timezone.now(),
        percent=75,
        rows_done=500,
        rows_total=1000,
    )

    response = applicant_client.get(_job_urls(job)["status"])

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    assert response.json() == {
        "state": "importing",
        "state_label": "Import en cours",
        "running": True,
        "percent": 75,
        "rows_done": 500,
        "rows_total": 1000,
        "progress_text": "Écriture : 500 lignes sur 1000…",
    }


# --- trainings.csv (staff) ------------------------------------------------------------------


def test_staff_import_trainings_from_the_web(staff_client, django_capture_on_commit_callbacks):
    siret = siret_for(9001)
    content = TRAININGS.format(siret=siret).encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("learners:trainings_upload"),
            {"file": SimpleUploadedFile("trainings.csv", content, content_type="text/csv")},
        )
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("learners:import_job", args=[job.pk])
    assert (job.kind, job.organisation, job.state) == ("trainings", None, ImportJob.State.VALID)
    page = _text(staff_client.get(response["Location"]))
    assert "1 organismes (dont 1 à créer), 1 formations (dont 1 à créer)" in page
    assert not Training.objects.filter(code="GEN-09001").exists()

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(_post_urls(job)[0])

    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    training = Training.objects.get(code="GEN-09001")
    assert training.organisation.siret == siret
    assert Label.objects.filter(training=training).count() == 1


def test_invalid_trainings_file_is_reported_to_staff(
    staff_client, django_capture_on_commit_callbacks
):
    content = TRAININGS.format(siret="12345678901234").encode()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("learners:trainings_upload"),
            {"file": SimpleUploadedFile("trainings.csv", content, content_type="text/csv")},
        )
    job = ImportJob.objects.get()

    page = staff_client.get(_job_urls(job)["page"])

    job.refresh_from_db()
    assert job.state == ImportJob.State.INVALID
    assert [(e.line, e.column, e.code) for e in page.context["errors"]] == [
        (2, "organisation_siret", "siret")
    ]
    assert "Envoyer un fichier corrigé" in _text(page)
    assert page.context["upload_url_name"] == "learners:trainings_upload"


# --- the upload page's list of recent jobs ---------------------------------------------------


def test_upload_page_lists_recent_jobs_of_the_member_organisations_only(
    applicant_client, org_a, org_b
):
    mine = ImportJobFactory(organisation=org_a, filename="mes-apprenants.csv")
    ImportJobFactory(organisation=org_b, filename="autre-organisme.csv")

    content = _text(applicant_client.get(reverse("learners:upload")))

    assert "mes-apprenants.csv" in content
    assert reverse("learners:import_job", args=[mine.pk]) in content
    assert "autre-organisme.csv" not in content


def test_upload_page_queries_do_not_grow_with_jobs(staff_client, django_assert_max_num_queries):
    ImportJobFactory(organisation=OrganisationFactory())
    staff_client.get(reverse("learners:upload"))  # warm the session
    with CaptureQueriesContext(connection) as one:
        staff_client.get(reverse("learners:upload"))
    ImportJobFactory.create_batch(9, organisation=OrganisationFactory())
    with django_assert_max_num_queries(len(one)):
        response = staff_client.get(reverse("learners:upload"))

    assert len(response.context["jobs"]) == 10


# --- pages of finished jobs -----------------------------------------------------------------


def test_failed_import_page_shows_nothing_was_written_and_hides_the_technical_detail(
    applicant_client, staff_client, org_a
):
    job = ImportJobFactory(
        organisation=org_a,
        state=ImportJob.State.FAILED,
        file="",
        confirmed_at=timezone.now(),
        finished_at=timezone.now(),
        error="OperationalError: server closed the connection",
    )

    member_page = _text(applicant_client.get(_job_urls(job)["page"]))
    staff_page = _text(staff_client.get(_job_urls(job)["page"]))

    assert "L'import n'a pas abouti" in member_page
    assert "Rien n'a été enregistré." in member_page
    assert "OperationalError" not in member_page
    assert "OperationalError: server closed the connection" in staff_page


def test_expired_upload_page_says_the_file_was_deleted(applicant_client, org_a):
    job = ImportJobFactory(
        organisation=org_a, state=ImportJob.State.EXPIRED, file="", finished_at=timezone.now()
    )

    page = _text(applicant_client.get(_job_urls(job)["page"]))
    refused = _text(applicant_client.post(_post_urls(job)[0], follow=True))

    assert "n'a pas été confirmé dans les 24 heures" in page
    assert "Confirmer l'import" not in page
    assert "n'attend pas de confirmation" in refused
