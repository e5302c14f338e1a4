"""Tracked sensing (``sensing.mode: tracked``): the fire control engages tracks, not threats.

Flight paths are fixed once drawn (threats do not react to the defence), so the night's scans and
tracking run as a pre-pass before the engagement loop:

1. **Scans**, one per sensor and engine time step: at ``t = j·Δt`` (``time_step_s``) every sensor
   that completes a scan in ``(t − Δt, t]`` reports one scan taken at ``t`` — detections with
   Pd, spherical noise and Poisson false alarms (:func:`leapsim.sensing.scan.sample_scans`,
   all scans of the night in one vectorised draw); a sensor that scans faster than the step
   reports once per step. Only what can matter for an engagement is simulated: a threat is
   observed from ``lead_s`` before its first engagement window opens until its last one closes,
   false alarms are kept inside the fire units' maximum ranges plus :data:`REGION_MARGIN_M`, and
   steps run only while some threat is observed (a gap ends every track).
2. **Networks**: the nodes of one placement that puts several sensors (an acoustic fence) report
   through their network's fusion centre, as one sensor
   (:func:`leapsim.sensing.networks.fuse_networks`, its χ² gate of probability
   ``NETWORK_GATE_PROBABILITY``).
3. **Tracking**: :func:`leapsim.tracking.run_tracker` over each stretch of consecutive steps
   (the same compiled tracker as ``leapsim track``), one tracker step per time step fusing all
   scans by sequential per-sensor updates (IMM constant velocity, χ² gating, GNN assignment,
   M-of-N confirmation, deletion rules). The engine sets the tracker's parameters for the
   night (:func:`tracker_params`): a scan counts as a miss only for tracks within the range at
   which that sensor detects the raid's typical threat (median RCS and altitude) with
   single-scan Pd 0.9 — farther out a sensor may still detect, but its silence says little; a
   network's silence never counts (its nodes' hearing varies too much to deny a track). New
   tracks start with a velocity spread of half the fastest threat's speed so that fast threats
   can be initiated. As no sensor denies a track outside every sensor's miss range, a track also
   ends when its RMS position σ exceeds :func:`max_position_sigma_m`, and a tentative track that
   is not confirmed within ``confirm_n`` scans of the slowest sensor.
4. **Truth association**: the tracker reports which detection started and which updated each
   track, and every detection carries its origin (the threat, or −1 for a false alarm; for a
   network's merged plot, the origin of its most informative plot). A track that false alarms
   made most of is a **false track**; any other belongs to the threat that made most of its
   detections (in a dense raid a track may take detections of several threats in turn; its
   error is then measured from that one threat).
5. **What the loop needs**, per target (real threats first, then false tracks): the steps at which
   a confirmed track of it exists and the 3-D position error of its best track there (CSR arrays
   the compiled loop searches); the first such step replaces detection mode's detection time.
   The loop multiplies an engagement's Pk by ``exp(−½ (e / b)²)`` for that error ``e`` and the
   effector's ``acquisition_basket_m`` ``b`` — a planning model of a seeker or fire-control
   sensor that acquires a target cued ``e`` off with a Gaussian roll-off (probability e^−½ at
   ``e = b``); open sources give no acquisition curves, so the baskets are estimates.
   False tracks become extra targets: a straight constant-velocity path fitted by least squares
   to the track's estimates from confirmation to deletion, perceived as the raid's most common
   drone type, heading for the site nearest its last position; they cannot be killed and never
   leak.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leapsim.engine.kinematics import Paths, position_at_time
from leapsim.engine.params import FAMILY_CODE, NightParams
from leapsim.engine.raid import RaidDraw, engagement_windows
from leapsim.sensing.detection import coverage_radius_m
from leapsim.sensing.measurements import Detections
from leapsim.sensing.networks import fuse_networks
from leapsim.sensing.scan import sample_scans
from leapsim.sensing.sensors import RADAR
from leapsim.tracking import SensorCoverage, TrackerParams, run_tracker
from leapsim.tracking.management import deletion_sigma_m

#: A threat is observed from this long (s) before its first engagement window opens, or
#: :data:`LEAD_SCANS` scans of the slowest sensor if that is longer: enough for M-of-N
#: confirmation and for the filter to settle before the first shot.
MIN_LEAD_S = 60.0
LEAD_SCANS = 6
#: False alarms farther than this beyond every fire unit's maximum range are dropped (m).
REGION_MARGIN_M = 5000.0
#: New tracks start with a per-axis velocity σ of this fraction of the fastest threat's speed
#: (at least :data:`MIN_INITIAL_SPEED_SIGMA_MPS`), so the second detection of a fast threat
#: falls inside the initiation gate.
INITIAL_SPEED_FRACTION = 0.5
MIN_INITIAL_SPEED_SIGMA_MPS = 50.0
DRONE = FAMILY_CODE["drone"]


@dataclass(frozen=True)
class TrackPicture:
    """What the fire control holds, per target (N real threats, then F false tracks); the loop
    reads a target's error at a time with :func:`leapsim.engine.epoch_kernel.held_error`."""

    held_ptr: np.ndarray  # (N + F + 1,) int64: target k's entries are [held_ptr[k], held_ptr[k+1])
    held_s: np.ndarray  # step times at which a confirmed track of the target exists, sorted
    error_m: np.ndarray  # 3-D position error of its best track then (0 for false tracks)
    first_held_s: np.ndarray  # (N + F,) first such time, inf if never
    step_s: float
    n_false: int
    confirmed_tracks: int  # distinct confirmed tracks of the night, real and false


