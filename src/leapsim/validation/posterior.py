"""The likelihood of the reported outcomes and its posterior, sampled with emcee.

Per night n and family f with a reported outcome, the reported neutralised count is modelled as

    y_nf ~ BetaBinomial(L_nf, α = μ_nf(θ) c_f, β = (1 − μ_nf(θ)) c_f)

with μ the emulated mean share of the engine (:mod:`leapsim.validation.emulator`) and c_f a
concentration per family (nuisance parameters, fitted with θ). The beta-binomial is a binomial
whose success probability varies from night to night around μ (variance
``L μ (1 − μ) (1 + (L − 1)/(c + 1))``): nights differ in weather, routes and tactics that the
model does not know, and counting in the reports is rounded; with c → ∞ it is the binomial of
independent intercepts. The reported count enters as the claimed figure, not as the truth.

Priors: θ uniform on its declared box; ``log c_f`` uniform on [0, log 10⁴]. The posterior is
sampled with emcee's affine-invariant ensemble sampler (Foreman-Mackey et al. 2013), seeded from
the calibration seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betaln, gammaln

from leapsim.validation.emulator import ShareEmulator

LOG_C_RANGE = (0.0, np.log(1e4))
EPS = 1e-9


@dataclass(frozen=True)
class Observations:
    """Reported counts used by the likelihood (nights × families; ``use`` masks the terms)."""

    launched: np.ndarray  # (N, F) int
    neutralised: np.ndarray  # (N, F) int
    use: np.ndarray  # (N, F) bool: outcome known and launches > 0


def log_likelihood(mu: np.ndarray, log_c: np.ndarray, obs: Observations) -> np.ndarray:
    """Σ beta-binomial log pmf over the used terms; ``mu`` (W, N, F), ``log_c`` (W, F) → (W,)."""
    c = np.exp(log_c)[:, None, :]
    a = np.clip(mu, EPS, 1 - EPS) * c
    b = np.clip(1 - mu, EPS, 1 - EPS) * c
    n, y = obs.launched[None].astype(float), obs.neutralised[None].astype(float)
    term = (gammaln(n + 1) - gammaln(y + 1) - gammaln(n - y + 1)
            + betaln(y + a, n - y + b) - betaln(a, b))  # fmt: skip
    return np.where(obs.use[None], term, 0.0).sum(axis=(1, 2))


@dataclass(frozen=True)
class PosteriorSample:
    theta: np.ndarray  # (S, P)
    log_c: np.ndarray  # (S, F)
    log_post: np.ndarray  # (S,)
    acceptance: float
    autocorr_steps: float  # estimated integrated autocorrelation time (steps), NaN if unknown


def sample_posterior(
    emulator: ShareEmulator,
    obs: Observations,
    seed: int,
    walkers: int = 32,
    steps: int = 3000,
    burn: int = 1000,
    thin: int = 10,
) -> PosteriorSample:
    """Posterior draws of (θ, log c) with emcee; ``walkers`` start uniformly in the prior box."""
    import emcee

    low, high = emulator.low, emulator.high
    p, f = low.size, obs.launched.shape[1]
    lo = np.concatenate([low, np.full(f, LOG_C_RANGE[0])])
    hi = np.concatenate([high, np.full(f, LOG_C_RANGE[1])])

    def log_prob(z: np.ndarray) -> np.ndarray:
        inside = np.all((z >= lo) & (z <= hi), axis=1)
        out = np.full(z.shape[0], -np.inf)
        if inside.any():
            mu = emulator.predict(z[inside, :p])
            out[inside] = log_likelihood(mu, z[inside, p:], obs)
        return out

    rng = np.random.default_rng(seed)
    start = lo + rng.random((walkers, p + f)) * (hi - lo)
    sampler = emcee.EnsembleSampler(walkers, p + f, log_prob, vectorize=True)
    sampler.random_state = np.random.RandomState(seed).get_state()
    sampler.run_mcmc(start, steps, progress=False)
    chain = sampler.get_chain(discard=burn, thin=thin, flat=True)
    log_post = sampler.get_log_prob(discard=burn, thin=thin, flat=True)
    try:
        tau = float(np.max(sampler.get_autocorr_time(discard=burn, quiet=True)))
    except emcee.autocorr.AutocorrError:
        tau = float("nan")
    return PosteriorSample(
        theta=chain[:, :p],
        log_c=chain[:, p:],
        log_post=log_post,
        acceptance=float(np.mean(sampler.acceptance_fraction)),
        autocorr_steps=tau,
    )
