"""The results folder of a plan study (``docs/plan.md``, section Outputs), written atomically.

* ``pareto.parquet`` — the front: plan id, each objective's mean and 95 % CI, runs, the
  sustainability estimate, within-noise neighbours, cost by category, payments per nation, and
  the decision vector (``x.KEY``);
* ``screened.parquet`` — every plan the search simulated, with its screening values;
* ``spend.parquet`` — per front plan and nation: what it pays, its budget, and its items;
* ``plans/ID/`` — per front plan (and reference or baseline): ``scenario.yaml`` (runs with
  ``leapsim run``), ``campaign.yaml`` (campaign studies), ``plan.json`` (the decisions in words,
  costs, objectives, the command that reproduces them) and ``schedule.parquet`` (per munition,
  nation and month: rounds bought, delivered by production, their cost, mean stock held);
* ``summary.json`` — the study, the search, throughput, the front, the chosen plan, and the
  comparisons with the references and the baseline rules.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

import leapsim
from leapsim.atomic import write_json_atomic
from leapsim.experiments import nightly
from leapsim.experiments.stats import mean_ci, metric_domain
from leapsim.experiments.store import scenario_geometry, write_table
from leapsim.planning.build import is_renewable, position_label, unit_positions, write_plan_files
from leapsim.planning.costs import CATEGORIES, month_of_night, production_schedule, round_cost
from leapsim.planning.front import dominates, paired_difference, separated
from leapsim.planning.ladder import NOISY, Measured
from leapsim.planning.prepare import PreparedPlan
from leapsim.planning.run import PlanOutcome


def _stats(stats: dict) -> dict:
    return {k: stats.get(k) for k in ("mean", "ci_low", "ci_high", "n")}


def measured_doc(outcome: PlanOutcome, m: Measured) -> dict[str, Any]:
    plan = outcome.ladder.get(m.id)
    doc = {
        "id": m.id,
        "cost_eur": m.cost_eur,
        "objectives": {o: _stats(s) for o, s in m.objectives.items()},
        "runs": m.runs,
        "feasible": m.feasible,
        "within_budget": plan.cost.within_budget,
        "pays_eur": plan.cost.pays,
        "cost_by_category_eur": plan.cost.by("category"),
        "cost_by_type_eur": plan.cost.by("effector"),
    }
    if m.sustained is not None:
        doc["sustained"] = {**_stats(m.sustained), "required": m.sustained["required"]}
    if m.on_front:
        doc["within_noise_of"] = list(m.within_noise_of)
    return doc


def chosen_plan(outcome: PlanOutcome) -> Measured | None:
    """The plan the report shows: the best front plan at the first reference's cost, or else
    the front plan that loses least (the first noisy objective)."""
    front = outcome.front
    if not front:
        return None
    noisy = next((o for o in outcome.study.spec.objectives if o in NOISY), None)
    pool = front
    if outcome.references:
        ref = outcome.extras[next(iter(outcome.references.values()))]
        pool = [m for m in front if m.cost_eur <= ref.cost_eur] or front
    if noisy is None:
        return pool[0]
    return min(pool, key=lambda m: (m.objectives[noisy]["mean"], m.cost_eur))


def paired_objectives(outcome: PlanOutcome, a: Measured, b: Measured) -> np.ndarray:
    """(2, k) objective values of ``a`` and ``b`` for a dominance test: each noisy objective's
    mean over the runs both plans have (the same random numbers: a plan measured with more runs
    than the other is not compared on a different sample), cost as it is."""
    rows = []
    for m, other in ((a, b), (b, a)):
        row = []
        for o in outcome.study.spec.objectives:
            if o in NOISY:
                mine = outcome.ladder.samples(m.id, o, True)
                n = min(mine.size, outcome.ladder.samples(other.id, o, True).size)
                row.append(float(mine[:n].mean()))
            else:
                row.append(m.objectives[o]["mean"])
        rows.append(row)
    return np.array(rows)


def comparison(outcome: PlanOutcome, other: Measured, cheaper_only: bool) -> dict[str, Any]:
    """The best front plan against ``other`` on the noisy objectives, paired (CRN)."""
    noisy = [o for o in outcome.study.spec.objectives if o in NOISY]
    pool = [m for m in outcome.front if not cheaper_only or m.cost_eur <= other.cost_eur]
    if not pool or not noisy:
        return {"plan": None, "note": "no front plan at or below this cost"}
    best = min(pool, key=lambda m: (m.objectives[noisy[0]]["mean"], m.cost_eur))
    ladder = outcome.ladder
    differences = {
        o: _stats(
            paired_difference(ladder.samples(best.id, o, True), ladder.samples(other.id, o, True))
        )
        for o in noisy
    }
    better = all(d["ci_high"] is not None and d["ci_high"] < 0 for d in differences.values())
    mean, theirs = paired_objectives(outcome, best, other)
    return {
        "plan": best.id,
        "plan_cost_eur": best.cost_eur,
        "difference": differences,  # plan minus the other, per noisy objective
        "dominates": dominates(mean, theirs),
        "better_separated": better,
        "within_noise": not any(
            separated(
                paired_difference(
                    ladder.samples(best.id, o, True), ladder.samples(other.id, o, True)
                )
            )
            for o in noisy
        ),
    }


def decisions_doc(outcome: PlanOutcome, plan: PreparedPlan) -> dict[str, Any]:
    """The decisions of a plan in words and numbers."""
    study = outcome.study
    if plan.decisions is None:
        return {"reference": plan.scenario.file}
    units = []
    for i, purchase in enumerate(study.spec.purchases):
        for j, n in enumerate(plan.decisions.units[i]):
            if n:
                units.append(
                    {
                        "type": purchase.type,
                        "nation": study.owner(purchase),
                        "position": position_label(study, i, j),
                        "units": n,
                        "reserve_loads": plan.decisions.reserve_loads[i],
                        "at": [list(p) for p in unit_positions(study, i, j, n)],
                    }
                )
    return {
        "vector": dict(zip(outcome.space.keys, plan.plan, strict=True)),
        "units": units,
        "depot_loads": plan.decisions.depot_loads,
        "production_rate_per_month": plan.decisions.rate_per_month,
    }


def reproduce_command(outcome: PlanOutcome, m: Measured, folder: str) -> str:
    study = outcome.study
    campaign = study.spec.threat.campaign
    if study.spec.threat.night:
        return f"leapsim run {folder}/scenario.yaml --runs {m.runs} --seed {outcome.seed}"
    assert campaign is not None
    model = campaign.threat_model
    return (
        f"leapsim campaign {folder}/scenario.yaml --config {folder}/campaign.yaml "
        f"--nights {campaign.nights} --runs {m.runs} --seed {outcome.seed} "
        f"--threat-scale {campaign.threat_scale:g} --threat-model {model}"
    )


def schedule_rows(outcome: PlanOutcome, plan: PreparedPlan) -> dict[str, np.ndarray]:
    """Per munition, nation and month: rounds bought up front (month 0: on the units and in the
    depots), rounds delivered by production and their learning-curve cost, and — in campaign
    studies — the mean stock held at the end of the month over the final runs."""
    study = outcome.study
    rows: list[dict[str, Any]] = []
    bought: dict[tuple[str, str], int] = {}
    if plan.decisions is not None:
        catalogue = study.base.catalogue.effector_types
        for i, purchase in enumerate(study.spec.purchases):
            n = plan.decisions.total_units(i)
            if n and not is_renewable(study, purchase.type):
                magazine = catalogue[purchase.type].magazine
                rounds = n * (magazine + round(plan.decisions.reserve_loads[i] * magazine))
                key = (purchase.type, study.owner(purchase))
                bought[key] = bought.get(key, 0) + rounds
    for item in plan.cost.items:
        if item.category == "depot":
            key = (item.effector, item.nation)
            rounds = round(item.eur / round_cost(study, item.effector))
            bought[key] = bought.get(key, 0) + rounds
    for (munition, nation), rounds in bought.items():
        rows.append(
            {
                "munition": munition,
                "nation": nation,
                "month": 0,
                "bought_rounds": rounds,
                "purchase_cost_eur": rounds * round_cost(study, munition),
                "delivered_rounds": 0,
                "production_cost_eur": 0.0,
            }
        )
    if plan.campaign_plan is not None:
        for row in production_schedule(plan.campaign_plan):
            if row["munition"] in study.spec.munitions:
                rows.append({"bought_rounds": 0, "purchase_cost_eur": 0.0, **row})
    held = _mean_stock_by_month(outcome, plan)
    for row in rows:
        row["mean_stock_rounds"] = held.get((row["munition"], row["nation"], row["month"]), np.nan)
    for (munition, nation, month), value in held.items():
        if not any(
            r["munition"] == munition and r["nation"] == nation and r["month"] == month
            for r in rows
        ):
            rows.append(
                {
                    "munition": munition, "nation": nation, "month": month, "bought_rounds": 0,
                    "purchase_cost_eur": 0.0, "delivered_rounds": 0, "production_cost_eur": 0.0,
                    "mean_stock_rounds": value,
                }
            )  # fmt: skip
    rows.sort(key=lambda r: (r["munition"], r["nation"], r["month"]))
    names = ("munition", "nation", "month", "bought_rounds", "purchase_cost_eur",
             "delivered_rounds", "production_cost_eur", "mean_stock_rounds")  # fmt: skip
    return {name: np.array([r[name] for r in rows]) for name in names}


def _mean_stock_by_month(outcome: PlanOutcome, plan: PreparedPlan) -> dict:
    runner = outcome.ladder.runner
    if runner.count(plan.id, "campaign") == 0 or plan.campaign_plan is None:
        return {}
    result = runner.result(plan.id, "campaign")
    month = month_of_night(plan.campaign_plan.nights)
    out = {}
    for name in result.tables["nights"]:
        if not name.startswith("stock_by_nation."):
            continue
        _, munition, nation = name.split(".", 2)
        curve = nightly(result, name).mean(axis=0)
        for k in range(int(month.max()) + 1):
            out[(munition, nation, k + 1)] = float(curve[np.flatnonzero(month == k)[-1]])
    return out


def write_plan_folder(outcome: PlanOutcome, out: Path, m: Measured, role: str) -> dict:
    plan = outcome.ladder.get(m.id)
    folder = out / "plans" / m.id.replace(":", "_")
    write_plan_files(folder, plan.scenario, plan.config)
    relative = f"{out.name}/plans/{folder.name}"
    doc = {
        "role": role,
        **measured_doc(outcome, m),
        "decisions": decisions_doc(outcome, plan),
        "cost_items": [vars(item) for item in plan.cost.items],
        "budget_eur": plan.cost.budget,
        "reproduce": reproduce_command(outcome, m, relative),
    }
    write_json_atomic(folder / "plan.json", doc)
    write_table(folder / "schedule.parquet", schedule_rows(outcome, plan))
    return doc


def _table(outcome: PlanOutcome, measured: list[Measured]) -> dict[str, np.ndarray]:
    study = outcome.study
    nations = list(study.nations)
    columns: dict[str, list] = {"plan_id": [m.id for m in measured]}
    for o in study.spec.objectives:
        for stat in ("mean", "ci_low", "ci_high"):
            columns[f"{o}_{stat}"] = [m.objectives[o][stat] for m in measured]
    columns["runs"] = [m.runs for m in measured]
    if study.spec.constraints.sustainability is not None:
        for stat in ("mean", "ci_low", "ci_high"):
            columns[f"sustained_{stat}"] = [m.sustained[stat] for m in measured]
    columns["within_noise_of"] = [",".join(m.within_noise_of) for m in measured]
    plans = [outcome.ladder.get(m.id) for m in measured]
    columns["cost_eur"] = [p.cost.total_eur for p in plans]
    for category in CATEGORIES:
        columns[f"cost_{category}_eur"] = [p.cost.by("category").get(category, 0.0) for p in plans]
    for nation in nations:
        columns[f"pays_{nation}_eur"] = [p.cost.pays.get(nation, 0.0) for p in plans]
        columns[f"budget_{nation}_eur"] = [p.cost.budget.get(nation, 0.0) for p in plans]
    for k, key in enumerate(outcome.space.keys):
        columns[f"x.{key}"] = [p.plan[k] for p in plans]
    return {name: np.array(values) for name, values in columns.items()}


def _screened_table(outcome: PlanOutcome) -> dict[str, np.ndarray]:
    ladder = outcome.ladder
    ids = outcome.log.plan_ids
    columns: dict[str, list] = {"plan_id": ids}
    values = [ladder.screen_values(ladder.get(pid)) for pid in ids]
    for k, o in enumerate(outcome.study.spec.objectives):
        columns[f"{o}_screen"] = [v[0][k] for v in values]
    if outcome.study.spec.constraints.sustainability is not None:
        columns["sustained_screen"] = [
            v[1][2] * -1 + outcome.study.spec.constraints.sustainability.probability for v in values
        ]
    for k, key in enumerate(outcome.space.keys):
        columns[f"x.{key}"] = [ladder.get(pid).plan[k] for pid in ids]
    return {name: np.array(v) for name, v in columns.items()}


def chosen_doc(outcome: PlanOutcome, m: Measured) -> dict[str, Any]:
    """What the report shows of the chosen plan: its units, who pays what against which
    budget, its cost by type, and (campaign studies) its stock curves per night."""
    plan = outcome.ladder.get(m.id)
    curves = {}
    runner = outcome.ladder.runner
    if runner.count(m.id, "campaign"):
        result = runner.result(m.id, "campaign")
        for name in result.tables["nights"]:
            if name.startswith("stock.") and not name.startswith("stock_by_nation."):
                grid = nightly(result, name)
                stats = [mean_ci(grid[:, n], metric_domain(name)) for n in range(grid.shape[1])]
                curves[name[len("stock."):]] = {k: [st[k] for st in stats]
                                                for k in ("mean", "ci_low", "ci_high")}  # fmt: skip
    return {
        "id": m.id,
        "units": decisions_doc(outcome, plan).get("units", []),
        "pays_eur": plan.cost.pays,
        "budget_eur": plan.cost.budget,
        "cost_by_type_eur": plan.cost.by("effector"),
        "cost_by_category_eur": plan.cost.by("category"),
        "stock_curves": curves,
    }


def plan_summary(outcome: PlanOutcome) -> dict[str, Any]:
    study, log, runner = outcome.study, outcome.log, outcome.ladder.runner
    spec = study.spec
    chosen = chosen_plan(outcome)
    front = outcome.front
    references = []
    for name, pid in outcome.references.items():
        m = outcome.extras[pid]
        note = None
        from leapsim.planning.references import doctrine_note

        note = doctrine_note(study, outcome.ladder.get(pid))
        references.append(
            {"scenario": name, **measured_doc(outcome, m), "best_plan_at_its_cost":
             comparison(outcome, m, cheaper_only=True), "note": note}
        )  # fmt: skip
    baselines = []
    for rule, pid in outcome.baselines.items():
        m = outcome.measured(pid)
        dominated_by = [f.id for f in front if dominates(*paired_objectives(outcome, f, m))]
        baselines.append(
            {"rule": rule, **measured_doc(outcome, m), "dominated_by": dominated_by,
             "best_plan_at_its_cost": comparison(outcome, m, cheaper_only=True)}
        )  # fmt: skip
    rate = runner.simulated_nights / runner.seconds if runner.seconds > 0 else None
    return {
        "kind": "plan",
        "leapsim_version": leapsim.__version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "study": {"name": spec.name, "file": study.file, "description": spec.description},
        "seed": outcome.seed,
        "objectives": list(spec.objectives),
        "nations": list(study.nations),
        "budget_eur": outcome.ladder.get(front[0].id).cost.budget if front else {},
        "search": {
            **spec.search.model_dump(),
            "space_size": outcome.space.size,
            "trials": log.trials,
            "simulated": log.simulated,
            "infeasible": log.infeasible,
            "repeated": log.repeated,
        },
        "variables": [
            {"key": v.key, "label": v.label, "high": v.high} for v in outcome.space.variables
        ],
        "throughput": {
            "night_replications": runner.simulated_nights,
            "seconds": runner.seconds,
            "night_replications_per_s": rate,
            "note": "simulated by this invocation (a resumed study counts only what it added)",
        },
        "seconds": outcome.seconds,
        "front": [measured_doc(outcome, m) for m in front],
        "chosen": chosen.id if chosen else None,
        "chosen_plan": chosen_doc(outcome, chosen) if chosen else None,
        "references": references,
        "baselines": baselines,
    }


def write_plan_results(outcome: PlanOutcome, out: Path) -> dict[str, Any]:
    """Write every output of the study to ``out``; return the summary."""
    out = Path(out)
    front = outcome.front
    write_table(out / "pareto.parquet", _table(outcome, front))
    write_table(out / "screened.parquet", _screened_table(outcome))
    spend: dict[str, list] = {k: [] for k in ("plan_id", "nation", "pays_eur", "budget_eur",
                                              *(f"{c}_eur" for c in CATEGORIES))}  # fmt: skip
    for m in front:
        plan = outcome.ladder.get(m.id)
        for nation in outcome.study.nations:
            owned = {c: 0.0 for c in CATEGORIES}
            for item in plan.cost.items:
                if item.nation == nation:
                    owned[item.category] += item.eur
            spend["plan_id"].append(m.id)
            spend["nation"].append(nation)
            spend["pays_eur"].append(plan.cost.pays.get(nation, 0.0))
            spend["budget_eur"].append(plan.cost.budget.get(nation, 0.0))
            for c in CATEGORIES:
                spend[f"{c}_eur"].append(owned[c])
    write_table(out / "spend.parquet", {k: np.array(v) for k, v in spend.items()})
    for m in front:
        write_plan_folder(outcome, out, m, "front")
    for pid in outcome.references.values():
        write_plan_folder(outcome, out, outcome.extras[pid], "reference")
    for rule, pid in outcome.baselines.items():
        if pid not in {m.id for m in front}:
            write_plan_folder(outcome, out, outcome.measured(pid), f"baseline {rule}")
    summary = plan_summary(outcome)
    chosen = summary["chosen"]
    if chosen is not None:  # the report's map of the chosen plan
        plan = outcome.ladder.get(chosen)
        write_json_atomic(out / "scenario.json", scenario_geometry(plan.scenario, plan.params))
    write_json_atomic(out / "summary.json", summary)
    return summary
