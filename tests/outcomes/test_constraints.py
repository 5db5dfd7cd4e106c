"""Each named constraint of the outcomes app refuses the bad row at the database level."""

import pytest

from tests.factories import (
    FollowUpFactory,
    IndicatorRunFactory,
    IndicatorValueFactory,
    paris_now,
)

pytestmark = pytest.mark.django_db


def test_second_situation_for_the_same_milestone_is_rejected(rejected_by):
    followup = FollowUpFactory(milestone="m3")

    with rejected_by("outcomes_followup_unique_milestone"):
        FollowUpFactory(enrollment=followup.enrollment, milestone="m3", situation="interim")


def test_situations_at_every_milestone_of_one_enrollment_are_accepted():
    first = FollowUpFactory(milestone="exit")

    for milestone in ("m3", "m6", "m12"):
        FollowUpFactory(enrollment=first.enrollment, milestone=milestone)

    assert first.enrollment.followups.count() == 4


def test_follow_up_at_an_unknown_milestone_is_rejected(rejected_by):
    with rejected_by("outcomes_followup_milestone_valid"):
        FollowUpFactory(milestone="m24")


def test_follow_up_with_an_unknown_situation_is_rejected(rejected_by):
    with rejected_by("outcomes_followup_situation_valid"):
        FollowUpFactory(situation="employed")


def test_run_progress_above_one_hundred_is_rejected(rejected_by):
    with rejected_by("outcomes_run_progress_percent"):
        IndicatorRunFactory(progress=101)


def test_publishing_a_run_that_is_not_done_is_rejected(rejected_by):
    with rejected_by("outcomes_run_only_done_is_published"):
        IndicatorRunFactory(status="running", progress=40, published_at=paris_now())


def test_publishing_a_failed_run_is_rejected(rejected_by):
    with rejected_by("outcomes_run_only_done_is_published"):
        IndicatorRunFactory(status="failed", error="boom", published_at=paris_now())


def test_run_with_an_unknown_status_is_rejected(rejected_by):
    with rejected_by("outcomes_run_status_valid"):
        IndicatorRunFactory(status="paused")


def test_two_values_for_the_same_cell_of_a_run_are_rejected(rejected_by):
    value = IndicatorValueFactory(period="2018", dimension="region", key="11")

    with rejected_by("outcomes_value_unique_cell"):
        IndicatorValueFactory(run=value.run, period="2018", dimension="region", key="11")


def test_same_cell_in_two_runs_is_accepted():
    IndicatorValueFactory(period="2018", dimension="region", key="11")

    assert IndicatorValueFactory(period="2018", dimension="region", key="11").pk


def test_negative_denominator_is_rejected(rejected_by):
    with rejected_by("outcomes_value_denominator_not_negative"):
        IndicatorValueFactory(denominator=-1)
