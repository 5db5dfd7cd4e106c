"""Staff assign committee members to dossiers, by hand or automatically (N per dossier,
balanced load), never to a member with a declared conflict, a declared interest in the
organisation's SIRET, or a membership of the applicant organisation."""

import pytest
from django.urls import reverse

from gen_portal.errors import DomainError
from labelling.models import Review, ReviewAssignment
from labelling.services import assignments_auto, interests_declare
from tests.factories import (
    CallFactory,
    CommitteeMemberFactory,
    ConflictDeclarationFactory,
    DossierFactory,
    MembershipFactory,
    ReviewAssignmentFactory,
    ReviewFactory,
)

pytestmark = pytest.mark.django_db


def loads(call) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in ReviewAssignment.objects.filter(dossier__call=call).values_list(
        "member__full_name", flat=True
    ):
        counts[name] = counts.get(name, 0) + 1
    return counts


# --- by hand ---------------------------------------------------------------------------------


def test_staff_assign_an_eligible_member(staff_client, staff, dossier_a):
    member = CommitteeMemberFactory(full_name="Nina Neutre")

    response = staff_client.post(
        reverse("labelling:staff_assign", args=[dossier_a.pk]), {"member": member.pk}, follow=True
    )

    assignment = ReviewAssignment.objects.get(dossier=dossier_a, member=member)
    assert assignment.assigned_by == staff
    assert "Dossier attribué à Nina Neutre." in response.content.decode()


def test_the_choice_offers_only_eligible_members(staff_client, dossier_a, applicant):
    own_org = CommitteeMemberFactory(full_name="Membre De L'Organisme")
    MembershipFactory(user=own_org, organisation=dossier_a.organisation)
    declared = CommitteeMemberFactory(full_name="Intérêt Déclaré")
    ConflictDeclarationFactory(
        dossier=None, call=dossier_a.call, member=declared, sirets=dossier_a.organisation.siret
    )
    free = CommitteeMemberFactory(full_name="Libre De Tout Lien")

    response = staff_client.get(reverse("labelling:staff_dossier", args=[dossier_a.pk]))

    choices = list(response.context["assign_form"].fields["member"].queryset)
    assert choices == [free]  # the fixtures' members are already assigned or conflicted


@pytest.mark.parametrize("who", ["conflicted", "own_org", "declared_siret"])
def test_an_ineligible_member_is_refused(staff_client, dossier_a, conflicted_member, who):
    if who == "conflicted":
        member = conflicted_member
    else:
        member = CommitteeMemberFactory()
        if who == "own_org":
            MembershipFactory(user=member, organisation=dossier_a.organisation)
        else:
            ConflictDeclarationFactory(
                dossier=None,
                call=dossier_a.call,
                member=member,
                sirets=dossier_a.organisation.siret,
            )
    before = ReviewAssignment.objects.count()

    response = staff_client.post(
        reverse("labelling:staff_assign", args=[dossier_a.pk]), {"member": member.pk}
    )

    assert response.status_code == 200
    assert response.context["assign_form"].errors
    # (The conflicted persona's fixture row predates its conflict: nothing is added.)
    assert ReviewAssignment.objects.count() == before


def test_staff_take_back_an_assignment_with_its_draft(staff_client, dossier_a, committee_member):
    assignment = ReviewAssignment.objects.get(dossier=dossier_a, member=committee_member)
    ReviewFactory(assignment=assignment, draft=True)

    staff_client.post(reverse("labelling:staff_unassign", args=[dossier_a.pk, assignment.pk]))

    assert not ReviewAssignment.objects.filter(pk=assignment.pk).exists()
    assert not Review.objects.exists()


def test_a_submitted_review_keeps_its_assignment(staff_client, dossier_a, committee_member):
    assignment = ReviewAssignment.objects.get(dossier=dossier_a, member=committee_member)
    ReviewFactory(assignment=assignment)

    response = staff_client.post(
        reverse("labelling:staff_unassign", args=[dossier_a.pk, assignment.pk]), follow=True
    )

    assert ReviewAssignment.objects.filter(pk=assignment.pk).exists()
    assert "déjà rendu son évaluation" in response.content.decode()


def test_unassign_of_another_dossiers_assignment_is_404(staff_client, dossier_a, open_call):
    other = ReviewAssignmentFactory(dossier=DossierFactory(call=open_call, submitted=True))

    url = reverse("labelling:staff_unassign", args=[dossier_a.pk, other.pk])

    assert staff_client.post(url).status_code == 404


# --- automatically ---------------------------------------------------------------------------


@pytest.fixture
def call_with_dossiers(db):
    call = CallFactory()
    dossiers = [DossierFactory(call=call, submitted=True) for _ in range(3)]
    return call, dossiers


