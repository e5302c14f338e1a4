"""Reported against simulated neutralised shares: per night, per month and over the window.

The **neutralised share** of a family over a period is Σ neutralised / Σ launched over the
period's nights whose outcome is reported (``known``). The simulated share of one run is the same
ratio with that run's neutralised counts on the same nights, so each run gives one share per
period; the summary reports the mean over runs and the 5th and 95th percentiles (the 90 %
interval), and whether the reported share lies inside. Errors are simulated mean minus reported,
in percentage points.

For a calibrated scenario the summary adds a **predictive** 90 % interval: what the reported share
would do if it varied around the model as the calibration months did. The runs' interval holds the
engine's noise and the parameter uncertainty only; the calibration found the reported monthly
counts more dispersed than one model run by a factor ``extra_dispersion`` φ_e (quasi-binomial,
:mod:`leapsim.validation.posterior`), so each run's share s_r is widened by a normal with variance
φ_e m (1 − m) / L (m the mean share, L the period's launches) and the interval is the 5th and
95th percentiles of that mixture. φ_e comes from the calibration window only.

Reported figures are official Ukrainian claims, not independent measurements.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from leapsim.threats.outcomes import OUTCOME_FAMILIES
from leapsim.validation.replay import ReplayPlan

QUANTILES = (0.05, 0.95)


def nights_table(plan: ReplayPlan, simulated: np.ndarray) -> dict[str, np.ndarray]:
    """One row per night and family with launches: the columns of ``nights.parquet``.

    ``simulated`` is (runs, nights, families) neutralised counts. ``neutralised_reported`` is
    -1 where the reports give no outcome (written as null)."""
    night_idx, fam_idx = np.nonzero(plan.launched > 0)
    sim = simulated[:, night_idx, fam_idx].astype(float)
    low, high = np.quantile(sim, QUANTILES, axis=0, method="linear")
    reported = np.where(plan.known[night_idx, fam_idx], plan.neutralised[night_idx, fam_idx], -1)
    return {
        "night": np.array([str(d) for d in plan.nights[night_idx]], dtype=object),
        "family": np.array([OUTCOME_FAMILIES[i] for i in fam_idx], dtype=object),
        "launched": plan.launched[night_idx, fam_idx].astype(np.int64),
        "neutralised_reported": reported.astype(np.int64),
        "neutralised_sim_mean": sim.mean(axis=0),
        "neutralised_sim_p05": low,
        "neutralised_sim_p95": high,
    }


def _mixture_quantiles(runs: np.ndarray, sd: float) -> tuple[float, float]:
    """5th and 95th percentiles of the equal mixture of normals N(runs[r], sd²)."""
    from scipy.optimize import brentq
    from scipy.stats import norm

    if sd <= 0:
        low, high = np.quantile(runs, QUANTILES, method="linear")
        return float(low), float(high)
    span = (runs.min() - 10 * sd, runs.max() + 10 * sd)
    return tuple(  # type: ignore[return-value]
        brentq(lambda x, q=q: norm.cdf((x - runs) / sd).mean() - q, *span) for q in QUANTILES
    )


def _period(
    plan: ReplayPlan, simulated: np.ndarray, nights: np.ndarray, f: int, extra: float | None
) -> dict | None:
    known = plan.known[nights, f] & (plan.launched[nights, f] > 0)
    idx = nights[known]
    launched = int(plan.launched[idx, f].sum())
    if launched == 0:
        return None
    reported = float(plan.neutralised[idx, f].sum()) / launched
    runs = simulated[:, idx, f].sum(axis=1) / launched
    low, high = np.quantile(runs, QUANTILES, method="linear")
    mean = float(runs.mean())
    out = {
        "nights": int(idx.size),
        "launched": launched,
        "reported": reported,
        "simulated_mean": mean,
        "simulated_p05": float(low),
        "simulated_p95": float(high),
        "inside_90": bool(low <= reported <= high),
        "error_pp": 100.0 * (mean - reported),
    }
    if extra is not None:
        sd = float(np.sqrt(extra * mean * (1 - mean) / launched))
        p_low, p_high = _mixture_quantiles(runs, sd)
        out.update(predictive_p05=max(p_low, 0.0), predictive_p95=min(p_high, 1.0),
                   inside_predictive_90=bool(p_low <= reported <= p_high))  # fmt: skip
    return out


def summarise(
    plan: ReplayPlan, simulated: np.ndarray, extra_dispersion: dict[str, float] | None = None
) -> dict[str, Any]:
    """Per-month and whole-window shares and error figures per family (``summary.json``); with
    ``extra_dispersion`` (a calibrated scenario's, per family) also the predictive intervals."""
    months = plan.nights.astype("datetime64[M]")
    every = np.arange(plan.n_nights)
    families: dict[str, Any] = {}
    for f, name in enumerate(OUTCOME_FAMILIES):
        extra = None if extra_dispersion is None else extra_dispersion.get(name, 0.0)
        window = _period(plan, simulated, every, f, extra)
        if window is None:
            continue
        monthly = {}
        for month in np.unique(months):
            period = _period(plan, simulated, np.flatnonzero(months == month), f, extra)
            if period is not None:
                monthly[str(month)] = period
        errors = np.array([m["error_pp"] for m in monthly.values()])
        per_night = _night_residuals(plan, simulated, f)
        if extra is not None:
            per_night["months_inside_predictive_90"] = sum(
                m["inside_predictive_90"] for m in monthly.values()
            )
        families[name] = {
            "window": window,
            "months": monthly,
            "errors": {
                "window_abs_error_pp": abs(window["error_pp"]),
                "monthly_mean_abs_error_pp": float(np.abs(errors).mean()),
                "monthly_rmse_pp": float(np.sqrt((errors**2).mean())),
                "months_inside_90": int(sum(m["inside_90"] for m in monthly.values())),
                "months": len(monthly),
                **per_night,
            },
        }
    return {
        "window": {"first_night": str(plan.nights[0]), "last_night": str(plan.nights[-1]),
                   "nights": plan.n_nights, "runs": int(simulated.shape[0])},
        "families": families,
        "caveat": "Reported figures are official Ukrainian claims (Air Force Command of the "
        "Armed Forces of Ukraine), not independent measurements.",
    }  # fmt: skip


def _night_residuals(plan: ReplayPlan, simulated: np.ndarray, f: int) -> dict[str, float]:
    """Per-night share residuals (reported − simulated mean) and the share of nights whose
    reported count lies in the simulated 90 % range."""
    nights = np.flatnonzero(plan.known[:, f] & (plan.launched[:, f] > 0))
    launched = plan.launched[nights, f].astype(float)
    sim = simulated[:, nights, f].astype(float)
    residual = (plan.neutralised[nights, f] - sim.mean(axis=0)) / launched
    low, high = np.quantile(sim, QUANTILES, axis=0, method="linear")
    inside = (plan.neutralised[nights, f] >= low) & (plan.neutralised[nights, f] <= high)
    return {
        "night_residual_mean_pp": float(100 * residual.mean()),
        "night_residual_sd_pp": float(100 * residual.std()),
        "nights_inside_90_share": float(inside.mean()),
    }
