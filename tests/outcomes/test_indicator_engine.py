"""The indicator engine against a network worked out by hand (tests/outcomes/indicator_dataset.py).

Every figure below was counted by hand from the dataset's table, enrollment by enrollment
(e1..e29 in the comments there), not taken from the engine. The same expectations hold on
SQLite and on PostgreSQL: CI runs this module on PostgreSQL, `make test` on SQLite, so the
two databases are held to the same numbers (and `test_fingerprint_*` pins every single cell,
not only those spelled out here).
"""

from __future__ import annotations

import hashlib
import json
import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from learners.services import enrollments_upsert
from outcomes.indicators import engine
from outcomes.indicators.catalogue import CATALOGUE
from outcomes.indicators.runs import indicator_run_execute, indicator_run_request
from outcomes.indicators.selectors import values_for
from outcomes.models import IndicatorRun, TrainingCounts
from tests.factories import LabelFactory, OrganisationFactory, TrainingFactory
from tests.outcomes.indicator_dataset import AS_OF, build_dataset, build_network, records

pytestmark = pytest.mark.django_db

PERIODS = ["2017", "2018", "2019", "all"]
Z = 1.959963984540054


def wilson(x: int, n: int) -> tuple[float | None, float | None]:
    """The closed formula, written again here so the engine is checked against it."""
    if n == 0:
        return None, None
    p = x / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@pytest.fixture
def run(db) -> IndicatorRun:
    build_dataset()
    requested = indicator_run_request(as_of=AS_OF, enqueue=False)
    return indicator_run_execute(run_id=requested.pk)


@pytest.fixture
def cells(run) -> dict[tuple[str, str, str, str], engine.ValueRow]:
    assert run.status == IndicatorRun.Status.DONE, run.error
    return {(v.code, v.period, v.dimension, v.key): v for v in values_for(run)}


def assert_count(cell: engine.ValueRow, count: int) -> None:
    assert (cell.numerator, cell.denominator) == (count, None), cell
    assert cell.value == float(count)
    assert (cell.ci_low, cell.ci_high, cell.coverage, cell.lower_bound) == (None,) * 4


def assert_rate(cell: engine.ValueRow, numerator: int, denominator: int) -> None:
    assert (cell.numerator, cell.denominator) == (numerator, denominator), cell
    if denominator == 0:
        assert (cell.value, cell.ci_low, cell.ci_high) == (None, None, None)
        return
    assert cell.value == pytest.approx(numerator / denominator, rel=1e-12)
    low, high = wilson(numerator, denominator)
    assert cell.ci_low == pytest.approx(low, rel=1e-9, abs=1e-12)
    assert cell.ci_high == pytest.approx(high, rel=1e-9, abs=1e-12)


def assert_outcome(cell, numerator, known, matured) -> None:
    """An outcome rate: numerator over known situations, with coverage known / matured and
    lower bound numerator / matured."""
    assert_rate(cell, numerator, known)
    if matured == 0:
        assert (cell.coverage, cell.lower_bound) == (None, None)
    else:
        assert cell.coverage == pytest.approx(known / matured, rel=1e-12)
        assert cell.lower_bound == pytest.approx(numerator / matured, rel=1e-12)


# --- national, every indicator and every period ---------------------------------------------

NATIONAL_COUNTS = {
    # 27 distinct learners: L01 entered twice (2017 and 2018); L28 entered after as-of.
    "learners_total": {"2017": 12, "2018": 13, "2019": 3, "all": 27},
    "entrants": {"2017": 12, "2018": 13, "2019": 3, "all": 28},
    # End of 2017: e4 e5 e6. End of 2018: e11 e12 e13 e18 e19. As-of: e11 e12 (exit after
    # as-of) e19 e20 e27 e29; e18 left on the as-of date itself.
    "in_training": {"2017": 3, "2018": 5, "2019": 6, "all": 6},
    # End of 2017: T1, T2 (label since expired), T3 (withdrawn later). End of 2018 and as-of:
    # T1, T2 (renewed); T3 withdrawn 15/10/2018; T4's label starts after as-of.
    "labelled_trainings": {"2017": 3, "2018": 2, "2019": 2, "all": 2},
    # Paris years: D4 2017 (23:30 on 31/12), D1 D2 D3 2018 (D3 at 00:30 on 01/01), D6 D8 D9
    # 2019; D7 after as-of, D5 a draft.
    "applications": {"2017": 1, "2018": 3, "2019": 3, "all": 7},
}

