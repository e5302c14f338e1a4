"""Per-run draws of one night's raid and the geometry the time loop needs.

``draw_raid`` samples launch times, launch points and targets; ``engagement_windows`` and
``detection_times`` precompute, from the fixed flight paths, when each fire unit can reach each
threat and when sensors first detect it — so the time loop only visits epochs where something can
happen.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import NamedTuple

import numpy as np

from leapsim.engine.kinematics import Paths, build_paths, disc_windows, position_at_arc
from leapsim.engine.params import FAMILY_CODE, NightParams
from leapsim.sensing.detection import coverage_radius_m, first_detection_time
from leapsim.sensing.scan import detection_probability
from leapsim.sensing.sensors import SensorArrays

BALLISTIC = FAMILY_CODE["ballistic_missile"]
DETECTION_SAMPLES = 16


@dataclass(frozen=True)
class RaidDraw:
    """N targets of one night (one run): the real threats, then ``n_false`` false tracks
    (tracked sensing only; see :mod:`leapsim.engine.tracked`)."""

    type: np.ndarray  # (N,) threat type index (the perceived type for a false track)
    family: np.ndarray  # (N,) family code
    target: np.ndarray  # (N,) site index
    paths: Paths
    launched: np.ndarray  # (N,) bool: launch time within the night
    n_false: int = 0

    @property
    def n(self) -> int:
        return int(self.type.size)

    @property
    def n_real(self) -> int:
        return self.n - self.n_false


def draw_raid(params: NightParams, rng: np.random.Generator) -> RaidDraw:
    """Sample the night's threats raid by raid: uniform launch times over each raid's spread,
    Gaussian launch positions about its launch point, targets by the raid's site weights."""
    raids = params.raids
    raid_of = np.repeat(np.arange(raids.count.size), raids.count)
    n = raid_of.size
    launch_s = raids.start_s[raid_of] + rng.random(n) * raids.spread_s[raid_of]
    launch_xy = (
        raids.launch_xy[raid_of]
        + rng.standard_normal((n, 2)) * raids.launch_spread_m[raid_of, None]
    )
    return _raid(params, raid_of, launch_s, launch_xy, rng.random(n))


def expected_raid(params: NightParams) -> RaidDraw:
    """The scenario's raid as planned, with no draw: each raid's launches evenly spread over its
    interval (at the quantiles ``(i + ½)/n``), from its launch point, and its targets in the
    proportions of its site weights, interleaved in time (a golden-ratio sequence). What a
    defence can expect before the night, for the ``lookahead`` policy's round prices."""
    raids = params.raids
    counts = raids.count
    raid_of = np.repeat(np.arange(counts.size), counts)
    index = np.arange(raid_of.size) - np.repeat(np.cumsum(counts) - counts, counts)
    launch_s = raids.start_s[raid_of] + (index + 0.5) / counts[raid_of] * raids.spread_s[raid_of]
    target_u = ((index + 0.5) * _GOLDEN) % 1.0
    return _raid(params, raid_of, launch_s, raids.launch_xy[raid_of], target_u)


_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def _raid(
    params: NightParams,
    raid_of: np.ndarray,
    launch_s: np.ndarray,
    launch_xy: np.ndarray,
    target_u: np.ndarray,
) -> RaidDraw:
    """The raid with these launches; ``target_u`` in [0, 1) picks each target by its raid's
    cumulative site weights."""
    raids, tt = params.raids, params.threat_types
    cumulative = np.cumsum(raids.target_weights, axis=1)
    target = (cumulative[raid_of] <= target_u[:, None]).sum(axis=1)
    target = np.minimum(target, raids.target_weights.shape[1] - 1)
    ttype = raids.threat_type[raid_of]
    family = tt.family[ttype]
    paths = build_paths(
        launch_xy=launch_xy,
        waypoints_xy=raids.waypoints_xy[raid_of],
        n_waypoints=raids.n_waypoints[raid_of],
        target_xy=params.site_xy[target],
        speed_mps=tt.speed_mps[ttype],
        launch_s=launch_s,
        altitude_m=tt.altitude_m[ttype],
        ballistic=family == BALLISTIC,
    )
    return RaidDraw(ttype, family, target, paths, launch_s <= params.duration_s)


class EngagementWindows(NamedTuple):
    """Fire-unit/threat pairs whose path crosses the unit's maximum range, sorted by entry time
    (a named tuple: the compiled loop takes it as it is)."""

    unit: np.ndarray
    threat: np.ndarray
    t_in: np.ndarray
    t_out: np.ndarray


