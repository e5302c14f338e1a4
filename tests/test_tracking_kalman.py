"""Compiled Kalman filter and IMM kernels: steady state against the Riccati equation, SPD, IMM
behaviour."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import solve_discrete_are

from leapsim.sensing import Detections
from leapsim.tracking import TrackerParams, TrackState, kalman, tracker_step


def cv_transition(dt: float, dim: int) -> np.ndarray:
    """Textbook CV transition ``[[I, T I], [0, I]]``."""
    eye = np.eye(dim)
    return np.block([[eye, dt * eye], [np.zeros((dim, dim)), eye]])


def cv_process_noise(dt: float, q: float, dim: int) -> np.ndarray:
    """Textbook CWNA noise ``q [[T³/3 I, T²/2 I], [T²/2 I, T I]]``."""
    return q * np.kron(np.array([[dt**3 / 3.0, dt**2 / 2.0], [dt**2 / 2.0, dt]]), np.eye(dim))


def dare(dt: float, q: float, sigma: float, dim: int):
    """Steady-state predicted covariance X and gain K of the CV filter, from scipy's DARE."""
    f = cv_transition(dt, dim)
    h = np.hstack([np.eye(dim), np.zeros((dim, dim))])
    qm = cv_process_noise(dt, q, dim)
    r = sigma**2 * np.eye(dim)
    x = solve_discrete_are(f.T, h.T, qm, r)  # X = F X Fᵀ − F X Hᵀ (H X Hᵀ + R)⁻¹ H X Fᵀ + Q
    k = x @ h.T @ np.linalg.inv(h @ x @ h.T + r)
    return x, k, h


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_prediction_is_f_p_ft_plus_cwna_noise(dim):
    rng = np.random.default_rng(dim)
    a = rng.normal(size=(2 * dim, 2 * dim))
    p = a @ a.T + np.eye(2 * dim)
    x = rng.normal(size=2 * dim)
    f, q = cv_transition(2.5, dim), cv_process_noise(2.5, 3.0, dim)
    xp, pp = x.copy(), p.copy()
    kalman.predict(xp, pp, 2.5, 3.0, kalman.workspace(dim, 1))
    np.testing.assert_allclose(xp, f @ x, rtol=1e-12)
    np.testing.assert_allclose(pp, f @ p @ f.T + q, rtol=1e-12)
    assert np.array_equal(pp, pp.T)
    zero = np.zeros((2, 2))
    kalman.predict(np.zeros(2), zero, 2.0, 3.0, kalman.workspace(1, 1))
    assert np.allclose(zero, 3.0 * np.array([[8 / 3, 2.0], [2.0, 2.0]]))


def test_update_matches_the_textbook_kalman_update():
    rng = np.random.default_rng(5)
    a = rng.normal(size=(6, 6))
    p = a @ a.T + 10.0 * np.eye(6)
    x, z = rng.normal(size=6), rng.normal(size=3)
    b = rng.normal(size=(3, 3))
    r = b @ b.T + np.eye(3)
    h = np.hstack([np.eye(3), np.zeros((3, 3))])
    s = h @ p @ h.T + r
    gain = p @ h.T @ np.linalg.inv(s)
    xu, pu = x.copy(), p.copy()
    like = kalman.update(xu, pu, z, r, kalman.workspace(3, 1))
    np.testing.assert_allclose(xu, x + gain @ (z - h @ x), rtol=1e-10)
    np.testing.assert_allclose(pu, (np.eye(6) - gain @ h) @ p, rtol=1e-9, atol=1e-12)
    nu = z - h @ x
    expected = np.exp(-0.5 * nu @ np.linalg.solve(s, nu)) / np.sqrt(np.linalg.det(2 * np.pi * s))
    assert like == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(("dt", "q", "sigma"), [(1.0, 0.05, 10.0), (2.0, 5.0, 50.0)])
def test_filter_converges_to_riccati_steady_state_gain(dt, q, sigma):
    dim = 2
    x_dare, k_dare, h = dare(dt, q, sigma, dim)
    r = sigma**2 * np.eye(dim)
    x = np.zeros(4)
    p = np.diag([1e4, 1e4, 1e3, 1e3])
    ws = kalman.workspace(dim, 1)
    rng = np.random.default_rng(0)
    for _ in range(400):
        kalman.predict(x, p, dt, q, ws)
        p_pred = p.copy()
        kalman.update(x, p, rng.normal(0, sigma, dim), r, ws)
    gain = p_pred @ h.T @ np.linalg.inv(h @ p_pred @ h.T + r)
    assert np.allclose(p_pred, x_dare, rtol=1e-6)
    assert np.allclose(gain, k_dare, rtol=1e-6, atol=1e-12)
    assert np.allclose(p, (np.eye(4) - k_dare @ h) @ x_dare, rtol=1e-6)


