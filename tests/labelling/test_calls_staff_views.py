"""Staff pages for calls: list with dossier counts, creation with criteria, editing, publication
and deadline extensions. Only staff get in; anonymous visitors go to login, anyone else 404."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from labelling.forms.calls import CallForm
from labelling.models import Call, Criterion, DeadlineExtension, Dossier
from labelling.services import call_create
from tests.factories import DossierFactory, ReviewFactory, ReviewScoreFactory

PARIS = zoneinfo.ZoneInfo("Europe/Paris")

pytestmark = pytest.mark.django_db


def paris_now() -> datetime.datetime:
    return datetime.datetime.now(tz=PARIS).replace(second=0, microsecond=0)


def make_call(reference="2026", *, published=True, criteria=None, **extra) -> Call:
    now = paris_now()
    values = {
        "opens_at": now - datetime.timedelta(days=7),
        "closes_at": now + datetime.timedelta(days=20),
        **extra,
    }
    if criteria is None:
        criteria = [{"title": "Insertion professionnelle", "weight": Decimal("2"), "max_score": 5}]
    return call_create(
        reference=reference,
        title=f"Appel {reference}",
        published=published,
        criteria=criteria,
        **values,
    )


def form_data(**overrides) -> dict:
    """A valid creation POST: the call's fields and a criteria formset of three rows."""
    data = {
        "reference": "2027",
        "title": "Appel à labellisation 2027",
        "description": "Formations aux métiers du numérique.",
        "opens_on": "2027-01-15",
        "opens_time": "09:00",
        "closes_on": "2027-03-31",
        "closes_time": "23:59",
        "label_duration_months": "36",
        "qpv_training_target": "30",
        "required_attachments": ["statutes", "budget"],
        "criteria-TOTAL_FORMS": "3",
        "criteria-INITIAL_FORMS": "0",
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "30",
        "criteria-0-title": "Public éloigné de l'emploi",
        "criteria-0-guidance": "Part de NEET visée, modalités de repérage.",
        "criteria-0-weight": "2",
        "criteria-0-max_score": "5",
        "criteria-0-eliminatory": "on",
        "criteria-1-title": "Insertion professionnelle",
        "criteria-1-guidance": "",
        "criteria-1-weight": "1,5",
        "criteria-1-max_score": "10",
        "criteria-2-title": "",
        "criteria-2-guidance": "",
        "criteria-2-weight": "1",
        "criteria-2-max_score": "5",
    }
    data.update(overrides)
    return data


def edit_data(call: Call, **overrides) -> dict:
    """The edit form as it comes back unchanged, criteria included."""
    initial = CallForm.initial_for(call)
    data = {
        name: value.isoformat() if isinstance(value, datetime.date) else value
        for name, value in initial.items()
        if value is not None
    }
    data["label_duration_months"] = str(call.label_duration_months)
    if call.qpv_training_target is not None:
        data["qpv_training_target"] = str(call.qpv_training_target * 100)
    criteria = list(call.criteria.all())
    data.update(
        {
            "criteria-TOTAL_FORMS": str(len(criteria)),
            "criteria-INITIAL_FORMS": str(len(criteria)),
            "criteria-MIN_NUM_FORMS": "0",
            "criteria-MAX_NUM_FORMS": "30",
        }
    )
    for index, criterion in enumerate(criteria):
        data.update(
            {
                f"criteria-{index}-id": str(criterion.pk),
                f"criteria-{index}-title": criterion.title,
                f"criteria-{index}-guidance": criterion.guidance,
                f"criteria-{index}-weight": str(criterion.weight),
                f"criteria-{index}-max_score": str(criterion.max_score),
            }
        )
        if criterion.eliminatory:
            data[f"criteria-{index}-eliminatory"] = "on"
    data.update(overrides)
    return data


# --- access -----------------------------------------------------------------------------------

PAGES = [
    ("labelling:staff_call_list", False),
    ("labelling:staff_call_create", False),
    ("labelling:staff_call_edit", True),
    ("labelling:staff_call_extend", True),
]


def page_url(name: str, with_pk: bool, call: Call) -> str:
    return reverse(name, args=[call.pk]) if with_pk else reverse(name)


@pytest.mark.parametrize(("name", "with_pk"), PAGES)
def test_staff_opens_every_staff_page(staff_client, name, with_pk):
    call = make_call()
    response = staff_client.get(page_url(name, with_pk, call))
    assert response.status_code == 200


