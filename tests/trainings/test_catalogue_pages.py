"""A labelled training's public page and its organisation's page: what they show, their
outcome figures under disclosure control, and 404 for anything not labelled today."""

from __future__ import annotations

import datetime
import html

import pytest
from django.urls import reverse

from outcomes.indicators.catalogue import ALL, Dimension
from outcomes.indicators.runs import indicator_run_execute, indicator_run_request
from outcomes.indicators.selectors import (
    TRAINING_PAGE_CODES,
    cells_for,
    public_training_cells,
)
from tests.factories import (
    CallFactory,
    IndicatorRunFactory,
    LabelFactory,
    OrganisationFactory,
    SessionFactory,
    TrainingCountsFactory,
    TrainingFactory,
    paris_today,
    training_counts_for,
)
from tests.outcomes.indicator_dataset import AS_OF, build_dataset
from tests.trainings.catalogue_setup import labelled, network

pytestmark = pytest.mark.django_db


def page(client, training):
    return client.get(reverse("trainings:training_detail", args=[training.code]))


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_a_labelled_training_page_shows_what_a_candidate_needs(client):
    today = paris_today()
    call = CallFactory(reference="2026", closed=True)
    training = labelled(
        title="Technicien d'assistance informatique",
        organisation=OrganisationFactory(name="Simplon Lille", department_code="59"),
        site_address="12 rue Nationale",
        site_postcode="59000",
        site_city="Lille",
        duration_months=8,
        hours=960,
        is_free=False,
        price=1200,
        site_qpv="in",
        qpv_code="QP059001",
        targeted_jobs="I1401 Maintenance informatique et bureautique\nM1801 Administration",
    )
    label = training.labels.get()
    label.call = call
    label.save()
    running = SessionFactory(
        training=training,
        start_date=today - datetime.timedelta(days=30),
        end_date=today + datetime.timedelta(days=100),
        place="Lille, salle 3",
        capacity=14,
    )
    upcoming = SessionFactory(
        training=training, start_date=today + datetime.timedelta(days=60), place="Roubaix"
    )
    SessionFactory(
        training=training,
        start_date=today - datetime.timedelta(days=300),
        end_date=today - datetime.timedelta(days=1),
        place="Session terminée à Tourcoing",
    )

    response = page(client, training)

    assert response.status_code == 200
    content = text(response)
    for expected in (
        "Technicien d'assistance informatique",
        "Simplon Lille",
        "12 rue Nationale",
        "59000 Lille",
        "59 – Nord",
        "Hauts-de-France",
        "8 mois, 960 heures",
        "1\u00a0200 €",
        "Dans un QPV (quartier QP059001)",
        "I1401 Maintenance informatique et bureautique",
        f"En vigueur du {label.start_date.day} ",
        "appel 2026",
        "Lille, salle 3",
        "Roubaix",
    ):
        assert expected in content, expected
    assert response.context["sessions"] == [running, upcoming]
    assert "Session terminée à Tourcoing" not in content
    assert reverse("trainings:organisation_detail", args=[training.organisation_id]) in content
    assert "<title>Technicien d'assistance informatique — Simplon Lille" in content


def test_a_free_training_says_so(client):
    training = labelled(is_free=True)

    assert "Gratuite" in text(page(client, training))


@pytest.mark.parametrize("state", ["never_labelled", "ended", "withdrawn", "future"])
def test_a_training_not_labelled_today_is_not_found(client, state):
    trainings = network()

    assert page(client, getattr(trainings, state)).status_code == 404


def test_an_unknown_code_is_not_found(client):
    assert client.get(reverse("trainings:training_detail", args=["GEN-99999"])).status_code == 404


def test_a_renewed_training_shows_its_longest_label(client):
    training = labelled()
    renewal = LabelFactory(
        training=training,
        start_date=paris_today() - datetime.timedelta(days=2),
        end_date=paris_today() + datetime.timedelta(days=2000),
    )

    response = page(client, training)

    assert response.context["label"] == renewal


def test_the_training_page_runs_in_a_few_queries(client, django_assert_max_num_queries):
    training = labelled()
    SessionFactory(training=training)
    IndicatorRunFactory(published=True)
    page(client, training)  # warm-up: translations, the cached figures of the run

    with django_assert_max_num_queries(4):
        assert page(client, training).status_code == 200


# --- outcome figures ---------------------------------------------------------------------


