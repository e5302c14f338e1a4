"""A study: what one replication computes (a task), how many replications, and the seed.

:func:`run_studies` runs any number of studies in one executor pass — the items (study,
replication) are cut into chunks, run on a local process pool or Dask, saved chunk by chunk in a
:class:`~leapsim.experiments.checkpoint.Checkpoint`, and merged per study in replication order.
Contract (``docs/experiments.md``):

* Replication ``r`` of a study with seed ``S`` draws only from ``SeedSequence(S, spawn_key=(r,
  …))`` (:class:`Replication`). Its result depends on (task, S, r) alone: not on the executor,
  the worker, the chunking, the batch it ran in, or whether it was resumed. Two tasks run with
  the same seed see the same stream in replication ``r``: common random numbers.
* A study is identified by the fingerprint of (task, seed); an item by (fingerprint, r). A
  checkpoint keeps items, so a rerun, a larger ``runs`` or a batch holding the same study reuses
  every item already saved.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import numpy as np

from leapsim.experiments.checkpoint import Checkpoint, ItemKey, fingerprint
from leapsim.experiments.executors import Executor, LocalExecutor

Table = dict[str, np.ndarray]  # named columns of equal length
MAX_CHUNK = 50  # items per chunk at most
TARGET_CHUNKS = 64  # about this many chunks per pass: load balance on a few workers


@dataclass(frozen=True)
class Replication:
    """Replication ``index`` of a study seeded with ``seed``: the item's only source of
    randomness."""

    seed: int
    index: int

    def seed_sequence(self, *key: int) -> np.random.SeedSequence:
        """``SeedSequence(seed, spawn_key=(index, *key))``: the replication's stream, or with
        ``key`` an independent sub-stream (e.g. per night of a campaign)."""
        return np.random.SeedSequence(self.seed, spawn_key=(self.index, *key))

    def rng(self, *key: int) -> np.random.Generator:
        """A PCG64 generator on :meth:`seed_sequence` (``rng()`` is ``seeds.run_rng(seed,
        index)``)."""
        return np.random.Generator(np.random.PCG64(self.seed_sequence(*key)))


@dataclass(frozen=True)
class ItemResult:
    """What one replication computes: named tables (merged across replications by
    concatenation, in replication order) and optional JSON-ready documents (kept per
    replication, e.g. the replay of run 0)."""

    tables: dict[str, Table]
    documents: dict[str, Any] = field(default_factory=dict)


class Task(Protocol):
    """What one replication computes. Must pickle (it is shipped to workers), and its fields
    must fingerprint stably (dataclasses, arrays, pydantic models, plain values)."""

    def __call__(self, replication: Replication) -> ItemResult: ...


@dataclass(frozen=True, eq=False)
class Study:
    """``runs`` replications of ``task`` seeded with ``seed``."""

    task: Task
    runs: int
    seed: int

    def __post_init__(self) -> None:
        if self.runs < 0:
            raise ValueError(f"a study needs runs >= 0, not {self.runs}")

    @cached_property
    def key(self) -> str:
        """The study's identity for resume: fingerprint of (task, seed); not of ``runs``."""
        return fingerprint(self.task, self.seed)


@dataclass
class StudyResult:
    """The merged items of one study: ``tables[name]`` concatenates every replication's table
    ``name`` in replication order; ``documents[name][r]`` is replication r's document."""

    study: Study
    tables: dict[str, Table]
    documents: dict[str, dict[int, Any]]

    @property
    def runs(self) -> int:
        return self.study.runs

    @property
    def seed(self) -> int:
        return self.study.seed


def row(values: dict[str, Any]) -> Table:
    """A one-row table from one value per column."""
    return {name: np.array([value]) for name, value in values.items()}


def chunk_items(items: Sequence[Any]) -> list[list[Any]]:
    """Contiguous chunks of about ``len(items) / 64`` items, at most 50 each."""
    size = max(1, min(MAX_CHUNK, math.ceil(len(items) / TARGET_CHUNKS)))
    return [list(items[a : a + size]) for a in range(0, len(items), size)]


