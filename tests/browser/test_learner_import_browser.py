"""An organisation member imports a learners.csv from the web, in a real Chromium, with a real
Celery worker: a file with two bad rows is refused with both rows named, the fixed file is
validated, confirmed, imported while the page follows the progress, and the learners show in
the list. Every page passes the axe scan. A second journey checks that, without JavaScript,
the job page reloads itself until the work is done.

The worker's tasks wait at a gate the test opens: the running page (progress bar, polling)
is then always seen, whatever the speed of the machine.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from celery.signals import task_prerun
from playwright.sync_api import expect

from learners.models import Enrollment, ImportJob
from tests.browser_helpers import assert_no_axe_violations
from tests.factories import PASSWORD, TrainingFactory

HEADER = (
    "training_code;learner_ref;sex;birth_year;qpv_resident;situation_at_entry;free_access;"
    "entry_date;exit_date;exit_reason;situation_exit\n"
)
GOOD_ROWS = [
    "{code};NAV-001;F;1994;non;demandeur_emploi;oui;09/01/2024;05/07/2024;terminee;cdi\n",
    "{code};NAV-002;M;1999;oui;inactif;oui;09/01/2024;;;\n",
    "{code};NAV-003;X;2001;non;etudes;oui;09/01/2024;;;\n",
    "{code};NAV-004;F;1990;non;emploi;non;09/01/2024;;;\n",
]
# Line 3 (NAV-002) gets an unknown sex, line 5 (NAV-004) an impossible entry date.
BAD_ROWS = [
    GOOD_ROWS[0],
    GOOD_ROWS[1].replace(";M;", ";Q;"),
    GOOD_ROWS[2],
    GOOD_ROWS[3].replace("09/01/2024", "31/02/2024"),
]
WAIT_MS = 20_000


def _csv(rows: list[str], code: str) -> dict:
    body = HEADER + "".join(row.format(code=code) for row in rows)
    return {"name": "learners.csv", "mimeType": "text/csv", "buffer": body.encode("cp1252")}


@pytest.fixture
def gate(celery_worker_thread) -> Iterator[threading.Semaphore]:
    """Each import task waits for one `release()` before running."""
    permits = threading.Semaphore(0)

    def wait_for_permit(sender=None, **_kwargs):
        if sender is not None and sender.name.startswith("learners.tasks.import_job"):
            permits.acquire(timeout=30)

    task_prerun.connect(wait_for_permit, weak=False)
    try:
        yield permits
    finally:
        task_prerun.disconnect(wait_for_permit)
        for _ in range(4):  # never leave the worker thread stuck at the gate
            permits.release()


@pytest.fixture
def training(org_a):
    return TrainingFactory(organisation=org_a, code="GEN-04201", title="Développeur web")


def _log_in(page, base: str, user) -> None:
    page.goto(base + "/compte/connexion/")
    page.get_by_label("Adresse électronique").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    assert "Se déconnecter" in page.content()


def _upload(page, base: str, rows: list[str], code: str) -> None:
    page.goto(base + "/apprenants/import/")
    page.set_input_files("#id_file", _csv(rows, code))
    page.get_by_role("button", name="Vérifier le fichier").click()
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_member_fixes_a_refused_file_then_imports_it(live_server, page, gate, applicant, training):
    base = live_server.url
    _log_in(page, base, applicant)
    page.goto(base + "/apprenants/import/")
    assert_no_axe_violations(page)

    # 1. Two bad rows: while the worker waits, the page shows the job queued, with its bar.
    _upload(page, base, BAD_ROWS, training.code)
    expect(page.get_by_role("heading", name="Vérification du fichier")).to_be_visible()
    expect(page.locator("#import-job-progress")).to_be_visible()
    expect(page.get_by_text("En attente de vérification…")).to_be_visible()
    assert_no_axe_violations(page)
    gate.release()  # the page's script sees the state change and reloads itself
    expect(page.get_by_role("heading", name="Fichier refusé")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("2 lignes invalides : rien n'a été importé.")).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("3")
    expect(rows.nth(0)).to_contain_text("sex")
    expect(rows.nth(0)).to_contain_text("sexe inconnu (F, M ou X attendu)")
    expect(rows.nth(1)).to_contain_text("5")
    expect(rows.nth(1)).to_contain_text("entry_date")
    expect(rows.nth(1)).to_contain_text("date impossible")
    assert_no_axe_violations(page)
    assert not Enrollment.objects.exists()

    # 2. The fixed file: valid, nothing written before the confirmation.
    page.get_by_role("link", name="Envoyer un fichier corrigé").click()
    page.wait_for_load_state()
    assert_no_axe_violations(page)  # the upload page, now listing the refused job
    _upload(page, base, GOOD_ROWS, training.code)
    gate.release()
    expect(page.get_by_role("heading", name="Fichier valide")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("l'import enregistrera 4 apprenants, 4 inscriptions")).to_be_visible()
    assert_no_axe_violations(page)
    assert not Enrollment.objects.exists()

    # 3. Confirmed: the import runs, the bar fills, the page lands on the result.
    page.get_by_role("button", name="Confirmer l'import").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Étape 4 sur 4")).to_be_visible()
    expect(page.get_by_text("Import confirmé, en attente de démarrage…")).to_be_visible()
    assert_no_axe_violations(page)
    gate.release()
    expect(page.get_by_role("heading", name="Import terminé")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("4 lignes lues : 4 apprenants, 4 inscriptions")).to_be_visible()
    assert_no_axe_violations(page)
    job = ImportJob.objects.latest("pk")
    assert (job.state, job.percent, job.file.name) == (ImportJob.State.DONE, 100, "")

    # 4. The learners are in the list.
    page.get_by_role("link", name="Voir les apprenants").click()
    page.wait_for_load_state()
    for ref in ("NAV-001", "NAV-002", "NAV-003", "NAV-004"):
        expect(page.get_by_role("link", name=ref)).to_be_visible()
    assert_no_axe_violations(page)
    assert Enrollment.objects.filter(training=training).count() == 4


@pytest.mark.browser
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_job_page_follows_the_work_without_javascript(
    live_server, browser, gate, applicant, training
):
    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", java_script_enabled=False
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        _log_in(page, live_server.url, applicant)
        _upload(page, live_server.url, GOOD_ROWS, training.code)
        expect(page.get_by_text("En attente de vérification…")).to_be_visible()
        gate.release()
        # The <noscript> refresh reloads the page until the state has changed.
        expect(page.get_by_role("heading", name="Fichier valide")).to_be_visible(timeout=WAIT_MS)
        # No axe scan here: axe is JavaScript, switched off in this browser context (the same
        # pages are scanned in the journey above).
        expect(page.get_by_role("button", name="Confirmer l'import")).to_be_visible()
    finally:
        context.close()
