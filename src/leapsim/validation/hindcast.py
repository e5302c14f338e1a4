"""``leapsim hindcast``: replay every reported night of a window through a scenario.

``runs`` replications of :class:`~leapsim.validation.task.ReplayTask` (one Study): replication
``r`` replays the whole window once, under the scenario's posterior draw ``r`` when the scenario
is calibrated (``calibration.posterior``), else under its own values. The results are
``nights.parquet`` (one row per night and family: launched, reported and simulated neutralised
with the 5-95 % range over runs) and ``summary.json`` (shares per month and over the window,
errors, interval coverage; :mod:`leapsim.validation.shares`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from leapsim.experiments import Study, StudyResult, run_study
from leapsim.scenario import ResolvedScenario
from leapsim.threats.outcomes import OUTCOME_FAMILIES
from leapsim.validation.replay import ReplayPlan
from leapsim.validation.shares import nights_table, summarise
from leapsim.validation.task import NIGHTS_TABLE, ReplayTask, by_run


def posterior_draws(resolved: ResolvedScenario) -> tuple[tuple[float, ...], ...]:
    """The scenario's stored posterior sample (empty if it has none)."""
    calibration = resolved.scenario.calibration
    if calibration is None:
        return ()
    return tuple(tuple(float(v) for v in draw) for draw in calibration.posterior)


@dataclass
class Hindcast:
    plan: ReplayPlan
    simulated: np.ndarray  # (runs, N, F) neutralised
    jammed: np.ndarray  # (runs, N)
    nights: dict[str, np.ndarray]
    summary: dict[str, Any]


def hindcast_study(plan: ReplayPlan, runs: int, seed: int) -> Study:
    """The hindcast as one study: ``runs`` replays of the window."""
    return Study(ReplayTask(plan, posterior_draws(plan.resolved)), runs, seed)


def summarise_hindcast(plan: ReplayPlan, result: StudyResult) -> Hindcast:
    """Per-night table and summary of a finished hindcast study."""
    table = result.tables[NIGHTS_TABLE]
    runs, n = result.runs, plan.n_nights
    simulated = np.stack(
        [by_run(table, f"neutralised.{f}", runs, n) for f in OUTCOME_FAMILIES], axis=-1
    )
    launched = np.stack([by_run(table, f"launched.{f}", runs, n) for f in OUTCOME_FAMILIES], -1)
    if not np.array_equal(launched, np.broadcast_to(plan.launched, launched.shape)):
        raise AssertionError("the replay did not launch the reported counts")  # programming error
    summary = {"kind": "hindcast", "runs": runs, "seed": result.seed,
               "scenario": {"name": plan.resolved.scenario.name, "file": plan.resolved.file},
               **summarise(plan, simulated, _extra_dispersion(plan.resolved)),
               "parameter_draws": _draws_used(plan.resolved, runs)}  # fmt: skip
    return Hindcast(plan, simulated, by_run(table, "jammed.drone", runs, n),
                    nights_table(plan, simulated), summary)  # fmt: skip


def _extra_dispersion(resolved: ResolvedScenario) -> dict[str, float] | None:
    """A calibrated scenario's extra dispersion per family (None: not calibrated)."""
    calibration = resolved.scenario.calibration
    if calibration is None or not calibration.posterior:
        return None
    return dict(calibration.extra_dispersion)


def _draws_used(resolved: ResolvedScenario, runs: int) -> dict[str, Any]:
    """Median and 90 % range of the posterior draws the runs used (empty: scenario values)."""
    draws = posterior_draws(resolved)
    if not draws:
        return {}
    used = np.array([draws[r % len(draws)] for r in range(runs)])
    names = [p.name for p in resolved.scenario.calibration.parameters]  # type: ignore[union-attr]
    low, mid, high = np.quantile(used, [0.05, 0.5, 0.95], axis=0)
    return {n: {"median": float(mid[j]), "p05": float(low[j]), "p95": float(high[j]),
                "draws": len(used)} for j, n in enumerate(names)}  # fmt: skip


def hindcast(
    plan: ReplayPlan, runs: int, seed: int, executor=None, checkpoint=None, progress=None
) -> Hindcast:
    """Run the hindcast study (:func:`leapsim.experiments.run_study`) and summarise it."""
    result = run_study(hindcast_study(plan, runs, seed), executor, checkpoint, progress)
    return summarise_hindcast(plan, result)
