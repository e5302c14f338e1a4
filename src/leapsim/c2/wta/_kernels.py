"""Numba kernels for the WTA solvers: a seeded PRNG, greedy, local search and LNS.

A solution is held per unit: ``utype[k]`` is the weapon type of unit k and ``tgt[k]`` its target
(-1 when held back). ``surv[j]`` is target j's survival probability and ``cnt[j]`` the units on it.
Survival factors ``q = 1 - p`` are floored at ``QMIN`` so that removing a unit is a division.
"""

from __future__ import annotations

import numpy as np
from numba import njit

QMIN = 1e-12

_U30 = np.uint64(30)
_U27 = np.uint64(27)
_U31 = np.uint64(31)
_U11 = np.uint64(11)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


@njit(cache=True)
def rng_next(state: np.ndarray) -> np.uint64:
    """SplitMix64 (Steele, Lea, Flood 2014): next 64-bit word; ``state`` is a uint64[1]."""
    z = state[0] + _GOLDEN
    state[0] = z
    z = (z ^ (z >> _U30)) * _MIX1
    z = (z ^ (z >> _U27)) * _MIX2
    return z ^ (z >> _U31)


@njit(cache=True)
def rng_uniform(state: np.ndarray) -> float:
    """Uniform draw in [0, 1) with 53 random bits."""
    return float(rng_next(state) >> _U11) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def rng_int(state: np.ndarray, n: int) -> int:
    """Uniform integer in [0, n)."""
    r = int(rng_uniform(state) * n)
    return r if r < n else n - 1


@njit(cache=True)
def greedy_counts(v, p, q, allowed, ucost, maxs, avail):
    """Maximum marginal return greedy (den Broeder, Ellison, Emerling 1959): repeatedly fire the
    available unit with the largest drop in objective, ``v_j S_j p_ij - c_i``, while positive."""
    m, n = p.shape
    surv = np.ones(n)
    cnt = np.zeros(n, np.int64)
    left = avail.copy()
    x = np.zeros((m, n), np.int64)
    best = np.full(m, -np.inf)
    arg = np.full(m, -1, np.int64)
    for i in range(m):
        _best_target(i, v, p, allowed, ucost, maxs, surv, cnt, best, arg)
    while True:
        ib = -1
        gb = 0.0
        for i in range(m):
            if left[i] > 0 and best[i] > gb:
                gb = best[i]
                ib = i
        if ib < 0:
            break
        j = arg[ib]
        x[ib, j] += 1
        left[ib] -= 1
        surv[j] *= q[ib, j]
        cnt[j] += 1
        for i in range(m):
            if left[i] > 0 and arg[i] == j:
                _best_target(i, v, p, allowed, ucost, maxs, surv, cnt, best, arg)
    return x


@njit(cache=True)
def _best_target(i, v, p, allowed, ucost, maxs, surv, cnt, best, arg):
    g_best = -np.inf
    j_best = -1
    for j in range(v.size):
        if allowed[i, j] and cnt[j] < maxs[j]:
            g = v[j] * surv[j] * p[i, j]
            if g > g_best:
                g_best = g
                j_best = j
    best[i] = g_best - ucost[i]
    arg[i] = j_best


@njit(cache=True)
def state_from_units(tgt, utype, q, n):
    """Survival and unit count of every target."""
    surv = np.ones(n)
    cnt = np.zeros(n, np.int64)
    for k in range(tgt.size):
        j = tgt[k]
        if j >= 0:
            surv[j] *= q[utype[k], j]
            cnt[j] += 1
    return surv, cnt


@njit(cache=True)
def objective_units(tgt, utype, v, q, ucost):
    """Objective of a unit assignment (with floored survival factors)."""
    surv, _ = state_from_units(tgt, utype, q, v.size)
    f = 0.0
    for j in range(v.size):
        f += v[j] * surv[j]
    for k in range(tgt.size):
        if tgt[k] >= 0:
            f += ucost[utype[k]]
    return f


@njit(cache=True)
def local_search(tgt, utype, surv, cnt, v, p, q, allowed, ucost, maxs, eps):
    """Descent to a local optimum of relocate (one unit to another target or held back) and swap
    (two units of different types exchange targets) moves; updates the state in place and
    returns the change in objective."""
    n_units = tgt.size
    n = v.size
    total = 0.0
    improved = True
    while improved:
        improved = False
        for k in range(n_units):
            i = utype[k]
            a = tgt[k]
            rem = 0.0
            if a >= 0:
                rem = v[a] * surv[a] * (1.0 / q[i, a] - 1.0) - ucost[i]
            b_best = -1
            add_best = 0.0 if a >= 0 else np.inf
            for b in range(n):
                if b != a and allowed[i, b] and cnt[b] < maxs[b]:
                    add = ucost[i] - v[b] * surv[b] * p[i, b]
                    if add < add_best:
                        add_best = add
                        b_best = b
            if a < 0 and b_best < 0:
                continue
            d = rem + add_best
            if d < -eps:
                if a >= 0:
                    surv[a] /= q[i, a]
                    cnt[a] -= 1
                if b_best >= 0:
                    surv[b_best] *= q[i, b_best]
                    cnt[b_best] += 1
                tgt[k] = b_best
                total += d
                improved = True
        for k1 in range(n_units):
            i1 = utype[k1]
            for k2 in range(k1 + 1, n_units):
                i2 = utype[k2]
                a = tgt[k1]
                b = tgt[k2]
                if i1 == i2 or a == b:
                    continue
                d = 0.0
                if a >= 0:
                    if not allowed[i2, a]:
                        continue
                    d += v[a] * surv[a] * (q[i2, a] / q[i1, a] - 1.0)
                else:
                    d += ucost[i1] - ucost[i2]
                if b >= 0:
                    if not allowed[i1, b]:
                        continue
                    d += v[b] * surv[b] * (q[i1, b] / q[i2, b] - 1.0)
                else:
                    d += ucost[i2] - ucost[i1]
                if d < -eps:
                    if a >= 0:
                        surv[a] *= q[i2, a] / q[i1, a]
                    if b >= 0:
                        surv[b] *= q[i1, b] / q[i2, b]
                    tgt[k1] = b
                    tgt[k2] = a
                    total += d
                    improved = True
    return total


