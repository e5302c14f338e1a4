"""Sparse linear assignment: Jonker-Volgenant initialisation, then shortest augmenting paths with
Dijkstra over the arcs.

Two compiled users share it: the WTA neighbourhoods (:mod:`leapsim.c2.wta`), whose rows (units)
each have a few dozen permitted columns (candidate targets, the unit's own target, a private
"hold back" column) out of hundreds, and the tracker's global-nearest-neighbour association
(:mod:`leapsim.tracking.association`), whose rows (tracks) each have the few detections inside
their gate and a private "missed" column. A dense solver spends its time on forbidden entries,
this one only on the arcs; it is hand-written because it must run inside numba-compiled code
(``scipy.optimize.linear_sum_assignment`` cannot be called there).
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Near-square problems (at most this fraction more columns than rows) are made square with
#: dummy rows and get the Jonker-Volgenant initialisation; the others go straight to shortest
#: augmenting paths, whose duals the initialisation would not respect (free columns at price 0).
SQUARE_SLACK = 0.125


@njit(cache=True, nogil=True)
def sparse_assignment(ptr, col, cost, n_cols):
    """Minimum-cost assignment of every row to a distinct column over a sparse cost matrix.

    Row ``r`` may take the columns ``col[ptr[r]:ptr[r+1]]`` at ``cost[ptr[r]:ptr[r+1]]``
    (``n_cols`` >= rows). Returns the column of each row, or -1 for every row when no complete
    assignment exists.

    Method (Jonker, Volgenant 1987, Computing 38, the sparse variant): when the problem is near
    square, dummy rows that may take any column at cost 0 make it square, and column reduction,
    reduction transfer and augmenting row reduction match most rows cheaply; the rows left
    free are matched one at a time along shortest augmenting paths (Dijkstra with a binary heap
    on reduced costs ``c_rj - u_r - w_j``, kept non-negative on matched rows by the dual
    updates of the rectangular method, Crouse 2016, IEEE Trans. Aerosp. Electron. Syst. 52(4))."""
    n_rows = ptr.size - 1
    n_dummy = n_cols - n_rows
    if n_dummy < 0:
        return np.full(n_rows, -1, np.int64)
    if n_dummy <= SQUARE_SLACK * n_rows:
        ptr, col, cost = _with_dummy_rows(ptr, col, cost, n_cols, n_dummy)
    n_all = ptr.size - 1
    w = np.zeros(n_cols)
    col4row = np.full(n_all, -1, np.int64)
    row4col = np.full(n_cols, -1, np.int64)
    if n_all == n_cols:
        ok = _jv_initialise(ptr, col, cost, w, col4row, row4col)
    else:  # prices start (and free columns stay) at 0, as the rectangular duals require
        ok = _augmenting_row_reduction(ptr, col, cost, w, col4row, row4col, np.arange(n_all), n_all)
    if not ok:
        return np.full(n_rows, -1, np.int64)
    if not _augment(ptr, col, cost, w, col4row, row4col):
        return np.full(n_rows, -1, np.int64)
    return col4row[:n_rows].copy()


@njit(cache=True, nogil=True)
def _with_dummy_rows(ptr, col, cost, n_cols, n_dummy):
    """Append ``n_dummy`` rows that may take any column at cost 0 (a column left free)."""
    n_arcs = ptr[-1]
    ptr2 = np.empty(ptr.size + n_dummy, np.int64)
    ptr2[: ptr.size] = ptr
    col2 = np.empty(n_arcs + n_dummy * n_cols, np.int64)
    cost2 = np.zeros(n_arcs + n_dummy * n_cols)
    col2[:n_arcs] = col[:n_arcs]
    cost2[:n_arcs] = cost[:n_arcs]
    e = n_arcs
    for d in range(n_dummy):
        for j in range(n_cols):
            col2[e] = j
            e += 1
        ptr2[ptr.size + d] = e
    return ptr2, col2, cost2


@njit(cache=True, nogil=True)
def _jv_initialise(ptr, col, cost, w, col4row, row4col):
    """Square problems: column reduction (each column priced at its cheapest row, which takes
    it when still unmatched), reduction transfer and two passes of augmenting row reduction.
    Leaves every matched row on a column of least reduced cost ``c_rj - w_j``. False when a
    column has no arc (no complete assignment)."""
    n = ptr.size - 1
    w[:] = np.inf
    cheapest = np.full(n, -1, np.int64)
    for r in range(n):
        for e in range(ptr[r], ptr[r + 1]):
            if cost[e] < w[col[e]]:
                w[col[e]] = cost[e]
                cheapest[col[e]] = r
    unique = np.ones(n, np.bool_)
    for j in range(n - 1, -1, -1):
        r = cheapest[j]
        if r < 0:
            return False
        if col4row[r] < 0:
            col4row[r] = j
            row4col[j] = r
        else:
            unique[r] = False
    free = np.empty(n, np.int64)
    n_free = 0
    for r in range(n):
        if col4row[r] < 0:
            free[n_free] = r
            n_free += 1
        elif unique[r]:  # reduction transfer
            j1 = col4row[r]
            second = np.inf
            for e in range(ptr[r], ptr[r + 1]):
                if col[e] != j1:
                    second = min(second, cost[e] - w[col[e]])
            if second < np.inf:
                w[j1] = cost[_arc(ptr, col, r, j1)] - second
    return _augmenting_row_reduction(ptr, col, cost, w, col4row, row4col, free, n_free)


@njit(cache=True, nogil=True)
def _augmenting_row_reduction(ptr, col, cost, w, col4row, row4col, free, n_free):
    """Two passes of Jonker-Volgenant augmenting row reduction over the rows ``free[:n_free]``:
    a free row takes its column of least reduced cost ``c_rj - w_j``, lowers that column's price
    by the gap to its second least (prices only fall) and evicts the previous holder. Keeps
    every matched row on a column of least reduced cost. False when a row has no arc."""
    n = ptr.size - 1
    steps = 0
    for _ in range(2):
        k = 0
        n_prev = n_free
        n_free = 0
        while k < n_prev:
            steps += 1
            if steps > 4 * n:  # near-ties can make it crawl; the augmentation finishes exactly
                for kk in range(k, n_prev):
                    free[n_free] = free[kk]
                    n_free += 1
                break
            r = free[k]
            k += 1
            umin = np.inf
            usub = np.inf
            j1 = -1
            j2 = -1
            for e in range(ptr[r], ptr[r + 1]):
                h = cost[e] - w[col[e]]
                if h < usub:
                    if h >= umin:
                        usub = h
                        j2 = col[e]
                    else:
                        usub = umin
                        j2 = j1
                        umin = h
                        j1 = col[e]
            if j1 < 0:
                return False
            r0 = row4col[j1]
            if umin < usub:
                if usub < np.inf:
                    w[j1] -= usub - umin
            elif r0 >= 0:
                j1 = j2
                r0 = row4col[j2]
            col4row[r] = j1
            row4col[j1] = r
            if r0 >= 0:
                col4row[r0] = -1
                if umin < usub:
                    k -= 1
                    free[k] = r0
                else:
                    free[n_free] = r0
                    n_free += 1
    return True


@njit(cache=True, nogil=True)
def _augment(ptr, col, cost, w, col4row, row4col):
    """Match every free row along a shortest augmenting path (Dijkstra, binary heap over the
    arcs). Rows already matched must sit on a column of least reduced cost. False when some row
    has no augmenting path."""
    n_rows = ptr.size - 1
    n_cols = w.size
    u = np.zeros(n_rows)
    for r in range(n_rows):
        if col4row[r] >= 0:
            u[r] = cost[_arc(ptr, col, r, col4row[r])] - w[col4row[r]]
    dist = np.full(n_cols, np.inf)
    pred = np.full(n_cols, -1, np.int64)
    done = np.zeros(n_cols, np.bool_)
    touched = np.empty(n_cols, np.int64)
    scanned = np.empty(n_rows, np.int64)
    heap_key = np.empty(cost.size + 1)
    heap_col = np.empty(cost.size + 1, np.int64)
    for src in range(n_rows):
        if col4row[src] >= 0:
            continue
        n_touched = 0
        n_scanned = 0
        n_heap = 0
        row = src
        base = 0.0
        while True:
            scanned[n_scanned] = row
            n_scanned += 1
            for e in range(ptr[row], ptr[row + 1]):
                j = col[e]
                if done[j]:
                    continue
                d = base + cost[e] - u[row] - w[j]
                if d < dist[j]:
                    if dist[j] == np.inf:
                        touched[n_touched] = j
                        n_touched += 1
                    dist[j] = d
                    pred[j] = row
                    n_heap = _heap_push(heap_key, heap_col, n_heap, d, j)
            j = -1
            while n_heap > 0:
                key = heap_key[0]
                j = heap_col[0]
                n_heap = _heap_pop(heap_key, heap_col, n_heap)
                if not done[j] and key == dist[j]:
                    break
                j = -1
            if j < 0:
                return False
            done[j] = True
            base = dist[j]
            if row4col[j] < 0:
                break
            row = row4col[j]
        sink = j
        # dual update: reduced costs stay >= 0 on matched rows and 0 on matched arcs
        u[src] += base
        for k in range(1, n_scanned):
            r = scanned[k]
            u[r] += base - dist[col4row[r]]
        for k in range(n_touched):
            j = touched[k]
            if done[j]:
                w[j] -= base - dist[j]
            dist[j] = np.inf
            done[j] = False
        j = sink
        while True:
            r = pred[j]
            row4col[j] = r
            nxt = col4row[r]
            col4row[r] = j
            j = nxt
            if r == src:
                break
    return True


@njit(cache=True, nogil=True)
def _arc(ptr, col, r, j):
    """Index of the arc from row ``r`` to column ``j`` (-1 when there is none)."""
    for e in range(ptr[r], ptr[r + 1]):
        if col[e] == j:
            return e
    return -1


@njit(cache=True, nogil=True)
def _heap_push(key, val, size, k, x):
    """Push ``(k, x)`` on the binary min-heap ``key[:size]``; returns the new size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if key[parent] <= k:
            break
        key[i] = key[parent]
        val[i] = val[parent]
        i = parent
    key[i] = k
    val[i] = x
    return size + 1


@njit(cache=True, nogil=True)
def _heap_pop(key, val, size):
    """Remove the top of the heap ``key[:size]``; returns the new size."""
    size -= 1
    if size == 0:
        return 0
    k = key[size]
    x = val[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and key[child + 1] < key[child]:
            child += 1
        if key[child] >= k:
            break
        key[i] = key[child]
        val[i] = val[child]
        i = child
    key[i] = k
    val[i] = x
    return size
