"""Validation against the war (issue 14): calibrate builtin:ukraine_2025 on 2025-01..2025-12,
hindcast the calibrated scenario in sample (2025-H1, 2025-H2) and out of sample (2026-01..06),
and print the half-year neutralised share per family (reported vs simulated, error in
percentage points) with how many months' 90 % intervals hold the reported value (the runs'
interval, and the predictive one widened by the calibration's extra dispersion), plus the wall
and CPU time of each step. Targets: calibration <= 30 min and a six-month hindcast <= 10 min on
2 cores; out of sample drone <= 3 pp, cruise <= 8, ballistic <= 10, >= 5 of 6 drone months inside.

The reported figures are official Ukrainian claims, not independent measurements.

Usage: python bench/validation.py [--out results/bench_validation] [--design 32] [--runs 30]
       [--jobs 2] [--seed 2025] [--reports ../shared/data/ukraine/missile_attacks_daily.csv]
       [--skip-calibration]   (reuse OUT/calibration)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from leapsim.validation.calibration import parameter_rows

REPO = Path(__file__).resolve().parents[1]
WINDOWS = (  # label, since, until, in sample?
    ("2025-H1", "2025-01", "2025-06", True),
    ("2025-H2", "2025-07", "2025-12", True),
    ("2026-H1", "2026-01", "2026-06", False),
)
TARGET_PP = {"drone": 3.0, "cruise_missile": 8.0, "ballistic_missile": 10.0}


def timed(args: list[str]) -> tuple[float, float]:
    """Run ``leapsim ARGS``; return (wall s, CPU s of the children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "leapsim", *args], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"leapsim {' '.join(args)} failed:\n{proc.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "results" / "bench_validation")
    parser.add_argument("--reports", type=Path,
                        default=REPO.parent / "shared" / "data" / "ukraine" /
                        "missile_attacks_daily.csv")  # fmt: skip
    parser.add_argument("--design", type=int, default=32)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--skip-calibration", action="store_true")
    args = parser.parse_args()
    console = Console()
    console.print(f"{platform.machine()} {platform.processor() or ''}, {os.cpu_count()} CPUs; "
                  f"load {os.getloadavg()}")  # fmt: skip
    cal = args.out / "calibration"
    common = ["--reports", str(args.reports), "--jobs", str(args.jobs), "--seed", str(args.seed)]
    times = Table(title="Wall and CPU time (CPU = all processes)")
    for column in ("step", "wall s", "CPU s"):
        times.add_column(column)
    if not args.skip_calibration:
        window = ["--since", "2025-01", "--until", "2025-12"]
        design = ["--design", str(args.design), "--out", str(cal)]
        wall, cpu = timed(["calibrate", "builtin:ukraine_2025", *common, *window, *design])
        times.add_row(f"calibrate 2025 ({args.design} design points)", f"{wall:.0f}", f"{cpu:.0f}")
    report = json.loads((cal / "calibration.json").read_text())
    params = Table(title="Calibrated parameters (posterior median, 90 % credible interval)")
    for column in ("parameter", "median", "90 % interval", "prior"):
        params.add_column(column)
    for row in parameter_rows(report):
        params.add_row(*row)

    shares = Table(title="Half-year neutralised share: reported (official claims) vs simulated")
    for column in ("window", "family", "reported", "simulated (90 %)", "error pp", "target pp",
                   "months inside 90 %", "months inside predictive 90 %"):  # fmt: skip
        shares.add_column(column)
    for label, since, until, in_sample in WINDOWS:
        out = args.out / f"hindcast_{label}"
        wall, cpu = timed(["hindcast", str(cal / "calibrated.yaml"), *common, "--since", since,
                           "--until", until, "--runs", str(args.runs), "--out", str(out),
                           "--report"])  # fmt: skip
        times.add_row(f"hindcast {label} ({args.runs} runs)", f"{wall:.0f}", f"{cpu:.0f}")
        summary = json.loads((out / "summary.json").read_text())
        for family, data in summary["families"].items():
            w, e = data["window"], data["errors"]
            target = "in sample" if in_sample else f"<= {TARGET_PP[family]:g}"
            predictive = e.get("months_inside_predictive_90", "-")
            shares.add_row(label, family, f"{w['reported']:.3f}",
                           f"{w['simulated_mean']:.3f} ({w['simulated_p05']:.3f}-"
                           f"{w['simulated_p95']:.3f})", f"{w['error_pp']:+.1f}", target,
                           f"{e['months_inside_90']} of {e['months']}",
                           f"{predictive} of {e['months']}")  # fmt: skip
    for table in (params, shares, times):
        console.print(table)
    console.print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
