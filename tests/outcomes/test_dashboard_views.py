"""The staff indicator dashboard shows the stored values of the published run, within a fixed
query budget; its filters, exports, recompute button and status endpoint."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from outcomes.dashboard import views as dashboard_views
from outcomes.indicators.runs import indicator_run_execute, indicator_run_request
from outcomes.indicators.wilson import wilson_interval
from outcomes.models import IndicatorRun, IndicatorValue
from tests.factories import (
    CallFactory,
    IndicatorRunFactory,
    LabelFactory,
    TrainingCountsFactory,
    TrainingFactory,
)
from tests.outcomes.indicator_dataset import AS_OF, build_dataset

pytestmark = pytest.mark.django_db

DASHBOARD = "outcomes:dashboard"
QUERY_BUDGET = 20


def fr_percent(value: float) -> str:
    return f"{round(value * 100, 1):.1f}".replace(".", ",") + "\u00a0%"


def stored(run, code, period="all", dimension="", key="") -> IndicatorValue:
    return IndicatorValue.objects.get(
        run=run, code=code, period=period, dimension=dimension, key=key
    )


def figure_text(content: str, code: str) -> str:
    """The headline figure of a tile, as the page prints it."""
    match = re.search(rf'data-figure="{code}">(.*?)</p>', content, re.S)
    assert match, f"no tile for {code}"
    return re.sub(r"<[^>]+>", "", match.group(1).split("<br>")[0]).strip()


@pytest.fixture
def published(db) -> IndicatorRun:
    build_dataset()
    run = indicator_run_execute(run_id=indicator_run_request(as_of=AS_OF, enqueue=False).pk)
    assert run.status == IndicatorRun.Status.DONE
    return run


# --- a synthetic run: trainings with chosen outcomes ----------------------------------------


def synthetic_run(trainings, *, as_of=datetime.date(2024, 6, 30)) -> IndicatorRun:
    """A published run with, for each (code, department, positive, known) training, its
    entrants, drop-outs and headline outcome counts, and the matching national and regional
    cells. Intervals are Wilson's, as the engine writes them."""
    run = IndicatorRunFactory(published=True, as_of=as_of)
    values = []

    def rate(code, dimension, key, numerator, denominator, **extra):
        low, high = wilson_interval(numerator, denominator)
        values.append(
            IndicatorValue(
                run=run, code=code, period="all", dimension=dimension, key=key,
                numerator=numerator, denominator=denominator, value=numerator / denominator,
                ci_low=low, ci_high=high, **extra,
            )
        )  # fmt: skip

    def count(code, dimension, key, number):
        values.append(
            IndicatorValue(
                run=run, code=code, period="all", dimension=dimension, key=key,
                numerator=number, value=float(number),
            )
        )  # fmt: skip

    totals = {}
    for code, department, positive, known in trainings:
        training = TrainingFactory(code=code, department_code=department)
        # Entrants, drop-outs (1 of known + 1 exits) and the headline outcome, every
        # matured situation known.
        TrainingCountsFactory(
            run=run,
            key=code,
            counts={
                "entrants": known + 2,
                "exits": known + 1,
                "dropouts": 1,
                "matured_m3": known,
                "known_m3": known,
                "positive_m3": positive,
            },
        )
        for dimension, key in (("", ""), ("region", training.region_code)):
            entry = totals.setdefault((dimension, key), [0, 0, 0])
            entry[0] += positive
            entry[1] += known
            entry[2] += known + 2
    for (dimension, key), (positive, known, entrants) in totals.items():
        rate("positive_exit_rate_m3", dimension, key, positive, known, coverage=1.0)
        count("entrants", dimension, key, entrants)
    IndicatorValue.objects.bulk_create(values)
    return run


# --- figures equal the stored values --------------------------------------------------------


