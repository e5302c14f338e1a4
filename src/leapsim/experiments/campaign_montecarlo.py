"""Campaign runs in chunks on any executor, merged in run order (like ``leapsim run``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from leapsim.campaign.simulate import CampaignJob, CampaignRun, simulate_campaign_run
from leapsim.experiments.checkpoint import Checkpoint, fingerprint, run_chunks
from leapsim.experiments.executors import Executor, LocalExecutor
from leapsim.experiments.montecarlo import chunk_runs


@dataclass
class CampaignResult:
    job: CampaignJob
    runs: int
    columns: dict[str, np.ndarray]  # (runs × nights,) sorted by run, then night; 1-based nights
    horizon: dict[str, np.ndarray]  # (runs,) night of each horizon event, nights + 1 if none

    @property
    def nights(self) -> int:
        return self.job.plan.nights

    def grid(self, name: str) -> np.ndarray:
        """Column ``name`` as a (runs, nights) array."""
        return self.columns[name].reshape(self.runs, self.nights)


def run_campaign_chunk(job: CampaignJob, runs: list[int]) -> list[CampaignRun]:
    """Simulate the given runs of a campaign."""
    return [simulate_campaign_run(job, run) for run in runs]


def run_campaign(
    job: CampaignJob,
    runs: int,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
    checkpoint_dir: Path | None = None,
) -> CampaignResult:
    """Run ``runs`` campaigns; identical results for any executor and number of workers.

    With ``checkpoint_dir``, finished chunks are saved there and a rerun of the same study skips
    them (see :mod:`leapsim.experiments.checkpoint`).
    """
    executor = executor or LocalExecutor(1)
    chunks = chunk_runs(runs)
    checkpoint = None
    if checkpoint_dir is not None:
        checkpoint = Checkpoint(checkpoint_dir, fingerprint("campaign", job, runs, chunks))
    done: dict[int, list[CampaignRun]] = run_chunks(
        executor, run_campaign_chunk, job, chunks, checkpoint, progress
    )
    results = [run for i in range(len(chunks)) for run in done[i]]
    nights = job.plan.nights
    columns = {
        "run": np.repeat(np.arange(runs, dtype=np.int64), nights),
        "night": np.tile(np.arange(1, nights + 1, dtype=np.int64), runs),
    }
    for name in results[0].columns:
        columns[name] = np.concatenate([r.columns[name] for r in results])
    horizon = {
        name: np.array([r.horizon[name] for r in results], np.int64) for name in results[0].horizon
    }
    return CampaignResult(job, runs, columns, horizon)
