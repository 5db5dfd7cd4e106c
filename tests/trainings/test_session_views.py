"""The sessions pages of the organisation space: list, declaration, correction. Access per
persona, the form's rules, what is written, and the list's query budget."""

import datetime

import pytest
from django.urls import reverse

from tests.factories import (
    EnrollmentFactory,
    LearnerFactory,
    SessionFactory,
    TrainingFactory,
    paris_today,
)
from trainings.models import Session

pytestmark = pytest.mark.django_db

LIST = reverse("trainings:session_list")
CREATE = reverse("trainings:session_create")


@pytest.fixture
def training_a(org_a):
    return TrainingFactory(organisation=org_a, code="GEN-00101", title="Développeur web")


@pytest.fixture
def training_b(org_b):
    return TrainingFactory(organisation=org_b, code="GEN-00202", title="Technicien réseaux")


@pytest.fixture
def session_a(training_a):
    return SessionFactory(
        training=training_a,
        start_date=datetime.date(2025, 9, 1),
        end_date=datetime.date(2026, 2, 27),
        capacity=16,
        place="Lille, salle Hopper",
    )


@pytest.fixture
def session_b(training_b):
    return SessionFactory(training=training_b, place="Lyon, salle Lovelace")


def _edit(session) -> str:
    return reverse("trainings:session_edit", args=[session.pk])


def _form(training=None, **changes) -> dict:
    data = {
        "start_date": "2025-09-01",
        "end_date": "2026-02-27",
        "capacity": "16",
        "place": "Lille",
    }
    if training is not None:
        data["training"] = training.pk
    return data | changes


def _errors(response) -> dict:
    assert response.status_code == 200
    return response.context["form"].errors


# --- access -------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, session_a):
    for url in (LIST, CREATE, _edit(session_a)):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url
        assert client.post(url).status_code == 302, url


def test_member_opens_every_session_page(applicant_client, session_a):
    for url in (LIST, CREATE, _edit(session_a)):
        assert applicant_client.get(url).status_code == 200, url


def test_other_organisation_gets_404_on_the_session(other_applicant_client, session_a):
    url = _edit(session_a)
    assert other_applicant_client.get(url).status_code == 404
    response = other_applicant_client.post(url, _form(capacity="99"))
    assert response.status_code == 404
    session_a.refresh_from_db()
    assert session_a.capacity == 16


def test_committee_member_gets_404_everywhere(committee_client, session_a, training_a):
    for url in (LIST, CREATE, _edit(session_a)):
        assert committee_client.get(url).status_code == 404, url
        assert committee_client.post(url, _form(training_a)).status_code == 404, url
    assert Session.objects.count() == 1


def test_staff_see_and_edit_every_organisations_sessions(staff_client, session_a, session_b):
    content = staff_client.get(LIST).content.decode()
    assert "GEN-00101" in content and "GEN-00202" in content

    response = staff_client.post(_edit(session_b), _form(capacity="30"))

    assert response.status_code == 302
    session_b.refresh_from_db()
    assert session_b.capacity == 30


def test_list_shows_only_the_members_sessions(applicant_client, session_a, session_b):
    content = applicant_client.get(LIST).content.decode()

    assert "Lille, salle Hopper" in content
    assert "Lyon, salle Lovelace" not in content


def test_create_offers_only_the_members_trainings(applicant_client, training_a, training_b):
    form = applicant_client.get(CREATE).context["form"]

    assert list(form.fields["training"].queryset) == [training_a]


def test_member_cannot_declare_a_session_for_another_organisations_training(
    applicant_client, training_b
):
    errors = _errors(applicant_client.post(CREATE, _form(training_b)))

    assert errors["training"] == ["Formation inconnue ou non rattachée à votre organisme."]
    assert not Session.objects.exists()


# --- declaring and correcting -------------------------------------------------------------


