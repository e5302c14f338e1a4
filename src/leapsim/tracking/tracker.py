"""Multi-target tracker: IMM constant-velocity filters, χ² gating, GNN association and M-of-N
track management, compiled over struct-of-arrays track state.

Each scan time (any number of sensors) is one step:

1. IMM interaction and constant-velocity prediction of every track to the scan time
   (:mod:`leapsim.tracking.kalman`).
2. For each sensor in ascending id (centralised fusion by sequential updates): gating and
   global-nearest-neighbour assignment, confirmed tracks first, then tentative tracks on the
   detections left (:mod:`leapsim.tracking.association`); Joseph-form update of each model and
   IMM mode-probability update; every track the sensor updates or covers records a hit or a
   miss; each detection left over starts a tentative track (:mod:`leapsim.tracking.management`).
3. Deletion by the rules of :mod:`leapsim.tracking.management`.

The tracker reports which detection updated which track at every step (:class:`Associations`).
With one process-noise value the IMM reduces exactly to a single Kalman filter.

:func:`run_tracker` runs every step of a detection table in one compiled call;
:func:`tracker_step` is the same step as a pure function of a :class:`TrackState`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Annotated, Literal, NamedTuple

import numpy as np
from numba import njit
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from scipy.special import chdtri

from leapsim.sensing.measurements import Detections
from leapsim.tracking import kalman
from leapsim.tracking.association import assign_gnn, gate
from leapsim.tracking.management import initiate, record_scan, survives


class SensorCoverage(BaseModel):
    """Where a sensor's silence counts: a scan is an opportunity (a hit or a miss) for every
    track within ``miss_range_m`` of ``position_m``, and only for the tracks it updates beyond."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    position_m: tuple[float, float, float] = Field(description="sensor position, ENU m")
    miss_range_m: float = Field(ge=0, description="range within which a scan can deny a track, m")


