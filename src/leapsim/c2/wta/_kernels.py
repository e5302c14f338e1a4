"""Numba kernels for the WTA solvers: a seeded PRNG, greedy, local search and large neighbourhoods.

An instance is the tuple ``inst = (v, p, q, ucost, maxs, cptr, cand, rptr, rev, iscand, tstart)``:
values (n,), kill probabilities and survival factors (m, n) (``q = 1 - p`` floored at ``QMIN`` so
that taking a unit off is a division), weighted shot cost (m,), shot limit per target (n,),
candidate targets of each type in CSR form (``cand[cptr[i]:cptr[i+1]]``, best first), the types
having target j as a candidate (``rev[rptr[j]:rptr[j+1]]``), the (m, n) candidate flags, and the
unit range ``tstart[i]:tstart[i+1]`` of each type. Moves only ever fire on candidate pairs; the
search runs on short candidate lists and is polished on complete ones.

A solution is the tuple ``sol = (tgt, head, nxt, prv, surv, cnt)``: the target of every unit (-1:
held back), a doubly linked list of the units on each target, each target's survival probability
and the number of units on it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from leapsim.assignment import sparse_assignment

QMIN = 1e-12

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
def new_state(tgt, inst):
    """Build the solution tuple for unit targets ``tgt`` (copied)."""
    q = inst[2]
    tstart = inst[10]
    n = inst[0].size
    t = tgt.copy()
    head = np.full(n, -1, np.int64)
    nxt = np.full(t.size, -1, np.int64)
    prv = np.full(t.size, -1, np.int64)
    surv = np.ones(n)
    cnt = np.zeros(n, np.int64)
    sol = (t, head, nxt, prv, surv, cnt)
    for i in range(tstart.size - 1):
        for k in range(tstart[i], tstart[i + 1]):
            j = t[k]
            if j >= 0:
                t[k] = -1
                _link(k, j, sol)
                surv[j] *= q[i, j]
                cnt[j] += 1
    return sol


@njit(cache=True)
def copy_state(dst, src):
    """Copy solution ``src`` into ``dst`` (same sizes)."""
    dst[0][:] = src[0]
    dst[1][:] = src[1]
    dst[2][:] = src[2]
    dst[3][:] = src[3]
    dst[4][:] = src[4]
    dst[5][:] = src[5]


@njit(cache=True)
def refresh_survival(sol, inst):
    """Recompute survival products from scratch (removes round-off of repeated divisions)."""
    tgt, _, _, _, surv, _ = sol
    q = inst[2]
    tstart = inst[10]
    surv[:] = 1.0
    for i in range(tstart.size - 1):
        for k in range(tstart[i], tstart[i + 1]):
            if tgt[k] >= 0:
                surv[tgt[k]] *= q[i, tgt[k]]


@njit(cache=True)
def objective(sol, inst):
    """Expected surviving value plus weighted spend of a solution."""
    tgt, _, _, _, surv, _ = sol
    v = inst[0]
    ucost = inst[3]
    tstart = inst[10]
    f = 0.0
    for j in range(v.size):
        f += v[j] * surv[j]
    for i in range(tstart.size - 1):
        for k in range(tstart[i], tstart[i + 1]):
            if tgt[k] >= 0:
                f += ucost[i]
    return f


@njit(cache=True)
def _link(k, j, sol):
    tgt, head, nxt, prv, _, _ = sol
    tgt[k] = j
    prv[k] = -1
    nxt[k] = head[j]
    if head[j] >= 0:
        prv[head[j]] = k
    head[j] = k


@njit(cache=True)
def _unlink(k, sol):
    tgt, head, nxt, prv, _, _ = sol
    j = tgt[k]
    if prv[k] >= 0:
        nxt[prv[k]] = nxt[k]
    else:
        head[j] = nxt[k]
    if nxt[k] >= 0:
        prv[nxt[k]] = prv[k]
    tgt[k] = -1


@njit(cache=True)
def move(k, i, dest, sol, inst):
    """Move unit k (of type i) to target ``dest`` (-1: hold back)."""
    tgt, _, _, _, surv, cnt = sol
    q = inst[2]
    a = tgt[k]
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
def _held_unit(i, tgt, tstart):
    for k in range(tstart[i], tstart[i + 1]):
        if tgt[k] < 0:
            return k
    return -1


# --------------------------------------------------------------------------- local search


@njit(cache=True)
def _best_move_at(b, sol, inst, eps):
    """Best candidate relocate or swap touching target b.

    Returns (delta, unit, its type, partner unit or -1, partner type, destination)."""
    tgt, head, nxt, _, surv, cnt = sol
    v, p, q, ucost, maxs, cptr, cand, rptr, rev, iscand, tstart = inst
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
    tgt, head, nxt, _, surv, cnt = sol
    v, p, q, ucost, maxs, cptr, cand, _, _, _, tstart = inst
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
    tgt = sol[0]
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
    tgt, head, nxt, _, surv, cnt = sol
    v, p, q, ucost, maxs, cptr, cand, _, _, iscand, tstart = inst
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
    tgt, head, _, _, surv, cnt = sol
    v, p, _, ucost, maxs, cptr, cand, _, _, _, tstart = inst
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
    n = inst[0].size
    eps = 1e-13 * (1.0 + inst[0].sum())
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
def iterated_search(cur, best, inst, hold, rng, n_iter, ruin_max, lap_prob, accept, related, width):
    """Iterated local search with large neighbourhoods, ``n_iter`` iterations.

    ``cur`` and ``best`` are solution tuples (updated in place, so a caller may resume). Each
    iteration perturbs a copy of the current solution by ruin and recreate of 1..``ruin_max``
    targets (related with probability ``related``, see :func:`ruin_recreate`); with
    probability ``lap_prob`` it then descends and applies the assignment move (either variant),
    leaving up to ``ruin_max`` targets free to gain a unit (so a ruin that changed how many
    units some targets hold is re-matched as a whole). It descends with :func:`local_search`
    and accepts the result when it is no worse than the current one or within a factor
    ``1 + accept`` of the best (record-to-record travel, Dueck 1993). Returns the best objective."""
    n = inst[0].size
    eps = 1e-13 * (1.0 + inst[0].sum())
    dirty = np.ones(n, np.bool_)
    local_search(cur, inst, dirty, eps)
    refresh_survival(cur, inst)
    f_cur = objective(cur, inst)
    f_best = objective(best, inst)
    if f_cur < f_best:
        copy_state(best, cur)
        f_best = f_cur
    trial = (
        cur[0].copy(),
        cur[1].copy(),
        cur[2].copy(),
        cur[3].copy(),
        cur[4].copy(),
        cur[5].copy(),
    )
    for _ in range(n_iter):
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
    return f_best


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
