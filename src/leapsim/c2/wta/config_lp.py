"""Configuration LP for WTA by column generation, and an integer start solution rounded from it.

A *configuration* (bundle) of target j is a multiset B of weapon types fired at it; its cost is
exact, ``v_j prod_{i in B} q_ij + sum_{i in B} c_i``. Choosing one bundle per target within the
availabilities is an integer program whose LP relaxation (one convexity row per target, one
capacity row per type) is far tighter than relaxing the shot counts: on the
Andersen-Pavlikov-Toffolo instances its optimum lies within 0.1 % of the best-known objective and
only a few dozen targets are fractional.

Columns are bundles of at most two units drawn from each target's ``k_types`` most effective
types, generated on demand (Gilmore, Gomory 1961; Desrosiers, Lübbecke 2005): with row duals
``sigma_j`` (targets) and ``pi_i <= 0`` (types), a bundle's reduced cost is
``cost(B) - sigma_j - sum_{i in B} pi_i``, and each round adds every target's most negative
single and pair. The LP is solved by HiGHS (dual simplex, warm-started between rounds). Rounding
fixes the integral part: a MILP over the columns in the LP support plus every enumerated bundle of
the fractional targets (HiGHS). The result is a start for :func:`leapsim.c2.wta.search.search`,
which polishes it; it is only a heuristic (bundles are limited to two units and k_types types).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
from numba import njit

from leapsim.c2.wta.problem import WTAProblem
from leapsim.highs import quiet_highs

_ROUND_COLUMNS = 40
"""Bundles of least reduced cost offered to the rounding MILP for each fractional target."""

_RC_TOL = 1e-9
"""Reduced costs above ``-_RC_TOL * (1 + max value)`` count as non-negative (LP optimal)."""


@dataclass(frozen=True)
class ConfigurationResult:
    """LP value over the generated bundles, the Lagrangian lower bound from its duals (valid for
    the whole problem), the rounded integer counts (None when HiGHS found none), the rounds of
    column generation and whether the last round priced out."""

    lp_value: float
    lower_bound: float
    counts: np.ndarray | None
    rounds: int
    converged: bool


def configuration_start(
    problem: WTAProblem, time_limit: float, k_types: int = 30
) -> ConfigurationResult:
    """Column generation on the configuration LP, then a rounding MILP, within ``time_limit``
    seconds (the MILP gets what the LP leaves, at least a fifth). The LP starts from the empty
    bundle of every target (always feasible). Deterministic unless the time runs out."""
    t0 = time.perf_counter()
    m, n = problem.n_types, problem.n_targets
    v = problem.values
    q = 1.0 - problem.p
    cost = problem.shot_cost.astype(np.float64)
    avail = problem.availability.astype(np.int64)
    maxs = np.minimum(problem.shot_limits, 2)
    usable = problem.allowed & (problem.p > 0)
    k = max(1, min(int(k_types), m))
    order = np.argsort(np.where(usable, -problem.p, np.inf), axis=0, kind="stable")[:k].T
    top = np.where(np.take_along_axis(usable.T, order, axis=1), order, -1).astype(np.int64)

    cols = _Columns()
    for j in range(n):
        cols.add(j, (), float(v[j]))

    h = quiet_highs()
    _add_bundle_rows(h, n, avail)
    cols.push(h, n)
    tol = _RC_TOL * (1.0 + float(v.max(initial=0.0)))
    rounds = 0
    converged = False
    lp_budget = 0.8 * time_limit
    while time.perf_counter() - t0 < lp_budget:
        h.run()
        rounds += 1
        duals = np.asarray(h.getSolution().row_dual)
        tj, ta, tb, rc = _price(v, q, cost, avail, maxs, top, duals[:n], duals[n:])
        new = np.flatnonzero(rc < -tol)
        if new.size == 0:
            converged = True
            break
        for e in new:
            bundle = (int(ta[e]),) if tb[e] < 0 else (int(ta[e]), int(tb[e]))
            cols.add(int(tj[e]), bundle, _bundle_cost(v, q, cost, int(tj[e]), bundle))
        cols.push(h, n)
    lp_value = float(h.getInfo().objective_function_value)
    x = np.asarray(h.getSolution().col_value)
    duals = np.asarray(h.getSolution().row_dual)
    bound = lagrangian_bound(problem, np.minimum(duals[n:], 0.0))
    left = time_limit - (time.perf_counter() - t0)
    counts = _round(problem, cols, x, duals, top, maxs, max(left, 0.2 * time_limit), v, q, cost)
    return ConfigurationResult(lp_value, bound, counts, rounds, converged)


def lagrangian_bound(problem: WTAProblem, pi: np.ndarray) -> float:
    """Lower bound on the WTA optimum for type prices ``pi <= 0`` (e.g. the configuration LP's
    capacity duals): price the availabilities into the objective,

        L(pi) = sum_j min_B [cost_j(B) - sum_{i in B} pi_i] + sum_i pi_i mu_i,

    where B ranges over every bundle target j may receive. The minimum is exact over bundles of
    up to two units (all permitted types) and bounded below for three or more units by
    ``sum of the three least (c_i - pi_i)``, since survival is never negative. Weak duality
    makes L(pi) a valid bound for any ``pi <= 0``; at the LP duals it is the LP bound less the
    most negative reduced costs left."""
    pi = np.minimum(np.asarray(pi, np.float64), 0.0)
    per_target = _least_bundle_cost(
        problem.values,
        1.0 - problem.p,
        problem.shot_cost.astype(np.float64) - pi,
        problem.allowed & (problem.p > 0),
        problem.availability.astype(np.int64),
        problem.shot_limits,
    )
    return float(per_target.sum() + pi @ problem.availability)


@njit(cache=True)
def _least_bundle_cost(v, q, price, usable, avail, maxs):
    """Per target: min over bundles of ``v_j prod q + sum price`` (exact up to two units, a lower
    bound for more)."""
    m, n = q.shape
    out = np.empty(n)
    for j in range(n):
        best = v[j]
        low = np.full(3, np.inf)  # three least prices among usable types, with repetition
        for a in range(m):
            if not usable[a, j] or maxs[j] < 1:
                continue
            pa = price[a]
            best = min(best, v[j] * q[a, j] + pa)
            for _ in range(min(avail[a], 3)):
                if pa < low[2]:
                    low[2] = pa
                    for s in range(2, 0, -1):
                        if low[s] < low[s - 1]:
                            low[s], low[s - 1] = low[s - 1], low[s]
            if maxs[j] < 2:
                continue
            fa = v[j] * q[a, j]
            for b in range(a, m):
                if usable[b, j] and (b != a or avail[a] >= 2):
                    best = min(best, fa * q[b, j] + pa + price[b])
        if maxs[j] >= 3 and low[2] < np.inf:
            best = min(best, low[0] + low[1] + low[2])
        out[j] = best
    return out


def _add_bundle_rows(h: highspy.Highs, n: int, avail: np.ndarray) -> None:
    """The rows of the bundle model, before any column: one bundle per target (rows 0..n-1,
    equal to 1) and each type's availability (rows n..n+m-1, at most ``avail[i]``)."""
    m = avail.size
    none = np.zeros(0, np.int32)
    h.addRows(n, np.ones(n), np.ones(n), 0, none, none, np.zeros(0))
    h.addRows(m, np.full(m, -highspy.kHighsInf), avail.astype(np.float64), 0, none, none,
              np.zeros(0))  # fmt: skip


