"""Findability: sitemap.xml lists the public pages and only what is labelled today,
robots.txt points to it, and pages carry a description and a canonical address."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import CallFactory
from tests.trainings.catalogue_setup import network

pytestmark = pytest.mark.django_db

SITE = "https://formations.example.gouv.fr"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


def locations(client) -> list[str]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    return re.findall(r"<loc>([^<]+)</loc>", response.content.decode())


def test_the_sitemap_lists_public_pages_calls_and_what_is_labelled_today(client):
    trainings = network()
    call = CallFactory(reference="2026")
    draft_call = CallFactory(reference="PROJET", is_published=False)

    urls = locations(client)

    for name in (
        "home",
        "labelling:call_list",
        "trainings:catalogue",
        "outcomes:indicators",
        "outcomes:open_data",
    ):
        assert SITE + reverse(name) in urls, name
    assert SITE + reverse("labelling:call_detail", args=[call.reference]) in urls
    assert SITE + reverse("labelling:call_detail", args=[draft_call.reference]) not in urls
    shown = trainings.shown
    assert SITE + reverse("trainings:training_detail", args=[shown.code]) in urls
    assert SITE + reverse("trainings:organisation_detail", args=[shown.organisation_id]) in urls
    for hidden in trainings.hidden:
        assert SITE + reverse("trainings:training_detail", args=[hidden.code]) not in urls
    lonely = trainings.unlabelled_organisation_training.organisation_id
    assert SITE + reverse("trainings:organisation_detail", args=[lonely]) not in urls
    assert not any("/equipe/" in url or "/compte/" in url for url in urls)


def test_the_sitemap_costs_two_queries_per_section(client, django_assert_max_num_queries):
    network()
    CallFactory()

    # Each of the four sections: its paginator's count, then its page of items.
    with django_assert_max_num_queries(8):
        client.get("/sitemap.xml")


def test_robots_txt_points_to_the_sitemap_and_keeps_out_of_private_areas(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert f"Sitemap: {SITE}/sitemap.xml" in lines
    assert "Disallow: /equipe/" in lines and "Disallow: /admin/" in lines
    assert "Disallow: /formations/" not in lines


@pytest.mark.parametrize(
    "name", ["home", "trainings:catalogue", "outcomes:open_data", "labelling:call_list"]
)
def test_public_pages_have_a_description_and_a_canonical_address(client, name):
    content = client.get(reverse(name), {"q": "x"}).content.decode()

    assert f'<link rel="canonical" href="{SITE}{reverse(name)}">' in content
    assert re.search(r'<meta name="description" content="[^"]{40,}">', content)


def test_each_catalogue_page_has_its_own_title_and_description(client):
    trainings = network()
    shown = trainings.shown

    training_page = client.get(reverse("trainings:training_detail", args=[shown.code]))
    organisation_page = client.get(
        reverse("trainings:organisation_detail", args=[shown.organisation_id])
    )

    for response in (training_page, organisation_page):
        content = response.content.decode()
        title = re.search(r"<title>([^<]+)</title>", content)[1]
        description = re.search(r'<meta name="description" content="([^"]+)">', content)[1]
        assert "Fabrique numérique de Montreuil" in title
        assert "Fabrique numérique de Montreuil" in description
    assert "Développeur web et web mobile" in training_page.content.decode().split("</title>")[0]
