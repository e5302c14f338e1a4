"""Compiled linear algebra for the tiny symmetric matrices of tracking and sensor fusion (at most
6 × 6): symmetrisation, Cholesky factor and solve, squared Mahalanobis distance.

Written out in loops because they run inside numba-compiled kernels millions of times per night,
where a LAPACK call per 3 × 3 solve costs more than the arithmetic. Scratch arrays are passed in
so that the kernels allocate nothing, and the matrix size comes as ``axes``, a tuple of that
length (e.g. ``(0, 1, 2)``): its length is known when numba compiles, so the loops unroll (about
twice as fast as sizes read from the arrays).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, _nrt=False)
def symmetrise(p: np.ndarray, axes: tuple[int, ...]) -> None:
    """Make the square matrix ``p`` (n = len(axes)) exactly symmetric in place (mean of it and
    its transpose)."""
    n = len(axes)
    for i in range(n):
        for j in range(i + 1, n):
            v = 0.5 * (p[i, j] + p[j, i])
            p[i, j] = v
            p[j, i] = v


@njit(cache=True, _nrt=False)
def cholesky(a: np.ndarray, lower: np.ndarray, axes: tuple[int, ...]) -> bool:
    """Cholesky factor of the symmetric matrix ``a`` (n = len(axes)) into ``lower``; False if
    ``a`` is not positive definite."""
    n = len(axes)
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


@njit(cache=True, _nrt=False)
def inverse_from_cholesky(
    lower: np.ndarray, lower_inv: np.ndarray, out: np.ndarray, axes: tuple[int, ...]
) -> None:
    """``out = (L Lᵀ)⁻¹ = L⁻ᵀ L⁻¹`` (exactly symmetric) from the Cholesky factor ``lower``
    (n = len(axes)); ``lower_inv`` receives L⁻¹."""
    n = len(axes)
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


@njit(cache=True, _nrt=False)
def mahalanobis2(
    nu: np.ndarray, s: np.ndarray, lower: np.ndarray, y: np.ndarray, axes: tuple[int, ...]
) -> float:
    """Squared Mahalanobis distance ``νᵀ S⁻¹ ν`` (d = len(axes); inf when S is not positive
    definite); ``lower`` (d, d) and ``y`` (d,) are scratch space."""
    d = len(axes)
    if not cholesky(s, lower, axes):
        return np.inf
    total = 0.0
    for i in range(d):  # |L⁻¹ ν|² by forward substitution
        v = nu[i]
        for k in range(i):
            v -= lower[i, k] * y[k]
        y[i] = v / lower[i, i]
        total += y[i] * y[i]
    return total
