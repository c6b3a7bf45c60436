"""Confidence intervals.

* ``mean_ci``: Student-t interval for the mean of per-run values (runs are independent
  replications); ``None`` with a single run.
* ``wilson_ci`` / ``clopper_pearson_ci``: intervals for a proportion of independent trials.
* ``ratio_ci``: interval for a ratio of sums over runs (delta method), used for
  served/offered requests so that busy runs weigh more, as they do for users.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats


def estimate(mean: float, ci: tuple[float, float] | None, estimator: str, n: int) -> dict:
    """The summary shape ``{"mean", "ci95", "estimator", "n"}``."""
    return {
        "mean": float(mean),
        "ci95": None if ci is None else [float(ci[0]), float(ci[1])],
        "estimator": estimator,
        "n": int(n),
    }


def mean_ci(values: Sequence[float], level: float = 0.95,
            bounds: tuple[float, float] | None = None) -> tuple[float, tuple[float, float] | None]:
    """Mean and t-interval; the interval is clipped to ``bounds`` when given."""
    x = np.asarray(values, dtype=float)
    n = x.size
    if n == 0:
        return math.nan, None
    m = float(x.mean())
    if n < 2:
        return m, None
    se = float(x.std(ddof=1)) / math.sqrt(n)
    h = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
    lo, hi = m - h, m + h
    if bounds is not None:
        lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    return m, (lo, hi)


def ratio_ci(num: Sequence[float], den: Sequence[float], level: float = 0.95,
             bounds: tuple[float, float] | None = (0.0, 1.0)) -> tuple[float, tuple[float, float] | None]:
    """Σnum/Σden over runs with a delta-method t-interval (None for one run)."""
    a = np.asarray(num, dtype=float)
    b = np.asarray(den, dtype=float)
    n = a.size
    tb = b.sum()
    if tb <= 0:
        return math.nan, None
    r = float(a.sum() / tb)
    if bounds is not None:
        r = min(max(r, bounds[0]), bounds[1])
    if n < 2:
        return r, None
    resid = a - r * b
    se = math.sqrt(float((resid**2).sum()) / (n - 1) / n) / float(b.mean())
    h = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
    lo, hi = r - h, r + h
    if bounds is not None:
        lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    return r, (lo, hi)


def wilson_ci(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion."""
    if trials <= 0:
        return 0.0, 1.0
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = successes / trials
    d = 1 + z * z / trials
    c = (p + z * z / (2 * trials)) / d
    h = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / d
    return max(0.0, c - h), min(1.0, c + h)


def clopper_pearson_ci(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper–Pearson) interval for a binomial proportion."""
    if trials <= 0:
        return 0.0, 1.0
    a = 1 - level
    lo = 0.0 if successes == 0 else float(stats.beta.ppf(a / 2, successes, trials - successes + 1))
    hi = 1.0 if successes == trials else float(stats.beta.ppf(1 - a / 2, successes + 1, trials - successes))
    return lo, hi
