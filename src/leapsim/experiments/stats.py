"""Summary statistics over replications: the mean and a 95 % confidence interval that stays in
the metric's domain.

The interval is Student-t on the mean, ``mean ± t(1−α/2, n−1)·s/√n``, intersected with the
domain of the metric: ``[0, ∞)`` for counts, costs, ratios, stocks; ``[0, 1]`` for rates
(:func:`metric_domain`); the caller's for others (a night number, a paired difference). The
true mean lies in the domain, so the intersection holds it exactly when the Student-t interval
does: the coverage is Student-t's, and where the interval is away from the bounds (large n) it
*is* the Student-t interval. Below :data:`MIN_RUNS` finite values there is no interval ("too few
runs"): ``ci_low``/``ci_high`` are None. Why this and not a bootstrap: docs/results.md.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
MIN_RUNS = 2  # finite values needed for an interval
Domain = tuple[float, float]
UNBOUNDED: Domain = (-math.inf, math.inf)
NON_NEGATIVE: Domain = (0.0, math.inf)
UNIT_INTERVAL: Domain = (0.0, 1.0)
RATES = ("leak_rate",)  # result columns that are fractions; every other one is >= 0


def metric_domain(column: str) -> Domain:
    """The domain of a results column (``docs/results.md``): rates in [0, 1]; every other
    column — counts, costs, values, ratios of costs, stocks, per-type or per-site splits — in
    [0, ∞)."""
    return UNIT_INTERVAL if column.split(".")[0] in RATES else NON_NEGATIVE


def mean_ci_columns(
    values: np.ndarray, domain: Domain = UNBOUNDED, confidence: float = CONFIDENCE
) -> dict[str, np.ndarray]:
    """Per column of ``values`` (replications along axis 0): ``n`` (finite values), ``mean``,
    ``std``, ``ci_low``, ``ci_high`` over the finite values; NaN where there are none (the mean)
    or fewer than :data:`MIN_RUNS` (std, interval)."""
    x = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(x)
    n = finite.sum(axis=0)
    z = np.where(finite, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = z.sum(axis=0) / n
        squares = np.where(finite, (x - mean) ** 2, 0.0).sum(axis=0)
        std = np.where(n >= MIN_RUNS, np.sqrt(squares / (n - 1)), np.nan)
        t = stats.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1))
        half = np.where(n >= MIN_RUNS, t * std / np.sqrt(n), np.nan)
    # the domain, widened to any value outside it (a rounding error must not cut the interval
    # off its own mean)
    low = np.fmin(domain[0], np.where(finite, x, np.inf).min(axis=0, initial=np.inf))
    high = np.fmax(domain[1], np.where(finite, x, -np.inf).max(axis=0, initial=-np.inf))
    return {
        "n": n,
        "mean": mean,
        "std": std,
        "ci_low": np.clip(mean - half, low, high),
        "ci_high": np.clip(mean + half, low, high),
    }


def mean_ci(
    values: np.ndarray, domain: Domain = UNBOUNDED, confidence: float = CONFIDENCE
) -> dict[str, float | None]:
    """Mean, 95 % interval in ``domain`` (module docstring), standard deviation, min, max and
    ``n`` of the finite values (NaN — e.g. cost per kill of a night without kills — is left
    out). JSON-ready: None where a value does not exist."""
    x = np.asarray(values, dtype=np.float64).ravel()
    x = x[np.isfinite(x)]
    columns = mean_ci_columns(x[:, None], domain, confidence)

    def value(name: str) -> float | None:
        v = float(columns[name][0])
        return v if math.isfinite(v) else None

    return {
        "mean": value("mean"),
        "ci_low": value("ci_low"),
        "ci_high": value("ci_high"),
        "std": value("std"),
        "min": float(x.min()) if x.size else None,
        "max": float(x.max()) if x.size else None,
        "n": int(x.size),
    }
