import datetime
import zoneinfo

import pytest

from accounts.services import membership_add, user_create
from gen_portal.errors import DomainError
from labelling.models import ReviewAssignment
from labelling.services import (
    call_create,
    conflict_declare,
    dossier_create,
    dossier_submit,
    review_assign,
    review_save,
)
from trainings.services import organisation_create

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2018, 5, 1, 12, 0, tzinfo=PARIS)


@pytest.fixture
def dossier(db):
    call = call_create(
        reference="2018",
        title="Appel 2018",
        opens_at=NOW - datetime.timedelta(days=30),
        closes_at=NOW + datetime.timedelta(days=30),
        published=True,
        criteria=[
            {"title": "Insertion", "max_score": 5, "weight": 2},
            {"title": "Public", "max_score": 10},
        ],
    )
    applicant = user_create(email="a@orga.example", password=None)
    organisation = organisation_create(
        name="Orga", siret="73282932000074", department_code="75", creator=applicant
    )
    dossier = dossier_create(
        call=call,
        organisation=organisation,
        actor=applicant,
        now=NOW,
        training_title="Formation",
        duration_months=6,
        site_address="1 rue",
        site_postcode="75001",
        site_city="Paris",
        department_code="75",
        region_code="11",
    )
    return dossier_submit(dossier=dossier, actor=applicant, now=NOW)


@pytest.fixture
def member(db):
    return user_create(email="membre@comite.example", password=None, is_committee_member=True)


def test_member_of_applicant_organisation_is_never_assigned(dossier, member):
    membership_add(user=member, organisation=dossier.organisation)

    with pytest.raises(DomainError) as refusal:
        review_assign(dossier=dossier, member=member, actor=None)

    assert refusal.value.code == "conflict"


def test_declared_siret_blocks_assignment(dossier, member):
    conflict_declare(call=dossier.call, member=member, sirets=dossier.organisation.siret)

    with pytest.raises(DomainError):
        review_assign(dossier=dossier, member=member, actor=None)


def test_conflict_on_a_dossier_removes_the_assignment(dossier, member):
    review_assign(dossier=dossier, member=member, actor=None)

    conflict_declare(call=dossier.call, member=member, dossier=dossier, comment="Ancien salarié")

    assert not ReviewAssignment.objects.filter(dossier=dossier, member=member).exists()
    with pytest.raises(DomainError):
        review_assign(dossier=dossier, member=member, actor=None)


def test_review_scores_are_bounded_and_submission_needs_every_criterion(dossier, member):
    assignment = review_assign(dossier=dossier, member=member, actor=None)
    first, second = dossier.call.criteria.all()

    with pytest.raises(DomainError) as refusal:
        review_save(assignment=assignment, scores={first.pk: 6})
    assert refusal.value.code == "score_range"

    review_save(assignment=assignment, scores={first.pk: 4, second.pk: 3}, comment="à compléter")
    review_save(assignment=assignment, scores={first.pk: 4}, comment="à compléter")
    assert review_save(assignment=assignment, scores={first.pk: 4}).scores.count() == 1  # cleared
    with pytest.raises(DomainError):
        review_save(assignment=assignment, scores={}, recommendation="favourable", submit=True)

    review = review_save(
        assignment=assignment,
        scores={first.pk: 4, second.pk: 8},
        recommendation="favourable",
        submit=True,
    )
    assert review.submitted_at is not None
    assert dict(review.scores.values_list("criterion__title", "score")) == {
        "Insertion": 4,
        "Public": 8,
    }
