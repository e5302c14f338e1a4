"""Golden results: refactors of the engine, the experiments layer and the CLI must not change what
a study computes. For fixed seeds, the per-run results of the demo scenarios, the examples, a
``wta`` night and a campaign are compared with values recorded before the refactors
(``tests/golden/results.json``; events as per-column SHA-256 digests).

Bit-identical is the rule on a machine with the CPU features of the recording (numpy picks SIMD
kernels for exp, sin, … by CPU, and those may differ in the last bit between instruction sets).
Elsewhere floats are compared to 1e-9 relative and the event digests are not compared.

Re-record only when a change of the model is intended, and say so in the commit:
``LEAPSIM_RECORD_GOLDEN=1 pytest tests/test_golden.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from conftest import REPO, run_cli

GOLDEN = Path(__file__).parent / "golden"
RECORD = GOLDEN / "results.json"
SEED = 11
NIGHTS = {  # name: (scenario, runs)
    "rzeszow_legacy": ("builtin:rzeszow_legacy", 12),
    "rzeszow_leap": ("builtin:rzeszow_leap", 12),
    "rzeszow_leap_wta": (str(GOLDEN / "rzeszow_leap_wta.yaml"), 4),
    "gdansk_port": (str(REPO / "examples" / "gdansk_port.yaml"), 12),
    "new_effector": (str(REPO / "examples" / "new_effector.yaml"), 12),
    "saturation_night": (str(REPO / "examples" / "saturation_night.yaml"), 6),
}
CAMPAIGN = ("builtin:rzeszow_leap", "--nights", "6", "--runs", "3")

pytestmark = pytest.mark.slow


def cpu_key() -> str:
    """The machine and the numpy SIMD features that can change floating-point results."""
    from numpy._core._multiarray_umath import __cpu_features__ as features

    return platform.machine() + ":" + ",".join(sorted(k for k, on in features.items() if on))


def read_columns(path: Path) -> dict[str, np.ndarray]:
    table = pq.read_table(path)
    return {name: table.column(name).to_numpy() for name in table.column_names}


def digest(values: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()


def as_json(values: np.ndarray) -> list:
    """Exact JSON form: ints as ints, floats by repr (round-trips), NaN as null."""
    if values.dtype.kind in "iub":
        return values.astype(np.int64).tolist()
    return [None if np.isnan(v) else float(v) for v in values.astype(float)]


def from_json(values: list, kind: str) -> np.ndarray:
    if kind in "iub":
        return np.array(values, np.int64)
    return np.array([np.nan if v is None else v for v in values], float)


def compute(tmp: Path) -> dict:
    """Run every golden study through the CLI; return the record."""
    record: dict = {"seed": SEED, "cpu": cpu_key(), "studies": {}}
    for name, (scenario, runs) in NIGHTS.items():
        out = tmp / name
        result = run_cli("run", scenario, "--runs", runs, "--seed", SEED, "--jobs", 1,
                         "--out", out, "--events", "--json")  # fmt: skip
        assert result.exit_code == 0, result.stderr
        runs_cols = read_columns(out / "runs.parquet")
        events = read_columns(out / "events.parquet")
        record["studies"][name] = {
            "columns": {
                k: {"kind": v.dtype.kind, "values": as_json(v)} for k, v in runs_cols.items()
            },
            "events": {k: digest(v) for k, v in events.items() if v.dtype.kind in "iufb"},
            "event_rows": int(next(iter(events.values())).size),
        }
    out = tmp / "campaign"
    result = run_cli("campaign", *CAMPAIGN, "--seed", SEED, "--out", out, "--json")
    assert result.exit_code == 0, result.stderr
    cols = read_columns(out / "nights.parquet")
    record["studies"]["campaign"] = {
        "columns": {k: {"kind": v.dtype.kind, "values": as_json(v)} for k, v in cols.items()},
        "events": {},
        "event_rows": 0,
    }
    return record


@pytest.fixture(scope="module")
def current(tmp_path_factory) -> dict:
    return compute(tmp_path_factory.mktemp("golden"))


def test_record_or_compare(current):
    if os.environ.get("LEAPSIM_RECORD_GOLDEN") == "1":
        RECORD.write_text(json.dumps(current, indent=0, sort_keys=True) + "\n")
        pytest.skip(f"recorded {RECORD}")
    golden = json.loads(RECORD.read_text())
    exact = golden["cpu"] == current["cpu"]
    assert golden["seed"] == current["seed"]
    for name, want in golden["studies"].items():
        got = current["studies"][name]
        for column, spec in want["columns"].items():
            assert column in got["columns"], f"{name}: column {column!r} is gone"
            expected = from_json(spec["values"], spec["kind"])
            actual = from_json(got["columns"][column]["values"], spec["kind"])
            message = f"{name}: column {column!r} changed"
            if exact or spec["kind"] in "iub":
                np.testing.assert_array_equal(actual, expected, err_msg=message)
            else:
                np.testing.assert_allclose(actual, expected, rtol=1e-9, err_msg=message)
        if exact:
            assert got["event_rows"] == want["event_rows"], f"{name}: event count changed"
            for column, value in want["events"].items():
                assert got["events"].get(column) == value, f"{name}: events.{column} changed"
