"""The staff work queue of a call: access, filters, sorting, the weighted score computed by
the database, the admissibility checklist, correction requests, and a query budget that
does not grow with the number of dossiers."""

import datetime
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import OutboxEmail
from labelling.models import AdmissibilityCheck, Dossier, DossierTransition
from labelling.selectors import review_summary, work_queue
from tests.factories import (
    CommitteeMemberFactory,
    CriterionFactory,
    DossierFactory,
    OrganisationFactory,
    ReviewAssignmentFactory,
    ReviewFactory,
    ReviewScoreFactory,
    UserFactory,
    paris_now,
)

pytestmark = pytest.mark.django_db


def queue_url(call, **params) -> str:
    url = reverse("labelling:staff_queue", args=[call.pk])
    if params:
        url += "?" + urlencode(params)
    return url


def references(response) -> list[str]:
    return [dossier.reference for dossier in response.context["page"].object_list]


@pytest.fixture
def criteria(open_call):
    return [
        CriterionFactory(call=open_call, title="Insertion", weight=Decimal("2"), max_score=5),
        CriterionFactory(call=open_call, title="Public", weight=Decimal("1"), max_score=10),
    ]


def review(dossier, member, scores, recommendation="favourable", *, submitted=True):
    """A review of `dossier` by `member` with `scores` (criterion → score)."""
    assignment = ReviewAssignmentFactory(dossier=dossier, member=member)
    made = ReviewFactory(assignment=assignment, recommendation=recommendation)
    if not submitted:
        made.submitted_at = None
        made.recommendation = ""
        made.save()
    for criterion, score in scores.items():
        ReviewScoreFactory(review=made, criterion=criterion, score=score)
    return made


# --- access --------------------------------------------------------------------------------


def test_staff_see_the_queue(staff_client, dossier_a):
    response = staff_client.get(queue_url(dossier_a.call))

    assert response.status_code == 200
    assert references(response) == [dossier_a.reference]


@pytest.mark.parametrize("persona", ["applicant_client", "committee_client", "conflicted_client"])
def test_anyone_but_staff_gets_404(request, persona, dossier_a):
    client = request.getfixturevalue(persona)

    assert client.get(queue_url(dossier_a.call)).status_code == 404
    assert client.get(reverse("labelling:staff_dossier", args=[dossier_a.pk])).status_code == 404


def test_anonymous_is_sent_to_login(client, dossier_a):
    response = client.get(queue_url(dossier_a.call))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_drafts_stay_out_of_the_queue(staff_client, open_call):
    DossierFactory(call=open_call)
    submitted = DossierFactory(call=open_call, submitted=True)

    assert references(staff_client.get(queue_url(open_call))) == [submitted.reference]


# --- weighted score ---------------------------------------------------------------------------


def test_weighted_score_pools_submitted_reviews_only(open_call, criteria, dossier_a):
    insertion, public = criteria
    # (4×2 + 8×1) / (5×2 + 10×1) = 80 % and (2×2 + 4×1) / 20 = 40 %: the mean is 60 %.
    review(dossier_a, CommitteeMemberFactory(), {insertion: 4, public: 8})
    review(dossier_a, CommitteeMemberFactory(), {insertion: 2, public: 4}, "reserved")
    review(dossier_a, CommitteeMemberFactory(), {insertion: 0, public: 0}, submitted=False)

    row = work_queue(open_call).get(pk=dossier_a.pk)

    assert row.weighted_score == pytest.approx(60.0)
    assert (row.reviews_submitted, row.reviewers_count) == (2, 5)
    assert (row.favourable_count, row.reserved_count, row.unfavourable_count) == (1, 1, 0)


def test_a_dossier_without_submitted_review_has_no_score(open_call, dossier_a):
    assert work_queue(open_call).get(pk=dossier_a.pk).weighted_score is None


def test_review_summary_gives_averages_and_spread_per_criterion(open_call, criteria, dossier_a):
    insertion, public = criteria
    review(dossier_a, CommitteeMemberFactory(), {insertion: 5, public: 10})
    review(dossier_a, CommitteeMemberFactory(), {insertion: 1, public: 6})

    summary = review_summary(dossier_a)

    by_title = {stats.criterion.title: stats for stats in summary.criteria}
    assert by_title["Insertion"].average == pytest.approx(3.0)
    assert by_title["Insertion"].spread == 4
    assert by_title["Insertion"].stddev == pytest.approx(2.0)
    assert by_title["Public"].average == pytest.approx(8.0)
    # 100 % and (2 + 6) / 20 = 40 %: mean 70, range 60 points.
    assert summary.weighted_score == pytest.approx(70.0)
    assert summary.weighted_spread == pytest.approx(60.0)


