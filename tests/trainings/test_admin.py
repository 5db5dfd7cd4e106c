import pytest

from tests.admin_checks import (
    assert_change_page_opens,
    assert_changelist_lists_a_row,
    assert_changelist_queries_do_not_grow,
    assert_every_model_registered,
    assert_sent_to_the_admin_login,
    name_of,
    url,
)
from tests.factories import (
    LabelFactory,
    MembershipFactory,
    OrganisationFactory,
    SessionFactory,
    TrainingFactory,
    siret_for,
)
from trainings.models import Label, Organisation, Session, Training

pytestmark = pytest.mark.django_db

ALL = {
    Organisation: OrganisationFactory,
    Training: TrainingFactory,
    Label: LabelFactory,
    Session: SessionFactory,
}


def test_every_trainings_model_has_an_admin_screen():
    assert_every_model_registered("trainings")


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_changelist_answers_200(superuser_client, model):
    assert_changelist_lists_a_row(superuser_client, model, ALL[model])


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_add_page_answers_200(superuser_client, model):
    assert superuser_client.get(url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_change_page_answers_200(superuser_client, model):
    assert_change_page_opens(superuser_client, model, ALL[model])


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_changelist_queries_do_not_grow_with_rows(superuser_client, model):
    assert_changelist_queries_do_not_grow(superuser_client, model, ALL[model])


SEARCHES = {
    Organisation: (lambda: OrganisationFactory(siret=siret_for(424242)), lambda o: o.siret),
    Training: (lambda: TrainingFactory(code="GEN-98765"), lambda t: t.code),
    Label: (lambda: LabelFactory(training__code="GEN-98766"), lambda label: "GEN-98766"),
    Session: (
        lambda: SessionFactory(training__title="Technicien réseaux et cybersécurité"),
        lambda s: "cybersécurité",
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


def test_organisation_search_also_matches_the_name(superuser_client):
    target = OrganisationFactory(name="Simplon Montreuil")
    OrganisationFactory(name="OpenClassrooms")

    response = superuser_client.get(url(Organisation, "changelist"), {"q": "simplon"})

    assert list(response.context["cl"].result_list) == [target]


def test_organisation_page_lists_its_members_inline(superuser_client):
    membership = MembershipFactory(user__full_name="Yasmine Inline")

    response = superuser_client.get(url(Organisation, "change", membership.organisation.pk))

    content = response.content.decode()
    assert 'name="memberships-TOTAL_FORMS"' in content
    assert "Yasmine Inline" in content


def test_training_page_shows_labels_and_sessions_inline(superuser_client):
    training = TrainingFactory()
    LabelFactory(training=training)
    SessionFactory(training=training)

    response = superuser_client.get(url(Training, "change", training.pk))

    content = response.content.decode()
    assert 'name="labels-TOTAL_FORMS" value="1"' in content
    assert 'name="sessions-TOTAL_FORMS" value="1"' in content


def test_admin_records_a_label_withdrawal_with_its_reason(superuser_client):
    label = LabelFactory()

    response = superuser_client.post(
        url(Label, "change", label.pk),
        {
            "training": str(label.training.pk),
            "start_date": label.start_date.strftime("%d/%m/%Y"),
            "end_date": label.end_date.strftime("%d/%m/%Y"),
            "status": "withdrawn",
            "withdrawal_reason": "Charte non respectée.",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    label.refresh_from_db()
    assert label.status == Label.Status.WITHDRAWN


def test_admin_refuses_a_withdrawal_without_reason(superuser_client):
    label = LabelFactory()

    response = superuser_client.post(
        url(Label, "change", label.pk),
        {
            "training": str(label.training.pk),
            "start_date": label.start_date.strftime("%d/%m/%Y"),
            "end_date": label.end_date.strftime("%d/%m/%Y"),
            "status": "withdrawn",
            "withdrawal_reason": "",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    label.refresh_from_db()
    assert label.status == Label.Status.ACTIVE


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_non_staff_user_is_sent_to_the_admin_login(applicant_client, model):
    assert_sent_to_the_admin_login(applicant_client, model)
