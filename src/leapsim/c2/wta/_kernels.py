"""Numba kernels for the WTA solvers: a seeded PRNG, greedy, local search and large neighbourhoods.

An instance is an :class:`Instance` (named tuple): the values, kill probabilities and survival
factors (``q = 1 - p`` floored at ``QMIN`` so that taking a unit off is a division), weighted shot
costs and shot limits, the candidate targets of each type in CSR form
(``cand[cand_ptr[i]:cand_ptr[i+1]]``, best first), the types having target j as a candidate
(``rev[rev_ptr[j]:rev_ptr[j+1]]``), the (m, n) candidate flags, and the unit range
``unit_start[i]:unit_start[i+1]`` of each type. Moves only ever fire on candidate pairs; the
search runs on short candidate lists and is polished on complete ones.

A solution is a :class:`State`: the target of every unit (-1: held back), a doubly linked list of
the units on each target, each target's survival probability and the number of units on it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from leapsim.assignment import sparse_assignment

QMIN = 1e-12


class Instance(NamedTuple):
    """A WTA instance as the kernels take it (see the module docstring)."""

    values: np.ndarray  # (n,)
    p: np.ndarray  # (m, n)
    q: np.ndarray  # (m, n) max(1 - p, QMIN)
    shot_cost: np.ndarray  # (m,) weighted cost of one shot
    max_shots: np.ndarray  # (n,) int64
    cand_ptr: np.ndarray  # (m + 1,)
    cand: np.ndarray
    rev_ptr: np.ndarray  # (n + 1,)
    rev: np.ndarray
    is_cand: np.ndarray  # (m, n) bool
    unit_start: np.ndarray  # (m + 1,)


class Settings(NamedTuple):
    """One search worker's budget and moves (see :class:`leapsim.c2.wta.search.SearchParams`)."""

    iterations: int  # iterated-search budget (the compiled driver; Python may run on the clock)
    chunk: int
    descent_rounds: int
    descent_fail: int
    ruin_max: int
    related: float  # this worker's probability of a related ruin
    related_width: int
    lap_prob: float
    accept: float


class State(NamedTuple):
    """A solution: per unit its target and neighbours on it, per target survival and count."""

    target: np.ndarray  # (units,) target of each unit, -1 held back
    head: np.ndarray  # (n,) first unit on each target, -1 none
    next_unit: np.ndarray  # (units,)
    prev_unit: np.ndarray  # (units,)
    survival: np.ndarray  # (n,)
    count: np.ndarray  # (n,) units on each target


_U30 = np.uint64(30)
_U27 = np.uint64(27)
_U31 = np.uint64(31)
_U11 = np.uint64(11)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


@njit(cache=True)
def rng_next(state):
    """SplitMix64 (Steele, Lea, Flood 2014): next 64-bit word; ``state`` is a uint64[1]."""
    z = state[0] + _GOLDEN
    state[0] = z
    z = (z ^ (z >> _U30)) * _MIX1
    z = (z ^ (z >> _U27)) * _MIX2
    return z ^ (z >> _U31)


@njit(cache=True)
def rng_uniform(state):
    """Uniform draw in [0, 1) with 53 random bits."""
    return float(rng_next(state) >> _U11) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def rng_int(state, n):
    """Uniform integer in [0, n)."""
    r = int(rng_uniform(state) * n)
    return r if r < n else n - 1


@njit(cache=True)
def shuffle(a, rng):
    """Fisher-Yates shuffle of ``a`` in place."""
    for k in range(a.size - 1, 0, -1):
        r = rng_int(rng, k + 1)
        t = a[k]
        a[k] = a[r]
        a[r] = t


_M32 = np.uint64(0xFFFFFFFF)
_U16 = np.uint64(16)
_U32 = np.uint64(32)
_SS_INIT_A = np.uint64(0x43B0D7E5)
_SS_MULT_A = np.uint64(0x931E8875)
_SS_INIT_B = np.uint64(0x8B51F9DD)
_SS_MULT_B = np.uint64(0x58F38DED)
_SS_MIX_L = np.uint64(0xCA01F9DD)
_SS_MIX_R = np.uint64(0x4973F715)


@njit(cache=True)
def _ss_hashmix(value, hash_const):
    value = (value ^ hash_const[0]) & _M32
    hash_const[0] = (hash_const[0] * _SS_MULT_A) & _M32
    value = (value * hash_const[0]) & _M32
    return value ^ (value >> _U16)


