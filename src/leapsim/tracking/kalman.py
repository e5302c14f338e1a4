"""Constant-velocity Kalman filter and IMM mixing, compiled, one track (M models) at a time.

State ordering is ``[position (d), velocity (d)]`` with d = 2 or 3; the measurement is position.
The tracker calls these kernels from its compiled step over struct-of-arrays track state; the
matrices are at most 6 × 6, so the linear algebra is written out in loops (a LAPACK call per
3 × 3 solve would cost more than the arithmetic).

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

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from leapsim.linalg import cholesky, inverse_from_cholesky, symmetrise


class Workspace(NamedTuple):
    """Scratch arrays the kernels reuse (one allocation per tracker run, not per update), and
    ``axes``, the position axes ``(0, 1[, 2])``: a tuple, so that numba compiles the kernels for
    d = len(axes) known in advance (:mod:`leapsim.linalg`)."""

    axes: tuple[int, ...]
    s: np.ndarray  # (d, d) innovation covariance
    lower: np.ndarray  # (d, d) its Cholesky factor
    nu: np.ndarray  # (d,) innovation
    s_inv_nu: np.ndarray  # (d,)
    s_inv: np.ndarray  # (d, d)
    lower_inv: np.ndarray  # (d, d)
    column: np.ndarray  # (d,)
    gain: np.ndarray  # (n, d)
    kr: np.ndarray  # (n, d)
    ap: np.ndarray  # (n, n)
    fx: np.ndarray  # (n,)
    x0: np.ndarray  # (M, n) mixed states
    p0: np.ndarray  # (M, n, n)
    c: np.ndarray  # (M,) predicted mode probabilities


def workspace(dim: int, n_models: int) -> Workspace:
    """Scratch arrays for tracks of ``dim`` position axes and ``n_models`` IMM models."""
    d, n, m = dim, 2 * dim, n_models
    return Workspace(
        axes=tuple(range(d)),
        s=np.empty((d, d)),
        lower=np.empty((d, d)),
        nu=np.empty(d),
        s_inv_nu=np.empty(d),
        s_inv=np.empty((d, d)),
        lower_inv=np.empty((d, d)),
        column=np.empty(d),
        gain=np.empty((n, d)),
        kr=np.empty((n, d)),
        ap=np.empty((n, n)),
        fx=np.empty(n),
        x0=np.empty((m, n)),
        p0=np.empty((m, n, n)),
        c=np.empty(m),
    )


@njit(cache=True)
def transition_matrix(n_models: int, stay: float) -> np.ndarray:
    """(M, M) Markov mode-switch matrix: ``stay`` on the diagonal, the rest spread evenly."""
    if n_models == 1:
        return np.ones((1, 1))
    off = (1.0 - stay) / (n_models - 1)
    out = np.full((n_models, n_models), off)
    for i in range(n_models):
        out[i, i] = stay
    return out


@njit(cache=True, _nrt=False)
def predict(x: np.ndarray, p: np.ndarray, dt: float, q: float, ws: Workspace) -> None:
    """Constant-velocity prediction in place of one state (n,) and covariance (n, n) over
    ``dt`` seconds with CWNA spectral density ``q``: ``x ← F x``, ``P ← F P Fᵀ + Q``.

    F only adds ``dt`` × velocity to position, so ``F P Fᵀ`` is two passes of row and column
    additions (exact, no multiplications by F's zeros)."""
    d = len(ws.axes)
    n = 2 * d
    for i in range(d):
        x[i] += dt * x[d + i]
    for i in range(d):  # F P: position rows gain dt × velocity rows
        for j in range(n):
            p[i, j] += dt * p[d + i, j]
    for j in range(d):  # (F P) Fᵀ: position columns gain dt × velocity columns
        for i in range(n):
            p[i, j] += dt * p[i, d + j]
    for i in range(d):
        p[i, i] += q * dt**3 / 3.0
        p[i, d + i] += q * dt**2 / 2.0
        p[d + i, i] += q * dt**2 / 2.0
        p[d + i, d + i] += q * dt
    symmetrise(p, ws.axes + ws.axes)


@njit(cache=True, _nrt=False)
def update(x: np.ndarray, p: np.ndarray, z: np.ndarray, r: np.ndarray, ws: Workspace) -> float:
    """Position-measurement Kalman update (Joseph form) in place of one state (n,) and
    covariance (n, n) with measurement ``z`` (d,) of covariance ``r`` (d, d).

    With ``A = I − K H`` and H selecting the position, ``A P = P − K P[:d]`` and
    ``(A P) Aᵀ = A P − (A P)[:, :d] Kᵀ``; ``P⁺ = (A P) Aᵀ + K R Kᵀ`` is computed on and above
    the diagonal and mirrored (exactly symmetric). Returns the measurement likelihood
    N(z; Hx, S); 0 (and no update) if S is not positive definite.
    """
    axes = ws.axes
    d = len(axes)
    n = 2 * d
    s, lower, nu, s_inv_nu, s_inv = ws.s, ws.lower, ws.nu, ws.s_inv_nu, ws.s_inv
    gain, kr, ap = ws.gain, ws.kr, ws.ap
    for i in range(d):
        for j in range(d):
            s[i, j] = p[i, j] + r[i, j]
    symmetrise(s, axes)
    if not cholesky(s, lower, axes):
        return 0.0
    inverse_from_cholesky(lower, ws.lower_inv, s_inv, axes)
    for i in range(d):
        nu[i] = z[i] - x[i]
    for i in range(d):
        v = 0.0
        for k in range(d):
            v += s_inv[i, k] * nu[k]
        s_inv_nu[i] = v
    for i in range(n):  # K = P Hᵀ S⁻¹
        for j in range(d):
            v = 0.0
            for k in range(d):
                v += p[i, k] * s_inv[k, j]
            gain[i, j] = v
    d2 = 0.0
    for i in range(d):
        d2 += nu[i] * s_inv_nu[i]
    for i in range(n):
        for j in range(d):
            x[i] += gain[i, j] * nu[j]
    for i in range(n):  # A P with A = I − K H
        for j in range(n):
            v = p[i, j]
            for k in range(d):
                v -= gain[i, k] * p[k, j]
            ap[i, j] = v
    for i in range(n):  # K R
        for j in range(d):
            v = 0.0
            for k in range(d):
                v += gain[i, k] * r[k, j]
            kr[i, j] = v
    for i in range(n):  # (A P) Aᵀ + K R Kᵀ = A P − (A P) Hᵀ Kᵀ + K R Kᵀ
        for j in range(i, n):
            v = ap[i, j]
            for k in range(d):
                v += (kr[i, k] - ap[i, k]) * gain[j, k]
            p[i, j] = v
            p[j, i] = v
    root_det = 1.0  # √det S = Π L_ii
    for i in range(d):
        root_det *= lower[i, i]
    return math.exp(-0.5 * d2) / (root_det * (2.0 * math.pi) ** (0.5 * d))


@njit(cache=True, _nrt=False)
def imm_mix(x: np.ndarray, p: np.ndarray, mu: np.ndarray, pi: np.ndarray, ws: Workspace) -> None:
    """IMM interaction step in place for one track: states (M, n), covariances (M, n, n) and
    mode probabilities (M,) become the mixed states, mixed covariances (computed on and above
    the diagonal, mirrored) and the predicted mode probabilities ``c_j = Σ_i π_ij μ_i``."""
    m = x.shape[0]
    n = 2 * len(ws.axes)
    c, x0, p0, dx = ws.c, ws.x0, ws.p0, ws.fx
    for j in range(m):
        v = 0.0
        for i in range(m):
            v += pi[i, j] * mu[i]
        c[j] = v
    for j in range(m):
        cj = max(c[j], 1e-300)
        for a in range(n):
            v = 0.0
            for i in range(m):
                v += mu[i] * pi[i, j] / cj * x[i, a]
            x0[j, a] = v
        for a in range(n):
            for b in range(a, n):
                p0[j, a, b] = 0.0
        for i in range(m):
            w = mu[i] * pi[i, j] / cj
            for a in range(n):
                dx[a] = x[i, a] - x0[j, a]
            for a in range(n):
                for b in range(a, n):
                    p0[j, a, b] += w * (p[i, a, b] + dx[a] * dx[b])
    for j in range(m):
        mu[j] = c[j]
        for a in range(n):
            x[j, a] = x0[j, a]
            for b in range(a, n):
                p[j, a, b] = p0[j, a, b]
                p[j, b, a] = p0[j, a, b]


@njit(cache=True, _nrt=False)
def imm_combine(
    x: np.ndarray,
    p: np.ndarray,
    mu: np.ndarray,
    mean: np.ndarray,
    cov: np.ndarray,
    axes: tuple[int, ...],
    covariance_axes: tuple[int, ...],
) -> None:
    """Moment-matched single Gaussian of one track's IMM mixture: ``mean`` (n,) and ``cov``
    (k, k), the covariance of the first k = len(covariance_axes) state components (the
    position's, or all n = 2·len(axes))."""
    m = x.shape[0]
    n = 2 * len(axes)
    k = len(covariance_axes)
    if m == 1:
        for a in range(n):
            mean[a] = x[0, a]
        for a in range(k):
            for b in range(k):
                cov[a, b] = p[0, a, b]
        return
    for a in range(n):
        v = 0.0
        for j in range(m):
            v += mu[j] * x[j, a]
        mean[a] = v
    for a in range(k):
        for b in range(a, k):
            v = 0.0
            for j in range(m):
                v += mu[j] * (p[j, a, b] + (x[j, a] - mean[a]) * (x[j, b] - mean[b]))
            cov[a, b] = v
            cov[b, a] = v


@njit(cache=True)
def combine_all(
    x: np.ndarray, p: np.ndarray, mu: np.ndarray, axes: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Combined (T, n) means and (T, n, n) covariances of T tracks' IMM mixtures (position
    axes ``axes``, n = 2·len(axes))."""
    t, _, n = x.shape
    mean = np.empty((t, n))
    cov = np.empty((t, n, n))
    for k in range(t):
        imm_combine(x[k], p[k], mu[k], mean[k], cov[k], axes, axes + axes)
    return mean, cov