class TrackerParams(BaseModel):
    """Tracker settings (SI units); the one definition of each, for the library, the engine and
    the ``leapsim track`` config file.

    Filter: ``dim``, ``process_noise`` (CWNA spectral density q, m²/s³, of each IMM model; one
    value = plain Kalman filter), ``model_stay_probability`` (IMM Markov diagonal per step).
    Associator: ``gate_probability`` (probability mass of the χ² validation gate). Initiator:
    ``initial_speed_sigma_mps``, ``confirm_m`` of ``confirm_n``. Deleter: ``max_misses``,
    ``max_position_sigma_m``, ``max_tentative_age_s``. ``coverage``: one entry per sensor id
    (empty: every scan is an opportunity for every track). See
    :mod:`leapsim.tracking.management` for the rules.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    dim: Literal[2, 3] = Field(3, description="position axes tracked: 2 or 3")
    process_noise: tuple[Annotated[float, Field(ge=0)], ...] = Field(
        (1.0, 200.0), min_length=1, description="CWNA q per IMM model, m²/s³"
    )
    model_stay_probability: float = Field(0.95, gt=0, le=1)
    gate_probability: float = Field(0.99, gt=0, lt=1)
    # Upper bounds keep squared σs finite; each is far beyond any air target (the catalogue's
    # fastest threat flies 8 km/s) and beyond what the engine derives from a valid scenario.
    initial_speed_sigma_mps: float = Field(
        50.0, gt=0, le=10_000, description="1σ per-axis velocity of a new track, m/s"
    )
    confirm_m: int = Field(3, ge=1, description="hits that confirm a track ...")
    confirm_n: int = Field(
        4,
        ge=1,
        le=30,
        validate_default=True,  # confirm_m above the default window is caught too
        description="... among its last confirm_n scans",
    )
    max_misses: int = Field(3, ge=1, description="consecutive misses that end a confirmed track")
    max_position_sigma_m: float | None = Field(
        None,
        gt=0,
        le=1e8,
        description="RMS position σ beyond which a track ends, m (none: no limit)",
    )
    max_tentative_age_s: float | None = Field(
        None, gt=0, description="age at which an unconfirmed track ends, s (none: no limit)"
    )
    coverage: tuple[SensorCoverage, ...] = Field(
        (), description="per sensor id: where its silence counts as a miss"
    )

    @field_validator("confirm_n")
    @classmethod
    def _confirm_window(cls, confirm_n: int, info: ValidationInfo) -> int:
        confirm_m = info.data.get("confirm_m")
        if confirm_m is not None and confirm_n < confirm_m:
            raise ValueError(f"confirm_n must be at least confirm_m ({confirm_m})")
        return confirm_n

    @property
    def n_models(self) -> int:
        return len(self.process_noise)

    @property
    def gate_threshold(self) -> float:
        """Squared Mahalanobis distance of the gate: the χ²_dim quantile at gate_probability."""
        return float(chdtri(self.dim, 1.0 - self.gate_probability))


@dataclass(frozen=True)
class TrackState:
    """T tracks, M models, state size n = 2·dim, all at ``time``."""

    time: float
    x: np.ndarray  # (T, M, n) per-model states
    p: np.ndarray  # (T, M, n, n) per-model covariances
    mu: np.ndarray  # (T, M) model probabilities
    track_id: np.ndarray  # (T,) int64
    history: np.ndarray  # (T,) int64 bit k = hit k opportunities ago
    opportunities: np.ndarray  # (T,) int64 scans that could have detected the track
    misses: np.ndarray  # (T,) int64 consecutive misses
    confirmed: np.ndarray  # (T,) bool
    born_s: np.ndarray  # (T,) time of the track's first detection, s
    next_id: int = 0

    @classmethod
    def empty(cls, params: TrackerParams, time: float = 0.0) -> TrackState:
        n, m = 2 * params.dim, params.n_models
        return cls(
            time=float(time),
            x=np.zeros((0, m, n)),
            p=np.zeros((0, m, n, n)),
            mu=np.zeros((0, m)),
            track_id=np.zeros(0, np.int64),
            history=np.zeros(0, np.int64),
            opportunities=np.zeros(0, np.int64),
            misses=np.zeros(0, np.int64),
            confirmed=np.zeros(0, bool),
            born_s=np.zeros(0),
        )

    def __len__(self) -> int:
        return int(self.track_id.shape[0])

    def select(self, index: np.ndarray | slice) -> TrackState:
        """The tracks selected by an index array, boolean mask or slice (same time and next id)."""
        return replace(self, **{name: getattr(self, name)[index] for name in _TRACK_FIELDS})

    def estimate(self) -> tuple[np.ndarray, np.ndarray]:
        """Combined (T, n) mean and (T, n, n) covariance of every track."""
        return kalman.combine_all(self.x, self.p, self.mu, tuple(range(self.x.shape[2] // 2)))


_TRACK_FIELDS = tuple(f.name for f in fields(TrackState) if f.name not in ("time", "next_id"))


@dataclass(frozen=True)
class Associations:
    """Which detection updated which track: one row per update, and one per new track for the
    detection that started it."""

    time: np.ndarray  # (A,) scan time, s
    track_id: np.ndarray  # (A,) int64
    detection: np.ndarray  # (A,) int64 row of the detection in the tracker's input
    distance2: np.ndarray  # (A,) squared Mahalanobis distance (inside the gate; 0 at initiation)
    initiated: np.ndarray  # (A,) bool: the detection started the track (no gate, no update)

    def __len__(self) -> int:
        return int(self.time.shape[0])


@dataclass(frozen=True)
class TrackTable:
    """Confirmed-track estimates at every scan time (one row per (time, track)), every
    association of the run, and the number of tracks started (ids 0 … ``n_started`` − 1)."""

    time: np.ndarray  # (R,)
    track_id: np.ndarray  # (R,) int64
    state: np.ndarray  # (R, 2·dim) position then velocity
    covariance: np.ndarray | None  # (R, 2·dim, 2·dim), None when not asked for
    associations: Associations
    n_started: int


class _Tracks(NamedTuple):
    """Compiled-side track state: rows [0, n) of arrays with spare capacity."""

    x: np.ndarray  # (C, M, n)
    p: np.ndarray  # (C, M, n, n)
    mu: np.ndarray  # (C, M)
    mean: np.ndarray  # (C, n) combined estimate
    position_cov: np.ndarray  # (C, d, d) its position covariance
    track_id: np.ndarray
    history: np.ndarray
    opportunities: np.ndarray
    misses: np.ndarray
    confirmed: np.ndarray
    born_s: np.ndarray


class _Rules(NamedTuple):
    """:class:`TrackerParams` as the compiled step reads them."""

    dim: int
    process_noise: np.ndarray  # (M,)
    mode_transition: np.ndarray  # (M, M)
    gate: float
    confirm_m: int
    confirm_n: int
    max_misses: int
    initial_velocity_var: float
    max_position_var: float  # trace of the position covariance; inf: no limit
    max_tentative_age_s: float  # inf: no limit
    coverage_position: np.ndarray  # (S, 3)
    coverage_range: np.ndarray  # (S,)
    has_coverage: bool


class _Scans(NamedTuple):
    """Detections sorted by time, then sensor; ``row`` is each one's row in the caller's table."""

    time: np.ndarray  # (K,)
    sensor: np.ndarray  # (K,)
    z: np.ndarray  # (K, d)
    r: np.ndarray  # (K, d, d)
    row: np.ndarray  # (K,)


class _Log(NamedTuple):
    """Growing output of a run: confirmed-track rows and associations."""

    time: np.ndarray
    track_id: np.ndarray
    mean: np.ndarray  # (R, n)
    cov: np.ndarray  # (R, n, n), or (R, 0, 0) without covariances
    n_rows: int
    a_time: np.ndarray
    a_track: np.ndarray
    a_det: np.ndarray
    a_d2: np.ndarray
    a_new: np.ndarray
    n_assoc: int


class _RunResult(NamedTuple):
    tracks: _Tracks
    n_tracks: int
    next_id: int
    log: _Log


def _rules(params: TrackerParams) -> _Rules:
    inf = math.inf
    cov = params.coverage
    return _Rules(
        dim=params.dim,
        process_noise=np.asarray(params.process_noise, np.float64),
        mode_transition=kalman.transition_matrix(params.n_models, params.model_stay_probability),
        gate=params.gate_threshold,
        confirm_m=params.confirm_m,
        confirm_n=params.confirm_n,
        max_misses=params.max_misses,
        initial_velocity_var=float(params.initial_speed_sigma_mps) ** 2,
        max_position_var=(
            inf
            if params.max_position_sigma_m is None
            else params.dim * params.max_position_sigma_m**2
        ),
        max_tentative_age_s=(
            inf if params.max_tentative_age_s is None else float(params.max_tentative_age_s)
        ),
        coverage_position=np.array([c.position_m for c in cov], np.float64).reshape(-1, 3),
        coverage_range=np.array([c.miss_range_m for c in cov], np.float64),
        has_coverage=bool(cov),
    )


def _scans(detections: Detections, params: TrackerParams) -> _Scans:
    if len(detections) and np.any(np.diff(detections.time) < 0):
        raise ValueError("detections must be sorted by time")
    if params.coverage and len(detections) and detections.sensor.max() >= len(params.coverage):
        raise ValueError(
            f"a detection's sensor id is {int(detections.sensor.max())}, but coverage "
            f"describes {len(params.coverage)} sensors"
        )
    if len(detections) and detections.sensor.min() < 0:
        raise ValueError("sensor ids must be non-negative")
    d = params.dim
    dt, ds = np.diff(detections.time), np.diff(detections.sensor)
    if np.all((dt > 0) | ((dt == 0) & (ds >= 0))):  # already by time, then sensor
        row = np.arange(len(detections))
    else:
        row = np.lexsort((detections.sensor, detections.time))
    return _Scans(
        time=np.ascontiguousarray(detections.time[row], np.float64),
        sensor=np.ascontiguousarray(detections.sensor[row], np.int64),
        z=np.ascontiguousarray(detections.position[row, :d], np.float64),
        r=np.ascontiguousarray(detections.covariance[row, :d, :d], np.float64),
        row=row.astype(np.int64),
    )


def _tracks(state: TrackState, spare: int) -> _Tracks:
    """Compiled-side copy of ``state`` with room for ``spare`` more tracks."""
    t = len(state)
    cap = max(16, 2 * (t + spare))
    n = state.x.shape[2]

    def room(a: np.ndarray) -> np.ndarray:
        out = np.zeros((cap, *a.shape[1:]), a.dtype)
        out[:t] = a
        return out

    return _Tracks(
        x=room(state.x),
        p=room(state.p),
        mu=room(state.mu),
        mean=np.zeros((cap, n)),
        position_cov=np.zeros((cap, n // 2, n // 2)),
        track_id=room(state.track_id.astype(np.int64)),
        history=room(state.history.astype(np.int64)),
        opportunities=room(state.opportunities.astype(np.int64)),
        misses=room(state.misses.astype(np.int64)),
        confirmed=room(state.confirmed.astype(np.bool_)),
        born_s=room(state.born_s.astype(np.float64)),
    )


def _log(n: int, with_covariance: bool, n_detections: int) -> _Log:
    """Empty output of a run: room for as many confirmed-track rows as detections (it grows
    if needed) and for every association (a detection updates at most one track)."""
    rows = max(64, n_detections)
    c = n if with_covariance else 0
    return _Log(
        time=np.empty(rows),
        track_id=np.empty(rows, np.int64),
        mean=np.empty((rows, n)),
        cov=np.empty((rows if with_covariance else 0, c, c)),
        n_rows=0,
        a_time=np.empty(n_detections),
        a_track=np.empty(n_detections, np.int64),
        a_det=np.empty(n_detections, np.int64),
        a_d2=np.empty(n_detections),
        a_new=np.empty(n_detections, np.bool_),
        n_assoc=0,
    )


@njit(cache=True)
def _grown(a, size):
    out = np.empty((size,) + a.shape[1:], a.dtype)  # noqa: RUF005 (numba)
    out[: a.shape[0]] = a
    return out


@njit(cache=True)
def _with_room(tr: _Tracks, needed: int) -> _Tracks:
    """``tr`` itself if it holds ``needed`` rows, else a copy with twice that capacity."""
    if needed <= tr.track_id.size:
        return tr
    cap = 2 * needed
    return _Tracks(
        _grown(tr.x, cap),
        _grown(tr.p, cap),
        _grown(tr.mu, cap),
        _grown(tr.mean, cap),
        _grown(tr.position_cov, cap),
        _grown(tr.track_id, cap),
        _grown(tr.history, cap),
        _grown(tr.opportunities, cap),
        _grown(tr.misses, cap),
        _grown(tr.confirmed, cap),
        _grown(tr.born_s, cap),
    )


@njit(cache=True)
def _log_rows(log: _Log, tr: _Tracks, n: int, t: float, axes: tuple[int, ...]) -> _Log:
    """Append the confirmed tracks' combined estimates at time ``t``."""
    count = 0
    for i in range(n):
        if tr.confirmed[i]:
            count += 1
    need = log.n_rows + count
    time, track_id, mean, cov = log.time, log.track_id, log.mean, log.cov
    if need > time.size:
        cap = 2 * need
        time, track_id, mean = _grown(time, cap), _grown(track_id, cap), _grown(mean, cap)
        if cov.shape[1] > 0:
            cov = _grown(cov, cap)
    k = log.n_rows
    for i in range(n):
        if tr.confirmed[i]:
            time[k] = t
            track_id[k] = tr.track_id[i]
            mean[k] = tr.mean[i]
            if cov.shape[1] > 0:
                kalman.imm_combine(tr.x[i], tr.p[i], tr.mu[i], mean[k], cov[k], axes, axes + axes)
            k += 1
    return _Log(time, track_id, mean, cov, k, log.a_time, log.a_track, log.a_det, log.a_d2,
                log.a_new, log.n_assoc)  # fmt: skip