@dataclass(frozen=True)
class NightScans:
    """The night's scans as the tracker sees them: detections (networks fused, far false alarms
    dropped) sorted by time and sensor, and the step times, one stretch of consecutive steps
    per entry of ``stretches`` (the tracker starts afresh on each)."""

    detections: Detections
    step_s: np.ndarray  # (J,) step times
    stretches: list[np.ndarray]  # step times of each stretch of consecutive steps


def tracker_params(params: NightParams, raid: RaidDraw) -> TrackerParams:
    """The tracker settings the engine uses for a night (library defaults otherwise)."""
    fastest = float(params.threat_types.speed_mps.max(initial=0.0))
    speed_sigma = max(MIN_INITIAL_SPEED_SIGMA_MPS, INITIAL_SPEED_FRACTION * fastest)
    slowest = max(params.time_step_s, float(params.sensors.scan_period_s.max(initial=0.0)))
    defaults = TrackerParams()
    antenna = params.sensors.antenna_position
    reach = miss_range_m(params, raid)
    return TrackerParams(
        dim=3,
        initial_speed_sigma_mps=speed_sigma,
        max_position_sigma_m=deletion_sigma_m(
            speed_sigma, float(params.sensors.scan_period_s.max(initial=0.0))
        ),
        max_tentative_age_s=defaults.confirm_n * slowest,
        coverage=tuple(
            SensorCoverage(position_m=tuple(a), miss_range_m=float(r))
            for a, r in zip(antenna.tolist(), reach.tolist(), strict=True)
        ),
    )


def miss_range_m(params: NightParams, raid: RaidDraw) -> np.ndarray:
    """(S,) range within which a sensor's scan counts as a miss for a track it does not update:
    where it detects the raid's median-RCS threat at its median altitude with single-scan Pd
    0.9 (``REFERENCE_PD``) — the detection range, scaled for radars by
    ``(σ/σ_ref)^¼`` (radar range equation) — within the horizon and the instrumented range."""
    sensors = params.sensors
    if raid.n == 0:
        return sensors.max_range_m.copy()
    rcs = float(np.median(params.threat_types.rcs_m2[raid.type]))
    scale = np.where(sensors.kind == RADAR, (rcs / sensors.reference_rcs_m2) ** 0.25, 1.0)
    reach = sensors.detection_range_m * scale
    reach = np.minimum(reach, coverage_radius_m(sensors, float(np.median(raid.paths.altitude_m))))
    return np.where(network_ids(params) >= 0, 0.0, reach)


def network_ids(params: NightParams) -> np.ndarray:
    """(S,) the sensor id a network node reports under (its placement's first node's index),
    −1 for a sensor that is no node of a network (a placement of several sensors)."""
    _, first, inverse, counts = np.unique(
        params.sensor_placement, return_index=True, return_inverse=True, return_counts=True
    )
    return np.where(counts[inverse] > 1, first[inverse], -1).astype(np.int64)


