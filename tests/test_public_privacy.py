"""No private data in any public page or file.

A labelled training goes through the real decision service from a dossier full of
recognisable private values (commitments, support, partners, budget, justification,
attachments), with reviews, scores, conflict declarations, learners, follow-ups, a rejected
dossier, a withdrawn label and member accounts around it. Every public page and every
open-data file is then fetched anonymously and searched for each of those values."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from labelling.services import decision_record
from outcomes.indicators.runs import indicator_run_execute, indicator_run_request
from outcomes.open_data.services import open_data_generate
from tests.factories import (
    AdmissibilityCheckFactory,
    AttachmentFactory,
    CallFactory,
    CommitteeMemberFactory,
    ConflictDeclarationFactory,
    DossierFactory,
    EnrollmentFactory,
    FollowUpFactory,
    LabelFactory,
    LearnerFactory,
    MembershipFactory,
    OrganisationFactory,
    ReviewAssignmentFactory,
    ReviewFactory,
    ReviewScoreFactory,
    SessionFactory,
    StaffFactory,
    TrainingFactory,
    UserFactory,
    paris_today,
)
from trainings.services import label_withdraw

pytestmark = pytest.mark.django_db

PRIVATE = {
    "member email": "camille.secrete@organisme-prive.example",
    "creator email": "createur.dossier@organisme-prive.example",
    "staff email": "agent.confidentiel@gen-prive.example",
    "committee email": "membre.comite.secret@gen-prive.example",
    "member name": "Zéphyrine Confidentielle",
    "support": "ACCOMPAGNEMENT-CONFIDENTIEL-7Q2",
    "partners": "PARTENAIRES-CONFIDENTIELS-4K9",
    "budget": "987654",
    "free justification": "JUSTIFICATION-CONFIDENTIELLE-3P1",
    "attachment name": "statuts-confidentiels-8x.pdf",
    "review comment": "AVIS-DU-COMITE-CONFIDENTIEL-5R",
    "conflict comment": "CONFLIT-DECLARE-CONFIDENTIEL-6C",
    "declared sirets": "SIRET-DECLARE-CONFIDENTIEL",
    "rejection reason": "MOTIF-DE-REFUS-CONFIDENTIEL-2M",
    "withdrawal reason": "MOTIF-DE-RETRAIT-CONFIDENTIEL-9W",
    "admissibility notes": "NOTES-DE-RECEVABILITE-CONFIDENTIELLES",
    "learner ref": "APPRENANT-SECRET-42",
    "other learner ref": "APPRENANT-SECRET-43",
    "dossier reference": None,  # filled once issued
}


@pytest.fixture
def network(db):
    staff = StaffFactory(email=PRIVATE["staff email"])
    call = CallFactory(reference="2026")
    organisation = OrganisationFactory(name="Organisme public de démonstration")
    MembershipFactory(
        organisation=organisation,
        user=UserFactory(email=PRIVATE["member email"], full_name=PRIVATE["member name"]),
    )
    creator = UserFactory(email=PRIVATE["creator email"])
    dossier = DossierFactory(
        in_review=True,
        call=call,
        organisation=organisation,
        created_by=creator,
        training_title="Développeur web inclusif",
        support_description=PRIVATE["support"],
        partners=PRIVATE["partners"],
        budget_total=Decimal(PRIVATE["budget"]),
        is_free=False,
        price=Decimal("450"),
        free_justification=PRIVATE["free justification"],
        women_share_commitment=37,
        planned_entrants_per_year=73,
    )
    PRIVATE["dossier reference"] = dossier.reference
    AttachmentFactory(dossier=dossier, original_name=PRIVATE["attachment name"])
    AdmissibilityCheckFactory(dossier=dossier, notes=PRIVATE["admissibility notes"])
    member = CommitteeMemberFactory(email=PRIVATE["committee email"])
    assignment = ReviewAssignmentFactory(dossier=dossier, member=member, assigned_by=staff)
    review = ReviewFactory(assignment=assignment, comment=PRIVATE["review comment"])
    ReviewScoreFactory(review=review, score=3)
    ConflictDeclarationFactory(dossier=dossier, comment=PRIVATE["conflict comment"])
    ConflictDeclarationFactory(
        dossier=None, call=call, sirets=PRIVATE["declared sirets"], organisations="Autre"
    )
    decision_record(dossier=dossier, outcome="labelled", actor=staff)
    training = dossier.organisation.trainings.get()
    SessionFactory(training=training, place="Salle publique")

    rejected = DossierFactory(in_review=True, call=call, organisation=organisation)
    decision_record(
        dossier=rejected, outcome="rejected", actor=staff, reason=PRIVATE["rejection reason"]
    )
    withdrawn = TrainingFactory(
        organisation=organisation, code="RETRAIT-01", title="Formation retirée"
    )
    label_withdraw(
        label=LabelFactory(training=withdrawn),
        reason=PRIVATE["withdrawal reason"],
        actor=staff,
    )

    for ref, sex in ((PRIVATE["learner ref"], "F"), (PRIVATE["other learner ref"], "M")):
        enrollment = EnrollmentFactory(
            learner=LearnerFactory(organisation=organisation, learner_ref=ref, sex=sex),
            training=training,
            entry_date=paris_today() - datetime.timedelta(days=400),
            exited=True,
        )
        FollowUpFactory(enrollment=enrollment, milestone="m3", situation="cdi")

    run = indicator_run_execute(run_id=indicator_run_request(as_of=paris_today(), enqueue=False).pk)
    assert run.published_at is not None
    open_data_generate()
    return training


def public_urls(training) -> list[str]:
    files = ["trainings.csv", "trainings.json", "calls.csv", "calls.json"]
    return [
        reverse("home"),
        reverse("trainings:catalogue"),
        reverse("trainings:catalogue") + "?q=web&free=&affichage=carte",
        reverse("trainings:training_detail", args=[training.code]),
        reverse("trainings:organisation_detail", args=[training.organisation_id]),
        reverse("labelling:call_list"),
        reverse("labelling:call_detail", args=["2026"]),
        reverse("outcomes:indicators"),
        reverse("outcomes:open_data"),
        reverse("outcomes:open_data_indicators_json"),
        reverse("outcomes:open_data_indicators_csv"),
        *(reverse("outcomes:open_data_file", args=[name]) for name in files),
        "/sitemap.xml",
        "/robots.txt",
    ]


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode("utf-8")


def test_no_private_value_appears_in_any_public_page_or_file(client, network):
    pages = {}
    for url in public_urls(network):
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = body(response)
    # The training itself is public: the check would be empty if the pages showed nothing.
    assert "Développeur web inclusif" in pages[reverse("trainings:catalogue")]
    assert network.code in pages[reverse("outcomes:open_data_file", args=["trainings.csv"])]

    leaks = [
        (label, url)
        for url, content in pages.items()
        for label, value in PRIVATE.items()
        if value and value.lower() in content.lower()
    ]
    assert leaks == []


def test_the_public_pages_do_not_name_the_people_behind_an_organisation(client, network):
    """Names and emails of members, staff and committee members are nowhere, and neither are
    the dossier's commitments figures."""
    content = client.get(
        reverse("trainings:organisation_detail", args=[network.organisation_id])
    ).content.decode()

    assert "@" not in content.split("<footer")[0].split("</header>")[-1]
    assert "73" not in content  # planned entrants per year, a commitment of the dossier
