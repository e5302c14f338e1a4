"""Monte Carlo studies through the command line: determinism across executors, the results
folder, ``--json``, ``--events`` and the demo."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy import stats

from leapsim.engine.replay import EVENT_KINDS

SCENARIO = "builtin:rzeszow_leap"
RUNS, SEED = 12, 7
JSON_METRICS = (
    "launched",
    "killed",
    "leaked",
    "value_lost_eur",
    "defender_spend_eur",
    "attacker_spend_eur",
    "cost_exchange_ratio",
)


def read_columns(path: Path) -> dict[str, np.ndarray]:
    table = pq.read_table(path)
    return {name: table.column(name).to_numpy() for name in table.column_names}


def assert_same_table(a: Path, b: Path) -> None:
    ta, tb = pq.read_table(a), pq.read_table(b)
    assert ta.schema.equals(tb.schema), (ta.schema, tb.schema)
    assert ta.num_rows == tb.num_rows
    ca, cb = read_columns(a), read_columns(b)
    for name in ca:
        np.testing.assert_array_equal(ca[name], cb[name], err_msg=name)


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> Path:
    """One study run with ``--jobs 1``, ``--events`` and ``--json`` (its stdout is kept in
    ``stdout.json``); other tests compare against it."""
    from conftest import run_cli

    out = tmp_path_factory.mktemp("serial") / "study"
    result = run_cli("run", SCENARIO, "--runs", RUNS, "--seed", SEED, "--jobs", 1, "--out", out,
                     "--events", "--json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (out.parent / "stdout.json").write_text(result.stdout)
    return out


def test_results_folder_is_complete(serial):
    names = {p.name for p in serial.iterdir()}
    assert {
        "runs.parquet",
        "summary.json",
        "scenario.json",
        "replay.json",
        "events.parquet",
    } <= names
    assert not any(name.startswith(".") or name.endswith(".tmp") for name in names), names
    runs = read_columns(serial / "runs.parquet")
    np.testing.assert_array_equal(runs["run"], np.arange(RUNS))
    assert all(column.size == RUNS for column in runs.values())
    for key in (*JSON_METRICS, "airborne", "shots", "cost_per_kill_eur", "leak_rate"):
        assert key in runs, key
    assert "launched.shahed_136" in runs and "shots.gepard_35mm" in runs
    assert any(name.startswith("value_lost_eur.") for name in runs)
    np.testing.assert_array_equal(
        runs["launched"], runs["killed"] + runs["leaked"] + runs["airborne"]
    )
    summary = json.loads((serial / "summary.json").read_text())
    assert summary["runs"] == RUNS and summary["seed"] == SEED and summary["kind"] == "night"
    assert summary["scenario"]["name"] == "rzeszow_leap"
    replay = json.loads((serial / "replay.json").read_text())
    assert replay["run"] == 0 and len(replay["threats"]["fate"]) == runs["launched"][0]
    geometry = json.loads((serial / "scenario.json").read_text())
    assert len(geometry["fire_units"]) == 40 and len(geometry["sites"]) == 4


def test_summary_intervals_match_scipy(serial):
    """Every mean and 95 % interval in summary.json is Student-t on the runs.parquet column,
    cut to the column's domain: [0, 1] for the leak rate, [0, ∞) for every other column."""
    runs = read_columns(serial / "runs.parquet")
    summary = json.loads((serial / "summary.json").read_text())
    entries = {**summary["metrics"], **summary["columns"]}
    assert set(entries) == set(runs) - {"run"}
    for name, entry in entries.items():
        x = runs[name].astype(float)
        x = x[np.isfinite(x)]
        assert entry["n"] == x.size
        if x.size == 0:
            assert entry["mean"] is None
            continue
        assert entry["mean"] == pytest.approx(x.mean(), rel=1e-12, abs=1e-9)
        if x.size > 1 and x.std() > 0:
            low, high = stats.t.interval(0.95, x.size - 1, loc=x.mean(), scale=stats.sem(x))
        else:
            low = high = x.mean()
        low, high = max(low, 0.0), min(high, 1.0) if name == "leak_rate" else high
        assert entry["ci_low"] == pytest.approx(low, rel=1e-9, abs=1e-9), name
        assert entry["ci_high"] == pytest.approx(high, rel=1e-9, abs=1e-9), name
        assert entry["min"] == x.min() and entry["max"] == x.max()