def track_night(
    params: NightParams, raid: RaidDraw, rng: np.random.Generator
) -> tuple[RaidDraw, TrackPicture]:
    """Scan and track one night's threats; return the raid with false tracks appended and the
    picture the loop engages from (see the module docstring for the model)."""
    scans = scan_night(params, raid, rng)
    rows, n_tracks = _track(params, raid, scans)
    return _picture(params, raid, rows, n_tracks, params.time_step_s)


def _observation_windows(params: NightParams, raid: RaidDraw) -> tuple[np.ndarray, np.ndarray]:
    """(N,) interval in which each threat is observed: from the lead time before its first
    engagement window to the end of its last; empty (inf, −inf) for a threat nobody can engage."""
    windows = engagement_windows(params, raid)
    start = np.full(raid.n, np.inf)
    end = np.full(raid.n, -np.inf)
    np.minimum.at(start, windows.threat, windows.t_in)
    np.maximum.at(end, windows.threat, windows.t_out)
    scan_max = float(params.sensors.scan_period_s.max(initial=0.0))
    lead = max(MIN_LEAD_S, LEAD_SCANS * scan_max)
    return np.maximum(start - lead, raid.paths.launch_s), end


def _step_indices(start: np.ndarray, end: np.ndarray, dt: float, duration: float) -> np.ndarray:
    """Sorted step indices j (time j·dt ≤ duration) inside some threat's observation window."""
    n_steps = int(np.floor(duration / dt + 1e-9))
    ok = np.isfinite(start) & (start <= end)
    lo = np.clip(np.ceil(start[ok] / dt - 1e-9).astype(np.int64), 0, n_steps + 1)
    hi = np.clip(np.floor(end[ok] / dt + 1e-9).astype(np.int64), -1, n_steps)
    keep = lo <= hi
    cover = np.zeros(n_steps + 2, np.int64)
    np.add.at(cover, lo[keep], 1)
    np.add.at(cover, hi[keep] + 1, -1)
    return np.flatnonzero(np.cumsum(cover)[: n_steps + 1] > 0)


def _in_region(params: NightParams, position: np.ndarray) -> np.ndarray:
    """(K,) True where a point is within some fire unit's maximum range plus the margin."""
    reach = params.effector_types.max_range_m[params.unit_type] + REGION_MARGIN_M
    offset = position[:, None, :2] - params.unit_xy[None, :, :]
    return (np.einsum("kuj,kuj->ku", offset, offset) <= reach[None, :] ** 2).any(axis=1)


def scan_night(params: NightParams, raid: RaidDraw, rng: np.random.Generator) -> NightScans:
    """Every scan of the night (see the module docstring, steps 1 and 2)."""
    sensors, dt = params.sensors, params.time_step_s
    start, end = _observation_windows(params, raid)
    steps = _step_indices(start, end, dt, params.duration_s)
    times = steps * dt
    # (step, threat) pairs of the threats observed at each step, by step then threat
    first = np.searchsorted(times, start, side="left")
    last = np.searchsorted(times, end, side="right")
    count = np.maximum(last - first, 0)
    threat = np.repeat(np.arange(raid.n), count)
    step = np.repeat(first - np.cumsum(count) + count, count) + np.arange(count.sum())
    order = np.lexsort((threat, step))
    step, threat = step[order], threat[order]
    ptr = np.searchsorted(step, np.arange(times.size + 1))
    position = position_at_time(raid.paths, threat, times[step])
    period = sensors.scan_period_s
    due = np.floor(times[:, None] / period + 1e-9) > np.floor((times[:, None] - dt) / period + 1e-9)
    rcs = params.threat_types.rcs_m2[raid.type[threat]]
    detections = sample_scans(sensors, times, due, ptr, position, rcs, threat, rng)
    keep = detections.target >= 0
    if not keep.all():
        keep[~keep] = _in_region(params, detections.position[~keep])
        detections = detections.select(keep)
    network = network_ids(params)
    if np.any(network >= 0):
        detections = fuse_networks(detections, network)
    breaks = np.flatnonzero(np.diff(steps) != 1) + 1
    return NightScans(detections, times, np.split(times, breaks) if times.size else [])