class _Columns:
    """The generated bundles: target, types, cost; ``push`` sends the new ones to HiGHS."""

    def __init__(self) -> None:
        self.target: list[int] = []
        self.types: list[tuple[int, ...]] = []
        self.cost: list[float] = []
        self.seen: set[tuple[int, tuple[int, ...]]] = set()
        self.sent = 0

    def add(self, j: int, bundle: tuple[int, ...], cost: float) -> None:
        key = (j, tuple(sorted(bundle)))
        if key not in self.seen:
            self.seen.add(key)
            self.target.append(j)
            self.types.append(key[1])
            self.cost.append(cost)

    def push(self, h: highspy.Highs, n: int) -> None:
        new = range(self.sent, len(self.target))
        if not new:
            return
        starts, index, value = _column_matrix(
            [self.target[c] for c in new], [self.types[c] for c in new], n
        )
        costs = np.asarray([self.cost[c] for c in new])
        # no upper bound of 1: the target row implies it, and an active bound would bend the duals
        h.addCols(len(new), costs, np.zeros(len(new)), np.full(len(new), highspy.kHighsInf),
                  index.size, starts, index, value)  # fmt: skip
        self.sent = len(self.target)


def _column_matrix(targets: list[int], types: list[tuple[int, ...]], n: int) -> tuple:
    """Column-wise (starts, row index, value) of bundles: 1 on the target's row, the count of
    each type on its capacity row (``n + i``)."""
    starts = np.zeros(len(targets), np.int32)
    index: list[int] = []
    value: list[float] = []
    for c, (j, bundle) in enumerate(zip(targets, types, strict=True)):
        starts[c] = len(index)
        index.append(j)
        value.append(1.0)
        for i in sorted(set(bundle)):
            index.append(n + i)
            value.append(float(bundle.count(i)))
    return starts, np.asarray(index, np.int32), np.asarray(value)