def test_tiles_show_the_stored_national_values(staff_client, published):
    response = staff_client.get(reverse(DASHBOARD))
    content = response.content.decode()

    tiles = {tile.code: tile for tile in response.context["shown"].tiles}
    for code in ("learners_total", "labelled_trainings"):
        value = stored(published, code)
        assert tiles[code].item.number == value.numerator
        assert figure_text(content, code) == str(value.numerator)
    for code in ("women_share", "neet_share", "qpv_resident_share", "free_access_share"):
        value = stored(published, code)
        assert (tiles[code].item.cell.numerator, tiles[code].item.cell.denominator) == (
            value.numerator,
            value.denominator,
        )
        assert figure_text(content, code) == fr_percent(value.value)
        assert f"{value.numerator} / {value.denominator}" in content
    # Hand-worked in test_indicator_engine: 27 learners, 12 women of 27, 13 positive of 15.
    assert figure_text(content, "learners_total") == "27"
    assert figure_text(content, "women_share") == fr_percent(12 / 27)

    outcome = stored(published, "positive_exit_rate_m3")
    coverage = stored(published, "followup_coverage_m3")
    assert figure_text(content, "positive_exit_rate_m3") == fr_percent(13 / 15)
    assert f"IC 95 % : {fr_percent(outcome.ci_low)} – {fr_percent(outcome.ci_high)}" in content
    assert f"Situations connues : {fr_percent(coverage.value)}" in content
    assert fr_percent(outcome.lower_bound) in content
    assert tiles["positive_exit_rate_m3"].target == 0.70


def test_entrants_tile_is_this_year_against_its_target_with_the_change(staff_client, published):
    response = staff_client.get(reverse(DASHBOARD))
    tile = next(t for t in response.context["shown"].tiles if t.code == "entrants")

    this_year = stored(published, "entrants", "all", "year", "2019")
    last_year = stored(published, "entrants", "all", "year", "2018")
    assert (tile.item.number, tile.target) == (this_year.numerator, 5000.0)
    assert tile.status == "below"
    assert tile.change.previous.number == last_year.numerator
    expected = (this_year.numerator - last_year.numerator) / last_year.numerator * 100
    assert tile.change.delta == f"\u2212{abs(expected):.1f}\u00a0%".replace(".", ",")
    assert "Sous la cible" in response.content.decode()


def test_rate_change_is_in_points_between_the_two_last_years(staff_client, published):
    response = staff_client.get(reverse(DASHBOARD))
    tile = next(t for t in response.context["shown"].tiles if t.code == "women_share")

    # Women: 2 of 3 entrants in 2019, 6 of 12 in 2018.
    assert tile.change.delta == "+16,7 points"
    assert tile.status == "within"  # 30 % lies inside the interval of 12 / 27


def test_region_department_and_call_tables_show_the_stored_values(staff_client, published):
    response = staff_client.get(reverse(DASHBOARD))
    shown = response.context["shown"]
    codes = [indicator.code for indicator in response.context["geo_columns"]]

    checked = 0
    for dimension, rows in (("region", shown.regions), ("department", shown.departments)):
        assert {row.key for row in rows} == set(
            IndicatorValue.objects.filter(run=published, period="all", dimension=dimension)
            .values_list("key", flat=True)
            .distinct()
        )
        for row in rows:
            for code, item in zip(codes, row.figures, strict=True):
                value = IndicatorValue.objects.filter(
                    run=published, code=code, period="all", dimension=dimension, key=row.key
                ).first()
                assert (item.cell is None) == (value is None)
                if value is not None:
                    assert (item.cell.numerator, item.cell.denominator, item.cell.value) == (
                        value.numerator,
                        value.denominator,
                        value.value,
                    )
                    checked += 1
    assert checked > 20

    calls = {row.reference: row for row in shown.calls}
    assert set(calls) == {"2016", "2018", "2019"}
    applications = stored(published, "applications", "all", "call", "2018")
    acceptance = stored(published, "acceptance_rate", "all", "call", "2018")
    assert calls["2018"].figures[0].number == applications.numerator
    assert calls["2018"].figures[1].fraction == f"{acceptance.numerator} / {acceptance.denominator}"


