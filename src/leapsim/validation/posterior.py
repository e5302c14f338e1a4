"""The likelihood of the reported outcomes and its posterior, sampled with emcee.

The target of the validation is the **launch-weighted** neutralised share of a period
(Σ neutralised / Σ launched: a month, a half-year), so the likelihood works on the reported
counts aggregated to months (:func:`leapsim.validation.calibration.by_month`) and weighs every
launch alike. Per month m and family f with a reported outcome,

    y_mf ≈ quasi-Binomial(L_mf, μ_mf(θ)),   Var y_mf = φ_f L_mf μ_mf (1 − μ_mf)

with μ the emulated mean share of the engine (:mod:`leapsim.validation.emulator`). The log
likelihood is the binomial one divided by the family's dispersion φ_f (McCullagh & Nelder 1989,
§9.2: a quasi-likelihood). Its estimating equation is the binomial one — a model with one mean
share for all months is fitted at exactly the reported Σ y / Σ L, the target metric — while φ_f
widens the posterior by the months' spread around the model, which is far larger than binomial
(weather, tactics and counting practice change from month to month; the claims are rounded and
revised). φ_f is estimated, never fitted to the hindcast window, as the larger of

- the reported months' Pearson statistic at the maximum-likelihood θ, Σ (y − Lμ)² / (L μ (1 − μ))
  over the months' degrees of freedom (months less the parameters acting on the family), and
- the engine's own dispersion around the emulator over the design runs (the reports cannot sit
  closer to the model's mean than one run of the model does; this is the estimate when the
  months leave no degree of freedom, e.g. a one-month window).

A beta-binomial per night (the previous likelihood) weighs a 500-drone night about like a
50-drone one once nights vary more than binomially; on the 2025 reports, where the claimed share
rises with raid size, it fitted the typical night and missed its own half-year share by 2-10
percentage points (``docs/validation.md``).

Priors: θ uniform on its declared box. The posterior is sampled with emcee's affine-invariant
ensemble sampler (Foreman-Mackey et al. 2013), seeded from the calibration seed; the maximum is
found with scipy's L-BFGS-B from the best of a few hundred uniform draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, xlog1py, xlogy

from leapsim.validation.emulator import ShareEmulator

EPS = 1e-9


@dataclass(frozen=True)
class Observations:
    """Reported counts used by the likelihood (periods × families; ``use`` masks the terms)."""

    launched: np.ndarray  # (M, F) int
    neutralised: np.ndarray  # (M, F) int
    use: np.ndarray  # (M, F) bool: outcome known and launches > 0


def binomial_terms(mu: np.ndarray, obs: Observations) -> np.ndarray:
    """Binomial log pmf per family summed over the used periods; ``mu`` (W, M, F) → (W, F)."""
    p = np.clip(mu, EPS, 1 - EPS)
    n, y = obs.launched[None].astype(float), obs.neutralised[None].astype(float)
    term = (gammaln(n + 1) - gammaln(y + 1) - gammaln(n - y + 1)
            + xlogy(y, p) + xlog1py(n - y, -p))  # fmt: skip
    return np.where(obs.use[None], term, 0.0).sum(axis=1)


def log_likelihood(mu: np.ndarray, dispersion: np.ndarray, obs: Observations) -> np.ndarray:
    """Quasi-binomial log likelihood Σ_f (binomial log pmf of family f) / φ_f → (W,)."""
    return (binomial_terms(mu, obs) / np.asarray(dispersion, float)).sum(axis=1)


def pearson_dispersion(mu: np.ndarray, obs: Observations, parameters: np.ndarray) -> np.ndarray:
    """Per family, Σ (y − Lμ)² / (L μ (1 − μ)) over the used periods divided by their degrees of
    freedom (periods less ``parameters`` (F,) acting on the family); NaN without a degree of
    freedom. ``mu`` (M, F)."""
    p = np.clip(mu, EPS, 1 - EPS)
    chi = (obs.neutralised - obs.launched * p) ** 2 / np.maximum(obs.launched * p * (1 - p), EPS)
    chi2 = np.where(obs.use, chi, 0.0).sum(axis=0)
    dof = obs.use.sum(axis=0) - parameters
    return np.where(dof > 0, chi2 / np.maximum(dof, 1), np.nan)


@dataclass(frozen=True)
class PosteriorSample:
    theta: np.ndarray  # (S, P)
    log_post: np.ndarray  # (S,)
    theta_max: np.ndarray  # (P,) maximum of the likelihood
    dispersion: np.ndarray  # (F,) φ used
    dispersion_reported: np.ndarray  # (F,) Pearson φ of the reported periods (NaN: no dof)
    acceptance: float
    autocorr_steps: float  # estimated integrated autocorrelation time (steps), NaN if unknown


def maximum_likelihood(emulator: ShareEmulator, obs: Observations, seed: int) -> np.ndarray:
    """θ maximising the binomial likelihood inside the prior box (L-BFGS-B from the best of
    512 uniform draws)."""
    from scipy.optimize import minimize

    low, high = emulator.low, emulator.high
    rng = np.random.default_rng(seed)
    starts = low + rng.random((512, low.size)) * (high - low)
    start = starts[np.argmax(binomial_terms(emulator.predict(starts), obs).sum(axis=1))]

    def neg(theta: np.ndarray) -> float:
        return -float(binomial_terms(emulator.predict(theta[None]), obs).sum())

    return minimize(neg, start, method="L-BFGS-B", bounds=list(zip(low, high, strict=True))).x


def sample_posterior(
    emulator: ShareEmulator,
    obs: Observations,
    engine_dispersion: np.ndarray,
    parameters: np.ndarray,
    seed: int,
    walkers: int = 32,
    steps: int = 3000,
    burn: int = 1000,
    thin: int = 10,
) -> PosteriorSample:
    """Posterior draws of θ with emcee (see the module docstring); ``engine_dispersion`` (F,)
    is the design runs' dispersion around the emulator, ``parameters`` (F,) how many
    parameters act on each family; ``walkers`` start uniformly in the prior box."""
    import emcee

    low, high = emulator.low, emulator.high
    theta_max = maximum_likelihood(emulator, obs, seed)
    reported = pearson_dispersion(emulator.predict(theta_max[None])[0], obs, parameters)
    dispersion = np.fmax(np.fmax(reported, engine_dispersion), 1.0)

    def log_prob(z: np.ndarray) -> np.ndarray:
        inside = np.all((z >= low) & (z <= high), axis=1)
        out = np.full(z.shape[0], -np.inf)
        if inside.any():
            out[inside] = log_likelihood(emulator.predict(z[inside]), dispersion, obs)
        return out

    rng = np.random.default_rng(seed)
    start = low + rng.random((walkers, low.size)) * (high - low)
    sampler = emcee.EnsembleSampler(walkers, low.size, log_prob, vectorize=True)
    sampler.random_state = np.random.RandomState(seed).get_state()
    sampler.run_mcmc(start, steps, progress=False)
    chain = sampler.get_chain(discard=burn, thin=thin, flat=True)
    log_post = sampler.get_log_prob(discard=burn, thin=thin, flat=True)
    try:
        tau = float(np.max(sampler.get_autocorr_time(discard=burn, quiet=True)))
    except emcee.autocorr.AutocorrError:
        tau = float("nan")
    return PosteriorSample(
        theta=chain,
        log_post=log_post,
        theta_max=theta_max,
        dispersion=dispersion,
        dispersion_reported=reported,
        acceptance=float(np.mean(sampler.acceptance_fraction)),
        autocorr_steps=tau,
    )
