"""Multi-target tracker: clean data, clutter, SPD covariances, fusion, coverage, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from leapsim.sensing import Detections, SensorArrays, sample_scan
from leapsim.tracking import (
    SensorCoverage,
    TrackerParams,
    TrackState,
    ospa_gospa_series,
    run_tracker,
    tracker_step,
)


def straight_targets(n: int, scans: int, seed: int, spacing: float = 800.0):
    """Truth of n well-separated constant-velocity targets on a grid, 1 s scans: (scans, n, 3)."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    grid = np.stack(np.meshgrid(np.arange(side), np.arange(side)), -1).reshape(-1, 2)[:n]
    start = np.column_stack([grid * spacing, rng.uniform(100, 1000, n)])
    vel = np.column_stack([rng.uniform(-20, 20, (n, 2)), np.zeros(n)])
    return start[None] + np.arange(scans)[:, None, None] * vel[None]


def detections_of(truth, sigma, pd, clutter, rng, dim=3, sensor=0) -> Detections:
    parts = []
    for t, pos in enumerate(truth):
        hit = rng.random(len(pos)) < pd
        z = pos[hit] + rng.normal(0, sigma, (int(hit.sum()), 3))
        fa = rng.uniform(-2000, 8000, (rng.poisson(clutter), 3))
        zz = np.concatenate([z, fa])
        if dim == 2:
            zz[:, 2] = 0.0
        k = len(zz)
        cov = np.broadcast_to(np.eye(3) * sigma**2, (k, 3, 3)).copy()
        target = np.concatenate([np.flatnonzero(hit), np.full(len(fa), -1)])
        parts.append(Detections(np.full(k, float(t)), np.full(k, sensor), zz, cov, target))
    return Detections.concatenate(parts)


def test_clean_data_every_target_tracked_with_stable_ids():
    truth = straight_targets(25, 30, seed=1)
    dets = detections_of(truth, 10.0, 1.0, 0.0, np.random.default_rng(2))
    params = TrackerParams(dim=3, confirm_m=3, confirm_n=4)
    table = run_tracker(dets, params)
    for t in range(2, 30):
        rows = table.time == t
        assert rows.sum() == 25, t
        s = ospa_gospa_series(np.full(25, t), truth[t], table.time[rows], table.state[rows, :3])
        assert s["ospa"][0] < 30.0
    assert np.unique(table.track_id).size == 25  # no track ever broke or duplicated
    final = table.time == 29
    true_v = truth[29] - truth[28]
    order = np.argmin(np.linalg.norm(table.state[final, None, :3] - truth[29][None], axis=2), 0)
    v_err = table.state[final][order, 3:] - true_v
    v_sigma = np.sqrt(np.diagonal(table.covariance[final][order], axis1=1, axis2=2)[:, 3:])
    assert np.all(np.abs(v_err) < 4.0 * v_sigma)  # estimates consistent with their covariance
    assert np.sqrt(np.mean(v_err**2)) < 5.0


def test_clutter_and_missed_detections_keep_covariances_spd_and_few_false_tracks():
    truth = straight_targets(30, 60, seed=3)
    dets = detections_of(truth, 15.0, 0.9, 8.0, np.random.default_rng(4))
    params = TrackerParams(dim=3)
    state = TrackState.empty(params)
    n_confirmed, min_eig = [], np.inf
    for t in range(60):
        state = tracker_step(state, dets.select(dets.time == t), params, time=float(t))
        if len(state):
            assert np.allclose(state.p, np.swapaxes(state.p, -1, -2))
            min_eig = min(min_eig, float(np.linalg.eigvalsh(state.p).min()))
            assert np.allclose(state.mu.sum(axis=1), 1.0)
        n_confirmed.append(int(state.confirmed.sum()))
    assert min_eig > 0
    assert 28 <= np.median(n_confirmed[10:]) <= 32
    mean, _ = state.estimate()
    s = ospa_gospa_series(
        np.full(30, 59.0),
        truth[59],
        np.full(int(state.confirmed.sum()), 59.0),
        mean[state.confirmed, :3],
    )
    assert s["ospa"][0] < 40.0


