"""``leapsim hindcast`` and ``leapsim calibrate`` on small synthetic report files: the results
folders, determinism across executors, resume, parameter recovery and bad input."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from leapsim.experiments import Checkpoint, LocalExecutor, run_study
from leapsim.scenario import load_scenario
from leapsim.validation.calibration import calibrate
from leapsim.validation.hindcast import hindcast_study
from leapsim.validation.replay import build_plan
from leapsim.validation.synthetic import write_synthetic_reports
from leapsim.validation.window import reported_window
from test_resume import Interrupted, StopAfter

SMALL = Path(__file__).parent / "validation" / "small_theatre.yaml"
TRUE_VALUES = (0.35, 0.6)  # mfg_pk, patriot_pk_ballistic
NIGHTS_COLUMNS = ["night", "family", "launched", "neutralised_reported", "neutralised_sim_mean",
                  "neutralised_sim_p05", "neutralised_sim_p95"]  # fmt: skip


@pytest.fixture(scope="module")
def small():
    return load_scenario(SMALL)


@pytest.fixture(scope="module")
def reports(small, tmp_path_factory) -> Path:
    """30 synthetic nights from 2025-03-01 of the small theatre at the true values."""
    path = tmp_path_factory.mktemp("reports") / "synthetic.csv"
    launches = {"Shahed-136/131": 40, "Iskander-M": 4}
    write_synthetic_reports(path, small, TRUE_VALUES, dt.date(2025, 3, 1), 30, launches, seed=7)
    return path


def _plan(small, reports, until="2025-03-30"):
    window = reported_window(reports, np.datetime64("2025-03-01"), np.datetime64(until))
    return build_plan(small, window)


def test_hindcast_writes_the_nights_table_and_summary(cli, reports, tmp_path):
    out = tmp_path / "hindcast"
    result = cli("hindcast", SMALL, "--reports", reports, "--since", "2025-03", "--until",
                 "2025-03", "--runs", 3, "--seed", 4, "--out", out, "--report")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    html = (out / "report.html").read_text()
    for text in ("Neutralised share per month: drone", "Per-night residuals: ballistic missile",
                 "not independent measurements", 'data-name="hindcast-drone"'):  # fmt: skip
        assert text in html, text
    table = pq.read_table(out / "nights.parquet")
    assert table.column_names == NIGHTS_COLUMNS
    nights = table.to_pydict()
    assert set(nights["family"]) == {"drone", "ballistic_missile"}
    assert nights["night"][0] == "2025-03-01"
    low, mean = np.array(nights["neutralised_sim_p05"]), np.array(nights["neutralised_sim_mean"])
    high, launched = np.array(nights["neutralised_sim_p95"]), np.array(nights["launched"])
    assert np.all((low >= 0) & (low <= mean) & (mean <= high) & (high <= launched))
    summary = json.loads((out / "summary.json").read_text())
    drone = summary["families"]["drone"]
    assert drone["window"]["launched"] == sum(
        n for n, f in zip(nights["launched"], nights["family"], strict=True) if f == "drone"
    )
    assert drone["months"]["2025-03"]["reported"] == pytest.approx(drone["window"]["reported"])
    assert {"window_abs_error_pp", "months_inside_90", "night_residual_mean_pp"} <= set(
        drone["errors"]
    )
    assert "not independent" in summary["caveat"]
    assert not (out / ".partial").exists()


@pytest.mark.slow
def test_same_seed_same_nights_on_the_pool_and_on_dask(cli, reports, tmp_path):
    distributed = pytest.importorskip("distributed")
    args = ("hindcast", SMALL, "--reports", reports, "--since", "2025-03", "--until", "2025-03",
            "--runs", 4, "--seed", 9)  # fmt: skip
    assert cli(*args, "--out", tmp_path / "one").exit_code == 0
    assert cli(*args, "--jobs", 2, "--out", tmp_path / "pool").exit_code == 0
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address.replace("tcp://", "dask://", 1)
        result = cli(*args, "--executor", address, "--out", tmp_path / "dask")
        assert result.exit_code == 0, result.stderr
    one = pq.read_table(tmp_path / "one" / "nights.parquet")
    assert one.equals(pq.read_table(tmp_path / "pool" / "nights.parquet"))
    assert one.equals(pq.read_table(tmp_path / "dask" / "nights.parquet"))


def test_killed_hindcast_resumes(small, reports, tmp_path):
    plan = _plan(small, reports, until="2025-03-06")
    study = hindcast_study(plan, 4, 2)
    partial = Checkpoint(tmp_path / ".partial")
    with pytest.raises(Interrupted):
        run_study(study, StopAfter(2), partial)
    ran = []
    resumed = run_study(study, LocalExecutor(1), partial, lambda n: ran.append(n))
    fresh = run_study(study)
    assert sum(ran) == 4 and len(list((tmp_path / ".partial").glob("chunk-*.pkl"))) == 4
    for column, values in fresh.tables["nights"].items():
        np.testing.assert_array_equal(resumed.tables["nights"][column], values)


def test_killed_calibration_resumes(small, reports, tmp_path):
    logging.getLogger("emcee").setLevel(logging.ERROR)
    plan = _plan(small, reports, until="2025-03-08")
    partial = Checkpoint(tmp_path / ".partial")
    with pytest.raises(Interrupted):
        calibrate(small, plan, 5, 8, StopAfter(3), partial, mcmc_steps=300)
    assert len(list((tmp_path / ".partial").glob("chunk-*.pkl"))) == 3
    resumed = calibrate(small, plan, 5, 8, LocalExecutor(1), partial, mcmc_steps=300)
    fresh = calibrate(small, plan, 5, 8, mcmc_steps=300)
    np.testing.assert_array_equal(resumed.simulated, fresh.simulated)
    np.testing.assert_array_equal(resumed.posterior_theta, fresh.posterior_theta)


@pytest.mark.slow
def test_calibrate_recovers_known_parameters(cli, reports, tmp_path):
    """Synthetic reports from known parameters: each lies inside its 90 % interval, and the
    calibrated scenario loads with them and a posterior sample."""
    out = tmp_path / "calibration"
    result = cli("calibrate", SMALL, "--reports", reports, "--since", "2025-03", "--until",
                 "2025-03", "--design", 16, "--seed", 2, "--jobs", 2, "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    report = json.loads((out / "calibration.json").read_text())
    for name, truth in zip(("mfg_pk", "patriot_pk_ballistic"), TRUE_VALUES, strict=True):
        p = report["parameters"][name]
        assert p["p05"] <= truth <= p["p95"], (name, p)
        assert p["p95"] - p["p05"] < 0.5 * (p["prior"][1] - p["prior"][0])  # informative
    calibrated = load_scenario(out / "calibrated.yaml")
    pk = calibrated.catalogue.effector_types["mobile_fire_group"].pk["drone"]
    assert pk == pytest.approx(report["parameters"]["mfg_pk"]["value"], rel=1e-6)
    assert len(calibrated.scenario.calibration.posterior) == 200
    # one month: the engine's dispersion is the only estimate, so nothing extra is carried
    assert report["dispersion"]["drone"]["reported_months"] is None
    assert calibrated.scenario.calibration.extra_dispersion == {
        "drone": 0.0,
        "ballistic_missile": 0.0,
    }
    assert pq.read_table(out / "design.parquet").num_rows == 16
    assert cli("report", out, "--out", tmp_path / "cal.html").exit_code == 0
    html = (tmp_path / "cal.html").read_text()
    assert "Calibrated parameters" in html and "patriot_pk_ballistic" in html


def test_bad_input_gets_clear_errors(cli, reports, tmp_path):
    base = ("--reports", reports, "--since", "2025-03", "--until", "2025-03", "--out", tmp_path)
    no_outcomes = tmp_path / "no_outcomes.csv"
    no_outcomes.write_text(reports.read_text().replace(",destroyed,", ",shot_down,"))
    result = cli("hindcast", SMALL, *base[:1], no_outcomes, *base[2:], "--runs", 2)
    assert result.exit_code == 2
    assert "no_outcomes.csv:1: destroyed: missing column(s) 'destroyed'" in result.stderr
    result = cli("hindcast", SMALL, "--reports", reports, "--since", "2024-01", "--until",
                 "2024-02", "--runs", 2, "--out", tmp_path)  # fmt: skip
    assert result.exit_code == 2 and "no reports between" in result.stderr
    result = cli("calibrate", "builtin:rzeszow_leap", *base)
    assert result.exit_code == 2 and "declares no calibration parameters" in result.stderr
    result = cli("hindcast", "builtin:rzeszow_leap", *base, "--runs", 2)
    assert result.exit_code == 2 and "has no replay section" in result.stderr
    result = cli("hindcast", SMALL, *base, "--runs", 0)
    assert result.exit_code == 2 and "'--runs'" in result.stderr
    assert "greater than or equal to 1" in result.stderr
    assert "Traceback" not in result.stderr


def test_validation_commands_import_no_heavy_module():
    """The hindcast and calibrate command module loads without the engine, numpy-heavy layers,
    scipy, pyarrow or emcee: they are imported inside the commands."""
    import subprocess
    import sys

    heavy = ("numba", "scipy", "pyarrow", "emcee", "distributed", "leapsim.engine",
             "leapsim.experiments", "leapsim.validation", "leapsim.report")  # fmt: skip
    code = (
        "import sys, leapsim.cli.validation; "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)  # fmt: skip
    assert loaded.stdout.strip() == "[]"
