"""Sensor questions in tracked mode: what does the demo LEAP defence gain from its acoustic fence,
and from short-range radars that scan twice as often?

Three variants of ``rzeszow_leap`` in tracked sensing, each a Study of ``--runs`` nights with the
same seed (common random numbers: replication r of every variant draws the same raid):

* **as given** — the demo's sensors;
* **no acoustic fence** — both ``acoustic_node`` lines removed;
* **SRR scan ×2** — the ``short_range_radar`` type's scan period halved (1 s → 0.5 s). The
  engine reports at most one scan per sensor and time step (2 s in the demo), so at the demo's
  step this variant equals "as given" by construction. ``--time-step 0.5`` runs every variant
  with decisions (and scans) every 0.5 s, so both scan periods are represented; the finer step
  is the same for all variants, so the comparison stays paired.

Prints, per metric, the mean of each variant with its 95 % CI, and the mean paired difference
from "as given" with its 95 % CI (Student t over the per-run differences); a difference whose CI
excludes 0 is marked as separated, else "within noise".

Usage: python bench/sensors.py [--runs 100] [--jobs 2] [--seed 7] [--time-step 0.5]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import replace

import numpy as np
from rich.console import Console
from rich.table import Table

from leapsim.engine import compile_scenario
from leapsim.experiments.executors import LocalExecutor
from leapsim.experiments.night_task import NightTask
from leapsim.experiments.stats import mean_ci
from leapsim.experiments.study import Study, run_studies
from leapsim.scenario import builtin_scenario
from leapsim.scenario.resolve import ResolvedScenario

METRICS = (
    "killed",
    "leaked",
    "value_lost_eur",
    "defender_spend_eur",
    "shots",
    "false_tracks",
    "shots_at_false_tracks",
)


def variants(time_step_s: float | None = None) -> dict[str, ResolvedScenario]:
    """The three sensor fits of the demo LEAP defence (at ``time_step_s`` if given)."""
    base = builtin_scenario("rzeszow_leap")
    if time_step_s is not None:
        base = replace(base, scenario=base.scenario.model_copy(update={"time_step_s": time_step_s}))
    sc, cat = base.scenario, base.catalogue
    no_fence = sc.model_copy(
        update={"sensors": [s for s in sc.sensors if s.type != "acoustic_node"]}
    )
    srr = cat.sensor_types["short_range_radar"]
    faster = cat.model_copy(
        update={
            "sensor_types": {
                **cat.sensor_types,
                "short_range_radar": srr.model_copy(
                    update={"scan_period_s": srr.scan_period_s / 2}
                ),
            }
        }
    )
    return {
        "as given": base,
        "no acoustic fence": replace(base, scenario=no_fence),
        "SRR scan x2": replace(base, catalogue=faster),
    }


def fmt(value: float) -> str:
    return f"{value:,.1f}" if abs(value) < 1e5 else f"{value / 1e6:,.2f} M"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--time-step", type=float, default=None, help="engine time step, s (default: scenario's)"
    )
    args = parser.parse_args()
    console = Console(width=160)
    console.print(
        f"machine: {platform.machine()}, nproc {os.cpu_count()}, python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}, "
        f"date {time.strftime('%Y-%m-%d %H:%M')}"
    )
    fits = variants(args.time_step)
    params = {
        name: compile_scenario(resolved).with_sensing_mode("tracked")
        for name, resolved in fits.items()
    }
    start = time.perf_counter()
    studies = [Study(NightTask(p), args.runs, args.seed) for p in params.values()]
    results = run_studies(studies, LocalExecutor(args.jobs))
    wall = time.perf_counter() - start
    runs = {name: r.tables["runs"] for name, r in zip(params, results, strict=True)}
    base = runs["as given"]
    table = Table(
        title=f"Demo LEAP in tracked mode: {args.runs} nights per variant, seed {args.seed} "
        f"(common random numbers), mean [95 % CI]; Δ = paired difference from 'as given'"
    )
    table.add_column("metric")
    for name in runs:
        table.add_column(name, justify="right")
        if name != "as given":
            table.add_column(f"Δ {name}", justify="right")
    for metric in METRICS:
        cells = [metric]
        for name, columns in runs.items():
            m = mean_ci(columns[metric])
            cells.append(f"{fmt(m['mean'])} [{fmt(m['ci_low'])}, {fmt(m['ci_high'])}]")
            if name != "as given":
                d = mean_ci(np.asarray(columns[metric], float) - base[metric])
                verdict = "" if d["ci_low"] <= 0 <= d["ci_high"] else " *"
                cells.append(f"{fmt(d['mean'])} [{fmt(d['ci_low'])}, {fmt(d['ci_high'])}]{verdict}")
        table.add_row(*cells)
    console.print(table)
    console.print(
        f"* the 95 % CI of the paired difference excludes 0; otherwise within noise. "
        f"{3 * args.runs} nights in {wall:.0f} s wall on {args.jobs} processes; time step "
        f"{fits['as given'].scenario.time_step_s:g} s."
    )


if __name__ == "__main__":
    main()