def test_days_to_decision_are_the_mean_from_submission_to_first_decision(staff_client, published):
    calls = {
        row.reference: row for row in staff_client.get(reverse(DASHBOARD)).context["shown"].calls
    }

    # Call 2018 (module docstring of the dataset): D1 10/03 10:00 → 01/06 15:00, D2 12/03
    # 10:00 → 01/06 15:00, D3 01/01 00:30 → deferred 01/06 15:00; summer time began on 25/03,
    # so each of the three waits is one hour shorter than the calendar suggests.
    hours = [(83 * 24 + 5) - 1, (81 * 24 + 5) - 1, (151 * 24 + 14.5) - 1]
    assert calls["2018"].delay.decided == 3
    assert calls["2018"].delay.mean_days == pytest.approx(sum(hours) / 3 / 24)
    assert calls["2018"].mean_days == "105,3"
    # Call 2019: D8 15/01 10:00 → 28/02 23:30; D9 decided after the as-of date is left out.
    assert calls["2019"].delay.decided == 1
    assert calls["2019"].delay.mean_days == pytest.approx(44 + 13.5 / 24)


def test_every_definition_link_of_the_dashboard_has_its_anchor(staff_client, client, published):
    content = staff_client.get(reverse(DASHBOARD)).content.decode()
    definitions = client.get(reverse("outcomes:definitions")).content.decode()

    anchors = set(re.findall(r'href="/indicateurs/definitions/#([\w-]+)"', content))
    assert {"learners_total", "positive_exit_rate_m3", "delai-de-decision"} <= anchors
    for anchor in anchors:
        assert f'id="{anchor}"' in definitions, anchor


def test_definitions_list_every_catalogue_entry_with_its_parts(client):
    from outcomes.indicators.catalogue import CATALOGUE, DEFINITION_VERSION

    content = client.get(reverse("outcomes:definitions")).content.decode()

    for indicator in CATALOGUE:
        assert f'id="{indicator.code}"' in content
        assert f"<code>{indicator.code}</code>" in content
    assert f"version {DEFINITION_VERSION}" in content
    assert "5\u00a0000 en 2019" in content  # the entrants target, from the catalogue
    assert "≥ 70,0\u00a0%" in content


# --- query budget -----------------------------------------------------------------------------


def test_dashboard_needs_few_queries_whatever_the_volume(
    staff_client, django_assert_max_num_queries
):
    departments = ["75", "93", "69", "13", "33", "59", "2A", "971"]
    small = synthetic_run([(f"GEN-S{i}", departments[i % 8], 5, 10) for i in range(3)])
    with CaptureQueriesContext(connection) as few:
        staff_client.get(reverse(DASHBOARD), {"as_of": small.as_of.isoformat()})

    big = synthetic_run(
        [(f"GEN-B{i:03d}", departments[i % 8], i % 20, 20) for i in range(150)],
        as_of=datetime.date(2025, 6, 30),
    )
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = staff_client.get(
            reverse(DASHBOARD), {"region": "11", "flag": "any", "o": "-rate", "page": "2"}
        )
    assert response.context["run"] == big
    with CaptureQueriesContext(connection) as many:
        staff_client.get(reverse(DASHBOARD))

    assert len(many.captured_queries) == len(few.captured_queries) <= QUERY_BUDGET
    assert response.context["page"].paginator.count > 0


def test_dashboard_with_the_real_engine_output_stays_within_budget(
    staff_client, published, django_assert_max_num_queries
):
    with django_assert_max_num_queries(QUERY_BUDGET):
        assert staff_client.get(reverse(DASHBOARD)).status_code == 200


# --- the table by training ----------------------------------------------------------------------


@pytest.fixture
def spread(db) -> IndicatorRun:
    """National rate 42 / 60 = 70 %. GEN-LOW (2 / 20) is wholly below it, GEN-HIGH
    (20 / 20) wholly above, GEN-MID (14 / 20) straddles it; GEN-SMALL (0 / 2) too, its
    interval being wide."""
    run = synthetic_run(
        [
            ("GEN-LOW", "75", 2, 20),
            ("GEN-HIGH", "69", 20, 20),
            ("GEN-MID", "93", 14, 20),
            ("GEN-SMALL", "13", 0, 2),
        ]
    )
    national = stored(run, "positive_exit_rate_m3")
    assert (national.numerator, national.denominator) == (36, 62)
    return run


def table_codes(response) -> list[str]:
    return [row.code for row in response.context["trainings"]]


