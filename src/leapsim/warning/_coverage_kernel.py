"""Compiled loop of the planning coverage: for each (item, drone) row, step the M-of-N
confirmation chain over the item's scans of the drone until a deadline.

Numba, because the loop visits tens of millions of scans, each needing a waypoint walk, a
table lookup per node and a chain step over a handful of states; numpy's per-call overhead
made the vectorised version a minute per planning set. Pd itself is not computed here: each
row reads a table of Pd against ground distance that :func:`leapsim.sensing.detection_probability`
filled for the row's sensor option and drone (altitude, RCS, what the sensor can sense).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit


class PathArrays(NamedTuple):
    """Drone flights: drone d's waypoints are ``xy[offsets[d]:offsets[d+1]]`` at times ``t``."""

    offsets: np.ndarray  # (D+1,) int64
    xy: np.ndarray  # (P, 2)
    t: np.ndarray  # (P,)


class CoverageRows(NamedTuple):
    """R rows of (item, drone); row r scans at ``t0[r] + k·period[r]``, k < ``scans[r]``, with
    nodes ``node_xy[node_start[r]:node_start[r+1]]`` and Pd table ``tables[table[r]]`` sampled
    every ``table_step[table[r]]`` metres of ground distance (zero beyond its end)."""

    drone: np.ndarray  # (R,) int64
    t0: np.ndarray  # (R,)
    period: np.ndarray  # (R,)
    scans: np.ndarray  # (R,) int64
    node_start: np.ndarray  # (R+1,) int64
    node_xy: np.ndarray  # (N, 2)
    table: np.ndarray  # (R,) int64
    tables: np.ndarray  # (Tb, G)
    table_step: np.ndarray  # (Tb,)


class Chain(NamedTuple):
    """Transitions of :class:`leapsim.warning.confirmation.ConfirmationChain` as index arrays."""

    hit_to: np.ndarray  # (S,) int64
    miss_to: np.ndarray  # (S,) int64
    confirmed: int


@njit(cache=True)
def _pd_at(tables, step, table, distance):
    g = distance / step[table]
    n = tables.shape[1]
    if g >= n - 1:
        return 0.0
    i = int(g)
    u = g - i
    return tables[table, i] * (1.0 - u) + tables[table, i + 1] * u


@njit(cache=True)
def confirmation_probabilities(paths, rows, chain, stop_at):
    """(R,) probability that row r's item holds a confirmed track on its drone by its last scan
    (a row stops early once it reaches ``stop_at``)."""
    n_rows = rows.drone.shape[0]
    n_states = chain.hit_to.shape[0]
    out = np.zeros(n_rows)
    dist = np.zeros(n_states)
    nxt = np.zeros(n_states)
    for r in range(n_rows):
        d = rows.drone[r]
        a = paths.offsets[d]
        b = paths.offsets[d + 1] - 1
        seg = a
        dist[:] = 0.0
        dist[0] = 1.0
        for k in range(rows.scans[r]):
            t = rows.t0[r] + k * rows.period[r]
            while seg < b - 1 and paths.t[seg + 1] <= t:
                seg += 1
            t_a = paths.t[seg]
            t_b = paths.t[min(seg + 1, b)]
            u = 0.0
            if t_b > t_a:
                u = min(max((t - t_a) / (t_b - t_a), 0.0), 1.0)
            x = paths.xy[seg, 0] + u * (paths.xy[min(seg + 1, b), 0] - paths.xy[seg, 0])
            y = paths.xy[seg, 1] + u * (paths.xy[min(seg + 1, b), 1] - paths.xy[seg, 1])
            miss = 1.0
            for j in range(rows.node_start[r], rows.node_start[r + 1]):
                dx = x - rows.node_xy[j, 0]
                dy = y - rows.node_xy[j, 1]
                miss *= 1.0 - _pd_at(
                    rows.tables, rows.table_step, rows.table[r], np.sqrt(dx * dx + dy * dy)
                )
            p = 1.0 - miss
            nxt[:] = 0.0
            for s in range(n_states):
                nxt[chain.hit_to[s]] += dist[s] * p
                nxt[chain.miss_to[s]] += dist[s] * (1.0 - p)
            dist[:] = nxt
            if dist[chain.confirmed] >= stop_at:
                break
        out[r] = dist[chain.confirmed]
    return out
