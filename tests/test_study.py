"""The Study contract (docs/experiments.md): results depend on (task, seed, replication) alone —
not on the executor, the chunking, the batch or a resume —, replication r of every task draws
the same stream (common random numbers), and a checkpoint keeps every finished item."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from leapsim.campaign.simulate import night_rngs
from leapsim.engine import compile_scenario
from leapsim.experiments import (
    CampaignTask,
    Checkpoint,
    ItemResult,
    LocalExecutor,
    NightTask,
    Replication,
    Study,
    fingerprint,
    row,
    run_studies,
    run_study,
)
from leapsim.experiments.study import chunk_items
from leapsim.scenario import builtin_scenario, load_scenario
from leapsim.seeds import run_rng
from leapsim.threats import load_default_threat_model
from test_campaign import make_job, two_site_scenario, write_yaml
from test_resume import Counting, Interrupted, StopAfter, assert_same


@dataclass(frozen=True)
class Draws:
    """A cheap task: replication r gives ``r + 1`` rows of scaled normal draws and a document."""

    scale: float

    def __call__(self, replication: Replication) -> ItemResult:
        rng = replication.rng()
        n = replication.index + 1
        rows = {"run": np.full(n, replication.index), "x": self.scale * rng.normal(size=n)}
        first = row({"run": replication.index, "u": self.scale * rng.random()})
        return ItemResult({"draws": rows, "first": first}, {"note": {"rows": n}})


@pytest.fixture(scope="module")
def night() -> NightTask:
    return NightTask(compile_scenario(builtin_scenario("rzeszow_legacy")), events=True)


@pytest.fixture(scope="module")
def campaign(params, model) -> CampaignTask:
    return CampaignTask(make_job(params, model, 3, scale=0.05))


@pytest.fixture(scope="module")
def params(tmp_path_factory):
    path = write_yaml(tmp_path_factory.mktemp("study") / "s.yaml", two_site_scenario())
    return compile_scenario(load_scenario(path))


@pytest.fixture(scope="module")
def model():
    return load_default_threat_model()


def test_tables_merge_in_replication_order_and_documents_stay_per_replication():
    result = run_study(Study(Draws(1.0), 4, 9))
    draws = result.tables["draws"]
    np.testing.assert_array_equal(draws["run"], [0, 1, 1, 2, 2, 2, 3, 3, 3, 3])
    np.testing.assert_array_equal(result.tables["first"]["run"], np.arange(4))
    assert result.documents == {"note": {r: {"rows": r + 1} for r in range(4)}}
    rng = run_rng(9, 2)  # replication 2 draws from SeedSequence(9, spawn_key=(2,)), nothing else
    np.testing.assert_array_equal(draws["x"][draws["run"] == 2], rng.normal(size=3))


def test_replication_streams_are_the_documented_ones():
    rep = Replication(seed=7, index=4)
    assert rep.rng().random() == run_rng(7, 4).random()
    for n in range(3):  # a campaign's night n: engine and loss streams
        engine, losses = night_rngs(7, 4, n)
        sub = [np.random.default_rng(s) for s in rep.seed_sequence(n).spawn(2)]
        assert engine.random() == sub[0].random() and losses.random() == sub[1].random()


def test_common_random_numbers_across_tasks():
    """Replication r of any task in a study with the same seed sees the same stream."""
    one, three = run_studies([Study(Draws(1.0), 5, 2), Study(Draws(3.0), 5, 2)])
    np.testing.assert_array_equal(three.tables["draws"]["x"], 3.0 * one.tables["draws"]["x"])
    other_seed = run_study(Study(Draws(1.0), 5, 3))
    assert not np.array_equal(other_seed.tables["draws"]["x"], one.tables["draws"]["x"])


def test_common_random_numbers_on_two_defences():
    """The demo's two defences face the same raid in every replication."""
    legacy, leap = run_studies(
        [Study(NightTask(compile_scenario(builtin_scenario(name))), 3, 5) for name in
         ("rzeszow_legacy", "rzeszow_leap")]
    )  # fmt: skip
    np.testing.assert_array_equal(
        legacy.tables["runs"]["launched"], leap.tables["runs"]["launched"]
    )
    assert legacy.tables["runs"]["defender_spend_eur"].sum() != pytest.approx(
        leap.tables["runs"]["defender_spend_eur"].sum()
    )