def _track(
    params: NightParams, raid: RaidDraw, scans: NightScans
) -> tuple[dict[str, np.ndarray], int]:
    """Track each stretch of steps afresh; return one row per (step, confirmed track):
    ``time``, ``track`` id (unique over the night), estimated ``position`` (R, 3) and the
    ``owner`` threat of its track (−1: a false track); and the number of tracks started."""
    tparams = tracker_params(params, raid)
    dets = scans.detections
    parts: dict[str, list[np.ndarray]] = {"time": [], "track": [], "position": [], "owner": []}
    offset = 0
    for times in scans.stretches:
        a = int(np.searchsorted(dets.time, times[0], side="left"))
        b = int(np.searchsorted(dets.time, times[-1], side="right"))
        stretch = dets.select(slice(a, b))
        table = run_tracker(stretch, tparams, times, with_covariance=False)
        assoc = table.associations
        owner = track_owners(table.n_started, assoc.track_id, stretch.target[assoc.detection])
        parts["time"].append(table.time)
        parts["track"].append(table.track_id + offset)
        parts["position"].append(table.state[:, :3])
        parts["owner"].append(owner[table.track_id])
        offset += table.n_started
    if not parts["time"]:
        empty = {"time": np.zeros(0), "track": np.zeros(0, np.int64),
                 "position": np.zeros((0, 3)), "owner": np.zeros(0, np.int64)}  # fmt: skip
        return empty, offset
    return {k: np.concatenate(v) for k, v in parts.items()}, offset


