"""Who reaches the staff indicator dashboard: active staff, and nobody else (404 everywhere,
anonymous visitors included, so the addresses say nothing about what is behind them)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from outcomes.models import IndicatorRun
from tests.factories import IndicatorRunFactory, IndicatorValueFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(db) -> IndicatorRun:
    run = IndicatorRunFactory(published=True)
    IndicatorValueFactory(run=run, code="learners_total", period="all", numerator=12, value=12.0)
    return run


def requests_of(run: IndicatorRun) -> list[tuple[str, str, dict]]:
    """Every dashboard address: method, URL, POST data."""
    return [
        ("get", reverse("outcomes:dashboard"), {}),
        ("get", reverse("outcomes:dashboard_export_xlsx"), {}),
        ("get", reverse("outcomes:dashboard_export_csv", args=["chiffres-cles"]), {}),
        ("get", reverse("outcomes:dashboard_export_csv", args=["formations"]), {}),
        ("get", reverse("outcomes:dashboard_run_status", args=[run.pk]), {}),
        ("post", reverse("outcomes:dashboard"), {"as_of": "2019-02-28"}),  # recompute
    ]


@pytest.mark.parametrize("persona", ["anonymous", "applicant", "committee_member", "inactive"])
def test_everyone_but_staff_gets_404_on_every_dashboard_address(persona, run, request):
    client = Client()
    if persona == "inactive":
        client.force_login(StaffFactory(is_active=False))
    elif persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))

    for method, url, data in requests_of(run):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (persona, method, url, response.status_code)

    assert IndicatorRun.objects.count() == 1  # the refused POST queued nothing


def test_staff_reach_every_dashboard_address(staff_client, run):
    for method, url, data in requests_of(run):
        response = getattr(staff_client, method)(url, data)
        expected = 302 if method == "post" else 200
        assert response.status_code == expected, (method, url, response.status_code)


def test_a_superuser_is_staff_too(superuser_client, run):
    assert superuser_client.get(reverse("outcomes:dashboard")).status_code == 200


def test_recompute_needs_post(staff_client, run):
    page = staff_client.get(reverse("outcomes:dashboard"), {"as_of": "2019-02-28"})
    other = staff_client.put(reverse("outcomes:dashboard"), {"as_of": "2019-02-28"})

    assert (page.status_code, other.status_code) == (200, 405)
    assert IndicatorRun.objects.count() == 1


def test_recompute_needs_the_csrf_token(staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)

    response = client.post(reverse("outcomes:dashboard"), {"as_of": "2019-02-28"})

    assert response.status_code == 403
    assert IndicatorRun.objects.count() == 0


@pytest.mark.parametrize("name", ["dashboard_export_xlsx", "dashboard_export_csv"])
def test_exports_are_404_without_a_published_run(staff_client, name):
    IndicatorRunFactory()  # done, never published
    args = ["chiffres-cles"] if name == "dashboard_export_csv" else []
    assert staff_client.get(reverse(f"outcomes:{name}", args=args)).status_code == 404


def test_an_unknown_export_table_is_404(staff_client, run):
    url = reverse("outcomes:dashboard_export_csv", args=["inconnu"])
    assert staff_client.get(url).status_code == 404


def test_status_of_an_unknown_run_is_404(staff_client, run):
    url = reverse("outcomes:dashboard_run_status", args=[run.pk + 1000])
    assert staff_client.get(url).status_code == 404


def test_the_definitions_page_is_public(client):
    response = client.get(reverse("outcomes:definitions"))

    assert response.status_code == 200
    assert 'id="positive_exit_rate_m3"' in response.content.decode()


def test_staff_navigation_links_to_the_dashboard_and_others_do_not(
    staff_client, applicant_client, committee_client, client
):
    url = reverse("outcomes:dashboard")
    assert f'href="{url}"' in staff_client.get(reverse("home")).content.decode()
    for other in (applicant_client, committee_client, client):
        assert f'href="{url}"' not in other.get(reverse("home")).content.decode()