@njit(cache=True)
def _ss_mix(x, y):
    r = (_SS_MIX_L * x - _SS_MIX_R * y) & _M32
    return r ^ (r >> _U16)


@njit(cache=True)
def rng_from_seed(seed):
    """The generator state (uint64[1]) of ``np.random.SeedSequence(seed).generate_state(1,
    np.uint64)`` for an integer ``0 <= seed < 2**64``: numpy's SeedSequence hashing (O'Neill's
    seed_seq_fe, pool of 4 words) for one seed, written out here because the compiled night loop
    seeds each epoch's search itself and must match the search run from Python bit for bit."""
    s = np.uint64(seed)
    words = np.empty(2, np.uint64)
    words[0] = s & _M32
    words[1] = s >> _U32
    n_words = 2 if words[1] else 1
    pool = np.zeros(4, np.uint64)
    hash_const = np.empty(1, np.uint64)
    hash_const[0] = _SS_INIT_A
    for i in range(4):
        pool[i] = _ss_hashmix(words[i] if i < n_words else np.uint64(0), hash_const)
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                pool[i_dst] = _ss_mix(pool[i_dst], _ss_hashmix(pool[i_src], hash_const))
    h = _SS_INIT_B
    half = np.empty(2, np.uint64)
    for i in range(2):
        value = pool[i] ^ h
        h = (h * _SS_MULT_B) & _M32
        value = (value * h) & _M32
        half[i] = value ^ (value >> _U16)
    state = np.empty(1, np.uint64)
    state[0] = half[0] | (half[1] << _U32)
    return state


# --------------------------------------------------------------------------- greedy


@njit(cache=True)
def greedy_counts(v, p, q, allowed, ucost, maxs, avail):
    """Maximum marginal return (den Broeder, Ellison, Emerling 1959): repeatedly fire the
    available unit with the largest drop in objective ``v_j S_j p_ij - c_i`` while it is positive.
    Returns the (m, n) count matrix."""
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


# --------------------------------------------------------------------------- solution state


@njit(cache=True)
def instance(v, p, q, shot_cost, max_shots, availability, is_cand, first_return):
    """The :class:`Instance` with candidate pairs ``is_cand``; each type's candidates are listed
    by decreasing ``first_return`` (ties by target index)."""
    m, n = p.shape
    counts = np.zeros(m, np.int64)
    for i in range(m):
        for j in range(n):
            if is_cand[i, j]:
                counts[i] += 1
    cand_ptr = np.zeros(m + 1, np.int64)
    for i in range(m):
        cand_ptr[i + 1] = cand_ptr[i] + counts[i]
    cand = np.empty(cand_ptr[m], np.int64)
    for i in range(m):
        key = np.empty(n)
        for j in range(n):
            key[j] = -first_return[i, j] if is_cand[i, j] else np.inf
        order = np.argsort(key, kind="mergesort")
        cand[cand_ptr[i] : cand_ptr[i + 1]] = order[: counts[i]]
    rev_ptr = np.zeros(n + 1, np.int64)
    rev = np.empty(cand_ptr[m], np.int64)
    e = 0
    for j in range(n):
        for i in range(m):
            if is_cand[i, j]:
                rev[e] = i
                e += 1
        rev_ptr[j + 1] = e
    unit_start = np.zeros(m + 1, np.int64)
    for i in range(m):
        unit_start[i + 1] = unit_start[i] + availability[i]
    return Instance(
        v, p, q, shot_cost, max_shots, cand_ptr, cand, rev_ptr, rev, is_cand, unit_start
    )


@njit(cache=True)
def units_from_counts(x, unit_start):
    """Target of every unit of count matrix ``x`` (units of type i are consecutive, fired ones
    first, by target; -1 for units not fired)."""
    tgt = np.full(unit_start[-1], -1, np.int64)
    for i in range(x.shape[0]):
        k = unit_start[i]
        for j in range(x.shape[1]):
            for _ in range(x[i, j]):
                tgt[k] = j
                k += 1
    return tgt


@njit(cache=True)
def counts_from_units(tgt, unit_start, n):
    """(m, n) count matrix of the unit targets ``tgt``."""
    m = unit_start.size - 1
    x = np.zeros((m, n), np.int64)
    for i in range(m):
        for k in range(unit_start[i], unit_start[i + 1]):
            if tgt[k] >= 0:
                x[i, tgt[k]] += 1
    return x