NATIONAL_RATES = {
    "women_share": {"2017": (4, 12), "2018": (6, 12), "2019": (2, 3), "all": (12, 27)},
    "neet_share": {"2017": (9, 11), "2018": (11, 12), "2019": (3, 3), "all": (23, 26)},
    "qpv_resident_share": {"2017": (4, 11), "2018": (5, 12), "2019": (1, 3), "all": (10, 26)},
    "free_access_share": {"2017": (8, 11), "2018": (9, 12), "2019": (2, 3), "all": (19, 26)},
    "dropout_rate": {"2017": (2, 9), "2018": (2, 11), "2019": (1, 2), "all": (5, 22)},
    "free_training_share": {"2017": (2, 3), "2018": (1, 2), "2019": (1, 2), "all": (1, 2)},
    # T3's site is undetermined: out of the denominator.
    "qpv_training_share": {"2017": (1, 2), "2018": (1, 2), "2019": (1, 2), "all": (1, 2)},
    # Decided by as-of: D1 (labelled), D2, D3 (deferred; labelled after as-of), D8.
    "acceptance_rate": {"2017": (0, 0), "2018": (1, 3), "2019": (0, 1), "all": (1, 4)},
}

# (matured, known, positive, employment, durable, further study) of the exit cohort of each
# period at each milestone.
OUTCOMES = {
    "exit": {
        "2017": (9, 6, 3, 1, 1, 2),
        "2018": (11, 5, 3, 3, 2, 0),
        "2019": (2, 1, 1, 1, 0, 0),
        "all": (22, 12, 7, 5, 3, 2),
    },
    # e10 (exit 01/12/2018) has not reached m3; e9 and e17 (30/11/2018) have.
    "m3": {
        "2017": (9, 8, 6, 5, 3, 1),
        "2018": (10, 7, 7, 6, 2, 1),
        "2019": (0, 0, 0, 0, 0, 0),
        "all": (19, 15, 13, 11, 5, 2),
    },
    # 2018 exits that reached m6 (exit on or before 31/08/2018): e4 e5 e6 e7 e24 e25.
    "m6": {
        "2017": (9, 4, 4, 3, 3, 1),
        "2018": (6, 5, 3, 3, 2, 0),
        "2019": (0, 0, 0, 0, 0, 0),
        "all": (15, 9, 7, 6, 5, 1),
    },
    # Only e4 (exit 28/02/2018) of 2018 reached m12; e5's 12-month CDI is not counted yet.
    "m12": {
        "2017": (9, 6, 5, 5, 4, 0),
        "2018": (1, 1, 1, 1, 1, 0),
        "2019": (0, 0, 0, 0, 0, 0),
        "all": (10, 7, 6, 6, 5, 0),
    },
}
GROUP_INDEX = {
    "positive_exit_rate": 2,
    "employment_rate": 3,
    "durable_employment_rate": 4,
    "further_study_rate": 5,
}

TARGETS = {
    "women_share": 0.30,
    "neet_share": 0.50,
    "qpv_training_share": 0.30,
    **{f"positive_exit_rate_{m}": 0.70 for m in OUTCOMES},
    **{f"followup_coverage_{m}": 0.80 for m in OUTCOMES},
}


@pytest.mark.parametrize("code", sorted(NATIONAL_COUNTS))
def test_national_counts(cells, code):
    for period, count in NATIONAL_COUNTS[code].items():
        assert_count(cells[(code, period, "", "")], count)


@pytest.mark.parametrize("code", sorted(NATIONAL_RATES))
def test_national_rates(cells, code):
    for period, (numerator, denominator) in NATIONAL_RATES[code].items():
        cell = cells[(code, period, "", "")]
        assert_rate(cell, numerator, denominator)
        assert (cell.coverage, cell.lower_bound) == (None, None)


@pytest.mark.parametrize("milestone", list(OUTCOMES))
def test_national_outcome_rates_with_coverage_and_lower_bound(cells, milestone):
    for period, counts in OUTCOMES[milestone].items():
        matured, known = counts[0], counts[1]
        for prefix, index in GROUP_INDEX.items():
            cell = cells[(f"{prefix}_{milestone}", period, "", "")]
            assert_outcome(cell, counts[index], known, matured)
        coverage = cells[(f"followup_coverage_{milestone}", period, "", "")]
        assert_rate(coverage, known, matured)