@njit(cache=True)
def _log_association(log: _Log, t: float, track: int, det: int, d2: float, initiated: bool) -> _Log:
    """Record one association (the log has room for one per detection)."""
    k = log.n_assoc
    log.a_time[k] = t
    log.a_track[k] = track
    log.a_det[k] = det
    log.a_d2[k] = d2
    log.a_new[k] = initiated
    return _Log(log.time, log.track_id, log.mean, log.cov, log.n_rows, log.a_time, log.a_track,
                log.a_det, log.a_d2, log.a_new, k + 1)  # fmt: skip


@njit(cache=True)
def _combine(tr: _Tracks, i: int, ws: kalman.Workspace) -> None:
    """Track i's combined mean and position covariance from its models."""
    kalman.imm_combine(tr.x[i], tr.p[i], tr.mu[i], tr.mean[i], tr.position_cov[i], ws.axes, ws.axes)


@njit(cache=True)
def _predict(tr: _Tracks, n: int, dt: float, rules: _Rules, ws: kalman.Workspace) -> None:
    """IMM interaction and CV prediction of tracks [0, n) over ``dt`` > 0 seconds."""
    m = rules.process_noise.size
    for i in range(n):
        if m > 1:
            kalman.imm_mix(tr.x[i], tr.p[i], tr.mu[i], rules.mode_transition, ws)
        for j in range(m):
            kalman.predict(tr.x[i, j], tr.p[i, j], dt, rules.process_noise[j], ws)
        _combine(tr, i, ws)