@pytest.mark.parametrize(("name", "with_pk"), PAGES)
def test_anonymous_is_sent_to_login(client, name, with_pk):
    call = make_call()
    url = page_url(name, with_pk, call)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "next=" in response["Location"]


@pytest.mark.parametrize(("name", "with_pk"), PAGES)
@pytest.mark.parametrize("persona", ["applicant_client", "committee_client"])
def test_other_roles_get_404(request, persona, name, with_pk):
    call = make_call()
    response = request.getfixturevalue(persona).get(page_url(name, with_pk, call))
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["applicant_client", "committee_client"])
def test_other_roles_cannot_post_either(request, persona):
    call = make_call(published=False)
    user_client = request.getfixturevalue(persona)

    assert (
        user_client.post(reverse("labelling:staff_call_publish", args=[call.pk])).status_code == 404
    )
    assert user_client.post(reverse("labelling:staff_call_create"), form_data()).status_code == 404
    response = user_client.post(
        reverse("labelling:staff_call_extend", args=[call.pk]),
        {"new_closes_on": "2099-01-01", "new_closes_time": "12:00", "reason": "Essai"},
    )
    assert response.status_code == 404

    call.refresh_from_db()
    assert not call.is_published
    assert not Call.objects.filter(reference="2027").exists()
    assert not DeadlineExtension.objects.exists()


def test_publish_refuses_get_with_405(staff_client):
    call = make_call(published=False)
    response = staff_client.get(reverse("labelling:staff_call_publish", args=[call.pk]))
    assert response.status_code == 405
    call.refresh_from_db()
    assert not call.is_published