def test_headline_positive_exit_rate_at_3_months(cells):
    cell = cells[("positive_exit_rate_m3", "all", "", "")]
    # 13 positive among 15 known, 19 exits that reached m3.
    assert cell.value == pytest.approx(13 / 15)
    assert (round(cell.ci_low, 10), round(cell.ci_high, 10)) == (0.6211801717, 0.9626387409)
    assert cell.coverage == pytest.approx(15 / 19)
    assert cell.lower_bound == pytest.approx(13 / 19)
    women = cells[("women_share", "all", "", "")]
    assert (round(women.ci_low, 10), round(women.ci_high, 10)) == (0.2758585818, 0.6268697549)
    dropouts = cells[("dropout_rate", "all", "", "")]
    assert (round(dropouts.ci_low, 10), round(dropouts.ci_high, 10)) == (0.1012303999, 0.4343995318)


def test_every_indicator_has_a_national_cell_for_every_period(cells):
    national = {(code, period) for code, period, dimension, _key in cells if dimension == ""}
    assert national == {(i.code, p) for i in CATALOGUE for p in PERIODS}


def test_targets(cells):
    for (code, period, dimension, key), cell in cells.items():
        if code == "entrants":
            expected = (
                5000.0
                if (period, dimension, key) in {("2019", "", ""), ("all", "year", "2019")}
                else None
            )
        else:
            expected = TARGETS.get(code)
        assert cell.target == expected, (code, period, dimension, key)


def test_run_records_its_definition_version(run):
    assert run.definition_version == "1"
    assert run.progress == 100
    assert run.published_at is not None


# --- breakdowns ------------------------------------------------------------------------------


def breakdown(cells, code, dimension) -> dict[tuple[str, str], engine.ValueRow]:
    return {
        (period, key): cell
        for (c, period, d, key), cell in cells.items()
        if c == code and d == dimension
    }


def test_entrants_by_every_breakdown(cells):
    expected = {
        "region": {("2017", "11"): 9, ("2018", "11"): 10, ("2019", "11"): 2, ("all", "11"): 21,
                   ("2017", "84"): 3, ("2018", "84"): 3, ("2019", "84"): 1, ("all", "84"): 7},
        "department": {("2017", "75"): 6, ("2018", "75"): 7, ("2019", "75"): 1, ("all", "75"): 14,
                       ("2017", "93"): 3, ("2018", "93"): 3, ("2019", "93"): 1, ("all", "93"): 7,
                       ("2017", "69"): 3, ("2018", "69"): 3, ("2019", "69"): 1, ("all", "69"): 7},
        # No 2019 entrant in GEN-T3: no cell.
        "training": {("2017", "GEN-T1"): 6, ("2018", "GEN-T1"): 7, ("2019", "GEN-T1"): 1,
                     ("all", "GEN-T1"): 14,
                     ("2017", "GEN-T2"): 3, ("2018", "GEN-T2"): 3, ("2019", "GEN-T2"): 1,
                     ("all", "GEN-T2"): 7,
                     ("2017", "GEN-T3"): 3, ("2018", "GEN-T3"): 3, ("all", "GEN-T3"): 6,
                     ("2019", "GEN-T4"): 1, ("all", "GEN-T4"): 1},
        # The call of a training is that of its latest label started by as-of: 2016 for
        # GEN-T1 and GEN-T3 (withdrawn since), 2018 for GEN-T2 (renewed); GEN-T4's label
        # starts after as-of: no call for e27.
        "call": {("2017", "2016"): 9, ("2018", "2016"): 10, ("2019", "2016"): 1,
                 ("all", "2016"): 20, ("2017", "2018"): 3, ("2018", "2018"): 3,
                 ("2019", "2018"): 1, ("all", "2018"): 7},
        "year": {("all", "2017"): 12, ("all", "2018"): 13, ("all", "2019"): 3},
    }  # fmt: skip
    for dimension, table in expected.items():
        got = breakdown(cells, "entrants", dimension)
        assert set(got) == set(table), dimension
        for where, count in table.items():
            assert_count(got[where], count)


