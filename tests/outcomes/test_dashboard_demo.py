"""The demo network publishes its indicators as of the article's date (29 June 2018), and the
staff dashboard opens on them: figures computed by the engine from the demo's rows, equal to
plain counts of those rows (small scale), and to the article's figures (full scale, slow)."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from gen_portal.demo.plan import AS_OF, STAFF_EMAIL
from outcomes.models import IndicatorRun
from outcomes.selectors import network_profile
from trainings.models import Training

pytestmark = pytest.mark.django_db


def load_demo(scale: str) -> str:
    out = io.StringIO()
    call_command("load_demo", "--scale", scale, stdout=out)
    return out.getvalue()


def dashboard(client):
    client.force_login(User.objects.get(email=STAFF_EMAIL))
    response = client.get(reverse("outcomes:dashboard"))
    assert response.status_code == 200
    return response


def figure(content: str, code: str) -> str:
    match = re.search(rf'data-figure="{code}">(.*?)</p>', content, re.S)
    assert match, f"no tile for {code}"
    return re.sub(r"<[^>]+>", "", match.group(1).split("<br>")[0]).strip()


def test_demo_publishes_its_run_as_of_the_article_date_once(client):
    out = load_demo("0.05")

    run = IndicatorRun.objects.get()
    assert (run.as_of, run.status, run.published_at is not None) == (AS_OF, "done", True)
    assert f"Indicateurs au 29/06/2018 calculés et publiés (calcul n° {run.pk})" in out
    load_demo("0.05")  # already loaded: nothing more
    assert IndicatorRun.objects.count() == 1


def test_a_demo_loaded_without_its_run_gets_it_on_the_next_load(client):
    load_demo("0.05")
    IndicatorRun.objects.all().delete()

    load_demo("0.05")

    assert IndicatorRun.objects.get().as_of == AS_OF


def test_dashboard_of_the_demo_equals_plain_counts_of_its_rows(client):
    load_demo("0.05")
    profile = network_profile(as_of=AS_OF)

    response = dashboard(client)

    assert response.context["run"].as_of == AS_OF
    tiles = {tile.code: tile.item for tile in response.context["shown"].tiles}
    assert tiles["learners_total"].number == profile.learners
    for code, share in (
        ("women_share", profile.women),
        ("neet_share", profile.neet),
        ("qpv_resident_share", profile.qpv_residents),
        ("free_access_share", profile.free_access),
        ("positive_exit_rate_m3", profile.positive_m3),
    ):
        cell = tiles[code].cell
        assert (cell.numerator, cell.denominator) == (share.numerator, share.denominator), code
    labelled = (
        Training.objects.filter(labels__start_date__lte=AS_OF, labels__end_date__gte=AS_OF)
        .distinct()
        .count()
    )
    assert tiles["labelled_trainings"].number == labelled > 0
    assert "Chiffres arrêtés au 29 juin 2018" in response.content.decode()


@pytest.mark.slow
def test_dashboard_of_the_full_demo_shows_the_article_figures(client):
    load_demo("1")

    content = dashboard(client).content.decode()

    assert figure(content, "learners_total") == "11\u00a0409"
    assert figure(content, "women_share") == "24,0\u00a0%"
    assert figure(content, "neet_share") == "65,0\u00a0%"
    assert figure(content, "qpv_resident_share") == "17,0\u00a0%"
    assert figure(content, "free_access_share") == "77,0\u00a0%"
    assert figure(content, "positive_exit_rate_m3") == "74,0\u00a0%"
    assert figure(content, "labelled_trainings") == "400"
