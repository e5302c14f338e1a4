"""Tracked sensing (``sensing.mode: tracked``): the fire control engages tracks, not threats.

Flight paths are fixed once drawn (threats do not react to the defence), so the night's scans and
tracking run as a pre-pass before the engagement loop:

1. **Scans**, one per sensor and engine time step: at ``t = j·Δt`` (``time_step_s``) every sensor
   that completes a scan in ``(t − Δt, t]`` reports one scan taken at ``t`` — detections with
   Pd, spherical noise and Poisson false alarms (:func:`leapsim.sensing.scan.sample_scan`); a
   sensor that scans faster than the step reports once per step. Only what can matter for an
   engagement is simulated: a threat is observed from ``lead_s`` before its first engagement
   window opens until its last one closes, false alarms are kept inside the fire units' maximum
   ranges plus :data:`REGION_MARGIN_M`, and steps run only while some threat is observed (a gap
   ends every track).
2. **Networks**: the nodes of one placement that puts several sensors (an acoustic fence) report
   through their network's fusion centre, as one sensor: in each scan, plots of different nodes
   that gate with each other (χ² on ``R_i + R_j``) are merged into one plot, the information-
   weighted mean ``(Σ R⁻¹)⁻¹ Σ R⁻¹ z`` with covariance ``(Σ R⁻¹)⁻¹`` (by the information form of
   the Kalman filter, updating with it equals updating with each plot in turn; Bar-Shalom, Li &
   Kirubarajan, *Estimation with Applications to Tracking and Navigation*, 2001), unless that
   group holds two plots of one node.
3. **Tracking**: one :func:`leapsim.tracking.tracker_step` per time step fuses all scans by
   sequential per-sensor updates (IMM constant velocity, χ² gating, GNN assignment, M-of-N
   confirmation, deletion after misses). A scan counts as a miss only for tracks within the range
   at which that sensor detects the raid's typical threat (median RCS and altitude) with
   single-scan Pd 0.9 — farther out a sensor may still detect, but its silence says little; a
   network's silence never counts (its nodes' hearing varies too much to deny a track).
   New tracks start with a velocity spread of half the fastest threat's speed so that fast
   threats can be initiated. As no sensor denies a track outside every sensor's miss range, the
   engine also deletes a track whose position uncertainty grows beyond
   :func:`max_position_sigma_m` (as Stone Soup's ``CovarianceBasedDeleter``) and a tentative
   track not confirmed within ``confirm_n`` scans of the slowest sensor.
4. **Truth association**: the tracker does not report which detections updated which track, so
   at every step each confirmed track is matched to the nearest observed threat when that lies
   inside the track's χ² gate (:data:`LABEL_GATE_PROBABILITY` of the track's position
   covariance). A track belongs to the threat it matched most often if it matched some threat at
   more than half of its confirmed steps; otherwise it is a **false track**.
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

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from scipy.stats import chi2

from leapsim.engine.kinematics import Paths, position_at_time
from leapsim.engine.params import FAMILY_CODE, NightParams
from leapsim.engine.raid import RaidDraw, engagement_windows
from leapsim.sensing.detection import coverage_radius_m
from leapsim.sensing.measurements import Detections
from leapsim.sensing.scan import sample_scan, scans_due
from leapsim.sensing.sensors import RADAR
from leapsim.tracking import SensorCoverage, TrackerParams, TrackState, kalman, tracker_step

#: A threat is observed from this long (s) before its first engagement window opens, or
#: :data:`LEAD_SCANS` scans of the slowest sensor if that is longer: enough for M-of-N
#: confirmation and for the filter to settle before the first shot.
MIN_LEAD_S = 60.0
LEAD_SCANS = 6
#: False alarms farther than this beyond every fire unit's maximum range are dropped (m).
REGION_MARGIN_M = 5000.0
#: Probability mass of the χ² gate (3 dof, track position covariance) that matches a confirmed
#: track to a threat at one step.
LABEL_GATE_PROBABILITY = 0.9999
#: Probability mass of the χ² gate (3 dof, ``R_i + R_j``) within which plots of two nodes of a
#: network are taken to be of one object.
NETWORK_GATE_PROBABILITY = 0.99
#: New tracks start with a per-axis velocity σ of this fraction of the fastest threat's speed
#: (at least :data:`MIN_INITIAL_SPEED_SIGMA_MPS`), so the second detection of a fast threat
#: falls inside the initiation gate.
INITIAL_SPEED_FRACTION = 0.5
MIN_INITIAL_SPEED_SIGMA_MPS = 50.0
#: Tracks are deleted when their RMS position σ exceeds this (m), or twice the distance a new
#: track's velocity σ covers in the slowest sensor's scan period if that is larger.
MIN_DELETE_SIGMA_M = 2000.0
DRONE = FAMILY_CODE["drone"]


@dataclass(frozen=True)
class _EngineTrackerParams(TrackerParams):
    """Tracker settings with the χ² gate computed once (the library evaluates the quantile on
    every association, about a fifth of the tracker's time with many sensors)."""

    @cached_property
    def gate_threshold(self) -> float:
        return float(chi2.ppf(self.gate_probability, self.dim))


@dataclass(frozen=True)
class TrackPicture:
    """What the fire control holds, per target (N real threats, then F false tracks)."""

    held_ptr: np.ndarray  # (N + F + 1,) int64: target k's entries are [held_ptr[k], held_ptr[k+1])
    held_s: np.ndarray  # step times at which a confirmed track of the target exists, sorted
    error_m: np.ndarray  # 3-D position error of its best track then (0 for false tracks)
    first_held_s: np.ndarray  # (N + F,) first such time, inf if never
    step_s: float
    n_false: int
    confirmed_tracks: int  # distinct confirmed tracks of the night, real and false

    def error_at(self, target: int, t: float) -> float:
        """Position error of ``target``'s best track at time ``t``; inf when none holds it."""
        a, b = self.held_ptr[target], self.held_ptr[target + 1]
        i = a + np.searchsorted(self.held_s[a:b], t + 0.5 * self.step_s, side="right") - 1
        if i < a or self.held_s[i] <= t - 0.5 * self.step_s:
            return float("inf")
        return float(self.error_m[i])


def tracker_params(params: NightParams, raid: RaidDraw) -> TrackerParams:
    """The tracker settings the engine uses for a night (library defaults otherwise)."""
    fastest = float(params.threat_types.speed_mps.max(initial=0.0))
    return _EngineTrackerParams(
        dim=3,
        initial_speed_sigma_mps=max(MIN_INITIAL_SPEED_SIGMA_MPS, INITIAL_SPEED_FRACTION * fastest),
        coverage=SensorCoverage(params.sensors.antenna_position, miss_range_m(params, raid)),
    )


def max_position_sigma_m(params: NightParams, tparams: TrackerParams) -> float:
    """RMS position σ (m) beyond which a track is deleted: :data:`MIN_DELETE_SIGMA_M`, or twice
    the spread a new track's velocity σ adds over the slowest scan period (so a new track
    survives until that sensor scans again)."""
    slowest = float(params.sensors.scan_period_s.max(initial=0.0))
    return max(MIN_DELETE_SIGMA_M, 2.0 * tparams.initial_speed_sigma_mps * slowest)


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
    return np.where(network_ids(params)[1], 0.0, reach)


def network_ids(params: NightParams) -> tuple[np.ndarray, np.ndarray]:
    """(S,) the sensor id the tracker sees — a network's nodes share their first node's index —
    and (S,) whether the sensor is a node of a network (a placement of several sensors)."""
    _, first, inverse, counts = np.unique(
        params.sensor_placement, return_index=True, return_inverse=True, return_counts=True
    )
    return first[inverse].astype(np.int64), counts[inverse] > 1


def track_night(
    params: NightParams, raid: RaidDraw, rng: np.random.Generator
) -> tuple[RaidDraw, TrackPicture]:
    """Scan and track one night's threats; return the raid with false tracks appended and the
    picture the loop engages from (see the module docstring for the model)."""
    dt = params.time_step_s
    start, end = _observation_windows(params, raid)
    steps = _step_indices(start, end, dt, params.duration_s)
    rows = _run_tracker(params, raid, start, end, steps, rng)
    return _picture(params, raid, rows, dt)


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


def _run_tracker(
    params: NightParams,
    raid: RaidDraw,
    start: np.ndarray,
    end: np.ndarray,
    steps: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Scan and track step by step; return one row per (step, confirmed track): ``time``,
    ``track`` id, estimated ``position`` (R, 3) and the threat it matches then (``label``, −1)."""
    sensors, paths, dt = params.sensors, raid.paths, params.time_step_s
    tparams = tracker_params(params, raid)
    max_variance = 3.0 * max_position_sigma_m(params, tparams) ** 2
    slowest = max(dt, float(sensors.scan_period_s.max(initial=0.0)))
    max_tentative_age = tparams.confirm_n * slowest
    birth = np.zeros(1024)  # birth time by track id
    gate = float(chi2.ppf(LABEL_GATE_PROBABILITY, 3))
    network_gate = float(chi2.ppf(NETWORK_GATE_PROBABILITY, 3))
    node_id, networked = network_ids(params)
    rcs = params.threat_types.rcs_m2[raid.type]
    out: dict[str, list[np.ndarray]] = {"time": [], "track": [], "position": [], "label": []}
    state = TrackState.empty(tparams)
    born = 0
    previous = -2
    for j in steps.tolist():
        t = j * dt
        if j != previous + 1:  # nothing observed in between: every track has ended
            state = replace(TrackState.empty(tparams, time=t - dt), next_id=state.next_id)
        previous = j
        observed = np.flatnonzero((start <= t) & (t <= end))
        truth = position_at_time(paths, observed, t)
        due = scans_due(sensors, t - dt, t)
        detections = Detections.empty()
        if due.any():
            detections = sample_scan(sensors, t, truth, rcs[observed], rng, active=due)
            keep = detections.target >= 0
            if not keep.all():
                keep |= _in_region(params, detections.position)
                detections = detections.select(keep)
            if networked[detections.sensor].any():
                detections = _fuse_networks(detections, node_id, networked, network_gate)
        state = tracker_step(state, detections, tparams, time=t)
        mean, cov = state.estimate()
        if state.next_id > birth.size:
            birth = np.concatenate([birth, np.zeros(max(birth.size, state.next_id - birth.size))])
        birth[born : state.next_id] = t
        born = state.next_id
        lost = np.trace(cov[:, :3, :3], axis1=1, axis2=2) > max_variance
        lost |= ~state.confirmed & (t - birth[state.track_id] >= max_tentative_age)
        if lost.any():
            state, mean, cov = _drop(state, lost), mean[~lost], cov[~lost]
        confirmed = np.flatnonzero(state.confirmed)
        if confirmed.size == 0:
            continue
        position = mean[confirmed, :3]
        label = np.full(confirmed.size, -1, np.int64)
        if observed.size:
            _, nearest = cKDTree(truth).query(position)
            error = position - truth[nearest]
            d2 = np.einsum(
                "ti,ti->t", error, np.linalg.solve(cov[confirmed, :3, :3], error[..., None])[..., 0]
            )
            label = np.where(d2 <= gate, observed[nearest], -1)
        out["time"].append(np.full(confirmed.size, t))
        out["track"].append(state.track_id[confirmed])
        out["position"].append(position)
        out["label"].append(label)
    if not out["time"]:
        return {
            "time": np.zeros(0),
            "track": np.zeros(0, np.int64),
            "position": np.zeros((0, 3)),
            "label": np.zeros(0, np.int64),
        }
    return {k: np.concatenate(v) for k, v in out.items()}


def _fuse_networks(
    detections: Detections, node_id: np.ndarray, networked: np.ndarray, gate: float
) -> Detections:
    """One scan's detections with each network's plots under the network's id, plots of
    different nodes that gate with each other merged (see the module docstring)."""
    net = networked[detections.sensor]
    alone, rows = detections.select(~net), np.flatnonzero(net)
    node = detections.sensor[rows]
    network = node_id[node]
    z, r = detections.position[rows], detections.covariance[rows]
    m = rows.size
    radius = np.sqrt(2.0 * gate * np.trace(r, axis1=1, axis2=2).max())
    i, j = cKDTree(z).query_pairs(radius, output_type="ndarray").T
    ok = (network[i] == network[j]) & (node[i] != node[j])
    i, j = i[ok], j[ok]
    nu = z[i] - z[j]
    d2 = np.einsum("pi,pi->p", nu, np.linalg.solve(r[i] + r[j], nu[..., None])[..., 0])
    ok = d2 <= gate
    if not ok.any():
        return Detections.concatenate([alone, replace(detections.select(rows), sensor=network)])
    _, group = connected_components(
        coo_matrix((np.ones(int(ok.sum())), (i[ok], j[ok])), shape=(m, m)), directed=False
    )
    # a group holding two plots of one node is two objects at least: its plots stay apart
    size = np.bincount(group, minlength=m)
    nodes = np.bincount(np.unique(np.column_stack([group, node]), axis=0)[:, 0], minlength=m)
    merged = ((size > 1) & (nodes == size))[group]
    fused, slot = np.unique(group[merged], return_inverse=True)
    info = np.linalg.inv(r[merged])
    info_sum = np.zeros((fused.size, 3, 3))
    info_z = np.zeros((fused.size, 3))
    np.add.at(info_sum, slot, info)
    np.add.at(info_z, slot, np.einsum("kij,kj->ki", info, z[merged]))
    cov = np.linalg.inv(info_sum)
    first = np.zeros(fused.size, np.int64)
    first[slot[::-1]] = np.flatnonzero(merged)[::-1]
    single = ~merged
    return Detections(
        time=np.full(len(alone) + int(single.sum()) + fused.size, detections.time[0]),
        sensor=np.concatenate([alone.sensor, network[single], network[first]]),
        position=np.concatenate([alone.position, z[single], np.einsum("kij,kj->ki", cov, info_z)]),
        covariance=np.concatenate([alone.covariance, r[single], kalman.symmetrise(cov)]),
        target=np.concatenate(  # a merged plot's source is unknown (−1)
            [alone.target, detections.target[rows][single], np.full(fused.size, -1)]
        ),
    )


def _drop(state: TrackState, lost: np.ndarray) -> TrackState:
    """``state`` without the tracks flagged in ``lost``."""
    keep = ~lost
    return TrackState(
        time=state.time,
        x=state.x[keep],
        p=state.p[keep],
        mu=state.mu[keep],
        track_id=state.track_id[keep],
        history=state.history[keep],
        opportunities=state.opportunities[keep],
        misses=state.misses[keep],
        confirmed=state.confirmed[keep],
        next_id=state.next_id,
    )


def _track_owners(track: np.ndarray, label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the index of its track among the sorted unique ids, and the threat that track
    belongs to (its most frequent match if it matched at more than half of its rows; else −1)."""
    ids, row_track = np.unique(track, return_inverse=True)
    n_rows = np.bincount(row_track, minlength=ids.size)
    matched = label >= 0
    owner = np.full(ids.size, -1, np.int64)
    if matched.any():
        pairs, counts = np.unique(
            np.column_stack([row_track[matched], label[matched]]), axis=0, return_counts=True
        )
        # per track, the most frequent label (ties: the lowest threat index)
        order = np.lexsort((pairs[:, 1], -counts, pairs[:, 0]))
        first = order[np.r_[True, np.diff(pairs[order, 0]) != 0]]
        owner[pairs[first, 0]] = pairs[first, 1]
        owner[np.bincount(row_track, weights=matched, minlength=ids.size) * 2 <= n_rows] = -1
    return row_track, owner


def _picture(
    params: NightParams, raid: RaidDraw, rows: dict[str, np.ndarray], dt: float
) -> tuple[RaidDraw, TrackPicture]:
    """Turn the tracker's rows into the held steps and errors per target, and the raid with
    the false tracks appended."""
    n = raid.n
    row_track, owner = _track_owners(rows["track"], rows["label"])
    row_owner = owner[row_track]
    real = row_owner >= 0
    k, t = row_owner[real], rows["time"][real]
    error = np.linalg.norm(rows["position"][real] - position_at_time(raid.paths, k, t), axis=1)

    false_tracks = np.flatnonzero(owner < 0)
    fit = _fit_false_tracks(rows, row_track, false_tracks, dt)
    rows_false = np.isin(row_track, false_tracks)
    false_index = np.searchsorted(false_tracks, row_track[rows_false])
    target = np.concatenate([k, n + false_index])
    time = np.concatenate([t, rows["time"][rows_false]])
    err = np.concatenate([error, np.zeros(false_index.size)])
    # one entry per (target, step): the best track's error
    order = np.lexsort((err, time, target))
    target, time, err = target[order], time[order], err[order]
    first = np.r_[True, (np.diff(target) != 0) | (np.diff(time) != 0)][: target.size]
    target, time, err = target[first], time[first], err[first]
    n_targets = n + false_tracks.size
    ptr = np.zeros(n_targets + 1, np.int64)
    ptr[1:] = np.cumsum(np.bincount(target, minlength=n_targets))
    first_held = np.full(n_targets, np.inf)
    np.minimum.at(first_held, target, time)
    picture = TrackPicture(
        held_ptr=ptr,
        held_s=time,
        error_m=err,
        first_held_s=first_held,
        step_s=dt,
        n_false=int(false_tracks.size),
        confirmed_tracks=int(owner.size),
    )
    return _append_false_tracks(params, raid, *fit), picture


def _fit_false_tracks(
    rows: dict[str, np.ndarray], row_track: np.ndarray, false_tracks: np.ndarray, dt: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares constant-velocity fit of each false track's estimates.

    Returns (F,) first confirmed time, (F,) deletion time (one step after its last), and (F, 3)
    fitted positions at those two times.
    """
    f = false_tracks.size
    if f == 0:
        return np.zeros(0), np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3))
    sel = np.isin(row_track, false_tracks)
    g = np.searchsorted(false_tracks, row_track[sel])
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
