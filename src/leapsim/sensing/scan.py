"""One scan of every sensor against every target, vectorised over sensors × targets.

:func:`detection_probability` gives the (S, N) single-scan Pd; :func:`sample_scan` draws the
detections (targets and Poisson false alarms) of the sensors that scan now; :func:`scans_due`
says which sensors complete a scan in a time step.
"""

from __future__ import annotations

import numpy as np

from leapsim.sensing.measurements import (
    Detections,
    from_spherical,
    noisy_measurement,
    spherical_covariance,
)
from leapsim.sensing.radar import (
    REFERENCE_PD,
    pd_steady,
    pd_swerling1,
    radar_horizon_m,
    snr_steady,
    snr_swerling1,
)
from leapsim.sensing.sensors import ACOUSTIC, RADAR, SensorArrays

#: False alarms are spread uniformly in azimuth, ground area (out to the instrumented range) and
#: elevation angle from 0 to this value (rad).
FALSE_ALARM_MAX_ELEVATION_RAD = 0.35


def detection_probability(
    sensors: SensorArrays, target_position: np.ndarray, target_rcs_m2: np.ndarray
) -> np.ndarray:
    """(S, N) probability that one scan of sensor s detects target n.

    Radars: Swerling-1 Pd at SNR from the radar range equation scaled from the reference range
    and RCS, zero below the 4/3-earth horizon. Acoustic and EO/IR: steady source with one-way
    spreading (RCS plays no part); EO/IR is also limited by the horizon. Zero beyond the
    instrumented range. See :mod:`leapsim.sensing.radar` for the formulas and sources.
    """
    antenna = sensors.antenna_position
    delta = np.asarray(target_position, dtype=np.float64)[None, :, :] - antenna[:, None, :]
    slant = np.maximum(np.linalg.norm(delta, axis=-1), 1.0)
    ground = np.hypot(delta[..., 0], delta[..., 1])
    ratio = sensors.detection_range_m[:, None] / slant
    radar = sensors.kind == RADAR
    pd = np.zeros(slant.shape)
    for pfa in np.unique(sensors.pfa):
        rows = radar & (sensors.pfa == pfa)
        if rows.any():
            rcs = np.asarray(target_rcs_m2, dtype=np.float64)[None, :]
            snr = snr_swerling1(REFERENCE_PD, pfa) * rcs / sensors.reference_rcs_m2[rows, None]
            pd[rows] = pd_swerling1(snr * ratio[rows] ** 4, pfa)
        rows = ~radar & (sensors.pfa == pfa)
        if rows.any():
            pd[rows] = pd_steady(snr_steady(REFERENCE_PD, pfa) * ratio[rows] ** 2, pfa)
    horizon = radar_horizon_m(antenna[:, 2:3], np.asarray(target_position)[None, :, 2])
    line_of_sight = (ground <= horizon) | (sensors.kind == ACOUSTIC)[:, None]
    in_range = slant <= sensors.max_range_m[:, None]
    return np.where(line_of_sight & in_range, pd, 0.0)


def scans_due(sensors: SensorArrays, t_prev: float, t_now: float) -> np.ndarray:
    """(S,) True for the sensors that complete a scan in (t_prev, t_now] (scans at k·period)."""
    period = sensors.scan_period_s
    return np.floor(t_now / period + 1e-9) > np.floor(t_prev / period + 1e-9)


def sample_scan(
    sensors: SensorArrays,
    time: float,
    target_position: np.ndarray,
    target_rcs_m2: np.ndarray,
    rng: np.random.Generator,
    active: np.ndarray | None = None,
) -> Detections:
    """Detections of one scan by the ``active`` sensors (bool mask, default all) at ``time``.

    Each target is detected independently with its :func:`detection_probability` and measured
    with the spherical noise model; each sensor adds Poisson(``false_alarms_per_scan``) false
    alarms uniform over its coverage. Rows are ordered by sensor, targets before false alarms.
    """
    idx = np.arange(len(sensors)) if active is None else np.flatnonzero(active)
    sub = sensors.subset(idx)
    target_position = np.asarray(target_position, dtype=np.float64).reshape(-1, 3)
    pd = detection_probability(sub, target_position, target_rcs_m2)
    hit_s, hit_t = np.nonzero(rng.random(pd.shape) < pd)
    antenna = sub.antenna_position
    offset, cov = noisy_measurement(
        target_position[hit_t] - antenna[hit_s],
        sub.range_sigma_m[hit_s],
        sub.azimuth_sigma_rad[hit_s],
        sub.elevation_sigma_rad[hit_s],
        rng,
    )
    n_fa = rng.poisson(sub.false_alarms_per_scan)
    fa_s = np.repeat(np.arange(len(sub)), n_fa)
    k = fa_s.size
    ground = sub.max_range_m[fa_s] * np.sqrt(rng.random(k))
    az = rng.uniform(0.0, 2.0 * np.pi, k)
    el = rng.uniform(0.0, FALSE_ALARM_MAX_ELEVATION_RAD, k)
    fa_range = ground / np.cos(el)
    fa_offset = from_spherical(fa_range, az, el)
    fa_cov = spherical_covariance(
        fa_range,
        az,
        el,
        sub.range_sigma_m[fa_s],
        sub.azimuth_sigma_rad[fa_s],
        sub.elevation_sigma_rad[fa_s],
    )
    sensor_local = np.concatenate([hit_s, fa_s])
    order = np.argsort(sensor_local, kind="stable")
    return Detections(
        time=np.full(sensor_local.size, float(time)),
        sensor=idx[sensor_local][order].astype(np.int64),
        position=(np.concatenate([offset, fa_offset]) + antenna[sensor_local])[order],
        covariance=np.concatenate([cov, fa_cov])[order],
        target=np.concatenate([hit_t, np.full(k, -1)]).astype(np.int64)[order],
    )
