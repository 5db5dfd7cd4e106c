"""Wilson score interval for a proportion (Wilson, 1927), the interval every published rate
carries. Unlike the textbook normal interval it stays inside [0, 1] and behaves on small
denominators and on 0 % or 100 %, which GEN's small trainings produce all the time."""

import math

# Two-sided 95 %: the 0.975 quantile of the standard normal distribution.
Z_95 = 1.959963984540054


def wilson_interval(
    successes: int, trials: int, z: float = Z_95
) -> tuple[float, float] | tuple[None, None]:
    """(low, high) for `successes` out of `trials`; (None, None) when there is no trial."""
    if trials <= 0:
        return None, None
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and trials, got {successes}/{trials}")
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    # At 0 and 100 % the bound is exactly 0 or 1; floating point would leave a few 1e-17.
    low = 0.0 if successes == 0 else max(0.0, centre - half_width)
    high = 1.0 if successes == trials else min(1.0, centre + half_width)
    return low, high