def test_member_declares_a_session(
    applicant_client, training_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = applicant_client.post(CREATE, _form(training_a, place="  Lille  "))

    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?training={training_a.pk}"
    session = Session.objects.get()
    assert session.training == training_a
    assert (session.start_date, session.end_date) == (
        datetime.date(2025, 9, 1),
        datetime.date(2026, 2, 27),
    )
    assert (session.capacity, session.place) == (16, "Lille")
    assert len(callbacks) == 1  # the open-data refresh: upcoming sessions are public


def test_capacity_and_place_are_optional(applicant_client, training_a):
    response = applicant_client.post(CREATE, _form(training_a, capacity="", place=""))

    assert response.status_code == 302
    session = Session.objects.get()
    assert (session.capacity, session.place) == (None, "")


def test_french_dates_are_accepted(applicant_client, training_a):
    data = _form(training_a, start_date="01/09/2025", end_date="27/02/2026")

    assert applicant_client.post(CREATE, data).status_code == 302
    assert Session.objects.get().end_date == datetime.date(2026, 2, 27)


def test_member_corrects_a_session(applicant_client, session_a, django_capture_on_commit_callbacks):
    data = _form(start_date="2025-09-08", capacity="14", place="Roubaix")
    with django_capture_on_commit_callbacks() as callbacks:
        response = applicant_client.post(_edit(session_a), data)

    assert response.status_code == 302
    session_a.refresh_from_db()
    assert session_a.start_date == datetime.date(2025, 9, 8)
    assert (session_a.capacity, session_a.place) == (14, "Roubaix")
    assert len(callbacks) == 1


def test_a_session_never_moves_to_another_training(applicant_client, session_a, training_a):
    other = TrainingFactory(organisation=training_a.organisation)

    applicant_client.post(_edit(session_a), _form(other))

    session_a.refresh_from_db()
    assert session_a.training == training_a
    assert "training" not in applicant_client.get(_edit(session_a)).context["form"].fields


def test_edit_form_starts_from_the_session(applicant_client, session_a):
    form = applicant_client.get(_edit(session_a)).context["form"]

    assert form.initial["start_date"] == datetime.date(2025, 9, 1)
    assert form.initial["place"] == "Lille, salle Hopper"


# --- rules, each with its message, nothing lost --------------------------------------------


def test_end_before_start_is_refused_and_the_values_are_kept(applicant_client, training_a):
    response = applicant_client.post(
        CREATE, _form(training_a, end_date="2025-08-31", place="Lille, salle Turing")
    )

    assert _errors(response)["end_date"] == ["La fin de la session précède son début."]
    content = response.content.decode()
    assert 'value="2025-08-31"' in content
    assert 'value="Lille, salle Turing"' in content
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("start_date", "", "Indiquez une date."),
        ("start_date", "01/13/2025", "Saisissez une date valide, par exemple 02/09/2024."),
        (
            "end_date",
            "2226-02-27",
            "Date impossible : l'année doit être comprise entre 1900 et 2100.",
        ),
        ("capacity", "0", "Le nombre de places doit être d'au moins 1."),
        ("capacity", "seize", "Indiquez un nombre entier de places, par exemple 16."),
        ("place", "x" * 256, "255 caractères au plus."),
    ],
)
def test_each_rule_has_its_message(applicant_client, training_a, field, value, message):
    errors = _errors(applicant_client.post(CREATE, _form(training_a, **{field: value})))

    assert errors[field] == [message]
    assert not Session.objects.exists()


def test_training_is_required(applicant_client, training_a):
    errors = _errors(applicant_client.post(CREATE, _form()))

    assert errors["training"] == ["Choisissez la formation de la session."]


def test_a_second_session_starting_the_same_day_is_refused_at_the_start_date(
    applicant_client, session_a
):
    data = _form(session_a.training, capacity="24")

    errors = _errors(applicant_client.post(CREATE, data))

    assert errors["start_date"] == [
        "Une autre session de cette formation commence déjà le 01/09/2025 : modifiez-la "
        "plutôt que d'en déclarer une seconde."
    ]
    assert Session.objects.count() == 1


# --- list -----------------------------------------------------------------------------------


