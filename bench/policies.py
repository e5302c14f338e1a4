"""Fire-allocation policies compared on the demo's LEAP defence: max_pk, cost_aware and wta.

Same seeds for every policy (common random numbers for the raid and detections). Prints mean
killed, leaked, value lost, defender spend, time per night and its ratio to ``cost_aware``'s
(the target of issue 18: ``wta`` within 3×).

Usage: python bench/policies.py [--runs 10] [--scenario builtin:rzeszow_leap]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--scenario", default="builtin:rzeszow_leap")
    args = parser.parse_args()
    params = compile_scenario(load_scenario(args.scenario))
    table = Table(title=f"{args.scenario}: {args.runs} nights per policy, same seeds")
    columns = ("policy", "killed", "leaked", "value lost M€", "defender spend M€", "s / night",
               "× cost_aware")  # fmt: skip
    for col in columns:
        table.add_column(col, justify="right")
    results = {}
    for name in ("max_pk", "cost_aware", "wta"):
        doctrine = replace(params.doctrine, policy=name)
        night = replace(params, doctrine=doctrine)
        policy = make_policy(name, doctrine)
        simulate_night(night, run_rng(0, 0), policy)  # warm up (compile or load the cache)
        rows, start = [], time.perf_counter()
        for run in range(args.runs):
            rows.append(night_metrics(simulate_night(night, run_rng(1, run), policy)))
        results[name] = (rows, (time.perf_counter() - start) / args.runs)

    for name, (rows, per_night) in results.items():

        def cell(key: str, scale: float = 1.0, rows=rows) -> str:
            s = mean_ci(np.array([r[key] for r in rows]) / scale)
            return f"{s['mean']:.1f} ({s['ci_low']:.1f}–{s['ci_high']:.1f})"

        ratio = per_night / results["cost_aware"][1]
        table.add_row(name, cell("killed"), cell("leaked"), cell("value_lost_eur", 1e6),
                      cell("defender_spend_eur", 1e6), f"{per_night:.3f}",
                      f"{ratio:.2f}")  # fmt: skip
    Console(width=130).print(table)


if __name__ == "__main__":
    main()
