"""Public indicators page and open data (DESIGN.md §5 disclosure control, §6 JSON shape)."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.http import http_date

from outcomes.indicators.runs import indicator_run_execute, indicator_run_request
from outcomes.indicators.selectors import cells_for
from outcomes.models import IndicatorRun
from outcomes.views import PAGE_DIMENSIONS, _page_cells
from tests.factories import IndicatorRunFactory, IndicatorValueFactory
from tests.outcomes.indicator_dataset import AS_OF, build_dataset

pytestmark = pytest.mark.django_db

FIGURES = ["numerator", "denominator", "value", "ci_low", "ci_high", "coverage", "lower_bound"]


@pytest.fixture
def published(db) -> IndicatorRun:
    build_dataset()
    run = indicator_run_execute(run_id=indicator_run_request(as_of=AS_OF, enqueue=False).pk)
    assert run.status == IndicatorRun.Status.DONE
    return run


def published_table(values) -> IndicatorRun:
    run = IndicatorRunFactory(published=True, as_of=AS_OF)
    for code, period, dimension, key, numerator, denominator in values:
        IndicatorValueFactory(
            run=run, code=code, period=period, dimension=dimension, key=key,
            numerator=numerator, denominator=denominator,
            value=numerator / denominator if denominator else float(numerator),
            ci_low=None, ci_high=None,
        )  # fmt: skip
    return run


@pytest.fixture
def small_region(db) -> IndicatorRun:
    """Region 94 has 3 learners (hidden); region 93 is hidden too (secondary)."""
    return published_table(
        [
            ("learners_total", "all", "", "", 1130, None),
            ("learners_total", "all", "region", "11", 900, None),
            ("learners_total", "all", "region", "84", 200, None),
            ("learners_total", "all", "region", "93", 27, None),
            ("learners_total", "all", "region", "94", 3, None),
            ("entrants", "all", "", "", 1130, None),
            ("entrants", "all", "region", "11", 900, None),
            ("entrants", "all", "region", "84", 200, None),
            ("entrants", "all", "region", "93", 27, None),
            ("entrants", "all", "region", "94", 3, None),
            ("women_share", "all", "", "", 300, 1130),
            ("women_share", "all", "region", "11", 240, 900),
            ("women_share", "all", "region", "84", 50, 200),
            ("women_share", "all", "region", "93", 9, 27),
            ("women_share", "all", "region", "94", 1, 3),
        ]
    )


def command_json(*args: str) -> dict:
    out = io.StringIO()
    call_command("show_indicators", "--format", "json", *args, stdout=out)
    return json.loads(out.getvalue())


def command_csv(*args: str) -> str:
    out = io.StringIO()
    call_command("show_indicators", "--format", "csv", *args, stdout=out)
    return out.getvalue()


def streamed(response) -> str:
    return b"".join(response.streaming_content).decode()


def by_cell(payload: dict) -> dict:
    return {
        (i["code"], i["period"], i["breakdown"].get("dimension", ""), i["breakdown"].get("key", "")): i
        for i in payload["indicators"]
    }  # fmt: skip


# --- without a published run ----------------------------------------------------------------


def test_page_without_a_published_run_is_friendly(client):
    IndicatorRunFactory(status=IndicatorRun.Status.FAILED, error="boom")
    response = client.get(reverse("outcomes:indicators"))
    assert response.status_code == 200
    assert "Aucun indicateur n’est encore publié" in response.content.decode()
    response = client.get(reverse("outcomes:open_data"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Licence Ouverte" in content and "Etalab 2.0" in content
    assert reverse("outcomes:open_data_indicators_csv") not in content


@pytest.mark.parametrize("name", ["open_data_indicators_json", "open_data_indicators_csv"])
def test_open_data_files_are_404_without_a_published_run(client, name):
    IndicatorRunFactory()  # done, not published
    assert client.get(reverse(f"outcomes:{name}")).status_code == 404


# --- open data --------------------------------------------------------------------------------


def test_json_equals_the_public_command_output(client, published):
    response = client.get(reverse("outcomes:open_data_indicators_json"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Last-Modified"] == http_date(published.published_at.timestamp())
    assert response.json() == command_json("--public")
    assert response.json() != command_json()  # something is hidden


def test_csv_equals_the_public_command_output(client, published):
    response = client.get(reverse("outcomes:open_data_indicators_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Last-Modified"] == http_date(published.published_at.timestamp())
    assert streamed(response) == command_csv("--public")


def test_open_data_answers_not_modified(client, published):
    url = reverse("outcomes:open_data_indicators_json")
    last_modified = client.get(url)["Last-Modified"]
    assert client.get(url, headers={"if-modified-since": last_modified}).status_code == 304


def test_open_data_files_leak_no_small_cell(client, small_region):
    cells = by_cell(client.get(reverse("outcomes:open_data_indicators_json")).json())
    for code in ("learners_total", "entrants", "women_share"):
        small = cells[(code, "all", "region", "94")]
        assert small["suppressed"] is True
        assert small["reason"] in ("count_under_5", "denominator_under_20")
        assert all(small[name] is None for name in FIGURES)
        secondary = cells[(code, "all", "region", "93")]
        assert (secondary["suppressed"], secondary["reason"]) == (True, "secondary")
        assert all(secondary[name] is None for name in FIGURES)
        assert cells[(code, "all", "region", "84")]["suppressed"] is False

    rows = list(
        csv.DictReader(
            io.StringIO(streamed(client.get(reverse("outcomes:open_data_indicators_csv"))))
        )
    )
    hidden = [r for r in rows if r["breakdown_key"] in ("93", "94")]
    assert len(hidden) == 6
    for row in hidden:
        assert row["suppressed"] == "true" and row["reason"]
        assert all(row[name] == "" for name in FIGURES)


def test_open_data_page_lists_the_files(client, published):
    response = client.get(reverse("outcomes:open_data"))
    content = response.content.decode()
    assert response.status_code == 200
    assert content.count("<h1") == 1
    assert reverse("outcomes:open_data_indicators_json") in content
    assert reverse("outcomes:open_data_indicators_csv") in content
    assert published.published_at.isoformat(timespec="seconds")[:10] in content
    assert "Licence Ouverte" in content and "Etalab 2.0" in content


# --- the public page ------------------------------------------------------------------------


def test_page_shows_the_headline_figures_with_definitions_and_targets(client, published):
    response = client.get(reverse("outcomes:indicators"))
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count("<h1") == 1
    assert "<caption>" in content and 'scope="row"' in content and 'scope="col"' in content
    for label in (
        "Apprenants formés ou en formation",
        "Entrées en formation",
        "Part de femmes",
        "Part de NEET à l&#x27;entrée",
        "Part de résidents en QPV",
        "Part d&#x27;accès gratuit",
        "Taux de sorties positives",
        "Formations labellisées",
        "Part de formations implantées en QPV",
    ):
        assert label in content, label
    # Periods: the latest year and `all`.
    assert "2019" in content and "Depuis le début" in content
    # Definitions and targets.
    assert "cohorte d&#x27;entrée, sexe F" in content
    assert "≥ 30,0\u00a0%" in content and "≥ 70,0\u00a0%" in content
    # 12 women of 27 entrants with their sex recorded.
    assert "44,4\u00a0%" in content and "12 / 27" in content
    # 3 entrants in 2019: "< 5" with its reason, never the figure.
    assert "&lt; 5</abbr>" in content
    assert "Effectif compris entre 1 et 4" in content
    # Positive exits at 3 months rest on 15 known situations: "n.c." with its reason.
    assert "n.c.</abbr>" in content
    assert "moins de 20 personnes" in content
    # Regions of the training sites.
    assert "Île-de-France" in content and "Auvergne-Rhône-Alpes" in content


def test_page_hides_small_regions_and_their_secondary_cell(client, small_region):
    response = client.get(reverse("outcomes:indicators"))
    content = response.content.decode()
    cells = response.context["regions"]
    by_key = {row["key"]: row for row in cells}
    for figure in by_key["94"]["figures"][:2]:  # entrants, women_share
        assert figure.hidden and figure.text in ("< 5", "n.c.") and figure.reason
    for figure in by_key["93"]["figures"][:2]:
        assert figure.hidden and figure.text == "n.c." and "soustraction" in figure.reason
    assert not by_key["84"]["figures"][0].hidden
    # Neither the 3 entrants of region 94 nor the 27 of region 93 appear, nor their women.
    table = content.split("Indicateurs par région")[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    small_rows = [row for row in rows if "Corse" in row or "Provence" in row]
    assert len(small_rows) == 2
    for row in small_rows:
        for text in re.findall(r"<td>(.*?)</td>", row, re.S):
            # Only the mark and its reason (the reasons speak of 1 to 4 and of 20).
            figures = re.sub(r"<[^>]+>|&lt; 5|&#x27;|1 et 4|moins de 20", "", text)
            assert not re.search(r"\d", figures), text
    assert "1 / 3" not in table and "9 / 27" not in table
    assert "Effectif compris entre 1 et 4" in content
    assert "retrouvée par soustraction" in content


def test_page_cells_match_the_full_disclosure_control(published):
    """Reading only the page's breakdowns decides the same suppressions as the whole run."""
    full = {
        (c.code, c.period, c.dimension, c.key): c
        for c in cells_for(published, public=True)
        if c.dimension in [d.value for d in PAGE_DIMENSIONS]
    }
    page = _page_cells(published)
    assert page
    for cell_id, cell in page.items():
        assert cell == full[cell_id]


def test_page_runs_in_a_bounded_number_of_queries(client, published, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        assert client.get(reverse("outcomes:indicators")).status_code == 200
    with django_assert_max_num_queries(2):
        assert client.get(reverse("outcomes:open_data")).status_code == 200


def test_navigation_links_to_the_pages(client):
    content = client.get(reverse("outcomes:open_data")).content.decode()
    assert f'href="{reverse("outcomes:indicators")}"' in content


def test_percentages_are_rounded_not_truncated():
    from outcomes.indicators.display import percent

    assert percent(13 / 15) == "86,7\u00a0%"
