"""The public search of labelled trainings: only trainings labelled today, text search,
filters, sorting, pagination, the map with its table, and a bounded number of queries."""

from __future__ import annotations

import datetime
import html
import json
import re

import pytest
from django.urls import reverse

from tests.factories import OrganisationFactory, SessionFactory, TrainingFactory, paris_today
from tests.trainings.catalogue_setup import labelled, network
from trainings.models import Training

pytestmark = pytest.mark.django_db

URL = reverse("trainings:catalogue")


def titles(response) -> list[str]:
    return [training.title for training in response.context["page_obj"].object_list]


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_anonymous_visitors_see_only_trainings_labelled_today(client):
    trainings = network()

    response = client.get(URL)

    assert response.status_code == 200
    assert titles(response) == [trainings.shown.title]
    page = text(response)
    for hidden in trainings.hidden:
        assert hidden.title not in page
    assert "1 formation labellisée" in page


def test_the_navigation_links_to_the_catalogue(client):
    response = client.get(reverse("home"))

    assert f'href="{URL}"' in response.content.decode()


def test_search_ignores_case_and_accents_in_titles_organisations_and_jobs(client):
    web = labelled(title="Développeur web et web mobile", targeted_jobs="M1805 Études")
    labelled(
        title="Technicien réseaux",
        organisation=OrganisationFactory(name="École Numérique Élancourt"),
        targeted_jobs="M1810 Production",
    )
    labelled(title="Médiateur numérique", targeted_jobs="K1206 Intervention socioculturelle")

    assert titles(client.get(URL, {"q": "DEVELOPPEUR"})) == [web.title]
    assert titles(client.get(URL, {"q": "ecole elancourt"})) == ["Technicien réseaux"]
    assert titles(client.get(URL, {"q": "socioculturelle"})) == ["Médiateur numérique"]
    assert titles(client.get(URL, {"q": "études web"})) == [web.title]
    assert titles(client.get(URL, {"q": "web réseaux"})) == []  # every word must match


def test_search_treats_regex_characters_as_plain_text(client):
    labelled(title="Développeur C++ (embarqué)")

    assert titles(client.get(URL, {"q": "c++ (embarque)"})) == ["Développeur C++ (embarqué)"]
    assert titles(client.get(URL, {"q": ".*"})) == []


def test_filters_narrow_the_list(client):
    today = paris_today()
    paris = OrganisationFactory(department_code="75")
    lyon = OrganisationFactory(department_code="69")
    free_paris = labelled(
        title="A gratuite Paris", organisation=paris, is_free=True, duration_months=6
    )
    paying_lyon = labelled(
        title="B payante Lyon",
        organisation=lyon,
        is_free=False,
        price=1200,
        duration_months=12,
        site_qpv=Training.SiteQpv.IN,
        targeted_jobs="M1801 Administration de systèmes d'information",
    )
    SessionFactory(training=paying_lyon, start_date=today + datetime.timedelta(days=10))
    SessionFactory(training=free_paris, start_date=today + datetime.timedelta(days=100))

    assert titles(client.get(URL, {"region": "11"})) == [free_paris.title]
    assert titles(client.get(URL, {"department": "69"})) == [paying_lyon.title]
    assert titles(client.get(URL, {"free": "on"})) == [free_paris.title]
    assert titles(client.get(URL, {"qpv": "on"})) == [paying_lyon.title]
    assert titles(client.get(URL, {"duration": "7-12"})) == [paying_lyon.title]
    assert titles(client.get(URL, {"duration": "3-6"})) == [free_paris.title]
    assert titles(client.get(URL, {"session": "30"})) == [paying_lyon.title]
    assert titles(client.get(URL, {"session": "180"})) == [free_paris.title, paying_lyon.title]
    assert titles(client.get(URL, {"job": "M1801"})) == [paying_lyon.title]
    assert titles(client.get(URL, {"region": "84", "free": "on"})) == []


def test_a_past_session_does_not_count_as_the_next_one(client):
    today = paris_today()
    training = labelled(title="Formation à session passée")
    SessionFactory(
        training=training,
        start_date=today - datetime.timedelta(days=20),
        end_date=today - datetime.timedelta(days=1),
    )

    response = client.get(URL)

    assert response.context["page_obj"].object_list[0].next_session_start is None
    assert titles(client.get(URL, {"session": "30"})) == []


def test_sorting_by_next_session_puts_trainings_without_one_last(client):
    today = paris_today()
    late, soon, none = (labelled(title=title) for title in ("A tardive", "B proche", "C sans"))
    SessionFactory(training=late, start_date=today + datetime.timedelta(days=90))
    SessionFactory(training=soon, start_date=today + datetime.timedelta(days=5))

    assert titles(client.get(URL, {"o": "session"})) == [
        soon.title,
        late.title,
        none.title,
    ]
    assert titles(client.get(URL, {"o": "duration"})) == sorted(
        [late.title, soon.title, none.title],
        key=lambda t: Training.objects.get(title=t).duration_months,
    )
    assert titles(client.get(URL)) == [late.title, soon.title, none.title]  # A to Z