def test_events_agree_with_runs(serial):
    runs = read_columns(serial / "runs.parquet")
    events = read_columns(serial / "events.parquet")
    assert {"run", "time_s", "kind", "threat", "unit", "cost_eur"} <= set(events)
    assert set(np.unique(events["run"])) <= set(range(RUNS))
    kind = {name: EVENT_KINDS.index(name) for name in EVENT_KINDS}
    for run in range(RUNS):
        mine = events["run"] == run
        count = {name: int(np.count_nonzero(mine & (events["kind"] == code)))
                 for name, code in kind.items()}  # fmt: skip
        assert count["launch"] == runs["launched"][run]
        assert count["leak"] == runs["leaked"][run]
        assert count["kill"] == runs["killed"][run]
        assert count["engage"] == runs["shots"][run]
        spent = events["cost_eur"][mine & (events["kind"] == kind["engage"])].sum()
        assert spent == pytest.approx(runs["defender_spend_eur"][run])
        times = events["time_s"][mine]
        assert np.all(np.diff(times) >= 0), "events are sorted by time within a run"


def test_two_jobs_give_identical_runs(serial, cli, tmp_path):
    out = tmp_path / "jobs2"
    result = cli("run", SCENARIO, "--runs", RUNS, "--seed", SEED, "--jobs", 2, "--out", out,
                 "--events")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert_same_table(serial / "runs.parquet", out / "runs.parquet")
    assert_same_table(serial / "events.parquet", out / "events.parquet")


