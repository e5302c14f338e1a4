"""Multi-target tracking: compiled IMM filtering, GNN association and M-of-N track management;
OSPA/GOSPA metrics."""

from leapsim.tracking.metrics import gospa, ospa, ospa_gospa_series
from leapsim.tracking.tracker import (
    Associations,
    SensorCoverage,
    TrackerParams,
    TrackState,
    TrackTable,
    run_tracker,
    tracker_step,
)

__all__ = [
    "Associations",
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
