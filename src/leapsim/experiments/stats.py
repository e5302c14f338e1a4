"""Summary statistics over replications: mean with a Student-t 95 % confidence interval."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

CONFIDENCE = 0.95


def mean_ci(values: np.ndarray, confidence: float = CONFIDENCE) -> dict[str, float | None]:
    """Mean, ``mean ± t(1−α/2, n−1)·s/√n`` interval, standard deviation, min and max.

    NaNs (e.g. cost per kill of a night without kills) are left out; with fewer than two
    finite values the interval collapses onto the mean. Values are JSON-ready (None for NaN).
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return {
            "mean": None,
            "ci_low": None,
            "ci_high": None,
            "std": None,
            "min": None,
            "max": None,
            "n": 0,
        }
    mean = float(x.mean())
    std = float(x.std(ddof=1)) if n > 1 else 0.0
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * std / math.sqrt(n)) if n > 1 else 0.0
    return {
        "mean": mean,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "std": std,
        "min": float(x.min()),
        "max": float(x.max()),
        "n": n,
    }