def publish(cells: dict[str, dict[str, tuple[int, int | None]]]):
    """A published run with `training` cells, period `all`: {training code: {indicator:
    (numerator, denominator)}}."""
    run = IndicatorRunFactory(published=True)
    for key, values in cells.items():
        TrainingCountsFactory(run=run, period=ALL, key=key, counts=training_counts_for(values))
    return run


def test_outcome_figures_are_shown_under_disclosure_control(client):
    big, small, medium = labelled(), labelled(), labelled()
    publish(
        {
            big.code: {"entrants": (40, None), "women_share": (10, 40), "dropout_rate": (3, 15)},
            small.code: {"entrants": (3, None), "women_share": (1, 3)},
            medium.code: {"entrants": (25, None), "women_share": (10, 25)},
        }
    )

    def figures(training) -> dict:
        response = page(client, training)
        return {row["code"]: row["figure"] for row in response.context["figures"]}

    big_figures, small_figures, medium_figures = (figures(t) for t in (big, small, medium))

    assert big_figures["entrants"].text == "40"
    assert big_figures["women_share"].text == "25,0\u00a0%"
    assert big_figures["women_share"].fraction == "10 / 40"
    assert big_figures["dropout_rate"].reason_code == "denominator_under_20"
    assert small_figures["entrants"].text == "< 5"
    assert small_figures["entrants"].reason_code == "count_under_5"
    assert small_figures["women_share"].reason_code == "denominator_under_20"
    # The next smallest cell of each table is hidden too, so the small one cannot be
    # recovered from a total.
    assert medium_figures["entrants"].reason_code == "secondary"
    assert medium_figures["women_share"].reason_code == "secondary"
    assert medium_figures["positive_exit_rate_m3"].missing  # nobody has left yet
    small_page, medium_page = text(page(client, small)), text(page(client, medium))
    assert "entre 1 et 4" in small_page and ">3<" not in small_page.replace(" ", "")
    assert "retrouvée par soustraction" in medium_page
    assert "10 / 25" not in medium_page


def test_a_training_without_figures_says_so(client):
    training = labelled()
    publish({"GEN-OTHER": {"entrants": (30, None)}})

    content = text(page(client, training))

    assert "Aucun résultat n’est encore publié pour cette formation" in content


def test_without_a_published_run_the_page_says_so(client):
    assert "Aucun indicateur n’est encore publié" in text(page(client, labelled()))


def test_training_figures_match_the_full_disclosure_control():
    build_dataset()
    run = indicator_run_execute(run_id=indicator_run_request(as_of=AS_OF, enqueue=False).pk)
    full = {
        (cell.key, cell.code): cell
        for cell in cells_for(run, public=True, dimension=Dimension.TRAINING)
        if cell.period == ALL and cell.code in TRAINING_PAGE_CODES
    }
    assert full

    for (key, code), cell in full.items():
        assert public_training_cells(run, key)[code] == cell


# --- organisation page ------------------------------------------------------------------


def org_page(client, pk):
    return client.get(reverse("trainings:organisation_detail", args=[pk]))


def test_an_organisation_page_lists_its_trainings_labelled_today(client):
    trainings = network()

    response = org_page(client, trainings.shown.organisation_id)

    assert response.status_code == 200
    content = text(response)
    assert trainings.shown.title in content
    assert "Fabrique numérique de Montreuil" in content
    for hidden in trainings.hidden:
        assert hidden.title not in content
    assert "1 formation labellisée" in content


def test_an_organisation_without_a_training_labelled_today_is_not_found(client):
    trainings = network()

    assert (
        org_page(client, trainings.unlabelled_organisation_training.organisation_id).status_code
        == 404
    )
    assert org_page(client, 999_999).status_code == 404


def test_the_organisation_page_costs_one_query(client, django_assert_max_num_queries):
    training = labelled()
    labelled(organisation=training.organisation)
    org_page(client, training.organisation_id)

    with django_assert_max_num_queries(1):
        assert org_page(client, training.organisation_id).status_code == 200


@pytest.mark.parametrize("who", ["applicant_client", "staff_client"])
def test_signed_in_people_get_the_same_public_pages(request, who, org_a):
    """The public pages have no privileged view: an organisation's own unlabelled training
    and staff alike get the 404 an anonymous visitor gets."""
    client = request.getfixturevalue(who)
    own = TrainingFactory(organisation=org_a, title="Formation de l'organisme, sans label")
    shown = labelled(organisation=org_a)

    assert page(client, own).status_code == 404
    assert page(client, shown).status_code == 200
    listing = client.get(reverse("trainings:catalogue")).content.decode()
    assert shown.title in listing and own.title not in html.unescape(listing)
