import pytest

from outcomes.models import FollowUp, IndicatorRun, IndicatorValue, OpenDataFile, TrainingCounts
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
    FollowUpFactory,
    IndicatorRunFactory,
    IndicatorValueFactory,
    OpenDataFileFactory,
    TrainingCountsFactory,
)

pytestmark = pytest.mark.django_db

WRITABLE = {FollowUp: FollowUpFactory}
READ_ONLY = {
    IndicatorRun: IndicatorRunFactory,
    IndicatorValue: IndicatorValueFactory,
    OpenDataFile: OpenDataFileFactory,
    TrainingCounts: TrainingCountsFactory,
}
ALL = {**WRITABLE, **READ_ONLY}


def test_every_outcomes_model_has_an_admin_screen():
    assert_every_model_registered("outcomes")


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


def test_followup_search_matches_the_learner_ref(superuser_client):
    target = FollowUpFactory(enrollment__learner__learner_ref="SUIVI-0001")
    FollowUpFactory(enrollment__learner__learner_ref="SUIVI-0002")

    response = superuser_client.get(url(FollowUp, "changelist"), {"q": "SUIVI-0001"})

    assert list(response.context["cl"].result_list) == [target]


def test_indicator_run_search_matches_the_error(superuser_client):
    target = IndicatorRunFactory(status="failed", error="division by zero in neet_share")
    IndicatorRunFactory()

    response = superuser_client.get(url(IndicatorRun, "changelist"), {"q": "neet_share"})

    assert list(response.context["cl"].result_list) == [target]


def test_indicator_value_search_matches_the_code_and_key(superuser_client):
    target = IndicatorValueFactory(code="dropout_rate", dimension="region", key="84")
    IndicatorValueFactory(code="women_share", dimension="region", key="11")

    by_code = superuser_client.get(url(IndicatorValue, "changelist"), {"q": "dropout"})
    by_key = superuser_client.get(url(IndicatorValue, "changelist"), {"q": "84"})

    assert list(by_code.context["cl"].result_list) == [target]
    assert target in by_key.context["cl"].result_list


# --- computed results are read-only ---------------------------------------------------------


@pytest.mark.parametrize("model", READ_ONLY, ids=name_of)
def test_computed_results_cannot_be_added(superuser_client, model):
    assert superuser_client.get(url(model, "add")).status_code == 403


@pytest.mark.parametrize("model", READ_ONLY, ids=name_of)
def test_computed_results_offer_no_delete_action(superuser_client, model):
    assert_no_delete_action(superuser_client, model, READ_ONLY[model])


@pytest.mark.parametrize("model", READ_ONLY, ids=name_of)
def test_computed_results_cannot_be_deleted(superuser_client, model):
    assert_cannot_be_deleted(superuser_client, model, READ_ONLY[model])


def test_a_published_value_cannot_be_edited(superuser_client):
    value = IndicatorValueFactory(run=IndicatorRunFactory(published=True), value=0.24)

    page = superuser_client.get(url(IndicatorValue, "change", value.pk))
    response = superuser_client.post(url(IndicatorValue, "change", value.pk), {"value": "0.99"})

    assert 'name="_save"' not in page.content.decode()
    assert response.status_code == 403
    value.refresh_from_db()
    assert value.value == 0.24


def test_follow_ups_do_offer_the_delete_action(superuser_client):
    FollowUpFactory()

    response = superuser_client.get(url(FollowUp, "changelist"))

    assert "delete_selected" in response.content.decode()


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_non_staff_user_is_sent_to_the_admin_login(applicant_client, model):
    assert_sent_to_the_admin_login(applicant_client, model)
