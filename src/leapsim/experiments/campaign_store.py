"""The results folder of a campaign (``docs/results.md``): ``nights.parquet``, ``summary.json``
and ``scenario.json``, each written atomically."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import numpy as np

import leapsim
from leapsim.atomic import write_json_atomic
from leapsim.campaign.simulate import LEAKAGE
from leapsim.engine import TOTAL_METRICS
from leapsim.experiments.campaign_task import nightly
from leapsim.experiments.stats import mean_ci, mean_ci_columns, metric_domain
from leapsim.experiments.store import scenario_geometry, write_table
from leapsim.experiments.study import StudyResult
from leapsim.scenario import ResolvedScenario

RATIOS = {  # campaign ratios are ratios of the campaign's sums
    "cost_exchange_ratio": ("defender_spend_eur", "attacker_spend_eur"),
    "cost_per_kill_eur": ("defender_spend_eur", "killed"),
    "leak_rate": ("leaked", "launched"),
}
CAMPAIGN_TOTALS = ("raid_size", "unmodelled", "units_lost", "production_spend_eur")
TOTALS = (*TOTAL_METRICS, *CAMPAIGN_TOTALS)
_TOTALLED_PREFIXES = ("launched.", "unmodelled.", "fired.", "delivered.", "lost.")


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def run_totals(result: StudyResult) -> dict[str, np.ndarray]:
    """Per-run totals over the campaign: sums of the nightly counts and costs, the ratios of
    those sums (cost-exchange ratio Σ defender / Σ attacker spend, cost per kill, leak rate),
    and per munition the rounds fired, delivered and lost and the stock after the last night."""
    columns = result.tables["nights"]
    summed = [n for n in (*TOTAL_METRICS, *CAMPAIGN_TOTALS) if n not in RATIOS and n in columns]
    totals = {name: nightly(result, name).sum(axis=1) for name in summed}
    for name, (num, den) in RATIOS.items():
        totals[name] = _ratio(totals[num], totals[den])
    unmodelled = [n for n in columns if n.startswith("unmodelled.")]
    totals["unmodelled"] = sum(
        (nightly(result, n).sum(axis=1) for n in unmodelled), np.zeros(result.runs, np.int64)
    )
    for name in columns:
        if name.startswith(_TOTALLED_PREFIXES):
            totals[name] = nightly(result, name).sum(axis=1)
        elif name.startswith(("stock.", "stock_by_nation.")):
            totals[name] = nightly(result, name)[:, -1]
    return totals


def horizon_stats(nights_to_event: np.ndarray, nights: int) -> dict[str, Any]:
    """Mean and 95 % CI of the night an event first happens; runs where it never happens count
    as ``nights + 1`` (right-censored: then the mean is a lower bound). ``reached``: the
    fraction of runs where it happened."""
    x = np.asarray(nights_to_event, float)
    return {
        **mean_ci(x, (1, nights + 1)),
        "reached": float(np.mean(x <= nights)) if x.size else 0.0,
        "censored_at": nights + 1,
    }


def per_night_stats(result: StudyResult) -> dict[str, dict[str, list]]:
    """Mean and 95 % CI over runs of every nightly column, one entry per night (None where
    there is none)."""
    out = {}
    for name in result.tables["nights"]:
        if name in ("run", "night"):
            continue
        stats = mean_ci_columns(nightly(result, name), metric_domain(name))
        out[name] = {
            key: [float(v) if np.isfinite(v) else None for v in stats[key]]
            for key in ("mean", "ci_low", "ci_high")
        }
    return out


def campaign_summary(
    result: StudyResult, scenario_file: str, config_file: str | None
) -> dict[str, Any]:
    """The ``summary.json`` document of a campaign study."""
    job = result.study.task.job
    params, plan, nights = job.params, job.plan, job.plan.nights
    totals = run_totals(result)
    horizon = {k: v for k, v in result.tables["horizon"].items() if k != "run"}
    exhausted = {m: horizon_stats(horizon[m], nights) for m in plan.munitions}
    first_event = np.min(np.stack(list(horizon.values())), axis=0)
    return {
        "kind": "campaign",
        "leapsim_version": leapsim.__version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scenario": {"name": params.name, "file": scenario_file},
        "runs": result.runs,
        "nights": nights,
        "seed": result.seed,
        "policy": params.doctrine.policy,
        "pooling": job.config.pooling,
        "threat_model": {
            "name": job.model.name,
            "threat_scale": job.threat_scale,
            "start_month_offset": job.config.start_month_offset,
        },
        "config": {"file": config_file, **job.config.model_dump(mode="json")},
        "metrics": {name: mean_ci(totals[name], metric_domain(name)) for name in TOTALS},
        "columns": {
            n: mean_ci(v, metric_domain(n))
            for n, v in totals.items()
            if n not in TOTALS and "." in n
        },
        "horizon": {
            "layer_exhausted": exhausted,
            "leakage_threshold": horizon_stats(horizon[LEAKAGE], nights),
            "sustainability": horizon_stats(first_event, nights),
            "leak_rate_threshold": job.config.horizon.leak_rate,
        },
        "per_night": per_night_stats(result),
        "munitions": {
            name: {
                "initial_stock": int(plan.depot0[m].sum() + _loaded(plan, m)),
                "initial_depot": {
                    nation: int(plan.depot0[m, j])
                    for j, nation in enumerate(plan.nations)
                    if plan.holds[m, j]
                },
                "delivered": int(plan.deliveries[:, m].sum()),
                "production_cost_eur": float(plan.production_cost_eur[:, m].sum()),
                "pooled": bool(plan.lend[m]),
            }
            for m, name in enumerate(plan.munitions)
        },
        "families": {"modelled": list(plan.modelled), "unmodelled": list(plan.unmodelled)},
        "nations": list(plan.nations),
        "threat_types": list(params.threat_types.names),
        "effector_types": list(params.effector_types.names),
        "sites": list(params.site_names),
    }


def _loaded(plan, m: int) -> int:
    return int(plan.unit_load[plan.unit_munition == m].sum())


def write_campaign_results(
    out_dir: str | os.PathLike[str],
    result: StudyResult,
    resolved: ResolvedScenario,
    config_file: str | None,
) -> dict[str, Any]:
    """Write nights.parquet, summary.json and scenario.json; return the summary."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_table(out / "nights.parquet", result.tables["nights"])
    params = result.study.task.job.params
    write_json_atomic(out / "scenario.json", scenario_geometry(resolved, params))
    summary = campaign_summary(result, resolved.file, config_file)
    write_json_atomic(out / "summary.json", summary)
    return summary