@njit(cache=True)
def linear_assignment(cost):
    """Minimum-cost assignment of every row of ``cost`` (nr <= nc) to a distinct column by
    shortest augmenting paths with dual potentials (Jonker, Volgenant 1987; the rectangular form
    of Crouse 2016, IEEE Trans. Aerosp. Electron. Syst. 52(4)). Returns the column of each row."""
    nr, nc = cost.shape
    u = np.zeros(nr)
    w = np.zeros(nc)
    path = np.full(nc, -1, np.int64)
    col4row = np.full(nr, -1, np.int64)
    row4col = np.full(nc, -1, np.int64)
    shortest = np.empty(nc)
    remaining = np.empty(nc, np.int64)
    in_r = np.zeros(nr, np.bool_)
    in_c = np.zeros(nc, np.bool_)
    for cur in range(nr):
        min_val = 0.0
        i = cur
        n_rem = nc
        for it in range(nc):
            remaining[it] = nc - it - 1
        in_r[:] = False
        in_c[:] = False
        shortest[:] = np.inf
        sink = -1
        while sink == -1:
            index = -1
            lowest = np.inf
            in_r[i] = True
            base = min_val - u[i]
            for it in range(n_rem):
                j = remaining[it]
                r = base + cost[i, j] - w[j]
                if r < shortest[j]:
                    path[j] = i
                    shortest[j] = r
                if shortest[j] < lowest or (shortest[j] == lowest and row4col[j] == -1):
                    lowest = shortest[j]
                    index = it
            min_val = lowest
            j = remaining[index]
            if row4col[j] == -1:
                sink = j
            else:
                i = row4col[j]
            in_c[j] = True
            n_rem -= 1
            remaining[index] = remaining[n_rem]
        u[cur] += min_val
        for i in range(nr):
            if in_r[i] and i != cur:
                u[i] += min_val - shortest[col4row[i]]
        for j in range(nc):
            if in_c[j]:
                w[j] -= min_val - shortest[j]
        j = sink
        while True:
            i = path[j]
            row4col[j] = i
            tmp = col4row[i]
            col4row[i] = j
            j = tmp
            if i == cur:
                break
    return col4row


@njit(cache=True)
def shuffle(a, rng):
    """Fisher-Yates shuffle of ``a`` in place."""
    for k in range(a.size - 1, 0, -1):
        r = rng_int(rng, k + 1)
        t = a[k]
        a[k] = a[r]
        a[r] = t


@njit(cache=True)
def assignment_move(tgt, utype, surv, cnt, v, p, q, allowed, ucost, maxs, rng, frac):
    """Very large-scale neighbourhood step (cf. Ahuja et al. 2007): take one unit off each of a
    random fraction ``frac`` of the occupied targets (the unit picked at random), plus one
    held-back unit per type, and re-insert them optimally so that each target gains at most one
    of them: with the rest fixed this costs exactly ``c_i - v_j S_j p_ij`` per insertion, so it is
    a linear assignment problem, solved exactly. Never worsens; returns the change."""
    n = v.size
    m = p.shape[0]
    order = np.arange(tgt.size)
    shuffle(order, rng)
    taken = np.zeros(n, np.bool_)
    held = np.zeros(m, np.bool_)
    rows = np.empty(tgt.size, np.int64)
    nr = 0
    for k in order:
        j = tgt[k]
        if j < 0:
            if not held[utype[k]]:
                held[utype[k]] = True
                rows[nr] = k
                nr += 1
        elif not taken[j]:
            taken[j] = True
            if frac >= 1.0 or rng_uniform(rng) < frac:
                rows[nr] = k
                nr += 1
    if nr == 0:
        return 0.0
    before = 0.0
    for r in range(nr):
        k = rows[r]
        j = tgt[k]
        if j >= 0:
            i = utype[k]
            before += ucost[i] - v[j] * surv[j] * (1.0 / q[i, j] - 1.0)
            surv[j] /= q[i, j]
            cnt[j] -= 1
            tgt[k] = -1
    cost = np.zeros((nr, n + nr))
    for r in range(nr):
        i = utype[rows[r]]
        for j in range(n):
            if allowed[i, j] and cnt[j] < maxs[j]:
                cost[r, j] = ucost[i] - v[j] * surv[j] * p[i, j]
            else:
                cost[r, j] = np.inf
    col = linear_assignment(cost)
    after = 0.0
    for r in range(nr):
        j = col[r]
        if j < n:
            k = rows[r]
            i = utype[k]
            after += cost[r, j]
            surv[j] *= q[i, j]
            cnt[j] += 1
            tgt[k] = j
    return after - before
