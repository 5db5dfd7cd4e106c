"""Enrollment list, enrollment detail with follow-up declaration, follow-ups due, forgetting
a learner: access per persona and behaviour."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from gen_portal.dates import add_months
from learners.models import Enrollment, Learner
from outcomes.models import FollowUp
from tests.factories import EnrollmentFactory, FollowUpFactory, LearnerFactory, TrainingFactory

pytestmark = pytest.mark.django_db


def _exited(org, *, months_ago: int, ref: str, **kwargs):
    today = timezone.localdate()
    exit_date = add_months(today, -months_ago) - datetime.timedelta(days=1)
    return EnrollmentFactory(
        learner=LearnerFactory(organisation=org, learner_ref=ref),
        entry_date=exit_date - datetime.timedelta(days=180),
        exit_date=exit_date,
        exit_reason="completed",
        **kwargs,
    )


@pytest.fixture
def enrollment_a(org_a):
    return _exited(org_a, months_ago=4, ref="A-1")


@pytest.fixture
def enrollment_b(org_b):
    return _exited(org_b, months_ago=4, ref="B-1")


# --- access -------------------------------------------------------------------------------


def _scoped_urls(enrollment):
    return [
        reverse("learners:enrollment_detail", args=[enrollment.pk]),
        reverse("learners:learner_forget", args=[enrollment.learner.pk]),
    ]


@pytest.mark.parametrize("name", ["enrollment_list", "followups_due", "upload", "trainings_upload"])
def test_anonymous_is_sent_to_login(client, name):
    response = client.get(reverse(f"learners:{name}"))
    assert response.status_code == 302
    assert "/compte/" in response["Location"] or "login" in response["Location"]


def test_anonymous_is_sent_to_login_from_scoped_pages(client, enrollment_a):
    for url in _scoped_urls(enrollment_a):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "next=" in response["Location"]


def test_member_sees_own_enrollment_pages(applicant_client, enrollment_a):
    for url in _scoped_urls(enrollment_a):
        assert applicant_client.get(url).status_code == 200, url


def test_other_organisation_gets_404(other_applicant_client, enrollment_a):
    for url in _scoped_urls(enrollment_a):
        assert other_applicant_client.get(url).status_code == 404, url
        assert other_applicant_client.post(url).status_code == 404, url


def test_staff_sees_every_organisation(staff_client, enrollment_a, enrollment_b):
    for url in _scoped_urls(enrollment_a) + _scoped_urls(enrollment_b):
        assert staff_client.get(url).status_code == 200, url
    response = staff_client.get(reverse("learners:enrollment_list"))
    assert "A-1" in response.content.decode()
    assert "B-1" in response.content.decode()


def test_list_shows_only_own_organisation(applicant_client, enrollment_a, enrollment_b):
    for name in ["enrollment_list", "followups_due"]:
        response = applicant_client.get(reverse(f"learners:{name}"))
        assert response.status_code == 200
        content = response.content.decode()
        assert "A-1" in content
        assert "B-1" not in content


# --- list ---------------------------------------------------------------------------------


def test_list_filters_by_state_and_training(applicant, applicant_client, org_a):
    training = TrainingFactory(organisation=org_a)
    EnrollmentFactory(learner=LearnerFactory(organisation=org_a, learner_ref="IN-1"))
    EnrollmentFactory(
        learner=LearnerFactory(organisation=org_a, learner_ref="DROP-1"), dropped_out=True
    )
    EnrollmentFactory(
        learner=LearnerFactory(organisation=org_a, learner_ref="DONE-1"),
        training=training,
        exited=True,
    )
    url = reverse("learners:enrollment_list")

    content = applicant_client.get(url, {"state": "abandon"}).content.decode()
    assert "DROP-1" in content and "IN-1" not in content and "DONE-1" not in content
    content = applicant_client.get(url, {"state": "en_formation"}).content.decode()
    assert "IN-1" in content and "DROP-1" not in content
    content = applicant_client.get(url, {"training": training.pk}).content.decode()
    assert "DONE-1" in content and "IN-1" not in content and "DROP-1" not in content


def test_list_filters_missing_followups(applicant_client, org_a):
    missing = _exited(org_a, months_ago=4, ref="MISSING-1")
    done = _exited(org_a, months_ago=4, ref="DONE-1")
    FollowUpFactory(enrollment=done, milestone="m3")
    assert missing.pk != done.pk
    content = applicant_client.get(
        reverse("learners:enrollment_list"), {"missing_followups": "on"}
    ).content.decode()
    assert "MISSING-1" in content
    assert "DONE-1" not in content


def test_list_query_count_does_not_grow_with_rows(
    applicant_client, org_a, django_assert_max_num_queries
):
    trainings = TrainingFactory.create_batch(3, organisation=org_a)
    for index in range(200):
        EnrollmentFactory(
            learner=LearnerFactory(organisation=org_a), training=trainings[index % 3], exited=True
        )
    with django_assert_max_num_queries(10):
        response = applicant_client.get(reverse("learners:enrollment_list"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 50
    with django_assert_max_num_queries(10):
        response = applicant_client.get(reverse("learners:followups_due"), {"page": 2})
    assert response.status_code == 200


# --- follow-ups due -----------------------------------------------------------------------


def test_followups_due_lists_exits_past_a_milestone_without_situation(applicant_client, org_a):
    _exited(org_a, months_ago=7, ref="DUE-M6")  # m3 and m6 passed, neither declared
    declared = _exited(org_a, months_ago=4, ref="DECLARED")
    FollowUpFactory(enrollment=declared, milestone="m3")
    _exited(org_a, months_ago=1, ref="TOO-EARLY")
    EnrollmentFactory(learner=LearnerFactory(organisation=org_a, learner_ref="STILL-IN"))

    response = applicant_client.get(reverse("learners:followups_due"))

    refs = [row.learner.learner_ref for row in response.context["page"]]
    assert refs == ["DUE-M6"]
    assert [m.value for m in response.context["page"][0].missing] == ["m3", "m6"]


# --- follow-up declaration ----------------------------------------------------------------


def test_member_declares_a_followup(applicant_client, enrollment_a):
    url = reverse("learners:enrollment_detail", args=[enrollment_a.pk])
    response = applicant_client.post(url, {"milestone": "m3", "situation": "cdi"})
    assert response.status_code == 302
    followup = FollowUp.objects.get(enrollment=enrollment_a, milestone="m3")
    assert followup.situation == "cdi"
    assert followup.source == FollowUp.Source.DECLARED

    applicant_client.post(url, {"milestone": "m3", "situation": "interim"})
    assert FollowUp.objects.get(enrollment=enrollment_a, milestone="m3").situation == "interim"
    assert FollowUp.objects.filter(enrollment=enrollment_a).count() == 1


def test_future_milestone_is_refused_with_a_message(applicant_client, enrollment_a):
    url = reverse("learners:enrollment_detail", args=[enrollment_a.pk])
    response = applicant_client.post(url, {"milestone": "m6", "situation": "cdi"})
    assert response.status_code == 200
    assert "ne peut pas être déclarée avant cette date" in response.content.decode()
    assert not FollowUp.objects.filter(enrollment=enrollment_a).exists()


def test_followup_of_a_learner_still_in_training_is_refused(applicant_client, org_a):
    enrollment = EnrollmentFactory(learner=LearnerFactory(organisation=org_a))
    url = reverse("learners:enrollment_detail", args=[enrollment.pk])
    response = applicant_client.post(url, {"milestone": "exit", "situation": "cdi"})
    assert response.status_code == 200
    assert not FollowUp.objects.exists()


# --- forget -------------------------------------------------------------------------------


def test_forget_asks_for_confirmation_then_deletes_everything(applicant_client, enrollment_a):
    FollowUpFactory(enrollment=enrollment_a, milestone="m3")
    learner = enrollment_a.learner
    url = reverse("learners:learner_forget", args=[learner.pk])

    response = applicant_client.get(url)
    assert response.status_code == 200
    assert Learner.objects.filter(pk=learner.pk).exists()

    response = applicant_client.post(url)
    assert response.status_code == 302
    assert not Learner.objects.filter(pk=learner.pk).exists()
    assert not Enrollment.objects.filter(pk=enrollment_a.pk).exists()
    assert not FollowUp.objects.exists()


def test_staff_can_forget_any_learner(staff_client, enrollment_b):
    response = staff_client.post(reverse("learners:learner_forget", args=[enrollment_b.learner.pk]))
    assert response.status_code == 302
    assert not Learner.objects.filter(pk=enrollment_b.learner.pk).exists()


@pytest.mark.parametrize("name", ["learners:enrollment_list", "learners:followups_due"])
def test_organisation_pages_are_404_for_accounts_without_an_organisation(committee_client, name):
    assert committee_client.get(reverse(name)).status_code == 404


@pytest.mark.parametrize("name", ["learners:enrollment_list", "learners:followups_due"])
def test_organisation_pages_send_anonymous_visitors_to_the_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
