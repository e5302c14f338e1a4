"""Many plans' studies in one executor pass, with one checkpoint for the whole plan search.

Every (plan, kind) is a :class:`~leapsim.experiments.Study` with the search's seed; a batch of
them runs through :func:`~leapsim.experiments.run_studies` (one pass, local pool or Dask, the
same results on either), and every finished chunk is saved in the checkpoint folder, so a killed
search loses no replication and a re-measurement with more runs simulates only the new ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from leapsim.experiments import (
    Checkpoint,
    Executor,
    LocalExecutor,
    Study,
    StudyResult,
    Task,
    run_studies,
)
from leapsim.planning.evaluate import nights_per_run


def run_counted(
    studies: Sequence[Study],
    executor: Executor | None,
    checkpoint: Checkpoint,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[StudyResult], int, float]:
    """``run_studies`` with a count of the night-replications it simulated (not those reused
    from the checkpoint) and its wall time."""
    saved = set(checkpoint.load())
    started = time.perf_counter()
    report = None if progress is None else (lambda _, n: progress(n))
    results = run_studies(list(studies), executor, checkpoint, report)
    seconds = time.perf_counter() - started
    new = {}  # identical studies in one batch run once
    for result in results:
        key = result.study.key
        fresh = sum((key, r) not in saved for r in range(result.runs))
        new[key] = max(new.get(key, 0), fresh * nights_per_run(result))
    return results, sum(new.values()), seconds


class Replications:
    """The latest result of each (plan id, kind), grown in parallel batches."""

    def __init__(self, folder: Path, seed: int, executor: Executor | None = None):
        self.checkpoint = Checkpoint(folder)
        self.seed = seed
        self.executor = executor or LocalExecutor(1)
        self.results: dict[tuple[str, str], StudyResult] = {}
        self.simulated_nights = 0  # night-replications simulated by this process
        self.seconds = 0.0  # wall time of those simulations

    def count(self, plan_id: str, kind: str) -> int:
        """Replications held (0 before the plan's first batch in this process)."""
        result = self.results.get((plan_id, kind))
        return 0 if result is None else result.runs

    def result(self, plan_id: str, kind: str) -> StudyResult:
        return self.results[(plan_id, kind)]

    def fill(
        self,
        requests: Sequence[tuple[str, str, Task, int]],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Make the first ``runs`` replications of each ``(plan id, kind, task, runs)`` held."""
        wanted = {}
        for plan_id, kind, task, runs in requests:
            if runs > self.count(plan_id, kind):
                wanted[(plan_id, kind)] = Study(task, runs, self.seed)
        if not wanted:
            return
        results, new, seconds = run_counted(
            list(wanted.values()), self.executor, self.checkpoint, progress
        )
        self.simulated_nights += new
        self.seconds += seconds
        for key, result in zip(wanted, results, strict=True):
            self.results[key] = result
