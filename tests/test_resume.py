"""An interrupted study resumes from its saved chunks and ends bit-identical to a fresh one."""

from __future__ import annotations

import numpy as np
import pytest

from leapsim.engine import compile_scenario
from leapsim.experiments import run_monte_carlo
from leapsim.experiments.executors import LocalExecutor
from leapsim.experiments.montecarlo import chunk_runs
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
    def __init__(self):
        super().__init__(1)
        self.items = 0

    def map_unordered(self, fn, shared, items):
        self.items += len(items)
        yield from super().map_unordered(fn, shared, items)


def test_interrupted_study_resumes(tmp_path):
    params = compile_scenario(builtin_scenario("rzeszow_legacy"))
    runs, seed = 70, 3
    partial = tmp_path / ".partial"
    with pytest.raises(Interrupted):
        run_monte_carlo(params, runs, seed, StopAfter(3), checkpoint_dir=partial)
    assert len(list(partial.glob("chunk-*.pkl"))) == 3

    counting = Counting()
    resumed = run_monte_carlo(params, runs, seed, counting, checkpoint_dir=partial)
    assert counting.items == len(chunk_runs(runs)) - 3  # only the missing chunks ran again

    fresh = run_monte_carlo(params, runs, seed)
    assert resumed.columns.keys() == fresh.columns.keys()
    for name, column in fresh.columns.items():
        np.testing.assert_array_equal(resumed.columns[name], column, err_msg=name)


def test_other_study_does_not_reuse_chunks(tmp_path):
    params = compile_scenario(builtin_scenario("rzeszow_legacy"))
    partial = tmp_path / ".partial"
    with pytest.raises(Interrupted):
        run_monte_carlo(params, 40, 1, StopAfter(2), checkpoint_dir=partial)
    counting = Counting()
    run_monte_carlo(params, 40, 2, counting, checkpoint_dir=partial)  # another seed
    assert counting.items == len(chunk_runs(40))
