"""``leapsim track`` and ``leapsim metrics ospa`` end to end, including bad input (exit 2)."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest


def write_scene(tmp_path, n=6, scans=25, with_z=True, seed=0):
    rng = np.random.default_rng(seed)
    start = np.column_stack([np.arange(n) * 1500.0, np.zeros(n), np.full(n, 300.0)])
    vel = np.column_stack([np.zeros(n), np.full(n, 25.0), np.zeros(n)])
    det, truth = [], []
    for t in range(scans):
        pos = start + t * vel
        for i, p in enumerate(pos):
            truth.append((t, i, *p))
            det.append((t, *(p + rng.normal(0, 10.0, 3))))
    cols = ["time", "x", "y", "z"] if with_z else ["time", "x", "y"]
    det = np.array(det)[:, : len(cols)]
    truth = np.array(truth)
    det_path, truth_path = tmp_path / "det.csv", tmp_path / "truth.csv"
    pacsv.write_csv(pa.table({c: det[:, i] for i, c in enumerate(cols)}), det_path)
    tcols = ["time", "target_id", "x", "y", "z"]
    pacsv.write_csv(pa.table({c: truth[:, i] for i, c in enumerate(tcols)}), truth_path)
    return det_path, truth_path


def test_track_then_ospa_json(cli, tmp_path):
    det, truth = write_scene(tmp_path)
    out = tmp_path / "tracks.csv"
    r = cli("track", det, "--out", out)
    assert r.exit_code == 0, r.stderr
    table = pacsv.read_csv(out)
    assert table.column_names == ["time", "track_id", "x", "y", "z", "vx", "vy", "vz"]
    last = table.filter(pc.equal(table["time"], 24.0))
    assert last.num_rows == 6  # every target tracked
    assert np.allclose(last["vy"].to_numpy(), 25.0, atol=4.0)
    r = cli("metrics", "ospa", "--truth", truth, "--tracks", out, "--c", "100", "--json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert {"ospa_mean", "per_time"} <= doc.keys() and doc["dimensions"] == 3
    assert len(doc["per_time"]) == 25
    assert doc["per_time"][0]["ospa"] == 100.0  # no confirmed track on the first scan
    assert max(e["ospa"] for e in doc["per_time"][3:]) < 30.0
    r = cli("metrics", "ospa", "--truth", truth, "--tracks", out)
    assert r.exit_code == 0 and "mean OSPA" in r.stdout


def test_parquet_2d_with_config_and_determinism(cli, tmp_path):
    det_csv, _ = write_scene(tmp_path, with_z=False)
    det = tmp_path / "det.parquet"
    pq.write_table(pacsv.read_csv(det_csv), det)
    cfg = tmp_path / "tracker.yaml"
    cfg.write_text("measurement_sigma_m: 10\nprocess_noise: [0.5]\nconfirm_m: 2\nconfirm_n: 3\n")
    outs = []
    for name in ("a.parquet", "b.parquet"):
        r = cli("track", det, "--out", tmp_path / name, "--config", cfg)
        assert r.exit_code == 0, r.stderr
        outs.append(pq.read_table(tmp_path / name))
    assert outs[0].equals(outs[1])
    assert np.all(outs[0]["z"].to_numpy() == 0.0)
    assert outs[0]["time"].to_numpy().min() == 1.0  # 2-of-3 confirms on the second scan


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("time,y\n0,1\n", ["det.csv:1", "'x'"]),
        ("time,x,y\n0,1,2\n1,nan,3\n", ["det.csv:3", "x"]),
        ("time,x,y\n0,1,2\n2,1,3\n1,1,3\n", ["det.csv:4", "time", "backwards"]),
        ("time,x,y\n0,1,2\n1,abc,3\n", ["det.csv", "x", "not numeric"]),
    ],
)
def test_bad_detection_files_exit_2_naming_column_and_row(cli, tmp_path, text, needles):
    det = tmp_path / "det.csv"
    det.write_text(text)
    r = cli("track", det, "--out", tmp_path / "t.csv")
    assert r.exit_code == 2
    assert "Traceback" not in r.stderr
    for needle in needles:
        assert needle in r.stderr
    assert not (tmp_path / "t.csv").exists()


def test_bad_config_and_metric_arguments_exit_2(cli, tmp_path):
    det, truth = write_scene(tmp_path, n=2, scans=4)
    cfg = tmp_path / "tracker.yaml"
    cfg.write_text("confirm_m: 3\ngate_probablity: 0.9\nconfirm_n: 2\n")
    r = cli("track", det, "--out", tmp_path / "t.csv", "--config", cfg)
    assert r.exit_code == 2
    assert "tracker.yaml:2: gate_probablity: unknown key" in r.stderr
    assert "did you mean 'gate_probability'" in r.stderr
    cfg.write_text("max_misses: 2\nconfirm_m: 3\nconfirm_n: 2\n")
    r = cli("track", det, "--out", tmp_path / "t.csv", "--config", cfg)
    assert r.exit_code == 2 and "tracker.yaml:3: confirm_n" in r.stderr
    cfg.write_text("confirm_m: 5\n")  # fuzz finding: above the default window of 4 scans
    r = cli("track", det, "--out", tmp_path / "t.csv", "--config", cfg)
    assert (
        r.exit_code == 2
        and "tracker.yaml:1: confirm_n: confirm_n must be at least confirm_m (5)" in r.stderr
    )
    cfg.write_text("initial_speed_sigma_mps: 1.34e+154\n")  # fuzz finding: its square overflowed
    r = cli("track", det, "--out", tmp_path / "t.csv", "--config", cfg)
    assert r.exit_code == 2 and "tracker.yaml:1: initial_speed_sigma_mps" in r.stderr
    cfg.write_text("coverage:\n  - {position_m: [0, 0], miss_range_m: 1000}\n")
    r = cli("track", det, "--out", tmp_path / "t.csv", "--config", cfg)
    assert r.exit_code == 2 and "tracker.yaml:2: coverage[0].position_m" in r.stderr
    cfg.write_text("max_position_sigma_m: -5\n")
    r = cli("track", det, "--out", tmp_path / "t.csv", "--config", cfg)
    assert r.exit_code == 2 and "tracker.yaml:1: max_position_sigma_m" in r.stderr
    r = cli("metrics", "ospa", "--truth", truth, "--tracks", truth, "--c", "0")
    assert r.exit_code == 2 and "--c" in r.stderr
    bad_truth = tmp_path / "bad_truth.csv"
    bad_truth.write_text("time,target_id,x,y\n0,0,1,2\n0,1.5,1,2\n")
    r = cli("metrics", "ospa", "--truth", bad_truth, "--tracks", truth)
    assert r.exit_code == 2 and "bad_truth.csv:3" in r.stderr and "target_id" in r.stderr


def test_detection_covariances_and_coverage(cli, tmp_path):
    """Per-detection covariance columns replace measurement_sigma_m; a sensor id without a
    coverage entry, a partial or non-positive-definite covariance exits 2 naming the row."""
    det, _ = write_scene(tmp_path, n=3, scans=8)
    table = pacsv.read_csv(det)
    k = table.num_rows
    cols = {"cov_xx": 400.0, "cov_xy": 0.0, "cov_xz": 0.0, "cov_yy": 100.0, "cov_yz": 0.0,
            "cov_zz": 100.0}  # fmt: skip
    with_cov = table
    for name, value in cols.items():
        with_cov = with_cov.append_column(name, pa.array(np.full(k, value)))
    with_cov = with_cov.append_column("sensor", pa.array(np.zeros(k, np.int64)))
    path = tmp_path / "cov.csv"
    pacsv.write_csv(with_cov, path)
    cfg = tmp_path / "tracker.yaml"
    cfg.write_text("coverage:\n  - {position_m: [0, 0, 0], miss_range_m: 50000}\n")
    r = cli("track", path, "--out", tmp_path / "t.csv", "--config", cfg)
    assert r.exit_code == 0, r.stderr
    assert pacsv.read_csv(tmp_path / "t.csv").num_rows > 0
    bad_sensor = with_cov.set_column(
        with_cov.column_names.index("sensor"), "sensor", pa.array(np.r_[np.zeros(k - 1), 1])
    )
    pacsv.write_csv(bad_sensor, path)
    cfg.write_text("coverage:\n  - {position_m: [0, 0, 0], miss_range_m: 50000}\n")
    r = cli("track", path, "--out", tmp_path / "t.csv", "--config", cfg)
    assert r.exit_code == 2 and f"cov.csv:{k + 1}" in r.stderr and "sensor" in r.stderr
    negative = with_cov.set_column(
        with_cov.column_names.index("sensor"), "sensor", pa.array(np.r_[-1, np.zeros(k - 1)])
    )
    pacsv.write_csv(negative, path)
    r = cli("track", path, "--out", tmp_path / "t.csv")
    assert r.exit_code == 2 and "cov.csv:2" in r.stderr and "negative" in r.stderr
    partial = with_cov.drop_columns(["cov_yz"])
    pacsv.write_csv(partial, path)
    r = cli("track", path, "--out", tmp_path / "t.csv")
    assert r.exit_code == 2 and "cov_yz" in r.stderr
    not_pd = with_cov.set_column(
        with_cov.column_names.index("cov_xy"),
        "cov_xy",
        pa.array(np.r_[np.zeros(k - 2), 500.0, 0.0]),
    )
    pacsv.write_csv(not_pd, path)
    r = cli("track", path, "--out", tmp_path / "t.csv")
    assert r.exit_code == 2 and f"cov.csv:{k}" in r.stderr and "positive definite" in r.stderr
