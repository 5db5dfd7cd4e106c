"""Declarations of interests: members declare their interests once per call (every
declaration kept) and a conflict on any dossier; a conflict removes the assignment and hides
the dossier and its files. Staff read and export every declaration."""

import html

import pytest
from django.test import Client
from django.urls import reverse

from gen_portal.errors import DomainError
from labelling.models import ConflictDeclaration, ReviewAssignment
from labelling.services import review_assign
from tests.factories import (
    AttachmentFactory,
    CallFactory,
    CommitteeMemberFactory,
    DossierFactory,
    OrganisationFactory,
    ReviewFactory,
)

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def interests_url(call) -> str:
    return reverse("labelling:member_interests", args=[call.pk])


def conflict_url(dossier) -> str:
    return reverse("labelling:member_conflict", args=[dossier.call_id, dossier.pk])


# --- declarations of interests -----------------------------------------------------------


def test_member_declares_interests_and_every_declaration_is_kept(
    committee_client, committee_member, open_call
):
    assert committee_client.get(interests_url(open_call)).status_code == 200

    first = committee_client.post(
        interests_url(open_call),
        {"organisations": "Association Code Solidaire", "sirets": "", "attest": "on"},
        follow=True,
    )
    committee_client.post(
        interests_url(open_call),
        {"organisations": "Association Code Solidaire\nFabLab Est", "attest": "on"},
    )

    assert "Votre déclaration d'intérêts est enregistrée." in page_text(first)
    declarations = ConflictDeclaration.objects.filter(
        member=committee_member, call=open_call, dossier__isnull=True
    ).order_by("declared_at", "pk")
    assert [d.organisations for d in declarations] == [
        "Association Code Solidaire",
        "Association Code Solidaire\nFabLab Est",
    ]


def test_a_declaration_needs_the_attestation(committee_client, open_call):
    response = committee_client.post(interests_url(open_call), {"organisations": "X"})

    assert response.status_code == 200
    assert "attest" in response.context["form"].errors
    assert not ConflictDeclaration.objects.exists()


def test_an_invalid_siret_is_refused(committee_client, open_call):
    response = committee_client.post(
        interests_url(open_call), {"sirets": "12345678901234", "attest": "on"}
    )

    assert "sirets" in response.context["form"].errors
    assert not ConflictDeclaration.objects.exists()


def test_a_declared_siret_takes_the_matching_dossier_away(
    committee_client, committee_member, dossier_a
):
    AttachmentFactory(dossier=dossier_a)

    response = committee_client.post(
        interests_url(dossier_a.call),
        {"sirets": dossier_a.organisation.siret, "attest": "on"},
        follow=True,
    )

    assert "il vous est retiré" in page_text(response)
    assert not ReviewAssignment.objects.filter(dossier=dossier_a, member=committee_member).exists()
    assert ConflictDeclaration.objects.filter(dossier=dossier_a, member=committee_member).exists()
    review_url = reverse("labelling:review_edit", args=[dossier_a.pk])
    assert committee_client.get(review_url).status_code == 404


# --- conflict on one dossier ---------------------------------------------------------------


def test_conflict_on_an_assigned_dossier_removes_it_with_its_files(
    committee_client, committee_member, dossier_a
):
    attachment = AttachmentFactory(dossier=dossier_a)
    download = reverse("labelling:attachment_download", args=[dossier_a.pk, attachment.pk])
    before = committee_client.get(download)
    assert before.status_code == 200
    # Reading the whole file lets the test client close it (and the request) properly.
    assert b"".join(before.streaming_content).startswith(b"%PDF")
    assert committee_client.get(conflict_url(dossier_a)).status_code == 200

    response = committee_client.post(
        conflict_url(dossier_a), {"comment": "Ancien salarié de l'organisme"}, follow=True
    )

    assert "Conflit d'intérêts déclaré" in page_text(response)
    assert not ReviewAssignment.objects.filter(dossier=dossier_a, member=committee_member).exists()
    conflict = ConflictDeclaration.objects.get(dossier=dossier_a, member=committee_member)
    assert conflict.comment == "Ancien salarié de l'organisme"
    assert conflict.sirets == dossier_a.organisation.siret
    assert committee_client.get(download).status_code == 404
    assert (
        committee_client.get(reverse("labelling:review_edit", args=[dossier_a.pk])).status_code
        == 404
    )
    my_reviews = page_text(committee_client.get(reverse("labelling:my_reviews")))
    assert dossier_a.reference not in my_reviews