def test_batch_equals_one_by_one_on_one_or_two_workers(night, campaign):
    studies = [
        Study(night, 5, 1),
        Study(campaign, 4, 1),
        Study(night, 3, 2),
        Study(Draws(2.0), 6, 1),
    ]
    alone = [run_study(s) for s in studies]
    for workers in (1, 2):
        batch = run_studies(studies, LocalExecutor(workers))
        for a, b in zip(alone, batch, strict=True):
            assert_same(a, b)


def test_interrupted_batch_resumes_without_losing_an_item(night, campaign, tmp_path):
    studies = [Study(night, 4, 1), Study(campaign, 3, 1), Study(Draws(1.0), 30, 1)]
    items = sum(s.runs for s in studies)
    partial = tmp_path / ".partial"
    with pytest.raises(Interrupted):
        run_studies(studies, StopAfter(5), Checkpoint(partial))
    saved = Checkpoint(partial).load()
    assert len(saved) == sum(len(c) for c in chunk_items(range(items))[:5])
    counting = Counting()
    resumed = run_studies(studies, counting, Checkpoint(partial))
    assert counting.items == items - len(saved)
    for a, b in zip(resumed, run_studies(studies), strict=True):
        assert_same(a, b)


def test_more_replications_reuse_the_ones_done(night, tmp_path):
    """A fidelity ladder: 4 runs first, then 9 of the same study compute only 5 more."""
    checkpoint = Checkpoint(tmp_path / "ladder")
    run_study(Study(night, 4, 6), checkpoint=checkpoint)
    counting = Counting()
    ticks = []
    nine = run_study(Study(night, 9, 6), counting, checkpoint, ticks.append)
    assert counting.items == 5 and sum(ticks) == 9 and ticks[0] == 4
    assert_same(nine, run_study(Study(night, 9, 6)))


def test_the_same_study_twice_in_a_batch_runs_once():
    counting = Counting()
    progress = []
    a, b = run_studies(
        [Study(Draws(1.0), 5, 1), Study(Draws(1.0), 5, 1)],
        counting,
        progress=lambda i, n: progress.append((i, n)),
    )
    assert counting.items == 5
    assert_same(a, b)
    assert sum(n for i, n in progress if i == 0) == sum(n for i, n in progress if i == 1) == 5


def test_fingerprint_sees_every_value_and_refuses_unstable_ones():
    a = np.zeros(5000)
    b = a.copy()
    b[2500] = 1.0  # repr of both arrays is the same ("...")
    assert fingerprint({"x": a}) != fingerprint({"x": b})
    assert fingerprint(Draws(1.0)) == fingerprint(Draws(1.0)) != fingerprint(Draws(1.5))
    assert (
        Study(Draws(1.0), 5, 1).key == Study(Draws(1.0), 50, 1).key != Study(Draws(1.0), 5, 2).key
    )
    with pytest.raises(TypeError, match="cannot fingerprint"):
        fingerprint(object())


@dataclass(frozen=True)
class Ragged:
    def __call__(self, replication: Replication) -> ItemResult:
        return ItemResult({"t": row({"a": 1} if replication.index else {"b": 2})})


def test_replications_must_agree_on_columns():
    with pytest.raises(ValueError, match="different columns"):
        run_study(Study(Ragged(), 2, 1))


@pytest.mark.slow
def test_dask_gives_the_local_results(night, campaign):
    distributed = pytest.importorskip("distributed")
    from leapsim.experiments import DaskExecutor

    studies = [Study(night, 4, 1), Study(campaign, 3, 1), Study(night, 2, 2)]
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        on_dask = run_studies(studies, DaskExecutor(cluster.scheduler_address))
    for a, b in zip(run_studies(studies), on_dask, strict=True):
        assert_same(a, b)
