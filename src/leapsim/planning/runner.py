"""Replications of many plans in one parallel batch, kept on disk so a killed study loses none.

Rows are held per (plan id, evaluation kind) and run index; a batch asks for "the first ``k``
runs" of several plans, and only the missing runs are simulated, in chunks spread over the
executor. Each finished chunk is written atomically to ``folder`` at once.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from leapsim.atomic import write_with_atomic
from leapsim.experiments.executors import Executor, LocalExecutor
from leapsim.planning.evaluate import Replicate, replicate

CHUNK_RUNS = 4


def run_chunk(jobs: Sequence[Replicate], item: tuple[int, list[int]]) -> list[dict[str, float]]:
    """Replications ``item[1]`` of job ``item[0]``."""
    job = jobs[item[0]]
    return [replicate(job, run) for run in item[1]]


class Replications:
    """Replication rows by (plan id, kind, run), filled in parallel batches."""

    def __init__(self, folder: Path | None, executor: Executor | None = None):
        self.folder = folder
        self.executor = executor or LocalExecutor(1)
        self._rows: dict[tuple[str, str], dict[int, dict[str, float]]] = {}
        self.simulated_nights = 0  # night-replications simulated by this process
        self.seconds = 0.0
        if folder is not None and folder.is_dir():
            for path in sorted(folder.glob("*.pkl")):
                key, runs, rows = pickle.loads(path.read_bytes())
                self._rows.setdefault(key, {}).update(zip(runs, rows, strict=True))

    def count(self, plan_id: str, kind: str) -> int:
        """How many leading runs (0, 1, …) are held."""
        held = self._rows.get((plan_id, kind), {})
        n = 0
        while n in held:
            n += 1
        return n

    def rows(self, plan_id: str, kind: str, runs: int) -> list[dict[str, float]]:
        held = self._rows[(plan_id, kind)]
        return [held[r] for r in range(runs)]

    def fill(
        self,
        requests: Sequence[tuple[str, Replicate, int]],
        nights_per_run: Callable[[Replicate], int] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Make the first ``runs`` replications of each ``(plan id, job, runs)`` available."""
        jobs, items, keys = [], [], []
        for plan_id, job, runs in requests:
            key = (plan_id, job.kind)
            held = self._rows.get(key, {})
            missing = [r for r in range(runs) if r not in held]
            if not missing:
                continue
            keys.append(key)
            jobs.append(job)
            for a in range(0, len(missing), CHUNK_RUNS):
                items.append((len(jobs) - 1, missing[a : a + CHUNK_RUNS]))
        if not items:
            return
        started = time.perf_counter()
        for index, rows in self.executor.map_unordered(run_chunk, tuple(jobs), items):
            task, runs = items[index]
            key = keys[task]
            self._rows.setdefault(key, {}).update(zip(runs, rows, strict=True))
            if self.folder is not None:
                payload = pickle.dumps((key, runs, rows), protocol=pickle.HIGHEST_PROTOCOL)
                name = f"{key[0]}.{key[1]}.{runs[0]:07d}.pkl"
                write_with_atomic(self.folder / name, lambda tmp, b=payload: tmp.write_bytes(b))
            per_run = nights_per_run(jobs[task]) if nights_per_run else 1
            self.simulated_nights += per_run * len(runs)
            if progress is not None:
                progress(len(runs))
        self.seconds += time.perf_counter() - started
