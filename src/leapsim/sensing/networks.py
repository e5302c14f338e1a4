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
from scipy.special import chdtri

from leapsim.linalg import mahalanobis2
from leapsim.sensing.measurements import Detections

#: Probability mass of the χ² gate (3 dof, ``R_i + R_j``) within which plots of two nodes of a
#: network are taken to be of one object, and the gate itself (squared Mahalanobis distance).
NETWORK_GATE_PROBABILITY = 0.99
NETWORK_GATE = float(chdtri(3, 1.0 - NETWORK_GATE_PROBABILITY))


def fuse_networks(
    detections: Detections, network: np.ndarray, gate: float = NETWORK_GATE
) -> Detections:
    """The detections with each network's plots reported under the network's sensor id and the
    plots of different nodes that gate with each other merged (see the module docstring).

    ``network`` (S,) is, per sensor, the id its plots are reported under, or −1 for a sensor
    that reports alone. Detections must be sorted by time. Returns them sorted by time, then
    sensor id.
    """
    reported = np.where(network[detections.sensor] >= 0, network[detections.sensor],
                        detections.sensor)  # fmt: skip
    nodes = np.flatnonzero(network[detections.sensor] >= 0)
    nodes = nodes[np.lexsort((reported[nodes], detections.time[nodes]))]
    group = _merge_groups(
        detections.time[nodes],
        reported[nodes],
        detections.sensor[nodes],
        detections.position[nodes],
        detections.covariance[nodes],
        gate,
    )
    merged, group = nodes[group >= 0], group[group >= 0]
    n_groups = int(group.max(initial=-1)) + 1
    info = np.linalg.inv(detections.covariance[merged])
    info_sum = np.zeros((n_groups, 3, 3))
    info_z = np.zeros((n_groups, 3))
    np.add.at(info_sum, group, info)
    np.add.at(info_z, group, np.einsum("kij,kj->ki", info, detections.position[merged]))
    cov = np.linalg.inv(info_sum)
    cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
    # a merged plot's source: that of its most informative plot (smallest det R)
    by_information = np.lexsort((np.linalg.det(detections.covariance[merged]), group))
    leader = merged[by_information[np.diff(group[by_information], prepend=-1) != 0]]
    alone = np.ones(len(detections), bool)
    alone[merged] = False
    alone = np.flatnonzero(alone)
    time = np.concatenate([detections.time[alone], detections.time[leader]])
    sensor = np.concatenate([reported[alone], reported[leader]])
    order = np.lexsort((sensor, time))
    n_alone = alone.size
    out_position = np.empty((order.size, 3))
    out_covariance = np.empty((order.size, 3, 3))
    out_target = np.empty(order.size, np.int64)
    single, fused = order < n_alone, order >= n_alone
    rows = alone[order[single]]
    out_position[single] = detections.position[rows]
    out_covariance[single] = detections.covariance[rows]
    out_target[single] = detections.target[rows]
    k = order[fused] - n_alone
    out_position[fused] = np.einsum("kij,kj->ki", cov[k], info_z[k])
    out_covariance[fused] = cov[k]
    out_target[fused] = detections.target[leader[k]]
    return Detections(time[order], sensor[order], out_position, out_covariance, out_target)


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
    # blocks of one (time, network): [block[q], block[q + 1])
    block = np.empty(k + 1, np.int64)
    n_blocks = 0
    for i in range(k):
        if i == 0 or time[i] != time[i - 1] or network[i] != network[i - 1]:
            block[n_blocks] = i
            n_blocks += 1
    block[n_blocks] = k
    for q in range(n_blocks):
        a, b = block[q], block[q + 1]
        for i in range(a, b):
            for j in range(i + 1, b):
                if node[i] == node[j]:
                    continue
                for u in range(3):
                    nu[u] = z[i, u] - z[j, u]
                    for v in range(3):
                        s[u, v] = r[i, u, v] + r[j, u, v]
                if mahalanobis2(nu, s, lower, y, (0, 1, 2)) <= gate:
                    ri, rj = _root(parent, i), _root(parent, j)
                    if ri != rj:
                        parent[max(ri, rj)] = min(ri, rj)
    size = np.zeros(k, np.int64)
    for i in range(k):
        size[_root(parent, i)] += 1
    # a group holding two plots of one node stays apart
    valid = size > 1
    for q in range(n_blocks):
        a, b = block[q], block[q + 1]
        for i in range(a, b):
            for j in range(i + 1, b):
                if node[i] == node[j] and _root(parent, i) == _root(parent, j):
                    valid[_root(parent, i)] = False
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