def test_a_bad_filter_value_gets_a_french_message_and_is_ignored(client):
    labelled(title="Toujours listée")

    response = client.get(URL, {"region": "99", "session": "7"})

    assert response.status_code == 200
    assert titles(response) == ["Toujours listée"]
    page = text(response)
    assert "Sélectionnez un choix valide" in page
    assert 'aria-invalid="true"' in page or "fr-select-group--error" in page


def test_results_are_paginated_with_the_dsfr_pagination(client):
    organisation = OrganisationFactory()
    for number in range(23):
        labelled(title=f"Formation {number:02d}", organisation=organisation)

    first = client.get(URL, {"free": "on"})
    second = client.get(URL, {"free": "on", "page": 2})

    assert len(titles(first)) == 20 and len(titles(second)) == 3
    assert "fr-pagination" in first.content.decode()
    # Page links keep the filters.
    assert "free=on&amp;page=2" in first.content.decode()
    assert titles(second) == [f"Formation {n:02d}" for n in range(20, 23)]


def test_the_map_counts_trainings_by_region_and_department_with_a_table(client):
    paris, seine_saint_denis, lyon = (
        OrganisationFactory(department_code=code) for code in ("75", "93", "69")
    )
    for organisation, count in ((paris, 2), (seine_saint_denis, 1), (lyon, 3)):
        for _number in range(count):
            labelled(organisation=organisation)
    network()  # adds one labelled training in 93 and unlabelled ones anywhere

    response = client.get(URL, {"affichage": "carte"})

    assert response.status_code == 200
    content = response.content.decode()
    regions = json.loads(
        html.unescape(re.search(r'<map-chart level="reg" data="([^"]*)"', content)[1])
    )
    departments = json.loads(html.unescape(re.search(r'<map-chart data="([^"]*)"', content)[1]))
    # Every area is on the map, 0 where there is nothing; regions under the chart's codes.
    assert len(regions) == 18 and len(departments) == 101
    assert {code: n for code, n in regions.items() if n} == {"IDF": 4, "ARA": 3}
    assert {code: n for code, n in departments.items() if n} == {"75": 2, "93": 2, "69": 3}
    table = content[content.index('id="table-regions"') :]
    assert re.search(r"Île-de-France.*?</th>\s*<td>4</td>", html.unescape(table), re.S)
    assert "DSFRChart.js" in content  # the chart components are loaded on the map only
    assert "DSFRChart.js" not in client.get(URL).content.decode()


def test_the_map_of_a_region_shows_its_departments(client):
    for code, count in (("75", 2), ("93", 1), ("69", 5)):
        for _number in range(count):
            labelled(organisation=OrganisationFactory(department_code=code))

    response = client.get(URL, {"affichage": "carte", "region": "11"})

    content = response.content.decode()
    match = re.search(r'<map-chart-reg data="([^"]*)" value="(\d+)"[^>]*region="IDF"', content)
    assert match is not None
    data = json.loads(html.unescape(match[1]))
    assert data == {"75": 2, "93": 1, "77": 0, "78": 0, "91": 0, "92": 0, "94": 0, "95": 0}
    assert match[2] == "3"
    table = html.unescape(content[content.index('id="table-departements"') :])
    assert "Seine-Saint-Denis" in table and "Rhône" not in table


def test_the_map_follows_the_other_filters(client):
    labelled(organisation=OrganisationFactory(department_code="75"), is_free=True)
    labelled(organisation=OrganisationFactory(department_code="69"), is_free=False, price=10)

    response = client.get(URL, {"affichage": "carte", "free": "on"})

    assert response.context["counts"]["total"] == 1
    assert [row["code"] for row in response.context["region_rows"] if row["total"]] == ["11"]


@pytest.mark.parametrize("display", ["liste", "carte"])
def test_the_search_runs_in_a_bounded_number_of_queries(
    client, display, django_assert_max_num_queries
):
    for code in ("75", "93", "69", "13", "974"):
        organisation = OrganisationFactory(department_code=code)
        for _number in range(6):
            training = labelled(organisation=organisation, is_free=True)
            SessionFactory(training=training)
    client.get(URL)  # warm-up: the first request of a process loads translations

    with django_assert_max_num_queries(3):
        response = client.get(URL, {"q": "web", "free": "on", "o": "session", "affichage": display})

    assert response.status_code == 200
    assert response.context["total"] == 30


def test_the_page_has_a_description_and_a_canonical_address(client, settings):
    settings.SITE_URL = "https://formations.example.gouv.fr"

    content = client.get(URL, {"q": "web", "page": "2"}).content.decode()

    assert '<link rel="canonical" href="https://formations.example.gouv.fr/formations/">' in (
        content
    )
    assert re.search(r'<meta name="description" content="[^"]{50,}">', content)


def test_a_training_created_without_a_label_never_shows(client):
    TrainingFactory(title="Pas encore labellisée")

    assert "Pas encore labellisée" not in text(client.get(URL))
    assert "Pas encore labellisée" not in text(client.get(URL, {"affichage": "carte"}))
