"""Mahalanobis gating and global-nearest-neighbour assignment on gated clusters.

Gating: a k-d tree finds, for each track, the detections within a conservative Euclidean
radius ``√(γ (tr P_pos + max tr R))`` (which contains the ellipsoidal gate, since
``νᵀS⁻¹ν ≤ γ`` implies ``|ν|² ≤ γ λ_max(S) ≤ γ tr S``); the exact squared Mahalanobis distance
``νᵀ S⁻¹ ν`` with ``S = P_pos + R`` is then tested against γ (a χ² quantile).

Assignment: the gated pairs form a bipartite graph; each connected component is an independent
assignment problem (Blackman & Popoli, *Design and Analysis of Modern Tracking Systems*, Artech
House 1999, §6.2). Components with one track and one detection are assigned directly; larger
ones are solved with ``scipy.optimize.linear_sum_assignment`` on the squared distances,
augmented with one "missed" column per track at cost γ so a track may stay unassigned.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

_FORBIDDEN = 1e18


def gate(
    track_pos: np.ndarray,
    track_cov: np.ndarray,
    z: np.ndarray,
    r: np.ndarray,
    threshold: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gated (track, detection) pairs: indices and squared Mahalanobis distances.

    ``track_pos`` (T, d) and ``track_cov`` (T, d, d) are predicted positions and their
    covariances; ``z`` (K, d) and ``r`` (K, d, d) the measurements.
    """
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    if track_pos.shape[0] == 0 or z.shape[0] == 0:
        return empty
    trace_p = np.trace(track_cov, axis1=1, axis2=2)
    radius = np.sqrt(threshold * (trace_p + np.trace(r, axis1=1, axis2=2).max()))
    hits = cKDTree(z).query_ball_point(track_pos, r=radius, return_sorted=False)
    counts = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    if counts.sum() == 0:
        return empty
    ti = np.repeat(np.arange(track_pos.shape[0]), counts)
    kj = np.fromiter((k for h in hits for k in h), dtype=np.int64, count=int(counts.sum()))
    nu = z[kj] - track_pos[ti]
    s = track_cov[ti] + r[kj]
    d2 = np.einsum("pi,pi->p", nu, np.linalg.solve(s, nu[..., None])[..., 0])
    keep = d2 <= threshold
    return ti[keep], kj[keep], d2[keep]


def assign_gnn(
    n_tracks: int, n_dets: int, ti: np.ndarray, kj: np.ndarray, cost: np.ndarray, miss_cost: float
) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-cost one-to-one assignment of gated pairs; returns (track, detection) indices."""
    if ti.size == 0:
        return ti, kj
    deg_t = np.bincount(ti, minlength=n_tracks)
    deg_k = np.bincount(kj, minlength=n_dets)
    simple = (deg_t[ti] == 1) & (deg_k[kj] == 1)
    out_t, out_k = [ti[simple]], [kj[simple]]
    ct, ck, cc = ti[~simple], kj[~simple], cost[~simple]
    if ct.size:
        graph = coo_matrix((np.ones(ct.size), (ct, n_tracks + ck)), shape=(n_tracks + n_dets,) * 2)
        _, labels = connected_components(graph, directed=False)
        comp = labels[ct]
        order = np.argsort(comp, kind="stable")
        ct, ck, cc, comp = ct[order], ck[order], cc[order], comp[order]
        bounds = np.flatnonzero(np.diff(comp)) + 1
        for pt, pk, pc in zip(
            np.split(ct, bounds), np.split(ck, bounds), np.split(cc, bounds), strict=True
        ):
            tracks, lt = np.unique(pt, return_inverse=True)
            dets, lk = np.unique(pk, return_inverse=True)
            nt, nd = tracks.size, dets.size
            matrix = np.full((nt, nd + nt), _FORBIDDEN)
            matrix[lt, lk] = pc
            matrix[np.arange(nt), nd + np.arange(nt)] = miss_cost
            rows, cols = linear_sum_assignment(matrix)
            real = cols < nd
            out_t.append(tracks[rows[real]])
            out_k.append(dets[cols[real]])
    return np.concatenate(out_t), np.concatenate(out_k)
