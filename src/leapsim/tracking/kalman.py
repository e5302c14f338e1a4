"""Batched constant-velocity Kalman filter and IMM mixing over stacks of tracks and models.

State ordering is ``[position (d), velocity (d)]`` with d = 2 or 3; the measurement is position.
All functions take leading batch dimensions and never loop in Python over tracks.

* Constant-velocity model with continuous white-noise acceleration of spectral density q
  (m²/s³) per axis: ``F = [[I, T I], [0, I]]``, ``Q = q [[T³/3 I, T²/2 I], [T²/2 I, T I]]``
  (Bar-Shalom, Li & Kirubarajan, *Estimation with Applications to Tracking and Navigation*,
  Wiley 2001, §6.2.2).
* Update in Joseph form ``P⁺ = (I − KH) P (I − KH)ᵀ + K R Kᵀ``, which keeps P symmetric positive
  definite under rounding (ibid. §5.2.3), followed by explicit symmetrisation.
* Interacting multiple model (IMM) mixing and mode-probability update (Blom & Bar-Shalom,
  IEEE Trans. AC-33, 1988; ibid. §11.6.6).
"""

from __future__ import annotations

import numpy as np


def cv_transition(dt: float, dim: int) -> np.ndarray:
    """(2d, 2d) constant-velocity transition matrix over ``dt`` seconds."""
    eye = np.eye(dim)
    return np.block([[eye, dt * eye], [np.zeros((dim, dim)), eye]])


def cv_process_noise(dt: float, q: np.ndarray | float, dim: int) -> np.ndarray:
    """(..., 2d, 2d) CWNA process noise over ``dt`` for spectral densities ``q`` (m²/s³)."""
    block = np.array([[dt**3 / 3.0, dt**2 / 2.0], [dt**2 / 2.0, dt]])
    base = np.kron(block, np.eye(dim))
    return np.asarray(q, dtype=np.float64)[..., None, None] * base


def symmetrise(p: np.ndarray) -> np.ndarray:
    return 0.5 * (p + np.swapaxes(p, -1, -2))


def predict(
    x: np.ndarray, p: np.ndarray, f: np.ndarray, q: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Kalman prediction of states (..., n) and covariances (..., n, n) with shared F."""
    return x @ f.T, symmetrise(f @ p @ f.T + q)


def update(
    x: np.ndarray, p: np.ndarray, z: np.ndarray, r: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Position-measurement Kalman update (Joseph form) of (..., n) states with (..., d) z.

    Returns the updated state, covariance and the measurement likelihood N(z; Hx, S).
    """
    d = z.shape[-1]
    n = x.shape[-1]
    s = symmetrise(p[..., :d, :d] + r)
    s_inv = np.linalg.inv(s)
    gain = p[..., :, :d] @ s_inv  # P Hᵀ S⁻¹
    nu = z - x[..., :d]
    x_new = x + np.einsum("...ij,...j->...i", gain, nu)
    i_kh = np.broadcast_to(np.eye(n), p.shape).copy()
    i_kh[..., :, :d] -= gain
    gain_t = np.swapaxes(gain, -1, -2)
    p_new = symmetrise(i_kh @ p @ np.swapaxes(i_kh, -1, -2) + gain @ r @ gain_t)
    d2 = np.einsum("...i,...ij,...j->...", nu, s_inv, nu)
    likelihood = np.exp(-0.5 * d2) / np.sqrt((2.0 * np.pi) ** d * np.linalg.det(s))
    return x_new, p_new, likelihood


def transition_matrix(n_models: int, stay: float) -> np.ndarray:
    """(M, M) Markov mode-switch matrix: ``stay`` on the diagonal, the rest spread evenly."""
    if n_models == 1:
        return np.ones((1, 1))
    off = (1.0 - stay) / (n_models - 1)
    return np.full((n_models, n_models), off) + (stay - off) * np.eye(n_models)


def imm_mix(
    x: np.ndarray, p: np.ndarray, mu: np.ndarray, pi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IMM interaction step for (T, M, n) states, (T, M, n, n) covariances, (T, M) mode probs.

    Returns mixed states, mixed covariances and predicted mode probabilities c_j.
    """
    c = mu @ pi  # (T, M): c_j = Σ_i π_ij μ_i
    w = mu[:, :, None] * pi[None, :, :] / np.maximum(c[:, None, :], 1e-300)  # (T, i, j)
    x0 = np.einsum("tij,tin->tjn", w, x)
    diff = x[:, :, None, :] - x0[:, None, :, :]  # (T, i, j, n)
    p0 = np.einsum("tij,tinm->tjnm", w, p) + np.einsum("tij,tijn,tijm->tjnm", w, diff, diff)
    return x0, symmetrise(p0), c


def imm_combine(x: np.ndarray, p: np.ndarray, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Moment-matched single Gaussian of an IMM mixture: (T, n) mean and (T, n, n) covariance."""
    if x.shape[1] == 1:
        return x[:, 0], p[:, 0]
    mean = np.einsum("tj,tjn->tn", mu, x)
    diff = x - mean[:, None, :]
    cov = np.einsum("tj,tjnm->tnm", mu, p) + np.einsum("tj,tjn,tjm->tnm", mu, diff, diff)
    return mean, symmetrise(cov)