def test_positive_exit_rate_at_3_months_by_every_breakdown(cells):
    # (positive, known, matured)
    expected = {
        "region": {("2017", "11"): (4, 5, 6), ("2018", "11"): (5, 5, 7), ("all", "11"): (9, 10, 13),
                   ("2017", "84"): (2, 3, 3), ("2018", "84"): (2, 2, 3), ("all", "84"): (4, 5, 6)},
        "department": {("2017", "75"): (2, 2, 3), ("2018", "75"): (5, 5, 6), ("all", "75"): (7, 7, 9),
                       ("2017", "93"): (2, 3, 3), ("2018", "93"): (0, 0, 1), ("all", "93"): (2, 3, 4),
                       ("2017", "69"): (2, 3, 3), ("2018", "69"): (2, 2, 3), ("all", "69"): (4, 5, 6)},
        "training": {("2017", "GEN-T1"): (2, 2, 3), ("2018", "GEN-T1"): (5, 5, 6),
                     ("all", "GEN-T1"): (7, 7, 9),
                     ("2017", "GEN-T2"): (2, 3, 3), ("2018", "GEN-T2"): (0, 0, 1),
                     ("all", "GEN-T2"): (2, 3, 4),
                     ("2017", "GEN-T3"): (2, 3, 3), ("2018", "GEN-T3"): (2, 2, 3),
                     ("all", "GEN-T3"): (4, 5, 6)},
        "call": {("2017", "2016"): (4, 5, 6), ("2018", "2016"): (7, 7, 9), ("all", "2016"): (11, 12, 15),
                 ("2017", "2018"): (2, 3, 3), ("2018", "2018"): (0, 0, 1), ("all", "2018"): (2, 3, 4)},
        "sex": {("2017", "F"): (2, 3, 3), ("2018", "F"): (2, 2, 4), ("all", "F"): (4, 5, 7),
                ("2017", "M"): (4, 5, 6), ("2018", "M"): (3, 3, 4), ("all", "M"): (7, 8, 10),
                ("2018", "X"): (2, 2, 2), ("all", "X"): (2, 2, 2)},
        # No 2019 exit has reached m3: no cell for 2019.
        "year": {("all", "2017"): (6, 8, 9), ("all", "2018"): (7, 7, 10)},
    }  # fmt: skip
    for dimension, table in expected.items():
        got = breakdown(cells, "positive_exit_rate_m3", dimension)
        assert set(got) == set(table), dimension
        for where, (positive, known, matured) in table.items():
            assert_outcome(got[where], positive, known, matured)


def test_dropout_rate_by_sex_and_training(cells):
    expected = {
        "sex": {("2017", "F"): (0, 3), ("2018", "F"): (2, 5), ("2019", "F"): (1, 1), ("all", "F"): (3, 9),
                ("2017", "M"): (2, 6), ("2018", "M"): (0, 4), ("2019", "M"): (0, 1), ("all", "M"): (2, 11),
                ("2018", "X"): (0, 2), ("all", "X"): (0, 2)},
        "training": {("2017", "GEN-T1"): (1, 3), ("2018", "GEN-T1"): (0, 7), ("2019", "GEN-T1"): (1, 1),
                     ("all", "GEN-T1"): (2, 11),
                     ("2017", "GEN-T2"): (1, 3), ("2018", "GEN-T2"): (1, 1), ("2019", "GEN-T2"): (0, 1),
                     ("all", "GEN-T2"): (2, 5),
                     ("2017", "GEN-T3"): (0, 3), ("2018", "GEN-T3"): (1, 3), ("all", "GEN-T3"): (1, 6)},
    }  # fmt: skip
    for dimension, table in expected.items():
        got = breakdown(cells, "dropout_rate", dimension)
        assert set(got) == set(table), dimension
        for where, (dropouts, exits) in table.items():
            assert_rate(got[where], dropouts, exits)


