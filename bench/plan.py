"""Benchmark of the plan search (issue 12).

1. ``small``: the built-in study ``builtin:small_plan`` (480 decision vectors). Its exhaustive
   best — every feasible plan measured with ``--exhaustive-runs`` replications, the
   ``--top`` best re-measured with ``--final-runs`` — is recorded once in
   ``bench/plan_exhaustive.json`` (``--exhaustive`` measures it again). Then the search runs
   with at most 10 % of the 480 evaluations for each ``--seeds`` value and the table says: does
   its best plan reach the exhaustive best (its mean, re-measured on the exhaustive seed and
   runs, inside the exhaustive best's 95 % CI, or the paired difference within noise); does its
   front dominate the two naive rules (all budget to missiles; budget split equally across
   types); what share of the exhaustive front's hypervolume it covers; evaluations and
   night-replications used.
2. ``rzeszow``: ``leapsim plan builtin:rzeszow_plan`` end to end on ``--jobs`` processes: wall
   time (target: a front within 15 minutes on 2 cores), throughput, the front and the comparison
   with the hand-made ``builtin:rzeszow_leap`` at its cost.
3. ``scaling``: night-replications per second on ``--jobs`` processes for the Rzeszów base plus
   the hand-made LEAP defence, with the raid scaled and with more fire units.

Usage: python bench/plan.py [small|rzeszow|scaling ...] [--jobs 2] [--seeds 1 2 3]
       [--exhaustive] [--out results/bench_plan]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from leapsim.engine import compile_scenario
from leapsim.experiments import LocalExecutor, NightTask, Study, mean_ci, run_study
from leapsim.planning.front import paired_difference, pareto_mask, separated
from leapsim.planning.ladder import Ladder
from leapsim.planning.prepare import prepare_plan
from leapsim.planning.run import run_plan_study
from leapsim.planning.runner import Replications
from leapsim.planning.space import decision_space
from leapsim.planning.store import write_plan_results
from leapsim.planning.study import load_plan_study
from leapsim.scenario import builtin_scenario

HERE = Path(__file__).resolve().parent
EXHAUSTIVE = HERE / "plan_exhaustive.json"
SMALL = "builtin:small_plan"
console = Console()


def machine() -> str:
    load = os.getloadavg()
    return (
        f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )


def cpu_seconds() -> float:
    own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def hypervolume(points: np.ndarray, reference: np.ndarray) -> float:
    """Area dominated by 2-D points (both minimised) up to ``reference``."""
    pts = points[np.all(points < reference, axis=1)]
    pts = pts[pareto_mask(pts)] if pts.size else pts
    area, ceiling = 0.0, reference[1]
    for x, y in sorted(map(tuple, pts)):
        if y < ceiling:
            area += (reference[0] - x) * (ceiling - y)
            ceiling = y
    return area


def exhaustive(args, out: Path) -> dict:
    """Every feasible plan of the small study, then the best ``top`` re-measured."""
    study = load_plan_study(SMALL)
    space = decision_space(study)
    folder = out / "exhaustive"
    runner = Replications(folder / ".partial", args.exhaustive_seed, LocalExecutor(args.jobs))
    ladder = Ladder(study, space, args.exhaustive_seed, runner, None)
    ids = list(dict.fromkeys(p.id for p in map(ladder.prepare, space.all_plans()) if p.feasible))
    started, cpu = time.perf_counter(), cpu_seconds()
    ladder.fill(ids, lambda kind: args.exhaustive_runs, ["night"])
    screen = {pid: ladder.samples(pid, "value_lost", True).mean() for pid in ids}
    top = sorted(ids, key=screen.__getitem__)[: args.top]
    ladder.fill(top, lambda kind: args.final_runs, ["night"])
    final = {pid: mean_ci(ladder.samples(pid, "value_lost", True)) for pid in top}
    best = min(top, key=lambda pid: final[pid]["mean"])
    costs = {pid: ladder.get(pid).cost.total_eur for pid in ids}
    points = np.array([[costs[pid], screen[pid]] for pid in ids])
    front = [ids[i] for i in np.flatnonzero(pareto_mask(points))]
    record = {
        "date": dt.date.today().isoformat(),
        "machine": machine(),
        "study": SMALL,
        "space_size": space.size,
        "feasible_plans": len(ids),
        "seed": args.exhaustive_seed,
        "screen_runs": args.exhaustive_runs,
        "final_runs": args.final_runs,
        "night_replications": runner.simulated_nights,
        "wall_s": time.perf_counter() - started,
        "cpu_s": cpu_seconds() - cpu,
        "best": {
            "id": best,
            "plan": list(ladder.get(best).plan),
            "cost_eur": costs[best],
            "value_lost": final[best],
        },
        "top": [
            {
                "id": pid,
                "plan": list(ladder.get(pid).plan),
                "cost_eur": costs[pid],
                "value_lost": final[pid],
            }
            for pid in top
        ],
        "front": [
            {
                "id": pid,
                "plan": list(ladder.get(pid).plan),
                "cost_eur": costs[pid],
                "value_lost_mean": screen[pid],
            }
            for pid in front
        ],
    }
    EXHAUSTIVE.write_text(json.dumps(record, indent=2) + "\n")
    return record


def small(args, out: Path) -> None:
    record = (
        json.loads(EXHAUSTIVE.read_text())
        if EXHAUSTIVE.is_file() and not args.exhaustive
        else exhaustive(args, out)
    )
    best = record["best"]
    console.print(
        f"exhaustive best of {record['feasible_plans']} feasible plans ({record['date']}, "
        f"{record['screen_runs']} runs each, top {len(record['top'])} at {record['final_runs']}): "
        f"plan {best['plan']} cost {best['cost_eur'] / 1e6:.2f} M€, value lost "
        f"{best['value_lost']['mean'] / 1e6:.2f} M€ ({best['value_lost']['ci_low'] / 1e6:.2f}–"
        f"{best['value_lost']['ci_high'] / 1e6:.2f}); {record['night_replications']:,} "
        f"night-replications"
    )
    study = load_plan_study(SMALL)
    space = decision_space(study)
    evaluations = args.evaluations or space.size // 10
    table = Table(title=f"Search with {evaluations} evaluations (≤ 10 % of {space.size})")
    columns = (
        "seed",
        "best plan",
        "cost M€",
        "value lost M€ (exh. seed)",
        "vs exh. best",
        "reaches",
        "all_missiles",
        "equal_split",
        "HV share",
        "night-reps",
        "wall s",
    )
    for column in columns:
        table.add_column(column, justify="right")
    exh_front = np.array([[f["cost_eur"], f["value_lost_mean"]] for f in record["front"]])
    budget = study.spec.nations.total_budget_eur
    reference = np.array([budget, exh_front[:, 1].max() * 1.05])
    exh_hv = hypervolume(exh_front, reference)
    check = Replications(out / "check" / ".partial", record["seed"], LocalExecutor(args.jobs))
    ladder = Ladder(study, space, record["seed"], check, None)
    for seed in args.seeds:
        folder = out / f"small-seed{seed}"  # a finished folder resumes: nothing is simulated
        if args.fresh:
            shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        outcome = run_plan_study(study, folder, seed, evaluations, LocalExecutor(args.jobs))
        summary = write_plan_results(outcome, folder)
        wall = time.perf_counter() - started
        found = min(summary["front"], key=lambda p: p["objectives"]["value_lost"]["mean"])
        plan = prepare_plan(study, space, outcome.ladder.get(found["id"]).plan)
        ladder.prepared[plan.id] = plan
        ladder.prepared[best["id"]] = prepare_plan(study, space, tuple(best["plan"]))
        ladder.fill([plan.id, best["id"]], lambda kind: record["final_runs"], ["night"])
        mine = ladder.samples(plan.id, "value_lost", True)
        theirs = ladder.samples(best["id"], "value_lost", True)
        diff = paired_difference(mine, theirs)
        inside = best["value_lost"]["ci_low"] <= mine.mean() <= best["value_lost"]["ci_high"]
        reaches = plan.id == best["id"] or inside or not separated(diff)
        rules = {}
        for b in summary["baselines"]:
            comp = b["best_plan_at_its_cost"]
            verdict = "dominated" if b["dominated_by"] else "not dominated"
            if comp.get("better_separated"):
                verdict += ", separated"
            rules[b["rule"]] = verdict
        points = np.array([[p["cost_eur"], p["objectives"]["value_lost"]["mean"]]
                           for p in summary["front"]])  # fmt: skip
        share = hypervolume(points, reference) / exh_hv
        table.add_row(
            str(seed),
            str(list(plan.plan)),
            f"{plan.cost.total_eur / 1e6:.2f}",
            f"{mine.mean() / 1e6:.2f}",
            "{:+.2f} ({:+.2f}, {:+.2f})".format(
                *(diff[k] / 1e6 for k in ("mean", "ci_low", "ci_high"))
            ),
            "yes" if reaches else "no",
            rules.get("all_missiles", "—"),
            rules.get("equal_split", "—"),
            f"{share:.3f}",
            f"{summary['throughput']['night_replications']:,}",
            f"{wall:.0f}",
        )
    console.print(table)
    console.print(f"{machine()}; exhaustive front hypervolume {exh_hv:.4g} (reference "
                  f"{reference[0] / 1e6:.0f} M€, {reference[1] / 1e6:.1f} M€)")  # fmt: skip


def rzeszow(args, out: Path) -> None:
    folder = out / "rzeszow"
    if args.fresh:
        shutil.rmtree(folder, ignore_errors=True)
    started, cpu = time.perf_counter(), cpu_seconds()
    command = [str(Path(os.sys.executable).parent / "leapsim"), "plan", "builtin:rzeszow_plan",
               "--out", str(folder), "--jobs", str(args.jobs), "--json"]  # fmt: skip
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        console.print(proc.stderr)
        raise SystemExit(proc.returncode)
    summary = json.loads((folder / "summary.json").read_text())
    table = Table(title=f"builtin:rzeszow_plan front ({wall:.0f} s wall, {args.jobs} processes)")
    for column in ("plan", "cost M€", "value lost M€ (95 % CI)", "runs", "lasts 14 nights",
                   "within noise of"):  # fmt: skip
        table.add_column(column, justify="right")
    for p in summary["front"]:
        v = p["objectives"]["value_lost"]
        s = p.get("sustained") or {}
        table.add_row(p["id"] + (" *" if p["id"] == summary["chosen"] else ""),
                      f"{p['cost_eur'] / 1e6:.1f}",
                      f"{v['mean'] / 1e6:.1f} ({v['ci_low'] / 1e6:.1f}–{v['ci_high'] / 1e6:.1f})",
                      str(p["runs"]), f"{100 * s.get('mean', float('nan')):.0f} %",
                      ", ".join(p.get("within_noise_of", [])))  # fmt: skip
    console.print(table)
    for doc in [*summary["references"], *summary["baselines"]]:
        name = doc.get("scenario") or doc["rule"]
        comp = doc["best_plan_at_its_cost"]
        v = doc["objectives"]["value_lost"]
        line = (f"{name}: cost {doc['cost_eur'] / 1e6:.1f} M€, value lost {v['mean'] / 1e6:.1f} "
                f"({v['ci_low'] / 1e6:.1f}–{v['ci_high'] / 1e6:.1f}) M€")  # fmt: skip
        if comp.get("plan"):
            d = comp["difference"]["value_lost"]
            line += (f"; best plan at its cost {comp['plan']} ({comp['plan_cost_eur'] / 1e6:.1f} "
                     f"M€) differs by {d['mean'] / 1e6:+.1f} ({d['ci_low'] / 1e6:+.1f}, "
                     f"{d['ci_high'] / 1e6:+.1f}) M€: "
                     + ("better, separated" if comp["better_separated"] else
                        "within noise" if comp["within_noise"] else "worse"))  # fmt: skip
        console.print(line)
    decompose(folder, summary)
    search, thr = summary["search"], summary["throughput"]
    console.print(
        f"{search['simulated']} plans screened ({search['trials']} asked), "
        f"{thr['night_replications']:,} night-replications in {thr['seconds']:.0f} s of "
        f"simulation = {thr['night_replications_per_s']:.1f} /s; wall {wall:.0f} s, CPU "
        f"{cpu_seconds() - cpu:.0f} s; {machine()}"
    )


def decompose(folder: Path, summary: dict) -> None:
    """Where the value lost comes from: leakers by threat type for the chosen plan and each
    reference, and the paired difference of value lost (the study resumed from its folder: no
    simulation)."""
    study = load_plan_study("builtin:rzeszow_plan")
    outcome = run_plan_study(study, folder, 1, summary["search"]["simulated"])
    runner = outcome.ladder.runner
    ids = [summary["chosen"], *outcome.references.values()]
    table = Table(title="Mean leakers per night by threat type (final runs)")
    table.add_column("defence")
    types = [c[len("leaked."):] for c in runner.result(ids[0], "night").tables["runs"]
             if c.startswith("leaked.")]  # fmt: skip
    for t in types:
        table.add_column(t, justify="right")
    table.add_column("value lost M€ (sd)", justify="right")
    for pid in ids:
        runs = runner.result(pid, "night").tables["runs"]
        lost = runs["value_lost_eur"]
        table.add_row(pid, *(f"{runs['leaked.' + t].mean():.2f}" for t in types),
                      f"{lost.mean() / 1e6:.0f} ({lost.std(ddof=1) / 1e6:.0f})")  # fmt: skip
    console.print(table)


def scaling(args, out: Path) -> None:
    """Night-replications per second for the hand-made LEAP defence, raids and units scaled."""
    params = compile_scenario(builtin_scenario("rzeszow_leap"))
    table = Table(title=f"Throughput, {args.jobs} processes, {args.scaling_runs} runs each")
    for column in ("case", "threats", "fire units", "night-replications/s", "s per night (CPU)"):
        table.add_column(column, justify="right")
    cases = []
    for factor in (0.25, 0.5, 1.0, 2.0):
        counts = np.round(params.raids.count * factor).astype(np.int64)
        cases.append((f"raid × {factor:g}", params.with_raid_counts(counts)))
    for copies in (2, 3):
        doubled = builtin_scenario("rzeszow_leap")
        scenario = doubled.scenario
        units = list(scenario.fire_units)
        extra = [u.model_copy(update={"lat": u.lat + 0.01 * k}) for k in range(1, copies)
                 for u in units[5:]]  # fmt: skip
        scenario = scenario.model_copy(update={"fire_units": units + extra})
        resolved = type(doubled)(scenario, doubled.catalogue, doubled.file)
        cases.append((f"LEAP units × {copies}", compile_scenario(resolved)))
    for label, p in cases:
        started, cpu = time.perf_counter(), cpu_seconds()
        run_study(Study(NightTask(p, replay=False), args.scaling_runs, 1), LocalExecutor(args.jobs))
        wall = time.perf_counter() - started
        table.add_row(label, str(p.n_threats), str(len(p.unit_names)),
                      f"{args.scaling_runs / wall:.1f}",
                      f"{(cpu_seconds() - cpu) / args.scaling_runs:.3f}")  # fmt: skip
    console.print(table)
    console.print(machine())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", default=["small", "rzeszow", "scaling"])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--evaluations", type=int, default=None)
    parser.add_argument("--exhaustive", action="store_true")
    parser.add_argument("--fresh", action="store_true", help="search again from scratch")
    parser.add_argument("--exhaustive-seed", type=int, default=1)
    parser.add_argument("--exhaustive-runs", type=int, default=32)
    parser.add_argument("--top", type=int, default=16)
    parser.add_argument("--final-runs", type=int, default=256)
    parser.add_argument("--scaling-runs", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path("results/bench_plan"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    console.print(f"{dt.datetime.now():%Y-%m-%d %H:%M}, {machine()}")
    for part in args.parts:
        {"small": small, "rzeszow": rzeszow, "scaling": scaling}[part](args, args.out)


if __name__ == "__main__":
    main()
