"""``leapsim warn`` end to end on the small study: plan, coverage, run with its results folder,
resume, JSON output and the report's early-warning view."""

from __future__ import annotations

import json
import re

import numpy as np
import pyarrow.parquet as pq
import pytest

from conftest import run_cli
from leapsim.report import build_report
from leapsim.warning.pipeline import load_or_plan, with_overrides
from test_report_browser import browser  # noqa: F401  (the headless Chromium fixture)
from warning_helpers import SMALL, small_model


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("warn") / "small"
    result = run_cli("warn", "run", SMALL, "--runs", "2", "--out", out, "--json", "--report")
    assert result.exit_code == 0, result.stderr
    return out, json.loads(result.stdout)


@pytest.mark.slow
def test_run_writes_the_results_folder_and_json(run_folder):
    out, doc = run_folder
    for name in ("summary.json", "plan.json", "runs.parquet", "drones.parquet", "scenario.json",
                 "coverage.json", "report.html"):  # fmt: skip
        assert (out / name).is_file(), name
    assert not (out / ".partial").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kind"] == "warning" and summary["runs"] == 2
    assert summary["sets"] == ["incursions", "short"]
    runs = pq.read_table(out / "runs.parquet").to_pydict()
    assert len(runs["run"]) == 3 * 2 * 2  # methods x sets x runs
    drones = pq.read_table(out / "drones.parquet").to_pydict()
    warned = np.array(drones["warned"], dtype=bool)
    confirmed = np.array(drones["confirmed_s"], dtype=float)
    deadline = np.array(drones["deadline_s"], dtype=float)
    np.testing.assert_array_equal(warned, np.isfinite(confirmed) & (confirmed <= deadline))
    for method, block in doc["measured"].items():
        share = block["incursions"]["share_warned"]
        rows = [
            r
            for r, m, s in zip(runs["share_warned"], runs["method"], runs["set"], strict=True)
            if m == method and s == "incursions"
        ]
        assert share["mean"] == pytest.approx(np.mean(rows))
    for row in doc["plan"]:
        assert row["cost_eur"] <= doc["budget_eur"] + 1e-6


def test_a_resumed_run_reuses_the_plan_of_the_same_model_only(run_folder):
    out, _ = run_folder
    model = small_model()
    stored = json.loads((out / "plan.json").read_text())
    assert load_or_plan(model, out) == stored
    other = with_overrides(model, budget_eur=90_000.0)
    assert load_or_plan(other, out)["key"] != stored["key"]


@pytest.mark.slow
def test_the_coverage_command_on_the_runs_plan(run_folder, tmp_path):
    out, doc = run_folder
    milp = next(r for r in doc["plan"] if r["method"] == "milp")
    assert milp["bound"] >= milp["planning_share"] - 1e-9
    grid = tmp_path / "grid.csv"
    cov = run_cli("warn", "coverage", SMALL, "--plan", out / "plan.json", "--altitude", "300",
                  "--out", grid, "--json")  # fmt: skip
    assert cov.exit_code == 0, cov.stderr
    stats = json.loads(cov.stdout)
    lines = grid.read_text().splitlines()
    assert lines[0] == "lat,lon,x_m,y_m,pd" and len(lines) == stats["points"] + 1
    pd = np.array([float(line.split(",")[-1]) for line in lines[1:]])
    assert pd.min() >= 0.0 and pd.max() <= 1.0 and pd.max() > 0.9
    bad = run_cli("warn", "coverage", SMALL, "--plan", out / "plan.json", "--method", "best")
    assert bad.exit_code == 2 and "'best' is not one of 'milp', 'greedy', 'uniform'" in bad.stderr


@pytest.mark.slow
def test_the_report_shows_the_early_warning_view(run_folder):
    out, doc = run_folder
    page = build_report([out])
    assert "Warned in time" in page and "MILP bound" in page
    assert "Warning-time distribution" in page
    assert len(re.findall(r'class="card map-card"', page)) >= 3  # base map + coverage maps
    assert not re.search(r'(src|href)="https?://', page)
    milp = doc["measured"]["milp"]["incursions"]["share_warned"]["mean"]
    assert f"{100 * milp:.3g}".rstrip("0").rstrip(".") in page


@pytest.mark.slow
@pytest.mark.browser
def test_the_early_warning_report_in_chromium(run_folder, browser, tmp_path):  # noqa: F811
    """Headless Chromium: no console errors, every chart drawn, the coverage maps show the
    coverage bands and the placement (switching the Pd layer off changes the picture)."""
    from test_report_browser import (
        CANVAS_SUM,
        _assert_charts_drawn,
        _console_errors,
        _open,
        _screenshot,
        _visible,
    )

    out, _ = run_folder
    _open(browser, out / "report.html")
    assert _console_errors(browser) == []
    _assert_charts_drawn(browser)
    cards = [c for c in _visible(browser, ".map-card") if "coverage at" in c.text]
    assert len(cards) >= 3
    canvas = cards[0].find_element("css selector", "canvas.map")
    before = browser.execute_script(CANVAS_SUM, canvas)
    switch = cards[0].find_element("css selector", 'input[data-layer^="overlay:pd-"]')
    browser.execute_script("arguments[0].click()", switch)
    assert browser.execute_script(CANVAS_SUM, canvas) != before
    assert _console_errors(browser) == []
    _screenshot(browser, tmp_path / "warning.png")