def test_learners_by_training_region_and_call_count_each_person_once(cells):
    expected = {
        # L01 is in GEN-T1 twice: 14 enrollments, 13 learners.
        "training": {("2017", "GEN-T1"): 6, ("2018", "GEN-T1"): 7, ("2019", "GEN-T1"): 1,
                     ("all", "GEN-T1"): 13,
                     ("2017", "GEN-T2"): 3, ("2018", "GEN-T2"): 3, ("2019", "GEN-T2"): 1,
                     ("all", "GEN-T2"): 7,
                     ("2017", "GEN-T3"): 3, ("2018", "GEN-T3"): 3, ("all", "GEN-T3"): 6,
                     ("2019", "GEN-T4"): 1, ("all", "GEN-T4"): 1},
        "region": {("2017", "11"): 9, ("2018", "11"): 10, ("2019", "11"): 2, ("all", "11"): 20,
                   ("2017", "84"): 3, ("2018", "84"): 3, ("2019", "84"): 1, ("all", "84"): 7},
        "call": {("2017", "2016"): 9, ("2018", "2016"): 10, ("2019", "2016"): 1,
                 ("all", "2016"): 19, ("2017", "2018"): 3, ("2018", "2018"): 3,
                 ("2019", "2018"): 1, ("all", "2018"): 7},
    }  # fmt: skip
    for dimension, table in expected.items():
        got = breakdown(cells, "learners_total", dimension)
        assert set(got) == set(table), dimension
        for where, count in table.items():
            assert_count(got[where], count)


def test_in_training_by_region_at_the_end_of_each_period(cells):
    got = breakdown(cells, "in_training", "region")
    # Region 84 had nobody in training at the end of 2017 or 2018: no cell.
    expected = {("2017", "11"): 3, ("2018", "11"): 5, ("2019", "11"): 5, ("all", "11"): 5,
                ("2019", "84"): 1, ("all", "84"): 1}  # fmt: skip
    assert set(got) == set(expected)
    for where, count in expected.items():
        assert_count(got[where], count)


def test_women_share_by_region(cells):
    got = breakdown(cells, "women_share", "region")
    expected = {("2017", "11"): (3, 9), ("2018", "11"): (5, 9), ("2019", "11"): (1, 2),
                ("all", "11"): (9, 20), ("2017", "84"): (1, 3), ("2018", "84"): (1, 3),
                ("2019", "84"): (1, 1), ("all", "84"): (3, 7)}  # fmt: skip
    assert set(got) == set(expected)
    for where, (women, recorded) in expected.items():
        assert_rate(got[where], women, recorded)


def test_labelled_trainings_by_region_call_and_year(cells):
    labelled = {
        "region": {("2017", "11"): 2, ("2018", "11"): 2, ("2019", "11"): 2, ("all", "11"): 2,
                   ("2017", "84"): 1},
        # The call of the label in force on the day: T2 moved from call 2016 to 2018.
        "call": {("2017", "2016"): 3, ("2018", "2016"): 1, ("2019", "2016"): 1, ("all", "2016"): 1,
                 ("2018", "2018"): 1, ("2019", "2018"): 1, ("all", "2018"): 1},
        "year": {("all", "2017"): 3, ("all", "2018"): 2, ("all", "2019"): 2},
    }  # fmt: skip
    for dimension, table in labelled.items():
        got = breakdown(cells, "labelled_trainings", dimension)
        assert set(got) == set(table), dimension
        for where, count in table.items():
            assert_count(got[where], count)
    free = breakdown(cells, "free_training_share", "region")
    for where, (n, d) in {
        ("2017", "11"): (1, 2),
        ("all", "11"): (1, 2),
        ("2017", "84"): (1, 1),
    }.items():
        assert_rate(free[where], n, d)
    qpv = breakdown(cells, "qpv_training_share", "region")
    assert_rate(qpv[("2017", "11")], 1, 2)
    assert_rate(qpv[("2017", "84")], 0, 0)  # T3 undetermined: nothing to divide by
    assert "training" not in {d for (_c, _p, d, _k) in cells if _c == "labelled_trainings"}


def test_applications_and_acceptance_by_call(cells):
    applications = breakdown(cells, "applications", "call")
    expected = {("2017", "2018"): 1, ("2018", "2018"): 3, ("all", "2018"): 4,
                ("2019", "2019"): 3, ("all", "2019"): 3}  # fmt: skip
    assert set(applications) == set(expected)
    for where, count in expected.items():
        assert_count(applications[where], count)
    acceptance = breakdown(cells, "acceptance_rate", "call")
    rates = {("2017", "2018"): (0, 0), ("2018", "2018"): (1, 3), ("all", "2018"): (1, 3),
             ("2019", "2019"): (0, 1), ("all", "2019"): (0, 1)}  # fmt: skip
    assert set(acceptance) == set(rates)
    for where, (accepted, decided) in rates.items():
        assert_rate(acceptance[where], accepted, decided)


