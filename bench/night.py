"""Benchmark of the one-night engine.

1. Time per replication on one core (in-process, after the numba cache is warm) for the
   saturation night (examples/saturation_night.yaml: 800 threats, 60 fire units, 15 sensors,
   8 h) and the two demo defences. Target: <= 1 s per replication of the saturation night.
2. 1,000 demo replications (legacy and LEAP) on the local process pool, wall time and peak
   resident memory of the parent and its workers. Target: <= 60 s and <= 1 GiB on 2 cores.

Usage: python bench/night.py [--reps 30] [--mc-runs 1000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from leapsim.engine import compile_scenario, night_metrics, simulate_night
from leapsim.experiments import LocalExecutor, NightTask, Study, run_study
from leapsim.scenario import builtin_scenario, load_scenario
from leapsim.seeds import run_rng

ROOT = Path(__file__).resolve().parents[1]
SATURATION = ROOT / "examples" / "saturation_night.yaml"


def per_replication(params, reps: int) -> tuple[float, float, dict]:
    simulate_night(params, run_rng(0, 0))  # compile or load the numba cache
    times = []
    for run in range(reps):
        start = time.perf_counter()
        outcome = simulate_night(params, run_rng(1, run))
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times), night_metrics(outcome)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--mc-runs", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    console = Console(width=120)
    console.print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
        f"python {platform.python_version()}, date {time.strftime('%Y-%m-%d')}"
    )

    studies = {
        "saturation night": compile_scenario(load_scenario(SATURATION)),
        "demo legacy": compile_scenario(builtin_scenario("rzeszow_legacy")),
        "demo LEAP": compile_scenario(builtin_scenario("rzeszow_leap")),
    }
    table = Table(title="One replication on one core")
    for col in (
        "scenario",
        "threats",
        "fire units",
        "sensors",
        "median s",
        "max s",
        "killed",
        "leaked",
        "shots",
    ):
        table.add_column(col, justify="right")
    for name, params in studies.items():
        median, worst, m = per_replication(params, args.reps)
        table.add_row(
            name,
            str(params.n_threats),
            str(len(params.unit_names)),
            str(len(params.sensors)),
            f"{median:.3f}",
            f"{worst:.3f}",
            str(m["killed"]),
            str(m["leaked"]),
            str(m["shots"]),
        )
    console.print(table)

    table = Table(title=f"{args.mc_runs} Monte Carlo replications, {args.jobs} processes")
    for col in ("scenario", "wall s", "runs/s"):
        table.add_column(col, justify="right")
    total = 0.0
    for name in ("demo legacy", "demo LEAP"):
        start = time.perf_counter()
        run_study(Study(NightTask(studies[name]), args.mc_runs, 1), LocalExecutor(args.jobs))
        wall = time.perf_counter() - start
        total += wall
        table.add_row(name, f"{wall:.1f}", f"{args.mc_runs / wall:.1f}")
    table.add_row("both", f"{total:.1f}", f"{2 * args.mc_runs / total:.1f}")
    console.print(table)
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    console.print(
        f"peak RSS: parent {peak_self:.0f} MiB, largest worker {peak_child:.0f} MiB, "
        f"sum bound {peak_self + args.jobs * peak_child:.0f} MiB"
    )


if __name__ == "__main__":
    main()
