"""Sampling nightly raids from a fitted :class:`~leapsim.threats.model.ThreatModel`.

Pure and vectorised: every draw comes from the generator passed in, in a fixed order, so the same
generator state gives the same raids. The generative model is the one fitted in
:mod:`leapsim.threats.fit` (equations in ``docs/threat_model.md``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import special

from leapsim.threats.distributions import sample_ztnb, stochastic_round, ztnb_cdf, ztnb_logpmf
from leapsim.threats.families import FAMILIES, MISSILE_FAMILIES
from leapsim.threats.nights import NIGHTS_PER_MONTH

if TYPE_CHECKING:
    from leapsim.threats.model import ShahedTypeModel, ThreatModel

_U_CLIP = 1e-9


def _mixture(st: ShahedTypeModel, t: np.ndarray) -> tuple[np.ndarray, ...]:
    """(mu_routine, r_routine, mu_massed, r_massed, massed weight) at months ``t``."""
    trend = st.log_mean_per_month * t
    mu1 = np.exp(st.routine.log_mean + trend)
    r1 = np.full_like(t, st.routine.dispersion)
    if st.massed is None or st.massed_weight is None:
        return mu1, r1, mu1, r1, np.zeros_like(t)
    mu2 = np.exp(st.massed.log_mean + trend)
    r2 = np.full_like(t, st.massed.dispersion)
    w = special.expit(st.massed_weight.intercept + st.massed_weight.per_month * t)
    return mu1, r1, mu2, r2, w


def shahed_cdf(st: ShahedTypeModel, k: np.ndarray, t: np.ndarray) -> np.ndarray:
    """P(S <= k) at months ``t`` for the Shahed-type count S, including no-attack nights."""
    mu1, r1, mu2, r2, w = _mixture(st, t)
    k = np.asarray(k, dtype=np.float64)
    positive = (1.0 - w) * ztnb_cdf(k, mu1, r1) + w * ztnb_cdf(k, mu2, r2)
    p = st.attack_probability
    return np.where(k < 0, 0.0, (1.0 - p) + p * positive)


def shahed_quantile(st: ShahedTypeModel, counts: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Mid-distribution quantile u = (F(S-1) + F(S)) / 2 of each night's count, in (0, 1)."""
    counts = np.asarray(counts, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    u = 0.5 * (shahed_cdf(st, counts - 1.0, t) + shahed_cdf(st, counts, t))
    return np.clip(u, _U_CLIP, 1.0 - _U_CLIP)


def massed_probability(st: ShahedTypeModel, counts: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Posterior probability pi that a night's Shahed-type count came from the massed component
    (0 on nights without drones, or for a single-component model)."""
    counts = np.asarray(counts, dtype=np.float64)
    mu1, r1, mu2, r2, w = _mixture(st, t)
    if st.massed is None:
        return np.zeros_like(counts)
    y = np.maximum(counts, 1.0)
    log_odds = np.log(w) - np.log1p(-w) + ztnb_logpmf(y, mu2, r2) - ztnb_logpmf(y, mu1, r1)
    return np.where(counts > 0, special.expit(log_odds), 0.0)


def month_index(model: ThreatModel, nights: int, start_month_offset: float = 0.0) -> np.ndarray:
    """Month index t of each sampled night.

    ``start_month_offset`` counts months from the end of the fit window: 0 continues where the
    data end, ``-model.months`` replays the window. Trends are held flat beyond
    ``model.max_extrapolation_months`` outside the window.
    """
    t = model.months + start_month_offset + (np.arange(nights) + 0.5) / NIGHTS_PER_MONTH
    reach = model.max_extrapolation_months
    return np.clip(t, -reach, model.months + reach)


def sample_raids(
    model: ThreatModel,
    nights: int,
    rng: np.random.Generator,
    start_month_offset: float = 0.0,
    threat_scale: float = 1.0,
) -> dict[str, np.ndarray]:
    """Draw ``nights`` consecutive nights of raids; counts per family as int64 arrays.

    Keys: ``drone`` (real Shahed-type), ``decoy``, ``cruise_missile``, ``ballistic_missile``,
    ``other``. ``threat_scale`` multiplies every count (stochastic rounding keeps the mean
    exactly ``threat_scale`` times the fitted one; the same generator state with another scale
    gives coupled draws).
    """
    if int(nights) != nights or nights < 0:
        raise ValueError(f"nights must be a non-negative whole number, got {nights!r}")
    if not np.isfinite(threat_scale) or threat_scale < 0:
        raise ValueError(f"threat_scale must be a finite number >= 0, got {threat_scale!r}")
    n = int(nights)
    t = month_index(model, n, start_month_offset)
    st = model.shahed_type

    attack = rng.random(n) < st.attack_probability
    mu1, r1, mu2, r2, w = _mixture(st, t)
    massed = rng.random(n) < w
    mu, r = np.where(massed, mu2, mu1), np.where(massed, r2, r1)
    shahed = np.zeros(n, dtype=np.int64)
    shahed[attack] = sample_ztnb(rng, mu[attack], r[attack])
    z = special.ndtri(shahed_quantile(st, shahed, t))
    pi = massed_probability(st, shahed, t)

    decoy = np.zeros(n, dtype=np.int64)
    if model.decoy.mean > 0:
        k = model.decoy.concentration
        share = rng.beta(model.decoy.mean * k, (1.0 - model.decoy.mean) * k, n)
        decoy = rng.binomial(shahed, share).astype(np.int64)
    out = {"drone": shahed - decoy, "decoy": decoy}

    for family in MISSILE_FAMILIES:
        fm = getattr(model, family)
        counts = np.zeros(n, dtype=np.int64)
        if fm is not None:
            pr, sz = fm.presence, fm.size
            p = special.expit(pr.intercept + pr.drone_z * z + pr.massed * pi + pr.per_month * t)
            present = rng.random(n) < p
            zp, pip, tp = z[present], pi[present], t[present]
            log_mu = sz.log_mean + sz.drone_z * zp + sz.massed * pip + sz.per_month * tp
            counts[present] = sample_ztnb(rng, np.exp(log_mu), np.full(log_mu.size, sz.dispersion))
        out[family] = counts

    return {f: stochastic_round(rng, threat_scale * out[f]) for f in FAMILIES}


def replay_window(
    model: ThreatModel, rng: np.random.Generator, runs: int = 100
) -> dict[str, np.ndarray]:
    """Sample ``runs`` replays of the fit window (same nights and months as the data).

    Returns, per family, an array of shape (runs, model.fit.nights): the basis for comparing
    the model with the observed nights.
    """
    draws = [
        sample_raids(model, model.fit.nights, rng, start_month_offset=-model.months)
        for _ in range(runs)
    ]
    return {f: np.stack([d[f] for d in draws]) for f in FAMILIES}
