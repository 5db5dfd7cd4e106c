"""`compute_indicators` and `show_indicators`, and the disclosure control applied by
`--public` (DESIGN.md §5 and §6)."""

from __future__ import annotations

import csv
import io
import json
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from outcomes.indicators.catalogue import CATALOGUE
from outcomes.indicators.runs import indicator_run_execute, indicator_run_request
from outcomes.indicators.selectors import values_for
from outcomes.management.commands import compute_indicators, show_indicators
from outcomes.models import IndicatorRun
from tests.factories import IndicatorRunFactory, IndicatorValueFactory
from tests.outcomes.indicator_dataset import AS_OF, build_dataset

pytestmark = pytest.mark.django_db

Status = IndicatorRun.Status
FIELDS = [
    "code",
    "period",
    "breakdown",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "coverage",
    "lower_bound",
    "target",
    "suppressed",
    "reason",
]
FIGURES = ["numerator", "denominator", "value", "ci_low", "ci_high", "coverage", "lower_bound"]


def run_command(name: str, *args: str) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def exit_code(name: str, *args: str) -> int:
    """What the shell sees: `manage.py <name> ...` turns a CommandError into exit status 1."""
    module = {"compute_indicators": compute_indicators, "show_indicators": show_indicators}[name]
    command = module.Command(stdout=io.StringIO(), stderr=io.StringIO())
    # run_from_argv closes the connections when done, which would end the test's transaction.
    with mock.patch.object(connections, "close_all"):
        try:
            command.run_from_argv(["manage.py", name, *args])
        except SystemExit as exit:
            return exit.code
    return 0


def shown(*args: str) -> dict:
    return json.loads(run_command("show_indicators", "--format", "json", *args))


def by_cell(payload: dict) -> dict[tuple[str, str, str, str], dict]:
    return {
        (
            item["code"],
            item["period"],
            item["breakdown"].get("dimension", ""),
            item["breakdown"].get("key", ""),
        ): item
        for item in payload["indicators"]
    }


# --- compute_indicators -------------------------------------------------------------------------


def test_compute_indicators_runs_in_process_and_prints_progress(db):
    build_dataset()
    output = run_command("compute_indicators", "--as-of", "2019-02-28")
    run = IndicatorRun.objects.get()
    assert (run.status, run.as_of, run.trigger) == (Status.DONE, AS_OF, "command")
    lines = output.splitlines()
    assert lines[0] == f"Calcul n° {run.pk} au 2019-02-28 (dans ce processus)"
    percents = [int(line.strip().rstrip("%")) for line in lines if line.strip().endswith("%")]
    assert percents[-1] == 100 and percents == sorted(percents) and len(percents) > 5
    assert run.cells == len(values_for(run)) > 1000
    assert f"Calcul n° {run.pk} publié : {run.cells} valeurs" in lines[-1]


def test_compute_indicators_fails_with_a_non_zero_exit(db, monkeypatch):
    from outcomes.indicators import engine

    def broken(**kwargs):
        raise RuntimeError("base indisponible")

    monkeypatch.setattr(engine, "compute", broken)
    with pytest.raises(CommandError, match="base indisponible"):
        run_command("compute_indicators", "--as-of", "2019-02-28")
    assert IndicatorRun.objects.get().status == Status.FAILED
    assert exit_code("compute_indicators", "--as-of", "2019-02-28") == 1


def test_compute_indicators_refuses_a_bad_date(db, capsys):
    assert exit_code("compute_indicators", "--as-of", "28/02/2019") == 2  # usage error
    assert "date invalide : '28/02/2019'" in capsys.readouterr().err
    assert exit_code("compute_indicators", "--as-of", "2999-01-01") == 1
    assert not IndicatorRun.objects.exists()


def test_compute_indicators_with_a_broker_waits_for_the_worker(db, settings, monkeypatch):
    """With a broker the command only enqueues, then follows the run row; here the
    'worker' executes the run during the first wait."""
    build_dataset()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr("outcomes.indicators.runs._enqueue", lambda run_id, countdown=None: None)

    def worker_runs(seconds):
        queued = IndicatorRun.objects.get(status=Status.QUEUED)
        indicator_run_execute(run_id=queued.pk)

    monkeypatch.setattr(compute_indicators.time, "sleep", worker_runs)
    output = run_command("compute_indicators", "--as-of", "2019-02-28")
    run = IndicatorRun.objects.get()
    assert run.status == Status.DONE
    assert "confié à un worker" in output
    assert "  0 % (En attente)" in output and "100 % (Terminé)" in output


