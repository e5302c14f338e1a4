"""``leapsim campaign``: results folder, JSON, determinism across workers, and bad input (exit 2
with file:line)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from leapsim.campaign import load_campaign_config
from leapsim.engine import compile_scenario
from leapsim.errors import InputError
from leapsim.scenario import load_scenario
from test_campaign import two_site_scenario, write_yaml

SMALL = ("--threat-scale", "0.05", "--seed", "4")


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    return write_yaml(tmp_path_factory.mktemp("cli") / "two_sites.yaml", two_site_scenario())


CONFIG = """\
pooling: shared
depot_loads: 0.5
losses:
  target_fraction: 0.3
munitions:
  camp_gun:
    depot: {PL: 5, DE: 30}
    production:
      rate_per_month: 30
      lead_time_days: 1
      learning_rate: 0.8
"""


def test_campaign_writes_the_results_folder_and_json(cli, scenario_file, tmp_path):
    config = tmp_path / "campaign.yaml"
    config.write_text(CONFIG)
    out = tmp_path / "out"
    result = cli(
        "campaign",
        scenario_file,
        "--nights",
        "3",
        "--runs",
        "2",
        *SMALL,
        "--config",
        config,
        "--out",
        out,
        "--json",
        "--report",
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["runs"] == 2 and doc["nights"] == 3 and doc["pooling"] == "shared"
    assert set(doc["horizon"]["layer_exhausted"]) == {"camp_gun"}
    assert doc["unmodelled_families"] == ["ballistic_missile", "other"]
    assert 0.0 <= doc["horizon"]["sustainability"]["reached"] <= 1.0
    nights = pq.read_table(out / "nights.parquet").to_pydict()
    assert nights["run"] == [0, 0, 0, 1, 1, 1] and nights["night"] == [1, 2, 3] * 2
    for column in (
        "raid_size",
        "leaked",
        "value_lost_eur",
        "defender_spend_eur",
        "attacker_spend_eur",
        "stock.camp_gun",
        "delivered.camp_gun",
        "fired.camp_gun",
        "lost.camp_gun",
        "launched.drone",
        "unmodelled.other",
        "cumulative_cost_exchange_ratio",
    ):
        assert column in nights
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kind"] == "campaign" and summary["config"]["file"] == str(config)
    assert summary["munitions"]["camp_gun"]["initial_depot"] == {"DE": 30, "PL": 5}
    assert len(summary["per_night"]["stock.camp_gun"]["mean"]) == 3
    assert (out / "scenario.json").is_file() and (out / "report.html").is_file()
    assert not (out / ".partial").exists()


def test_one_and_two_workers_write_identical_nights(cli, scenario_file, tmp_path):
    tables = []
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}"
        result = cli(
            "campaign",
            scenario_file,
            "--nights",
            "4",
            "--runs",
            "3",
            *SMALL,
            "--jobs",
            jobs,
            "--out",
            out,
            "--json",
        )
        assert result.exit_code == 0, result.stderr
        tables.append(pq.read_table(out / "nights.parquet"))
    assert tables[0].column_names == tables[1].column_names
    for name in tables[0].column_names:
        np.testing.assert_array_equal(
            tables[0].column(name).to_numpy(), tables[1].column(name).to_numpy()
        )


def test_terminal_summary(cli, scenario_file):
    result = cli(
        "campaign", scenario_file, "--nights", "2", "--runs", "2", *SMALL, "--pooling", "shared"
    )
    assert result.exit_code == 0, result.stderr
    for text in (
        "shared pooling",
        "Sustainability horizon",
        "camp_gun exhausted",
        "unmodelled families",
        "2 runs × 2 nights",
    ):
        assert text in result.stdout


def test_bad_config_exits_2_naming_file_and_line(cli, scenario_file, tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("pooling: shared\nmunitions:\n  camp_gn:\n    standardised: false\n")
    result = cli("campaign", scenario_file, "--nights", "2", "--config", config)
    assert result.exit_code == 2
    assert f"{config}:3: munitions.camp_gn" in result.stderr
    assert "did you mean 'camp_gun'?" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--nights", "0"), "--nights"),
        (("--nights", "2", "--pooling", "pooled"), "'pooled' is not one of 'national', 'shared'"),
        (("--nights", "2", "--threat-model", "nowhere.yaml"), "nowhere.yaml: file not found"),
    ],
)
def test_bad_options_exit_2(cli, scenario_file, args, message):
    result = cli("campaign", scenario_file, *args)
    assert result.exit_code == 2 and message in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("--nights", "4000"), "--nights"),
        (("--nights", "2", "--runs", "0"), "--runs"),
        (("--nights", "2", "--threat-scale", "-1"), "--threat-scale"),
        (("--nights", "2", "--threat-scale", "inf"), "--threat-scale"),
        (("--nights", "2", "--threat-scale", "1e6"), "--threat-scale"),
        (("--nights", "2", "--seed", "-1"), "--seed"),
    ],
)
def test_options_out_of_range_exit_2_before_any_work(cli, scenario_file, args, option):
    result = cli("campaign", scenario_file, *args)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("error: ") and option in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def params(scenario_file):
    return compile_scenario(load_scenario(scenario_file))


@pytest.mark.parametrize(
    ("text", "line", "field", "hint"),
    [
        ("poolng: shared\n", 1, "poolng", "did you mean 'pooling'?"),
        ("pooling: pooled\n", 1, "pooling", "'national' or 'shared'"),
        ("losses:\n  kill_probability: 1.5\n", 2, "losses.kill_probability", "out of range"),
        (
            "munitions:\n  camp_gun:\n    depot: {PL: 3, FR: 2}\n",
            3,
            "munitions.camp_gun.depot.FR",
            "camp_gun units belong to: DE, PL",
        ),
        (
            "munitions:\n  camp_jammer:\n    production: {rate_per_month: 5}\n",
            3,
            "munitions.camp_jammer.production",
            "set consumable: true",
        ),
        (
            "munitions:\n  camp_gun:\n    production:\n      rate_per_month: 5\n"
            "      learning_rate: 1.2\n",
            5,
            "munitions.camp_gun.production.learning_rate",
            "out of range",
        ),
        (
            "munitions:\n  camp_gun:\n    production: {rate_per_month: 5, shares: {UK: 1}}\n",
            3,
            "munitions.camp_gun.production.shares.UK",
            "belong to",
        ),
        ("pooling: shared\n  depot_loads: 1\n", 2, None, "invalid YAML"),
    ],
)
def test_config_errors_name_line_field_and_fix(params, tmp_path, text, line, field, hint):
    path = tmp_path / "campaign.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_campaign_config(path, params)
    problem = info.value.problems[0]
    assert problem.file == str(path) and problem.line == line
    assert problem.field == field
    assert hint in str(problem)


def test_empty_config_means_defaults(params, tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing set\n")
    config = load_campaign_config(path, params)
    assert config.pooling == "national" and config.depot_loads == 1.0
    assert config.losses.target_fraction == 0.02 and config.horizon.leak_rate == 0.2
