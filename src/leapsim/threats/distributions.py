"""Count distributions used by the threat model, vectorised over nights.

Negative binomial NB(mu, r): mean ``mu``, dispersion ``r`` (variance ``mu + mu^2 / r``), the
gamma-Poisson mixture (Hilbe, *Negative Binomial Regression*, 2nd ed., 2011, ch. 8). The
zero-truncated NB (ZTNB) conditions on at least one: it models counts on nights that had an
attack. Beta-binomial BB(n, m, k): binomial with success probability ~ Beta(m k, (1-m) k).
"""

from __future__ import annotations

import numpy as np
from scipy import special


def nb_logpmf(y: np.ndarray, mu: np.ndarray, r: np.ndarray) -> np.ndarray:
    """log NB(y; mu, r)."""
    return (
        special.gammaln(y + r)
        - special.gammaln(r)
        - special.gammaln(y + 1.0)
        + r * (np.log(r) - np.log(r + mu))
        + y * (np.log(mu) - np.log(r + mu))
    )


def nb_log_p0(mu: np.ndarray, r: np.ndarray) -> np.ndarray:
    """log P(NB = 0) = -r log(1 + mu / r)."""
    return -r * np.log1p(mu / r)


def ztnb_logpmf(y: np.ndarray, mu: np.ndarray, r: np.ndarray) -> np.ndarray:
    """log ZTNB(y; mu, r) for y >= 1 (``mu`` is the mean of the untruncated NB)."""
    return nb_logpmf(y, mu, r) - np.log(-np.expm1(nb_log_p0(mu, r)))


def nb_cdf(k: np.ndarray, mu: np.ndarray, r: np.ndarray) -> np.ndarray:
    """P(NB <= k) = I_{r/(r+mu)}(r, k+1) (regularised incomplete beta); 0 for k < 0."""
    k = np.asarray(k, dtype=np.float64)
    p = r / (r + mu)
    return np.where(k < 0, 0.0, special.betainc(r, np.maximum(k, 0.0) + 1.0, p))


def ztnb_cdf(k: np.ndarray, mu: np.ndarray, r: np.ndarray) -> np.ndarray:
    """P(ZTNB <= k); 0 for k < 1."""
    p0 = np.exp(nb_log_p0(mu, r))
    return np.clip((nb_cdf(k, mu, r) - p0) / (1.0 - p0), 0.0, 1.0)


def sample_ztnb(
    rng: np.random.Generator, mu: np.ndarray, r: np.ndarray, max_rounds: int = 10_000
) -> np.ndarray:
    """Draw ZTNB(mu, r) counts (int64) by gamma-Poisson draws, redrawing zeros."""
    mu, r = np.broadcast_arrays(np.asarray(mu, dtype=np.float64), np.asarray(r, dtype=np.float64))
    out = rng.poisson(rng.gamma(r, mu / r)).astype(np.int64)
    for _ in range(max_rounds):
        zero = np.flatnonzero(out == 0)
        if zero.size == 0:
            return out
        out[zero] = rng.poisson(rng.gamma(r[zero], mu[zero] / r[zero]))
    out[out == 0] = 1  # only reachable for means far below one
    return out


def stochastic_round(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """floor(x + U), U ~ U[0, 1): an integer with expectation exactly ``x``."""
    return np.floor(np.asarray(x, dtype=np.float64) + rng.random(np.shape(x))).astype(np.int64)