@njit(cache=True)
def new_state(tgt, inst):
    """Build the solution for unit targets ``tgt`` (copied)."""
    q = inst.q
    unit_start = inst.unit_start
    n = inst.values.size
    t = tgt.copy()
    sol = State(
        t,
        np.full(n, -1, np.int64),
        np.full(t.size, -1, np.int64),
        np.full(t.size, -1, np.int64),
        np.ones(n),
        np.zeros(n, np.int64),
    )
    for i in range(unit_start.size - 1):
        for k in range(unit_start[i], unit_start[i + 1]):
            j = t[k]
            if j >= 0:
                t[k] = -1
                _link(k, j, sol)
                sol.survival[j] *= q[i, j]
                sol.count[j] += 1
    return sol


@njit(cache=True)
def clone(sol):
    """A copy of solution ``sol``."""
    return State(
        sol.target.copy(),
        sol.head.copy(),
        sol.next_unit.copy(),
        sol.prev_unit.copy(),
        sol.survival.copy(),
        sol.count.copy(),
    )


@njit(cache=True)
def copy_state(dst, src):
    """Copy solution ``src`` into ``dst`` (same sizes)."""
    dst.target[:] = src.target
    dst.head[:] = src.head
    dst.next_unit[:] = src.next_unit
    dst.prev_unit[:] = src.prev_unit
    dst.survival[:] = src.survival
    dst.count[:] = src.count


@njit(cache=True)
def refresh_survival(sol, inst):
    """Recompute survival products from scratch (removes round-off of repeated divisions)."""
    tgt = sol.target
    surv = sol.survival
    q = inst.q
    unit_start = inst.unit_start
    surv[:] = 1.0
    for i in range(unit_start.size - 1):
        for k in range(unit_start[i], unit_start[i + 1]):
            if tgt[k] >= 0:
                surv[tgt[k]] *= q[i, tgt[k]]


@njit(cache=True)
def objective(sol, inst):
    """Expected surviving value plus weighted spend of a solution."""
    tgt = sol.target
    surv = sol.survival
    v = inst.values
    ucost = inst.shot_cost
    unit_start = inst.unit_start
    f = 0.0
    for j in range(v.size):
        f += v[j] * surv[j]
    for i in range(unit_start.size - 1):
        for k in range(unit_start[i], unit_start[i + 1]):
            if tgt[k] >= 0:
                f += ucost[i]
    return f


@njit(cache=True)
def _link(k, j, sol):
    head = sol.head
    nxt = sol.next_unit
    sol.target[k] = j
    sol.prev_unit[k] = -1
    nxt[k] = head[j]
    if head[j] >= 0:
        sol.prev_unit[head[j]] = k
    head[j] = k


@njit(cache=True)
def _unlink(k, sol):
    nxt = sol.next_unit
    prv = sol.prev_unit
    j = sol.target[k]
    if prv[k] >= 0:
        nxt[prv[k]] = nxt[k]
    else:
        sol.head[j] = nxt[k]
    if nxt[k] >= 0:
        prv[nxt[k]] = prv[k]
    sol.target[k] = -1


@njit(cache=True)
def move(k, i, dest, sol, inst):
    """Move unit k (of type i) to target ``dest`` (-1: hold back)."""
    surv = sol.survival
    cnt = sol.count
    q = inst.q
    a = sol.target[k]
    if a == dest:
        return
    if a >= 0:
        _unlink(k, sol)
        surv[a] /= q[i, a]
        cnt[a] -= 1
    if dest >= 0:
        _link(k, dest, sol)
        surv[dest] *= q[i, dest]
        cnt[dest] += 1


@njit(cache=True)
def _held_unit(i, tgt, unit_start):
    for k in range(unit_start[i], unit_start[i + 1]):
        if tgt[k] < 0:
            return k
    return -1


# --------------------------------------------------------------------------- local search


