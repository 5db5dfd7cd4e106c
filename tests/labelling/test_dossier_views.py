"""The applicant's dossier pages: access rules, steps, autosave, submission and receipt."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.services import user_create
from labelling.models import Call, Dossier
from labelling.services import attachment_add, dossier_submit

from .dossier_setup import draft_for, open_call

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }


@pytest.fixture
def call(db):
    return open_call()


@pytest.fixture
def draft_a(call):
    dossier, applicant = draft_for(call)
    return dossier


@pytest.fixture
def applicant_a(draft_a):
    return draft_a.created_by


@pytest.fixture
def dossier_b(call):
    dossier, _applicant = draft_for(call, email="b@autre.example", siret="35600000000048")
    return dossier


@pytest.fixture
def member_b(dossier_b):
    return dossier_b.created_by


@pytest.fixture
def staff(db):
    return user_create(email="equipe@gen.example", password=None, is_staff=True)


def login(client, user):
    client.force_login(user)
    return client


def dossier_urls(dossier, attachment=None):
    pk = dossier.pk
    urls = [
        ("get", reverse("labelling:dossier_detail", args=[pk])),
        ("get", reverse("labelling:dossier_step", args=[pk, "formation"])),
        ("post", reverse("labelling:dossier_autosave", args=[pk, "formation"])),
        ("post", reverse("labelling:dossier_submit", args=[pk])),
        ("get", reverse("labelling:dossier_withdraw", args=[pk])),
        ("post", reverse("labelling:attachment_upload", args=[pk])),
    ]
    if attachment is not None:
        urls += [
            ("get", reverse("labelling:attachment_download", args=[pk, attachment.pk])),
            ("post", reverse("labelling:attachment_delete", args=[pk, attachment.pk])),
        ]
    return urls


@pytest.mark.django_db
def test_member_of_another_organisation_gets_404_everywhere(client, draft_a, applicant_a, member_b):
    attachment = attachment_add(
        dossier=draft_a,
        actor=applicant_a,
        kind="budget",
        upload=SimpleUploadedFile("budget.pdf", PDF_BYTES),
    )
    login(client, member_b)

    for method, url in dossier_urls(draft_a, attachment):
        assert getattr(client, method)(url).status_code == 404, url


@pytest.mark.django_db
def test_receipt_of_another_organisation_is_404(client, draft_a, applicant_a, member_b):
    dossier_submit(dossier=draft_a, actor=applicant_a)
    login(client, member_b)

    assert client.get(reverse("labelling:dossier_receipt", args=[draft_a.pk])).status_code == 404
    assert (
        client.get(reverse("labelling:dossier_receipt_pdf", args=[draft_a.pk])).status_code == 404
    )


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, draft_a):
    url = reverse("labelling:dossier_step", args=[draft_a.pk, "formation"])

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert "next=" in response.url


@pytest.mark.django_db
def test_anonymous_autosave_answers_401_json_not_a_redirect(client, draft_a):
    response = client.post(reverse("labelling:dossier_autosave", args=[draft_a.pk, "formation"]))

    assert response.status_code == 401
    assert response.json()["error"] == "session_expired"


@pytest.mark.django_db
def test_staff_may_read_but_not_edit(client, draft_a, staff):
    login(client, staff)

    assert client.get(reverse("labelling:dossier_detail", args=[draft_a.pk])).status_code == 200
    assert (
        client.get(reverse("labelling:dossier_step", args=[draft_a.pk, "formation"])).status_code
        == 403
    )
    assert client.post(reverse("labelling:dossier_submit", args=[draft_a.pk])).status_code == 403


@pytest.mark.django_db
def test_step_saves_and_moves_on(client, draft_a, applicant_a):
    login(client, applicant_a)
    url = reverse("labelling:dossier_step", args=[draft_a.pk, "publics"])

    response = client.post(
        url,
        {"planned_entrants_per_year": "24", "women_share_commitment": "40", "next": "1"},
    )

    assert response.status_code == 302
    assert response.url == reverse("labelling:dossier_step", args=[draft_a.pk, "accompagnement"])
    draft_a.refresh_from_db()
    assert (draft_a.planned_entrants_per_year, draft_a.women_share_commitment) == (24, 40)


@pytest.mark.django_db
def test_invalid_step_keeps_valid_fields_and_shows_the_error(client, draft_a, applicant_a):
    login(client, applicant_a)
    url = reverse("labelling:dossier_step", args=[draft_a.pk, "publics"])

    response = client.post(
        url, {"planned_entrants_per_year": "30", "women_share_commitment": "140"}
    )

    assert response.status_code == 200
    assert "Un pourcentage est compris entre 0 et 100." in response.content.decode()
    draft_a.refresh_from_db()
    assert draft_a.planned_entrants_per_year == 30


@pytest.mark.django_db
def test_autosave_stores_typing_and_says_when(client, draft_a, applicant_a):
    login(client, applicant_a)

    response = client.post(
        reverse("labelling:dossier_autosave", args=[draft_a.pk, "formation"]),
        {"training_title": "Développeur d'applications", "duration_months": "40"},
    )

    payload = response.json()
    assert response.status_code == 200
    assert payload["message"].startswith("Enregistré à ")
    assert "duration_months" in payload["errors"]
    draft_a.refresh_from_db()
    assert draft_a.training_title == "Développeur d'applications"
    assert draft_a.duration_months == 9  # the invalid value did not overwrite the saved one


@pytest.mark.django_db
def test_submission_through_the_page_gives_receipt_and_pdf(client, draft_a, applicant_a):
    login(client, applicant_a)

    response = client.post(reverse("labelling:dossier_submit", args=[draft_a.pk]))

    draft_a.refresh_from_db()
    assert response.url == reverse("labelling:dossier_receipt", args=[draft_a.pk])
    receipt = client.get(response.url).content.decode()
    assert draft_a.reference in receipt and draft_a.content_sha256 in receipt
    pdf = client.get(reverse("labelling:dossier_receipt_pdf", args=[draft_a.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")


@pytest.mark.django_db
def test_double_click_submits_once(client, draft_a, applicant_a):
    login(client, applicant_a)
    url = reverse("labelling:dossier_submit", args=[draft_a.pk])

    client.post(url)
    client.post(url)

    assert Dossier.objects.exclude(reference=None).count() == 1
    assert draft_a.transitions.filter(action="submitted").count() == 1


@pytest.mark.django_db
def test_late_submission_through_the_page_keeps_the_draft(client, draft_a, applicant_a):
    Call.objects.filter(pk=draft_a.call_id).update(
        closes_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    login(client, applicant_a)

    response = client.post(reverse("labelling:dossier_submit", args=[draft_a.pk]), follow=True)

    assert "Votre brouillon est conservé" in response.content.decode()
    draft_a.refresh_from_db()
    assert draft_a.state == Dossier.State.DRAFT
    assert draft_a.training_title


@pytest.mark.django_db
def test_upload_download_and_delete_an_attachment(client, draft_a, applicant_a):
    login(client, applicant_a)

    client.post(
        reverse("labelling:attachment_upload", args=[draft_a.pk]),
        {"kind": "budget", "file": SimpleUploadedFile("budget.pdf", PDF_BYTES)},
    )
    attachment = draft_a.attachments.get()
    download = client.get(
        reverse("labelling:attachment_download", args=[draft_a.pk, attachment.pk])
    )
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert 'filename="budget.pdf"' in download["Content-Disposition"]

    client.post(reverse("labelling:attachment_delete", args=[draft_a.pk, attachment.pk]))
    assert not draft_a.attachments.exists()


@pytest.mark.django_db
def test_renamed_executable_upload_is_refused_with_a_message(client, draft_a, applicant_a):
    login(client, applicant_a)

    response = client.post(
        reverse("labelling:attachment_upload", args=[draft_a.pk]),
        {"kind": "budget", "file": SimpleUploadedFile("budget.pdf", b"MZ\x90\x00" + b"\x00" * 100)},
        follow=True,
    )

    assert "quel que soit son nom" in response.content.decode()
    assert not draft_a.attachments.exists()


@pytest.mark.django_db
def test_withdrawal_through_the_page(client, draft_a, applicant_a):
    dossier_submit(dossier=draft_a, actor=applicant_a)
    login(client, applicant_a)

    client.post(
        reverse("labelling:dossier_withdraw", args=[draft_a.pk]), {"reason": "Projet reporté"}
    )

    draft_a.refresh_from_db()
    assert draft_a.state == Dossier.State.WITHDRAWN


@pytest.mark.django_db
def test_applicant_sees_the_public_timeline_only(client, draft_a, applicant_a, staff):
    dossier_submit(dossier=draft_a, actor=applicant_a)
    draft_a.transitions.create(
        at=timezone.now(),
        from_state="submitted",
        to_state="submitted",
        action="internal_note",
        is_public=False,
    )

    applicant_page = login(client, applicant_a).get(
        reverse("labelling:dossier_detail", args=[draft_a.pk])
    )
    staff_page = login(client, staff).get(reverse("labelling:dossier_detail", args=[draft_a.pk]))

    assert "internal_note" not in applicant_page.content.decode()
    assert "internal_note" in staff_page.content.decode()


@pytest.mark.django_db
def test_my_dossiers_lists_only_my_organisation(client, draft_a, applicant_a, dossier_b):
    dossier_b.training_title = "Titre de B"
    dossier_b.save()

    page = login(client, applicant_a).get(reverse("labelling:my_dossiers")).content.decode()

    assert draft_a.training_title in page
    assert "Titre de B" not in page


@pytest.mark.django_db
def test_starting_a_dossier_from_an_open_call(client, call, applicant_a):
    login(client, applicant_a)

    response = client.post(reverse("labelling:dossier_start", args=[call.reference]))

    new = Dossier.objects.order_by("-pk").first()
    assert response.url == reverse("labelling:dossier_step", args=[new.pk, "organisation"])
    assert new.state == Dossier.State.DRAFT


@pytest.mark.django_db
def test_every_step_page_renders(client, draft_a, applicant_a):
    login(client, applicant_a)

    for step in (
        "organisation",
        "formation",
        "publics",
        "accompagnement",
        "partenaires",
        "pieces",
        "recapitulatif",
    ):
        response = client.get(reverse("labelling:dossier_step", args=[draft_a.pk, step]))
        assert response.status_code == 200, step
