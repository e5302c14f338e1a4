"""Sensor physics: radar, acoustic and EO/IR detection probability, measurement noise, clutter.

Everything is vectorised over sensors × targets; detections are struct-of-arrays batches.
"""

from leapsim.sensing.measurements import Detections
from leapsim.sensing.radar import pd_steady, pd_swerling1, radar_horizon_m
from leapsim.sensing.scan import detection_probability, sample_scan, scans_due
from leapsim.sensing.sensors import KINDS, SensorArrays

__all__ = [
    "KINDS",
    "Detections",
    "SensorArrays",
    "detection_probability",
    "pd_steady",
    "pd_swerling1",
    "radar_horizon_m",
    "sample_scan",
    "scans_due",
]
