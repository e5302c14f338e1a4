"""Fire-allocation policies compared: max_pk, cost_aware, wta and lookahead, per scenario.

The same seeds for every policy: run ``r`` of every policy draws from ``run_rng(1, r)``, so the
raid, the detections and every engagement's outcome uniform (keyed by threat and shot,
:mod:`leapsim.engine.draws`) are common to the policies and the differences are paired. Prints,
per scenario, each policy's mean (95 % CI) killed, leaked, value lost, defender spend and total
cost (value lost + spend), its time per night and the ratio to ``cost_aware``'s; then
``lookahead`` minus each other policy, night by night (paired), for the total cost and the
leakers, and whether the policies' own intervals separate (issue 17 §1).

Usage: python bench/policies.py [--runs 30] [--scenario builtin:rzeszow_leap ...]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
from rich.console import Console
from rich.table import Table

from leapsim.c2.policies import make_policy
from leapsim.engine import compile_scenario, night_metrics, simulate_night
from leapsim.experiments.stats import mean_ci
from leapsim.scenario import load_scenario
from leapsim.seeds import run_rng

POLICIES = ("max_pk", "cost_aware", "wta", "lookahead")
SCENARIOS = ("builtin:rzeszow_leap", "examples/saturation_night.yaml", "builtin:rzeszow_legacy")
CHALLENGER = "lookahead"


def run_policies(scenario: str, runs: int) -> dict[str, tuple[dict[str, np.ndarray], float]]:
    """Per policy: (metric → (runs,) values, seconds per night)."""
    params = compile_scenario(load_scenario(scenario))
    results = {}
    for name in POLICIES:
        doctrine = replace(params.doctrine, policy=name)
        night = replace(params, doctrine=doctrine)
        policy = make_policy(name, doctrine)
        simulate_night(night, run_rng(0, 0), policy)  # warm up (compile or load the cache)
        rows, start = [], time.perf_counter()
        for run in range(runs):
            rows.append(night_metrics(simulate_night(night, run_rng(1, run), policy)))
        per_night = (time.perf_counter() - start) / runs
        metrics = {key: np.array([r[key] for r in rows], float) for key in rows[0]}
        metrics["total_cost_eur"] = metrics["value_lost_eur"] + metrics["defender_spend_eur"]
        results[name] = (metrics, per_night)
    return results


def interval(values: np.ndarray, scale: float = 1.0, digits: int = 1) -> str:
    s = mean_ci(values / scale)
    return f"{s['mean']:.{digits}f} ({s['ci_low']:.{digits}f}–{s['ci_high']:.{digits}f})"


def verdict(difference: np.ndarray) -> str:
    """Paired difference (challenger − other): lower, higher, or within noise (95 % CI)."""
    s = mean_ci(difference)
    if s["ci_high"] is not None and s["ci_high"] < 0:
        return "lower"
    if s["ci_low"] is not None and s["ci_low"] > 0:
        return "higher"
    return "within noise"


def report(scenario: str, runs: int, results: dict, console: Console) -> None:
    table = Table(title=f"{scenario}: {runs} nights per policy, same seeds; mean (95 % CI)")
    columns = ("policy", "killed", "leaked", "value lost M€", "spend M€", "total cost M€",
               "s / night", "× cost_aware")  # fmt: skip
    for col in columns:
        table.add_column(col, justify="right")
    base_time = results["cost_aware"][1]
    for name, (m, per_night) in results.items():
        table.add_row(name, interval(m["killed"]), interval(m["leaked"]),
                      interval(m["value_lost_eur"], 1e6, 0), interval(m["defender_spend_eur"], 1e6),
                      interval(m["total_cost_eur"], 1e6, 0), f"{per_night:.3f}",
                      f"{per_night / base_time:.2f}")  # fmt: skip
    console.print(table)

    paired = Table(title=f"{scenario}: {CHALLENGER} − other, night by night (95 % CI)")
    for col in ("other", "Δ total cost M€", "total cost", "own intervals", "Δ leaked", "leaked"):
        paired.add_column(col, justify="right")
    mine = results[CHALLENGER][0]
    for name, (other, _) in results.items():
        if name == CHALLENGER:
            continue
        d_cost = (mine["total_cost_eur"] - other["total_cost_eur"]) / 1e6
        d_leak = mine["leaked"] - other["leaked"]
        a, b = mean_ci(mine["total_cost_eur"]), mean_ci(other["total_cost_eur"])
        separated = a["ci_high"] < b["ci_low"] or b["ci_high"] < a["ci_low"]
        paired.add_row(name, interval(d_cost, 1.0, 0), verdict(d_cost),
                       "separate" if separated else "overlap", interval(d_leak),
                       verdict(d_leak))  # fmt: skip
    console.print(paired)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--scenario", action="append", help=f"repeatable (default: {SCENARIOS})")
    args = parser.parse_args()
    console = Console(width=150)
    for scenario in args.scenario or SCENARIOS:
        report(scenario, args.runs, run_policies(scenario, args.runs), console)


if __name__ == "__main__":
    main()