def test_tracker_posterior_matches_riccati_for_a_single_model():
    dt, q, sigma = 1.0, 0.5, 15.0
    x_dare, k_dare, h = dare(dt, q, sigma, 2)
    params = TrackerParams(dim=2, process_noise=(q,), gate_probability=0.999999)
    state = TrackState.empty(params)
    cov = np.diag([sigma**2, sigma**2, 1.0])
    for t in range(300):
        z = np.array([[10.0 * t, -5.0 * t, 0.0]])
        det = Detections(
            np.array([float(t)]), np.zeros(1, np.int64), z, cov[None], -np.ones(1, int)
        )
        state, _ = tracker_step(state, det, params)
    assert len(state) == 1 and state.confirmed[0]
    _, p = state.estimate()
    assert np.allclose(p[0], (np.eye(4) - k_dare @ h) @ x_dare, rtol=1e-6)


def test_joseph_update_keeps_covariance_spd_under_extreme_scales():
    rng = np.random.default_rng(1)
    n, b = 6, 500
    a = rng.normal(size=(b, n, n))
    scales = 10.0 ** rng.uniform(-3, 8, (b, n))
    p = a @ np.swapaxes(a, 1, 2) * np.sqrt(scales[:, :, None] * scales[:, None, :]) + 1e-9 * np.eye(
        n
    )
    r = np.eye(3) * 1e-4
    x = np.zeros((b, n))
    ws = kalman.workspace(3, 1)
    for _ in range(20):
        for k in range(b):
            like = kalman.update(x[k], p[k], rng.normal(size=3), r, ws)
            assert np.isfinite(like)
    assert np.array_equal(p, np.swapaxes(p, 1, 2))
    assert np.all(np.linalg.eigvalsh(p) > 0)


def test_imm_mixing_of_identical_models_is_identity_and_combine_moments():
    rng = np.random.default_rng(2)
    x = np.repeat(rng.normal(size=(5, 1, 4)), 2, axis=1)
    p = np.repeat(np.broadcast_to(np.eye(4), (5, 1, 4, 4)), 2, axis=1)
    mu = np.tile([0.3, 0.7], (5, 1))
    pi = kalman.transition_matrix(2, 0.9)
    x0, p0, c = x.copy(), p.copy(), mu.copy()
    ws = kalman.workspace(2, 2)
    for k in range(5):
        kalman.imm_mix(x0[k], p0[k], c[k], pi, ws)
    assert np.allclose(x0, x) and np.allclose(p0, p)
    assert np.allclose(c.sum(axis=1), 1.0)
    assert np.allclose(c[0], [0.3 * 0.9 + 0.7 * 0.1, 0.3 * 0.1 + 0.7 * 0.9])
    # two point masses at ±1 with equal weight: combined variance 1 (+ model variance)
    xs = np.zeros((1, 2, 4))
    xs[0, 0, 0], xs[0, 1, 0] = -1.0, 1.0
    mean, cov = kalman.combine_all(xs, np.zeros((1, 2, 4, 4)), np.array([[0.5, 0.5]]), (0, 1))
    assert mean[0, 0] == pytest.approx(0.0) and cov[0, 0, 0] == pytest.approx(1.0)


def _turning_run(params: TrackerParams, seed: int) -> float:
    """RMS position error over a straight leg then a 4 g turn, one target, Pd 1."""
    rng = np.random.default_rng(seed)
    sigma = 20.0
    pos, vel = np.zeros(2), np.array([200.0, 0.0])
    state = TrackState.empty(params)
    errors = []
    for t in range(80):
        if t:
            if t >= 40:  # turn at 40 m/s²
                omega = 40.0 / np.linalg.norm(vel)
                c, s = np.cos(omega), np.sin(omega)
                vel = np.array([[c, -s], [s, c]]) @ vel
            pos = pos + vel
        z = np.zeros((1, 3))
        z[0, :2] = pos + rng.normal(0, sigma, 2)
        cov = np.diag([sigma**2, sigma**2, 1.0])[None]
        det = Detections(np.array([float(t)]), np.zeros(1, np.int64), z, cov, np.zeros(1, int))
        state, _ = tracker_step(state, det, params)
        if t >= 40:
            first = np.flatnonzero(state.track_id == 0)  # the track started at t = 0
            err = np.linalg.norm(state.estimate()[0][first[0], :2] - pos) if first.size else 1e3
            errors.append(err)
    return float(np.sqrt(np.mean(np.square(errors))))


def test_imm_tracks_a_turn_better_than_a_low_noise_filter():
    kw = dict(dim=2, initial_speed_sigma_mps=300.0, gate_probability=0.9999)
    imm = TrackerParams(process_noise=(0.5, 400.0), **kw)
    cv = TrackerParams(process_noise=(0.5,), **kw)
    e_imm = np.mean([_turning_run(imm, s) for s in range(3)])
    e_cv = np.mean([_turning_run(cv, s) for s in range(3)])
    assert e_imm < 0.5 * e_cv
