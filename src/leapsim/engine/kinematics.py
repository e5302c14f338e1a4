"""Threat flight paths: straight legs from launch via waypoints to the target at constant speed.

Cruise threats fly at their cruise altitude; ballistic missiles follow a parabolic height profile
``h(s) = 4·H·(s/L)·(1 − s/L)`` with apogee ``H`` over the ground track of length ``L``.
:func:`position` is the one path-position function: the compiled loop calls it per threat, and
:func:`position_at_arc` runs it over arrays of threats.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit


class Paths(NamedTuple):
    """N polylines with P points each (padded by repeating the last point); a named tuple so
    that the compiled loop takes it as it is."""

    points: np.ndarray  # (N, P, 2) m
    cumulative_m: np.ndarray  # (N, P) arc length at each point
    length_m: np.ndarray  # (N,)
    speed_mps: np.ndarray  # (N,)
    launch_s: np.ndarray  # (N,)
    altitude_m: np.ndarray  # (N,) cruise altitude or apogee
    ballistic: np.ndarray  # (N,) bool

    @property
    def arrival_s(self) -> np.ndarray:
        return self.launch_s + self.length_m / self.speed_mps

    def time_at(self, threat: np.ndarray, arc_m: np.ndarray) -> np.ndarray:
        return self.launch_s[threat] + arc_m / self.speed_mps[threat]


def build_paths(
    launch_xy: np.ndarray,
    waypoints_xy: np.ndarray,
    n_waypoints: np.ndarray,
    target_xy: np.ndarray,
    speed_mps: np.ndarray,
    launch_s: np.ndarray,
    altitude_m: np.ndarray,
    ballistic: np.ndarray,
) -> Paths:
    """Assemble polylines launch → waypoints → target; unused waypoint slots repeat the target."""
    n, w = waypoints_xy.shape[0], waypoints_xy.shape[1]
    points = np.empty((n, w + 2, 2))
    points[:, 0] = launch_xy
    points[:, 1 : w + 1] = waypoints_xy
    slot = np.arange(w)[None, :]
    unused = slot >= n_waypoints[:, None]
    points[:, 1 : w + 1][unused] = np.repeat(target_xy[:, None, :], w, axis=1)[unused]
    points[:, w + 1] = target_xy
    # ballistic missiles fly straight at the target
    points[ballistic, 1 : w + 1] = target_xy[ballistic, None, :]
    seg = np.linalg.norm(np.diff(points, axis=1), axis=2)
    cumulative = np.concatenate([np.zeros((n, 1)), np.cumsum(seg, axis=1)], axis=1)
    return Paths(
        points=points,
        cumulative_m=cumulative,
        length_m=np.maximum(cumulative[:, -1], 1.0),
        speed_mps=speed_mps,
        launch_s=launch_s,
        altitude_m=altitude_m,
        ballistic=ballistic,
    )


@njit(cache=True, inline="always")
def position(points, cumulative, length_m, altitude_m, ballistic, k, arc):
    """Position (east, north, height) of threat ``k`` at arc length ``arc`` along its path
    (clamped to the path: at launch before it, at the target after it), from the arrays of
    :class:`Paths`. It takes the arrays, not the named tuple, because numba reference-counts
    every array it takes out of a structure on every call, and callers loop over threats."""
    length = length_m[k]
    s = min(max(arc, 0.0), length)
    n_seg = cumulative.shape[1] - 1
    seg = 0
    while seg < n_seg - 1 and cumulative[k, seg + 1] < s:
        seg += 1
    seg_len = cumulative[k, seg + 1] - cumulative[k, seg]
    frac = (s - cumulative[k, seg]) / seg_len if seg_len > 0 else 0.0
    x = points[k, seg, 0] + frac * (points[k, seg + 1, 0] - points[k, seg, 0])
    y = points[k, seg, 1] + frac * (points[k, seg + 1, 1] - points[k, seg, 1])
    if ballistic[k]:
        u = s / length
        z = 4.0 * altitude_m[k] * u * (1.0 - u)
    else:
        z = altitude_m[k]
    return x, y, z


@njit(cache=True)
def _positions(paths: Paths, threat: np.ndarray, arc_m: np.ndarray, out: np.ndarray) -> None:
    points, cumulative, length = paths.points, paths.cumulative_m, paths.length_m
    altitude, ballistic = paths.altitude_m, paths.ballistic
    for i in range(threat.size):
        out[i, 0], out[i, 1], out[i, 2] = position(
            points, cumulative, length, altitude, ballistic, threat[i], arc_m[i]
        )


def position_at_arc(paths: Paths, threat: np.ndarray, arc_m: np.ndarray) -> np.ndarray:
    """(len(threat), 3) positions (east, north, height) at arc lengths along each threat's path."""
    threat = np.ascontiguousarray(threat, np.int64).reshape(-1)
    arc = np.ascontiguousarray(np.broadcast_to(np.asarray(arc_m, float), threat.shape))
    out = np.empty((threat.size, 3))
    _positions(paths, threat, arc, out)
    return out


def position_at_time(paths: Paths, threat: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """Positions of the given threats at time(s) t (held at launch before it, at target after)."""
    arc = (np.asarray(t, float) - paths.launch_s[threat]) * paths.speed_mps[threat]
    return position_at_arc(paths, threat, arc)


def disc_windows(
    paths: Paths, centers_xy: np.ndarray, radii_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Arc-length interval of each threat's path inside each horizontal disc.

    ``radii_m`` is (Q,) or (Q, N) (a radius per disc and threat). Returns ``(s_in, s_out)``, each
    (Q, N): the first entry and last exit arc length of threat n in disc q (NaN where the path
    never enters). Solves ``|p0 + σ(p1 − p0) − c|² = R²`` per leg.
    """
    p0 = paths.points[None, :, :-1, :]  # (1, N, L, 2)
    d = np.diff(paths.points, axis=1)[None]  # (1, N, L, 2)
    f = p0 - centers_xy[:, None, None, :]  # (Q, N, L, 2)
    a = (d * d).sum(-1)
    b = 2.0 * (f * d).sum(-1)
    radii = np.broadcast_to(
        np.asarray(radii_m, float).reshape(len(centers_xy), -1),
        (len(centers_xy), paths.points.shape[0]),
    )
    c = (f * f).sum(-1) - radii[:, :, None] ** 2
    disc = b * b - 4.0 * a * c
    with np.errstate(invalid="ignore", divide="ignore"):
        root = np.sqrt(np.maximum(disc, 0.0))
        s1 = (-b - root) / (2.0 * a)
        s2 = (-b + root) / (2.0 * a)
    moving = a > 0
    # a zero-length leg is inside iff its point is inside
    s1 = np.where(moving, s1, np.where(c <= 0, 0.0, np.inf))
    s2 = np.where(moving, s2, np.where(c <= 0, 1.0, -np.inf))
    hit = (disc >= 0) & (s1 <= 1.0) & (s2 >= 0.0) | (~moving & (c <= 0))
    seg_len = np.diff(paths.cumulative_m, axis=1)[None]
    start = paths.cumulative_m[None, :, :-1]
    enter = start + np.clip(s1, 0.0, 1.0) * seg_len
    leave = start + np.clip(s2, 0.0, 1.0) * seg_len
    s_in = np.where(hit, enter, np.inf).min(axis=2)
    s_out = np.where(hit, leave, -np.inf).max(axis=2)
    none = ~hit.any(axis=2)
    s_in[none] = np.nan
    s_out[none] = np.nan
    return s_in, s_out