def test_staff_dossier_page_shows_every_review_with_figures(
    staff_client, open_call, criteria, dossier_a, committee_member
):
    insertion, public = criteria
    made = review(dossier_a, CommitteeMemberFactory(full_name="Iris Notes"), {insertion: 3})
    made.comment = "Partenariats à préciser."
    made.save()

    response = staff_client.get(reverse("labelling:staff_dossier", args=[dossier_a.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Iris Notes" in body
    assert "Partenariats à préciser." in body
    assert "Claude Comité" in body  # assigned, review still to do


# --- filters and sorting ----------------------------------------------------------------------


@pytest.fixture
def three_dossiers(open_call, criteria):
    insertion, public = criteria
    lyon = OrganisationFactory(name="Simplon Lyon", department_code="69", region_code="84")
    paris = OrganisationFactory(name="Web Académie", department_code="75", region_code="11")
    roubaix = OrganisationFactory(name="Plateforme Roubaix", department_code="59", region_code="32")
    low = DossierFactory(
        call=open_call, organisation=lyon, submitted=True, training_title="Data analyste"
    )
    high = DossierFactory(
        call=open_call, organisation=paris, in_review=True, training_title="Développeur web"
    )
    unscored = DossierFactory(
        call=open_call, organisation=roubaix, submitted=True, training_title="Technicien réseau"
    )
    reviewer = CommitteeMemberFactory(full_name="Zoé Relectrice")
    review(low, reviewer, {insertion: 1, public: 2}, "unfavourable")
    review(high, CommitteeMemberFactory(), {insertion: 5, public: 9}, "favourable")
    return {"low": low, "high": high, "unscored": unscored, "reviewer": reviewer}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"state": "in_review"}, ["high"]),
        ({"region": "84"}, ["low"]),
        ({"department": "59"}, ["unscored"]),
        ({"score_min": "50"}, ["high"]),
        ({"score_max": "50"}, ["low"]),
        ({"recommendation": "unfavourable"}, ["low"]),
        ({"q": "académie"}, ["high"]),
        ({"q": "réseau"}, ["unscored"]),
        ({"admissibility": "unchecked"}, ["low", "high", "unscored"]),
    ],
)
def test_filters_narrow_the_queue(staff_client, three_dossiers, params, expected):
    response = staff_client.get(queue_url(three_dossiers["low"].call, **params))

    assert sorted(references(response)) == sorted(three_dossiers[k].reference for k in expected)


def test_filter_by_reviewer(staff_client, three_dossiers):
    call = three_dossiers["low"].call

    response = staff_client.get(queue_url(call, reviewer=three_dossiers["reviewer"].pk))

    assert references(response) == [three_dossiers["low"].reference]


@pytest.mark.parametrize(
    ("order", "expected"),
    [("-score", ["high", "low", "unscored"]), ("score", ["low", "high", "unscored"])],
)
def test_sorting_by_score_puts_unscored_dossiers_last(
    staff_client, three_dossiers, order, expected
):
    response = staff_client.get(queue_url(three_dossiers["low"].call, o=order))

    assert references(response) == [three_dossiers[k].reference for k in expected]


def test_sorting_by_organisation(staff_client, three_dossiers):
    response = staff_client.get(queue_url(three_dossiers["low"].call, o="organisation"))

    assert references(response) == [
        three_dossiers[k].reference for k in ("unscored", "low", "high")
    ]


def test_invalid_filter_values_show_the_whole_queue_with_errors(staff_client, three_dossiers):
    response = staff_client.get(queue_url(three_dossiers["low"].call, score_min="beaucoup"))

    assert response.status_code == 200
    assert len(references(response)) == 3
    assert response.context["filter"].form.errors


# --- admissibility and correction ------------------------------------------------------------


def test_admissibility_checklist_is_recorded_and_kept(staff_client, staff, dossier_a):
    url = reverse("labelling:staff_admissibility", args=[dossier_a.pk])

    staff_client.post(url, {"items": ["organisation", "attachments"], "notes": "CV manquants"})
    staff_client.post(url, {"items": AdmissibilityCheck.Item.values})

    checks = list(AdmissibilityCheck.objects.filter(dossier=dossier_a).order_by("checked_at", "id"))
    assert [check.is_complete for check in checks] == [False, True]
    assert checks[0].items == ["organisation", "attachments"]
    assert checks[0].notes == "CV manquants"
    assert checks[1].checked_by == staff
    row = work_queue(dossier_a.call).get(pk=dossier_a.pk)
    assert row.admissibility_complete is True


