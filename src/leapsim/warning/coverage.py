"""Coverage maps: the single-scan detection probability of a placement's sensors at one altitude
over the region, ``P = 1 − Π_s (1 − Pd_s)`` (independent sensors), with each ``Pd_s`` from
:func:`leapsim.sensing.detection_probability` (radar range equation and Swerling 1, passive
spreading, 4/3-earth horizon, instrumented range). Pd depends only on where the target is
relative to a sensor, so each sensor option is evaluated once, on the offsets of the grid
points within its reach."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from leapsim.sensing import detection_probability
from leapsim.sensing.detection import coverage_radius_m
from leapsim.warning.model import WarningModel
from leapsim.warning.placement import Placement, detectable


@dataclass(frozen=True)
class CoverageGrid:
    """``pd`` (H, W) on the plane grid ``x`` (W,) × ``y`` (H,) (m), at ``altitude_m``."""

    x: np.ndarray
    y: np.ndarray
    pd: np.ndarray
    altitude_m: float
    rcs_m2: float
    emitting: bool


def region_bounds(model: WarningModel, margin_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower-left and upper-right corners (plane m) around the border and the sites."""
    points = np.concatenate([model.border.xy, model.sites.xy])
    return points.min(axis=0) - margin_m, points.max(axis=0) + margin_m


def network_pd(
    placement: Placement, points: np.ndarray, rcs_m2: float, emitting: bool = True
) -> np.ndarray:
    """(N,) single-scan network Pd at ``points`` (N, 3): plane x, y and altitude above ground."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    sensors = placement.sensors
    log_miss = np.zeros(points.shape[0])
    if len(sensors) == 0 or points.shape[0] == 0:
        return np.zeros(points.shape[0])
    tree = cKDTree(points[:, :2])
    for option in np.unique(placement.sensor_option):
        rows = np.flatnonzero(placement.sensor_option == option)
        probe = sensors.subset(rows[:1])
        sees = detectable(probe.kind, np.array([emitting]), np.array([True]))[0, 0]
        if not sees:
            continue
        reach = float(coverage_radius_m(probe, float(points[:, 2].max()))[0])
        hits = tree.query_ball_point(sensors.position[rows, :2], reach, return_sorted=False)
        lens = np.fromiter((len(h) for h in hits), np.int64, len(hits))
        if lens.sum() == 0:
            continue
        point = np.concatenate([np.asarray(h, np.int64) for h in hits if len(h)])
        sensor = np.repeat(rows, lens)
        offset = points[point].copy()
        offset[:, :2] += probe.position[0, :2] - sensors.position[sensor, :2]
        pd = detection_probability(probe, offset, np.full(point.size, rcs_m2))[0]
        np.add.at(log_miss, point, np.log1p(-np.minimum(pd, 1.0 - 1e-15)))
    return 0.0 - np.expm1(log_miss)  # 0.0 - : no negative zero where no sensor reaches


def coverage_grid(
    model: WarningModel,
    placement: Placement,
    altitude_m: float,
    rcs_m2: float,
    spacing_m: float = 2000.0,
    margin_m: float = 50_000.0,
    emitting: bool = True,
) -> CoverageGrid:
    """The network's single-scan Pd on a grid over the region (module notes)."""
    lo, hi = region_bounds(model, margin_m)
    x = np.arange(lo[0], hi[0] + spacing_m / 2, spacing_m)
    y = np.arange(lo[1], hi[1] + spacing_m / 2, spacing_m)
    gx, gy = np.meshgrid(x, y)
    points = np.stack([gx.ravel(), gy.ravel(), np.full(gx.size, float(altitude_m))], axis=-1)
    pd = network_pd(placement, points, rcs_m2, emitting).reshape(gx.shape)
    return CoverageGrid(x, y, pd, float(altitude_m), float(rcs_m2), bool(emitting))
