"""Detection-mode sensing for the engine: where a sensor can see, and when it first detects.

In ``detection`` mode a threat becomes known to C2 at its first detection by any sensor and stays
known (track continuity is assumed; the ``tracked`` mode models it). Scans are independent, so the
detection hazard of sensor s on a target is ``−ln(1 − Pd)/T_scan`` per second, with the single-scan
Pd of :func:`leapsim.sensing.scan.detection_probability`. With the hazard held piecewise constant
between sample times, the first detection time is drawn exactly from one exponential variate per
(sensor, threat): it is the time at which the cumulative hazard reaches that variate.
"""

from __future__ import annotations

import numpy as np

from leapsim.sensing.radar import radar_horizon_m
from leapsim.sensing.sensors import ACOUSTIC, SensorArrays


def coverage_radius_m(sensors: SensorArrays, target_height_m: float) -> np.ndarray:
    """(S,) ground range from each sensor beyond which it cannot detect a target at that height:
    its instrumented range, and for line-of-sight sensors the 4/3-earth horizon."""
    horizon = radar_horizon_m(sensors.antenna_height_m, np.asarray(target_height_m, float))
    horizon = np.where(sensors.kind == ACOUSTIC, np.inf, horizon)
    return np.minimum(sensors.max_range_m, horizon)


def first_detection_time(
    sample_t: np.ndarray,
    pd: np.ndarray,
    scan_period_s: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """First detection time for each of P (sensor, threat) pairs.

    Args:
        sample_t: (P, M) increasing sample times of each pair's coverage window, s.
        pd: (P, M) single-scan Pd at those times; held constant over the interval after each.
        scan_period_s: (P,) scan period of the pair's sensor, s.
        rng: the run's generator (one exponential draw per pair).

    Returns:
        (P,) time of first detection, ``inf`` where the pair never detects.
    """
    n_pairs = sample_t.shape[0]
    if n_pairs == 0:
        return np.empty(0)
    dt = np.diff(sample_t, axis=1)
    hazard = -np.log1p(-np.minimum(pd[:, :-1], 1.0 - 1e-12)) / scan_period_s[:, None]
    cumulative = np.concatenate([np.zeros((n_pairs, 1)), np.cumsum(hazard * dt, axis=1)], axis=1)
    draw = rng.standard_exponential(n_pairs)
    idx = (cumulative < draw[:, None]).sum(axis=1) - 1  # interval where the draw is reached
    detected = idx < sample_t.shape[1] - 1
    idx = np.clip(idx, 0, sample_t.shape[1] - 2)
    rows = np.arange(n_pairs)
    rate = hazard[rows, idx]
    with np.errstate(divide="ignore", invalid="ignore"):
        offset = (draw - cumulative[rows, idx]) / rate
    return np.where(detected, sample_t[rows, idx] + offset, np.inf)