@njit(cache=True)
def _associate_update(
    tr: _Tracks,
    rows: np.ndarray,
    scans: _Scans,
    start: int,
    free: np.ndarray,
    hit: np.ndarray,
    t: float,
    rules: _Rules,
    ws: kalman.Workspace,
    log: _Log,
) -> _Log:
    """Associate tracks ``rows`` with the ``free`` detections of one sensor scan (rows
    ``start`` … ``start + free.size`` of ``scans``), update the assigned tracks, mark them in
    ``hit``, clear ``free`` for the detections used and log each association."""
    k = free.size
    z = scans.z[start : start + k]
    r = scans.r[start : start + k]
    ptr, det, d2 = gate(rows, tr.mean, tr.position_cov, z, r, free, rules.gate, ws)
    chosen = assign_gnn(ptr, det, d2, k, rules.gate)
    m = rules.process_noise.size
    like = np.empty(m)
    for q in range(rows.size):
        j = chosen[q]
        if j < 0:
            continue
        i = rows[q]
        for mm in range(m):
            like[mm] = kalman.update(tr.x[i, mm], tr.p[i, mm], z[j], r[j], ws)
        if m > 1:
            total = 0.0
            for mm in range(m):
                total += tr.mu[i, mm] * like[mm]
            if total > 0.0:
                for mm in range(m):
                    tr.mu[i, mm] = tr.mu[i, mm] * like[mm] / total
        _combine(tr, i, ws)
        free[j] = False
        hit[i] = True
        for e in range(ptr[q], ptr[q + 1]):
            if det[e] == j:
                log = _log_association(log, t, tr.track_id[i], scans.row[start + j], d2[e], False)
    return log