def track_owners(n_tracks: int, track: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """(n_tracks,) the threat each track belongs to, from ``track`` and ``origin`` per
    association (the detection that started it and every update; origin −1 for a false alarm
    or unknown): −1 (a false track) when false alarms made most of its detections, else the
    threat that made most of them (ties: the lowest index)."""
    detections = np.bincount(track, minlength=n_tracks)
    real = origin >= 0
    owner = np.full(n_tracks, -1, np.int64)
    if not real.any():
        return owner
    span = int(origin.max()) + 1
    pairs, counts = np.unique(track[real] * span + origin[real], return_counts=True)
    tracks = pairs // span
    by_count = np.lexsort((pairs % span, -counts, tracks))  # per track, most frequent first
    first = by_count[np.r_[True, np.diff(tracks[by_count]) != 0]]
    owner[tracks[first]] = pairs[first] % span
    owner[np.bincount(track[real], minlength=n_tracks) * 2 <= detections] = -1
    return owner


def _picture(
    params: NightParams, raid: RaidDraw, rows: dict[str, np.ndarray], n_tracks: int, dt: float
) -> tuple[RaidDraw, TrackPicture]:
    """Turn the tracker's rows (track ids 0 … ``n_tracks`` − 1) into the held steps and errors
    per target, and the raid with the false tracks appended."""
    n = raid.n
    row_track, row_owner = rows["track"], rows["owner"]
    confirmed = np.zeros(n_tracks, bool)
    confirmed[row_track] = True
    owner = np.full(n_tracks, -1, np.int64)
    owner[row_track] = row_owner
    real = row_owner >= 0
    k, t = row_owner[real], rows["time"][real]
    error = np.linalg.norm(rows["position"][real] - position_at_time(raid.paths, k, t), axis=1)

    false_tracks = np.flatnonzero(confirmed & (owner < 0))
    fit = _fit_false_tracks(rows, false_tracks, dt)
    rank = np.full(n_tracks, -1, np.int64)
    rank[false_tracks] = np.arange(false_tracks.size)
    rows_false = rank[row_track] >= 0
    target = np.concatenate([k, n + rank[row_track[rows_false]]])
    time = np.concatenate([t, rows["time"][rows_false]])
    err = np.concatenate([error, np.zeros(int(rows_false.sum()))])
    # one entry per (target, step): the best track's error (rows come in time order)
    order = np.argsort(target, kind="stable")
    target, time, err = target[order], time[order], err[order]
    boundary = np.ones(target.size, bool)
    boundary[1:] = (np.diff(target) != 0) | (np.diff(time) != 0)
    start = np.flatnonzero(boundary)
    err = np.minimum.reduceat(err, start) if start.size else err
    target, time = target[start], time[start]
    n_targets = n + false_tracks.size
    ptr = np.zeros(n_targets + 1, np.int64)
    ptr[1:] = np.cumsum(np.bincount(target, minlength=n_targets))
    first_held = np.full(n_targets, np.inf)
    first_held[target[::-1]] = time[::-1]
    picture = TrackPicture(
        held_ptr=ptr,
        held_s=time,
        error_m=err,
        first_held_s=first_held,
        step_s=dt,
        n_false=int(false_tracks.size),
        confirmed_tracks=int(confirmed.sum()),
    )
    return _append_false_tracks(params, raid, *fit), picture


def _fit_false_tracks(
    rows: dict[str, np.ndarray], false_tracks: np.ndarray, dt: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares constant-velocity fit of each false track's estimates.

    Returns (F,) first confirmed time, (F,) deletion time (one step after its last), and (F, 3)
    fitted positions at those two times.
    """
    f = false_tracks.size
    if f == 0:
        return np.zeros(0), np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3))
    sel = np.isin(rows["track"], false_tracks)
    g = np.searchsorted(false_tracks, rows["track"][sel])
    t, p = rows["time"][sel], rows["position"][sel]
    count = np.bincount(g, minlength=f).astype(float)
    t_mean = np.bincount(g, weights=t, minlength=f) / np.maximum(count, 1.0)
    p_mean = np.stack([np.bincount(g, weights=p[:, i], minlength=f) for i in range(3)], 1)
    p_mean /= np.maximum(count, 1.0)[:, None]
    dtm = t - t_mean[g]
    sxx = np.bincount(g, weights=dtm * dtm, minlength=f)
    sxy = np.stack([np.bincount(g, weights=dtm * p[:, i], minlength=f) for i in range(3)], 1)
    velocity = np.divide(sxy, sxx[:, None], out=np.zeros_like(sxy), where=sxx[:, None] > 0)
    t0 = np.full(f, np.inf)
    t1 = np.full(f, -np.inf)
    np.minimum.at(t0, g, t)
    np.maximum.at(t1, g, t)
    t1 = t1 + dt
    p0 = p_mean + velocity * (t0 - t_mean)[:, None]
    p1 = p_mean + velocity * (t1 - t_mean)[:, None]
    return t0, t1, p0, p1


def _append_false_tracks(
    params: NightParams,
    raid: RaidDraw,
    t0: np.ndarray,
    t1: np.ndarray,
    p0: np.ndarray,
    p1: np.ndarray,
) -> RaidDraw:
    """The raid with one straight-flying, unkillable target per false track appended."""
    f = t0.size
    if f == 0:
        return raid
    tt, paths = params.threat_types, raid.paths
    raids = params.raids
    counts = np.bincount(raids.threat_type, weights=raids.count, minlength=len(tt.names))
    drones = tt.family == DRONE
    perceived = int(np.argmax(np.where(drones, counts, -1.0) if drones.any() else counts))
    n_points = paths.points.shape[1]
    points = np.repeat(p1[:, None, :2], n_points, axis=1)
    points[:, 0] = p0[:, :2]
    leg = np.linalg.norm(p1[:, :2] - p0[:, :2], axis=1)
    cumulative = np.repeat(leg[:, None], n_points, axis=1)
    cumulative[:, 0] = 0.0
    length = np.maximum(leg, 1.0)
    to_site = p1[:, None, :2] - params.site_xy[None, :, :]
    target = np.argmin(np.einsum("fsj,fsj->fs", to_site, to_site), axis=1)
    joined = Paths(
        points=np.concatenate([paths.points, points]),
        cumulative_m=np.concatenate([paths.cumulative_m, cumulative]),
        length_m=np.concatenate([paths.length_m, length]),
        speed_mps=np.concatenate([paths.speed_mps, length / (t1 - t0)]),
        launch_s=np.concatenate([paths.launch_s, t0]),
        altitude_m=np.concatenate([paths.altitude_m, np.maximum(0.5 * (p0[:, 2] + p1[:, 2]), 0.0)]),
        ballistic=np.concatenate([paths.ballistic, np.zeros(f, bool)]),
    )
    return RaidDraw(
        type=np.concatenate([raid.type, np.full(f, perceived, np.int64)]),
        family=np.concatenate([raid.family, np.full(f, tt.family[perceived], np.int64)]),
        target=np.concatenate([raid.target, target.astype(np.int64)]),
        paths=joined,
        launched=np.concatenate([raid.launched, np.ones(f, bool)]),
        n_false=f,
    )
