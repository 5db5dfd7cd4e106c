import re

import pytest

from labelling.models import (
    AdmissibilityCheck,
    Attachment,
    Call,
    CommitteeMeeting,
    ConflictDeclaration,
    Criterion,
    DeadlineExtension,
    Decision,
    Dossier,
    DossierTransition,
    DraftReminder,
    Review,
    ReviewAssignment,
    ReviewScore,
)
from tests.admin_checks import (
    assert_cannot_be_deleted,
    assert_change_page_opens,
    assert_changelist_lists_a_row,
    assert_changelist_queries_do_not_grow,
    assert_every_model_registered,
    assert_no_delete_action,
    assert_sent_to_the_admin_login,
    name_of,
    url,
)
from tests.factories import (
    AdmissibilityCheckFactory,
    AttachmentFactory,
    CallFactory,
    CommitteeMeetingFactory,
    CommitteeMemberFactory,
    ConflictDeclarationFactory,
    CriterionFactory,
    DeadlineExtensionFactory,
    DecisionFactory,
    DossierFactory,
    DossierTransitionFactory,
    DraftReminderFactory,
    ReviewAssignmentFactory,
    ReviewFactory,
    ReviewScoreFactory,
)

pytestmark = pytest.mark.django_db

WRITABLE = {
    Call: CallFactory,
    Criterion: CriterionFactory,
    Dossier: DossierFactory,
    ReviewAssignment: ReviewAssignmentFactory,
    Review: ReviewFactory,
    ReviewScore: ReviewScoreFactory,
    CommitteeMeeting: CommitteeMeetingFactory,
    Decision: DecisionFactory,
}
READ_ONLY = {
    DossierTransition: DossierTransitionFactory,
    DeadlineExtension: DeadlineExtensionFactory,
    ConflictDeclaration: ConflictDeclarationFactory,
    DraftReminder: DraftReminderFactory,
    AdmissibilityCheck: AdmissibilityCheckFactory,
}
ALL = {**WRITABLE, **READ_ONLY, Attachment: AttachmentFactory}


def test_every_labelling_model_has_an_admin_screen():
    assert_every_model_registered("labelling")


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_changelist_answers_200(superuser_client, model):
    assert_changelist_lists_a_row(superuser_client, model, ALL[model])