def test_list_filters_by_training_and_period(applicant_client, training_a, org_a):
    today = paris_today()
    other = TrainingFactory(organisation=org_a)
    SessionFactory(
        training=training_a,
        start_date=today - datetime.timedelta(days=30),
        end_date=today + datetime.timedelta(days=30),
        place="Running",
    )
    SessionFactory(
        training=training_a,
        start_date=today + datetime.timedelta(days=10),
        end_date=today + datetime.timedelta(days=90),
        place="Upcoming",
    )
    SessionFactory(
        training=other,
        start_date=today - datetime.timedelta(days=300),
        end_date=today - datetime.timedelta(days=100),
        place="Finished",
    )

    def places(**query):
        response = applicant_client.get(LIST, query)
        return sorted(session.place for session in response.context["page"])

    assert places() == ["Finished", "Running", "Upcoming"]
    assert places(training=training_a.pk) == ["Running", "Upcoming"]
    assert places(period="a_venir") == ["Upcoming"]
    assert places(period="en_cours") == ["Running"]
    assert places(period="terminees") == ["Finished"]


def test_list_counts_the_enrollments_of_each_session(applicant_client, session_a, org_a):
    for _ in range(3):
        EnrollmentFactory(
            learner=LearnerFactory(organisation=org_a),
            training=session_a.training,
            session=session_a,
        )

    response = applicant_client.get(LIST)

    assert [row.enrollment_count for row in response.context["page"]] == [3]
    assert "3 inscriptions" in response.content.decode()


def test_list_query_count_does_not_grow_with_rows(
    applicant_client, org_a, django_assert_max_num_queries
):
    trainings = TrainingFactory.create_batch(4, organisation=org_a)
    for index in range(120):
        SessionFactory(
            training=trainings[index % 4],
            start_date=datetime.date(2020, 1, 1) + datetime.timedelta(days=index),
        )

    with django_assert_max_num_queries(9):
        response = applicant_client.get(LIST)
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 50

    with django_assert_max_num_queries(9):
        response = applicant_client.get(LIST, {"training": trainings[0].pk, "page": 2})
    assert response.status_code == 200


def test_a_member_without_trainings_is_told_why_there_is_nothing_to_declare(applicant_client):
    response = applicant_client.get(LIST)

    assert response.status_code == 200
    content = response.content.decode()
    assert "pas encore de formation sur le portail" in content
    assert CREATE not in content


# --- deleting a session announced by mistake -----------------------------------------------


def _delete(session) -> str:
    return reverse("trainings:session_delete", args=[session.pk])


def test_member_deletes_a_session_without_enrollments(
    applicant_client, session_a, django_capture_on_commit_callbacks
):
    confirm = applicant_client.get(_delete(session_a))
    assert confirm.status_code == 200
    assert "Supprimer la session" in confirm.content.decode()

    with django_capture_on_commit_callbacks() as callbacks:
        response = applicant_client.post(_delete(session_a))

    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?training={session_a.training_id}"
    assert not Session.objects.filter(pk=session_a.pk).exists()
    assert len(callbacks) == 1  # the open-data files are regenerated once it commits


def test_a_session_with_enrollments_is_kept_with_the_reason(applicant_client, session_a, org_a):
    EnrollmentFactory(
        learner=LearnerFactory(organisation=org_a), training=session_a.training, session=session_a
    )

    confirm = applicant_client.get(_delete(session_a))
    assert "Supprimer la session" not in confirm.content.decode()
    response = applicant_client.post(_delete(session_a), follow=True)

    assert Session.objects.filter(pk=session_a.pk).exists()
    assert "Cette session a des inscriptions" in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_deleting_another_organisations_session_is_404(applicant_client, session_b, method):
    response = getattr(applicant_client, method)(_delete(session_b))

    assert response.status_code == 404
    assert Session.objects.filter(pk=session_b.pk).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_deleting_a_session_is_404_for_a_committee_member(committee_client, session_a, method):
    assert getattr(committee_client, method)(_delete(session_a)).status_code == 404
    assert Session.objects.filter(pk=session_a.pk).exists()


def test_deleting_a_session_sends_anonymous_visitors_to_the_login(client, session_a):
    response = client.post(_delete(session_a))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
    assert Session.objects.filter(pk=session_a.pk).exists()


def test_staff_may_delete_any_session(staff_client, session_b):
    assert staff_client.post(_delete(session_b)).status_code == 302
    assert not Session.objects.filter(pk=session_b.pk).exists()
