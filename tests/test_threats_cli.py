"""``leapsim threat fit`` and ``leapsim threat sample`` as a user runs them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from leapsim.threats import FAMILIES, load_threat_model

HEADER = "time_start,time_end,model,target,launched,destroyed,not_reach_goal,is_shahed,source\n"


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    """Sixty hand-made nights: drones every night but one, cruise missiles on big nights."""
    rng = np.random.default_rng(1)
    lines = [HEADER]
    for i in range(60):
        day = dt.date(2025, 9, 1) + dt.timedelta(days=i)
        span = f"{day} 18:00,{day + dt.timedelta(days=1)} 08:00"
        if i == 30:
            continue
        drones = int(rng.negative_binomial(4, 4 / (4 + 120)) + 1)
        real = int(0.6 * drones)
        lines.append(f"{span},Shahed-136/131,Ukraine,{drones},{drones - 5},0,{real},kpszsu/p\n")
        if drones > 180:
            lines.append(f"{span},X-101/X-555 and Kalibr,Ukraine,{drones // 20},3,,,kpszsu/p\n")
        if i % 3 == 0:
            lines.append(f"{span},Iskander-M,Ukraine,2,1,,,kpszsu/p\n")
    path = tmp_path / "reports.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_fit_then_sample(cli, reports: Path, tmp_path: Path):
    model_path = tmp_path / "model.yaml"
    result = cli("threat", "fit", reports, "--since", "2025-09", "--until", "2025-10-20",
                 "--out", model_path)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    model = load_threat_model(model_path)
    assert str(model.fit.window_start) == "2025-09-01"
    assert str(model.fit.window_end) == "2025-10-20"
    assert model.fit.nights == 50 and model.fit.shahed_attack_nights == 49
    assert "shahed_type" in result.stdout and "cruise_missile" in result.stdout
    assert "Petro Ivaniuk" in model_path.read_text(encoding="utf-8")

    out = tmp_path / "raids.csv"
    result = cli("threat", "sample", model_path, "--nights", "30", "--seed", "3", "--out", out)
    assert result.exit_code == 0, result.stderr
    table = pacsv.read_csv(out)
    assert table.column_names == ["night", *FAMILIES]
    assert table.num_rows == 30
    assert table.column("night").to_pylist() == list(range(1, 31))  # numbered from 1


def test_sample_default_table_and_parquet(cli, tmp_path: Path):
    result = cli("threat", "sample", "default", "--nights", "4", "--seed", "5")
    assert result.exit_code == 0, result.stderr
    assert "total" in result.stdout and "ballistic_missile" in result.stdout
    out = tmp_path / "raids.parquet"
    result = cli("threat", "sample", "default", "--nights", "90", "--seed", "5", "--out", out,
                 "--threat-scale", "0.5")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    table = pq.read_table(out)
    assert table.num_rows == 90 and table.column_names == ["night", *FAMILIES]


def test_malformed_report_exits_2_naming_row_and_column(cli, tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER
        + "2025-09-05 18:00,2025-09-06 09:00,Shahed-136/131,Ukraine,91,68,0,50,kpszsu/b\n"
        + "2025-09-06 18:00,2025-09-07 09:00,Kalibr,Ukraine,lots,0,,,kpszsu/b\n",
        encoding="utf-8",
    )
    result = cli("threat", "fit", bad, "--out", tmp_path / "m.yaml")
    assert result.exit_code == 2
    assert f"{bad}:3: launched:" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "m.yaml").exists()


def test_bad_arguments_exit_2(cli, reports: Path, tmp_path: Path):
    result = cli("threat", "fit", reports, "--since", "Sept 2025", "--out", tmp_path / "m.yaml")
    assert result.exit_code == 2 and "--since" in result.stderr
    bad_model = tmp_path / "bad.yaml"
    bad_model.write_text("format: leapsim-threat-model\nshahed_typo: 1\n", encoding="utf-8")
    result = cli("threat", "sample", bad_model, "--nights", "3", "--seed", "1")
    assert result.exit_code == 2
    assert f"{bad_model}:2: shahed_typo: unknown key" in result.stderr
    result = cli("threat", "sample", "default", "--nights", "3", "--seed", "1",
                 "--out", tmp_path / "raids.xlsx")  # fmt: skip
    assert result.exit_code == 2 and ".csv or .parquet" in result.stderr