def test_breakdowns_add_up_to_the_national_figures(cells):
    """Cross-check beyond the hand tables: for cohort indicators, the cells of a breakdown
    covering everyone add up to the national cell (sex only covers exits, where every
    exiter's sex is recorded here)."""
    additive = [i for i in CATALOGUE if i.additive_over_years]
    for indicator in additive:
        for dimension in ("region", "department", "training", "sex"):
            if dimension not in indicator.dimensions:
                continue
            for period in PERIODS:
                parts = [
                    cell
                    for (c, p, d, _k), cell in cells.items()
                    if (c, p, d) == (indicator.code, period, dimension)
                ]
                national = cells[(indicator.code, period, "", "")]
                assert sum(c.numerator for c in parts) == national.numerator, indicator.code
                if national.denominator is not None:
                    assert sum(c.denominator for c in parts) == national.denominator


# --- as-of handling ---------------------------------------------------------------------------


def test_records_after_the_as_of_date_are_ignored(cells):
    # L28 entered GEN-T4 on 04/03/2019: neither an entrant nor a learner, GEN-T4 has one
    # entrant (e27).
    assert cells[("entrants", "all", "training", "GEN-T4")].numerator == 1
    assert ("learners_total", "all", "", "") in cells
    assert cells[("learners_total", "all", "", "")].numerator == 27
    # e12 leaves on 01/04/2019: still in training, not in any exit cohort (2019 exits: e13
    # and e18 only) and its exit situation is not counted.
    assert cells[("dropout_rate", "2019", "", "")].denominator == 2
    assert cells[("followup_coverage_exit", "2019", "", "")].numerator == 1


def test_a_later_as_of_date_counts_what_has_happened_since(db):
    import datetime

    build_dataset()
    later = indicator_run_execute(
        run_id=indicator_run_request(as_of=datetime.date(2019, 3, 1), enqueue=False).pk
    )
    cells = {(v.code, v.period, v.dimension, v.key): v for v in values_for(later)}
    # e10 (exit 01/12/2018) reaches m3 on 01/03/2019, with its CDI: 14 / 16 of 20.
    assert_outcome(cells[("positive_exit_rate_m3", "all", "", "")], 14, 16, 20)
    # e5 and e6 (exit 01/03/2018) reach m12; e5 in CDI, e6 has no m12 situation.
    assert_outcome(cells[("positive_exit_rate_m12", "all", "", "")], 7, 8, 12)
    # D7 (submitted at 00:30 on 01/03) now counts; D9's labelling too (00:10 on 01/03).
    assert cells[("applications", "all", "", "")].numerator == 8
    assert_rate(cells[("acceptance_rate", "all", "", "")], 2, 5)


# --- volume --------------------------------------------------------------------------------


def _run_queries() -> int:
    run = indicator_run_request(as_of=AS_OF, enqueue=False)
    with CaptureQueriesContext(connection) as captured:
        run = indicator_run_execute(run_id=run.pk)
    assert run.status == IndicatorRun.Status.DONE, run.error
    return len(captured.captured_queries)


def test_the_number_of_queries_does_not_grow_with_the_data(db):
    trainings = build_dataset()
    small = _run_queries()
    # Ten times the learners, plus more trainings (so more cells to write): same queries.
    for copy in range(1, 10):
        enrollments_upsert(records=records(trainings, suffix=f"-{copy}"))
    organisation = OrganisationFactory(department_code="13", region_code="93")
    for _ in range(5):
        extra = TrainingFactory(organisation=organisation)
        LabelFactory(
            training=extra, start_date=AS_OF.replace(year=2017), end_date=AS_OF.replace(year=2020)
        )
        enrollments_upsert(
            records=records(dict.fromkeys(("T1", "T2", "T3", "T4"), extra), suffix=f"-{extra.pk}")
        )
    assert IndicatorRun.objects.count() == 1
    large = _run_queries()
    assert large == small
    assert small <= 70


# --- identical results on every database -------------------------------------------------------


def fingerprint(run: IndicatorRun) -> str:
    """Every cell of a run, floats to their full precision, in a canonical order."""
    rows = sorted(
        (v.code, v.period, v.dimension, v.key, v.numerator, v.denominator,
         *(None if f is None else float.hex(f) for f in
           (v.value, v.ci_low, v.ci_high, v.coverage, v.lower_bound, v.target)))
        for v in values_for(run)
    )  # fmt: skip
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


