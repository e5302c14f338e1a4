"""Results folders of ``leapsim requirements`` and ``leapsim coalition`` (``docs/procurement.md``),
every file written atomically."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

import leapsim
from leapsim.atomic import write_json_atomic
from leapsim.experiments.store import write_table
from leapsim.procurement.coalition import CoalitionOutcome, coalition_rows
from leapsim.procurement.game import members
from leapsim.procurement.requirements import Requirements, frontier

STATS = ("mean", "ci_low", "ci_high")


def _stats(d: dict) -> dict:
    return {k: d.get(k) for k in (*STATS, "n")}


def requirements_tables(req: Requirements) -> dict[str, np.ndarray]:
    s = req.s
    columns: dict[str, list] = {a.field: [] for a in s.axes}
    for name in ("round", "incumbent", "units", "pays", "dominates", "delta_acquisition_eur"):
        columns[name] = []
    for what in ("delta_total_eur", "delta_value_lost_eur", "delta_spend_eur"):
        for stat in STATS:
            columns[f"{what}_{stat}"] = []
    for coords in sorted(req.points):
        p = req.points[coords]
        for x in s.incumbents:
            for a, v in zip(s.axes, p.values, strict=True):
                columns[a.field].append(v)
            columns["round"].append(p.round)
            columns["incumbent"].append(x)
            columns["units"].append(p.units[x])
            columns["pays"].append(p.pays(x))
            columns["dominates"].append(p.dominates(x))
            columns["delta_acquisition_eur"].append(p.acquisition[x])
            for what, d in (("delta_total_eur", p.total), ("delta_value_lost_eur", p.value_lost),
                            ("delta_spend_eur", p.spend)):  # fmt: skip
                for stat in STATS:
                    columns[f"{what}_{stat}"].append(d[x][stat])
    return {k: np.array(v) for k, v in columns.items()}


def requirements_summary(req: Requirements, seconds: float) -> dict[str, Any]:
    s = req.s
    base = req.baseline.tables["runs"]
    from leapsim.experiments.stats import mean_ci, metric_domain

    fronts = {x: frontier(req, x) for x in (*s.incumbents, None)}
    regions = {}
    n = len(req.points)
    for x in s.incumbents:
        regions[x] = {
            "points": n,
            "pays": sum(p.pays(x) for p in req.points.values()),
            "dominates": sum(p.dominates(x) for p in req.points.values()),
            "units_replaced": next(iter(req.points.values())).units[x] if n else 0,
        }
    return {
        "kind": "requirements",
        "leapsim_version": leapsim.__version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "study": {"name": s.study.spec.name, "file": s.study.file},
        "effector": s.effector,
        "candidate": s.name,
        "axes": [{"field": a.field, "low": a.low, "high": a.high, "log": a.log} for a in s.axes],
        "incumbent_defence": {
            "name": s.incumbent.scenario.name,
            "file": s.incumbent.file,
            "value_lost_eur": _stats(
                mean_ci(base["value_lost_eur"], metric_domain("value_lost_eur"))
            ),
            "defender_spend_eur": _stats(
                mean_ci(base["defender_spend_eur"], metric_domain("defender_spend_eur"))
            ),
        },
        "incumbents": list(s.incumbents),
        "grid": s.grid,
        "rounds": s.rounds,
        "runs": s.runs,
        "seed": s.seed,
        "points": n,
        "night_replications": req.simulated,
        "seconds": seconds,
        "regions": regions,
        "points_data": [
            {
                **{a.field: v for a, v in zip(s.axes, p.values, strict=True)},
                "incumbent": x,
                "pays": p.pays(x),
                "dominates": p.dominates(x),
                "round": p.round,
            }
            for p in req.points.values()
            for x in s.incumbents
        ],
        "frontier": {("any" if x is None else x): rows for x, rows in fronts.items()},
    }


def write_requirements_results(req: Requirements, out: Path, seconds: float) -> dict[str, Any]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_table(out / "points.parquet", requirements_tables(req))
    summary = requirements_summary(req, seconds)
    rows = [row for rows in summary["frontier"].values() for row in rows]
    if rows:
        keys = list(dict.fromkeys(k for row in rows for k in row))
        table = {k: np.array([np.nan if row.get(k) is None else row.get(k) for row in rows])
                 for k in keys if k != "incumbent"}  # fmt: skip
        table["incumbent"] = np.array([row["incumbent"] for row in rows])
        write_table(out / "frontier.parquet", table)
    else:
        (out / "frontier.parquet").unlink(missing_ok=True)
    write_json_atomic(out / "summary.json", summary)
    return summary


def coalition_summary(outcome: CoalitionOutcome, study, seconds: float, runs: int,
                      seed: int) -> dict[str, Any]:  # fmt: skip
    from leapsim.planning.study import coalition_target
    from leapsim.procurement.coalition import defence_of

    nations = outcome.nations
    n_j = len(nations)
    grand = 2**n_j - 1
    nights, probability = coalition_target(study)
    demand = outcome.demand
    return {
        "kind": "coalition",
        "leapsim_version": leapsim.__version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "study": {"name": study.spec.name, "file": study.file},
        "defence": defence_of(study).scenario.name,
        "target": {"nights": nights, "probability": probability},
        "runs": runs,
        "seed": seed,
        "seconds": seconds,
        "munitions": {
            name: {
                "line_cost_eur": line.line_eur,
                "first_unit_cost_eur": line.first_unit_eur,
                "learning_rate": line.learning_rate,
                "produced_before": line.produced_before,
                "standardised": line.standardised,
                "mean_demand_rounds": {
                    n: float(demand.rounds[:, m, j].mean()) for j, n in enumerate(nations)
                },
                "held_rounds": {n: int(demand.held[m, j]) for j, n in enumerate(nations)},
                "bought_alone": {n: int(outcome.bought[1 << j, m]) for j, n in enumerate(nations)},
                "bought_together": int(outcome.bought[grand, m]),
            }
            for m, (name, line) in enumerate(zip(demand.munitions, outcome.lines, strict=True))
        },
        "nations": {
            n: {
                "alone_cost_eur": float(outcome.cost[1 << j]),
                "shapley_saving_eur": float(outcome.shapley[j]),
                "shapley_ci_eur": [float(v) for v in outcome.shapley_ci[j]],
                "cost_in_grand_coalition_eur": float(outcome.cost[1 << j] - outcome.shapley[j]),
            }
            for j, n in enumerate(nations)
        },
        "grand_coalition": {
            "members": list(nations),
            "cost_eur": float(outcome.cost[grand]),
            "alone_cost_eur": float(sum(outcome.cost[1 << j] for j in range(n_j))),
            "saving_eur": float(outcome.saving[grand]),
            "saving_ci_eur": [float(v) for v in outcome.saving_ci[grand]],
        },
        "core": {
            "shapley_in_core": bool(
                outcome.core_violation <= 1e-6 * max(1.0, outcome.saving[grand])
            ),
            "largest_violation_eur": float(outcome.core_violation),
            "least_core_epsilon_eur": float(outcome.least_core_epsilon),
        },
        "coalitions": [
            {
                "members": [nations[j] for j in members(s, n_j)],
                "cost_eur": float(outcome.cost[s]),
                "saving_eur": float(outcome.saving[s]),
            }
            for s in range(1, 2**n_j)
        ],
    }


def write_coalition_results(outcome: CoalitionOutcome, study, out: Path, seconds: float,
                            runs: int, seed: int) -> dict[str, Any]:  # fmt: skip
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_table(out / "coalitions.parquet", coalition_rows(outcome))
    summary = coalition_summary(outcome, study, seconds, runs, seed)
    write_json_atomic(out / "summary.json", summary)
    return summary