@njit(cache=True)
def _best_move_at(b, sol, inst, eps):
    """Best candidate relocate or swap touching target b.

    Returns (delta, unit, its type, partner unit or -1, partner type, destination)."""
    tgt, head, nxt = sol.target, sol.head, sol.next_unit
    surv, cnt = sol.survival, sol.count
    v, p, q, ucost, maxs = inst.values, inst.p, inst.q, inst.shot_cost, inst.max_shots
    cptr, cand, rptr, rev = inst.cand_ptr, inst.cand, inst.rev_ptr, inst.rev
    iscand, tstart = inst.is_cand, inst.unit_start
    vb = v[b] * surv[b]
    best = -eps
    mk = -1
    mi = -1
    mk2 = -1
    mi2 = -1
    mdest = -1
    # a unit elsewhere (or held back) moves onto b
    if cnt[b] < maxs[b]:
        for e in range(rptr[b], rptr[b + 1]):
            i = rev[e]
            add = ucost[i] - vb * p[i, b]
            last = -2
            for k in range(tstart[i], tstart[i + 1]):
                a = tgt[k]
                if a in (b, last):
                    continue
                last = a
                d = add
                if a >= 0:
                    d += v[a] * surv[a] * (1.0 / q[i, a] - 1.0) - ucost[i]
                if d < best:
                    best, mk, mi, mk2, mi2, mdest = d, k, i, -1, -1, b
    # a unit on b is held back, moves elsewhere, or swaps with a unit of another type
    k = head[b]
    while k >= 0:
        i = _type_of(k, tstart)
        rem = vb * (1.0 / q[i, b] - 1.0) - ucost[i]
        if rem < best:
            best, mk, mi, mk2, mi2, mdest = rem, k, i, -1, -1, -1
        for e in range(cptr[i], cptr[i + 1]):
            j = cand[e]
            if j == b:
                continue
            vj = v[j] * surv[j]
            if cnt[j] < maxs[j]:
                d = rem + ucost[i] - vj * p[i, j]
                if d < best:
                    best, mk, mi, mk2, mi2, mdest = d, k, i, -1, -1, j
            k2 = head[j]
            while k2 >= 0:
                i2 = _type_of(k2, tstart)
                if i2 != i and iscand[i2, b]:
                    d = vb * (q[i2, b] / q[i, b] - 1.0) + vj * (q[i, j] / q[i2, j] - 1.0)
                    if d < best:
                        best, mk, mi, mk2, mi2, mdest = d, k, i, k2, i2, j
                k2 = nxt[k2]
        for e in range(rptr[b], rptr[b + 1]):
            i2 = rev[e]
            if i2 == i:
                continue
            k2 = _held_unit(i2, tgt, tstart)
            if k2 >= 0:
                d = vb * (q[i2, b] / q[i, b] - 1.0) + ucost[i2] - ucost[i]
                if d < best:
                    best, mk, mi, mk2, mi2, mdest = d, k, i, k2, i2, -1
        k = nxt[k]
    return best, mk, mi, mk2, mi2, mdest


@njit(cache=True)
def _type_of(k, tstart):
    lo = 0
    hi = tstart.size - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if tstart[mid] <= k:
            lo = mid
        else:
            hi = mid
    return lo


@njit(cache=True)
def _best_held_move(sol, inst, eps):
    """Best move of a held-back unit: fire it at a candidate target, or let it replace a unit of
    another type there (which is then held back). Same return convention as _best_move_at."""
    tgt, head, nxt = sol.target, sol.head, sol.next_unit
    surv, cnt = sol.survival, sol.count
    v, p, q, ucost, maxs = inst.values, inst.p, inst.q, inst.shot_cost, inst.max_shots
    cptr, cand, tstart = inst.cand_ptr, inst.cand, inst.unit_start
    best = -eps
    mk = -1
    mi = -1
    mk2 = -1
    mi2 = -1
    mdest = -1
    for i in range(tstart.size - 1):
        k = _held_unit(i, tgt, tstart)
        if k < 0:
            continue
        for e in range(cptr[i], cptr[i + 1]):
            j = cand[e]
            vj = v[j] * surv[j]
            if cnt[j] < maxs[j]:
                d = ucost[i] - vj * p[i, j]
                if d < best:
                    best, mk, mi, mk2, mi2, mdest = d, k, i, -1, -1, j
            k2 = head[j]
            while k2 >= 0:
                i2 = _type_of(k2, tstart)
                if i2 != i:
                    d = vj * (q[i, j] / q[i2, j] - 1.0) + ucost[i] - ucost[i2]
                    if d < best:
                        best, mk, mi, mk2, mi2, mdest = d, k, i, k2, i2, j
                k2 = nxt[k2]
    return best, mk, mi, mk2, mi2, mdest