def test_trainings_far_from_the_national_rate_are_flagged(staff_client, spread):
    response = staff_client.get(reverse(DASHBOARD))

    flags = {row.code: row.flag for row in response.context["trainings"]}
    assert flags == {"GEN-HIGH": "above", "GEN-LOW": "below", "GEN-MID": "", "GEN-SMALL": ""}
    content = response.content.decode()
    assert "Au-dessous du taux national" in content and "Au-dessus du taux national" in content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"flag": "any"}, ["GEN-HIGH", "GEN-LOW"]),
        ({"flag": "below"}, ["GEN-LOW"]),
        ({"flag": "above"}, ["GEN-HIGH"]),
        ({"region": "84"}, ["GEN-HIGH"]),
        ({"region": "11"}, ["GEN-LOW", "GEN-MID"]),
        ({"department": "13"}, ["GEN-SMALL"]),
        ({"min_size": "10"}, ["GEN-HIGH", "GEN-LOW", "GEN-MID"]),
        ({"o": "-rate"}, ["GEN-HIGH", "GEN-MID", "GEN-LOW", "GEN-SMALL"]),
        ({"o": "-entrants", "region": "11"}, ["GEN-LOW", "GEN-MID"]),
    ],
)
def test_training_table_filters(staff_client, spread, query, expected):
    assert table_codes(staff_client.get(reverse(DASHBOARD), query)) == expected


def test_training_table_filters_by_the_call_of_a_label(staff_client, spread):
    call = CallFactory(reference="2022")
    LabelFactory(training=TrainingFactory._meta.model.objects.get(code="GEN-MID"), call=call)

    response = staff_client.get(reverse(DASHBOARD), {"call": "2022"})

    assert table_codes(response) == ["GEN-MID"]


def test_bad_filter_input_gets_a_french_message_and_an_unfiltered_table(staff_client, spread):
    response = staff_client.get(reverse(DASHBOARD), {"min_size": "beaucoup", "region": "99"})

    content = response.content.decode()
    assert response.status_code == 200
    assert "Indiquez un nombre" in content
    assert "Sélectionnez un choix valide" in content
    assert len(table_codes(response)) == 4


def test_training_table_is_paginated(staff_client, spread, monkeypatch):
    monkeypatch.setattr(dashboard_views, "PAGE_SIZE", 3)

    first = staff_client.get(reverse(DASHBOARD))
    second = staff_client.get(reverse(DASHBOARD), {"page": "2"})

    assert table_codes(first) == ["GEN-HIGH", "GEN-LOW", "GEN-MID"]
    assert table_codes(second) == ["GEN-SMALL"]
    assert "page=2" in first.content.decode()


# --- which run, which period ----------------------------------------------------------------


def test_staff_can_go_back_to_an_earlier_published_as_of_date(staff_client, published):
    later = IndicatorRunFactory(published=True, as_of=datetime.date(2019, 6, 30))

    assert staff_client.get(reverse(DASHBOARD)).context["run"] == later
    response = staff_client.get(reverse(DASHBOARD), {"as_of": AS_OF.isoformat()})
    assert response.context["run"] == published
    assert "Chiffres arrêtés au 28 février 2019" in response.content.decode()


def test_an_as_of_date_without_a_published_run_says_so(staff_client, published):
    response = staff_client.get(reverse(DASHBOARD), {"as_of": "2001-01-01"})

    assert response.context["run"] == published
    assert "Aucun calcul publié à cette date." in response.content.decode()


def test_the_period_chooses_the_cells_of_the_detailed_tables(staff_client, published):
    response = staff_client.get(reverse(DASHBOARD), {"period": "2018"})

    regions = {row.key: row for row in response.context["shown"].regions}
    entrants = stored(published, "entrants", "2018", "region", "11")
    assert regions["11"].figures[0].number == entrants.numerator
    assert "Par territoire — 2018" in response.content.decode()

    wrong = staff_client.get(reverse(DASHBOARD), {"period": "1999"})
    assert wrong.context["shown"].period == "all"
    assert "Cette période n’existe pas dans ce calcul." in wrong.content.decode()


def test_the_map_colours_the_chosen_indicator_by_region(staff_client, published):
    response = staff_client.get(reverse(DASHBOARD), {"carte": "entrants"})

    shown = response.context["shown"]
    assert shown.map.code == "entrants"
    # The chart names regions by their ISO letters: Île-de-France (11) is IDF, AURA (84) ARA.
    assert shown.map.data == '{"IDF": 21, "ARA": 7}'
    assert 'level="reg"' in response.content.decode()


