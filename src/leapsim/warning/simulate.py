"""Tracked simulation of incursions and of clutter against one placement (``docs/warning.md``,
"Measures").

**An incursion group** is simulated on its own with the sensors that can see it: every sensor
scans at multiples of its scan period while some drone of the group is within its coverage
radius (instrumented range, and the 4/3-earth horizon at the group's altitude);
:func:`leapsim.sensing.sample_scan` draws the detections (Pd, measurement noise, Poisson false
alarms — kept within :data:`CLUTTER_KEEP_M` of a drone: clutter farther away cannot touch the
group's tracks, and the clutter run counts its false tracks) and one
:func:`leapsim.tracking.tracker_step` per scan time fuses them. A confirmed track belongs to the
drone nearest its estimate inside the track's χ² gate (99.99 %); the first such time is the
drone's *confirmed-track time*. A confirmed track is *classified* as a drone once it has been
confirmed for ``classify_after_s`` and its speed, averaged over that last stretch, lies in
``classify_speed_mps`` (:class:`SpeedClassifier`: birds fly slower than drones; a single early
estimate is too noisy to tell); that time is the drone's *classification time*. The run stops
once every drone of the group is confirmed and classified, or its flight is over.

**Clutter** is simulated over ``clutter_window_s`` with no incursion: the sensors' false alarms
and migrating birds (radars only: an acoustic node hears engines, an RF node hears datalinks,
and the passive EO/IR model has no target size, so it is not given birds), one kind of item at
a time (:func:`simulate_clutter`). Confirmed tracks after ``clutter_warmup_s`` are false
tracks; those whose speed ever lies in the classification band are false *alerts*; both are
scaled to a day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2

from leapsim.sensing import Detections, SensorArrays, detection_probability, sample_scan
from leapsim.sensing.detection import coverage_radius_m
from leapsim.sensing.sensors import RADAR
from leapsim.warning.config import BirdSpec
from leapsim.warning.incursions import Flights
from leapsim.warning.model import WarningModel
from leapsim.warning.placement import Placement, detectable, item_node_counts, make_placement
from leapsim.warning.tracks import Tracking

CLUTTER_KEEP_M = 5000.0  # false alarms farther than this from every drone are dropped
LABEL_GATE = float(chi2.ppf(0.9999, 3))  # a confirmed track belongs to a drone inside this gate
MISS_RANGE_PD = 0.5  # a scan charges a miss to tracks within the range where Pd >= this
SAMPLE_SPACING_M = 1000.0
SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class GroupOutcome:
    """Per drone of a group: first detection, first confirmed track, classification (NaN:
    never), and how many confirmed tracks of the run belonged to no drone."""

    first_detection_s: np.ndarray
    confirmed_s: np.ndarray
    classified_s: np.ndarray
    false_tracks: int


def reliable_range_m(
    placement: Placement, altitude_m: float, rcs_m2: float, sees: np.ndarray
) -> np.ndarray:
    """(S,) ground range out to which each sensor detects a target of this altitude and RCS with
    single-scan Pd ≥ :data:`MISS_RANGE_PD` (0 where it cannot sense it): the tracker charges a
    missed scan only to tracks inside it. Computed once per sensor option."""
    sensors = placement.sensors
    grid = np.linspace(0.0, 1.0, 257)
    out = np.zeros(len(sensors))
    for option in np.unique(placement.sensor_option):
        rows = np.flatnonzero(placement.sensor_option == option)
        probe = sensors.subset(rows[:1])
        r = grid * coverage_radius_m(probe, altitude_m)[0]
        target = np.stack([r, np.zeros_like(r), np.full_like(r, altitude_m)], axis=-1)
        target[:, :2] += probe.position[0, :2]
        pd = detection_probability(probe, target, np.full(r.size, rcs_m2))[0]
        good = np.flatnonzero(pd >= MISS_RANGE_PD)
        out[rows] = r[good[-1]] if good.size else 0.0
    return np.where(sees, out, 0.0)


@dataclass(frozen=True)
class Sensing:
    """Which targets each sensor can sense, as groups of sensors that sense the same targets
    (few: e.g. every drone, the emitting drones, none)."""

    group: np.ndarray  # (S,) group of each sensor
    targets: tuple[np.ndarray, ...]  # per group, the target indices it senses

    @classmethod
    def of(cls, sees: np.ndarray) -> Sensing:
        patterns, group = np.unique(sees, axis=0, return_inverse=True)
        return cls(group.ravel(), tuple(np.flatnonzero(p) for p in patterns))


def scan_targets(
    sensors: SensorArrays,
    time: float,
    position: np.ndarray,
    rcs_m2: np.ndarray,
    rng: np.random.Generator,
    due: np.ndarray,
    sensing: Sensing,
    present: np.ndarray | None = None,
) -> Detections:
    """:func:`leapsim.sensing.sample_scan` of the ``due`` sensors, each scanning only the
    targets it can sense (and that are ``present``, bool (N,)); ``target`` indexes
    ``position``."""
    parts = []
    for g, targets in enumerate(sensing.targets):
        active = due & (sensing.group == g)
        if not active.any():
            continue
        if present is not None:
            targets = targets[present[targets]]
        dets = sample_scan(sensors, time, position[targets], rcs_m2[targets], rng, active=active)
        hit = dets.target >= 0
        source = targets[np.where(hit, dets.target, 0)] if targets.size else dets.target
        parts.append(
            Detections(
                dets.time, dets.sensor, dets.position, dets.covariance, np.where(hit, source, -1)
            )
        )
    return Detections.concatenate(parts)


def _windows(
    sensors: SensorArrays, flights: Flights, end_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(S,) first and last time some drone is within each sensor's coverage radius (±one
    sample), NaN where never."""
    t_in = np.full(len(sensors), np.inf)
    t_out = np.full(len(sensors), -np.inf)
    for d in range(len(flights)):
        start = flights.start_s[d]
        n = max(2, int(np.ceil((end_s[d] - start) * flights.speed_mps[d] / SAMPLE_SPACING_M)) + 1)
        t = np.linspace(start, end_s[d], n)
        xy = flights.position(d, t)[:, :2]
        radius = coverage_radius_m(sensors, flights.altitude_m[d]) + SAMPLE_SPACING_M
        near = np.hypot(*(xy[None, :, :] - sensors.position[:, None, :2]).transpose(2, 0, 1))
        near = near <= radius[:, None]
        pad = SAMPLE_SPACING_M / flights.speed_mps[d]
        seen = near.any(axis=1)
        first = np.where(seen, t[np.argmax(near, axis=1)] - pad, np.inf)
        last = np.where(seen, t[n - 1 - np.argmax(near[:, ::-1], axis=1)] + pad, -np.inf)
        t_in = np.minimum(t_in, np.maximum(first, start))
        t_out = np.maximum(t_out, np.minimum(last, end_s[d]))
    return t_in, t_out