@njit(cache=True)
def local_search(sol, inst, dirty, eps):
    """Best-improvement descent over relocate (a unit to another candidate target, or held back)
    and swap (units of two types exchange targets) moves, driven by a work list of dirty targets:
    a move between clean targets kept its non-improving value, so only moves touching a dirty
    target (or a held-back unit, after the held set changed) need a look. Clears ``dirty``;
    returns the change in objective."""
    tgt = sol.target
    n = dirty.size
    stack = np.empty(n, np.int64)
    ns = 0
    for j in range(n):
        if dirty[j]:
            stack[ns] = j
            ns += 1
    total = 0.0
    held_dirty = True
    while ns > 0 or held_dirty:
        if ns == 0:
            held_dirty = False
            best, mk, mi, mk2, mi2, mdest = _best_held_move(sol, inst, eps)
        else:
            ns -= 1
            b = stack[ns]
            dirty[b] = False
            best, mk, mi, mk2, mi2, mdest = _best_move_at(b, sol, inst, eps)
        if mk < 0:
            continue
        total += best
        t0 = tgt[mk]
        if mk2 < 0:
            t1 = mdest
            move(mk, mi, mdest, sol, inst)
        else:
            t1 = tgt[mk2]
            move(mk, mi, -1, sol, inst)
            move(mk2, mi2, t0, sol, inst)
            move(mk, mi, t1, sol, inst)
        for j in (t0, t1):
            if j < 0:
                held_dirty = True
            elif not dirty[j]:
                dirty[j] = True
                stack[ns] = j
                ns += 1
    return total


# --------------------------------------------------------------------------- assignment move


@njit(cache=True)
def assignment_move(sol, inst, hold, rng, keep, min_count, dirty):
    """Very large-scale neighbourhood step (after Ahuja, Kumar, Jha, Orlin 2007).

    Take one unit, picked at random, off each target holding at least ``min_count`` units except
    ``keep`` random occupied ones, plus one held-back unit per type, and re-insert them so that
    each target gains at most one of them. With the rest fixed an insertion costs exactly
    ``c_i - v_j S_j p_ij``, so the best re-insertion (over candidate targets) is a linear
    assignment problem, solved exactly (:func:`sparse_assignment`); the current solution is one
    of its candidates, so the step never worsens the objective. ``min_count`` 1 re-matches the
    units while target counts barely change; 2 leaves single-unit targets their unit, free to
    gain one, so it re-decides which targets hold two (the count structure). ``hold`` lets any
    unit be held back (needed with shot costs). Marks changed targets dirty and returns the
    change in objective."""
    tgt, head, nxt = sol.target, sol.head, sol.next_unit
    surv, cnt = sol.survival, sol.count
    v, p, q, ucost, maxs = inst.values, inst.p, inst.q, inst.shot_cost, inst.max_shots
    cptr, cand, iscand, tstart = inst.cand_ptr, inst.cand, inst.is_cand, inst.unit_start
    n = v.size
    m = tstart.size - 1
    occupied = np.flatnonzero(cnt > 0)
    shuffle(occupied, rng)
    rows = np.empty(occupied.size + m, np.int64)
    rtype = np.empty(occupied.size + m, np.int64)
    origin = np.empty(occupied.size + m, np.int64)
    nr = 0
    for j in occupied[min(keep, occupied.size) :]:
        if cnt[j] < min_count:
            continue
        k = head[j]
        for _ in range(rng_int(rng, cnt[j])):
            k = nxt[k]
        rows[nr] = k
        rtype[nr] = _type_of(k, tstart)
        origin[nr] = j
        nr += 1
    for i in range(m):
        k = _held_unit(i, tgt, tstart)
        if k >= 0 and cptr[i + 1] > cptr[i]:
            rows[nr] = k
            rtype[nr] = i
            origin[nr] = -1
            nr += 1
    if nr == 0:
        return 0.0
    before = 0.0
    n_held = 0
    for r in range(nr):
        j = origin[r]
        if j >= 0:
            i = rtype[r]
            before += ucost[i] - v[j] * surv[j] * (1.0 / q[i, j] - 1.0)
            move(rows[r], i, -1, sol, inst)
        else:
            n_held += 1
    use_hold = hold or n_held > 0
    n_arcs = 0
    for r in range(nr):
        n_arcs += cptr[rtype[r] + 1] - cptr[rtype[r]] + 2
    ptr = np.empty(nr + 1, np.int64)
    col = np.empty(n_arcs, np.int64)
    cst = np.empty(n_arcs)
    e = 0
    for r in range(nr):
        ptr[r] = e
        i = rtype[r]
        o = origin[r]
        for c in range(cptr[i], cptr[i + 1]):
            j = cand[c]
            if cnt[j] < maxs[j]:
                col[e] = j
                cst[e] = ucost[i] - v[j] * surv[j] * p[i, j]
                e += 1
        if o >= 0 and not iscand[i, o]:
            col[e] = o
            cst[e] = ucost[i] - v[o] * surv[o] * p[i, o]
            e += 1
        if use_hold:  # a private column: the unit is held back at no cost
            col[e] = n + r
            cst[e] = 0.0
            e += 1
    ptr[nr] = e
    res = sparse_assignment(ptr, col[:e], cst[:e], n + (nr if use_hold else 0))
    after = 0.0
    for r in range(nr):
        j = res[r] if res[r] < n else -1
        i = rtype[r]
        if j >= 0:
            after += ucost[i] - v[j] * surv[j] * p[i, j]
            move(rows[r], i, j, sol, inst)
        if j != origin[r]:
            if j >= 0:
                dirty[j] = True
            if origin[r] >= 0:
                dirty[origin[r]] = True
    return after - before


