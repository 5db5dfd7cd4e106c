import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gen_portal.errors import DomainError
from labelling.attachments import DOCX, ODS, PDF, XLSX, detect_content_type
from labelling.models import Attachment
from labelling.services import attachment_add, attachment_remove, dossier_submit

from .dossier_setup import draft_for, open_call

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ELF_BYTES = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.fixture
def private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PDF_BYTES, PDF),
        (zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}), ODS),
        (zip_bytes({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w/>"}), DOCX),
        (zip_bytes({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<w/>"}), XLSX),
        (zip_bytes({"readme.txt": b"hello"}), None),
        (ELF_BYTES, None),
        (b"MZ\x90\x00", None),
        (b"", None),
    ],
)
def test_type_is_decided_by_content(content, expected):
    assert detect_content_type(io.BytesIO(content)) == expected


@pytest.mark.django_db
def test_pdf_is_stored_privately_with_its_hash(private_media):
    dossier, applicant = draft_for(open_call())

    attachment = attachment_add(
        dossier=dossier,
        actor=applicant,
        kind="budget",
        upload=SimpleUploadedFile("budget.pdf", PDF_BYTES),
    )

    assert attachment.content_type == PDF
    assert attachment.size == len(PDF_BYTES)
    assert attachment.original_name == "budget.pdf"
    stored = private_media / attachment.file.name
    assert stored.read_bytes() == PDF_BYTES
    assert "budget" not in attachment.file.name  # the user's file name is not used on disk


@pytest.mark.django_db
def test_executable_renamed_pdf_is_refused_and_nothing_stored(private_media):
    dossier, applicant = draft_for(open_call())

    with pytest.raises(DomainError) as refusal:
        attachment_add(
            dossier=dossier,
            actor=applicant,
            kind="budget",
            upload=SimpleUploadedFile("budget.pdf", ELF_BYTES),
        )

    assert refusal.value.code == "bad_type"
    assert "quel que soit son nom" in refusal.value.message
    assert not Attachment.objects.exists()
    assert not any(path.is_file() for path in private_media.rglob("*"))


@pytest.mark.django_db
def test_file_over_the_limit_is_refused_and_nothing_stored(private_media, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    dossier, applicant = draft_for(open_call())

    with pytest.raises(DomainError) as refusal:
        attachment_add(
            dossier=dossier,
            actor=applicant,
            kind="budget",
            upload=SimpleUploadedFile("gros.pdf", PDF_BYTES + b"0" * 2000),
        )

    assert refusal.value.code == "too_large"
    assert not Attachment.objects.exists()
    assert not any(path.is_file() for path in private_media.rglob("*"))


@pytest.mark.django_db(transaction=True)
def test_attachments_are_frozen_once_submitted(private_media):
    dossier, applicant = draft_for(open_call())
    attachment = attachment_add(
        dossier=dossier,
        actor=applicant,
        kind="budget",
        upload=SimpleUploadedFile("budget.pdf", PDF_BYTES),
    )
    dossier_submit(dossier=dossier, actor=applicant)

    with pytest.raises(DomainError):
        attachment_remove(attachment=attachment, actor=applicant)
    with pytest.raises(DomainError):
        attachment_add(
            dossier=dossier,
            actor=applicant,
            kind="other",
            upload=SimpleUploadedFile("autre.pdf", PDF_BYTES),
        )


@pytest.mark.django_db(transaction=True)
def test_removing_a_draft_attachment_deletes_the_file(private_media):
    dossier, applicant = draft_for(open_call())
    attachment = attachment_add(
        dossier=dossier,
        actor=applicant,
        kind="budget",
        upload=SimpleUploadedFile("budget.pdf", PDF_BYTES),
    )
    path = private_media / attachment.file.name

    attachment_remove(attachment=attachment, actor=applicant)

    assert not Attachment.objects.exists()
    assert not path.exists()
