"""The Wilson score interval every published rate carries."""

import math

import pytest

from outcomes.indicators.wilson import Z_95, wilson_interval


def closed_form(successes: int, trials: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson (1927), written out independently of the module under test:
    (p + z²/2n ± z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n)."""
    n = trials
    p = successes / n
    centre = p + z**2 / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return (centre - spread) / (1 + z**2 / n), (centre + spread) / (1 + z**2 / n)


def test_z_is_the_two_sided_95_percent_normal_quantile():
    # Φ(z) = 0.975, checked through the error function.
    assert 0.5 * (1 + math.erf(Z_95 / math.sqrt(2))) == pytest.approx(0.975, abs=1e-15)


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        # Reference values computed with 50-digit decimals.
        (81, 263, 0.2552885199, 0.3662095770),
        (74, 100, 0.6462901055, 0.8159530154),
        (0, 10, 0.0, 0.2775327999),
        (10, 10, 0.7224672001, 1.0),
        (13, 15, 0.6211801717, 0.9626387409),
        (1, 2, 0.0945312057, 0.9054687943),
        (0, 1, 0.0, 0.7934506856),
        (1, 1, 0.2065493144, 1.0),
    ],
)
def test_known_intervals(successes, trials, low, high):
    assert wilson_interval(successes, trials) == (
        pytest.approx(low, abs=1e-10),
        pytest.approx(high, abs=1e-10),
    )


def test_81_out_of_263_rounds_to_the_published_interval():
    low, high = wilson_interval(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)


@pytest.mark.parametrize(
    ("successes", "trials"), [(1, 10), (5, 10), (74, 100), (3, 7), (999, 1000)]
)
def test_matches_the_closed_formula(successes, trials):
    low, high = wilson_interval(successes, trials)
    expected_low, expected_high = closed_form(successes, trials)
    assert low == pytest.approx(expected_low, rel=1e-12)
    assert high == pytest.approx(expected_high, rel=1e-12)


def test_zero_and_all_are_exactly_bounded_by_0_and_1():
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0
    # And the other bound agrees with the formula.
    assert wilson_interval(0, 10)[1] == pytest.approx(closed_form(0, 10)[1], rel=1e-12)
    assert wilson_interval(10, 10)[0] == pytest.approx(closed_form(10, 10)[0], rel=1e-12)


def test_interval_contains_the_proportion_and_narrows_with_trials():
    small = wilson_interval(7, 10)
    large = wilson_interval(700, 1000)
    assert small[0] < 0.7 < small[1]
    assert large[0] < 0.7 < large[1]
    assert large[1] - large[0] < small[1] - small[0]


def test_no_trial_gives_no_interval():
    assert wilson_interval(0, 0) == (None, None)


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError):
        wilson_interval(11, 10)
    with pytest.raises(ValueError):
        wilson_interval(-1, 10)
