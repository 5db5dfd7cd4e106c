"""An applicant registers, creates the organisation, fills the dossier step by step, uploads a
PDF, submits and downloads the receipt, in a real Chromium; every page passes the axe scan."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import OutboxEmail
from labelling.models import Dossier
from labelling.services import call_create
from tests.browser_helpers import assert_no_axe_violations

PASSWORD = "motdepasse-solide-123"
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def open_call(transactional_db):
    now = timezone.now()
    return call_create(
        reference="2026",
        title="Appel à labellisation 2026",
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=2),
        published=True,
        criteria=[{"title": "Insertion professionnelle", "max_score": 5}],
    )


@pytest.fixture
def private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }


@pytest.mark.browser
def test_applicant_applies_from_registration_to_receipt(
    live_server, page, open_call, settings, private_media, tmp_path
):
    settings.SITE_URL = live_server.url
    base = live_server.url

    page.goto(base + "/compte/inscription/")
    assert_no_axe_violations(page)
    page.get_by_label("Prénom et nom").fill("Awa Diallo")
    page.get_by_label("Adresse électronique").fill("awa@orga.example")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_load_state()
    assert "Vérifiez votre messagerie" in page.content()
    assert_no_axe_violations(page)

    link = re.search(r"https?://\S+", OutboxEmail.objects.get(to="awa@orga.example").body).group(0)
    page.goto(link)
    assert_no_axe_violations(page)
    page.get_by_label("SIRET").fill("73282932000074")
    page.get_by_label("Raison sociale").fill("Code pour tous")
    page.locator("#id_address").fill("12 rue des Lilas")
    page.get_by_label("Code postal").fill("93200")
    page.get_by_label("Commune").fill("Saint-Denis")
    page.get_by_label("Département").select_option("93")
    page.get_by_role("button", name="Enregistrer l'organisation").click()
    page.wait_for_load_state()
    assert "Code pour tous" in page.content()

    page.goto(base + f"/appels/{open_call.reference}/")
    assert_no_axe_violations(page)
    page.get_by_role("button", name=re.compile("Déposer une candidature")).click()
    page.wait_for_load_state()
    assert_no_axe_violations(page)  # step 1: organisation
    page.get_by_role("button", name="Continuer").click()

    page.wait_for_load_state()
    assert_no_axe_violations(page)  # step 2: training
    page.get_by_label("Intitulé de la formation").fill("Développeur web et web mobile")
    page.get_by_label("Durée (mois)").fill("9")
    page.get_by_label("Adresse du lieu").fill("12 rue des Lilas")
    page.get_by_label("Code postal").fill("93200")
    page.locator("#id_site_city").fill("Saint-Denis")
    page.get_by_label("Département").select_option("93")
    # Typing alone saves: the status announces the time of the autosave.
    expect(page.locator("#autosave-status")).to_contain_text("Enregistré à", timeout=15000)
    assert Dossier.objects.get().training_title == "Développeur web et web mobile"
    page.get_by_role("button", name="Enregistrer et continuer").click()

    for _step in ("publics", "accompagnement", "partenaires"):
        page.wait_for_load_state()
        assert_no_axe_violations(page)
        page.get_by_role("button", name="Enregistrer et continuer").click()

    page.wait_for_load_state()
    assert_no_axe_violations(page)  # attachments
    pdf = tmp_path / "budget.pdf"
    pdf.write_bytes(PDF_BYTES)
    page.get_by_label("Type de pièce").select_option("budget")
    page.locator("input[type=file]").set_input_files(str(pdf))
    page.get_by_role("button", name="Ajouter la pièce").click()
    page.wait_for_load_state()
    assert "budget.pdf" in page.content()
    page.get_by_role("button", name="Continuer vers le récapitulatif").click()

    page.wait_for_load_state()
    assert_no_axe_violations(page)  # summary
    page.get_by_role("button", name="Déposer le dossier").click()
    page.wait_for_load_state()
    dossier = Dossier.objects.get()
    assert dossier.state == Dossier.State.SUBMITTED
    assert dossier.reference in page.content()
    assert_no_axe_violations(page)  # receipt

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Télécharger l'accusé de réception")).click()
    download = download_info.value
    saved = tmp_path / "recu.pdf"
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    assert download.suggested_filename == f"recu-{dossier.reference}.pdf"