def test_without_a_published_run_the_page_offers_a_first_computation(staff_client):
    response = staff_client.get(reverse(DASHBOARD))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Aucun calcul d’indicateurs n’est encore publié" in content
    assert 'id="id_recompute_as_of"' in content


# --- exports --------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_csv_exports_hold_the_tables_shown(staff_client, published):
    page = staff_client.get(reverse(DASHBOARD)).context["shown"]

    regions = read_csv(staff_client.get(reverse("outcomes:dashboard_export_csv", args=["regions"])))
    assert [row[0] for row in regions[1:]] == [row.key for row in page.regions] + [""]
    header = regions[0]
    women = stored(published, "women_share", "all", "region", "11")
    line = next(row for row in regions if row[0] == "11")
    assert line[header.index("Part de femmes (%)")] == f"{round(women.value * 100, 1)}".replace(
        ".", ","
    )
    assert line[header.index("Part de femmes : dénominateur")] == str(women.denominator)

    tiles = read_csv(
        staff_client.get(reverse("outcomes:dashboard_export_csv", args=["chiffres-cles"]))
    )
    assert [row[0] for row in tiles[1:]] == [tile.code for tile in page.tiles]


def test_training_export_follows_the_current_filters(staff_client, spread):
    response = staff_client.get(
        reverse("outcomes:dashboard_export_csv", args=["formations"]), {"flag": "any"}
    )

    rows = read_csv(response)
    assert response["Content-Disposition"].startswith('attachment; filename="gen-tableau-de-bord')
    assert [row[1] for row in rows[1:]] == ["GEN-HIGH", "GEN-LOW"]
    assert rows[1][-1] == "au-dessus"


def test_xlsx_export_has_one_sheet_per_table_and_neutralises_formulas(staff_client, spread):
    TrainingFactory._meta.model.objects.filter(code="GEN-LOW").update(title="=HYPERLINK(1)")

    response = staff_client.get(reverse("outcomes:dashboard_export_xlsx"), {"region": "11"})

    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == [
        "Chiffres clés",
        "Par année",
        "Par région",
        "Par département",
        "Par appel",
        "Par formation",
    ]
    trainings = list(workbook["Par formation"].iter_rows(values_only=True))
    assert [row[1] for row in trainings[1:]] == ["GEN-LOW", "GEN-MID"]
    assert trainings[1][0] == "Depuis le début"
    assert trainings[1][2] == "'=HYPERLINK(1)"
    workbook.close()


# --- recompute and its progress ---------------------------------------------------------------


def test_recompute_queues_a_run_that_publishes_the_new_figures(
    staff, staff_client, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = staff_client.post(reverse(DASHBOARD), {"as_of": AS_OF.isoformat()})

    assert response.status_code == 302
    assert response["Location"].endswith(reverse(DASHBOARD) + "#calcul")
    assert len(callbacks) == 1  # the task is sent once the request's transaction commits
    run = IndicatorRun.objects.latest("created_at")
    assert (run.requested_by, run.trigger, run.as_of) == (staff, "manual", AS_OF)
    assert run.status == IndicatorRun.Status.DONE  # the eager task ran it
    page = staff_client.get(reverse(DASHBOARD))
    assert page.context["run"] == run
    assert f"Dernier calcul : n° {run.pk}" in page.content.decode()


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2999-01-01", "La date d’arrêté ne peut pas être dans le futur."),
        ("31/02/2019", "Saisissez une date valide, par exemple 29/06/2018."),
        ("", "Indiquez la date d’arrêté du calcul."),
    ],
)
def test_recompute_refuses_a_bad_date_with_a_clear_message(staff_client, published, as_of, message):
    response = staff_client.post(reverse(DASHBOARD), {"as_of": as_of})

    content = response.content.decode()
    assert response.status_code == 200
    assert message in content
    assert 'id="id_recompute_as_of-desc-error"' in content  # tied to its field
    assert IndicatorRun.objects.count() == 1
    assert figure_text(content, "learners_total") == "27"  # the page around it is whole