@njit(cache=True)
def _sensor_pass(
    tr: _Tracks,
    n: int,
    next_id: int,
    scans: _Scans,
    start: int,
    stop: int,
    t: float,
    rules: _Rules,
    ws: kalman.Workspace,
    log: _Log,
) -> tuple[_Tracks, int, int, _Log]:
    """Fuse one sensor's detections (rows [start, stop) of ``scans``) at time ``t``."""
    d = rules.dim
    free = np.ones(stop - start, np.bool_)
    hit = np.zeros(n, np.bool_)
    confirmed = np.flatnonzero(tr.confirmed[:n])
    tentative = np.flatnonzero(~tr.confirmed[:n])
    log = _associate_update(tr, confirmed, scans, start, free, hit, t, rules, ws, log)
    log = _associate_update(tr, tentative, scans, start, free, hit, t, rules, ws, log)
    sensor = scans.sensor[start]
    seen = np.ones(n, np.bool_)
    if rules.has_coverage:
        reach2 = rules.coverage_range[sensor] ** 2
        for i in range(n):
            dist2 = 0.0
            for a in range(d):
                dist2 += (tr.mean[i, a] - rules.coverage_position[sensor, a]) ** 2
            seen[i] = hit[i] or dist2 <= reach2
    record_scan(tr.history, tr.opportunities, tr.misses, tr.confirmed, hit, seen,
                rules.confirm_m, rules.confirm_n)  # fmt: skip
    tr = _with_room(tr, n + free.sum())
    for j in range(free.size):
        if not free[j]:
            continue
        initiate(tr.x[n], tr.p[n], tr.mu[n], scans.z[start + j], scans.r[start + j],
                 rules.initial_velocity_var)  # fmt: skip
        _combine(tr, n, ws)
        tr.track_id[n] = next_id
        tr.history[n] = 1
        tr.opportunities[n] = 1
        tr.misses[n] = 0
        tr.confirmed[n] = False
        tr.born_s[n] = t
        log = _log_association(log, t, next_id, scans.row[start + j], 0.0, True)
        n += 1
        next_id += 1
    return tr, n, next_id, log


