"""``leapsim calibrate``: fit a scenario's declared free parameters to the reported outcomes.

1. **Design.** ``design`` points of a scrambled Latin hypercube (``scipy.stats.qmc``) over
   the prior box; every point replays every night of the window once, each on its own random
   streams so the regression below averages the engine's noise out (one
   :class:`~leapsim.experiments.Study` per point, one executor pass, checkpointed: a killed
   calibration resumes).
2. **Emulator.** Per month and family, a quadratic response surface of the simulated
   launch-weighted share in the parameters (:mod:`leapsim.validation.emulator`).
3. **Posterior.** Quasi-binomial likelihood of the reported monthly counts (launch-weighted,
   like the target metric; dispersion estimated from the months' spread and the engine's),
   uniform priors, sampled with emcee (:mod:`leapsim.validation.posterior`).

Results: posterior medians and 90 % credible intervals, correlations, the emulator's held-out
error, in-sample shares, and a calibrated scenario that carries the medians in its catalogue and
a thinned posterior sample in ``calibration.posterior`` (a hindcast of it draws one per run).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from leapsim.experiments import Study, StudyResult, run_studies
from leapsim.scenario import ResolvedScenario
from leapsim.scenario.parameters import parameter_names, with_parameters
from leapsim.threats.nights import COUNTING_CHANGE
from leapsim.threats.outcomes import OUTCOME_FAMILIES
from leapsim.validation.emulator import engine_dispersion, fit_emulator, holdout_error
from leapsim.validation.posterior import Observations, sample_posterior
from leapsim.validation.replay import ReplayPlan
from leapsim.validation.task import NIGHTS_TABLE, ReplayTask, by_run

POSTERIOR_DRAWS = 200  # draws kept in the calibrated scenario
MCMC_STEPS = 3000
_PK_FAMILIES = {"drone": ("drone", "decoy"), "cruise_missile": ("cruise_missile",),
                "ballistic_missile": ("ballistic_missile",)}  # fmt: skip


@dataclass(frozen=True)
class Prior:
    names: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray
    active: np.ndarray  # (F, P): parameter acts on the family


def prior_of(resolved: ResolvedScenario) -> Prior:
    """The declared parameters (an error if there are none) and the families each acts on."""
    names = parameter_names(resolved)
    params = resolved.scenario.calibration.parameters  # type: ignore[union-attr]
    active = np.zeros((len(OUTCOME_FAMILIES), len(names)), bool)
    for j, parameter in enumerate(params):
        for path in parameter.sets:
            parts = path.split(".")
            pk_family = parts[-1] if len(parts) == 4 and parts[2] == "pk" else None
            for f, family in enumerate(OUTCOME_FAMILIES):
                active[f, j] |= pk_family is None or pk_family in _PK_FAMILIES[family]
    return Prior(
        tuple(names),
        np.array([p.prior[0] for p in params], float),
        np.array([p.prior[1] for p in params], float),
        active,
    )


def design_points(prior: Prior, points: int, seed: int) -> np.ndarray:
    """``points`` parameter vectors of a scrambled Latin hypercube in the prior box (D, P)."""
    from scipy.stats import qmc

    cube = qmc.LatinHypercube(d=prior.low.size, scramble=True, seed=np.random.default_rng(seed))
    return qmc.scale(cube.random(points), prior.low, prior.high)


def design_studies(plan: ReplayPlan, design: np.ndarray, seed: int) -> list[Study]:
    """One study of one replication per design point; point ``d`` replays the nights on stream
    ``d + 1`` of the seed (independent of the other points and of a hindcast's stream 0)."""
    return [
        Study(ReplayTask(plan, (tuple(float(v) for v in theta),), stream=d + 1), 1, seed)
        for d, theta in enumerate(design)
    ]


@dataclass
class Calibration:
    prior: Prior
    design: np.ndarray  # (D, P)
    simulated: np.ndarray  # (D, N, F) neutralised per design point
    jammed: np.ndarray  # (D, N) drones defeated by jamming
    launched_known: np.ndarray  # (N, F) reported launches where the outcome is reported, else 0
    posterior_theta: np.ndarray  # (S, P)
    dispersion: np.ndarray  # (F,) quasi-likelihood dispersion φ used
    report: dict[str, Any]


def calibrate(
    resolved: ResolvedScenario,
    plan: ReplayPlan,
    seed: int,
    design: int,
    executor=None,
    checkpoint=None,
    progress: Callable[[int, int], None] | None = None,
    mcmc_steps: int = MCMC_STEPS,
) -> Calibration:
    """Run the design (:func:`leapsim.experiments.run_studies`), fit the emulator, sample the
    posterior; see the module docstring."""
    prior = prior_of(resolved)
    theta = design_points(prior, design, seed)
    results = run_studies(design_studies(plan, theta, seed), executor, checkpoint, progress)
    return fit_calibration(prior, plan, theta, results, seed, mcmc_steps)


def by_month(plan: ReplayPlan, counts: np.ndarray, use: np.ndarray) -> np.ndarray:
    """Counts (…, N, F) per night summed over each month's nights where ``use`` (N, F) holds:
    (…, M, F), months in :func:`months` order."""
    index = np.searchsorted(months(plan), plan.nights.astype("datetime64[M]"))
    onehot = np.zeros((len(months(plan)), plan.n_nights))
    onehot[index, np.arange(plan.n_nights)] = 1.0
    return np.einsum("mn,...nf->...mf", onehot, np.where(use, counts, 0)).round().astype(np.int64)


def months(plan: ReplayPlan) -> np.ndarray:
    """The months of the plan's nights (datetime64[M], sorted)."""
    return np.unique(plan.nights.astype("datetime64[M]"))


def fit_calibration(
    prior: Prior,
    plan: ReplayPlan,
    theta: np.ndarray,
    results: list[StudyResult],
    seed: int,
    mcmc_steps: int = MCMC_STEPS,
) -> Calibration:
    """Emulator and posterior from the finished design studies (one per row of ``theta``).

    Everything is fitted at the resolution of the metric: the reported and simulated counts of
    the nights with a reported outcome are summed per month, so the emulator models a month's
    launch-weighted share and the likelihood weighs every launch alike
    (:mod:`leapsim.validation.posterior`)."""
    n = plan.n_nights
    simulated = np.stack(
        [np.stack([by_run(r.tables[NIGHTS_TABLE], f"neutralised.{f}", 1, n)[0]
                   for f in OUTCOME_FAMILIES], axis=-1) for r in results]
    )  # fmt: skip
    jammed = np.stack([by_run(r.tables[NIGHTS_TABLE], "jammed.drone", 1, n)[0] for r in results])
    return fit_design(prior, plan, theta, simulated, jammed, seed, mcmc_steps)


def fit_design(
    prior: Prior,
    plan: ReplayPlan,
    theta: np.ndarray,
    simulated: np.ndarray,
    jammed: np.ndarray,
    seed: int,
    mcmc_steps: int = MCMC_STEPS,
) -> Calibration:
    """:func:`fit_calibration` from the design's arrays: ``simulated`` (D, N, F) neutralised and
    ``jammed`` (D, N) drones defeated by jamming."""
    use = plan.known & (plan.launched > 0)
    obs = Observations(by_month(plan, plan.launched, use), by_month(plan, plan.neutralised, use),
                       by_month(plan, plan.launched, use) > 0)  # fmt: skip
    sim_month = by_month(plan, simulated, use)
    args = (theta, sim_month, obs.launched, prior.low, prior.high, prior.active)
    emulator = fit_emulator(*args)
    holdout = holdout_error(*args)
    engine = engine_dispersion(emulator, theta, sim_month, obs.launched)
    acting = prior.active.sum(axis=1)
    post = sample_posterior(emulator, obs, engine, acting, seed, steps=mcmc_steps,
                            burn=mcmc_steps // 3)  # fmt: skip
    report = _report(prior, plan, theta, sim_month, jammed, emulator, holdout, obs, post, engine)
    launched_known = np.where(use, plan.launched, 0)
    return Calibration(prior, theta, simulated, jammed, launched_known, post.theta,
                       post.dispersion, report)  # fmt: skip


def _shares(mu: np.ndarray, obs: Observations) -> dict[str, float]:
    out = {}
    for f, family in enumerate(OUTCOME_FAMILIES):
        use = obs.use[:, f]
        if use.any():
            out[family] = float(
                (mu[use, f] * obs.launched[use, f]).sum() / obs.launched[use, f].sum()
            )
    return out


def _monthly(plan: ReplayPlan, obs: Observations, emulated: np.ndarray) -> dict[str, dict]:
    """Per family: the months, reported shares and emulated shares at the posterior median."""
    out = {}
    for f, family in enumerate(OUTCOME_FAMILIES):
        use = obs.use[:, f]
        if use.any():
            out[family] = {
                "months": [str(m) for m in months(plan)[use]],
                "launched": obs.launched[use, f].tolist(),
                "reported": (obs.neutralised[use, f] / obs.launched[use, f]).round(4).tolist(),
                "emulated_at_median": emulated[use, f].round(4).tolist(),
            }
    return out


def _report(prior, plan, theta, sim_month, jammed, emulator, holdout, obs, post, engine) -> dict:
    q05, q50, q95 = np.quantile(post.theta, [0.05, 0.5, 0.95], axis=0)
    parameters = {
        name: {
            "value": float(q50[j]),
            "p05": float(q05[j]),
            "p95": float(q95[j]),
            "mean": float(post.theta[:, j].mean()),
            "sd": float(post.theta[:, j].std()),
            "maximum_likelihood": float(post.theta_max[j]),
            "prior": [float(prior.low[j]), float(prior.high[j])],
        }
        for j, name in enumerate(prior.names)
    }
    corr = np.corrcoef(post.theta.T) if len(prior.names) > 1 else np.ones((1, 1))
    dispersion = {
        family: {"used": float(post.dispersion[f]),
                 "reported_months": _finite(post.dispersion_reported[f]),
                 "engine": _finite(engine[f])}
        for f, family in enumerate(OUTCOME_FAMILIES) if obs.use[:, f].any()
    }  # fmt: skip
    reported = _shares(obs.neutralised / np.maximum(obs.launched, 1), obs)
    emulated = emulator.predict(q50[None])[0]
    design_range = {}
    for f, family in enumerate(OUTCOME_FAMILIES):
        use = obs.use[:, f]
        if use.any():
            s = sim_month[:, use, f].sum(1) / obs.launched[use, f].sum()
            design_range[family] = [float(s.min()), float(s.max())]
    return {
        "parameters": parameters,
        "correlation": {"names": list(prior.names), "matrix": corr.round(4).tolist()},
        "dispersion": dispersion,
        "fit": {
            "likelihood": "quasi-binomial on monthly counts (launch-weighted)",
            "reported_share": reported,
            "emulated_share_at_median": _shares(emulated, obs),
            "design_share_range": design_range,
            "monthly": _monthly(plan, obs, emulated),
            "log_posterior_max": float(post.log_post.max()),
            "terms": int(obs.use.sum()),
        },
        "sampler": {
            "method": "emcee affine-invariant ensemble",
            "draws": int(post.theta.shape[0]),
            "acceptance": post.acceptance,
            "autocorrelation_steps": post.autocorr_steps,
        },
        "emulator": {
            "design_points": int(theta.shape[0]),
            "resolution": "month",
            "holdout": {OUTCOME_FAMILIES[int(k)]: v for k, v in holdout.items()},
        },
        "locationally_lost_check": _lost_check(plan, jammed),
        "window": {"first_night": str(plan.nights[0]), "last_night": str(plan.nights[-1]),
                   "nights": plan.n_nights},
        "caveat": "Reported figures are official Ukrainian claims (Air Force Command of the "
        "Armed Forces of Ukraine), not independent measurements.",
    }  # fmt: skip


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _lost_check(plan: ReplayPlan, jammed: np.ndarray) -> dict[str, Any]:
    """Before the August 2025 counting change the reports give drones lost to EW separately:
    compare with the drones the design runs defeat by jamming (a diagnostic, not fitted)."""
    before = (plan.nights < COUNTING_CHANGE) & plan.known[:, 0] & (plan.launched[:, 0] > 0)
    if not before.any():
        return {"nights": 0}
    launched = plan.launched[before, 0].sum()
    sim = jammed[:, before].sum(1) / launched
    return {
        "nights": int(before.sum()),
        "reported_lost_share": float(plan.lost[before].sum() / launched),
        "simulated_jammed_share_design_range": [float(sim.min()), float(sim.max())],
    }


def parameter_rows(report: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(name, median, 90 % interval, prior) of each calibrated parameter, as text."""
    return [
        (name, f"{p['value']:.3f}", f"{p['p05']:.3f} - {p['p95']:.3f}",
         f"{p['prior'][0]:g} - {p['prior'][1]:g}")
        for name, p in report["parameters"].items()
    ]  # fmt: skip


def calibrated_scenario(resolved: ResolvedScenario, calibration: Calibration) -> ResolvedScenario:
    """The scenario with the posterior medians written in, a thinned posterior sample and the
    reported months' dispersion beyond the engine's (``extra_dispersion``, per family)."""
    medians = np.median(calibration.posterior_theta, axis=0)
    out = with_parameters(resolved, [float(v) for v in medians])
    draws = calibration.posterior_theta
    keep = np.linspace(0, draws.shape[0] - 1, min(POSTERIOR_DRAWS, draws.shape[0])).astype(int)
    sample = [[float(f"{v:.6g}") for v in draws[i]] for i in keep]
    extra = {family: max((d["reported_months"] or 0.0) - (d["engine"] or 0.0), 0.0)
             for family, d in calibration.report["dispersion"].items()}  # fmt: skip
    update = {"posterior": sample, "extra_dispersion": {k: round(v, 4) for k, v in extra.items()}}
    cal = out.scenario.calibration.model_copy(update=update)  # type: ignore[union-attr]
    return type(out)(out.scenario.model_copy(update={"calibration": cal}), out.catalogue, out.file)
