"""An interrupted study resumes from its saved chunks and ends bit-identical to a fresh one."""

from __future__ import annotations

import numpy as np
import pytest

from leapsim.engine import compile_scenario
from leapsim.experiments import Checkpoint, LocalExecutor, NightTask, Study, run_study
from leapsim.experiments.study import chunk_items
from leapsim.scenario import builtin_scenario


class Interrupted(Exception):
    pass


class StopAfter(LocalExecutor):
    """Runs chunks in this process and 'crashes' after ``n`` of them."""

    def __init__(self, n: int):
        super().__init__(1)
        self.n = n

    def map_unordered(self, fn, shared, items):
        for i, result in enumerate(super().map_unordered(fn, shared, items)):
            if i == self.n:
                raise Interrupted
            yield result


class Counting(LocalExecutor):
    """Runs chunks in this process and counts the items (replications) it was given."""

    def __init__(self):
        super().__init__(1)
        self.items = 0

    def map_unordered(self, fn, shared, items):
        self.items += sum(len(chunk) for chunk in items)
        yield from super().map_unordered(fn, shared, items)


@pytest.fixture(scope="module")
def task() -> NightTask:
    return NightTask(compile_scenario(builtin_scenario("rzeszow_legacy")), events=True)


def assert_same(a, b) -> None:
    assert a.tables.keys() == b.tables.keys()
    for name, table in a.tables.items():
        assert table.keys() == b.tables[name].keys(), name
        for column, values in table.items():
            np.testing.assert_array_equal(b.tables[name][column], values, err_msg=column)
    assert a.documents == b.documents


def test_interrupted_study_resumes(task, tmp_path):
    study = Study(task, 70, 3)
    partial = tmp_path / ".partial"
    with pytest.raises(Interrupted):
        run_study(study, StopAfter(3), Checkpoint(partial))
    assert len(list(partial.glob("chunk-*.pkl"))) == 3
    saved = sum(len(chunk) for chunk in chunk_items(range(70))[:3])

    counting = Counting()
    resumed = run_study(study, counting, Checkpoint(partial))
    assert counting.items == 70 - saved  # only the missing replications ran again
    assert_same(run_study(study), resumed)


def test_other_study_does_not_reuse_chunks(task, tmp_path):
    partial = tmp_path / ".partial"
    with pytest.raises(Interrupted):
        run_study(Study(task, 40, 1), StopAfter(2), Checkpoint(partial))
    counting = Counting()
    run_study(Study(task, 40, 2), counting, Checkpoint(partial))  # another seed
    assert counting.items == 40


def test_damaged_chunks_are_run_again(task, tmp_path):
    partial = tmp_path / ".partial"
    study = Study(task, 6, 5)
    fresh = run_study(study, checkpoint=Checkpoint(partial))
    chunks = sorted(partial.glob("chunk-*.pkl"))
    chunks[0].write_bytes(chunks[0].read_bytes()[:100])  # truncated by a crash of the disk
    chunks[1].write_bytes(b"not a pickle")
    counting = Counting()
    assert_same(fresh, run_study(study, counting, Checkpoint(partial)))
    assert counting.items == 2
