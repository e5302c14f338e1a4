"""Multi-target tracker over struct-of-arrays track state: a pure step function per scan.

Each call of :func:`tracker_step` takes the detections of one scan time (any number of sensors)
and returns a new :class:`TrackState`:

1. IMM interaction and constant-velocity prediction of every track to the scan time.
2. For each sensor in ascending id (centralised fusion by sequential updates): Mahalanobis gating,
   global-nearest-neighbour assignment (confirmed tracks first, then tentative tracks on the
   detections left), Joseph-form Kalman update of each model and IMM mode-probability update;
   every track inside the sensor's coverage records a hit or a miss; each detection left over
   starts a tentative track.
3. M-of-N confirmation over the last N opportunities, deletion of tentative tracks whose window
   closes unconfirmed, and of confirmed tracks after ``max_misses`` consecutive misses.

With one process-noise value the IMM reduces exactly to a single Kalman filter.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np
from scipy.stats import chi2

from leapsim.sensing.measurements import Detections
from leapsim.tracking import kalman
from leapsim.tracking.association import assign_gnn, gate


@dataclass(frozen=True)
class SensorCoverage:
    """Where each sensor can see: a track outside a sensor's coverage is not charged a miss."""

    position: np.ndarray  # (S, 3) ENU m
    max_range_m: np.ndarray  # (S,)


@dataclass(frozen=True)
class TrackerParams:
    """Tracker settings (SI units).

    ``process_noise``: CWNA spectral density q (m²/s³) of each IMM model (one value = plain KF);
    ``model_stay_probability``: IMM Markov diagonal per scan; ``gate_probability``: probability
    mass of the χ² validation gate; ``confirm_m``/``confirm_n``: M-of-N confirmation;
    ``max_misses``: consecutive misses that delete a confirmed track;
    ``initial_speed_sigma_mps``: 1σ per-axis velocity of a new track (position from its first
    detection, velocity zero).
    """

    dim: int = 3
    process_noise: tuple[float, ...] = (1.0, 200.0)
    model_stay_probability: float = 0.95
    gate_probability: float = 0.99
    confirm_m: int = 3
    confirm_n: int = 4
    max_misses: int = 3
    initial_speed_sigma_mps: float = 50.0
    coverage: SensorCoverage | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.dim not in (2, 3):
            raise ValueError("dim must be 2 or 3")
        if not self.process_noise or min(self.process_noise) < 0:
            raise ValueError("process_noise needs one non-negative value per model")
        if not 1 <= self.confirm_m <= self.confirm_n <= 30:
            raise ValueError("need 1 <= confirm_m <= confirm_n <= 30")

    @property
    def gate_threshold(self) -> float:
        return float(chi2.ppf(self.gate_probability, self.dim))

    @property
    def n_models(self) -> int:
        return len(self.process_noise)


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
        )

    def __len__(self) -> int:
        return int(self.track_id.shape[0])

    def estimate(self) -> tuple[np.ndarray, np.ndarray]:
        """Combined (T, n) mean and (T, n, n) covariance of every track."""
        return kalman.imm_combine(self.x, self.p, self.mu)

    def _rows(self, index: np.ndarray) -> dict[str, np.ndarray]:
        return {
            f.name: getattr(self, f.name)[index]
            for f in fields(self)
            if f.name not in ("time", "next_id")
        }


_BITS_IN_BYTE = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)


def _popcount(bits: np.ndarray) -> np.ndarray:
    """Set bits of each history word (≤ 30 bits wide; numpy < 2 lacks ``bitwise_count``)."""
    return sum(_BITS_IN_BYTE[(bits >> shift) & 0xFF] for shift in (0, 8, 16, 24))


def _predict(state: TrackState, time: float, params: TrackerParams) -> TrackState:
    dt = time - state.time
    if len(state) == 0:
        return replace(state, time=time)
    if dt < 0:
        raise ValueError(f"scan time {time} is before the tracker time {state.time}")
    if dt == 0:
        return replace(state, time=time)
    pi = kalman.transition_matrix(params.n_models, params.model_stay_probability)
    x, p, mu = state.x, state.p, state.mu
    if params.n_models > 1:
        x, p, mu = kalman.imm_mix(x, p, mu, pi)
    f = kalman.cv_transition(dt, params.dim)
    q = kalman.cv_process_noise(dt, np.asarray(params.process_noise), params.dim)
    x, p = kalman.predict(x, p, f, q)
    return replace(state, time=time, x=x, p=p, mu=mu)


def _associate_update(
    st: dict[str, np.ndarray],
    rows: np.ndarray,
    z: np.ndarray,
    r: np.ndarray,
    free: np.ndarray,
    params: TrackerParams,
) -> np.ndarray:
    """Associate tracks ``rows`` with the ``free`` detections and update them in place.

    Returns the track rows that were assigned a detection; clears ``free`` for used detections.
    """
    d = params.dim
    det_idx = np.flatnonzero(free)
    if rows.size == 0 or det_idx.size == 0:
        return np.zeros(0, np.int64)
    mean, cov = kalman.imm_combine(st["x"][rows], st["p"][rows], st["mu"][rows])
    threshold = params.gate_threshold
    ti, kj, d2 = gate(mean[:, :d], cov[:, :d, :d], z[det_idx], r[det_idx], threshold)
    at, ak = assign_gnn(rows.size, det_idx.size, ti, kj, d2, threshold)
    if at.size == 0:
        return np.zeros(0, np.int64)
    tr, dk = rows[at], det_idx[ak]
    x_new, p_new, like = kalman.update(
        st["x"][tr], st["p"][tr], z[dk][:, None, :], r[dk][:, None, :, :]
    )
    st["x"][tr], st["p"][tr] = x_new, p_new
    if params.n_models > 1:
        w = st["mu"][tr] * like
        total = w.sum(axis=1, keepdims=True)
        ok = total[:, 0] > 0
        st["mu"][tr[ok]] = w[ok] / total[ok]
    free[dk] = False
    return tr