def _scan_schedule(
    period: np.ndarray, t_in: np.ndarray, t_out: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted scan times and, per time, the sensors scanning then (as a (K, S) bool matrix)."""
    times, owners = [], []
    for s in np.flatnonzero(t_out >= t_in):
        k0, k1 = np.ceil(t_in[s] / period[s]), np.floor(t_out[s] / period[s])
        if k1 >= k0:
            times.append(np.arange(k0, k1 + 1) * period[s])
            owners.append(np.full(int(k1 - k0 + 1), s))
    if not times:
        return np.zeros(0), np.zeros((0, len(period)), bool)
    t = np.round(np.concatenate(times), 6)
    owner = np.concatenate(owners)
    unique, inverse = np.unique(t, return_inverse=True)
    due = np.zeros((unique.size, len(period)), bool)
    due[inverse, owner] = True
    return unique, due


def _owners(mean: np.ndarray, cov: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(C,) the drone (row of ``truth``) each confirmed track belongs to, -1 for none: the
    nearest by Mahalanobis distance, inside :data:`LABEL_GATE`."""
    if mean.shape[0] == 0 or truth.shape[0] == 0:
        return np.full(mean.shape[0], -1, np.int64)
    diff = truth[None, :, :] - mean[:, None, :3]
    m2 = np.einsum("cni,cij,cnj->cn", diff, np.linalg.inv(cov[:, :3, :3]), diff)
    best = np.argmin(m2, axis=1)
    return np.where(m2[np.arange(best.size), best] <= LABEL_GATE, best, -1).astype(np.int64)


class SpeedClassifier:
    """Tells drones from birds by speed: a confirmed track is a drone once it has been confirmed
    for ``after_s`` and its mean speed estimate over the last ``after_s`` lies in ``band``."""

    def __init__(self, band: tuple[float, float], after_s: float):
        self.band = band
        self.after_s = after_s
        self.first: dict[int, float] = {}
        self.samples: dict[int, list[tuple[float, float]]] = {}
        self.drones: set[int] = set()

    def update(self, ids: np.ndarray, speed: np.ndarray, time: float) -> list[int]:
        """Record the confirmed tracks' speeds at ``time``; return the ids newly classified."""
        new = []
        for tid, v in zip(ids.tolist(), speed.tolist(), strict=True):
            start = self.first.setdefault(tid, time)
            if tid in self.drones:
                continue
            recent = [s for s in self.samples.setdefault(tid, []) if s[0] >= time - self.after_s]
            recent.append((time, v))
            self.samples[tid] = recent
            if time - start >= self.after_s:
                mean = sum(s[1] for s in recent) / len(recent)
                if self.band[0] <= mean <= self.band[1]:
                    self.drones.add(tid)
                    new.append(tid)
        return new


def simulate_group(
    model: WarningModel, placement: Placement, flights: Flights, rng: np.random.Generator
) -> GroupOutcome:
    """One incursion group against a placement (module notes); ``flights`` holds its drones."""
    n = len(flights)
    out = GroupOutcome(np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan), 0)
    sensors = placement.sensors
    if len(sensors) == 0 or n == 0:
        return out
    end = flights.end_s
    t_in, t_out = _windows(sensors, flights, end)
    times, due = _scan_schedule(sensors.scan_period_s, t_in, t_out)
    if times.size == 0:
        return out
    sees = detectable(sensors.kind, flights.emitting, np.ones(n, dtype=bool))
    miss_range = reliable_range_m(
        placement,
        float(flights.altitude_m.mean()),
        float(flights.rcs_m2.mean()),
        sees.any(axis=1),
    )
    tracking = Tracking.start(
        model.tracker,
        sensors,
        miss_range,
        float(times[0]),
        placement.network,
        placement.networked,
    )
    sensing = Sensing.of(sees)
    classifier = SpeedClassifier(model.measure.classify_speed_mps, model.measure.classify_after_s)
    owner_of: dict[int, int] = {}
    first_det, confirmed, classified = out.first_detection_s, out.confirmed_s, out.classified_s
    drones = np.arange(n)
    for k, t in enumerate(times):
        present = (t >= flights.start_s) & (t <= end)
        flying = np.flatnonzero(present)
        truth = flights.positions_at(drones, np.full(n, t))
        dets = scan_targets(sensors, float(t), truth, flights.rcs_m2, rng, due[k], sensing, present)
        if len(dets) and flying.size:
            gap = dets.position[:, None, :2] - truth[None, flying, :2]
            near = np.linalg.norm(gap, axis=-1).min(axis=1)
            dets = dets.select((dets.target >= 0) | (near <= CLUTTER_KEEP_M))
            hit = dets.target[dets.target >= 0]
            first_det[hit[np.isnan(first_det[hit])]] = t
        tracking.step(dets, float(t))
        ids, mean, cov = tracking.confirmed()
        owner = _owners(mean, cov, truth[flying])
        for tid, row_owner in zip(ids.tolist(), owner, strict=True):
            drone = int(flying[row_owner]) if row_owner >= 0 else -1
            owner_of.setdefault(tid, drone)
            if drone >= 0 and np.isnan(confirmed[drone]):
                confirmed[drone] = t
        for tid in classifier.update(ids, np.linalg.norm(mean[:, 3:6], axis=1), float(t)):
            drone = owner_of[tid]
            if drone >= 0 and np.isnan(classified[drone]):
                classified[drone] = t
        if np.all(np.isfinite(classified) | (t >= end)):
            break
    false_tracks = sum(1 for owner in owner_of.values() if owner < 0)
    return GroupOutcome(first_det, confirmed, classified, false_tracks)


