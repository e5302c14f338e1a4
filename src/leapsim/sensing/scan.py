"""Sensor scans, vectorised over sensors × targets and over many scans.

:func:`detection_probability` gives the (S, N) single-scan Pd; :func:`sample_scans` draws the
detections (targets and Poisson false alarms) of many scans at once, :func:`sample_scan` those
of the sensors that scan now; :func:`scans_due` says which sensors complete a scan in a time
step."""

from __future__ import annotations

import numpy as np
from numba import njit

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
    """Detections of one scan by the ``active`` sensors (bool mask, default all) at ``time``:
    :func:`sample_scans` with one scan time (``target`` indexes ``target_position``)."""
    target_position = np.asarray(target_position, dtype=np.float64).reshape(-1, 3)
    n = target_position.shape[0]
    due = np.ones((1, len(sensors)), bool) if active is None else np.asarray(active)[None, :]
    return sample_scans(
        sensors,
        np.array([float(time)]),
        due,
        np.array([0, n]),
        target_position,
        np.asarray(target_rcs_m2, dtype=np.float64).reshape(n),
        np.arange(n),
        rng,
    )


def sample_scans(
    sensors: SensorArrays,
    times: np.ndarray,
    due: np.ndarray,
    target_ptr: np.ndarray,
    target_position: np.ndarray,
    target_rcs_m2: np.ndarray,
    target_id: np.ndarray,
    rng: np.random.Generator,
) -> Detections:
    """Detections of many scans at once: at each of J ``times`` every sensor with ``due`` (J, S)
    scans the targets of that time, entries ``[target_ptr[j], target_ptr[j + 1])`` of
    ``target_position`` (E, 3), ``target_rcs_m2`` (E,) and ``target_id`` (E,).

    Each target is detected independently with its :func:`detection_probability` and measured
    with the spherical noise model; each scan adds Poisson(``false_alarms_per_scan``) false
    alarms uniform over the sensor's coverage. Rows are ordered by time and sensor, targets
    (by entry) before false alarms; a detection's ``target`` is its ``target_id``, −1 for a
    false alarm.
    """
    times = np.asarray(times, dtype=np.float64)
    due = np.asarray(due, dtype=bool)
    antenna = sensors.antenna_position
    scan_j, pair_s, pair_e = _pairs_in_range(
        due, np.asarray(target_ptr, np.int64), target_position, antenna, sensors.max_range_m
    )
    pd = np.zeros(pair_e.size)
    by_sensor = np.argsort(pair_s, kind="stable")
    bounds = np.searchsorted(pair_s[by_sensor], np.arange(len(sensors) + 1))
    for s in np.flatnonzero(np.diff(bounds)):
        rows = by_sensor[bounds[s] : bounds[s + 1]]
        e = pair_e[rows]
        pd[rows] = detection_probability(
            sensors.subset(np.array([s])), target_position[e], target_rcs_m2[e]
        )[0]
    hit = np.flatnonzero(rng.random(pd.size) < pd)
    hit_j, hit_s, hit_e = scan_j[hit], pair_s[hit], pair_e[hit]
    offset, cov = noisy_measurement(
        target_position[hit_e] - antenna[hit_s],
        sensors.range_sigma_m[hit_s],
        sensors.azimuth_sigma_rad[hit_s],
        sensors.elevation_sigma_rad[hit_s],
        rng,
    )
    scan_of, sensor_of = np.nonzero(due)
    n_fa = rng.poisson(sensors.false_alarms_per_scan[sensor_of])
    fa_j, fa_s = np.repeat(scan_of, n_fa), np.repeat(sensor_of, n_fa)
    k = fa_s.size
    ground = sensors.max_range_m[fa_s] * np.sqrt(rng.random(k))
    az = rng.uniform(0.0, 2.0 * np.pi, k)
    el = rng.uniform(0.0, FALSE_ALARM_MAX_ELEVATION_RAD, k)
    fa_range = ground / np.cos(el)
    fa_offset = from_spherical(fa_range, az, el)
    fa_cov = spherical_covariance(
        fa_range,
        az,
        el,
        sensors.range_sigma_m[fa_s],
        sensors.azimuth_sigma_rad[fa_s],
        sensors.elevation_sigma_rad[fa_s],
    )
    # merge the two (scan, sensor)-sorted lists, each scan's targets before its false alarms
    n_sensors = len(sensors)
    hit_key, fa_key = hit_j * n_sensors + hit_s, fa_j * n_sensors + fa_s
    hit_at = np.arange(hit.size) + np.searchsorted(fa_key, hit_key, side="left")
    fa_at = np.arange(k) + np.searchsorted(hit_key, fa_key, side="right")
    total = hit.size + k
    sensor = np.empty(total, np.int64)
    position = np.empty((total, 3))
    covariance = np.empty((total, 3, 3))
    target = np.empty(total, np.int64)
    time = np.empty(total)
    sensor[hit_at], sensor[fa_at] = hit_s, fa_s
    position[hit_at] = offset + antenna[hit_s]
    position[fa_at] = fa_offset + antenna[fa_s]
    covariance[hit_at], covariance[fa_at] = cov, fa_cov
    target[hit_at], target[fa_at] = np.asarray(target_id, np.int64)[hit_e], -1
    time[hit_at], time[fa_at] = times[hit_j], times[fa_j]
    return Detections(time, sensor, position, covariance, target)


@njit(cache=True)
def _pairs_in_range(
    due: np.ndarray,
    target_ptr: np.ndarray,
    target_position: np.ndarray,
    antenna: np.ndarray,
    max_range_m: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(scan, sensor, target entry) of every due scan and target within the sensor's
    instrumented range (slant), ordered by scan and sensor (then by the target's east
    coordinate): the only pairs with Pd > 0."""
    n_scans, n_sensors = due.shape
    cap = 1024
    out_j = np.empty(cap, np.int64)
    out_s = np.empty(cap, np.int64)
    out_e = np.empty(cap, np.int64)
    k = 0
    for j in range(n_scans):
        first, stop = target_ptr[j], target_ptr[j + 1]
        if first == stop:
            continue
        by_x = np.argsort(target_position[first:stop, 0])
        sorted_x = target_position[first:stop, 0][by_x]
        for s in range(n_sensors):
            if not due[j, s]:
                continue
            reach = max_range_m[s]
            lo = np.searchsorted(sorted_x, antenna[s, 0] - reach, side="left")
            hi = np.searchsorted(sorted_x, antenna[s, 0] + reach, side="right")
            if hi == lo:
                continue
            if k + hi - lo > cap:
                cap = 2 * (k + hi - lo)
                out_j = _grown(out_j, cap)
                out_s = _grown(out_s, cap)
                out_e = _grown(out_e, cap)
            for q in range(lo, hi):
                e = first + by_x[q]
                d2 = 0.0
                for a in range(3):
                    d2 += (target_position[e, a] - antenna[s, a]) ** 2
                if d2 <= reach * reach:
                    out_j[k] = j
                    out_s[k] = s
                    out_e[k] = e
                    k += 1
    return out_j[:k], out_s[:k], out_e[:k]


@njit(cache=True)
def _grown(a: np.ndarray, size: int) -> np.ndarray:
    out = np.empty(size, a.dtype)
    out[: a.size] = a
    return out
