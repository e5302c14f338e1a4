"""An emulator of the simulated neutralised share of every reported period (a calibration uses
months), as a function of the calibration parameters.

The engine replays every night once at each point of a space-filling design over the prior box,
each point on its own random streams. Per period and family, a quadratic response surface in the
parameters that act on that family is fitted to the simulated counts summed over the period
(``k`` neutralised of ``L`` launched) by weighted least squares (:func:`numpy.linalg.solve` on
the normal equations, batched over periods, with a small ridge):

    logit μ_mf(θ) = β_mf · φ_f(x),   x = 2 (θ − low) / (high − low) − 1,
    φ_f(x) = [1, x_i, x_i², x_i x_j]  over the parameters i, j that set a Pk of family f

started from the empirical logits ``z = logit((k + ½)/(L + 1))`` with their inverse-variance
weights ``(k + ½)(L − k + ½)/(L + 1)`` (Cox & Snell 1989), then refined by a few Fisher-scoring
steps of the binomial likelihood (iteratively reweighted least squares, McCullagh & Nelder 1989).
Pooling the design's runs this way averages the engine's noise out of μ, so the likelihood sees a
smooth function of θ. Fitting the launch-weighted share of a month directly (rather than each
night's share and summing) keeps the surface on the metric the calibration is judged by: the
logit of a sum is not the sum of logits, and one night of a few missiles is too noisy to fit
alone. Parameters that act on no family's Pk (other fields) count for all families. A held-out
check (:func:`holdout_error`) measures how well the surface predicts runs it did not see, and
:func:`engine_dispersion` how much one run scatters around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy.special import expit, logit

RIDGE = 1e-6
IRLS_STEPS = 4


def scaled(theta: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Parameters mapped from their prior box to [-1, 1]."""
    return 2.0 * (np.asarray(theta, float) - low) / (high - low) - 1.0


def features(x: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Quadratic features (…, q) of the scaled parameters ``x`` (…, P) restricted to ``active``."""
    xa = x[..., np.flatnonzero(active)]
    cols = [np.ones(xa.shape[:-1]), *np.moveaxis(xa, -1, 0), *np.moveaxis(xa**2, -1, 0)]
    cols += [xa[..., i] * xa[..., j] for i, j in combinations(range(xa.shape[-1]), 2)]
    return np.stack(cols, axis=-1)


@dataclass(frozen=True)
class ShareEmulator:
    """Fitted response surfaces; :meth:`predict` gives μ (…, nights, families)."""

    low: np.ndarray  # (P,)
    high: np.ndarray  # (P,)
    active: np.ndarray  # (F, P) bool: parameters acting on each family
    coef: tuple[np.ndarray, ...]  # per family (N, q_f); zeros where nothing was launched

    def predict(self, theta: np.ndarray) -> np.ndarray:
        """Emulated neutralised share μ (…, N, F) at parameters ``theta`` (…, P)."""
        x = scaled(theta, self.low, self.high)
        out = [expit(features(x, self.active[f]) @ c.T) for f, c in enumerate(self.coef)]
        return np.stack(out, axis=-1)


def _solve(phi: np.ndarray, w: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Weighted least squares per night: ``phi`` (D, q), ``w`` and ``z`` (D, N) -> (N, q)."""
    a = np.einsum("dq,dn,dr->nqr", phi, w, phi)
    a += RIDGE * np.trace(a, axis1=1, axis2=2)[:, None, None] * np.eye(phi.shape[1])
    a += 1e-12 * np.eye(phi.shape[1])
    b = np.einsum("dq,dn->nq", phi, w * z)
    return np.linalg.solve(a, b[..., None])[..., 0]


def fit_emulator(
    theta: np.ndarray,
    neutralised: np.ndarray,
    launched: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    active: np.ndarray,
    iterations: int = IRLS_STEPS,
) -> ShareEmulator:
    """Fit the surfaces to a design: ``theta`` (D, P), simulated ``neutralised`` (D, N, F) of the
    reported ``launched`` (N, F).

    The empirical-logit fit starts a few Fisher-scoring (IRLS) steps of the binomial model, all
    nights at once: the empirical weights correlate with the noise and bias the slopes a little,
    and no library fits thousands of small binomial regressions in one batched solve."""
    x = scaled(theta, low, high)
    coef = []
    for f in range(launched.shape[1]):
        phi = features(x, active[f])  # (D, q)
        k = neutralised[:, :, f].astype(float)  # (D, N)
        big_l = launched[:, f].astype(float)[None, :]
        c = _solve(phi, (k + 0.5) * (big_l - k + 0.5) / (big_l + 1.0),
                   logit((k + 0.5) / (big_l + 1.0)))  # fmt: skip
        for _ in range(iterations):
            eta = np.clip(phi @ c.T, -12.0, 12.0)  # (D, N)
            mu = expit(eta)
            w = big_l * mu * (1.0 - mu) + 1e-9
            c = _solve(phi, w, eta + (k - big_l * mu) / w)
        c[launched[:, f] == 0] = 0.0
        coef.append(c)
    return ShareEmulator(np.asarray(low, float), np.asarray(high, float), active, tuple(coef))


def holdout_error(
    theta: np.ndarray,
    neutralised: np.ndarray,
    launched: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    active: np.ndarray,
    every: int = 8,
) -> dict[str, dict[str, float]]:
    """Fit without every ``every``-th design point and predict those: per family, the RMS error
    (percentage points) of the window share and of the per-period shares (the emulator's rows:
    months in a calibration) against the runs."""
    held = np.arange(theta.shape[0]) % every == every - 1
    emulator = fit_emulator(theta[~held], neutralised[~held], launched, low, high, active)
    mu = emulator.predict(theta[held])  # (H, N, F)
    out = {}
    for f in range(launched.shape[1]):
        nights = launched[:, f] > 0
        if not nights.any():
            continue
        big_l = launched[nights, f]
        sim = neutralised[held][:, nights, f]
        pred = mu[:, nights, f] * big_l
        window = (pred.sum(1) - sim.sum(1)) / big_l.sum()
        period = (pred - sim) / big_l
        out[str(f)] = {
            "window_rmse_pp": float(100 * np.sqrt((window**2).mean())),
            "period_rmse_pp": float(100 * np.sqrt((period**2).mean())),
            "held_out_runs": int(held.sum()),
        }
    return out


def engine_dispersion(
    emulator: ShareEmulator, theta: np.ndarray, neutralised: np.ndarray, launched: np.ndarray
) -> np.ndarray:
    """Per family, the design runs' Pearson dispersion around the fitted surface:
    Σ (k − Lμ)² / (L μ (1 − μ)) over runs and periods with launches, divided by the degrees of
    freedom (cells less the surface's coefficients). 1 is binomial; the engine's launches share
    routes, targets and fire units, so its counts vary more. NaN where nothing was launched."""
    mu = np.clip(emulator.predict(theta), 1e-9, 1 - 1e-9)  # (D, N, F)
    out = np.full(launched.shape[1], np.nan)
    for f, coef in enumerate(emulator.coef):
        rows = launched[:, f] > 0
        if not rows.any():
            continue
        big_l = launched[rows, f][None].astype(float)
        m = mu[:, rows, f]
        chi = (neutralised[:, rows, f] - big_l * m) ** 2 / (big_l * m * (1 - m))
        dof = chi.size - coef.shape[1] * int(rows.sum())
        out[f] = float(chi.sum() / max(dof, 1))
    return out
