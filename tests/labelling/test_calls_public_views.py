"""Public call pages: the list of open, upcoming and closed calls with the time left, and one
call's page with its dates, extensions, criteria and the button to apply while it is open."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from labelling.services import call_create, call_extend_deadline
from labelling.templatetags.labelling_tags import (
    CallPhase,
    call_status,
    duration_text,
    paris_datetime,
    plain_number,
    share_as_percent,
)

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def paris_now() -> datetime.datetime:
    return datetime.datetime.now(tz=PARIS).replace(microsecond=0)


def make_call(reference="2026", *, published=True, opens_at=None, closes_at=None, **extra):
    now = paris_now()
    return call_create(
        reference=reference,
        title=f"Appel à labellisation {reference}",
        description="Des formations au numérique pour tous.",
        opens_at=opens_at or now - datetime.timedelta(days=7),
        closes_at=closes_at or now + datetime.timedelta(days=20),
        published=published,
        **extra,
    )


def closed_call(reference="2018"):
    now = paris_now()
    return make_call(
        reference,
        opens_at=now - datetime.timedelta(days=60),
        closes_at=now - datetime.timedelta(days=2),
    )


def upcoming_call(reference="2027"):
    now = paris_now()
    return make_call(
        reference,
        opens_at=now + datetime.timedelta(days=5, hours=1, minutes=30),
        closes_at=now + datetime.timedelta(days=40),
    )


# --- access -----------------------------------------------------------------------------------

PERSONAS = ["client", "applicant_client", "committee_client", "staff_client"]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_everyone_sees_the_list_and_a_published_call(request, persona):
    make_call("2026")
    user_client = request.getfixturevalue(persona)

    assert user_client.get(reverse("labelling:call_list")).status_code == 200
    assert user_client.get(reverse("labelling:call_detail", args=["2026"])).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_unpublished_call_is_404_for_everyone(request, persona):
    make_call("BROUILLON", published=False)
    user_client = request.getfixturevalue(persona)

    response = user_client.get(reverse("labelling:call_detail", args=["BROUILLON"]))

    assert response.status_code == 404
    listing = user_client.get(reverse("labelling:call_list")).content.decode()
    assert "BROUILLON" not in listing


@pytest.mark.django_db
def test_unknown_reference_is_404(client):
    assert client.get(reverse("labelling:call_detail", args=["NOPE"])).status_code == 404


@pytest.mark.django_db
def test_public_pages_refuse_post_with_405(client):
    make_call("2026")
    assert client.post(reverse("labelling:call_list")).status_code == 405
    assert client.post(reverse("labelling:call_detail", args=["2026"])).status_code == 405


# --- the list ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_open_and_upcoming_calls_and_closed_ones_apart(client):
    make_call("OUVERT", closes_at=paris_now() + datetime.timedelta(days=3, hours=4, minutes=30))
    upcoming = upcoming_call("AVENIR")
    closed_call("CLOS")

    response = client.get(reverse("labelling:call_list"))

    current = [row["call"].reference for row in response.context["current_calls"]]
    closed = [row["call"].reference for row in response.context["closed_calls"]]
    assert current == ["OUVERT", "AVENIR"]
    assert closed == ["CLOS"]
    content = response.content.decode()
    assert "Clôture dans 3 jours et 4 heures" in content
    assert f"Ouvre le {paris_datetime(upcoming.opens_at)} (dans 5 jours et 1 heure)" in content
    # Closed calls come after the open ones, in their own table.
    assert content.index("Appels clos") < content.index("Appel à labellisation CLOS")
    assert "<caption>Appels à labellisation clos</caption>" in content


@pytest.mark.django_db
def test_list_dates_are_in_paris_time_french_format(client):
    make_call(
        "2018",
        opens_at=datetime.datetime(2018, 5, 2, 9, 0, tzinfo=PARIS),
        closes_at=datetime.datetime(2018, 6, 28, 23, 59, tzinfo=PARIS),
    )
    content = client.get(reverse("labelling:call_list")).content.decode()
    assert "28/06/2018 à 23:59" in content
    assert 'datetime="2018-06-28T23:59+02:00"' in content


# --- one call's page --------------------------------------------------------------------------


@pytest.mark.django_db
def test_detail_shows_everything_an_applicant_needs(client):
    make_call(
        "2026",
        closes_at=paris_now() + datetime.timedelta(days=3, hours=4, minutes=30),
        label_duration_months=36,
        qpv_training_target=Decimal("0.300"),
        required_attachments=["statutes", "budget"],
        criteria=[
            {
                "title": "Public éloigné de l'emploi",
                "guidance": "Part de NEET visée et modalités de repérage.",
                "weight": Decimal("2.5"),
                "max_score": 10,
                "eliminatory": True,
            },
            {"title": "Partenariats", "weight": Decimal("1"), "max_score": 5},
        ],
    )

    content = client.get(reverse("labelling:call_detail", args=["2026"])).content.decode()

    assert content.count("<h1") == 1
    assert "Des formations au numérique pour tous." in content
    assert "Clôture dans 3 jours et 4 heures" in content
    assert "Durée du label : 36 mois" in content
    assert "30 %" in content
    assert "Statuts" in content
    assert "Budget prévisionnel" in content
    assert "Public éloigné de l&#x27;emploi" in content
    assert "2,5" in content
    assert "Part de NEET visée et modalités de repérage." in content
    assert "fr-accordion" in content
    assert 'scope="row"' in content
    assert "Critère éliminatoire" in content


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["client", "applicant_client"])
def test_open_call_offers_to_apply_with_a_post_form(request, persona):
    make_call("2026")
    content = (
        request.getfixturevalue(persona)
        .get(reverse("labelling:call_detail", args=["2026"]))
        .content.decode()
    )

    action = reverse("labelling:dossier_start", args=["2026"])
    assert f'<form method="post" action="{action}"' in content
    assert "csrfmiddlewaretoken" in content
    assert "Déposer une candidature" in content


@pytest.mark.django_db
@pytest.mark.parametrize("make", [closed_call, upcoming_call])
def test_call_not_open_has_no_apply_button(client, make):
    call = make()

    content = client.get(reverse("labelling:call_detail", args=[call.reference])).content.decode()

    assert reverse("labelling:dossier_start", args=[call.reference]) not in content
    assert "Déposer une candidature" not in content


@pytest.mark.django_db
def test_closed_call_says_since_when(client):
    call = closed_call("2018")
    content = client.get(reverse("labelling:call_detail", args=["2018"])).content.decode()
    assert f"Clos depuis le {paris_datetime(call.closes_at)}" in content


@pytest.mark.django_db
def test_extensions_are_listed_with_their_reason(client, staff):
    call = make_call(
        "2018",
        opens_at=paris_now() - datetime.timedelta(days=30),
        closes_at=datetime.datetime(2099, 6, 28, 23, 59, tzinfo=PARIS),
    )
    call_extend_deadline(
        call=call,
        new_closes_at=datetime.datetime(2099, 7, 5, 23, 59, tzinfo=PARIS),
        reason="Panne du portail le dernier jour.",
        actor=staff,
    )

    content = client.get(reverse("labelling:call_detail", args=["2018"])).content.decode()

    assert "Date limite reportée du 28/06/2099 à 23:59 au 05/07/2099 à 23:59 :" in content
    assert "Panne du portail le dernier jour." in content
    assert "05/07/2099 à 23:59" in content
    listing = client.get(reverse("labelling:call_list")).content.decode()
    assert "Date limite reportée" in listing


# --- time left, in words ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (datetime.timedelta(days=3, hours=4, minutes=59), "3 jours et 4 heures"),
        (datetime.timedelta(days=1), "1 jour"),
        (datetime.timedelta(days=2, minutes=30), "2 jours"),
        (datetime.timedelta(hours=5, minutes=12, seconds=59), "5 heures et 12 minutes"),
        (datetime.timedelta(hours=1), "1 heure"),
        (datetime.timedelta(minutes=7, seconds=30), "7 minutes"),
        (datetime.timedelta(minutes=1), "1 minute"),
        (datetime.timedelta(seconds=59), "moins d'une minute"),
    ],
)
def test_duration_is_floored_in_french_words(delta, text):
    with translation.override("fr"):
        assert duration_text(delta) == text


def test_numbers_are_shown_without_trailing_zeros_in_french():
    with translation.override("fr"):
        assert plain_number(Decimal("1.50")) == "1,5"
        assert plain_number(Decimal("2.00")) == "2"
        assert share_as_percent(Decimal("0.300")) == "30"
        assert share_as_percent(Decimal("0.305")) == "30,5"


def test_paris_datetime_in_winter_and_summer():
    assert paris_datetime(datetime.datetime(2018, 6, 28, 21, 59, tzinfo=datetime.UTC)) == (
        "28/06/2018 à 23:59"
    )
    assert paris_datetime(datetime.datetime(2018, 12, 1, 8, 0, tzinfo=datetime.UTC)) == (
        "01/12/2018 à 09:00"
    )


@pytest.mark.django_db
def test_status_follows_the_deadline_to_the_second():
    closes_at = datetime.datetime(2030, 6, 28, 23, 59, tzinfo=PARIS)
    call = make_call(
        "2030", opens_at=datetime.datetime(2030, 6, 1, 9, 0, tzinfo=PARIS), closes_at=closes_at
    )

    just_before = call_status(call, closes_at - datetime.timedelta(seconds=1))
    at_deadline = call_status(call, closes_at)

    assert just_before.phase == CallPhase.OPEN
    assert just_before.time_left == "Clôture dans moins d'une minute"
    assert at_deadline.phase == CallPhase.CLOSED
    assert at_deadline.time_left == "Clos depuis le 28/06/2030 à 23:59"


# --- in a real browser ------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_public_call_pages_are_accessible(live_server, page, staff):
    from playwright.sync_api import expect

    from tests.browser_helpers import assert_no_axe_violations

    call = make_call(
        "2026",
        required_attachments=["statutes"],
        qpv_training_target=Decimal("0.3"),
        criteria=[
            {"title": "Public visé", "guidance": "Part de NEET.", "weight": Decimal("2")},
            {"title": "Partenariats", "weight": Decimal("1"), "eliminatory": True},
        ],
    )
    call_extend_deadline(
        call=call,
        new_closes_at=call.closes_at + datetime.timedelta(days=7),
        reason="Panne du portail.",
        actor=staff,
    )
    upcoming_call("2027")
    closed_call("2018")

    page.goto(live_server.url + reverse("labelling:call_list"))
    assert page.locator("h1").count() == 1
    assert page.get_by_text("Clôture dans").first.is_visible()
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Appel à labellisation 2026").click()
    assert page.locator("h1").inner_text() == "Appel à labellisation 2026"
    page.get_by_role("button", name="Public visé").click()
    expect(page.get_by_text("Part de NEET.")).to_be_visible()
    expect(page.get_by_role("button", name="Déposer une candidature")).to_be_visible()
    assert_no_axe_violations(page)