@pytest.mark.parametrize("model", WRITABLE, ids=name_of)
def test_add_page_answers_200(superuser_client, model):
    assert superuser_client.get(url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_change_page_answers_200(superuser_client, model):
    assert_change_page_opens(superuser_client, model, ALL[model])


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_changelist_queries_do_not_grow_with_rows(superuser_client, model):
    assert_changelist_queries_do_not_grow(superuser_client, model, ALL[model])


SEARCHES = {
    Call: (lambda: CallFactory(reference="R2018"), lambda call: "R2018"),
    Criterion: (lambda: CriterionFactory(title="Ancrage territorial"), lambda c: "ancrage"),
    Dossier: (lambda: DossierFactory(submitted=True), lambda d: d.reference),
    DossierTransition: (lambda: DossierTransitionFactory(), lambda t: t.dossier.reference),
    DeadlineExtension: (
        lambda: DeadlineExtensionFactory(call__reference="R2019"),
        lambda e: "R2019",
    ),
    Attachment: (lambda: AttachmentFactory(original_name="budget-2019.pdf"), lambda a: "budget"),
    ReviewAssignment: (
        lambda: ReviewAssignmentFactory(member__email="evaluatrice@comite.fr"),
        lambda a: "evaluatrice@",
    ),
    ConflictDeclaration: (
        lambda: ConflictDeclarationFactory(member__email="lien.interet@comite.fr"),
        lambda c: "lien.interet",
    ),
    Review: (lambda: ReviewFactory(), lambda r: r.assignment.dossier.reference),
    ReviewScore: (
        lambda: ReviewScoreFactory(criterion__title="Qualité pédagogique"),
        lambda s: "pédagogique",
    ),
    CommitteeMeeting: (lambda: CommitteeMeetingFactory(location="Bercy"), lambda m: "bercy"),
    Decision: (lambda: DecisionFactory(), lambda d: d.dossier.reference),
    AdmissibilityCheck: (lambda: AdmissibilityCheckFactory(), lambda c: c.dossier.reference),
    DraftReminder: (
        lambda: DraftReminderFactory(dossier__training_title="Data analyst en alternance"),
        lambda r: "data analyst",
    ),
}


@pytest.mark.parametrize("model", SEARCHES, ids=name_of)
def test_search_finds_the_matching_row_only(superuser_client, model):
    make, term_of = SEARCHES[model]
    target = make()
    other = ALL[model]()

    response = superuser_client.get(url(model, "changelist"), {"q": term_of(target)})

    assert response.status_code == 200
    results = set(response.context["cl"].result_list)
    assert target in results
    assert other not in results


def test_dossier_search_also_matches_the_organisation_siret(superuser_client):
    target = DossierFactory()
    DossierFactory()

    response = superuser_client.get(url(Dossier, "changelist"), {"q": target.organisation.siret})

    assert list(response.context["cl"].result_list) == [target]


# --- inlines --------------------------------------------------------------------------------


def test_call_page_edits_its_criteria_inline(superuser_client):
    call = CallFactory()
    CriterionFactory.create_batch(2, call=call)

    response = superuser_client.get(url(Call, "change", call.pk))

    assert 'name="criteria-TOTAL_FORMS" value="2"' in response.content.decode()


def test_review_page_edits_its_scores_inline(superuser_client):
    score = ReviewScoreFactory()

    response = superuser_client.get(url(Review, "change", score.review.pk))

    assert 'name="scores-TOTAL_FORMS" value="1"' in response.content.decode()


def test_dossier_page_shows_its_journal_without_letting_it_change(superuser_client):
    transition = DossierTransitionFactory(reason="Motif visible au journal")

    response = superuser_client.get(url(Dossier, "change", transition.dossier.pk))

    content = response.content.decode()
    assert "Motif visible au journal" in content
    assert 'name="transitions-0-reason"' not in content


def test_admin_adds_criteria_to_a_call(superuser_client):
    call = CallFactory()
    data = {
        "reference": call.reference,
        "title": call.title,
        "description": call.description,
        "opens_at_0": call.opens_at.strftime("%d/%m/%Y"),
        "opens_at_1": call.opens_at.strftime("%H:%M:%S"),
        "closes_at_0": call.closes_at.strftime("%d/%m/%Y"),
        "closes_at_1": call.closes_at.strftime("%H:%M:%S"),
        "label_duration_months": "36",
        "qpv_training_target": "0.3",
        "required_attachments": "[]",
        "is_published": "on",
        "criteria-TOTAL_FORMS": "1",
        "criteria-INITIAL_FORMS": "0",
        "criteria-0-position": "1",
        "criteria-0-title": "Public éloigné de l'emploi",
        "criteria-0-weight": "2",
        "criteria-0-max_score": "5",
        "criteria-0-guidance": "",
        "extensions-TOTAL_FORMS": "0",
        "extensions-INITIAL_FORMS": "0",
    }

    response = superuser_client.post(url(Call, "change", call.pk), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(call.criteria.values_list("title", flat=True)) == ["Public éloigné de l'emploi"]


# --- state changes stay with the services ---------------------------------------------------


def test_dossier_state_and_number_are_read_only_in_the_admin(superuser_client):
    dossier = DossierFactory(submitted=True)

    content = superuser_client.get(url(Dossier, "change", dossier.pk)).content.decode()

    for field in ("state", "reference", "submitted_at", "correction_requested"):
        assert f'name="{field}"' not in content
    assert dossier.reference in content


# --- attachments: metadata only -------------------------------------------------------------


def test_attachment_page_never_links_to_the_stored_file(superuser_client):
    attachment = AttachmentFactory()

    pages = [
        superuser_client.get(url(Attachment, "change", attachment.pk)),
        superuser_client.get(url(Attachment, "changelist")),
        superuser_client.get(url(Dossier, "change", attachment.dossier.pk)),
    ]

    for page in pages:
        assert page.status_code == 200
        links = re.findall(r'href="([^"]*)"', page.content.decode())
        assert not [link for link in links if "attachments/" in link]
    assert attachment.file.name in pages[0].content.decode()


def test_attachments_cannot_be_uploaded_or_changed_through_the_admin(superuser_client):
    attachment = AttachmentFactory(original_name="statuts.pdf")

    add = superuser_client.get(url(Attachment, "add"))
    change = superuser_client.post(
        url(Attachment, "change", attachment.pk), {"original_name": "autre.pdf"}
    )

    assert add.status_code == 403
    assert change.status_code == 403
    attachment.refresh_from_db()
    assert attachment.original_name == "statuts.pdf"


# --- read-only audit rows -------------------------------------------------------------------


@pytest.mark.parametrize("model", READ_ONLY, ids=name_of)
def test_audit_rows_cannot_be_added(superuser_client, model):
    assert superuser_client.get(url(model, "add")).status_code == 403


@pytest.mark.parametrize("model", READ_ONLY, ids=name_of)
def test_audit_rows_offer_no_delete_action(superuser_client, model):
    assert_no_delete_action(superuser_client, model, READ_ONLY[model])


@pytest.mark.parametrize("model", READ_ONLY, ids=name_of)
def test_audit_rows_cannot_be_deleted(superuser_client, model):
    assert_cannot_be_deleted(superuser_client, model, READ_ONLY[model])


@pytest.mark.parametrize("model", READ_ONLY, ids=name_of)
def test_audit_rows_cannot_be_changed(superuser_client, model):
    row = READ_ONLY[model]()

    page = superuser_client.get(url(model, "change", row.pk))
    response = superuser_client.post(url(model, "change", row.pk), {"reason": "réécrit"})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert response.status_code == 403


def test_conflict_declarations_survive_an_attempt_to_delete_them_in_bulk(superuser_client):
    declaration = ConflictDeclarationFactory(member=CommitteeMemberFactory())

    response = superuser_client.post(
        url(ConflictDeclaration, "changelist"),
        {"action": "delete_selected", "_selected_action": [str(declaration.pk)], "post": "yes"},
    )

    assert response.status_code in (200, 302)
    assert ConflictDeclaration.objects.filter(pk=declaration.pk).exists()


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_non_staff_user_is_sent_to_the_admin_login(committee_client, model):
    assert_sent_to_the_admin_login(committee_client, model)
