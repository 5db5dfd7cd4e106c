"""A committee member sees only the dossiers assigned to them (with their files), scores
each criterion with its guidance, saves and comes back, then submits; other members'
reviews show only after that. Nobody else reaches a review page: applicants never do."""

import html

import pytest
from django.test import Client
from django.urls import reverse

from labelling.models import Review, ReviewAssignment
from labelling.services import interests_declare, review_save
from tests.factories import (
    AttachmentFactory,
    CommitteeMemberFactory,
    CriterionFactory,
    DossierFactory,
    ReviewAssignmentFactory,
)

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def review_url(dossier) -> str:
    return reverse("labelling:review_edit", args=[dossier.pk])


@pytest.fixture
def criteria(open_call):
    return [
        CriterionFactory(
            call=open_call,
            title="Insertion professionnelle",
            guidance="Taux de sorties positives visé et moyens pour l'atteindre.",
            max_score=5,
        ),
        CriterionFactory(call=open_call, title="Public éloigné de l'emploi", max_score=10),
    ]


@pytest.fixture
def declared(committee_member, open_call):
    """The member declared their interests for the call (none): they may review."""
    interests_declare(call=open_call, member=committee_member)
    return committee_member


def scores_post(criteria, values, **extra) -> dict:
    data = {f"score_{c.pk}": str(v) for c, v in zip(criteria, values, strict=True) if v != ""}
    data.update(extra)
    return data


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the member's list -------------------------------------------------------------------


def test_my_reviews_lists_only_assigned_dossiers_without_conflict(
    committee_client, conflicted_client, dossier_a, open_call
):
    DossierFactory(call=open_call, submitted=True)  # not assigned to anyone

    mine = committee_client.get(reverse("labelling:my_reviews"))
    conflicted = conflicted_client.get(reverse("labelling:my_reviews"))

    assert [a.dossier for a in mine.context["assignments"]] == [dossier_a]
    assert conflicted.context["assignments"] == []


def test_my_reviews_asks_for_the_declaration_of_interests(committee_client, dossier_a):
    response = committee_client.get(reverse("labelling:my_reviews"))

    assert "déclaration à faire avant d’évaluer" in page_text(response)


# --- the review page ----------------------------------------------------------------------


def test_without_a_declaration_the_member_is_sent_to_declare(committee_client, dossier_a):
    response = committee_client.get(review_url(dossier_a))

    assert response.status_code == 302
    assert response["Location"] == reverse("labelling:member_interests", args=[dossier_a.call_id])