def test_conflict_on_an_unassigned_dossier_keeps_the_member_off_it(staff, open_call):
    member = CommitteeMemberFactory()
    dossier = DossierFactory(call=open_call, submitted=True)
    client = Client()
    client.force_login(member)

    client.post(conflict_url(dossier), {"comment": "Je siège à son conseil d'administration."})

    with pytest.raises(DomainError):
        review_assign(dossier=dossier, member=member, actor=staff)


def test_conflict_needs_a_comment(committee_client, committee_member, dossier_a):
    response = committee_client.post(conflict_url(dossier_a), {"comment": ""})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert ReviewAssignment.objects.filter(dossier=dossier_a, member=committee_member).exists()


def test_conflict_after_submitting_a_review_is_referred_to_staff(
    committee_client, committee_member, dossier_a
):
    ReviewFactory(
        assignment=ReviewAssignment.objects.get(dossier=dossier_a, member=committee_member)
    )

    response = committee_client.post(conflict_url(dossier_a), {"comment": "Lien découvert"})

    assert response.status_code == 200
    assert "signalez le conflit d'intérêts à l'équipe" in page_text(response)
    assert not ConflictDeclaration.objects.filter(member=committee_member).exists()


def test_a_second_conflict_on_the_same_dossier_changes_nothing(conflicted_client, dossier_a):
    response = conflicted_client.post(conflict_url(dossier_a), {"comment": "encore"}, follow=True)

    assert "déjà déclaré un conflit" in page_text(response)
    assert ConflictDeclaration.objects.filter(dossier=dossier_a).count() == 1


def test_drafts_and_other_calls_dossiers_have_no_conflict_page(committee_client, open_call):
    draft = DossierFactory(call=open_call)
    elsewhere = DossierFactory(call=CallFactory(), submitted=True)

    assert committee_client.get(conflict_url(draft)).status_code == 404
    wrong_call = reverse("labelling:member_conflict", args=[open_call.pk, elsewhere.pk])
    assert committee_client.get(wrong_call).status_code == 404


def test_the_call_page_lists_its_dossiers_and_searches_them(committee_client, dossier_a):
    other = DossierFactory(
        call=dossier_a.call,
        submitted=True,
        organisation=OrganisationFactory(name="Fabrique Numérique du Nord"),
    )

    everything = committee_client.get(interests_url(dossier_a.call))
    found = committee_client.get(interests_url(dossier_a.call) + "?q=fabrique")

    assert {d.pk for d in everything.context["page"].object_list} == {dossier_a.pk, other.pk}
    assert [d.pk for d in found.context["page"].object_list] == [other.pk]


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["applicant_client", "staff_client", "other_applicant_client"])
def test_member_pages_are_404_for_non_members(request, persona, dossier_a):
    client = request.getfixturevalue(persona)

    assert client.get(interests_url(dossier_a.call)).status_code == 404
    assert client.post(conflict_url(dossier_a), {"comment": "x"}).status_code == 404
    assert not ConflictDeclaration.objects.exclude(comment__contains="salarié").exists()


def test_member_pages_send_anonymous_visitors_to_login(client, dossier_a):
    response = client.get(interests_url(dossier_a.call))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_an_unpublished_call_has_no_declaration_page(committee_client):
    assert committee_client.get(interests_url(CallFactory(is_published=False))).status_code == 404


# --- staff ---------------------------------------------------------------------------------


def test_staff_see_every_declaration_of_the_call(staff_client, dossier_a, committee_member):
    ConflictDeclaration.objects.create(
        call=dossier_a.call, member=committee_member, organisations="Ancien employeur"
    )

    response = staff_client.get(reverse("labelling:staff_declarations", args=[dossier_a.call_id]))

    assert response.status_code == 200
    assert len(response.context["declarations"]) == 2
    body = page_text(response)
    assert "Ancien employeur" in body and "Sacha Conflit" in body


@pytest.mark.parametrize("persona", ["committee_client", "applicant_client"])
def test_staff_declarations_page_is_404_for_others(request, persona, dossier_a):
    client = request.getfixturevalue(persona)

    url = reverse("labelling:staff_declarations", args=[dossier_a.call_id])

    assert client.get(url).status_code == 404