def _new_tracks(z: np.ndarray, r: np.ndarray, params: TrackerParams) -> dict[str, np.ndarray]:
    k, d, m = z.shape[0], params.dim, params.n_models
    n = 2 * d
    x = np.zeros((k, m, n))
    x[:, :, :d] = z[:, None, :]
    p = np.zeros((k, m, n, n))
    p[:, :, :d, :d] = r[:, None]
    p[:, :, d:, d:] = np.eye(d) * params.initial_speed_sigma_mps**2
    return {
        "x": x,
        "p": p,
        "mu": np.full((k, m), 1.0 / m),
        "history": np.ones(k, np.int64),
        "opportunities": np.ones(k, np.int64),
        "misses": np.zeros(k, np.int64),
        "confirmed": np.zeros(k, bool),
    }


def tracker_step(
    state: TrackState, detections: Detections, params: TrackerParams, *, time: float | None = None
) -> TrackState:
    """Advance the tracker to one scan time and fuse that scan's detections (pure function).

    ``detections`` must all carry the same time (``time`` if given, which also allows an empty
    batch: tracks are then only predicted). Positions and covariances use the first ``dim`` axes.
    """
    if time is None:
        if len(detections) == 0:
            return state
        time = float(detections.time[0])
    if len(detections) and np.any(detections.time != time):
        raise ValueError("tracker_step takes the detections of one scan time")
    state = _predict(state, float(time), params)
    d = params.dim
    st = state._rows(slice(None))
    st = {k: v.copy() for k, v in st.items()}
    next_id = state.next_id
    window = (1 << params.confirm_n) - 1
    for sensor in np.unique(detections.sensor):
        sel = detections.sensor == sensor
        z = detections.position[sel, :d]
        r = detections.covariance[sel, :d, :d]
        free = np.ones(z.shape[0], bool)
        confirmed = np.flatnonzero(st["confirmed"])
        tentative = np.flatnonzero(~st["confirmed"])
        hit = np.zeros(st["track_id"].size, bool)
        hit[_associate_update(st, confirmed, z, r, free, params)] = True
        hit[_associate_update(st, tentative, z, r, free, params)] = True
        seen = np.ones(hit.size, bool)
        if params.coverage is not None:
            mean, _ = kalman.imm_combine(st["x"], st["p"], st["mu"])
            offset = mean[:, :d] - params.coverage.position[sensor, :d]
            seen = np.linalg.norm(offset, axis=1) <= params.coverage.max_range_m[sensor]
            seen |= hit
        st["history"][seen] = ((st["history"][seen] << 1) | hit[seen]) & window
        st["opportunities"][seen] += 1
        st["misses"][seen] = np.where(hit[seen], 0, st["misses"][seen] + 1)
        hits_in_window = _popcount(st["history"])
        st["confirmed"] |= hits_in_window >= params.confirm_m
        born = _new_tracks(z[free], r[free], params)
        born["track_id"] = next_id + np.arange(int(free.sum()), dtype=np.int64)
        next_id += int(free.sum())
        st = {k: np.concatenate([st[k], born[k]]) for k in st}
    n, m = params.confirm_n, params.confirm_m
    can_confirm = _popcount(st["history"]) + (n - st["opportunities"]) >= m
    keep = np.where(
        st["confirmed"], st["misses"] < params.max_misses, (st["opportunities"] < n) & can_confirm
    )
    return TrackState(time=float(time), next_id=next_id, **{k: v[keep] for k, v in st.items()})


@dataclass(frozen=True)
class TrackTable:
    """Confirmed-track estimates at every scan time: one row per (time, track)."""

    time: np.ndarray  # (R,)
    track_id: np.ndarray  # (R,) int64
    state: np.ndarray  # (R, 2·dim) position then velocity
    covariance: np.ndarray  # (R, 2·dim, 2·dim)


def run_tracker(
    detections: Detections, params: TrackerParams, scan_times: np.ndarray | None = None
) -> TrackTable:
    """Run :func:`tracker_step` over a whole detection table, one step per distinct time.

    ``scan_times`` (sorted) adds scan times with no detections. Returns the confirmed tracks
    after each step.
    """
    if len(detections) and np.any(np.diff(detections.time) < 0):
        raise ValueError("detections must be sorted by time")
    times = np.unique(detections.time)
    if scan_times is not None:
        times = np.union1d(times, scan_times)
    starts = np.searchsorted(detections.time, times, side="left")
    ends = np.searchsorted(detections.time, times, side="right")
    state = TrackState.empty(params, time=float(times[0]) if times.size else 0.0)
    out_t, out_id, out_x, out_p = [], [], [], []
    for t, a, b in zip(times, starts, ends, strict=True):
        state = tracker_step(state, detections.select(slice(a, b)), params, time=float(t))
        mean, cov = state.estimate()
        c = state.confirmed
        out_t.append(np.full(int(c.sum()), float(t)))
        out_id.append(state.track_id[c])
        out_x.append(mean[c])
        out_p.append(cov[c])
    n = 2 * params.dim
    if not out_t:
        return TrackTable(np.zeros(0), np.zeros(0, np.int64), np.zeros((0, n)), np.zeros((0, n, n)))
    return TrackTable(
        np.concatenate(out_t), np.concatenate(out_id), np.concatenate(out_x), np.concatenate(out_p)
    )
