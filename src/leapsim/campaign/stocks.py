"""Munition stocks by type and nation: nightly refill of fire units from depots, with pooling.

Rounds of munition ``m`` (an effector type) are either on a fire unit (its magazine plus reserve,
at most the unit's load in the scenario) or in a depot of one nation. Before each night every
living unit is topped up to its load:

* ``national``: from its own nation's depot of that munition;
* ``shared``: first from its own nation's depot exactly as under ``national``; units still short
  then draw on the other nations' leftover depots of the same munition, if it is standardised.

When a depot cannot fill every unit, rounds are shared out in proportion to what each unit lacks
(largest-remainder apportionment, ties to the lower unit index). Given the same stocks, every unit
therefore holds at least as many rounds under ``shared`` as under ``national``, and the two are
identical whenever no national depot runs short.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def apportion(total: int, weights: Sequence[int] | np.ndarray) -> np.ndarray:
    """Split ``total`` whole items in proportion to integer ``weights`` (Hamilton's
    largest-remainder method; ties go to the lower index). All-zero weights split equally.

    With ``total <= sum(weights)`` no share exceeds its weight. Exact integer arithmetic.
    """
    w = [int(x) for x in weights]
    total = int(total)
    if not w:
        if total:
            raise ValueError("cannot apportion items over no weights")
        return np.zeros(0, np.int64)
    if total < 0 or any(x < 0 for x in w):
        raise ValueError("apportion needs a non-negative total and weights")
    denom = sum(w)
    if denom == 0:
        w, denom = [1] * len(w), len(w)
    floors = [total * x // denom for x in w]
    remainders = [total * x % denom for x in w]
    left = total - sum(floors)
    order = sorted(range(len(w)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return np.array(floors, np.int64)


def refill(
    need: np.ndarray,
    unit_munition: np.ndarray,
    unit_nation: np.ndarray,
    depot: np.ndarray,
    lend: np.ndarray,
) -> np.ndarray:
    """Rounds each unit receives tonight; ``depot`` (munitions × nations) is drawn down in place.

    ``need`` (U,): rounds each unit lacks (0 for dead units and renewable munitions);
    ``unit_munition``/``unit_nation`` (U,): its depot row and column; ``lend`` (M,): whether
    units short after their own nation's depot may draw on other nations' depots (shared pooling
    of a standardised munition).
    """
    give = np.zeros(need.size, np.int64)
    for m in range(depot.shape[0]):
        mine = unit_munition == m
        for j in range(depot.shape[1]):
            units = np.flatnonzero(mine & (unit_nation == j) & (need > 0))
            if units.size == 0:
                continue
            wanted = int(need[units].sum())
            got = need[units] if depot[m, j] >= wanted else apportion(depot[m, j], need[units])
            give[units] = got
            depot[m, j] -= int(got.sum())
        if not lend[m]:
            continue
        short = np.flatnonzero(mine & (need > give))
        available = int(depot[m].sum())
        if short.size == 0 or available == 0:
            continue
        lacking = need[short] - give[short]
        moved = min(int(lacking.sum()), available)
        give[short] += apportion(moved, lacking)
        depot[m] -= apportion(moved, depot[m])
    return give


def layer_dry(
    rounds: np.ndarray,
    alive: np.ndarray,
    unit_munition: np.ndarray,
    unit_nation: np.ndarray,
    depot: np.ndarray,
    lend: np.ndarray,
    rounds_per_engagement: np.ndarray,
) -> np.ndarray:
    """(M,) bool: munition ``m`` is exhausted — no living unit of it holds or can draw (from the
    depots that feed it) the rounds of one engagement, or none of its units is left."""
    reach = np.where(lend[:, None], depot.sum(axis=1, keepdims=True), depot)  # (M, nations)
    dry = np.ones(depot.shape[0], bool)
    for m in range(depot.shape[0]):
        units = np.flatnonzero(alive & (unit_munition == m))
        if units.size:
            can = rounds[units] + reach[m, unit_nation[units]]
            dry[m] = not np.any(can >= rounds_per_engagement[m])
    return dry