def test_publish_as_anonymous_is_sent_to_login(client):
    call = make_call(published=False)
    response = client.post(reverse("labelling:staff_call_publish", args=[call.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_unknown_call_is_404_for_staff(staff_client):
    assert staff_client.get(reverse("labelling:staff_call_edit", args=[999999])).status_code == 404


# --- list -------------------------------------------------------------------------------------


def test_list_shows_each_call_with_its_state_and_dossier_counts(staff_client):
    now = paris_now()
    open_call = make_call("OUVERT")
    make_call(
        "AVENIR",
        opens_at=now + datetime.timedelta(days=3),
        closes_at=now + datetime.timedelta(days=30),
    )
    make_call(
        "CLOS",
        opens_at=now - datetime.timedelta(days=30),
        closes_at=now - datetime.timedelta(days=1),
    )
    make_call("BROUILLON", published=False)
    DossierFactory.create_batch(2, call=open_call)
    DossierFactory(call=open_call, submitted=True)

    response = staff_client.get(reverse("labelling:staff_call_list"))

    rows = {row["call"].reference: row for row in response.context["rows"]}
    assert {ref: str(row["status"].label) for ref, row in rows.items()} == {
        "OUVERT": "Ouvert",
        "AVENIR": "À venir",
        "CLOS": "Clos",
        "BROUILLON": "Non publié",
    }
    states = [value for value, _label in response.context["states"]]
    counts = dict(zip(states, rows["OUVERT"]["counts"], strict=True))
    assert counts[Dossier.State.DRAFT] == 2
    assert counts[Dossier.State.SUBMITTED] == 1
    assert counts[Dossier.State.LABELLED] == 0
    content = response.content.decode()
    assert "<caption>" in content
    assert 'scope="row"' in content
    assert "Non publié" in content


def test_list_query_count_does_not_grow_with_calls(staff_client, django_assert_max_num_queries):
    first = make_call("C1")
    DossierFactory(call=first, submitted=True)
    url = reverse("labelling:staff_call_list")
    staff_client.get(url)  # warm up: session, user, content types

    with CaptureQueriesContext(connection) as one_call:
        assert staff_client.get(url).status_code == 200

    for number in range(2, 12):
        call = make_call(f"C{number}")
        DossierFactory(call=call)
        DossierFactory(call=call, submitted=True)

    with django_assert_max_num_queries(len(one_call)):
        response = staff_client.get(url)
    assert len(response.context["rows"]) == 11


# --- creation ---------------------------------------------------------------------------------


def test_create_writes_the_call_and_its_criteria(staff_client):
    response = staff_client.post(reverse("labelling:staff_call_create"), form_data())

    call = Call.objects.get(reference="2027")
    assert response.status_code == 302
    assert response["Location"] == reverse("labelling:staff_call_edit", args=[call.pk])
    assert call.opens_at == datetime.datetime(2027, 1, 15, 9, 0, tzinfo=PARIS)
    assert call.closes_at == datetime.datetime(2027, 3, 31, 23, 59, tzinfo=PARIS)
    assert call.qpv_training_target == Decimal("0.300")
    assert call.required_attachments == ["statutes", "budget"]
    assert not call.is_published
    criteria = list(
        call.criteria.values_list("position", "title", "weight", "max_score", "eliminatory")
    )
    assert criteria == [
        (0, "Public éloigné de l'emploi", Decimal("2.00"), 5, True),
        (1, "Insertion professionnelle", Decimal("1.50"), 10, False),
    ]


def test_dates_are_read_in_paris_time_in_winter_and_summer(staff_client):
    staff_client.post(
        reverse("labelling:staff_call_create"),
        form_data(
            opens_on="2027-01-15", opens_time="09:00", closes_on="2027-06-28", closes_time="23:59"
        ),
    )
    call = Call.objects.get(reference="2027")
    assert call.opens_at == datetime.datetime(2027, 1, 15, 8, 0, tzinfo=datetime.UTC)
    assert call.closes_at == datetime.datetime(2027, 6, 28, 21, 59, tzinfo=datetime.UTC)


def test_closing_before_opening_gives_the_french_message(staff_client):
    response = staff_client.post(
        reverse("labelling:staff_call_create"),
        form_data(opens_on="2027-03-31", closes_on="2027-01-15"),
    )

    assert response.status_code == 200
    assert "La clôture doit être postérieure à l&#x27;ouverture." in response.content.decode()
    assert not Call.objects.exists()


def test_hour_skipped_by_summer_time_is_refused(staff_client):
    response = staff_client.post(
        reverse("labelling:staff_call_create"),
        form_data(opens_on="2027-03-28", opens_time="02:30"),
    )
    assert response.status_code == 200
    assert "Cette heure n&#x27;existe pas à Paris ce jour-là" in response.content.decode()
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"reference": "2027 bis"}, "La référence ne contient que des lettres sans accent"),
        ({"reference": "é2027"}, "La référence ne contient que des lettres sans accent"),
        ({"reference": "A" * 21}, "La référence compte 20 caractères au plus."),
        ({"criteria-0-weight": "0"}, "La pondération doit être strictement positive."),
        ({"criteria-0-weight": "-1"}, "La pondération doit être strictement positive."),
        ({"criteria-0-max_score": "0"}, "La note maximale est comprise entre 1 et 100."),
        ({"criteria-0-max_score": "101"}, "La note maximale est comprise entre 1 et 100."),
        ({"qpv_training_target": "101"}, "La part doit être comprise entre 0 et 100 %."),
        ({"qpv_training_target": "-5"}, "La part doit être comprise entre 0 et 100 %."),
        ({"criteria-1-title": ""}, "Indiquez l&#x27;intitulé du critère."),
        ({"closes_time": ""}, "Indiquez une heure."),
    ],
)
def test_invalid_values_are_refused_with_a_french_message(staff_client, overrides, message):
    response = staff_client.post(reverse("labelling:staff_call_create"), form_data(**overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Call.objects.exists()
    assert not Criterion.objects.exists()


def test_reference_already_taken_is_refused(staff_client):
    make_call("2027")
    response = staff_client.post(reverse("labelling:staff_call_create"), form_data())
    assert "Un appel porte déjà cette référence." in response.content.decode()
    assert Call.objects.count() == 1


def test_create_page_renders_the_criteria_formset_as_a_table(staff_client):
    content = staff_client.get(reverse("labelling:staff_call_create")).content.decode()
    assert "<caption>Critères d&#x27;évaluation</caption>" in content
    assert 'name="criteria-TOTAL_FORMS"' in content
    assert 'type="date"' in content
    assert 'type="time"' in content
    assert "Intitulé (critère 1)" in content


# --- editing ----------------------------------------------------------------------------------


def test_edit_updates_fields_and_replaces_criteria(staff_client):
    call = make_call(
        published=False,
        criteria=[
            {"title": "Gardé", "weight": Decimal("1"), "max_score": 5},
            {"title": "Supprimé", "weight": Decimal("1"), "max_score": 5},
        ],
    )
    kept, removed = call.criteria.all()
    data = edit_data(
        call,
        title="Nouveau titre",
        closes_on="2099-12-31",
        **{
            "criteria-0-title": "Gardé, renommé",
            "criteria-0-weight": "3",
            "criteria-1-DELETE": "on",
            "criteria-TOTAL_FORMS": "3",
            "criteria-2-title": "Ajouté",
            "criteria-2-weight": "1",
            "criteria-2-max_score": "20",
        },
    )

    response = staff_client.post(reverse("labelling:staff_call_edit", args=[call.pk]), data)

    assert response.status_code == 302
    call.refresh_from_db()
    assert call.title == "Nouveau titre"
    assert call.closes_at.astimezone(PARIS).date() == datetime.date(2099, 12, 31)
    criteria = list(call.criteria.values_list("pk", "title", "weight", "max_score"))
    assert criteria[0] == (kept.pk, "Gardé, renommé", Decimal("3.00"), 5)
    assert criteria[1][1:] == ("Ajouté", Decimal("1.00"), 20)
    assert len(criteria) == 2
    assert not Criterion.objects.filter(pk=removed.pk).exists()


def test_edit_of_dates_is_refused_once_dossiers_are_submitted(staff_client):
    call = make_call()
    DossierFactory(call=call, submitted=True)
    closes_at = call.closes_at

    response = staff_client.post(
        reverse("labelling:staff_call_edit", args=[call.pk]),
        edit_data(call, closes_on="2099-12-31"),
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "Utilisez le report de clôture" in content
    assert reverse("labelling:staff_call_extend", args=[call.pk]) in content
    call.refresh_from_db()
    assert call.closes_at == closes_at
    assert not DeadlineExtension.objects.exists()


def test_edit_of_other_fields_still_works_once_dossiers_are_submitted(staff_client):
    call = make_call()
    DossierFactory(call=call, submitted=True)

    response = staff_client.post(
        reverse("labelling:staff_call_edit", args=[call.pk]),
        edit_data(call, description="Précisions ajoutées."),
    )

    assert response.status_code == 302
    call.refresh_from_db()
    assert call.description == "Précisions ajoutées."


def test_drafts_alone_do_not_lock_the_dates(staff_client):
    call = make_call()
    DossierFactory(call=call)

    response = staff_client.post(
        reverse("labelling:staff_call_edit", args=[call.pk]),
        edit_data(call, closes_on="2099-12-31"),
    )

    assert response.status_code == 302
    call.refresh_from_db()
    assert call.closes_at.astimezone(PARIS).date() == datetime.date(2099, 12, 31)


def test_published_call_keeps_its_reference(staff_client):
    call = make_call("2026")
    staff_client.post(
        reverse("labelling:staff_call_edit", args=[call.pk]), edit_data(call, reference="AUTRE")
    )
    call.refresh_from_db()
    assert call.reference == "2026"


def test_criteria_are_read_only_once_scoring_started(staff_client):
    call = make_call()
    criterion = call.criteria.get()
    dossier = DossierFactory(call=call, in_review=True)
    review = ReviewFactory(assignment__dossier=dossier)
    ReviewScoreFactory(review=review, criterion=criterion, score=3)

    response = staff_client.get(reverse("labelling:staff_call_edit", args=[call.pk]))

    content = response.content.decode()
    assert response.context["formset"] is None
    assert "les critères de cet appel ne peuvent plus être modifiés" in content
    assert criterion.title in content


# --- publication ------------------------------------------------------------------------------


def test_publish_makes_the_call_public(staff_client, client):
    call = make_call("2030", published=False)
    assert client.get(reverse("labelling:call_detail", args=["2030"])).status_code == 404

    response = staff_client.post(reverse("labelling:staff_call_publish", args=[call.pk]))

    assert response.status_code == 302
    call.refresh_from_db()
    assert call.is_published
    assert client.get(reverse("labelling:call_detail", args=["2030"])).status_code == 200


def test_publish_without_criteria_is_refused_with_a_message(staff_client):
    call = make_call(published=False, criteria=[])

    response = staff_client.post(
        reverse("labelling:staff_call_publish", args=[call.pk]), follow=True
    )

    assert "Ajoutez au moins un critère d&#x27;évaluation" in response.content.decode()
    call.refresh_from_db()
    assert not call.is_published


# --- deadline extension -----------------------------------------------------------------------


def test_extension_needs_a_reason(staff_client):
    call = make_call()
    closes_at = call.closes_at

    response = staff_client.post(
        reverse("labelling:staff_call_extend", args=[call.pk]),
        {"new_closes_on": "2099-01-01", "new_closes_time": "12:00", "reason": "   "},
    )

    assert response.status_code == 200
    assert "Indiquez le motif du report" in response.content.decode()
    call.refresh_from_db()
    assert call.closes_at == closes_at
    assert not DeadlineExtension.objects.exists()


def test_extension_must_move_the_deadline_later(staff_client):
    call = make_call()
    earlier = (call.closes_at - datetime.timedelta(days=1)).astimezone(PARIS)

    response = staff_client.post(
        reverse("labelling:staff_call_extend", args=[call.pk]),
        {
            "new_closes_on": earlier.date().isoformat(),
            "new_closes_time": earlier.strftime("%H:%M"),
            "reason": "Panne",
        },
    )

    assert (
        "La nouvelle clôture doit être postérieure à l&#x27;actuelle" in response.content.decode()
    )
    assert not DeadlineExtension.objects.exists()


def test_extension_is_recorded_and_shown_publicly(staff_client, staff, client):
    call = make_call("2018")
    previous = call.closes_at

    response = staff_client.post(
        reverse("labelling:staff_call_extend", args=[call.pk]),
        {
            "new_closes_on": "2099-07-05",
            "new_closes_time": "23:59",
            "reason": "Panne du portail le dernier jour.",
        },
    )

    assert response.status_code == 302
    extension = DeadlineExtension.objects.get()
    assert extension.previous_closes_at == previous
    assert extension.new_closes_at == datetime.datetime(2099, 7, 5, 23, 59, tzinfo=PARIS)
    assert extension.created_by == staff
    call.refresh_from_db()
    assert call.closes_at == extension.new_closes_at

    public = client.get(reverse("labelling:call_detail", args=["2018"])).content.decode()
    old = previous.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")
    assert f"Date limite reportée du {old} au 05/07/2099 à 23:59 :" in public
    assert "Panne du portail le dernier jour." in public


# --- in a real browser ------------------------------------------------------------------------


def _log_in_browser(page, live_server, user) -> None:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_creates_publishes_and_extends_a_call_in_the_browser(live_server, page, staff):
    from playwright.sync_api import expect

    from tests.browser_helpers import assert_no_axe_violations

    _log_in_browser(page, live_server, staff)
    make_call("2026")

    page.goto(live_server.url + reverse("labelling:staff_call_list"))
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Créer un appel").click()
    assert_no_axe_violations(page)

    # A first try with the closing before the opening: errors are summarised and linked.
    page.get_by_label("Référence").fill("2030")
    page.get_by_label("Titre").fill("Appel 2030")
    page.get_by_label("Date d'ouverture").fill("2030-03-01")
    page.get_by_label("Heure d'ouverture").fill("09:00")
    page.get_by_label("Date de clôture").fill("2030-02-01")
    page.get_by_label("Heure de clôture").fill("23:59")
    page.get_by_label("Statuts").check(force=True)  # DSFR draws the box on the label
    page.get_by_label("Intitulé (critère 1)").fill("Public visé")
    page.get_by_label("Pondération (critère 1)").fill("2,5")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("alert")).to_contain_text("La clôture doit être postérieure")
    assert_no_axe_violations(page)

    page.get_by_label("Date de clôture").fill("2030-04-30")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("h1")).to_have_text("Appel 2030")
    assert_no_axe_violations(page)
    call = Call.objects.get(reference="2030")
    assert call.criteria.get().weight == Decimal("2.50")

    page.get_by_role("button", name="Publier l’appel").click()
    expect(page.get_by_text("L'appel 2030 est publié")).to_be_visible()

    page.goto(live_server.url + reverse("labelling:staff_call_extend", args=[call.pk]))
    assert_no_axe_violations(page)
    page.get_by_label("Nouvelle date de clôture").fill("2030-05-07")
    page.get_by_label("Motif du report").fill("Panne du portail.")
    page.get_by_role("button", name="Enregistrer le report").click()
    expect(page.get_by_text("Date limite reportée du 30/04/2030 à 23:59")).to_be_visible()
    assert_no_axe_violations(page)


def test_criterion_of_another_call_cannot_be_edited_through_this_one(staff_client):
    other = make_call("AUTRE", criteria=[{"title": "Critère d'un autre appel"}])
    call = make_call("2026", published=False)
    foreign = other.criteria.get()
    data = edit_data(call, **{"criteria-0-id": str(foreign.pk), "criteria-0-title": "Piraté"})

    response = staff_client.post(reverse("labelling:staff_call_edit", args=[call.pk]), data)

    assert response.status_code == 200
    assert "Critère inconnu pour cet appel." in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.title == "Critère d'un autre appel"
    assert foreign.call == other
