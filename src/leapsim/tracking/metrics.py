"""Multi-target tracking metrics: OSPA and GOSPA (α = 2), per scan and averaged.

* OSPA of order p with cut-off c (Schuhmacher, Vo & Vo, IEEE Trans. SP 56(8), 2008):
  for |X| = m ≤ n = |Y|, ``d = ((min_π Σᵢ d_c(xᵢ, y_π(i))ᵖ + cᵖ (n − m)) / n)^(1/p)`` with
  ``d_c = min(d, c)``; 0 when both sets are empty.
* GOSPA with α = 2 (Rahmathullah, García-Fernández & Svensson, FUSION 2017):
  ``d = (min_π Σᵢ d_c(xᵢ, y_π(i))ᵖ + cᵖ/2 · |n − m|)^(1/p)``; with α = 2, a pair farther apart
  than c costs cᵖ, the same as one missed and one false target, so the optimal assignment over
  cut-off distances gives the exact value.

The optimal assignment is ``scipy.optimize.linear_sum_assignment`` on the cut-off cost matrix.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist


def _assigned_cost(x: np.ndarray, y: np.ndarray, c: float, p: float) -> float:
    cost = np.minimum(cdist(x, y), c) ** p
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].sum())


def _check(c: float, p: float) -> None:
    if not c > 0 or not p >= 1:
        raise ValueError("OSPA/GOSPA need c > 0 and p >= 1")


def ospa(x: np.ndarray, y: np.ndarray, c: float = 100.0, p: float = 1.0) -> float:
    """OSPA distance between point sets ``x`` (m, d) and ``y`` (n, d), in metres."""
    _check(c, p)
    m, n = len(x), len(y)
    if m == 0 and n == 0:
        return 0.0
    if m == 0 or n == 0:
        return float(c)
    total = _assigned_cost(x, y, c, p) + c**p * abs(n - m)
    return float((total / max(m, n)) ** (1.0 / p))


def gospa(x: np.ndarray, y: np.ndarray, c: float = 100.0, p: float = 1.0) -> float:
    """GOSPA distance (α = 2) between point sets ``x`` (m, d) and ``y`` (n, d), in metres."""
    _check(c, p)
    m, n = len(x), len(y)
    total = c**p / 2.0 * abs(n - m)
    if m and n:
        total += _assigned_cost(x, y, c, p)
    return float(total ** (1.0 / p))


def ospa_gospa_series(
    truth_time: np.ndarray,
    truth_pos: np.ndarray,
    track_time: np.ndarray,
    track_pos: np.ndarray,
    c: float = 100.0,
    p: float = 1.0,
) -> dict[str, np.ndarray]:
    """OSPA and GOSPA at every time present in either table (times match exactly).

    Returns arrays ``time``, ``ospa``, ``gospa``, ``n_truth``, ``n_tracks``.
    """
    to, ko = np.argsort(truth_time, kind="stable"), np.argsort(track_time, kind="stable")
    tt, tp = np.asarray(truth_time)[to], np.asarray(truth_pos)[to]
    kt, kp = np.asarray(track_time)[ko], np.asarray(track_pos)[ko]
    times = np.union1d(tt, kt)
    t_lo, t_hi = np.searchsorted(tt, times, "left"), np.searchsorted(tt, times, "right")
    k_lo, k_hi = np.searchsorted(kt, times, "left"), np.searchsorted(kt, times, "right")
    o = np.empty(times.size)
    g = np.empty(times.size)
    for i in range(times.size):
        x, y = tp[t_lo[i] : t_hi[i]], kp[k_lo[i] : k_hi[i]]
        o[i], g[i] = ospa(x, y, c, p), gospa(x, y, c, p)
    return {
        "time": times,
        "ospa": o,
        "gospa": g,
        "n_truth": t_hi - t_lo,
        "n_tracks": k_hi - k_lo,
    }