@dataclass(frozen=True)
class Birds:
    """B straight-flying birds: start position (B, 3), velocity (B, 2), RCS (B,)."""

    position: np.ndarray
    velocity: np.ndarray
    rcs_m2: np.ndarray

    def at(self, t: float) -> np.ndarray:
        out = self.position.copy()
        out[:, :2] += self.velocity * t
        return out


def bird_reach_m(sensors: SensorArrays, spec: BirdSpec) -> np.ndarray:
    """(S,) how far each sensor can detect a bird at all: for radars 3 × the Pd-0.9 range on
    the largest bird (radar equation: SNR 19 dB below the reference, Swerling-1 Pd < 0.01 at
    Pfa 1e-6), within the instrumented range; 0 for other sensors (they are given no birds)."""
    radar = sensors.kind == RADAR
    r90 = sensors.detection_range_m * (spec.rcs_m2[1] / sensors.reference_rcs_m2) ** 0.25
    return np.where(radar, np.minimum(3.0 * r90, sensors.max_range_m), 0.0)


def draw_birds(
    sensors: SensorArrays, spec: BirdSpec, window_s: float, rng: np.random.Generator
) -> Birds:
    """Birds round the radars: a Poisson field of ``density_per_km2`` in a box that holds every
    radar's :func:`bird_reach_m` plus the distance a bird flies in the window (so that birds
    fly in across the edges), kept where some radar could see them during it; heading uniform,
    ground speed uniform over ``speed_mps``, altitude exponential with median
    ``altitude_median_m`` up to ``altitude_max_m``, RCS log-uniform over ``rcs_m2``."""
    reach_all = bird_reach_m(sensors, spec)
    radars = np.flatnonzero(reach_all > 0)
    empty = Birds(np.zeros((0, 3)), np.zeros((0, 2)), np.zeros(0))
    if radars.size == 0 or spec.density_per_km2 <= 0:
        return empty
    centre = sensors.position[radars, :2]
    reach = reach_all[radars] + spec.speed_mps[1] * window_s
    lo = (centre - reach[:, None]).min(axis=0)
    hi = (centre + reach[:, None]).max(axis=0)
    area_km2 = float(np.prod(hi - lo)) / 1e6
    count = rng.poisson(spec.density_per_km2 * area_km2)
    xy = lo + (hi - lo) * rng.random((count, 2))
    keep = (np.hypot(*(xy[:, None, :] - centre[None]).transpose(2, 0, 1)) <= reach[None, :]).any(
        axis=1
    )
    xy = xy[keep]
    m = xy.shape[0]
    heading = rng.uniform(0.0, 2 * np.pi, m)
    speed = rng.uniform(*spec.speed_mps, m)
    scale = spec.altitude_median_m / np.log(2.0)
    altitude = np.minimum(rng.exponential(scale, m), spec.altitude_max_m)
    rcs = np.exp(rng.uniform(np.log(spec.rcs_m2[0]), np.log(spec.rcs_m2[1]), m))
    return Birds(
        np.column_stack([xy, altitude]),
        np.column_stack([speed * np.sin(heading), speed * np.cos(heading)]),
        rcs,
    )


