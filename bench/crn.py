"""Common random numbers: how tightly paired runs compare two nearly equal defences.

Runs ``--runs`` nights (seed ``--seed``, replication r on ``run_rng(seed, r)``) of the demo's LEAP
and legacy defences of Rzeszów and of three variants of the LEAP defence, each a small change:

* ``no_gepard_pp``: the Gepard at the power plant removed (one fire unit less);
* ``sting_pk-0.05``: the interceptor drones' Pk against drones and decoys 0.60 → 0.55;
* ``max_pk``: the same defence allocated by ``max_pk`` instead of ``cost_aware``.

Prints (1) each defence's mean killed, leaked, value lost and defender spend with 95 % CIs and
(2) for each pair (LEAP, variant) the mean paired difference of value lost and of defender spend,
its 95 % CI half-width, and the half-width the same runs would give unpaired (two independent
samples), whose ratio is what pairing buys. ``--save FILE`` keeps the per-run results (JSON);
``--compare FILE`` adds the half-widths of a saved run (e.g. the engine before common random
numbers for engagement outcomes) and tests whether each defence's means moved (Welch 95 % CI of
the difference of means between the two runs: "within noise" when it holds 0).

Usage: python bench/crn.py [--runs 300] [--seed 1] [--save F.json] [--compare BEFORE.json]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from scipy import stats

from leapsim.engine import NightParams, compile_scenario, night_metrics, simulate_night
from leapsim.experiments.stats import mean_ci
from leapsim.scenario import builtin_scenario
from leapsim.seeds import run_rng

METRICS = ("killed", "leaked", "value_lost_eur", "defender_spend_eur")
PAIRS = ("no_gepard_pp", "sting_pk-0.05", "max_pk")


def without_unit(params: NightParams, name: str) -> NightParams:
    """The defence without the fire unit called ``name``."""
    keep = np.array([n != name for n in params.unit_names])
    return replace(
        params,
        unit_names=tuple(np.array(params.unit_names)[keep]),
        unit_nation=tuple(np.array(params.unit_nation)[keep]),
        unit_type=params.unit_type[keep],
        unit_xy=params.unit_xy[keep],
        unit_magazine=params.unit_magazine[keep],
        unit_reserve=params.unit_reserve[keep],
    )


def with_pk_change(params: NightParams, effector: str, families: tuple[int, ...], dpk: float):
    """The defence with ``effector``'s Pk against ``families`` changed by ``dpk``."""
    et = params.effector_types
    pk = et.pk.copy()
    pk[et.names.index(effector), list(families)] += dpk
    return replace(params, effector_types=replace(et, pk=pk))


def defences() -> dict[str, NightParams]:
    leap = compile_scenario(builtin_scenario("rzeszow_leap"))
    return {
        "leap": leap,
        "legacy": compile_scenario(builtin_scenario("rzeszow_legacy")),
        "no_gepard_pp": without_unit(leap, "Gepard power plant"),
        "sting_pk-0.05": with_pk_change(leap, "interceptor_drone_sting", (0, 1), -0.05),
        "max_pk": replace(leap, doctrine=replace(leap.doctrine, policy="max_pk")),
    }


def run_all(runs: int, seed: int) -> dict[str, dict[str, list[float]]]:
    out = {}
    for name, params in defences().items():
        simulate_night(params, run_rng(seed + 1, 0))  # warm up (compile or load the cache)
        start = time.perf_counter()
        rows = [night_metrics(simulate_night(params, run_rng(seed, r))) for r in range(runs)]
        print(f"{name}: {(time.perf_counter() - start) / runs:.3f} s / night")
        out[name] = {m: [float(row[m]) for row in rows] for m in METRICS}
    return out


def half_width(values: np.ndarray) -> float:
    s = mean_ci(values)
    return 0.5 * (s["ci_high"] - s["ci_low"])


def unpaired_half_width(a: np.ndarray, b: np.ndarray) -> float:
    """Welch 95 % half-width of mean(a) − mean(b) for independent samples."""
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    if va + vb == 0.0:  # both constant (e.g. a defence that always spends its whole magazine)
        return 0.0
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    return float(stats.t.ppf(0.975, dof) * np.sqrt(va + vb))


def fmt_ci(values: np.ndarray, scale: float) -> str:
    s = mean_ci(values / scale)
    return f"{s['mean']:.1f} ({s['ci_low']:.1f}–{s['ci_high']:.1f})"


def print_means(results: dict, before: dict | None, console: Console) -> None:
    table = Table(
        title="Per defence: mean (95 % CI)" + (", and Δ after − before" if before else "")
    )
    table.add_column("defence")
    for m in METRICS:
        table.add_column(m.replace("_eur", " M€"), justify="right")
        if before:
            table.add_column(f"Δ {m.split('_')[0]}", justify="right")
    for name, cols in results.items():
        cells = []
        for m in METRICS:
            scale = 1e6 if m.endswith("_eur") else 1.0
            now = np.array(cols[m])
            cells.append(fmt_ci(now, scale))
            if before:
                old = np.array(before[name][m])
                diff = (now.mean() - old.mean()) / scale
                hw = unpaired_half_width(now, old) / scale
                verdict = "" if abs(diff) <= hw else " *"
                cells.append(f"{diff:+.1f} ± {hw:.1f}{verdict}")
        table.add_row(name, *cells)
    console.print(table)
    if before:
        console.print("Δ: Welch 95 % CI of the change of mean; * marks one that excludes 0")


def print_pairs(results: dict, before: dict | None, console: Console) -> None:
    table = Table(title="Paired differences variant − leap: mean ± 95 % half-width (M€)")
    table.add_column("variant")
    for m in ("value_lost_eur", "defender_spend_eur"):
        short = m.split("_")[0] + (" lost" if m.startswith("value") else " spend")
        table.add_column(f"{short} Δ", justify="right")
        table.add_column("paired ±", justify="right")
        table.add_column("unpaired ±", justify="right")
        if before:
            table.add_column("paired ± before", justify="right")
    for name in PAIRS:
        cells = []
        for m in ("value_lost_eur", "defender_spend_eur"):
            a, b = np.array(results["leap"][m]) / 1e6, np.array(results[name][m]) / 1e6
            d = b - a
            cells += [
                f"{d.mean():+.2f}",
                f"{half_width(d):.2f}",
                f"{unpaired_half_width(b, a):.2f}",
            ]
            if before:
                a0 = np.array(before["leap"][m]) / 1e6
                b0 = np.array(before[name][m]) / 1e6
                cells.append(f"{half_width(b0 - a0):.2f}")
        table.add_row(name, *cells)
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--save", type=Path)
    parser.add_argument("--compare", type=Path)
    args = parser.parse_args()
    results = run_all(args.runs, args.seed)
    if args.save:
        args.save.write_text(json.dumps({"runs": args.runs, "seed": args.seed, **results}))
    before = None
    if args.compare:
        saved = json.loads(args.compare.read_text())
        if (saved["runs"], saved["seed"]) != (args.runs, args.seed):
            raise SystemExit(f"{args.compare} holds runs={saved['runs']} seed={saved['seed']}")
        before = saved
    console = Console(width=160)
    print_means(results, before, console)
    print_pairs(results, before, console)


if __name__ == "__main__":
    main()
