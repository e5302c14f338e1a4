"""Associator: Mahalanobis gating and global-nearest-neighbour assignment, compiled.

Gating: detections are sorted by their first coordinate; each track looks only at those within
a conservative radius ``√(γ (tr P_pos + max tr R))`` along that axis and then in Euclidean
distance (the ellipsoidal gate lies inside that ball, since ``νᵀS⁻¹ν ≤ γ`` implies
``|ν|² ≤ γ λ_max(S) ≤ γ tr S``); the exact squared Mahalanobis distance ``νᵀ S⁻¹ ν`` with
``S = P_pos + R`` is then tested against γ (a χ² quantile).

Assignment: minimum total squared distance over the gated pairs, each track also offered a
private "missed" column at cost γ so that it may stay unassigned (Blackman & Popoli, *Design and
Analysis of Modern Tracking Systems*, Artech House 1999, §6.2). A track whose only gated
detection gates with no other track takes it directly; the rest form one sparse assignment
problem solved by :func:`leapsim.assignment.sparse_assignment`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from leapsim.assignment import sparse_assignment
from leapsim.linalg import mahalanobis2
from leapsim.tracking.kalman import Workspace


@njit(cache=True)
def gate(
    rows: np.ndarray,
    mean: np.ndarray,
    cov: np.ndarray,
    z: np.ndarray,
    r: np.ndarray,
    usable: np.ndarray,
    threshold: float,
    ws: Workspace,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gated (track, detection) pairs as compressed rows.

    ``rows`` (R,) index the tracks' combined ``mean`` (T, n) and position covariance ``cov``
    (T, d, d); ``z`` (K, d) and ``r`` (K, d, d) are the measurements, of which only the
    ``usable`` (K,) ones take part.
    Returns ``ptr`` (R + 1,), and per pair the detection index and squared Mahalanobis distance:
    row ``i``'s pairs are ``[ptr[i], ptr[i + 1])``.
    """
    n_rows = rows.size
    d = len(ws.axes)
    ptr = np.zeros(n_rows + 1, np.int64)
    cap = max(16, 2 * n_rows)
    det = np.empty(cap, np.int64)
    dist2 = np.empty(cap)
    usable_idx = np.flatnonzero(usable)
    if n_rows == 0 or usable_idx.size == 0:
        return ptr, det[:0], dist2[:0]
    x0 = z[usable_idx, 0]
    order = np.argsort(x0, kind="mergesort")
    sorted_x = x0[order]
    sorted_det = usable_idx[order]
    max_trace_r = 0.0
    for j in usable_idx:
        tr = 0.0
        for a in range(d):
            tr += r[j, a, a]
        max_trace_r = max(max_trace_r, tr)
    nu = np.empty(d)
    s = np.empty((d, d))
    e = 0
    for i in range(n_rows):
        t = rows[i]
        tr = 0.0
        for a in range(d):
            tr += cov[t, a, a]
        radius2 = threshold * (tr + max_trace_r)
        radius = math.sqrt(radius2)
        lo = np.searchsorted(sorted_x, mean[t, 0] - radius, side="left")
        hi = np.searchsorted(sorted_x, mean[t, 0] + radius, side="right")
        for q in range(lo, hi):
            j = sorted_det[q]
            near = 0.0
            for a in range(d):
                nu[a] = z[j, a] - mean[t, a]
                near += nu[a] * nu[a]
            if near > radius2:
                continue
            for a in range(d):
                for b in range(d):
                    s[a, b] = cov[t, a, b] + r[j, a, b]
            d2 = mahalanobis2(nu, s, ws.lower, ws.column, ws.axes)
            if d2 <= threshold:
                if e == cap:
                    cap *= 2
                    det = _grown_int(det, cap)
                    dist2 = _grown_float(dist2, cap)
                det[e] = j
                dist2[e] = d2
                e += 1
        ptr[i + 1] = e
    return ptr, det[:e], dist2[:e]


@njit(cache=True)
def _grown_int(a: np.ndarray, size: int) -> np.ndarray:
    out = np.empty(size, a.dtype)
    out[: a.size] = a
    return out


@njit(cache=True)
def _grown_float(a: np.ndarray, size: int) -> np.ndarray:
    out = np.empty(size)
    out[: a.size] = a
    return out


@njit(cache=True)
def assign_gnn(
    ptr: np.ndarray, det: np.ndarray, cost: np.ndarray, n_dets: int, miss_cost: float
) -> np.ndarray:
    """Minimum-cost one-to-one assignment of gated pairs (compressed rows as from :func:`gate`),
    each row free to stay unassigned at ``miss_cost``. Returns the detection of each row, −1
    where the row stays unassigned."""
    n_rows = ptr.size - 1
    out = np.full(n_rows, -1, np.int64)
    degree = np.zeros(n_dets, np.int64)
    for e in range(det.size):
        degree[det[e]] += 1
    # rows with one gated detection that no other row gates take it; the others go to the solver
    rest = np.empty(n_rows, np.int64)
    n_rest = 0
    for i in range(n_rows):
        a, b = ptr[i], ptr[i + 1]
        if b - a == 1 and degree[det[a]] == 1:
            if cost[a] <= miss_cost:
                out[i] = det[a]
        elif b > a:
            rest[n_rest] = i
            n_rest += 1
    if n_rest == 0:
        return out
    local = np.full(n_dets, -1, np.int64)
    used = np.empty(n_dets, np.int64)
    n_used = 0
    n_arcs = 0
    for q in range(n_rest):
        i = rest[q]
        for e in range(ptr[i], ptr[i + 1]):
            if local[det[e]] < 0:
                local[det[e]] = n_used
                used[n_used] = det[e]
                n_used += 1
        n_arcs += ptr[i + 1] - ptr[i] + 1
    sub_ptr = np.zeros(n_rest + 1, np.int64)
    sub_col = np.empty(n_arcs, np.int64)
    sub_cost = np.empty(n_arcs)
    e2 = 0
    for q in range(n_rest):
        i = rest[q]
        for e in range(ptr[i], ptr[i + 1]):
            sub_col[e2] = local[det[e]]
            sub_cost[e2] = cost[e]
            e2 += 1
        sub_col[e2] = n_used + q  # this row's private "missed" column
        sub_cost[e2] = miss_cost
        e2 += 1
        sub_ptr[q + 1] = e2
    col = sparse_assignment(sub_ptr, sub_col, sub_cost, n_used + n_rest)
    for q in range(n_rest):
        if 0 <= col[q] < n_used:
            out[rest[q]] = used[col[q]]
    return out