# --------------------------------------------------------------------------- LNS driver


@njit(cache=True)
def ruin_recreate(sol, inst, rng, n_ruin, related, width, dirty):
    """Ruin and recreate (Schrimpf et al. 2000, J. Comput. Phys. 159): clear ``n_ruin`` occupied
    targets, then re-insert the freed and held-back units in random order, each at its best
    candidate target by marginal return (held back when no shot pays).

    The first target is drawn at random; each further one, with probability ``related``, is one
    of the ``width`` best candidate targets of the type of a unit freed so far (relatedness after
    Shaw 1998: targets that compete for the same units, so the recreate can trade them), else
    random."""
    tgt, head = sol.target, sol.head
    surv, cnt = sol.survival, sol.count
    v, p, ucost, maxs = inst.values, inst.p, inst.shot_cost, inst.max_shots
    cptr, cand, tstart = inst.cand_ptr, inst.cand, inst.unit_start
    if tgt.size == 0:
        return
    freed = np.empty(tgt.size, np.int64)
    nf = 0
    for _ in range(n_ruin):
        j = -1
        if nf > 0 and rng_uniform(rng) < related:
            i = freed[rng_int(rng, nf)]
            span = min(width, cptr[i + 1] - cptr[i])
            if span > 0:
                j = cand[cptr[i] + rng_int(rng, span)]
        if j < 0 or cnt[j] == 0:
            j = tgt[rng_int(rng, tgt.size)]
        if j < 0:
            continue
        while head[j] >= 0:
            k = head[j]
            i = _type_of(k, tstart)
            freed[nf] = i
            nf += 1
            move(k, i, -1, sol, inst)
        surv[j] = 1.0
        dirty[j] = True
    pool = np.flatnonzero(tgt < 0)
    shuffle(pool, rng)
    for k in pool:
        i = _type_of(k, tstart)
        g_best = 0.0
        b_best = -1
        for e in range(cptr[i], cptr[i + 1]):
            b = cand[e]
            if cnt[b] < maxs[b]:
                g = v[b] * surv[b] * p[i, b] - ucost[i]
                if g > g_best:
                    g_best = g
                    b_best = b
        if b_best >= 0:
            move(k, i, b_best, sol, inst)
            dirty[b_best] = True


@njit(cache=True, nogil=True)
def assignment_descent(sol, inst, hold, rng, max_fail, max_rounds):
    """Alternate local search with the full assignment move, whose rounds alternate between
    re-matching units (``min_count`` 1) and re-deciding which targets hold two (2), until
    ``max_fail`` rounds in a row bring no improvement (or ``max_rounds`` rounds). Returns the
    objective."""
    n = inst.values.size
    eps = 1e-13 * (1.0 + inst.values.sum())
    dirty = np.ones(n, np.bool_)
    local_search(sol, inst, dirty, eps)
    fails = 0
    for r in range(max_rounds):
        if fails >= max_fail:
            break
        d = assignment_move(sol, inst, hold, rng, 0, 1 + r % 2, dirty)
        d += local_search(sol, inst, dirty, eps)
        fails = fails + 1 if d > -eps else 0
    refresh_survival(sol, inst)
    return objective(sol, inst)