def run_chunk(tasks: Sequence[tuple[Task, int]], chunk: list[tuple[int, int]]) -> list[ItemResult]:
    """Worker side: ``tasks[slot]`` is (task, seed); run each (slot, replication) of ``chunk``."""
    return [tasks[slot][0](Replication(tasks[slot][1], rep)) for slot, rep in chunk]


def merge(study: Study, items: Sequence[ItemResult]) -> StudyResult:
    """Concatenate the items' tables in order; collect their documents by replication."""
    tables: dict[str, Table] = {}
    for name in dict.fromkeys(name for item in items for name in item.tables):
        parts = [item.tables[name] for item in items if name in item.tables]
        columns = list(parts[0])
        if any(list(part) != columns for part in parts):
            raise ValueError(f"table {name!r}: replications returned different columns")
        tables[name] = {c: np.concatenate([np.asarray(part[c]) for part in parts]) for c in columns}
    documents: dict[str, dict[int, Any]] = {}
    for rep, item in enumerate(items):
        for name, document in item.documents.items():
            documents.setdefault(name, {})[rep] = document
    return StudyResult(study, tables, documents)


Progress = Callable[[int, int], None]  # (study index, items just finished)


def run_studies(
    studies: Sequence[Study],
    executor: Executor | None = None,
    checkpoint: Checkpoint | None = None,
    progress: Progress | None = None,
) -> list[StudyResult]:
    """Run every study in one executor pass; identical results for any executor, worker count,
    batch or resume. Items saved in ``checkpoint`` are reused, new ones saved there as their
    chunk finishes; an item shared by several studies (same task and seed) runs once.
    ``progress(i, n)`` reports ``n`` more finished items of study ``i`` (reused ones first)."""
    executor = executor or LocalExecutor(1)
    unique = {s.key: s for s in studies}  # one slot per distinct (task, seed)
    keys = list(unique)
    tasks = tuple((s.task, s.seed) for s in unique.values())
    wanted = list(dict.fromkeys((s.key, r) for s in studies for r in range(s.runs)))
    saved = checkpoint.load() if checkpoint is not None else {}
    done: dict[ItemKey, ItemResult] = {item: saved[item] for item in wanted if item in saved}
    slot = {key: i for i, key in enumerate(keys)}
    todo = [(slot[key], rep) for key, rep in wanted if (key, rep) not in done]

    def advance(finished: Sequence[ItemKey]) -> None:
        if progress is None:
            return
        for i, s in enumerate(studies):
            n = sum(1 for key, rep in finished if key == s.key and rep < s.runs)
            if n:
                progress(i, n)

    advance(list(done))
    chunks = chunk_items(todo)
    finishing = executor.map_unordered(run_chunk, tasks, chunks) if chunks else ()
    for index, results in finishing:
        finished = [(keys[i], rep) for i, rep in chunks[index]]
        if checkpoint is not None:
            checkpoint.save([(*item, res) for item, res in zip(finished, results, strict=True)])
        done.update(zip(finished, results, strict=True))
        advance(finished)
    return [merge(s, [done[s.key, r] for r in range(s.runs)]) for s in studies]


def saved_runs(study: Study, checkpoint: Checkpoint) -> int:
    """How many of the study's replications ``checkpoint`` holds (a rerun reuses them)."""
    saved = checkpoint.load()
    return sum((study.key, r) in saved for r in range(study.runs))


def run_study(
    study: Study,
    executor: Executor | None = None,
    checkpoint: Checkpoint | None = None,
    progress: Callable[[int], None] | None = None,
) -> StudyResult:
    """:func:`run_studies` for one study; ``progress(n)`` gets the items as they finish."""
    report = None if progress is None else (lambda _, n: progress(n))
    return run_studies([study], executor, checkpoint, report)[0]
