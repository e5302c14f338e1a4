"""``leapsim wta solve``: JSON output and bad input files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from leapsim.c2.wta import WTAProblem, write_instance
from wta_helpers import brute_force

GOOD = "2 3 2\n10\n20\n5\n" + "".join(
    f"{i} {j} {p}\n"
    for i, row in enumerate([[0.5, 0.6, 0.2], [0.3, 0.9, 0.4]])
    for j, p in enumerate(row)
)


def test_json_output_is_exact_and_consistent(cli, tmp_path):
    path = tmp_path / "inst.txt"
    path.write_text(GOOD)
    out = tmp_path / "sol.json"
    res = cli("wta", "solve", path, "--time-limit", "1", "--json", "--out", out)
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert list(data) == ["objective", "lower_bound", "time_s", "method", "assignment"]
    assert json.loads(out.read_text()) == {**data, "time_s": json.loads(out.read_text())["time_s"]}
    x = np.zeros((2, 3), np.int64)
    for i, j, c in data["assignment"]:
        x[i, j] = c
    problem = WTAProblem(
        values=[10, 20, 5], p=[[0.5, 0.6, 0.2], [0.3, 0.9, 0.4]], availability=[2, 2]
    )
    assert problem.violations(x) == []
    assert data["objective"] == pytest.approx(problem.objective(x), rel=1e-12)
    assert data["lower_bound"] <= data["objective"] + 1e-9
    # 4 units, 3 targets: the optimum (by enumeration) is known
    assert data["objective"] == pytest.approx(_brute(problem), rel=1e-9)


def _brute(problem: WTAProblem) -> float:
    return brute_force(problem)[0]


def test_greedy_method_has_no_bound(cli, tmp_path):
    path = tmp_path / "inst.txt"
    path.write_text(GOOD)
    res = cli("wta", "solve", path, "--method", "greedy", "--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["method"] == "greedy" and data["lower_bound"] is None


def test_table_output(cli, tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "inst.txt"
    write_instance(WTAProblem(rng.uniform(1, 9, 6), rng.uniform(0, 1, (4, 6)), [1] * 4), path)
    res = cli("wta", "solve", path, "--time-limit", "1", "--seed", "3")
    assert res.exit_code == 0, res.stderr
    assert "objective" in res.stdout and "lower bound" in res.stdout


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("2 3\n", 1),  # header
        ("2 3 2\n10\n20\n", 4),  # missing a target value
        ("2 3 2\n10\n-20\n5\n", 3),  # negative value
        ("2 3 2\n10\n20\n5\n0 0 0.5\n0 1 1.7\n", 6),  # p outside [0, 1]
        ("2 3 2\n10\ntwenty\n5\n", 3),  # not a number
        ("2 3 2\n10\n20\n5\n0 0 0.5\n0 1 0.5\n0 2 0.5\n1 0 0.5\n1 1 0.5\n", 10),  # too few pairs
    ],
)
def test_bad_file_exits_2_with_line(cli, tmp_path, text, line):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    res = cli("wta", "solve", path, "--json")
    assert res.exit_code == 2
    assert f"{path}:{line}:" in res.stderr
    assert "Traceback" not in res.stderr
    assert res.stdout == ""
