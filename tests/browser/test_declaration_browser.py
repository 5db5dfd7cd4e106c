"""An organisation member declares, in a real Chromium, a session of their training, then a
learner with their enrollment in it (after a first try the form refuses), then the
learner's exit and their situation at 3 months. Every page passes the axe scan, its error
states included."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gen_portal.dates import add_months
from learners.models import Enrollment
from outcomes.models import FollowUp
from tests.browser_helpers import assert_no_axe_violations
from tests.factories import PASSWORD, TrainingFactory
from trainings.models import Session


@pytest.fixture
def training(org_a):
    return TrainingFactory(organisation=org_a, code="GEN-04242", title="Développeur web")


def _log_in(page, base: str, user) -> None:
    page.goto(base + "/compte/connexion/")
    page.get_by_label("Adresse électronique").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    assert "Se déconnecter" in page.content()


def _submit(page, name: str) -> None:
    page.get_by_role("button", name=name).click()
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_member_declares_a_session_a_learner_an_exit_and_a_situation(
    live_server, page, applicant, training
):
    base = live_server.url
    today = timezone.localdate()
    exit_date = add_months(today, -4)  # the 3-month milestone is past
    entry_date = exit_date - datetime.timedelta(days=180)
    _log_in(page, base, applicant)

    # 1. From the organisation's space to its sessions, and a new one.
    page.goto(base + "/compte/mon-espace/")
    page.get_by_role("link", name="Sessions de formation").first.click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Sessions de formation", level=1)).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Déclarer une session").click()
    page.wait_for_load_state()
    assert_no_axe_violations(page)
    page.locator("#id_training").select_option(str(training.pk))
    page.locator("#id_start_date").fill(entry_date.isoformat())
    page.locator("#id_end_date").fill((entry_date - datetime.timedelta(days=1)).isoformat())
    page.locator("#id_capacity").fill("16")
    page.locator("#id_place").fill("Lille, salle Hopper")
    _submit(page, "Déclarer la session")
    # The end before the start is refused next to its field, the values kept.
    expect(page.locator("#id_end_date-desc-error")).to_have_text(
        "La fin de la session précède son début."
    )
    expect(page.locator("#id_place")).to_have_value("Lille, salle Hopper")
    assert_no_axe_violations(page)
    page.locator("#id_end_date").fill(exit_date.isoformat())
    _submit(page, "Déclarer la session")
    expect(page.get_by_text("Session de la formation GEN-04242 enregistrée.")).to_be_visible()
    expect(page.get_by_role("cell", name="Lille, salle Hopper")).to_be_visible()
    assert_no_axe_violations(page)
    session = Session.objects.get(training=training)
    assert (session.start_date, session.end_date, session.capacity) == (entry_date, exit_date, 16)

    # 2. A learner and their enrollment, from the learners' list.
    page.get_by_role("link", name="Apprenants", exact=True).click()
    page.wait_for_load_state()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Déclarer un apprenant").click()
    page.wait_for_load_state()
    assert_no_axe_violations(page)
    page.locator("#id_learner_ref").fill("camille@example.org")
    page.locator("label[for=id_sex_0]").click()  # Femme
    page.locator("#id_birth_year").fill("1998")
    page.locator("#id_training").select_option(str(training.pk))
    page.locator("#id_session").select_option(str(session.pk))
    page.locator("#id_entry_date").fill(entry_date.isoformat())
    page.locator("label[for=id_situation_at_entry_1]").click()  # Demandeur d'emploi
    page.locator("#id_diploma_level").fill("bac")
    page.locator("label[for=id_qpv_resident_0]").click()  # Oui
    page.locator("#id_qpv_code").fill("QP059001")
    page.locator("label[for=id_free_access_0]").click()  # Oui
    _submit(page, "Déclarer l'inscription")
    # An email address is refused as a reference; everything else is still filled in.
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient une erreur")
    expect(page.locator("#id_learner_ref-desc-error")).to_contain_text(
        "Ressemble à une adresse électronique"
    )
    expect(page.locator("#id_qpv_code")).to_have_value("QP059001")
    expect(page.locator("#id_sex_0")).to_be_checked()
    assert_no_axe_violations(page)
    assert not Enrollment.objects.exists()
    page.locator("#id_learner_ref").fill("LIL-2025-007")
    _submit(page, "Déclarer l'inscription")
    expect(page.get_by_text("Inscription de l'apprenant LIL-2025-007 enregistrée.")).to_be_visible()
    expect(page.get_by_role("heading", name="Apprenant LIL-2025-007")).to_be_visible()
    assert_no_axe_violations(page)
    enrollment = Enrollment.objects.get()
    assert (enrollment.training, enrollment.session, enrollment.entry_date) == (
        training,
        session,
        entry_date,
    )

    # 3. The exit, with the situation at exit.
    page.locator("#id_exit-exit_date").fill(exit_date.isoformat())
    page.locator("label[for=id_exit-exit_reason_0]").click()  # Formation terminée
    page.locator("#id_exit-situation").select_option("job_seeking")
    _submit(page, "Enregistrer la sortie")
    expect(page.get_by_text("Sortie de formation enregistrée.")).to_be_visible()
    expect(page.get_by_role("button", name="Corriger la sortie")).to_be_visible()
    assert_no_axe_violations(page)
    enrollment.refresh_from_db()
    assert (enrollment.exit_date, enrollment.exit_reason) == (exit_date, "completed")

    # 4. The situation at 3 months.
    page.locator("#id_milestone").select_option("m3")
    page.locator("#id_situation").select_option("cdi")
    _submit(page, "Enregistrer la situation")
    expect(page.get_by_text("Situation de suivi enregistrée.")).to_be_visible()
    expect(page.get_by_role("row", name="À 3 mois")).to_contain_text("CDI")
    assert_no_axe_violations(page)
    situations = dict(
        FollowUp.objects.filter(enrollment=enrollment).values_list("milestone", "situation")
    )
    assert situations == {"exit": "job_seeking", "m3": "cdi"}

    # 5. The session now has a learner: it can no longer be deleted, and the page says why.
    session = enrollment.session or Session.objects.get(training=enrollment.training)
    page.goto(f"{base}/sessions/{session.pk}/supprimer/")
    expect(
        page.get_by_role("heading", name="Cette session ne peut pas être supprimée")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Supprimer la session")).to_have_count(0)
    assert_no_axe_violations(page)
