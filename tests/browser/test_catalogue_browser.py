"""A visitor searches the catalogue with filters, looks at the map and its table, then opens
a training's page, in a real browser; every page passes the WCAG A/AA scan."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from outcomes.indicators.catalogue import ALL
from tests.browser_helpers import assert_no_axe_violations
from tests.factories import (
    IndicatorRunFactory,
    OrganisationFactory,
    SessionFactory,
    TrainingCountsFactory,
    paris_today,
    training_counts_for,
)
from tests.trainings.catalogue_setup import ended_yesterday, labelled


@pytest.fixture
def catalogue(transactional_db):
    today = paris_today()
    montreuil = OrganisationFactory(name="Fabrique numérique de Montreuil", department_code="93")
    lyon = OrganisationFactory(name="Campus numérique de Lyon", department_code="69")
    web = labelled(
        organisation=montreuil,
        title="Développeur web et web mobile",
        site_city="Montreuil",
        is_free=True,
        site_qpv="in",
    )
    SessionFactory(training=web, start_date=today + datetime.timedelta(days=21), place="Montreuil")
    labelled(organisation=montreuil, title="Développeur web — payant", is_free=False, price=900)
    labelled(organisation=lyon, title="Technicien réseaux", is_free=True)
    for number in range(3):
        labelled(organisation=lyon, title=f"Développeur web à Lyon {number}")
    ended_yesterday(organisation=montreuil, title="Développeur web au label échu")
    run = IndicatorRunFactory(published=True)
    TrainingCountsFactory(
        run=run,
        period=ALL,
        key=web.code,
        counts=training_counts_for({"entrants": (42, None), "women_share": (12, 42)}),
    )
    return web


@pytest.mark.browser
def test_search_map_and_training_page(live_server, page, catalogue):
    page.goto(live_server.url + "/formations/")
    expect(page.locator("h1")).to_have_text("Formations labellisées")
    expect(page.locator("#resultats")).to_contain_text("6 formations labellisées")
    assert_no_axe_violations(page)

    # A search with filters: words without accents, a region, free trainings only.
    page.locator("#id_q").fill("developpeur web")
    page.locator("#id_region").select_option("11")
    page.locator("label[for='id_free']").click()
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#resultats")).to_contain_text("1 formation labellisée")
    cards = page.locator("#liste-formations .fr-card__title")
    expect(cards).to_have_count(1)
    expect(cards.first).to_have_text("Développeur web et web mobile")
    expect(page.locator("#id_q")).to_have_value("developpeur web")
    assert "label échu" not in page.content()
    assert_no_axe_violations(page)

    # The map of the whole catalogue, with its table.
    page.goto(live_server.url + "/formations/?affichage=carte")
    expect(page.locator("map-chart[level='reg']")).to_be_attached()
    regions = page.locator("#table-regions")
    expect(regions).to_contain_text("Île-de-France")
    expect(regions).to_contain_text("Auvergne-Rhône-Alpes")
    expect(regions.locator("tbody tr")).to_have_count(18)  # every region, 0 included
    # The web component has drawn its map before the scan.
    expect(page.locator("map-chart[level='reg'] svg").first).to_be_attached()
    assert_no_axe_violations(page)

    # Zoom on a region from the table: the map of its departments.
    regions.get_by_role("link", name="Île-de-France").click()
    expect(page.locator("map-chart-reg[region='IDF']")).to_be_attached()
    expect(page.locator("#table-departements")).to_contain_text("Seine-Saint-Denis")
    assert_no_axe_violations(page)

    # The training's page.
    page.goto(live_server.url + "/formations/?q=mobile")
    page.get_by_role("link", name="Développeur web et web mobile").click()
    expect(page.locator("h1")).to_have_text("Développeur web et web mobile")
    expect(page.locator("#sessions")).to_contain_text("Montreuil")
    expect(page.locator("#resultats-formation")).to_contain_text("42")
    expect(page.locator("main")).to_contain_text("Labellisée jusqu’au")
    assert_no_axe_violations(page)