@dataclass(frozen=True)
class ClutterOutcome:
    """False tracks (confirmed after the warm-up) and false alerts (of them, classified as
    drones) of the whole placement in one window, the birds simulated, and the rates per
    day."""

    false_tracks: float
    false_alerts: float
    birds: int
    false_tracks_per_day: float
    false_alerts_per_day: float


def _clutter_window(
    model: WarningModel, placement: Placement, rng: np.random.Generator
) -> tuple[int, int, int]:
    """False tracks and false alerts after the warm-up, and birds, of one placement's window."""
    measure = model.measure
    sensors = placement.sensors
    window, warmup = measure.clutter_window_s, measure.clutter_warmup_s
    birds = draw_birds(sensors, measure.birds, window, rng)
    n = birds.rcs_m2.size
    sees = np.zeros((len(sensors), n), dtype=bool)
    sees[sensors.kind == RADAR] = True
    median_rcs = float(np.exp(np.mean(np.log(measure.birds.rcs_m2))))
    miss_range = reliable_range_m(
        placement, measure.birds.altitude_median_m, median_rcs, np.ones(len(sensors), dtype=bool)
    )
    times, due = _scan_schedule(
        sensors.scan_period_s, np.zeros(len(sensors)), np.full(len(sensors), window)
    )
    tracking = Tracking.start(
        model.tracker, sensors, miss_range, 0.0, placement.network, placement.networked
    )
    sensing = Sensing.of(sees)
    classifier = SpeedClassifier(measure.classify_speed_mps, measure.classify_after_s)
    for k, t in enumerate(times):
        dets = scan_targets(
            sensors, float(t), birds.at(float(t)), birds.rcs_m2, rng, due[k], sensing
        )
        tracking.step(dets, float(t))
        ids, mean, _ = tracking.confirmed()
        classifier.update(ids, np.linalg.norm(mean[:, 3:6], axis=1), float(t))
    fresh = [tid for tid, t in classifier.first.items() if t > warmup]
    return len(fresh), sum(1 for tid in fresh if tid in classifier.drones), n


def simulate_clutter(
    model: WarningModel, placement: Placement, rng: np.random.Generator
) -> ClutterOutcome:
    """False tracks and alerts of a placement (module notes): for each kind of item (option
    and node spacing) one item of that kind is simulated alone over ``clutter_window_s``, and
    the placement's count is the sum over its items of their kind's count (a fence scaled by
    its nodes). Sensors far apart see independent clutter; where coverages overlap the sum
    over-counts (a bird two radars track is one track), so there it is an upper bound."""
    measure = model.measure
    per_day = SECONDS_PER_DAY / (measure.clutter_window_s - measure.clutter_warmup_s)
    items = placement.items
    if len(items) == 0:
        return ClutterOutcome(0.0, 0.0, 0, 0.0, 0.0)
    nodes = item_node_counts(items)
    kind = np.stack([items.option, np.nan_to_num(items.spacing_m, nan=-1.0)], axis=1)
    _, first, group = np.unique(kind, axis=0, return_index=True, return_inverse=True)
    group = group.ravel()
    tracks = alerts = 0.0
    birds = 0
    for g, rep in enumerate(first):
        alone = make_placement(model, items.select(np.array([rep])), placement.label)
        t, a, b = _clutter_window(model, alone, rng)
        scale = nodes[group == g].sum() / nodes[rep]
        tracks += t * scale
        alerts += a * scale
        birds += b
    return ClutterOutcome(tracks, alerts, birds, tracks * per_day, alerts * per_day)
