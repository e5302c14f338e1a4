"""Confidence intervals stay in the metric's domain (issue 18): Student-t on the mean cut to
[0, ∞) for counts and costs, [0, 1] for rates, [1, N + 1] for horizon nights; none below two
runs; the Student-t interval itself wherever it is away from the bounds (docs/results.md)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from leapsim.engine import compile_scenario
from leapsim.experiments import CampaignTask, NightTask, Study, mean_ci, run_study
from leapsim.experiments.campaign_store import campaign_summary
from leapsim.experiments.stats import NON_NEGATIVE, UNIT_INTERVAL, mean_ci_columns
from leapsim.experiments.store import night_summary
from leapsim.scenario import builtin_scenario, load_scenario
from leapsim.threats import load_default_threat_model
from test_campaign import make_job, two_site_scenario, write_yaml


def domain(name: str) -> tuple[float, float]:
    """The domains of docs/results.md, written out independently of the code."""
    return (0.0, 1.0) if name.split(".")[0] == "leak_rate" else (0.0, math.inf)


def assert_inside(entry: dict, low: float, high: float, name: str) -> None:
    if entry["ci_low"] is None:
        assert entry["ci_high"] is None and (entry["mean"] is None or entry["n"] < 2), name
        return
    assert low <= entry["ci_low"] <= entry["mean"] <= entry["ci_high"] <= high, (name, entry)


def student_t(x: np.ndarray) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    if x.std() == 0:
        return x.mean(), x.mean()
    return stats.t.interval(0.95, x.size - 1, loc=x.mean(), scale=stats.sem(x))


@pytest.mark.parametrize(
    ("scenario", "runs"), [("rzeszow_leap", 1), ("rzeszow_leap", 2), ("rzeszow_legacy", 40)]
)
def test_every_night_interval_lies_in_its_metric_domain(scenario, runs):
    night = NightTask(compile_scenario(builtin_scenario(scenario)))
    result = run_study(Study(night, runs, 4))
    summary = night_summary(result, f"builtin:{scenario}")
    for name, entry in {**summary["metrics"], **summary["columns"]}.items():
        assert_inside(entry, *domain(name), name)
        if runs == 1:
            assert entry["ci_low"] is None  # too few runs: no interval, not a zero-width one
    if runs == 2:  # the case of the issue: Student-t alone goes below zero, the interval stops
        columns = result.tables["runs"]
        below = [n for n in summary["metrics"] if student_t(columns[n].astype(float))[0] < 0]
        assert "value_lost_eur" in below
        assert all(summary["metrics"][n]["ci_low"] == 0 for n in below)


@pytest.mark.parametrize("runs", [2, 12])
def test_every_campaign_interval_lies_in_its_domain(tmp_path, runs):
    params = compile_scenario(load_scenario(write_yaml(tmp_path / "s.yaml", two_site_scenario())))
    job = make_job(params, load_default_threat_model(), 4, scale=0.05)
    summary = campaign_summary(run_study(Study(CampaignTask(job), runs, 3)), "s.yaml", None)
    for name, entry in {**summary["metrics"], **summary["columns"]}.items():
        assert_inside(entry, *domain(name), name)
    horizon = summary["horizon"]
    for name, entry in [
        *horizon["layer_exhausted"].items(),
        ("leak", horizon["leakage_threshold"]),
    ]:
        assert_inside(entry, 1, 4 + 1, name)  # nights 1 … N, or N + 1 if it never happens
    for name, series in summary["per_night"].items():
        low, high = domain(name)
        for lo, mean, hi in zip(series["ci_low"], series["mean"], series["ci_high"], strict=True):
            if lo is not None:
                assert low <= lo <= mean <= hi <= high, name


values = st.floats(0, 1e12, allow_nan=False) | st.sampled_from([0.0, 0.0, 1e9])


@settings(max_examples=300, deadline=None)
@given(st.lists(values, max_size=40), st.lists(st.floats(0, 1), max_size=40))
def test_interval_never_leaves_the_domain_and_holds_the_mean(costs, rates):
    for x, (low, high) in ((costs, NON_NEGATIVE), (rates, UNIT_INTERVAL)):
        entry = mean_ci(np.array(x), (low, high))
        assert entry["n"] == len(x)
        if len(x) < 2:
            assert entry["ci_low"] is None and entry["ci_high"] is None
        else:
            assert low <= entry["ci_low"] <= entry["mean"] <= entry["ci_high"] <= high


@pytest.mark.parametrize("seed", range(3))
def test_large_n_is_the_student_t_interval(seed):
    """Away from the bounds nothing is cut: 1000 runs of a cost-like value give Student-t."""
    x = np.random.default_rng(seed).lognormal(np.log(5e8), 0.3, size=1000)
    entry = mean_ci(x, NON_NEGATIVE)
    low, high = student_t(x)
    assert entry["ci_low"] == pytest.approx(low, rel=1e-9)
    assert entry["ci_high"] == pytest.approx(high, rel=1e-9)
    assert (high - low) / entry["mean"] < 0.05  # a real interval, not a degenerate one


def test_cutting_to_the_domain_keeps_the_coverage_of_student_t():
    """The true mean lies in the domain, so the cut interval holds it exactly when Student-t
    does: on 2000 tiny skewed samples (3 runs, most of them zero) the two cover alike."""
    rng = np.random.default_rng(7)
    true_mean = 0.3 * 2.0  # 30 % of nights lose an exponential(2) value
    samples = rng.exponential(2.0, (2000, 3)) * (rng.random((2000, 3)) < 0.3)
    cut = mean_ci_columns(samples.T, NON_NEGATIVE)
    plain = mean_ci_columns(samples.T)
    covered = (cut["ci_low"] <= true_mean) & (true_mean <= cut["ci_high"])
    np.testing.assert_array_equal(
        covered, (plain["ci_low"] <= true_mean) & (true_mean <= plain["ci_high"])
    )
    assert (plain["ci_low"] < 0).mean() > 0.5 and (cut["ci_low"] >= 0).all()


def test_differences_keep_an_unbounded_interval():
    """A paired difference (common random numbers) can be negative: the default domain."""
    entry = mean_ci(np.array([-3.0, 1.0, -2.0, 0.5]))
    assert entry["ci_low"] < entry["mean"] < 0 < entry["ci_high"]


def test_columns_ignore_nans_like_mean_ci():
    grid = np.array([[1.0, np.nan, 0.2], [3.0, np.nan, np.nan], [2.0, 5.0, 0.4]])
    columns = mean_ci_columns(grid, NON_NEGATIVE)
    for j in range(3):
        one = mean_ci(grid[:, j], NON_NEGATIVE)
        for key in ("mean", "ci_low", "ci_high"):
            v = columns[key][j]
            assert (one[key] is None and math.isnan(v)) or one[key] == pytest.approx(v)


def test_one_run_shows_too_few_runs_everywhere(cli, tmp_path):
    """No zero-width interval from one run: the table, --json and the report say so."""
    out = tmp_path / "one"
    shown = cli("run", "builtin:rzeszow_legacy", "--runs", 1, "--out", out, "--report")
    assert shown.exit_code == 0, shown.stderr
    assert "too few runs for a CI" in shown.stdout
    assert "too few runs" in (out / "report.html").read_text(encoding="utf-8")
    as_json = cli("run", "builtin:rzeszow_legacy", "--runs", 1, "--json")
    entry = json.loads(as_json.stdout)["metrics"]["value_lost_eur"]
    assert entry["mean"] > 0 and entry["ci_low"] is None and entry["ci_high"] is None