def _bundle_cost(v, q, cost, j: int, bundle: tuple[int, ...]) -> float:
    f = float(v[j])
    for i in bundle:
        f *= q[i, j]
    return f + float(sum(cost[i] for i in bundle))


@njit(cache=True)
def _price(v, q, cost, avail, maxs, top, sigma, pi):
    """Most negative single and pair (from ``top[j]``) of every target, with reduced cost
    ``cost(B) - sigma_j - sum pi_i``. Returns (target, type a, type b or -1, reduced cost)."""
    n, k = top.shape
    tj = np.empty(2 * n, np.int64)
    ta = np.empty(2 * n, np.int64)
    tb = np.empty(2 * n, np.int64)
    rc = np.empty(2 * n)
    for j in range(n):
        best1 = np.inf
        a1 = -1
        best2 = np.inf
        a2 = -1
        b2 = -1
        for x in range(k):
            a = top[j, x]
            if a < 0 or maxs[j] < 1:
                continue
            ra = cost[a] - pi[a]
            r = v[j] * q[a, j] + ra - sigma[j]
            if r < best1:
                best1, a1 = r, a
            if maxs[j] < 2:
                continue
            for y in range(x, k):
                b = top[j, y]
                if b < 0 or (b == a and avail[a] < 2):
                    continue
                r = v[j] * q[a, j] * q[b, j] + ra + cost[b] - pi[b] - sigma[j]
                if r < best2:
                    best2, a2, b2 = r, a, b
        tj[2 * j] = j
        ta[2 * j] = a1
        tb[2 * j] = -1
        rc[2 * j] = best1 if a1 >= 0 else np.inf
        tj[2 * j + 1] = j
        ta[2 * j + 1] = a2
        tb[2 * j + 1] = b2
        rc[2 * j + 1] = best2 if a2 >= 0 else np.inf
    return tj, ta, tb, rc


def _round(problem, cols, x, duals, top, maxs, time_limit, v, q, cost) -> np.ndarray | None:
    """Integer bundles: a MILP over the LP support plus every enumerated bundle (single and
    pair from ``top``) of each target the LP left fractional. None if HiGHS finds nothing."""
    m, n = problem.n_types, problem.n_targets
    target = np.asarray(cols.target)
    frac = np.unique(target[(x > 1e-7) & (x < 1.0 - 1e-7)])
    keep = [c for c in range(len(cols.target)) if x[c] > 1e-9 or cols.types[c] == ()]
    targets = [cols.target[c] for c in keep]
    types = [cols.types[c] for c in keep]
    costs = [cols.cost[c] for c in keep]
    seen = {(targets[c], types[c]) for c in range(len(keep))}
    avail = problem.availability
    for j in frac:
        row = [int(a) for a in top[j] if a >= 0] if maxs[j] >= 1 else []
        cand = []
        for s, a in enumerate(row):
            for bundle in [(a,)] + [
                (a, b) for b in row[s:] if maxs[j] >= 2 and (b != a or avail[a] >= 2)
            ]:
                c = _bundle_cost(v, q, cost, int(j), bundle)
                rc = c - duals[j] - sum(duals[n + i] for i in bundle)
                cand.append((rc, tuple(sorted(bundle)), c))
        cand.sort()
        for _, bundle, c in cand[:_ROUND_COLUMNS]:
            if (int(j), bundle) not in seen:
                seen.add((int(j), bundle))
                targets.append(int(j))
                types.append(bundle)
                costs.append(c)
    starts, index, value = _column_matrix(targets, types, n)
    nc = len(targets)
    h = quiet_highs()
    h.setOptionValue("time_limit", float(max(time_limit, 0.05)))
    h.setOptionValue("mip_rel_gap", 1e-6)
    _add_bundle_rows(h, n, avail)
    h.addCols(nc, np.asarray(costs), np.zeros(nc), np.ones(nc), index.size, starts, index, value)
    h.changeColsIntegrality(nc, np.arange(nc, dtype=np.int32),
                            np.full(nc, highspy.HighsVarType.kInteger))  # fmt: skip
    h.run()
    if h.getInfo().primal_solution_status != 2:
        return None
    chosen = np.asarray(h.getSolution().col_value) > 0.5
    counts = np.zeros((m, n), np.int64)
    for c in np.flatnonzero(chosen):
        for i in types[c]:
            counts[i, targets[c]] += 1
    if problem.violations(counts):
        return None
    return counts
