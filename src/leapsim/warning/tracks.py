"""The one place early warning talks to :mod:`leapsim.tracking`.

Tracking runs :func:`leapsim.tracking.tracker_step` with the study's settings and the miss
coverage of each sensor; the nodes of a fence report through a fusion centre as one sensor
(plots of different nodes that gate with each other are merged, as in the engine's tracked
mode: ``docs/engine.md``). Two deletion rules the tracker does not have yet are applied here, as
the engine's tracked mode does: a track whose RMS position error exceeds
``max(2 km, 2 × initial speed σ × slowest scan period)`` is dropped, and so is a tentative track
not confirmed within ``confirm_n`` scans of the slowest sensor (no sensor denies a track outside
every sensor's miss range, so nothing else would end it).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.stats import chi2

from leapsim.engine.tracked import _fuse_networks
from leapsim.sensing import Detections, SensorArrays
from leapsim.tracking import SensorCoverage, TrackerParams, TrackState, tracker_step

NETWORK_GATE = float(chi2.ppf(0.99, 3))  # plots of two nodes within this merge

MIN_DELETE_SIGMA_M = 2000.0


@dataclass(frozen=True)
class _Params(TrackerParams):
    """:class:`TrackerParams` with the χ² gate computed once (the tracker asks for it at every
    association)."""

    @cached_property
    def gate_threshold(self) -> float:
        return TrackerParams.gate_threshold.fget(self)


@dataclass
class Tracking:
    """A running tracker over one set of sensors: state, settings and birth times."""

    params: TrackerParams
    state: TrackState
    max_position_var: float
    max_tentative_age_s: float
    born_s: np.ndarray  # birth time by track id (ids are issued in order)
    network: np.ndarray  # (S,) sensor id the tracker sees
    networked: np.ndarray  # (S,) node of a fence

    @classmethod
    def start(
        cls,
        params: TrackerParams,
        sensors: SensorArrays,
        miss_range_m: np.ndarray,
        time: float,
        network: np.ndarray | None = None,
        networked: np.ndarray | None = None,
    ) -> Tracking:
        """A tracker over ``sensors``; ``network``/``networked`` (S,) group fence nodes (a
        network's silence never counts as a miss: its nodes' miss range is 0)."""
        slowest = float(sensors.scan_period_s.max(initial=1.0))
        sigma = max(MIN_DELETE_SIGMA_M, 2.0 * params.initial_speed_sigma_mps * slowest)
        if network is None or networked is None:
            network, networked = np.arange(len(sensors)), np.zeros(len(sensors), dtype=bool)
        miss_range_m = np.where(networked, 0.0, miss_range_m)
        params = _Params(
            **{
                f: getattr(params, f) for f in TrackerParams.__dataclass_fields__ if f != "coverage"
            },
            coverage=SensorCoverage(sensors.antenna_position, miss_range_m),
        )
        return cls(
            params,
            TrackState.empty(params, time=time),
            3.0 * sigma**2,
            params.confirm_n * slowest,
            np.zeros(0),
            network,
            networked,
        )

    def step(self, detections: Detections, time: float) -> None:
        """Fuse one scan time's detections, then apply the two deletion rules."""
        if len(detections) and self.networked[detections.sensor].any():
            detections = _fuse_networks(detections, self.network, self.networked, NETWORK_GATE)
        state = tracker_step(self.state, detections, self.params, time=time)
        new = state.next_id - self.born_s.size
        if new > 0:
            self.born_s = np.concatenate([self.born_s, np.full(new, time)])
        _, cov = state.estimate()
        lost = np.trace(cov[:, :3, :3], axis1=1, axis2=2) > self.max_position_var
        lost |= ~state.confirmed & (time - self.born_s[state.track_id] >= self.max_tentative_age_s)
        if lost.any():
            state = TrackState(time=state.time, next_id=state.next_id, **state._rows(~lost))
        self.state = state

    def confirmed(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Confirmed tracks: ids (C,), combined means (C, 6) and covariances (C, 6, 6)."""
        rows = np.flatnonzero(self.state.confirmed)
        if rows.size == 0:
            return rows, np.zeros((0, 6)), np.zeros((0, 6, 6))
        mean, cov = self.state.estimate()
        return self.state.track_id[rows], mean[rows], cov[rows]
