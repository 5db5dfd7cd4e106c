"""The decision letter: a label certificate, or a refusal with its reasons and the appeal
route, or a deferral with its reasons. The applicant (and staff) download it; nobody else."""

import base64
import html
import re
import zlib

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from labelling.letters import decision_letter_pdf
from labelling.services import decision_record
from tests.factories import CommitteeMeetingFactory, CommitteeMemberFactory, DossierFactory

pytestmark = pytest.mark.django_db

_STRING = re.compile(rb"\((.*?)(?<!\\)\)\s*Tj", re.S)


def pdf_text(pdf: bytes) -> str:
    """The text shown by a reportlab PDF, lines joined by spaces: its page streams are
    ASCII85 + Flate encoded and its strings use octal escapes for accented letters."""
    assert pdf.startswith(b"%PDF-")
    pieces = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        raw = stream.strip()
        if raw.endswith(b"~>"):
            raw = base64.a85decode(raw[:-2])
        try:
            content = zlib.decompress(raw)
        except zlib.error:
            continue
        for string in _STRING.findall(content):
            text = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), string)
            text = re.sub(rb"\\(.)", rb"\1", text)
            pieces.append(text.decode("cp1252"))
    return re.sub(r"\s+", " ", " ".join(pieces))


def page_text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def decide(staff):
    members = CommitteeMemberFactory.create_batch(3)

    def run(dossier, outcome, reason=""):
        meeting = CommitteeMeetingFactory(
            call=dossier.call, members_present=members, agenda=[dossier], quorum=3
        )
        return decision_record(
            dossier=dossier, outcome=outcome, actor=staff, reason=reason, meeting=meeting
        )

    return run


def letter_url(dossier) -> str:
    return reverse("labelling:decision_letter", args=[dossier.pk])


# --- content ---------------------------------------------------------------------------------


def test_labelled_letter_is_a_certificate_with_the_label_dates(decide, dossier_a):
    decision = decide(dossier_a, "labelled")
    label = decision.label

    text = pdf_text(decision_letter_pdf(decision))

    assert "Certificat de labellisation" in text
    assert label.training.code in text
    assert label.start_date.strftime("%d/%m/%Y") in text
    assert label.end_date.strftime("%d/%m/%Y") in text
    assert dossier_a.organisation.name in text
    assert "recours" not in text


def test_refusal_letter_gives_the_reasons_and_the_appeal_route(decide, dossier_a):
    decision = decide(dossier_a, "rejected", "Le public visé n'est pas éloigné de l'emploi.")

    text = pdf_text(decision_letter_pdf(decision))

    assert "Décision de refus de labellisation" in text
    assert "Le public visé n'est pas éloigné de l'emploi." in text
    assert "Voies et délais de recours" in text
    assert "recours gracieux auprès du directeur du GIP Grande école du numérique" in text
    assert "dans un délai de deux mois" in text
    assert "recours contentieux devant le tribunal administratif" in text


def test_deferral_letter_gives_the_reasons(decide, dossier_a):
    decision = decide(dossier_a, "deferred", "Budget prévisionnel à détailler.")

    text = pdf_text(decision_letter_pdf(decision))

    assert "Décision d'ajournement" in text
    assert "Budget prévisionnel à détailler." in text


def test_reasons_are_escaped_not_interpreted(decide, dossier_a):
    decision = decide(dossier_a, "rejected", "<b>Gras</b> & <i>italique</i>")

    # Shown as typed (reportlab draws each escaped entity as its own text run, hence the
    # spaces the extraction puts between them).
    shown = pdf_text(decision_letter_pdf(decision)).replace(" ", "")
    assert "<b>Gras</b>&<i>italique</i>" in shown


# --- pages and access ------------------------------------------------------------------------


def test_the_applicant_downloads_the_letter_of_the_latest_decision(
    applicant_client, decide, dossier_a
):
    decide(dossier_a, "deferred", "Budget à détailler.")
    decide(dossier_a, "labelled")

    response = applicant_client.get(letter_url(dossier_a))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="decision-{dossier_a.reference}.pdf"'
    )
    assert "Certificat de labellisation" in pdf_text(response.content)


def test_the_applicant_sees_the_decision_in_the_portal(applicant_client, decide, dossier_a):
    decide(dossier_a, "rejected", "Accompagnement insuffisant.")

    response = applicant_client.get(reverse("labelling:decision_detail", args=[dossier_a.pk]))

    body = page_text(response)
    assert response.status_code == 200
    assert "Décision du comité : Refusé" in body
    assert "Accompagnement insuffisant." in body
    assert "recours gracieux auprès du directeur du GIP Grande école du numérique" in body
    assert letter_url(dossier_a) in body


def test_staff_download_the_letter(staff_client, decide, dossier_a):
    decide(dossier_a, "labelled")

    assert staff_client.get(letter_url(dossier_a)).status_code == 200


@pytest.mark.parametrize(
    "persona", ["other_applicant_client", "committee_client", "conflicted_client"]
)
def test_nobody_else_gets_the_letter(request, persona, decide, dossier_a):
    decide(dossier_a, "rejected", "Hors cible.")
    client = request.getfixturevalue(persona)

    assert client.get(letter_url(dossier_a)).status_code == 404
    assert client.get(reverse("labelling:decision_detail", args=[dossier_a.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, decide, dossier_a):
    decide(dossier_a, "labelled")

    response = client.get(letter_url(dossier_a))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_no_letter_before_a_decision(applicant_client, dossier_a, open_call):
    assert applicant_client.get(letter_url(dossier_a)).status_code == 404
    draft = DossierFactory(call=open_call, organisation=dossier_a.organisation)
    assert applicant_client.get(letter_url(draft)).status_code == 404


def test_the_decision_notice_partial_renders_the_latest_decision(decide, dossier_a):
    # The applicant's dossier page includes this partial with only `dossier` in its context.
    decide(dossier_a, "deferred", "Budget à détailler.")
    decide(dossier_a, "rejected", "Hors cible.")

    notice = html.unescape(
        render_to_string("labelling/meetings/_decision_notice.html", {"dossier": dossier_a})
    )

    assert "Décision du comité : Refusé" in notice
    assert "Hors cible." in notice and "Budget à détailler." not in notice
    assert letter_url(dossier_a) in notice
    assert reverse("labelling:decision_detail", args=[dossier_a.pk]) in notice


def test_the_decision_notice_partial_is_empty_before_a_decision(dossier_a):
    notice = render_to_string("labelling/meetings/_decision_notice.html", {"dossier": dossier_a})

    assert notice.strip() == ""
