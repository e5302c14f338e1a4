"""Pareto fronts of a few dozen plans and paired comparisons on common random numbers.

The fronts here are of the finalists (tens of points, re-measured with many runs), so the plain
O(n²) dominance test is all that is needed; Optuna's own front helpers are private and work on
trials, not on re-measured means.
"""

from __future__ import annotations

import numpy as np

from leapsim.experiments.stats import mean_ci


def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """``a`` is no worse than ``b`` in every objective (minimised) and better in one."""
    return bool(np.all(a <= b) and np.any(a < b))


def pareto_mask(values: np.ndarray) -> np.ndarray:
    """(n,) bool: the rows of ``values`` (n, k) that no other row dominates."""
    values = np.asarray(values, float)
    n = values.shape[0]
    keep = np.ones(n, bool)
    for i in range(n):
        for j in range(n):
            if i != j and dominates(values[j], values[i]):
                keep[i] = False
                break
    return keep


def pareto_ranks(values: np.ndarray) -> np.ndarray:
    """Non-dominated sorting: 0 for the front, 1 for the front of the rest, and so on."""
    values = np.asarray(values, float)
    ranks = np.full(values.shape[0], -1)
    rank = 0
    while np.any(ranks < 0):
        left = np.flatnonzero(ranks < 0)
        ranks[left[pareto_mask(values[left])]] = rank
        rank += 1
    return ranks


def select_finalists(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of at most ``k`` rows: whole non-dominated fronts in order; from the front that
    does not fit, an even spread along its first objective."""
    ranks = pareto_ranks(values)
    chosen: list[int] = []
    for rank in range(int(ranks.max()) + 1 if ranks.size else 0):
        members = np.flatnonzero(ranks == rank)
        if len(chosen) + members.size <= k:
            chosen += members.tolist()
            continue
        room = k - len(chosen)
        if room > 0:
            ordered = members[np.argsort(values[members, 0], kind="stable")]
            picks = np.unique(np.round(np.linspace(0, ordered.size - 1, room)).astype(int))
            chosen += ordered[picks].tolist()
        break
    return np.array(sorted(chosen), np.int64)


def paired_difference(a: np.ndarray, b: np.ndarray) -> dict:
    """Mean and 95 % CI of ``a − b`` over the runs both have (common random numbers)."""
    n = min(a.size, b.size)
    return mean_ci(np.asarray(a[:n], float) - np.asarray(b[:n], float))


def separated(difference: dict) -> bool:
    """The 95 % CI of a paired difference excludes 0."""
    low, high = difference["ci_low"], difference["ci_high"]
    return low is not None and (low > 0 or high < 0)