@njit(cache=True)
def _delete(tr: _Tracks, n: int, t: float, rules: _Rules) -> int:
    """Remove the tracks that do not survive the step (stable); returns the new count."""
    d = rules.dim
    kept = 0
    for i in range(n):
        variance = 0.0
        for a in range(d):
            variance += tr.position_cov[i, a, a]
        if survives(tr.confirmed[i], tr.history[i], tr.opportunities[i], tr.misses[i], variance,
                    t - tr.born_s[i], rules.confirm_m, rules.confirm_n, rules.max_misses,
                    rules.max_position_var, rules.max_tentative_age_s):  # fmt: skip
            if kept != i:
                tr.x[kept] = tr.x[i]
                tr.p[kept] = tr.p[i]
                tr.mu[kept] = tr.mu[i]
                tr.mean[kept] = tr.mean[i]
                tr.position_cov[kept] = tr.position_cov[i]
                tr.track_id[kept] = tr.track_id[i]
                tr.history[kept] = tr.history[i]
                tr.opportunities[kept] = tr.opportunities[i]
                tr.misses[kept] = tr.misses[i]
                tr.confirmed[kept] = tr.confirmed[i]
                tr.born_s[kept] = tr.born_s[i]
            kept += 1
    return kept


@njit(cache=True)
def _run(
    tr: _Tracks,
    n: int,
    next_id: int,
    t_prev: float,
    scans: _Scans,
    scan_times: np.ndarray,
    rules: _Rules,
    ws: kalman.Workspace,
    log: _Log,
) -> _RunResult:
    """Every step of a run: predict, fuse each sensor's detections, delete, log."""
    for i in range(n):
        _combine(tr, i, ws)
    k = scans.time.size
    start = 0
    for t in scan_times:
        if n > 0 and t > t_prev:
            _predict(tr, n, t - t_prev, rules, ws)
        t_prev = t
        stop = start
        while stop < k and scans.time[stop] == t:
            stop += 1
        a = start
        while a < stop:
            b = a
            while b < stop and scans.sensor[b] == scans.sensor[a]:
                b += 1
            tr, n, next_id, log = _sensor_pass(tr, n, next_id, scans, a, b, t, rules, ws, log)
            a = b
        start = stop
        n = _delete(tr, n, t, rules)
        log = _log_rows(log, tr, n, t, ws.axes)
    return _RunResult(tr, n, next_id, log)


