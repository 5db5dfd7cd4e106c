"""`session_create` and `session_update`: the rules of a session and the open-data refresh
they ask for (upcoming sessions are published)."""

import datetime

import pytest

from gen_portal.errors import DomainError
from tests.factories import SessionFactory, TrainingFactory, paris_today
from trainings.models import Session
from trainings.services import session_create, session_update

pytestmark = pytest.mark.django_db

START = datetime.date(2025, 9, 1)
END = datetime.date(2026, 2, 27)


def test_create_writes_the_session_and_asks_for_one_open_data_refresh(
    django_capture_on_commit_callbacks,
):
    training = TrainingFactory()

    with django_capture_on_commit_callbacks() as callbacks:
        session = session_create(
            training=training, start_date=START, end_date=END, capacity=16, place=" Lille "
        )

    stored = Session.objects.get(pk=session.pk)
    assert (stored.training, stored.start_date, stored.end_date) == (training, START, END)
    assert (stored.capacity, stored.place) == (16, "Lille")
    assert len(callbacks) == 1


def test_the_same_session_given_again_is_returned_unchanged(django_capture_on_commit_callbacks):
    training = TrainingFactory()
    first = session_create(training=training, start_date=START, end_date=END, capacity=16)

    with django_capture_on_commit_callbacks() as callbacks:
        again = session_create(training=training, start_date=START, end_date=END, capacity=16)

    assert again.pk == first.pk
    assert Session.objects.count() == 1
    assert callbacks == []


def test_another_session_starting_the_same_day_is_refused():
    training = TrainingFactory()
    session_create(training=training, start_date=START, end_date=END, capacity=16)

    with pytest.raises(DomainError) as refusal:
        session_create(training=training, start_date=START, end_date=END, capacity=24)

    assert refusal.value.code == "session_exists"
    assert "01/09/2025" in str(refusal.value.message)
    assert Session.objects.get().capacity == 16


def test_two_trainings_may_start_a_session_the_same_day():
    session_create(training=TrainingFactory(), start_date=START, end_date=END)
    session_create(training=TrainingFactory(), start_date=START, end_date=END)

    assert Session.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"end_date": START - datetime.timedelta(days=1)}, "dates"),
        ({"capacity": 0}, "capacity"),
    ],
)
def test_create_refuses_what_a_session_cannot_be(changes, code):
    arguments = {"start_date": START, "end_date": END, "capacity": 16} | changes

    with pytest.raises(DomainError) as refusal:
        session_create(training=TrainingFactory(), **arguments)

    assert refusal.value.code == code
    assert not Session.objects.exists()


def test_update_changes_the_session_and_asks_for_one_open_data_refresh(
    django_capture_on_commit_callbacks,
):
    session = SessionFactory(start_date=START, end_date=END, capacity=16, place="Salle 2")

    with django_capture_on_commit_callbacks() as callbacks:
        session_update(
            session=session,
            start_date=START + datetime.timedelta(days=7),
            end_date=END,
            capacity=20,
            place="Roubaix",
        )

    session.refresh_from_db()
    assert session.start_date == START + datetime.timedelta(days=7)
    assert (session.capacity, session.place) == (20, "Roubaix")
    assert len(callbacks) == 1


def test_update_keeps_its_own_start_date_but_not_another_sessions():
    training = TrainingFactory()
    session = SessionFactory(training=training, start_date=START, end_date=END)
    SessionFactory(training=training, start_date=END, end_date=END + datetime.timedelta(days=90))

    session_update(session=session, start_date=START, end_date=END, capacity=12)
    with pytest.raises(DomainError) as refusal:
        session_update(session=session, start_date=END, end_date=END, capacity=12)

    assert refusal.value.code == "session_exists"
    session.refresh_from_db()
    assert (session.start_date, session.capacity) == (START, 12)


def test_update_refuses_an_end_before_the_start(django_capture_on_commit_callbacks):
    session = SessionFactory(start_date=paris_today(), end_date=paris_today())

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(DomainError):
        session_update(
            session=session,
            start_date=paris_today(),
            end_date=paris_today() - datetime.timedelta(days=1),
        )

    assert callbacks == []
