"""Monte Carlo over nights: replications in chunks on any executor, merged in run order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from leapsim.engine import NightParams, night_metrics, simulate_night
from leapsim.engine.replay import event_log, replay
from leapsim.experiments.executors import Executor, LocalExecutor
from leapsim.experiments.seeds import run_rng


@dataclass(frozen=True)
class ChunkJob:
    """What every worker needs: the scenario arrays, the study seed, and whether to log events."""

    params: NightParams
    seed: int
    events: bool


@dataclass
class MonteCarloResult:
    params: NightParams
    seed: int
    runs: int
    columns: dict[str, np.ndarray]  # one entry per run, in run order
    events: dict[str, np.ndarray] | None
    replay: dict


def run_chunk(job: ChunkJob, runs: list[int]) -> tuple[list[dict[str, float]], list[dict]]:
    """Simulate the given replications; return their metric rows (and event logs)."""
    rows, logs = [], []
    for run in runs:
        outcome = simulate_night(job.params, run_rng(job.seed, run))
        rows.append({"run": run, **night_metrics(outcome)})
        if job.events:
            logs.append(event_log(outcome, run))
    return rows, logs


def chunk_runs(runs: int, workers: int) -> list[list[int]]:
    """Split ``range(runs)`` into contiguous chunks, about eight per worker for load balance."""
    size = max(1, min(50, runs // max(1, 8 * workers)))
    return [list(range(a, min(a + size, runs))) for a in range(0, runs, size)]


def run_monte_carlo(
    params: NightParams,
    runs: int,
    seed: int,
    executor: Executor | None = None,
    events: bool = False,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
) -> MonteCarloResult:
    """Run ``runs`` replications of one night; identical results for any executor."""
    executor = executor or LocalExecutor(1)
    job = ChunkJob(params, seed, events)
    chunks = chunk_runs(runs, workers)
    rows: list[dict[str, float]] = [{}] * runs
    logs: list[dict] = [{}] * runs
    for _, (chunk_rows, chunk_logs) in executor.map_unordered(run_chunk, job, chunks):
        for row in chunk_rows:
            rows[int(row["run"])] = row
        for row, log in zip(chunk_rows, chunk_logs, strict=False):
            logs[int(row["run"])] = log
        if progress is not None:
            progress(len(chunk_rows))
    columns = {key: np.array([row[key] for row in rows]) for key in rows[0]} if runs else {}
    columns["run"] = columns["run"].astype(np.int64) if runs else np.empty(0, np.int64)
    merged_events = None
    if events:
        merged_events = {k: np.concatenate([log[k] for log in logs]) for k in logs[0]}
    outcome = simulate_night(params, run_rng(seed, 0))
    return MonteCarloResult(params, seed, runs, columns, merged_events, replay(outcome, 0))