@njit(cache=True, nogil=True)
def iterated_search(cur, best, inst, hold, rng, n_iter, settings, lower_bound):
    """Iterated local search with large neighbourhoods, at most ``n_iter`` iterations, tuned by
    ``settings`` (:class:`Settings`).

    ``cur`` and ``best`` are solutions (updated in place, so a caller may resume). Each
    iteration perturbs a copy of the current solution by ruin and recreate of 1..``ruin_max``
    targets (related with probability ``related``, see :func:`ruin_recreate`); with
    probability ``lap_prob`` it then descends and applies the assignment move (either variant),
    leaving up to ``ruin_max`` targets free to gain a unit (so a ruin that changed how many
    units some targets hold is re-matched as a whole). It descends with :func:`local_search`
    and accepts the result when it is no worse than the current one or within a factor
    ``1 + accept`` of the best (record-to-record travel, Dueck 1993). It stops before the
    budget when ``lower_bound`` (a lower bound on the optimum) proves that no iteration can
    improve the best any more, which leaves the result unchanged. Returns the best objective and
    the iterations run."""
    ruin_max = settings.ruin_max
    lap_prob = settings.lap_prob
    accept = settings.accept
    related = settings.related
    width = settings.related_width
    n = inst.values.size
    eps = 1e-13 * (1.0 + inst.values.sum())
    dirty = np.ones(n, np.bool_)
    local_search(cur, inst, dirty, eps)
    refresh_survival(cur, inst)
    f_cur = objective(cur, inst)
    f_best = objective(best, inst)
    if f_cur < f_best:
        copy_state(best, cur)
        f_best = f_cur
    trial = clone(cur)
    for it in range(n_iter):
        if f_best - eps <= lower_bound:  # an improvement needs f < f_best - eps: none is left
            return f_best, it
        copy_state(trial, cur)
        ruin_recreate(trial, inst, rng, 1 + rng_int(rng, ruin_max), related, width, dirty)
        if rng_uniform(rng) < lap_prob:
            local_search(trial, inst, dirty, eps)
            assignment_move(
                trial, inst, hold, rng, rng_int(rng, ruin_max + 1), 1 + rng_int(rng, 2), dirty
            )
        local_search(trial, inst, dirty, eps)
        refresh_survival(trial, inst)
        f = objective(trial, inst)
        if f <= f_cur or f < f_best * (1.0 + accept):
            copy_state(cur, trial)
            f_cur = f
            if f < f_best - eps:
                copy_state(best, trial)
                f_best = f
    return f_best, n_iter


@njit(cache=True)
def search_on_budget(inst, polish, tgt0, hold, rng, settings, lower_bound):
    """One worker's whole search on an iteration budget: the assignment-move descent from unit
    targets ``tgt0``, ``settings.iterations`` iterations of :func:`iterated_search` in chunks
    (fewer when ``lower_bound`` proves the best optimal), then a local search on the ``polish``
    instance (complete candidate lists). Returns the best solution and the iterations run."""
    cur = new_state(tgt0, inst)
    assignment_descent(cur, inst, hold, rng, settings.descent_fail, settings.descent_rounds)
    best = clone(cur)
    done = 0
    if tgt0.size > 0:  # with nothing to fire the empty answer is optimal
        while done < settings.iterations:
            n_iter = min(settings.chunk, settings.iterations - done)
            ran = iterated_search(cur, best, inst, hold, rng, n_iter, settings, lower_bound)[1]
            done += ran
            if ran < n_iter:
                break
    n = inst.values.size
    local_search(best, polish, np.ones(n, np.bool_), 1e-13 * (1.0 + inst.values.sum()))
    return best, done


# --------------------------------------------------------------------------- exact optimum