def test_auto_assignment_balances_the_load(staff, call_with_dossiers):
    call, dossiers = call_with_dossiers
    for name in ("A", "B", "C"):
        CommitteeMemberFactory(full_name=name)

    result = assignments_auto(call=call, per_dossier=2, actor=staff)

    assert result == {"created": 6, "short": []}
    assert loads(call) == {"A": 2, "B": 2, "C": 2}
    for dossier in dossiers:
        assert dossier.assignments.count() == 2


def test_auto_assignment_tops_up_and_is_safe_to_run_twice(staff, call_with_dossiers):
    call, dossiers = call_with_dossiers
    members = [CommitteeMemberFactory(full_name=name) for name in ("A", "B", "C", "D")]
    # A already holds two dossiers: the new seats go to the others first.
    for dossier in dossiers[:2]:
        ReviewAssignmentFactory(dossier=dossier, member=members[0])

    first = assignments_auto(call=call, per_dossier=2, actor=staff)
    second = assignments_auto(call=call, per_dossier=2, actor=staff)

    assert first["created"] == 4
    assert second == {"created": 0, "short": []}
    assert loads(call) == {"A": 2, "B": 2, "C": 1, "D": 1}


def test_auto_assignment_never_picks_a_conflicted_or_linked_member(staff, call_with_dossiers):
    call, dossiers = call_with_dossiers
    conflicted, linked, declared, free = (
        CommitteeMemberFactory(full_name=name) for name in ("Conflit", "Lié", "Déclaré", "Libre")
    )
    target = dossiers[0]
    ConflictDeclarationFactory(dossier=target, member=conflicted)
    MembershipFactory(user=linked, organisation=target.organisation)
    interests_declare(call=call, member=declared, sirets=target.organisation.siret)

    result = assignments_auto(call=call, per_dossier=2, actor=staff)

    assigned = set(target.assignments.values_list("member__full_name", flat=True))
    assert assigned == {"Libre"}
    assert result["short"] == [target.reference]
    assert result["created"] == 5  # 1 for the target, 2 for each other dossier
    assert free.assignments.filter(dossier=target).exists()


def test_auto_assignment_skips_drafts_withdrawn_and_decided(staff, db):
    call = CallFactory()
    DossierFactory(call=call)
    DossierFactory(call=call, submitted=True, state="withdrawn")
    DossierFactory(call=call, submitted=True, state="labelled")
    CommitteeMemberFactory()

    assert assignments_auto(call=call, per_dossier=1, actor=staff)["created"] == 0


def test_auto_assignment_is_for_staff_only(committee_member, call_with_dossiers):
    call, _dossiers = call_with_dossiers

    with pytest.raises(DomainError):
        assignments_auto(call=call, per_dossier=1, actor=committee_member)


def test_auto_assignment_page(staff_client, call_with_dossiers):
    call, _dossiers = call_with_dossiers
    CommitteeMemberFactory.create_batch(2)
    url = reverse("labelling:staff_assign_auto", args=[call.pk])

    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"per_dossier": "3"}, follow=True)

    body = response.content.decode()
    assert "6 attributions créées." in body
    assert "Pas assez de membres sans conflit" in body  # two members for three seats


def test_auto_assignment_form_bounds(staff_client, call_with_dossiers):
    call, _dossiers = call_with_dossiers

    response = staff_client.post(
        reverse("labelling:staff_assign_auto", args=[call.pk]), {"per_dossier": "0"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not ReviewAssignment.objects.exists()


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["committee_client", "applicant_client", "conflicted_client"])
def test_assignment_pages_are_404_for_non_staff(request, persona, dossier_a, committee_member):
    client = request.getfixturevalue(persona)
    assignment = ReviewAssignment.objects.get(dossier=dossier_a, member=committee_member)
    member = CommitteeMemberFactory()

    assert (
        client.post(
            reverse("labelling:staff_assign", args=[dossier_a.pk]), {"member": member.pk}
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("labelling:staff_unassign", args=[dossier_a.pk, assignment.pk])
        ).status_code
        == 404
    )
    assert (
        client.get(reverse("labelling:staff_assign_auto", args=[dossier_a.call_id])).status_code
        == 404
    )
    assert not ReviewAssignment.objects.filter(member=member).exists()
    assert ReviewAssignment.objects.filter(pk=assignment.pk).exists()


def test_assignment_pages_send_anonymous_visitors_to_login(client, dossier_a):
    for url in (
        reverse("labelling:staff_assign_auto", args=[dossier_a.call_id]),
        reverse("labelling:staff_dossier", args=[dossier_a.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