def test_recompute_is_refused_while_a_run_may_still_finish(staff_client, published):
    running = IndicatorRunFactory(
        status=IndicatorRun.Status.RUNNING, progress=40, started_at=timezone.now()
    )

    response = staff_client.post(reverse(DASHBOARD), {"as_of": AS_OF.isoformat()}, follow=True)

    assert f"Un calcul est déjà en cours (n° {running.pk}" in response.content.decode()
    assert IndicatorRun.objects.count() == 2


def test_a_run_that_lost_its_worker_does_not_block_a_new_one(staff_client, published, settings):
    IndicatorRunFactory(
        status=IndicatorRun.Status.RUNNING,
        started_at=timezone.now()
        - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 120),
    )

    page = staff_client.get(reverse(DASHBOARD))
    assert "ne progresse plus" in page.content.decode()
    staff_client.post(reverse(DASHBOARD), {"as_of": AS_OF.isoformat()})
    assert IndicatorRun.objects.count() == 3


def test_a_run_in_progress_shows_its_progress_and_the_polling_script(staff_client, published):
    queued = IndicatorRunFactory(status=IndicatorRun.Status.RUNNING, progress=45,
                                 started_at=timezone.now())  # fmt: skip

    content = staff_client.get(reverse(DASHBOARD)).content.decode()

    status_url = reverse("outcomes:dashboard_run_status", args=[queued.pk])
    assert f'data-status-url="{status_url}"' in content
    assert (
        '<progress id="indicator-run-progress" class="portal-progress" max="100" value="45">'
        in content
    )
    assert "js/indicator-run-progress.js" in content
    assert "js/status-poller.js" in content  # the script it needs
    assert 'id="id_recompute_as_of"' not in content  # no second run meanwhile
    assert figure_text(content, "learners_total") == "27"  # the publication stays on screen


def test_status_endpoint_reports_progress_then_publication(staff_client, published):
    run = IndicatorRunFactory(status=IndicatorRun.Status.RUNNING, progress=45,
                              started_at=timezone.now())  # fmt: skip
    url = reverse("outcomes:dashboard_run_status", args=[run.pk])

    data = staff_client.get(url).json()
    assert data == {
        "id": run.pk,
        "as_of": run.as_of.isoformat(),
        "status": "running",
        "status_display": "En cours",
        "progress": 45,
        "finished": False,
        "published": False,
        "stale": False,
        "error": "",
    }
    IndicatorRun.objects.filter(pk=run.pk).update(
        status="done", progress=100, published_at=timezone.now()
    )
    data = staff_client.get(url).json()
    assert (data["progress"], data["finished"], data["published"]) == (100, True, True)


def test_a_failed_run_shows_its_error_and_the_previous_publication_stays(staff_client, published):
    failed = indicator_run_request(as_of=AS_OF, enqueue=False)
    IndicatorRun.objects.filter(pk=failed.pk).update(
        status="failed", error="OperationalError: disque plein", finished_at=timezone.now()
    )

    response = staff_client.get(reverse(DASHBOARD))
    content = response.content.decode()
    assert response.context["run"] == published
    assert f"Le calcul n° {failed.pk} au 28/02/2019 a échoué" in content
    assert "OperationalError: disque plein" in content
    assert f"les chiffres affichés restent ceux du calcul n° {published.pk}" in content
    assert figure_text(content, "learners_total") == "27"
    status = staff_client.get(reverse("outcomes:dashboard_run_status", args=[failed.pk])).json()
    assert (status["status"], status["error"]) == ("failed", "OperationalError: disque plein")


def test_every_region_has_its_place_on_the_map():
    from outcomes.dashboard.figures import MAP_REGION_KEYS
    from trainings.geo import REGIONS

    assert set(MAP_REGION_KEYS) == set(REGIONS)
    assert len(set(MAP_REGION_KEYS.values())) == len(REGIONS)


def test_figures_follow_the_language_of_the_page(staff_client, published):
    staff_client.post(reverse("set_language"), {"language": "en", "next": "/"})

    content = staff_client.get(reverse(DASHBOARD)).content.decode()

    assert figure_text(content, "women_share") == "44.4\u00a0%"  # 12 / 27, English separators
    assert 'lang="en"' in content
