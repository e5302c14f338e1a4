"""Monte Carlo over nights: replications in chunks on any executor, merged in run order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from leapsim.engine import NightParams, night_metrics, simulate_night
from leapsim.engine.replay import event_log, replay
from leapsim.experiments.checkpoint import Checkpoint, fingerprint, run_chunks
from leapsim.experiments.executors import Executor, LocalExecutor
from leapsim.seeds import run_rng


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


def chunk_runs(runs: int) -> list[list[int]]:
    """Split ``range(runs)`` into about 64 contiguous chunks of at most 50 runs (enough for load
    balance on a few workers; the split depends on ``runs`` alone, so a study resumes on any
    number of workers)."""
    size = max(1, min(50, -(-runs // 64)))
    return [list(range(a, min(a + size, runs))) for a in range(0, runs, size)]


def run_monte_carlo(
    params: NightParams,
    runs: int,
    seed: int,
    executor: Executor | None = None,
    events: bool = False,
    progress: Callable[[int], None] | None = None,
    checkpoint_dir: Path | None = None,
) -> MonteCarloResult:
    """Run ``runs`` replications of one night; identical results for any executor.

    With ``checkpoint_dir``, finished chunks are saved there and a rerun of the same study
    (same parameters, seed, runs and options) skips them.
    """
    executor = executor or LocalExecutor(1)
    job = ChunkJob(params, seed, events)
    chunks = chunk_runs(runs)
    checkpoint = None
    if checkpoint_dir is not None:
        checkpoint = Checkpoint(checkpoint_dir, fingerprint(params, seed, runs, events, chunks))
    done = run_chunks(executor, run_chunk, job, chunks, checkpoint, progress)
    rows = [row for i in range(len(chunks)) for row in done[i][0]]
    columns = {key: np.array([row[key] for row in rows]) for key in rows[0]} if rows else {}
    columns["run"] = np.arange(runs, dtype=np.int64)
    merged_events = None
    if events:
        logs = [log for i in range(len(chunks)) for log in done[i][1]]
        merged_events = {k: np.concatenate([log[k] for log in logs]) for k in logs[0]}
    outcome = simulate_night(params, run_rng(seed, 0))
    return MonteCarloResult(params, seed, runs, columns, merged_events, replay(outcome, 0))
