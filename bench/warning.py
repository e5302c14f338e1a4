"""Benchmark of early warning (issue 16) on builtin:poland_belarus.

1. **Placement**: for each budget, the MILP (objective, HiGHS's bound, time), the greedy and the
   best uniform spacing on the planning objective (share of planning drones warned in time), in
   sample (the planning set) and out of sample (a validation set of as many incursions drawn
   with another seed: the sample-average approximation's honest estimate).
2. **Measured**: at the study's budget, the three placements by Monte Carlo with the tracker on
   common random numbers — share warned in time, P(confirmed track), warning time, false tracks
   and alerts per day, each with its 95 % CI — and the paired differences MILP − uniform and
   MILP − greedy, on the generator and on the September 2025 case.

Usage: python bench/warning.py [--study builtin:poland_belarus] [--budgets 1e6 3e6 6e6 12e6]
       [--measure-budget EUR] [--runs 30] [--jobs 2] [--out out/bench_warning]
       (finished replications are kept in OUT/.partial: a rerun resumes)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
from pathlib import Path

import numpy as np

from leapsim.experiments import Checkpoint, LocalExecutor, mean_ci, run_studies
from leapsim.warning.config import load_study
from leapsim.warning.cover import coverage, planning_set
from leapsim.warning.incursions import generate_incursions
from leapsim.warning.model import compile_study
from leapsim.warning.pipeline import frame_check, placements_of, studies
from leapsim.warning.planning import candidate_coverage, plan_placements
from leapsim.warning.results import MEASURES, paired_block, plan_document

VALIDATION_SEED = 99


def ci(stats: dict, fmt: str = "{:.3f}") -> str:
    if stats.get("mean") is None:
        return "—"
    if stats.get("ci_low") is None:
        return fmt.format(stats["mean"])
    low, high = fmt.format(stats["ci_low"]), fmt.format(stats["ci_high"])
    return f"{fmt.format(stats['mean'])} ({low}–{high})"


def warned_drones(cover) -> np.ndarray:
    """Per drone of the set: does some item of the placement cover it (warn it in time)?"""
    return np.asarray(cover.sum(axis=0)).ravel() > 0


def paired_by_group(a: np.ndarray, b: np.ndarray, group: np.ndarray) -> tuple[float, float, float]:
    """Share warned by a minus by b on the same drones, with a 95 % normal interval that treats
    each incursion group as one cluster (its drones fly one route): the ratio estimator's
    cluster-robust standard error."""
    d = a.astype(float) - b.astype(float)
    _, g = np.unique(group, return_inverse=True)
    total, size = np.bincount(g, d), np.bincount(g).astype(float)
    diff = total.sum() / size.sum()
    clusters = len(size)
    se = np.sqrt(clusters / (clusters - 1) * ((total - diff * size) ** 2).sum()) / size.sum()
    return float(diff), float(diff - 1.96 * se), float(diff + 1.96 * se)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="builtin:poland_belarus")
    parser.add_argument("--budgets", type=float, nargs="+", default=[1e6, 3e6, 6e6, 12e6])
    parser.add_argument(
        "--measure-budget", type=float, default=None, help="Monte Carlo budget (the study's)"
    )
    parser.add_argument("--runs", type=int, default=30, help="0: the placement table only")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("out/bench_warning"))
    args = parser.parse_args()
    print(
        f"{dt.date.today()}, {platform.machine()} {os.cpu_count()} cores, load "
        f"{os.getloadavg()[0]:.1f} (1-min average)"
    )
    model = compile_study(load_study(args.study))
    print(
        f"border {model.border.name}: {model.border.length_m / 1e3:.1f} km; frame error "
        f"{frame_check(model)}"
    )

    started = time.perf_counter()
    cc = candidate_coverage(model)
    print(
        f"\nplanning set {len(cc.pset)} drones, {len(cc.items)} candidates, coverage matrix "
        f"{cc.time_s:.1f} s (wall {time.perf_counter() - started:.1f} s)"
    )
    rng = np.random.default_rng(np.random.SeedSequence(VALIDATION_SEED))
    validation = planning_set(
        model, generate_incursions(model, model.incursions, rng, model.plan.planning_groups)
    )
    print(
        "\n| budget M€ | method | cost M€ | warned (plan, in sample) | MILP bound | gap to bound "
        "| warned (out of sample) | out of sample − uniform (95 % CI) | solve s | sensors |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    plans = {}
    for budget in args.budgets:
        plan = plan_placements(model, budget, cc)
        plans[budget] = plan
        hit = {m: warned_drones(coverage(model, c.items, validation))
               for m, c in plan.choices.items()}  # fmt: skip
        for method, choice in plan.choices.items():
            out = float(hit[method].mean())
            d, low, high = paired_by_group(hit[method], hit["uniform"], validation.flights.group)
            versus = "—" if method == "uniform" else f"{d:+.4f} ({low:+.4f}–{high:+.4f})"
            bound = "—" if choice.bound is None else f"{choice.bound:.4f}"
            gap = "—" if choice.bound is None else f"{choice.bound - choice.share:.4f}"
            counts = np.bincount(choice.items.option, minlength=len(model.options))
            bought = ", ".join(f"{model.options.names[o]}×{c}" for o, c in enumerate(counts) if c)
            print(
                f"| {budget / 1e6:g} | {method} | {choice.cost_eur / 1e6:.3f} | "
                f"{choice.share:.4f} | {bound} | {gap} | {out:.4f} | {versus} | "
                f"{choice.time_s:.1f} | {bought} |"
            )

    if args.runs == 0:
        return
    budget = args.measure_budget or model.plan.budget_eur
    plan = plans.get(budget) or plan_placements(model, budget, cc)
    plan_doc = plan_document(model, plan, "bench")
    placements = placements_of(model, plan_doc)
    batch = studies(model, placements, args.runs, args.seed)
    started = time.perf_counter()
    done = run_studies(list(batch.values()), LocalExecutor(args.jobs),
                       Checkpoint(args.out / ".partial"))  # fmt: skip
    wall = time.perf_counter() - started
    results = dict(zip(batch, done, strict=True))
    print(
        f"\nMonte Carlo at {budget / 1e6:g} M€, W = {model.plan.warning_min:g} min: "
        f"{args.runs} runs per placement and incursion set, seed {args.seed}, "
        f"{args.jobs} jobs, {wall:.0f} s wall (resumed items included)"
    )
    measures = (
        ("share_warned", "warned in time", "{:.3f}"),
        ("p_detect", "P(confirmed track)", "{:.3f}"),
        ("warning_min", "warning time (min)", "{:.1f}"),
        ("crossing_to_track_min", "crossing → track (min)", "{:.2f}"),
        ("p_classified", "classified as drone", "{:.3f}"),
        ("false_tracks_per_day", "false tracks / day", "{:,.0f}"),
        ("false_alerts_per_day", "false alerts / day", "{:,.0f}"),
    )
    sets = list(dict.fromkeys(s for _, s in results))
    methods = list(dict.fromkeys(m for m, _ in results))
    for name in sets:
        print(f"\n**{name}** (mean and 95 % CI over runs)\n")
        print("| measure | " + " | ".join(methods) + " |")
        print("|---|" + "---|" * len(methods))
        for key, label, fmt in measures:
            cells = []
            for m in methods:
                runs = results[m, name].tables["runs"]
                cells.append(ci(mean_ci(runs[key], MEASURES[key]), fmt) if key in runs else "—")
            if any(c != "—" for c in cells):
                print(f"| {label} | " + " | ".join(cells) + " |")
        drones = {m: results[m, name].tables["drones"] for m in methods}
        quant = []
        for m in methods:
            w = drones[m]["warning_s"] / 60.0
            w = w[np.isfinite(w)]
            q = np.quantile(w, [0.1, 0.5, 0.9]) if w.size else None
            quant.append("—" if q is None else f"{q[0]:.0f} / {q[1]:.0f} / {q[2]:.0f}")
        print("| warning time p10 / p50 / p90 (min) | " + " | ".join(quant) + " |")
        for other in ("uniform", "greedy"):
            diff = paired_block(results["milp", name], results[other, name])
            print(
                f"| paired milp − {other}: warned in time | "
                + ci(diff["share_warned"], "{:+.3f}")
                + " |"
                + " |" * (len(methods) - 1)
            )


if __name__ == "__main__":
    main()
