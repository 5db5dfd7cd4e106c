import pytest

from labelling.receipts import receipt_pdf
from labelling.services import dossier_submit

from .dossier_setup import draft_for, open_call


@pytest.mark.django_db
def test_receipt_is_a_pdf_carrying_reference_and_hash():
    dossier, applicant = draft_for(open_call())
    dossier = dossier_submit(dossier=dossier, actor=applicant)

    pdf = receipt_pdf(dossier)

    assert pdf.startswith(b"%PDF-")
    # reportlab compresses page streams; the document title (metadata) is stored in clear.
    assert dossier.reference.encode() in pdf


@pytest.mark.django_db
def test_a_draft_has_no_receipt():
    dossier, _applicant = draft_for(open_call())

    with pytest.raises(ValueError):
        receipt_pdf(dossier)
