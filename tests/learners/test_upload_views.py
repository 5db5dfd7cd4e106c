"""Upload of learners.csv from the web: validation report, confirmation, import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from learners.models import Enrollment, Learner
from outcomes.models import FollowUp
from tests.factories import TrainingFactory

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


@pytest.fixture
def training_a(org_a):
    return TrainingFactory(organisation=org_a, code="GEN-07001")


@pytest.fixture
def training_b(org_b):
    return TrainingFactory(organisation=org_b, code="GEN-07002")


def _csv(body: str, code: str) -> SimpleUploadedFile:
    content = (HEADER + body.format(code=code)).encode()
    return SimpleUploadedFile("learners.csv", content, content_type="text/csv")


def _upload(client, body, code, **extra):
    return client.post(reverse("learners:upload"), {"file": _csv(body, code), **extra})


def test_anonymous_is_sent_to_login(client):
    for url in [reverse("learners:upload"), reverse("learners:upload_confirm")]:
        response = client.get(url)
        assert response.status_code == 302
        assert "next=" in response["Location"]


def test_member_sees_the_upload_form(applicant_client):
    response = applicant_client.get(reverse("learners:upload"))
    assert response.status_code == 200
    assert "fr-upload-group" in response.content.decode()


def test_upload_with_two_bad_rows_lists_both_and_imports_nothing(
    applicant_client, org_a, training_a
):
    response = _upload(applicant_client, BAD, training_a.code, organisation=org_a.pk)

    assert response.status_code == 200
    assert not response.context["result"].ok
    lines = {error.line for error in response.context["result"].report.errors}
    assert lines == {3, 4}
    content = response.content.decode()
    assert "sexe inconnu" in content
    assert "date impossible" in content
    assert "Confirmer l'import" not in content
    assert not Learner.objects.exists()
    assert not Enrollment.objects.exists()

    report = applicant_client.get(
        reverse("learners:upload_report_csv", args=[response.context["token"]])
    )
    assert report.status_code == 200
    text = report.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "ligne;colonne;valeur;motif"
    assert len(text.splitlines()) == 3


def test_fixed_file_is_validated_then_imported_on_confirmation(applicant_client, org_a, training_a):
    _upload(applicant_client, BAD, training_a.code, organisation=org_a.pk)

    response = _upload(applicant_client, GOOD, training_a.code, organisation=org_a.pk)
    assert response.status_code == 200
    assert response.context["result"].ok
    assert "Confirmer l'import" in response.content.decode()
    assert not Enrollment.objects.exists()  # validation writes nothing

    response = applicant_client.post(
        reverse("learners:upload_confirm"), {"token": response.context["token"]}
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.rows, result.enrollments, result.followups) == (2, 2, 1)
    assert Enrollment.objects.filter(training=training_a).count() == 2
    assert FollowUp.objects.get().situation == "cdi"


def test_member_cannot_import_into_another_organisation_training(
    applicant_client, org_a, training_b
):
    response = _upload(applicant_client, GOOD, training_b.code, organisation=org_a.pk)
    assert not response.context["result"].ok
    assert not Enrollment.objects.exists()


def test_member_cannot_pick_another_organisation(applicant_client, org_b, training_b):
    response = _upload(applicant_client, GOOD, training_b.code, organisation=org_b.pk)
    assert response.status_code == 200
    assert "result" not in response.context
    assert not Enrollment.objects.exists()


def test_staff_imports_for_any_organisation(staff_client, training_b):
    response = _upload(staff_client, GOOD, training_b.code)
    assert response.context["result"].ok
    staff_client.post(reverse("learners:upload_confirm"), {"token": response.context["token"]})
    assert Enrollment.objects.filter(training=training_b).count() == 2


def test_another_user_cannot_confirm_or_download_a_token(
    applicant_client, other_applicant_client, org_a, training_a
):
    response = _upload(applicant_client, GOOD, training_a.code, organisation=org_a.pk)
    token = response.context["token"]
    assert (
        other_applicant_client.post(reverse("learners:upload_confirm"), {"token": token})
    ).status_code == 404
    assert (
        other_applicant_client.get(reverse("learners:upload_report_csv", args=[token]))
    ).status_code == 404
    assert (
        applicant_client.post(
            reverse("learners:upload_confirm"), {"token": token + "x"}
        ).status_code
        == 404
    )
    assert not Enrollment.objects.exists()