def test_admissibility_filter(staff_client, staff, three_dossiers):
    call = three_dossiers["low"].call
    staff_client.post(
        reverse("labelling:staff_admissibility", args=[three_dossiers["low"].pk]),
        {"items": AdmissibilityCheck.Item.values},
    )
    staff_client.post(
        reverse("labelling:staff_admissibility", args=[three_dossiers["high"].pk]),
        {"items": ["duration"]},
    )

    assert references(staff_client.get(queue_url(call, admissibility="complete"))) == [
        three_dossiers["low"].reference
    ]
    assert references(staff_client.get(queue_url(call, admissibility="incomplete"))) == [
        three_dossiers["high"].reference
    ]


def test_correction_request_reopens_the_dossier_and_tells_the_applicant(
    staff_client, applicant, dossier_a
):
    response = staff_client.post(
        reverse("labelling:staff_request_correction", args=[dossier_a.pk]),
        {"message": "Joignez le budget prévisionnel signé."},
        follow=True,
    )

    dossier_a.refresh_from_db()
    assert dossier_a.correction_requested
    email = OutboxEmail.objects.get(to=applicant.email)
    assert "Joignez le budget prévisionnel signé." in email.body
    transition = DossierTransition.objects.get(dossier=dossier_a, action="correction_requested")
    assert transition.reason == "Joignez le budget prévisionnel signé."
    assert "demande de correction est envoyée" in response.content.decode()


def test_correction_request_needs_a_message(staff_client, dossier_a):
    response = staff_client.post(
        reverse("labelling:staff_request_correction", args=[dossier_a.pk]), {"message": "  "}
    )

    assert response.status_code == 200
    assert response.context["correction_form"].errors
    dossier_a.refresh_from_db()
    assert not dossier_a.correction_requested


def test_start_review_moves_a_submitted_dossier_to_in_review(staff_client, dossier_a):
    staff_client.post(reverse("labelling:staff_start_review", args=[dossier_a.pk]))

    dossier_a.refresh_from_db()
    assert dossier_a.state == Dossier.State.IN_REVIEW


@pytest.mark.parametrize(
    "name", ["staff_admissibility", "staff_request_correction", "staff_start_review"]
)
def test_staff_actions_are_404_for_others(committee_client, applicant_client, dossier_a, name):
    url = reverse(f"labelling:{name}", args=[dossier_a.pk])

    assert committee_client.post(url, {"message": "x"}).status_code == 404
    assert applicant_client.post(url, {"message": "x"}).status_code == 404
    dossier_a.refresh_from_db()
    assert dossier_a.state == Dossier.State.SUBMITTED and not dossier_a.correction_requested


# --- query budget ----------------------------------------------------------------------------


def bulk_dossiers(call, count: int, start: int = 0) -> list[Dossier]:
    """Submitted dossiers written in one statement (the factories would take minutes)."""
    organisations = OrganisationFactory.create_batch(5)
    creator = UserFactory()
    now = paris_now()
    return Dossier.objects.bulk_create(
        Dossier(
            call=call,
            organisation=organisations[n % 5],
            created_by=creator,
            state=Dossier.State.SUBMITTED,
            reference=f"GEN-{call.reference}-{n:05d}",
            submitted_at=now - datetime.timedelta(minutes=n),
            training_title=f"Formation {n}",
            duration_months=12,
            department_code=organisations[n % 5].department_code,
            region_code=organisations[n % 5].region_code,
        )
        for n in range(start, start + count)
    )


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_queue_query_count_does_not_grow_with_dossiers(
    staff_client, open_call, criteria, django_assert_max_num_queries
):
    insertion, public = criteria
    few = bulk_dossiers(open_call, 10)
    for dossier in few[:3]:
        review(dossier, CommitteeMemberFactory(), {insertion: 3, public: 5})
    url = queue_url(open_call, o="-score")
    with_ten = queries_for(staff_client, url)

    many = bulk_dossiers(open_call, 990, start=10)
    for dossier in many[:60]:
        review(dossier, CommitteeMemberFactory(), {insertion: 4, public: 7})

    with django_assert_max_num_queries(with_ten):
        response = staff_client.get(url)
    assert response.context["page"].paginator.count == 1000
    # The filters cost the same: they narrow the one annotated query.
    with django_assert_max_num_queries(with_ten):
        staff_client.get(queue_url(open_call, q="Formation 9", score_min="10", state="submitted"))