@njit(cache=True)
def enumerated_optimum(inst, max_leaves):
    """The optimum of a small instance by enumerating every count matrix over its candidate
    pairs, or -inf when that would visit more than ``max_leaves`` assignments (bounded by
    ``prod_i C(units_i + candidates_i, candidates_i)``). Each objective is computed with the
    operations of :func:`objective` in the same order, so the result is bit for bit the best
    objective the search can reach: a lower bound that lets it stop once its best is optimal."""
    v, q, ucost, maxs = inst.values, inst.q, inst.shot_cost, inst.max_shots
    is_cand, unit_start = inst.is_cand, inst.unit_start
    m, n = q.shape
    n_slots = 0
    leaves = 1.0
    for i in range(m):
        k = 0
        for j in range(n):
            if is_cand[i, j]:
                k += 1
        n_slots += k
        a = unit_start[i + 1] - unit_start[i]
        for r in range(1, min(a, k) + 1):  # C(a + k, k) = C(a + k, min(a, k))
            leaves *= (a + k - min(a, k) + r) / r
    if leaves > max_leaves:
        return -np.inf
    slot_i = np.empty(n_slots, np.int64)
    slot_j = np.empty(n_slots, np.int64)
    e = 0
    for i in range(m):
        for j in range(n):
            if is_cand[i, j]:
                slot_i[e] = i
                slot_j[e] = j
                e += 1
    left = np.empty(m, np.int64)
    for i in range(m):
        left[i] = unit_start[i + 1] - unit_start[i]
    fired = np.zeros(m, np.int64)
    cnt = np.zeros(n, np.int64)
    surv = np.ones(n)
    saved = np.ones(max(n_slots, 1))
    choice = np.full(max(n_slots, 1), -1, np.int64)
    best = np.inf
    d = 0
    while d >= 0:
        if d == n_slots:  # a complete assignment (with no slots: the empty one)
            f = 0.0
            for j in range(n):
                f += v[j] * surv[j]
            for i in range(m):
                for _ in range(fired[i]):
                    f += ucost[i]
            best = min(best, f)
            d -= 1
            continue
        i = slot_i[d]
        j = slot_j[d]
        c = choice[d]
        if c >= 0:  # take back the last choice
            surv[j] = saved[d]
            cnt[j] -= c
            left[i] += c
            fired[i] -= c
        else:
            saved[d] = surv[j]
        c += 1
        if c > min(left[i], maxs[j] - cnt[j]):
            choice[d] = -1
            d -= 1
            continue
        for _ in range(c):
            surv[j] *= q[i, j]
        cnt[j] += c
        left[i] -= c
        fired[i] += c
        choice[d] = c
        d += 1
    return best


# --------------------------------------------------------------------------- start solution


@njit(cache=True)
def layered_assignment_counts(v, p, q, allowed, ucost, maxs, avail):
    """Start solution by layers of assignments: each layer gives every target at most one more
    unit, choosing among all units still available the set that gains most (an exact linear
    assignment on gains ``v_j S_j p_ij - c_i`` with the earlier layers fixed); layers repeat
    until no unit is left or none gains. Returns the (m, n) count matrix."""
    m, n = p.shape
    x = np.zeros((m, n), np.int64)
    surv = np.ones(n)
    cnt = np.zeros(n, np.int64)
    left = avail.copy()
    while True:
        nu = left.sum()
        if nu == 0:
            break
        utype = np.empty(nu, np.int64)
        r = 0
        for i in range(m):
            for _ in range(left[i]):
                utype[r] = i
                r += 1
        ptr = np.empty(nu + 1, np.int64)
        col = np.empty(nu * (n + 1), np.int64)
        cst = np.empty(nu * (n + 1))
        e = 0
        for r in range(nu):
            ptr[r] = e
            i = utype[r]
            for j in range(n):
                if allowed[i, j] and cnt[j] < maxs[j] and p[i, j] > 0.0:
                    g = v[j] * surv[j] * p[i, j] - ucost[i]
                    if g > 0.0:
                        col[e] = j
                        cst[e] = -g
                        e += 1
            col[e] = n + r  # a private column: the unit waits for a later layer
            cst[e] = 0.0
            e += 1
        ptr[nu] = e
        res = sparse_assignment(ptr, col[:e], cst[:e], n + nu)
        placed = 0
        for r in range(nu):
            j = res[r]
            if j < n:
                i = utype[r]
                x[i, j] += 1
                left[i] -= 1
                surv[j] *= q[i, j]
                cnt[j] += 1
                placed += 1
        if placed == 0:
            break
    return x
