"""Benchmark of tracked sensing against detection sensing on the demo scenarios.

For each scenario and sensing mode, simulates ``--reps`` nights (runs 0.. of seed 1, after one
warm-up night that loads the numba cache) on one core, in process, and prints per mode: median
wall and CPU time per night, the share of it spent in the tracking pre-pass
(:func:`leapsim.engine.tracked.track_night`), and the mean kills, leaks, false tracks and shots
at false tracks. With ``--study RUNS``, it also runs a Study of RUNS tracked nights of the first
scenario on ``--jobs`` processes (as ``leapsim run`` does) and prints its wall time and the
outcomes' means with 95 % CIs. With ``--steps``, it times the pre-pass of one night with the
tracker (and engine) time step set to each value. With ``--labels RUNS``, it counts, on the
first scenario's runs 0.., the false tracks by detection origin (the engine's rule) and by the
nearest-threat labelling the engine used before the tracker reported associations (a track
is false unless at more than half of its confirmed steps the nearest observed threat lies
inside its 99.99 % χ² gate), on the same tracks: the model change behind the fall in false
tracks.

Usage: python bench/tracked.py [--reps 3] [--scenario rzeszow_leap] [--scenario rzeszow_legacy]
       [--study 200 --jobs 2] [--steps 1 2 4] [--labels 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from dataclasses import replace

import numpy as np
from rich.console import Console
from rich.table import Table
from scipy.special import chdtri

from leapsim.engine import compile_scenario, night, night_metrics, simulate_night
from leapsim.engine.kinematics import position_at_time
from leapsim.engine.raid import draw_raid
from leapsim.engine.tracked import (
    _observation_windows,
    scan_night,
    track_night,
    track_owners,
    tracker_params,
)
from leapsim.experiments.executors import LocalExecutor
from leapsim.experiments.night_task import NightTask
from leapsim.experiments.stats import mean_ci
from leapsim.experiments.study import Study, run_study
from leapsim.scenario import builtin_scenario
from leapsim.seeds import run_rng
from leapsim.tracking import run_tracker

OUTCOMES = ("killed", "leaked", "shots", "false_tracks", "shots_at_false_tracks")

PREPASS = {"s": 0.0}


def _timed_track_night(function):
    def wrapper(*args, **kwargs):
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            PREPASS["s"] += time.process_time() - start

    return wrapper


def measure(params, reps: int) -> dict[str, float]:
    simulate_night(params, run_rng(0, 0))  # numba cache
    wall, cpu, prepass, rows = [], [], [], []
    for run in range(reps):
        PREPASS["s"] = 0.0
        w0, c0 = time.perf_counter(), time.process_time()
        outcome = simulate_night(params, run_rng(1, run))
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
        prepass.append(PREPASS["s"])
        rows.append(night_metrics(outcome))
    out = {
        "wall": statistics.median(wall),
        "cpu": statistics.median(cpu),
        "prepass": statistics.median(prepass) / statistics.median(cpu),
    }
    for key in OUTCOMES:
        out[key] = statistics.mean(r[key] for r in rows)
    return out


def study(params, runs: int, jobs: int, console: Console) -> None:
    """Wall time of a Study of ``runs`` tracked nights on ``jobs`` processes, and its outcomes."""
    start = time.perf_counter()
    result = run_study(Study(NightTask(params), runs, 1), LocalExecutor(jobs))
    wall = time.perf_counter() - start
    table = Table(title=f"{runs} tracked nights (seed 1) on {jobs} processes: {wall:.0f} s wall")
    for col in ("metric", "mean", "95 % CI"):
        table.add_column(col, justify="right")
    for key in OUTCOMES:
        m = mean_ci(result.tables["runs"][key])
        table.add_row(key, f"{m['mean']:.2f}", f"[{m['ci_low']:.2f}, {m['ci_high']:.2f}]")
    console.print(table)


def labels(params, runs: int, console: Console) -> None:
    """False tracks by detection origin and by the former nearest-threat labelling."""
    table = Table(title="False tracks of the same tracks, by labelling rule (runs 0..)")
    for col in ("run", "confirmed tracks", "false by origin", "false by nearest threat"):
        table.add_column(col, justify="right")
    gate = float(chdtri(3, 1.0 - 0.9999))
    for run in range(runs):
        rng = run_rng(1, run)
        raid = draw_raid(params, rng)
        scans = scan_night(params, raid, rng)
        tparams = tracker_params(params, raid)
        dets = scans.detections
        start, end = _observation_windows(params, raid)
        by_origin = by_nearest = confirmed = 0
        for times in scans.stretches:
            a = int(np.searchsorted(dets.time, times[0], side="left"))
            b = int(np.searchsorted(dets.time, times[-1], side="right"))
            stretch = dets.select(slice(a, b))
            tab = run_tracker(stretch, tparams, times)
            assoc = tab.associations
            owner = track_owners(tab.n_started, assoc.track_id, stretch.target[assoc.detection])
            ids = np.unique(tab.track_id)
            confirmed += ids.size
            by_origin += int(np.count_nonzero(owner[ids] < 0))
            matched = np.zeros(tab.n_started)
            for t in np.unique(tab.time):
                rows = np.flatnonzero(tab.time == t)
                observed = np.flatnonzero((start <= t) & (t <= end))
                if observed.size == 0:
                    continue
                truth = position_at_time(raid.paths, observed, np.full(observed.size, t))
                pos = tab.state[rows, :3]
                nearest = np.argmin(((pos[:, None] - truth[None]) ** 2).sum(-1), axis=1)
                err = pos - truth[nearest]
                cov = tab.covariance[rows, :3, :3]
                d2 = np.einsum("ti,ti->t", err, np.linalg.solve(cov, err[..., None])[..., 0])
                np.add.at(matched, tab.track_id[rows], d2 <= gate)
            steps = np.bincount(tab.track_id, minlength=tab.n_started)
            by_nearest += int(np.count_nonzero(matched[ids] * 2 <= steps[ids]))
        table.add_row(str(run), str(confirmed), str(by_origin), str(by_nearest))
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--scenario", action="append", help="built-in scenario (repeatable)")
    parser.add_argument("--steps", type=float, nargs="*", default=[], help="time steps, s")
    parser.add_argument("--study", type=int, default=0, help="tracked nights in a Study")
    parser.add_argument("--jobs", type=int, default=2, help="processes for --study")
    parser.add_argument("--labels", type=int, default=0, help="runs for the labelling check")
    args = parser.parse_args()
    night.track_night = _timed_track_night(night.track_night)
    console = Console(width=150)
    console.print(
        f"machine: {platform.machine()}, nproc {os.cpu_count()}, python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}, "
        f"date {time.strftime('%Y-%m-%d')}"
    )
    table = Table(title=f"One night on one core, median of {args.reps} (runs 0..{args.reps - 1})")
    for col in ("scenario", "sensing", "wall s", "CPU s", "pre-pass", "killed", "leaked",
                "shots", "false tracks", "shots at false"):  # fmt: skip
        table.add_column(col, justify="right")
    for name in args.scenario or ["rzeszow_leap"]:
        params = compile_scenario(builtin_scenario(name))
        for mode in ("detection", "tracked"):
            r = measure(params.with_sensing_mode(mode), args.reps)
            table.add_row(
                name, mode, f"{r['wall']:.2f}", f"{r['cpu']:.2f}", f"{100 * r['prepass']:.0f} %",
                f"{r['killed']:.1f}", f"{r['leaked']:.1f}", f"{r['shots']:.0f}",
                f"{r['false_tracks']:.1f}", f"{r['shots_at_false_tracks']:.1f}",
            )  # fmt: skip
    console.print(table)
    if args.study:
        name = (args.scenario or ["rzeszow_leap"])[0]
        params = compile_scenario(builtin_scenario(name)).with_sensing_mode("tracked")
        study(params, args.study, args.jobs, console)
    if args.labels:
        name = (args.scenario or ["rzeszow_leap"])[0]
        params = compile_scenario(builtin_scenario(name)).with_sensing_mode("tracked")
        labels(params, args.labels, console)
    if args.steps:
        table = Table(title="Tracking pre-pass of one night (run 0) against the time step")
        for col in ("scenario", "time step s", "steps with tracks", "CPU s", "false tracks"):
            table.add_column(col, justify="right")
        for name in args.scenario or ["rzeszow_leap"]:
            params = compile_scenario(builtin_scenario(name)).with_sensing_mode("tracked")
            for step in args.steps:
                stepped = replace(params, time_step_s=step)
                rng = run_rng(1, 0)
                raid = draw_raid(stepped, rng)
                start = time.process_time()
                _, picture = track_night(stepped, raid, rng)
                cpu = time.process_time() - start
                steps = len(set(picture.held_s.tolist()))
                table.add_row(name, f"{step:g}", str(steps), f"{cpu:.2f}", str(picture.n_false))
        console.print(table)


if __name__ == "__main__":
    main()
