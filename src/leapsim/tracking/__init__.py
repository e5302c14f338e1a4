"""Multi-target tracking: batched Kalman/IMM filtering, GNN association, OSPA/GOSPA metrics."""

from leapsim.tracking.metrics import gospa, ospa, ospa_gospa_series
from leapsim.tracking.tracker import (
    SensorCoverage,
    TrackerParams,
    TrackState,
    TrackTable,
    run_tracker,
    tracker_step,
)

__all__ = [
    "SensorCoverage",
    "TrackState",
    "TrackTable",
    "TrackerParams",
    "gospa",
    "ospa",
    "ospa_gospa_series",
    "run_tracker",
    "tracker_step",
]