# The fingerprint of the run above, obtained on SQLite and on PostgreSQL alike (bit for bit: every
# figure is computed in Python from the integer counts the database returns).
EXPECTED_FINGERPRINT = "57a02112d0edcf74e100cd27755f876f9b1aae9841e14c20e0d9a1df17b79829"
EXPECTED_CELLS = 1358


def test_fingerprint_is_the_same_on_every_database(run):
    assert len(values_for(run)) == EXPECTED_CELLS == run.cells
    assert fingerprint(run) == EXPECTED_FINGERPRINT, connection.vendor


def test_python_only_sees_aggregated_rows(db, monkeypatch):
    """The engine reads grouped rows (a few per key and year), never one per enrollment: with
    five times the learners, every query returns exactly as many rows."""
    returned: list[int] = []
    original = engine._rows

    def counting(sql):
        rows = original(sql)
        returned.append(len(rows))
        return rows

    monkeypatch.setattr(engine, "_rows", counting)
    trainings = build_dataset()
    engine.compute(as_of=AS_OF)
    small, returned[:] = list(returned), []
    for copy in range(1, 5):
        enrollments_upsert(records=records(trainings, suffix=f"-{copy}"))
    engine.compute(as_of=AS_OF)
    assert returned == small
    assert max(small) < 30


def test_keys_are_stored_as_they_are_whatever_their_characters(db):
    trainings = build_network()
    trainings["T1"].code = 'GEN\\T1\t"é"\n'
    trainings["T1"].save()
    enrollments_upsert(records=records(trainings))
    run = indicator_run_execute(run_id=indicator_run_request(as_of=AS_OF, enqueue=False).pk)
    stored = TrainingCounts.objects.get(run=run, period="all", key__startswith="GEN\\")
    (cell,) = [
        v
        for v in values_for(run, code="entrants", dimension="training")
        if v.period == "all" and v.key.startswith("GEN\\")
    ]
    assert stored.key == cell.key == 'GEN\\T1\t"é"\n'
    assert (stored.entrants, cell.numerator) == (14, 14)


def test_a_network_where_nobody_enrolled_twice(db):
    trainings = build_network()
    # Without e13, L01's second enrollment: 27 enrollments of 27 learners.
    enrollments_upsert(
        records=[
            r for r in records(trainings) if (r.learner_ref, r.entry_date.year) != ("L01", 2018)
        ]
    )
    run = indicator_run_execute(run_id=indicator_run_request(as_of=AS_OF, enqueue=False).pk)
    assert run.status == IndicatorRun.Status.DONE, run.error
    cells = {(v.code, v.period, v.dimension, v.key): v for v in values_for(run)}
    assert_count(cells[("learners_total", "all", "", "")], 27)
    assert_count(cells[("learners_total", "2018", "", "")], 12)
    assert_count(cells[("learners_total", "all", "training", "GEN-T1")], 13)


def test_training_columns_are_the_cells_derived_from_the_counts(run):
    """The dashboard filters and sorts trainings on columns of their stored counts: each
    column is the figure of the cell the counts give (NULL where there is no cell)."""
    derived = {(v.code, v.period, v.key): v for v in values_for(run, dimension="training")}
    rows = list(TrainingCounts.objects.filter(run=run))
    assert len(rows) > 10
    for row in rows:
        entrants = derived.get(("entrants", row.period, row.key))
        dropout = derived.get(("dropout_rate", row.period, row.key))
        outcome = derived.get(("positive_exit_rate_m3", row.period, row.key))
        assert row.entrants == (entrants.numerator if entrants else None)
        assert (row.exits, row.dropouts) == (
            (dropout.denominator, dropout.numerator) if dropout else (None, None)
        )
        figures = (row.positive, row.known, row.rate, row.ci_low, row.ci_high, row.coverage,
                   row.lower_bound)  # fmt: skip
        assert figures == (
            (outcome.numerator, outcome.denominator, outcome.value, outcome.ci_low,
             outcome.ci_high, outcome.coverage, outcome.lower_bound)
            if outcome else (None,) * 7
        )  # fmt: skip
        assert 0 not in row.counts.values()  # zeros are left out
    # Hand-counted: GEN-T1 has 14 entrants since the beginning.
    t1 = TrainingCounts.objects.get(run=run, period="all", key="GEN-T1")
    assert t1.entrants == 14