def test_compute_indicators_gives_up_when_no_worker_answers(db, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr("outcomes.indicators.runs._enqueue", lambda run_id, countdown=None: None)
    monkeypatch.setattr(compute_indicators.time, "sleep", lambda seconds: None)
    with pytest.raises(CommandError, match="worker"):
        run_command("compute_indicators", "--as-of", "2019-02-28", "--timeout", "0")


# --- show_indicators ----------------------------------------------------------------------------


@pytest.fixture
def published(db) -> IndicatorRun:
    build_dataset()
    run = indicator_run_execute(run_id=indicator_run_request(as_of=AS_OF, enqueue=False).pk)
    assert run.status == Status.DONE
    return run


def test_show_indicators_without_a_published_run_says_so(db):
    IndicatorRunFactory(status=Status.FAILED, error="boom")  # not published
    with pytest.raises(CommandError, match="Aucun calcul d'indicateurs publié"):
        run_command("show_indicators")
    assert exit_code("show_indicators", "--format", "json") == 1


def test_show_indicators_json_shape(published):
    payload = shown()
    assert list(payload) == ["as_of", "definition_version", "indicators"]
    assert payload["as_of"] == "2019-02-28"
    assert payload["definition_version"] == "1"
    assert len(payload["indicators"]) == len(values_for(published))
    for item in payload["indicators"]:
        assert list(item) == FIELDS
        assert item["breakdown"] == {} or list(item["breakdown"]) == ["dimension", "key"]
        assert item["suppressed"] is False and item["reason"] is None
    cells = by_cell(payload)
    assert cells[("positive_exit_rate_m3", "all", "", "")] == {
        "code": "positive_exit_rate_m3",
        "period": "all",
        "breakdown": {},
        "numerator": 13,
        "denominator": 15,
        "value": 13 / 15,
        "ci_low": pytest.approx(0.6211801717),
        "ci_high": pytest.approx(0.9626387409),
        "coverage": 15 / 19,
        "lower_bound": 13 / 19,
        "target": 0.7,
        "suppressed": False,
        "reason": None,
    }
    assert cells[("entrants", "2018", "region", "11")]["breakdown"] == {
        "dimension": "region",
        "key": "11",
    }
    # Catalogue order, then years before `all`.
    codes = [item["code"] for item in payload["indicators"]]
    assert codes[0] == "learners_total" and codes[-1] == "acceptance_rate"
    order = [indicator.code for indicator in CATALOGUE]
    assert codes == sorted(codes, key=order.index)
    periods = [item["period"] for item in payload["indicators"] if item["code"] == "entrants"
               and item["breakdown"] == {}]  # fmt: skip
    assert periods == ["2017", "2018", "2019", "all"]


def test_show_indicators_picks_the_latest_published_run_or_the_one_of_an_as_of_date(published):
    import datetime

    later = indicator_run_execute(
        run_id=indicator_run_request(as_of=datetime.date(2019, 3, 1), enqueue=False).pk
    )
    assert shown()["as_of"] == "2019-03-01"
    assert shown("--as-of", "2019-02-28")["as_of"] == "2019-02-28"
    with pytest.raises(CommandError, match="2018-01-01"):
        shown("--as-of", "2018-01-01")
    assert later.status == Status.DONE


def test_show_indicators_csv_has_the_same_fields(published):
    rows = list(csv.DictReader(io.StringIO(run_command("show_indicators", "--format", "csv"))))
    assert list(rows[0]) == [
        "code", "period", "breakdown_dimension", "breakdown_key", "numerator", "denominator",
        "value", "ci_low", "ci_high", "coverage", "lower_bound", "target", "suppressed", "reason",
    ]  # fmt: skip
    assert len(rows) == len(values_for(published))
    national = next(
        r
        for r in rows
        if (r["code"], r["period"], r["breakdown_dimension"]) == ("entrants", "2019", "")
    )
    assert national == {
        "code": "entrants", "period": "2019", "breakdown_dimension": "", "breakdown_key": "",
        "numerator": "3", "denominator": "", "value": "3.0", "ci_low": "", "ci_high": "",
        "coverage": "", "lower_bound": "", "target": "5000.0", "suppressed": "false", "reason": "",
    }  # fmt: skip


# --- --public: disclosure control ---------------------------------------------------------------


def assert_hidden(item: dict, reason: str) -> None:
    assert item["suppressed"] is True and item["reason"] == reason, item
    assert all(item[name] is None for name in FIGURES), item


def assert_shown(item: dict) -> None:
    assert item["suppressed"] is False and item["reason"] is None, item
    assert item["numerator"] is not None


def test_public_hides_small_counts_and_rates_on_small_denominators(published):
    cells = by_cell(shown("--public"))
    # 3 entrants in 2019: "< 5".
    assert_hidden(cells[("entrants", "2019", "", "")], "count_under_5")
    assert cells[("entrants", "2019", "", "")]["target"] == 5000.0  # a target is no figure
    assert_shown(cells[("entrants", "2018", "", "")])
    # Rates on fewer than 20: "n.c." (15 known situations at 3 months; 12 entrants of 2018
    # with their sex recorded); 12 women of 27 is published.
    assert_hidden(cells[("positive_exit_rate_m3", "all", "", "")], "denominator_under_20")
    assert_hidden(cells[("women_share", "2018", "", "")], "denominator_under_20")
    assert_shown(cells[("women_share", "all", "", "")])
    assert cells[("women_share", "all", "", "")]["value"] == 12 / 27
    assert_hidden(cells[("dropout_rate", "2019", "sex", "F")], "denominator_under_20")
    # A zero count is shown as it is.
    assert cells[("acceptance_rate", "2017", "", "")]["reason"] == "denominator_under_20"


def test_public_hides_a_second_cell_so_the_first_cannot_be_recovered(published):
    cells = by_cell(shown("--public"))
    # Entrants by year: 12, 13 and 3 (hidden) make the 28 of `all`. Hiding only 2019 would
    # give it away (28 - 12 - 13), so the smallest other year, 2017, is hidden too, in the
    # year table and in its twin, the national cell of 2017.
    assert_hidden(cells[("entrants", "all", "year", "2019")], "count_under_5")
    assert_hidden(cells[("entrants", "all", "year", "2017")], "secondary")
    assert_hidden(cells[("entrants", "2017", "", "")], "secondary")
    assert_shown(cells[("entrants", "all", "year", "2018")])
    assert_shown(cells[("entrants", "all", "", "")])
    # Entrants of 2018 by region: 10 and 3 (hidden); region 11 is hidden too.
    assert_hidden(cells[("entrants", "2018", "region", "84")], "count_under_5")
    assert_hidden(cells[("entrants", "2018", "region", "11")], "secondary")
    assert_shown(cells[("entrants", "2018", "", "")])


def published_table(values: list[tuple[str, str, str, str, int, int | None]]) -> IndicatorRun:
    run = IndicatorRunFactory(published=True, as_of=AS_OF)
    for code, period, dimension, key, numerator, denominator in values:
        IndicatorValueFactory(
            run=run, code=code, period=period, dimension=dimension, key=key,
            numerator=numerator, denominator=denominator,
            value=numerator / denominator if denominator else float(numerator),
        )  # fmt: skip
    return run


def test_secondary_suppression_in_a_breakdown_table(db):
    published_table(
        [
            ("entrants", "2018", "", "", 1130, None),
            ("entrants", "2018", "region", "11", 900, None),
            ("entrants", "2018", "region", "84", 200, None),
            ("entrants", "2018", "region", "93", 27, None),
            ("entrants", "2018", "region", "94", 3, None),
            ("women_share", "2018", "", "", 300, 1130),
            ("women_share", "2018", "region", "11", 240, 900),
            ("women_share", "2018", "region", "84", 50, 200),
            ("women_share", "2018", "region", "93", 9, 27),
            ("women_share", "2018", "region", "94", 1, 3),
        ]
    )
    cells = by_cell(shown("--public"))
    assert_hidden(cells[("entrants", "2018", "region", "94")], "count_under_5")
    # The next smallest cell: 1130 - 900 - 200 = 30 is all one can tell.
    assert_hidden(cells[("entrants", "2018", "region", "93")], "secondary")
    assert_shown(cells[("entrants", "2018", "region", "84")])
    assert_shown(cells[("entrants", "2018", "", "")])
    assert_hidden(cells[("women_share", "2018", "region", "94")], "denominator_under_20")
    assert_hidden(cells[("women_share", "2018", "region", "93")], "secondary")
    assert cells[("women_share", "2018", "region", "84")]["value"] == 0.25


def test_two_primary_hidden_cells_need_no_secondary_one(db):
    published_table(
        [
            ("entrants", "2018", "", "", 1106, None),
            ("entrants", "2018", "region", "11", 900, None),
            ("entrants", "2018", "region", "84", 200, None),
            ("entrants", "2018", "region", "93", 4, None),
            ("entrants", "2018", "region", "94", 2, None),
        ]
    )
    cells = by_cell(shown("--public"))
    assert [cells[("entrants", "2018", "region", k)]["reason"] for k in ("11", "84", "93", "94")] == [
        None, None, "count_under_5", "count_under_5",
    ]  # fmt: skip


def test_staff_output_is_not_suppressed(published):
    cells = by_cell(shown())
    assert cells[("entrants", "2019", "", "")]["numerator"] == 3
    assert not any(item["suppressed"] for item in cells.values())


def test_public_csv_carries_only_the_reason(published):
    rows = list(
        csv.DictReader(io.StringIO(run_command("show_indicators", "--format", "csv", "--public")))
    )
    hidden = next(
        r
        for r in rows
        if (r["code"], r["period"], r["breakdown_dimension"]) == ("entrants", "2019", "")
    )
    assert (hidden["suppressed"], hidden["reason"]) == ("true", "count_under_5")
    assert [hidden[name] for name in FIGURES] == [""] * len(FIGURES)
