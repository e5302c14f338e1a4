"""Multi-target tracker: clean data, clutter, SPD covariances, fusion, coverage, determinism,
the association output and the track-management rules."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from numba import njit

from leapsim.linalg import cholesky
from leapsim.sensing import Detections, SensorArrays, sample_scan
from leapsim.tracking import (
    SensorCoverage,
    TrackerParams,
    TrackState,
    kalman,
    ospa_gospa_series,
    run_tracker,
    tracker_step,
)
from leapsim.tracking.kalman import transition_matrix


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
        state, _ = tracker_step(state, dets.select(dets.time == t), params, time=float(t))
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
    s1, _ = tracker_step(s0, dets.select(dets.time == 0), params)
    x_before = s1.x.copy()
    s2, _ = tracker_step(s1, dets.select(dets.time == 1), params)
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
    coverage = (
        SensorCoverage(position_m=(0.0, 0.0, 0.0), miss_range_m=3e4),
        SensorCoverage(position_m=(1e5, 1e5, 0.0), miss_range_m=3e4),
    )
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
        coverage=(
            SensorCoverage(
                position_m=tuple(sensors.antenna_position[0]), miss_range_m=sensors.max_range_m[0]
            ),
        ),
    )
    state = TrackState.empty(params)
    for k in range(30):
        t = 2.0 * k
        truth = start + t * vel
        scan = sample_scan(sensors, t, truth, np.full(3, 1.0), rng)
        state, _ = tracker_step(state, scan, params, time=t)
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
    later, _ = tracker_step(TrackState.empty(params), dets.select(dets.time == 2), params)
    with pytest.raises(ValueError, match="before"):
        tracker_step(later, dets.select(dets.time == 1), params)
    with pytest.raises(ValueError, match="sorted by time"):
        run_tracker(dets.select(np.argsort(-dets.time, kind="stable")), params)
    one = TrackerParams(dim=2, coverage=(SensorCoverage(position_m=(0, 0, 0), miss_range_m=1),))
    two_sensors = Detections.concatenate([dets, replace(dets, sensor=dets.sensor + 1)])
    with pytest.raises(ValueError, match="coverage"):
        run_tracker(two_sensors.select(np.argsort(two_sensors.time, kind="stable")), one)


def _predicted_gate_estimate(state: TrackState, dt: float, params: TrackerParams):
    """Reference (numpy, written from the textbook formulas) of the combined estimate every
    track is gated with: IMM interaction, CV prediction with CWNA noise, moment matching."""
    d = params.dim
    eye = np.eye(d)
    f = np.block([[eye, dt * eye], [np.zeros((d, d)), eye]])
    base = np.kron(np.array([[dt**3 / 3, dt**2 / 2], [dt**2 / 2, dt]]), eye)
    x, p, mu = state.x, state.p, state.mu
    pi = transition_matrix(params.n_models, params.model_stay_probability)
    c = mu @ pi
    w = mu[:, :, None] * pi[None] / c[:, None, :]
    x0 = np.einsum("tij,tin->tjn", w, x)
    diff = x[:, :, None, :] - x0[:, None, :, :]
    p0 = np.einsum("tij,tinm->tjnm", w, p) + np.einsum("tij,tijn,tijm->tjnm", w, diff, diff)
    q = np.asarray(params.process_noise)[:, None, None] * base
    xp = x0 @ f.T
    pp = f @ p0 @ f.T + q
    mean = np.einsum("tj,tjn->tn", c, xp)
    dm = xp - mean[:, None, :]
    cov = np.einsum("tj,tjnm->tnm", c, pp) + np.einsum("tj,tjn,tjm->tnm", c, dm, dm)
    return mean, cov


def test_association_output_is_consistent():
    """Step by step on cluttered scans: every detection is used at most once (to start a track
    or to update one); a started track is new and its first detection is the one logged; every
    update lies inside the track's gate, by an independent computation of the gated estimate;
    a run over the whole table reports the same associations."""
    truth = straight_targets(12, 25, seed=21, spacing=300.0)  # close enough to compete
    dets = detections_of(truth, 25.0, 0.85, 6.0, np.random.default_rng(22))
    params = TrackerParams(dim=3)
    gamma = params.gate_threshold
    state = TrackState.empty(params)
    logged = []
    n_updates = 0
    for t in range(25):
        rows = np.flatnonzero(dets.time == t)
        scan = dets.select(rows)
        before = state
        state, assoc = tracker_step(state, scan, params, time=float(t))
        assert np.unique(assoc.detection).size == len(assoc)
        new = assoc.initiated
        assert np.all(assoc.track_id[new] >= before.next_id)
        assert np.all(np.isin(assoc.track_id[~new], before.track_id))
        assert np.all(assoc.distance2[new] == 0.0)
        if len(before) and (~new).any():
            mean, cov = _predicted_gate_estimate(before, t - before.time, params)
            row = np.searchsorted(before.track_id, assoc.track_id[~new])
            z = scan.position[assoc.detection[~new]]
            nu = z - mean[row, :3]
            s = cov[row, :3, :3] + scan.covariance[assoc.detection[~new]]
            d2 = np.einsum("ki,ki->k", nu, np.linalg.solve(s, nu[..., None])[..., 0])
            np.testing.assert_allclose(assoc.distance2[~new], d2, rtol=1e-6)
            assert np.all(d2 <= gamma * (1 + 1e-9))
            n_updates += int((~new).sum())
        # a new track starts where its detection is
        born = np.isin(state.track_id, assoc.track_id[new])
        first = dict(zip(assoc.track_id[new].tolist(), assoc.detection[new].tolist(), strict=True))
        for i in np.flatnonzero(born):
            z = scan.position[first[int(state.track_id[i])]]
            np.testing.assert_allclose(state.x[i, :, :3], np.broadcast_to(z, (2, 3)))
        logged.append(np.column_stack([assoc.track_id, rows[assoc.detection], new]))
    assert n_updates > 200
    whole = run_tracker(dets, params).associations
    got = np.column_stack([whole.track_id, whole.detection, whole.initiated])
    np.testing.assert_array_equal(got, np.concatenate(logged))


def test_deletion_rules_from_the_parameters():
    """A track no sensor denies lives on until the covariance rule ends it; a tentative track
    ends at the age limit."""
    lone = Detections(
        np.array([0.0, 1.0, 2.0]),
        np.zeros(3, np.int64),
        np.array([[0.0, 0.0, 100.0], [10.0, 0.0, 100.0], [20.0, 0.0, 100.0]]),
        np.broadcast_to(np.eye(3) * 25.0, (3, 3, 3)).copy(),
        np.zeros(3, np.int64),
    )
    far = (SensorCoverage(position_m=(1e6, 0.0, 0.0), miss_range_m=1.0),)
    times = np.arange(0.0, 400.0, 1.0)
    kept = run_tracker(lone, TrackerParams(coverage=far), times)
    assert kept.time.max() == times[-1]  # never charged a miss, never deleted
    limited = run_tracker(lone, TrackerParams(coverage=far, max_position_sigma_m=200.0), times)
    _, last = limited.time[0], limited.time.max()
    sigma = np.sqrt(np.trace(kept.covariance[:, :3, :3], axis1=1, axis2=2) / 3.0)
    # it ends at the first step at which its RMS position σ exceeds the limit
    assert last == kept.time[np.argmax(sigma > 200.0)] - 1.0
    alive = {}
    for limit in (None, 5.0):
        params = TrackerParams(coverage=far, max_tentative_age_s=limit)
        state, _ = tracker_step(TrackState.empty(params), lone.select(slice(0, 1)), params)
        for t in (4.0, 5.0):
            state, _ = tracker_step(state, Detections.empty(), params, time=t)
            alive[limit, t] = len(state)
    assert alive == {(None, 4.0): 1, (None, 5.0): 1, (5.0, 4.0): 1, (5.0, 5.0): 0}


@njit(cache=True)
def _random_filter_walk(
    n_steps: int, rng: np.random.Generator, ws: kalman.Workspace
) -> tuple[int, int, float]:
    """An IMM track under 10^6 random predictions and updates (dt 1 ms to 30 s, q 10^-2 to
    10^3, measurement covariances with axis scales from 0.1 m to 3 km and random orientation);
    counts the covariances that are not exactly symmetric or not positive definite (Cholesky),
    and returns the worst relative smallest pivot."""
    m, n, d = 2, 6, 3
    x = np.zeros((m, n))
    p = np.zeros((m, n, n))
    for j in range(m):
        for a in range(n):
            p[j, a, a] = 100.0
    mu = np.array([0.5, 0.5])
    pi = kalman.transition_matrix(m, 0.95)
    lower = np.empty((n, n))
    r = np.empty((d, d))
    z = np.empty(d)
    asymmetric = not_pd = 0
    worst = np.inf
    for _ in range(n_steps):
        dt = 10.0 ** rng.uniform(-3.0, 1.5)
        kalman.imm_mix(x, p, mu, pi, ws)
        for j in range(m):
            kalman.predict(x[j], p[j], dt, 10.0 ** rng.uniform(-2.0, 3.0), ws)
        if rng.random() < 0.8:
            a = rng.normal(0.0, 1.0, (d, d))
            scale = 10.0 ** rng.uniform(-1.0, 3.5, d)
            for u in range(d):
                for v in range(d):
                    r[u, v] = 0.0
                    for k in range(d):
                        r[u, v] += a[u, k] * scale[k] * scale[k] * a[v, k]
                r[u, u] += 1e-2
            for u in range(d):
                z[u] = x[0, u] + rng.normal(0.0, np.sqrt(r[u, u]))
            total = 0.0
            like = np.empty(m)
            for j in range(m):
                like[j] = kalman.update(x[j], p[j], z, r, ws)
                total += mu[j] * like[j]
            if total > 0.0:
                for j in range(m):
                    mu[j] = mu[j] * like[j] / total
        for j in range(m):
            for u in range(n):
                for v in range(n):
                    if p[j, u, v] != p[j, v, u]:
                        asymmetric += 1
            if not cholesky(p[j], lower, (0, 1, 2, 3, 4, 5)):
                not_pd += 1
            else:
                for u in range(n):
                    worst = min(worst, lower[u, u] ** 2 / p[j, u, u])
    return asymmetric, not_pd, worst


def test_covariances_stay_symmetric_positive_definite_over_a_million_filter_steps():
    asymmetric, not_pd, worst = _random_filter_walk(
        1_000_000, np.random.default_rng(2026), kalman.workspace(3, 2)
    )
    assert asymmetric == 0 and not_pd == 0
    assert worst > 0.0
