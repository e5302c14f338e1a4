"""The one place early warning talks to :mod:`leapsim.tracking`.

Tracking runs :func:`leapsim.tracking.tracker_step` with the study's settings and the miss
coverage of each sensor; the nodes of a fence report through a fusion centre as one sensor
(:func:`leapsim.sensing.networks.fuse_networks`, as in the engine's tracked mode:
``docs/engine.md``). The tracker's deleter ends a track whose RMS position error exceeds
``max(2 km, 2 × initial speed σ × slowest scan period)`` and a tentative track not confirmed
within ``confirm_n`` scans of the slowest sensor (no sensor denies a track outside every
sensor's miss range, so nothing else would end it), the engine's settings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leapsim.sensing import Detections, SensorArrays
from leapsim.sensing.networks import fuse_networks
from leapsim.tracking import SensorCoverage, TrackerParams, TrackState, tracker_step
from leapsim.tracking.management import deletion_sigma_m


@dataclass
class Tracking:
    """A running tracker over one set of sensors: state and settings."""

    params: TrackerParams
    state: TrackState
    network: np.ndarray  # (S,) sensor id a fence node reports under, −1 for a lone sensor

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
        sigma = deletion_sigma_m(params.initial_speed_sigma_mps, slowest)
        if network is None or networked is None:
            network, networked = np.arange(len(sensors)), np.zeros(len(sensors), dtype=bool)
        miss_range_m = np.where(networked, 0.0, miss_range_m)
        params = params.model_copy(
            update={
                "max_position_sigma_m": sigma,
                "max_tentative_age_s": params.confirm_n * slowest,
                "coverage": tuple(
                    SensorCoverage(position_m=tuple(a), miss_range_m=float(r))
                    for a, r in zip(
                        sensors.antenna_position.tolist(), miss_range_m.tolist(), strict=True
                    )
                ),
            }
        )
        return cls(
            params,
            TrackState.empty(params, time=time),
            np.where(networked, network, -1).astype(np.int64),
        )

    def step(self, detections: Detections, time: float) -> None:
        """Fuse one scan time's detections (the tracker applies its deletion rules)."""
        if len(detections) and (self.network[detections.sensor] >= 0).any():
            detections = fuse_networks(detections, self.network)
        self.state, _ = tracker_step(self.state, detections, self.params, time=time)

    def confirmed(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Confirmed tracks: ids (C,), combined means (C, 6) and covariances (C, 6, 6)."""
        rows = np.flatnonzero(self.state.confirmed)
        if rows.size == 0:
            return rows, np.zeros((0, 6)), np.zeros((0, 6, 6))
        mean, cov = self.state.estimate()
        return self.state.track_id[rows], mean[rows], cov[rows]
