"""Sensor networks: the nodes of one network (an acoustic fence) report through a fusion centre,
as one sensor.

In each scan, plots of different nodes of one network that gate with each other (squared
Mahalanobis distance on ``R_i + R_j`` within a χ² threshold) are grouped (transitively) and
each group is merged into one plot: the information-weighted mean ``(Σ R⁻¹)⁻¹ Σ R⁻¹ z`` with
covariance ``(Σ R⁻¹)⁻¹``. By the information form of the Kalman filter, updating a track with
the merged plot equals updating it with each plot in turn (Bar-Shalom, Li & Kirubarajan,
*Estimation with Applications to Tracking and Navigation*, Wiley 2001). A group that holds two
plots of one node is two objects at least: its plots stay apart. A merged plot's source (for
truth association) is that of its most informative plot (smallest det R), which weighs most in
the merged position.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from leapsim.linalg import mahalanobis2
from leapsim.sensing.measurements import Detections


def fuse_networks(detections: Detections, network: np.ndarray, gate: float) -> Detections:
    """The detections with each network's plots reported under the network's sensor id and the
    plots of different nodes that gate with each other merged (see the module docstring).

    ``network`` (S,) is, per sensor, the id its plots are reported under, or −1 for a sensor
    that reports alone. Detections must be sorted by time. Returns them sorted by time, then
    sensor id.
    """
    reported = network[detections.sensor]
    node_rows = np.flatnonzero(reported >= 0)
    alone = detections.select(reported < 0)
    nodes = detections.select(node_rows)
    nodes = Detections(
        time=nodes.time,
        sensor=reported[node_rows],
        position=nodes.position,
        covariance=nodes.covariance,
        target=nodes.target,
    )
    order = np.lexsort((nodes.sensor, nodes.time))
    node_of = detections.sensor[node_rows][order]
    nodes = nodes.select(order)
    group = _merge_groups(nodes.time, nodes.sensor, node_of, nodes.position, nodes.covariance,
                          gate)  # fmt: skip
    merged = group >= 0
    n_groups = int(group.max(initial=-1)) + 1
    info = np.linalg.inv(nodes.covariance[merged])
    info_sum = np.zeros((n_groups, 3, 3))
    info_z = np.zeros((n_groups, 3))
    np.add.at(info_sum, group[merged], info)
    np.add.at(info_z, group[merged], np.einsum("kij,kj->ki", info, nodes.position[merged]))
    cov = np.linalg.inv(info_sum)
    cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
    first = np.full(n_groups, -1, np.int64)
    first[group[merged][::-1]] = np.flatnonzero(merged)[::-1]
    # a merged plot's source: that of its most informative plot (smallest det R)
    rows = np.flatnonzero(merged)
    by_information = rows[np.lexsort((np.linalg.det(nodes.covariance[rows]), group[rows]))]
    leader = by_information[np.r_[True, np.diff(group[by_information]) != 0]]
    source = nodes.target[leader]
    fused = Detections(
        time=nodes.time[first],
        sensor=nodes.sensor[first],
        position=np.einsum("kij,kj->ki", cov, info_z),
        covariance=cov,
        target=source,
    )
    out = Detections.concatenate([alone, nodes.select(~merged), fused])
    return out.select(np.lexsort((out.sensor, out.time)))


@njit(cache=True)
def _merge_groups(
    time: np.ndarray,
    network: np.ndarray,
    node: np.ndarray,
    z: np.ndarray,
    r: np.ndarray,
    gate: float,
) -> np.ndarray:
    """Group label (0, 1, …) of each plot that is merged with others, −1 for one that stays as
    it is. Plots are sorted by time, then network; groups never cross a (time, network)."""
    k = time.size
    parent = np.arange(k)
    s = np.empty((3, 3))
    lower = np.empty((3, 3))
    nu = np.empty(3)
    y = np.empty(3)
    a = 0
    while a < k:
        b = a
        while b < k and time[b] == time[a] and network[b] == network[a]:
            b += 1
        for i in range(a, b):
            for j in range(i + 1, b):
                if node[i] == node[j]:
                    continue
                for u in range(3):
                    nu[u] = z[i, u] - z[j, u]
                    for v in range(3):
                        s[u, v] = r[i, u, v] + r[j, u, v]
                if mahalanobis2(nu, s, lower, y) <= gate:
                    ri, rj = _root(parent, i), _root(parent, j)
                    if ri != rj:
                        parent[max(ri, rj)] = min(ri, rj)
        a = b
    size = np.zeros(k, np.int64)
    for i in range(k):
        size[_root(parent, i)] += 1
    # a group holding two plots of one node stays apart
    valid = size > 1
    a = 0
    while a < k:
        b = a
        while b < k and time[b] == time[a] and network[b] == network[a]:
            b += 1
        for i in range(a, b):
            for j in range(i + 1, b):
                if node[i] == node[j] and _root(parent, i) == _root(parent, j):
                    valid[_root(parent, i)] = False
        a = b
    label = np.full(k, -1, np.int64)
    n_groups = 0
    for i in range(k):
        root = _root(parent, i)
        if valid[root]:
            if label[root] < 0:
                label[root] = n_groups
                n_groups += 1
            label[i] = label[root]
    return label


@njit(cache=True)
def _root(parent: np.ndarray, i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i