def test_runs_are_deterministic_and_steps_are_pure():
    truth = straight_targets(10, 15, seed=5)
    dets = detections_of(truth, 10.0, 0.9, 3.0, np.random.default_rng(6))
    params = TrackerParams(dim=3)
    a, b = run_tracker(dets, params), run_tracker(dets, params)
    for name in ("time", "track_id", "state", "covariance"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    s0 = TrackState.empty(params)
    s1 = tracker_step(s0, dets.select(dets.time == 0), params)
    x_before = s1.x.copy()
    s2 = tracker_step(s1, dets.select(dets.time == 1), params)
    assert np.array_equal(s1.x, x_before) and len(s0) == 0
    assert s2.time == 1.0 and s2 is not s1


def test_two_sensor_fusion_shrinks_covariance_without_duplicate_tracks():
    truth = straight_targets(9, 12, seed=7)
    rng = np.random.default_rng(8)
    one = detections_of(truth, 20.0, 1.0, 0.0, rng, sensor=0)
    two = detections_of(truth, 20.0, 1.0, 0.0, rng, sensor=1)
    both = Detections.concatenate([one, two])
    both = both.select(np.argsort(both.time, kind="stable"))
    params = TrackerParams(dim=3, process_noise=(1.0,))
    single, fused = run_tracker(one, params), run_tracker(both, params)
    last_s, last_f = single.time == 11, fused.time == 11
    assert last_s.sum() == last_f.sum() == 9
    var_s = np.trace(single.covariance[last_s][:, :3, :3], axis1=1, axis2=2).mean()
    var_f = np.trace(fused.covariance[last_f][:, :3, :3], axis1=1, axis2=2).mean()
    assert var_f < 0.75 * var_s


def test_tracks_outside_a_sensors_coverage_are_not_charged_misses():
    truth = straight_targets(1, 20, seed=9)  # one target near the origin
    dets = detections_of(truth, 10.0, 1.0, 0.0, np.random.default_rng(10), sensor=0)
    # a second sensor 100 km away scans every second and never sees the target
    far = Detections(
        np.arange(20.0),
        np.ones(20, np.int64),
        np.tile([[1e5, 1e5, 0.0]], (20, 1)),
        np.tile(np.eye(3) * 100.0, (20, 1, 1)),
        -np.ones(20, np.int64),
    )
    both = Detections.concatenate([dets, far])
    both = both.select(np.argsort(both.time, kind="stable"))
    coverage = SensorCoverage(np.array([[0.0, 0.0, 0.0], [1e5, 1e5, 0.0]]), np.array([3e4, 3e4]))
    covered = run_tracker(both, TrackerParams(dim=3, coverage=coverage))
    blind = run_tracker(both, TrackerParams(dim=3, max_misses=2, confirm_n=4))
    near_covered = covered.state[:, 0] < 5e4
    assert (covered.time[near_covered] == 19).sum() == 1
    # without coverage every far-sensor scan is a miss, so the target never stays confirmed long
    near_blind = blind.state[:, 0] < 5e4
    assert (blind.time[near_blind] == 19).sum() == 0


def test_end_to_end_radar_scans_to_tracks():
    sensors = SensorArrays.from_records(
        [
            dict(
                kind="radar",
                position=[0.0, 0.0, 0.0],
                detection_range_m=30_000.0,
                reference_rcs_m2=0.1,
                scan_period_s=2.0,
                range_sigma_m=15.0,
                azimuth_sigma_rad=0.002,
                elevation_sigma_rad=0.004,
                false_alarms_per_scan=2.0,
                antenna_height_m=15.0,
            )
        ]
    )
    rng = np.random.default_rng(12)
    start = np.array(
        [[12_000.0, 5_000.0, 300.0], [9_000.0, -7_000.0, 800.0], [15_000.0, 0.0, 150.0]]
    )
    vel = np.array([[-50.0, 0.0, 0.0], [0.0, 40.0, 0.0], [-30.0, -30.0, 0.0]])
    params = TrackerParams(
        dim=3,
        process_noise=(1.0, 100.0),
        coverage=SensorCoverage(sensors.antenna_position, sensors.max_range_m),
    )
    state = TrackState.empty(params)
    for k in range(30):
        t = 2.0 * k
        truth = start + t * vel
        scan = sample_scan(sensors, t, truth, np.full(3, 1.0), rng)
        state = tracker_step(state, scan, params, time=t)
    mean, _ = state.estimate()
    est = mean[state.confirmed, :3]
    s = ospa_gospa_series(np.full(3, t), truth, np.full(len(est), t), est, c=200.0)
    assert len(est) == 3
    assert s["ospa"][0] < 60.0


def test_parameter_and_input_validation():
    with pytest.raises(ValueError):
        TrackerParams(dim=4)
    with pytest.raises(ValueError):
        TrackerParams(confirm_m=5, confirm_n=4)
    params = TrackerParams(dim=2)
    dets = detections_of(
        straight_targets(2, 3, seed=0), 10.0, 1.0, 0.0, np.random.default_rng(0), dim=2
    )
    with pytest.raises(ValueError, match="one scan time"):
        tracker_step(TrackState.empty(params), dets, params)
    later = tracker_step(TrackState.empty(params), dets.select(dets.time == 2), params)
    with pytest.raises(ValueError, match="before"):
        tracker_step(later, dets.select(dets.time == 1), params)
