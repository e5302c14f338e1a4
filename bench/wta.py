"""Benchmark of the WTA solver on the 18 instances of Andersen, Pavlikov, Toffolo (2022).

For every instance in ../shared/data/wta: plain greedy (for scale), then ``solve(method="auto")``
with ``--time-limit`` seconds in all (search, then a lower bound: HiGHS MILP on the smallest
instances, the Lagrangian relaxation bound elsewhere). Reports objective, lower bound, time and
the gap to the published best-known objective (CPLEX, up to 2 h per instance; table in issue 3).
Target: within 0.1 % of best-known on all 18 with a 10 s limit on 2 cores.

Usage: python bench/wta.py [--time-limit 10] [--workers 2] [--seed 0] [--only 50x100x1 ...]
                           [--markdown FILE]
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from leapsim.c2.wta import read_instance, solve
from leapsim.c2.wta.io import BEST_KNOWN

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "wta"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", nargs="*", default=None, help="instance names, e.g. 50x100x1")
    ap.add_argument("--markdown", type=Path, default=None, help="also write a markdown table")
    args = ap.parse_args()
    console = Console()
    if not DATA.is_dir():
        console.print(f"skipped: WTA instances not found at {DATA}")
        return
    names = args.only or list(BEST_KNOWN)
    warm = read_instance(DATA / "wta_50x100x1.txt")  # compile / load the numba cache first
    solve(warm, method="search", iterations=10, workers=args.workers)
    table = Table(title=f"WTA, auto, {args.time_limit:g} s, {args.workers} workers")
    for col in ("instance", "best-known", "greedy gap", "objective", "gap", "lower bound",
                "bound gap", "time s"):  # fmt: skip
        table.add_column(col, justify="right")
    rows = []
    for name in names:
        problem = read_instance(DATA / f"wta_{name}.txt")
        greedy = solve(problem, method="greedy")
        t0 = time.perf_counter()
        sol = solve(
            problem,
            method="auto",
            time_limit=args.time_limit,
            seed=args.seed,
            workers=args.workers,
        )
        wall = time.perf_counter() - t0
        bk = BEST_KNOWN[name]
        row = (
            name,
            f"{bk:.6f}",
            f"{100 * (greedy.objective / bk - 1):.2f} %",
            f"{sol.objective:.6f}",
            f"{100 * (sol.objective / bk - 1):+.4f} %",
            "-" if sol.lower_bound is None else f"{sol.lower_bound:.4f}",
            "-" if sol.gap is None else f"{100 * sol.gap:.2f} %",
            f"{wall:.1f}",
        )
        rows.append(row)
        table.add_row(*row)
        console.print(" | ".join(row), highlight=False)
    console.print(table)
    if args.markdown:
        head = ("instance", "best-known", "greedy", "objective", "vs best-known", "lower bound",
                "bound gap", "time (s)")  # fmt: skip
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        args.markdown.write_text("\n".join(lines) + "\n", encoding="utf-8")
        console.print(f"markdown table written to {args.markdown} ({platform.machine()})")


if __name__ == "__main__":
    main()