@pytest.mark.slow
def test_dask_cluster_gives_identical_runs(serial, cli, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://")
        out = tmp_path / "dask"
        dask_address = address.replace("tcp://", "dask://", 1)
        result = cli("run", SCENARIO, "--runs", RUNS, "--seed", SEED, "--executor", dask_address,
                     "--out", out, "--events")  # fmt: skip
        assert result.exit_code == 0, result.stderr
        assert_same_table(serial / "runs.parquet", out / "runs.parquet")
        assert_same_table(serial / "events.parquet", out / "events.parquet")
        # the tcp:// form of the address works as well
        out_tcp = tmp_path / "tcp"
        result = cli("run", SCENARIO, "--runs", 3, "--seed", SEED, "--executor", address,
                     "--out", out_tcp)  # fmt: skip
        assert result.exit_code == 0, result.stderr
        tcp_runs = read_columns(out_tcp / "runs.parquet")
        serial_runs = read_columns(serial / "runs.parquet")
        for name, column in tcp_runs.items():
            np.testing.assert_array_equal(column, serial_runs[name][:3], err_msg=name)


def test_json_output(serial):
    doc = json.loads((serial.parent / "stdout.json").read_text())  # nothing else on stdout
    assert set(doc) >= {"runs", "seed", "metrics"}
    assert doc["runs"] == RUNS and doc["seed"] == SEED
    summary = json.loads((serial / "summary.json").read_text())
    for name in JSON_METRICS:
        entry = doc["metrics"][name]
        assert set(entry) >= {"mean", "ci_low", "ci_high"}
        assert entry["ci_low"] <= entry["mean"] <= entry["ci_high"]
        for key in ("mean", "ci_low", "ci_high"):  # same seed: the same numbers as the file
            assert math.isclose(entry[key], summary["metrics"][name][key], rel_tol=1e-12)
    runs = read_columns(serial / "runs.parquet")
    assert doc["metrics"]["launched"]["mean"] == pytest.approx(runs["launched"].mean())
    ratio = runs["defender_spend_eur"] / runs["attacker_spend_eur"]
    assert doc["metrics"]["cost_exchange_ratio"]["mean"] == pytest.approx(ratio.mean())


def test_different_seed_gives_different_runs(serial, cli, tmp_path):
    out = tmp_path / "other"
    result = cli("run", SCENARIO, "--runs", 3, "--seed", SEED + 1, "--out", out)
    assert result.exit_code == 0, result.stderr
    a, b = read_columns(serial / "runs.parquet"), read_columns(out / "runs.parquet")
    assert not np.array_equal(a["defender_spend_eur"][:3], b["defender_spend_eur"])


@pytest.mark.parametrize(
    ("args", "field"),
    [(("--runs", "0"), "runs"), (("--executor", "carrier-pigeon://x"), "executor")],
)
def test_bad_options_exit_2(cli, tmp_path, args, field):
    result = cli("run", "builtin:rzeszow_legacy", *args, "--out", tmp_path / "x")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert field in result.stderr


def test_zero_jobs_is_an_input_error():
    from leapsim.errors import InputError
    from leapsim.experiments.executors import make_executor

    with pytest.raises(InputError, match="jobs"):
        make_executor(None, 0)


def test_unknown_builtin_exits_2_with_hint(cli):
    result = cli("run", "builtin:rzeszow_leep", "--runs", 1)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert "rzeszow_leap" in result.stderr


@pytest.mark.slow
def test_demo_runs(cli, tmp_path):
    out = tmp_path / "demo"
    result = cli("demo", "--runs", 4, "--out", out)
    assert result.exit_code == 0, result.stderr
    for name in ("legacy", "leap"):
        runs = read_columns(out / name / "runs.parquet")
        np.testing.assert_array_equal(runs["run"], np.arange(4))
        summary = json.loads((out / name / "summary.json").read_text())
        assert summary["scenario"]["name"] == f"rzeszow_{name}"
        assert summary["runs"] == 4
    assert "legacy" in result.stdout and "LEAP" in result.stdout
    assert "cost-exchange ratio" in result.stdout
    legacy = read_columns(out / "legacy" / "runs.parquet")
    leap = read_columns(out / "leap" / "runs.parquet")
    # the same raid both ways: identical launches; LEAP pays less per night
    np.testing.assert_array_equal(legacy["launched"], leap["launched"])
    assert leap["defender_spend_eur"].mean() < legacy["defender_spend_eur"].mean()


def test_rerun_into_the_same_folder_leaves_no_stale_events(cli, tmp_path):
    """A study written over an older one must not keep the older study's events.parquet: the
    folder would then mix two studies (a report would read events of other runs)."""
    out = tmp_path / "study"
    first = cli("run", "builtin:rzeszow_legacy", "--runs", 3, "--seed", 1, "--out", out, "--events")
    assert first.exit_code == 0, first.stderr
    second = cli("run", "builtin:rzeszow_legacy", "--runs", 2, "--seed", 5, "--out", out)
    assert second.exit_code == 0, second.stderr
    assert json.loads((out / "summary.json").read_text())["seed"] == 5
    assert not (out / "events.parquet").exists(), "the previous study's events.parquet is left"


def test_run_and_campaign_commands_import_no_heavy_module():
    """Loading the command modules is cheap: the engine, numba, scipy, pyarrow, dask, the
    experiments layer and the report are imported by the commands that use them."""
    import subprocess
    import sys

    heavy = ("numba", "scipy", "pyarrow", "distributed", "leapsim.engine", "leapsim.experiments",
             "leapsim.report", "leapsim.campaign")  # fmt: skip
    code = (
        "import sys, leapsim.cli.run, leapsim.cli.campaign, leapsim.cli.study; "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def test_run_resumes_from_the_chunks_in_out_partial(cli, tmp_path):
    """``leapsim run`` takes finished replications from OUT/.partial: with all of them saved it
    needs no executor at all (an unreachable Dask address is never contacted), writes the same
    results as the study itself, and removes the folder."""
    from leapsim.engine import compile_scenario
    from leapsim.experiments import Checkpoint, NightTask, Study, run_study
    from leapsim.scenario import builtin_scenario

    out = tmp_path / "study"
    task = NightTask(compile_scenario(builtin_scenario("rzeszow_legacy")))
    saved = run_study(Study(task, 5, 7), checkpoint=Checkpoint(out / ".partial"))
    result = cli("run", "builtin:rzeszow_legacy", "--runs", 5, "--seed", 7, "--out", out,
                 "--executor", "dask://127.0.0.1:9", "--json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    runs = read_columns(out / "runs.parquet")
    for name, column in saved.tables["runs"].items():
        np.testing.assert_array_equal(runs[name], column, err_msg=name)
    assert json.loads((out / "replay.json").read_text()) == saved.documents["replay"][0]
    assert not (out / ".partial").exists()
