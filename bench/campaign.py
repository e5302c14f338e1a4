"""Benchmark of campaigns: the demo LEAP defence (builtin:rzeszow_leap) for 90 nights x 100 runs
under the default threat model (fitted to Ukrainian Air Force reports), on the local process
pool. Target: <= 5 min on 2 cores.

Prints wall time, nights simulated per second, CPU time (so that a run on a busy machine can be
judged: CPU seconds / jobs is the wall time on idle cores), the sustainability horizon (night
each layer runs dry, night leakage passes the threshold; mean and 95 % CI over runs) and the
cumulative cost-exchange ratio.

Usage: python bench/campaign.py [--nights 90] [--runs 100] [--jobs 2] [--pooling national]
       [--config campaign.yaml] [--threat-scale 1.0]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time

from rich.console import Console
from rich.table import Table

from leapsim.campaign import (
    CampaignConfig,
    CampaignJob,
    compile_plan,
    load_campaign_config,
)
from leapsim.engine import compile_scenario, simulate_night
from leapsim.experiments import CampaignTask, LocalExecutor, Study, mean_ci, nightly, run_study
from leapsim.experiments.campaign_store import campaign_summary
from leapsim.scenario import builtin_scenario
from leapsim.seeds import run_rng
from leapsim.threats import load_default_threat_model


def ci(stats: dict, fmt: str = "{:.1f}") -> str:
    if stats["mean"] is None:
        return "—"
    low, high = fmt.format(stats["ci_low"]), fmt.format(stats["ci_high"])
    return f"{fmt.format(stats['mean'])} ({low}–{high})"


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children (the pool's workers)."""
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nights", type=int, default=90)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threat-scale", type=float, default=1.0)
    parser.add_argument("--pooling", choices=("national", "shared"), default=None)
    parser.add_argument("--config", default=None)
    args = parser.parse_args()
    console = Console()
    console.print(
        f"machine: {platform.machine()}, python {platform.python_version()}, "
        f"date {time.strftime('%Y-%m-%d')}, jobs {args.jobs}, load average {os.getloadavg()[0]:.1f}"
    )

    resolved = builtin_scenario("rzeszow_leap")
    params = compile_scenario(resolved)
    config = CampaignConfig() if args.config is None else load_campaign_config(args.config, params)
    if args.pooling:
        config = config.model_copy(update={"pooling": args.pooling})
    model = load_default_threat_model()
    plan = compile_plan(params, config, args.nights)
    job = CampaignJob(params, plan, config, model, args.threat_scale)
    simulate_night(params, run_rng(0, 0))  # load the numba cache in this process

    cpu_before = cpu_seconds()
    started = time.perf_counter()
    result = run_study(Study(CampaignTask(job), args.runs, args.seed), LocalExecutor(args.jobs))
    wall = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_before
    console.print(f"simulated in {wall:.1f} s wall, {cpu:.1f} s CPU")
    summary = campaign_summary(result, resolved.file, args.config)
    nights = args.nights * args.runs
    metrics = summary["metrics"]

    table = Table(title=f"Campaign: rzeszow_leap, {args.nights} nights x {args.runs} runs")
    table.add_column("quantity")
    table.add_column("value (mean, 95 % CI over runs)", justify="right")
    table.add_row("wall time (s)", f"{wall:.1f}")
    table.add_row("nights simulated / s", f"{nights / wall:.1f}")
    table.add_row("CPU s (this process + workers)", f"{cpu:.0f}")
    table.add_row("CPU ms per night", f"{1000 * cpu / nights:.0f}")
    table.add_row(f"wall on {args.jobs} idle cores (CPU / jobs)", f"{cpu / args.jobs:.0f}")
    per_night = mean_ci(nightly(result, "raid_size").mean(axis=1))
    table.add_row("threats drawn per night", ci(per_night))
    table.add_row("cumulative cost-exchange ratio", ci(metrics["cost_exchange_ratio"], "{:.3f}"))
    table.add_row("leak rate over the campaign", ci(metrics["leak_rate"], "{:.3f}"))
    table.add_row("fire units lost", ci(metrics["units_lost"]))
    horizon = summary["horizon"]
    for munition, stats in horizon["layer_exhausted"].items():
        table.add_row(
            f"horizon: {munition} exhausted (night)",
            f"{ci(stats)}  [{100 * stats['reached']:.0f} % of runs]",
        )
    events = {
        "leakage_threshold": f"leak rate > {horizon['leak_rate_threshold']:g}",
        "sustainability": "first of these",
    }
    for key, label in events.items():
        stats = horizon[key]
        table.add_row(
            f"horizon: {label} (night)", f"{ci(stats)}  [{100 * stats['reached']:.0f} % of runs]"
        )
    console.print(table)
    target = "met" if wall <= 300 else "NOT met"
    console.print(f"target <= 300 s on 2 cores: {target} ({wall:.0f} s)")


if __name__ == "__main__":
    main()
