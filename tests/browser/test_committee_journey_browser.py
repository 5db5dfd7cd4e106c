"""The committee's journey in a real Chromium: a member declares their interests, declares a
conflict on one dossier and reviews another; staff run the meeting and record the decisions;
the applicant sees the decision and downloads the letter. Every page passes the axe scan."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import OutboxEmail
from accounts.services import user_create
from labelling.models import Decision, Dossier, Review
from labelling.services import (
    call_create,
    dossier_create,
    dossier_submit,
    interests_declare,
    review_assign,
    review_save,
)
from tests.browser_helpers import assert_no_axe_violations
from trainings.models import Label
from trainings.services import organisation_create

PASSWORD = "motdepasse-solide-123"
SITE = {
    "duration_months": 9,
    "site_address": "12 rue des Lilas",
    "site_postcode": "93200",
    "site_city": "Saint-Denis",
    "department_code": "93",
    "region_code": "11",
}


def _applicant(call, *, email, name, siret, title):
    user = user_create(email=email, password=PASSWORD, full_name=name, verified=True)
    organisation = organisation_create(
        name=f"Organisme de {name}", siret=siret, department_code="93", creator=user
    )
    dossier = dossier_create(
        call=call, organisation=organisation, actor=user, training_title=title, **SITE
    )
    return user, dossier_submit(dossier=dossier, actor=user)


@pytest.fixture
def committee(transactional_db):
    """A call with two submitted dossiers, each assigned to three members; two of them have
    already submitted their reviews."""
    now = timezone.now()
    call = call_create(
        reference="2026",
        title="Appel à labellisation 2026",
        opens_at=now - datetime.timedelta(days=30),
        closes_at=now + datetime.timedelta(days=2),
        published=True,
        criteria=[
            {
                "title": "Insertion professionnelle",
                "guidance": "Taux de sorties positives visé.",
                "max_score": 5,
                "weight": 2,
            },
            {"title": "Public éloigné de l'emploi", "max_score": 10},
        ],
    )
    applicant, labelled = _applicant(
        call,
        email="awa@orga.example",
        name="Awa Diallo",
        siret="73282932000074",
        title="Développeur web et web mobile",
    )
    _other, rejected = _applicant(
        call,
        email="marc@autre.example",
        name="Marc Petit",
        siret="35600000000048",
        title="Technicien d'assistance informatique",
    )
    member = user_create(
        email="claude@comite.example",
        password=PASSWORD,
        full_name="Claude Comité",
        is_committee_member=True,
        verified=True,
    )
    peers = [
        user_create(
            email=f"pair{n}@comite.example",
            password=None,
            full_name=name,
            is_committee_member=True,
        )
        for n, name in enumerate(("Dominique Pair", "Eden Pair"))
    ]
    staff = user_create(
        email="alex@gen.example", password=PASSWORD, full_name="Alex Équipe", is_staff=True
    )
    criteria = list(call.criteria.all())
    for dossier in (labelled, rejected):
        review_assign(dossier=dossier, member=member, actor=staff)
        for peer in peers:
            interests_declare(call=call, member=peer)
            review_save(
                assignment=review_assign(dossier=dossier, member=peer, actor=staff),
                scores={criteria[0].pk: 4, criteria[1].pk: 7},
                recommendation="favourable",
                comment=f"Avis de {peer.full_name}",
                submit=True,
            )
    return {
        "call": call,
        "applicant": applicant,
        "labelled": labelled,
        "rejected": rejected,
        "member": member,
        "staff": staff,
        "criteria": criteria,
    }


def log_in(page, base, email):
    page.context.clear_cookies()
    page.goto(base + "/compte/connexion/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def tick(page, label_for: str):
    # DSFR draws its own box over the real input: click the label, as a person would.
    page.locator(f"label[for='{label_for}']").click()


@pytest.mark.browser
def test_member_reviews_staff_decide_applicant_downloads_the_letter(
    live_server, page, committee, settings, tmp_path
):
    settings.SITE_URL = live_server.url
    base = live_server.url
    call, labelled, rejected = committee["call"], committee["labelled"], committee["rejected"]
    insertion, public = committee["criteria"]

    # --- the committee member ------------------------------------------------------------
    log_in(page, base, "claude@comite.example")
    page.get_by_role("link", name="Mes évaluations").first.click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes évaluations")
    assert_no_axe_violations(page)

    # Before reviewing, the member is asked for their declaration of interests.
    page.get_by_role("link", name=labelled.reference).click()
    page.wait_for_load_state()
    expect(page.locator(".fr-alert").first).to_contain_text("déclarez vos intérêts")
    assert_no_axe_violations(page)
    page.locator("#id_organisations").fill("Association Code Solidaire")
    tick(page, "id_attest")
    page.get_by_role("button", name="Enregistrer ma déclaration").click()
    page.wait_for_load_state()
    expect(page.locator(".fr-alert--success")).to_contain_text("déclaration d'intérêts")

    # A conflict on the other dossier: it goes away, files included.
    page.get_by_role(
        "link", name=f"Déclarer un conflit sur le dossier {rejected.reference}"
    ).click()
    page.wait_for_load_state()
    assert_no_axe_violations(page)
    page.locator("#id_comment").fill("J'ai travaillé pour cet organisme l'an dernier.")
    page.get_by_role("button", name="Déclarer le conflit d’intérêts").click()
    page.wait_for_load_state()
    expect(page.locator(".fr-alert--success")).to_contain_text(rejected.reference)
    assert_no_axe_violations(page)

    page.goto(base + "/comite/evaluations/")
    expect(page.get_by_role("link", name=labelled.reference)).to_be_visible()
    expect(page.get_by_role("link", name=rejected.reference)).to_have_count(0)
    assert page.goto(base + f"/comite/evaluations/{rejected.pk}/").status == 404

    # The review: a draft first, then back to it and submitted.
    page.goto(base + "/comite/evaluations/")
    page.get_by_role("link", name=labelled.reference).click()
    page.wait_for_load_state()
    expect(page.get_by_text("Taux de sorties positives visé.")).to_be_visible()
    expect(page.get_by_text("Avis de Dominique Pair")).to_have_count(0)
    assert_no_axe_violations(page)
    page.locator(f"#id_score_{insertion.pk}").fill("5")
    page.locator("#id_comment").fill("Partenariats solides avec la mission locale.")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.wait_for_load_state()
    expect(page.locator(".fr-alert--success")).to_contain_text("Brouillon enregistré")
    page.reload()
    expect(page.locator(f"#id_score_{insertion.pk}")).to_have_value("5")
    page.locator(f"#id_score_{public.pk}").fill("8")
    tick(page, "id_recommendation_0")
    page.get_by_role("button", name="Rendre l’évaluation").click()
    page.wait_for_load_state()
    expect(page.locator(".fr-alert--success").first).to_contain_text("Évaluation rendue")
    expect(page.get_by_text("Avis de Dominique Pair")).to_be_visible()
    assert_no_axe_violations(page)
    assert (
        Review.objects.filter(
            assignment__member=committee["member"], submitted_at__isnull=False
        ).count()
        == 1
    )

    # --- staff: the queue, a dossier, the meeting and its decisions ----------------------
    log_in(page, base, "alex@gen.example")
    page.goto(base + f"/equipe/appels/{call.pk}/dossiers/?o=-score")
    expect(page.locator("#work-queue tbody tr")).to_have_count(2)
    assert_no_axe_violations(page)
    page.get_by_role("link", name=labelled.reference).click()
    page.wait_for_load_state()
    expect(page.get_by_text("Partenariats solides avec la mission locale.")).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Séances du comité").click()
    page.wait_for_load_state()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Nouvelle séance").click()
    page.wait_for_load_state()
    assert_no_axe_violations(page)
    page.locator("#id_date").fill("2026-06-15")
    page.locator("#id_time").fill("10:00")
    page.locator("#id_location").fill("Ministère, salle 101")
    page.locator("#id_quorum").fill("3")
    for name in ("Claude Comité", "Dominique Pair", "Eden Pair"):
        page.locator("label", has_text=name).click()
    for dossier in (labelled, rejected):
        page.locator("label", has_text=dossier.reference).click()
    page.get_by_role("button", name="Enregistrer la séance").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Quorum atteint")).to_be_visible()
    assert_no_axe_violations(page)

    tick(page, f"id_dossier-{labelled.pk}-outcome_0")
    page.get_by_role(
        "button", name=f"Enregistrer la décision sur le dossier {labelled.reference}"
    ).click()
    page.wait_for_load_state()
    expect(page.locator(".fr-alert--success").first).to_contain_text(labelled.reference)
    tick(page, f"id_dossier-{rejected.pk}-outcome_1")
    page.locator(f"#id_dossier-{rejected.pk}-reason").fill(
        "Le public visé n'est pas prioritairement éloigné de l'emploi."
    )
    page.get_by_role(
        "button", name=f"Enregistrer la décision sur le dossier {rejected.reference}"
    ).click()
    page.wait_for_load_state()
    expect(page.locator(".fr-alert--success").first).to_contain_text(rejected.reference)
    assert_no_axe_violations(page)
    with page.expect_download() as minutes_info:
        page.get_by_role("link", name="Procès-verbal (PDF)").click()
    minutes = tmp_path / "pv.pdf"
    minutes_info.value.save_as(minutes)
    assert minutes.read_bytes().startswith(b"%PDF-")

    assert dict(Decision.objects.values_list("dossier__reference", "outcome")) == {
        labelled.reference: "labelled",
        rejected.reference: "rejected",
    }
    label = Label.objects.get()
    assert label.training.title == "Développeur web et web mobile"

    # --- the applicant --------------------------------------------------------------------
    assert OutboxEmail.objects.filter(
        to="awa@orga.example", subject__contains="décision du comité"
    ).exists()
    log_in(page, base, "awa@orga.example")
    page.get_by_role("link", name="Mes candidatures").first.click()
    page.wait_for_load_state()
    expect(page.get_by_text("Labellisé").first).to_be_visible()
    page.get_by_role("link", name=labelled.reference).click()
    page.wait_for_load_state()
    # The notice on the dossier page (the timeline says it too).
    expect(page.get_by_role("heading", name=re.compile("Décision du comité"))).to_be_visible()
    assert_no_axe_violations(page)
    page.goto(base + f"/candidatures/{labelled.pk}/decision/")
    expect(page.get_by_role("heading", level=2).first).to_contain_text("Labellisé")
    expect(page.get_by_text(label.training.code)).to_be_visible()
    assert_no_axe_violations(page)
    with page.expect_download() as letter_info:
        page.get_by_role("link", name="Télécharger le certificat de labellisation (PDF)").click()
    letter = letter_info.value
    saved = tmp_path / "lettre.pdf"
    letter.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    assert letter.suggested_filename == f"decision-{labelled.reference}.pdf"
    assert Dossier.objects.get(pk=labelled.pk).state == Dossier.State.LABELLED