def test_review_page_shows_the_dossier_files_and_guidance(
    committee_client, declared, dossier_a, criteria
):
    attachment = AttachmentFactory(dossier=dossier_a, original_name="budget-2026.pdf")

    response = committee_client.get(review_url(dossier_a))

    assert response.status_code == 200
    body = page_text(response)
    assert "budget-2026.pdf" in body
    assert reverse("labelling:attachment_download", args=[dossier_a.pk, attachment.pk]) in body
    assert "Taux de sorties positives visé et moyens pour l'atteindre." in body
    assert "Note de 0 à 5" in body
    download = committee_client.get(
        reverse("labelling:attachment_download", args=[dossier_a.pk, attachment.pk])
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")  # closes the file


def test_member_saves_a_draft_and_comes_back_to_it(committee_client, declared, dossier_a, criteria):
    response = committee_client.post(
        review_url(dossier_a),
        scores_post(criteria, [4, ""], comment="À compléter après lecture du budget", save=""),
        follow=True,
    )

    assert "Brouillon enregistré" in page_text(response)
    review = Review.objects.get()
    assert review.submitted_at is None
    form = committee_client.get(review_url(dossier_a)).context["form"]
    assert form.initial[f"score_{criteria[0].pk}"] == 4
    assert form.initial["comment"] == "À compléter après lecture du budget"


def test_submission_needs_every_score_and_a_recommendation(
    committee_client, declared, dossier_a, criteria
):
    response = committee_client.post(
        review_url(dossier_a), scores_post(criteria, [4, ""], submit="")
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert f"score_{criteria[1].pk}" in errors
    assert "recommendation" in errors
    assert not Review.objects.filter(submitted_at__isnull=False).exists()


def test_a_score_above_the_maximum_is_refused(committee_client, declared, dossier_a, criteria):
    response = committee_client.post(
        review_url(dossier_a), scores_post(criteria, [6, 8], recommendation="favourable", submit="")
    )

    assert f"score_{criteria[0].pk}" in response.context["form"].errors
    assert not Review.objects.exists()


def test_member_submits_and_then_cannot_change_the_review(
    committee_client, declared, dossier_a, criteria
):
    committee_client.post(
        review_url(dossier_a),
        scores_post(criteria, [4, 7], recommendation="reserved", comment="Solide", submit=""),
    )
    review = Review.objects.get()
    assert review.submitted_at is not None
    assert review.recommendation == "reserved"

    response = committee_client.post(
        review_url(dossier_a),
        scores_post(criteria, [0, 0], recommendation="unfavourable", submit=""),
        follow=True,
    )

    assert "déjà été rendue" in page_text(response)
    review.refresh_from_db()
    assert review.recommendation == "reserved"
    assert set(review.scores.values_list("score", flat=True)) == {4, 7}


def test_other_reviews_show_only_after_submitting_ones_own(
    committee_client, declared, dossier_a, criteria
):
    peer = CommitteeMemberFactory(full_name="Paula Pair")
    peer_assignment = ReviewAssignmentFactory(dossier=dossier_a, member=peer)
    review_save(
        assignment=peer_assignment,
        scores={criteria[0].pk: 2, criteria[1].pk: 3},
        recommendation="unfavourable",
        comment="Budget irréaliste",
        submit=True,
    )

    before = page_text(committee_client.get(review_url(dossier_a)))
    committee_client.post(
        review_url(dossier_a),
        scores_post(criteria, [5, 9], recommendation="favourable", submit=""),
    )
    after = committee_client.get(review_url(dossier_a))

    assert "Budget irréaliste" not in before and "Paula Pair" not in before
    assert "Budget irréaliste" in page_text(after)
    assert [line.assignment.member for line in after.context["peers"]] == [peer]


def test_a_peers_draft_stays_hidden(committee_client, declared, dossier_a, criteria):
    peer = ReviewAssignmentFactory(dossier=dossier_a, member=CommitteeMemberFactory())
    review_save(assignment=peer, scores={criteria[0].pk: 1}, comment="Brouillon du pair")
    committee_client.post(
        review_url(dossier_a),
        scores_post(criteria, [5, 9], recommendation="favourable", submit=""),
    )

    assert "Brouillon du pair" not in page_text(committee_client.get(review_url(dossier_a)))


# --- access ----------------------------------------------------------------------------------


def test_an_unassigned_member_gets_404_for_the_dossier_and_its_files(dossier_a, open_call):
    outsider = CommitteeMemberFactory()
    interests_declare(call=open_call, member=outsider)
    attachment = AttachmentFactory(dossier=dossier_a)
    client = login(outsider)

    assert client.get(review_url(dossier_a)).status_code == 404
    download = reverse("labelling:attachment_download", args=[dossier_a.pk, attachment.pk])
    assert client.get(download).status_code == 404
    assert client.get(reverse("labelling:dossier_detail", args=[dossier_a.pk])).status_code == 404


def test_a_conflicted_member_gets_404_for_the_dossier_and_its_files(
    conflicted_client, conflicted_member, dossier_a, open_call
):
    interests_declare(call=open_call, member=conflicted_member)
    attachment = AttachmentFactory(dossier=dossier_a)

    assert conflicted_client.get(review_url(dossier_a)).status_code == 404
    assert conflicted_client.post(review_url(dossier_a), {"submit": ""}).status_code == 404
    download = reverse("labelling:attachment_download", args=[dossier_a.pk, attachment.pk])
    assert conflicted_client.get(download).status_code == 404


@pytest.mark.parametrize("persona", ["applicant_client", "other_applicant_client", "staff_client"])
def test_applicants_and_staff_never_reach_review_pages(request, persona, dossier_a):
    client = request.getfixturevalue(persona)

    assert client.get(review_url(dossier_a)).status_code == 404
    assert client.get(reverse("labelling:my_reviews")).status_code == 404


def test_a_committee_member_of_the_applicant_organisation_has_no_access(
    applicant, dossier_a, open_call
):
    # An applicant who also sits on the committee: never assigned their own dossier.
    applicant.is_committee_member = True
    applicant.save()
    interests_declare(call=open_call, member=applicant)

    assert login(applicant).get(review_url(dossier_a)).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, dossier_a):
    for url in (review_url(dossier_a), reverse("labelling:my_reviews")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_the_applicants_dossier_page_shows_no_review(
    applicant_client, committee_member, dossier_a, criteria
):
    review_save(
        assignment=ReviewAssignment.objects.get(dossier=dossier_a, member=committee_member),
        scores={criteria[0].pk: 1, criteria[1].pk: 1},
        recommendation="unfavourable",
        comment="Commentaire interne au comité",
        submit=True,
    )

    body = page_text(applicant_client.get(reverse("labelling:dossier_detail", args=[dossier_a.pk])))

    assert "Commentaire interne au comité" not in body
    assert "Claude Comité" not in body


def test_reviews_close_once_the_committee_has_decided(
    committee_client, declared, dossier_a, criteria
):
    dossier_a.state = "rejected"
    dossier_a.save()

    page = committee_client.get(review_url(dossier_a))
    posted = committee_client.post(
        review_url(dossier_a),
        scores_post(criteria, [4, 7], recommendation="favourable", submit=""),
        follow=True,
    )

    assert page.context["form"] is None
    assert "l’évaluation est close" in page_text(page)
    assert "l'évaluation est close" in page_text(posted)
    assert not Review.objects.exists()