def engagement_windows(params: NightParams, raid: RaidDraw) -> EngagementWindows:
    """Time windows in which each threat is within each fire unit's horizontal maximum range.

    Pairs are dropped where the effector has no Pk against the threat's family or where a cruise
    threat flies outside the effector's altitude band; minimum range and the ballistic altitude
    profile are checked in the time loop.
    """
    et = params.effector_types
    if params.unit_type.size == 0 or raid.n == 0:
        empty = np.empty(0, np.int64)
        return EngagementWindows(empty, empty, np.empty(0), np.empty(0))
    etype = params.unit_type
    s_in, s_out = disc_windows(raid.paths, params.unit_xy, et.max_range_m[etype])
    alt = raid.paths.altitude_m[None, :]
    in_band = (alt >= et.min_altitude_m[etype, None]) & (alt <= et.max_altitude_m[etype, None])
    in_band |= raid.paths.ballistic[None, :]
    can_kill = et.pk[etype][:, raid.family] > 0
    ok = ~np.isnan(s_in) & in_band & can_kill & raid.launched[None, :]
    unit, threat = np.nonzero(ok)
    t_in = raid.paths.time_at(threat, s_in[unit, threat])
    t_out = raid.paths.time_at(threat, s_out[unit, threat])
    order = np.argsort(t_in, kind="stable")
    return EngagementWindows(unit[order], threat[order], t_in[order], t_out[order])


def sensor_subset(sensors: SensorArrays, index: np.ndarray) -> SensorArrays:
    """The sensors at ``index`` (used to evaluate one sensor against its own pairs)."""
    return replace(sensors, **{f.name: getattr(sensors, f.name)[index] for f in fields(sensors)})


def detection_times(params: NightParams, raid: RaidDraw, rng: np.random.Generator) -> np.ndarray:
    """(N,) time each threat is first detected by any sensor (inf if never).

    For every (sensor, threat) pair whose path crosses the sensor's coverage, the single-scan Pd
    is sampled at :data:`DETECTION_SAMPLES` points of the window and the first detection drawn from
    the piecewise-constant hazard (:func:`leapsim.sensing.detection.first_detection_time`).
    """
    sensors = params.sensors
    out = np.full(raid.n, np.inf)
    if len(sensors) == 0 or raid.n == 0:
        return out
    paths = raid.paths
    # coverage at cruise altitude (apogee for ballistic missiles: the widest it gets)
    heights, which = np.unique(paths.altitude_m, return_inverse=True)
    radius = np.stack([coverage_radius_m(sensors, h) for h in heights])[which].T  # (S, N)
    s_in, s_out = disc_windows(paths, sensors.position[:, :2], radius)
    ok = ~np.isnan(s_in) & raid.launched[None, :]
    sensor, threat = np.nonzero(ok)
    if sensor.size == 0:
        return out
    frac = np.linspace(0.0, 1.0, DETECTION_SAMPLES)
    arc = s_in[sensor, threat, None] + frac[None, :] * (s_out - s_in)[sensor, threat, None]
    sample_t = paths.time_at(threat[:, None], arc)
    # the model is translation invariant: evaluate each sensor type once, positions relative
    pd = np.zeros_like(arc)
    sensor_params = np.column_stack(
        [sensors.kind, sensors.detection_range_m, sensors.reference_rcs_m2,
         sensors.antenna_height_m, sensors.pfa]
    )  # fmt: skip
    kinds = np.unique(sensor_params, axis=0, return_inverse=True)[1].ravel()
    for group in np.unique(kinds):
        rows = np.flatnonzero(kinds[sensor] == group)
        if rows.size == 0:
            continue
        k = np.repeat(threat[rows], DETECTION_SAMPLES)
        xyz = position_at_arc(paths, k, arc[rows].ravel())
        xyz[:, :2] -= np.repeat(sensors.position[sensor[rows], :2], DETECTION_SAMPLES, axis=0)
        reference = sensor_subset(sensors, np.flatnonzero(kinds == group)[:1])
        reference = replace(reference, position=np.zeros((1, 3)))
        rcs = params.threat_types.rcs_m2[raid.type[k]]
        pd[rows] = detection_probability(reference, xyz, rcs)[0].reshape(rows.size, -1)
    first = first_detection_time(sample_t, pd, sensors.scan_period_s[sensor], rng)
    np.minimum.at(out, threat, first)
    return out