def _execute(
    state: TrackState,
    detections: Detections,
    params: TrackerParams,
    scan_times: np.ndarray,
    with_covariance: bool,
) -> _RunResult:
    if scan_times.size and scan_times[0] < state.time and len(state):
        raise ValueError(f"scan time {scan_times[0]} is before the tracker time {state.time}")
    scans = _scans(detections, params)
    log = _log(2 * params.dim, with_covariance, len(detections))
    return _run(
        _tracks(state, min(len(detections), 1024)),
        len(state),
        int(state.next_id),
        float(state.time),
        scans,
        np.ascontiguousarray(scan_times, np.float64),
        _rules(params),
        kalman.workspace(params.dim, params.n_models),
        log,
    )


def _associations(log: _Log) -> Associations:
    k = log.n_assoc
    return Associations(
        time=log.a_time[:k].copy(),
        track_id=log.a_track[:k].copy(),
        detection=log.a_det[:k].copy(),
        distance2=log.a_d2[:k].copy(),
        initiated=log.a_new[:k].copy(),
    )


def tracker_step(
    state: TrackState, detections: Detections, params: TrackerParams, *, time: float | None = None
) -> tuple[TrackState, Associations]:
    """Advance the tracker to one scan time and fuse that scan's detections (pure function).

    ``detections`` must all carry the same time (``time`` if given, which also allows an empty
    batch: tracks are then only predicted and the deletion rules applied). Positions and
    covariances use the first ``dim`` axes. Returns the new state and which detection (row of
    ``detections``) updated which track.
    """
    if time is None:
        if len(detections) == 0:
            return state, _associations(_log(2 * params.dim, False, 0))
        time = float(detections.time[0])
    if len(detections) and np.any(detections.time != time):
        raise ValueError("tracker_step takes the detections of one scan time")
    if time < state.time:
        raise ValueError(f"scan time {time} is before the tracker time {state.time}")
    result = _execute(state, detections, params, np.array([float(time)]), False)
    tr, n = result.tracks, result.n_tracks
    new = TrackState(
        time=float(time),
        next_id=int(result.next_id),
        **{name: getattr(tr, name)[:n].copy() for name in _TRACK_FIELDS},
    )
    return new, _associations(result.log)


def run_tracker(
    detections: Detections,
    params: TrackerParams,
    scan_times: np.ndarray | None = None,
    *,
    with_covariance: bool = True,
) -> TrackTable:
    """Run the tracker over a whole detection table (sorted by time), one step per distinct
    time, in one compiled call.

    ``scan_times`` adds scan times with no detections. Returns the confirmed tracks after each
    step (with their covariances unless ``with_covariance`` is False) and every association.
    """
    if len(detections) and np.any(np.diff(detections.time) < 0):
        raise ValueError("detections must be sorted by time")
    times = np.unique(detections.time)
    if scan_times is not None:
        times = np.union1d(times, np.asarray(scan_times, np.float64))
    start = float(times[0]) if times.size else 0.0
    result = _execute(
        TrackState.empty(params, time=start), detections, params, times, with_covariance
    )
    log = result.log
    r = log.n_rows
    return TrackTable(
        time=log.time[:r].copy(),
        track_id=log.track_id[:r].copy(),
        state=log.mean[:r].copy(),
        covariance=log.cov[:r].copy() if with_covariance else None,
        associations=_associations(log),
        n_started=int(result.next_id),
    )
