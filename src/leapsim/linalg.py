"""Compiled linear algebra for the tiny symmetric matrices of tracking and sensor fusion (at most
6 × 6): symmetrisation, Cholesky factor and solve, squared Mahalanobis distance.

Written out in loops because they run inside numba-compiled kernels millions of times per night,
where a LAPACK call per 3 × 3 solve costs more than the arithmetic. Scratch arrays are passed in
so that the kernels allocate nothing.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def symmetrise(p: np.ndarray) -> None:
    """Make the square matrix ``p`` exactly symmetric in place (mean of it and its transpose)."""
    n = p.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            v = 0.5 * (p[i, j] + p[j, i])
            p[i, j] = v
            p[j, i] = v


@njit(cache=True)
def cholesky(a: np.ndarray, lower: np.ndarray) -> bool:
    """Cholesky factor of the symmetric matrix ``a`` into ``lower``; False if ``a`` is not
    positive definite."""
    n = a.shape[0]
    lower[:] = 0.0
    for j in range(n):
        s = a[j, j]
        for k in range(j):
            s -= lower[j, k] * lower[j, k]
        if not s > 0.0:
            return False
        lower[j, j] = math.sqrt(s)
        inv = 1.0 / lower[j, j]
        for i in range(j + 1, n):
            s = a[i, j]
            for k in range(j):
                s -= lower[i, k] * lower[j, k]
            lower[i, j] = s * inv
    return True


@njit(cache=True)
def inverse_from_cholesky(lower: np.ndarray, lower_inv: np.ndarray, out: np.ndarray) -> None:
    """``out = (L Lᵀ)⁻¹ = L⁻ᵀ L⁻¹`` (exactly symmetric) from the Cholesky factor ``lower``;
    ``lower_inv`` receives L⁻¹."""
    n = lower.shape[0]
    lower_inv[:] = 0.0
    for j in range(n):
        lower_inv[j, j] = 1.0 / lower[j, j]
        for i in range(j + 1, n):
            s = 0.0
            for k in range(j, i):
                s -= lower[i, k] * lower_inv[k, j]
            lower_inv[i, j] = s / lower[i, i]
    for i in range(n):
        for j in range(i, n):
            s = 0.0
            for k in range(j, n):
                s += lower_inv[k, i] * lower_inv[k, j]
            out[i, j] = s
            out[j, i] = s


@njit(cache=True)
def cholesky_solve(lower: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """``out = (L Lᵀ)⁻¹ b`` for the vector ``b``, given the Cholesky factor ``lower``."""
    n = lower.shape[0]
    for i in range(n):
        s = b[i]
        for k in range(i):
            s -= lower[i, k] * out[k]
        out[i] = s / lower[i, i]
    for i in range(n - 1, -1, -1):
        s = out[i]
        for k in range(i + 1, n):
            s -= lower[k, i] * out[k]
        out[i] = s / lower[i, i]


@njit(cache=True)
def mahalanobis2(nu: np.ndarray, s: np.ndarray, lower: np.ndarray, y: np.ndarray) -> float:
    """Squared Mahalanobis distance ``νᵀ S⁻¹ ν`` (inf when S is not positive definite);
    ``lower`` (d, d) and ``y`` (d,) are scratch space."""
    d = nu.size
    if not cholesky(s, lower):
        return np.inf
    total = 0.0
    for i in range(d):  # |L⁻¹ ν|² by forward substitution
        v = nu[i]
        for k in range(i):
            v -= lower[i, k] * y[k]
        y[i] = v / lower[i, i]
        total += y[i] * y[i]
    return total
