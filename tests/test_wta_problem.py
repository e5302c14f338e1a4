"""WTA problem definition, objective and the benchmark reader/writer."""

from __future__ import annotations

import numpy as np
import pytest

from leapsim.c2.wta import WTAProblem, read_instance, write_instance
from leapsim.errors import InputError


def test_objective_matches_hand_computation():
    problem = WTAProblem(
        values=[10.0, 4.0],
        p=[[0.5, 0.2], [0.3, 0.9]],
        availability=[2, 1],
        cost=[1.0, 2.5],
        cost_weight=0.5,
    )
    x = np.array([[2, 0], [0, 1]])
    expected = 10.0 * 0.5**2 + 4.0 * 0.1 + 0.5 * (2 * 1.0 + 1 * 2.5)
    assert problem.objective(x) == pytest.approx(expected, rel=1e-15)
    assert problem.objective(np.zeros((2, 2))) == pytest.approx(14.0)


def test_survival_with_certain_kill_is_zero():
    problem = WTAProblem(values=[7.0], p=[[1.0]], availability=[1])
    assert problem.objective(np.array([[1]])) == 0.0


def test_violations_report_each_constraint():
    problem = WTAProblem(
        values=[1.0, 1.0],
        p=[[0.5, 0.5], [0.5, 0.5]],
        availability=[1, 1],
        max_shots=[1, 1],
        mask=[[True, False], [True, True]],
    )
    assert problem.violations(np.array([[1, 0], [0, 1]])) == []
    assert any("availability" in v for v in problem.violations(np.array([[2, 0], [0, 0]])))
    assert any("max_shots" in v for v in problem.violations(np.array([[1, 0], [1, 0]])))
    assert any("mask" in v for v in problem.violations(np.array([[0, 1], [0, 0]])))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"p": [[1.2]]},
        {"p": [[-0.1]]},
        {"values": [-1.0]},
        {"availability": [-1]},
        {"availability": [1.5]},
        {"cost": [-2.0]},
        {"cost_weight": -1.0},
    ],
)
def test_invalid_problem_rejected(kwargs):
    base = {"values": [1.0], "p": [[0.5]], "availability": [1]}
    with pytest.raises(ValueError):
        WTAProblem(**{**base, **kwargs})


def test_write_then_read_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    problem = WTAProblem(
        values=rng.integers(1, 100, 5).astype(float),
        p=rng.uniform(0, 1, (3, 5)),
        availability=[2, 2, 2],
    )
    path = tmp_path / "inst.txt"
    write_instance(problem, path)
    back = read_instance(path)
    np.testing.assert_array_equal(back.values, problem.values)
    np.testing.assert_array_equal(back.p, problem.p)
    np.testing.assert_array_equal(back.availability, problem.availability)


def test_reader_uses_zero_based_indices(tmp_path):
    path = tmp_path / "inst.txt"
    path.write_text("2 2 1\n5\n6\n1 1 0.25\n0 0 0.5\n0 1 0.75\n1 0 0.125\n")
    problem = read_instance(path)
    np.testing.assert_array_equal(problem.p, [[0.5, 0.75], [0.125, 0.25]])
    np.testing.assert_array_equal(problem.values, [5.0, 6.0])


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("2 2\n", 1, "header"),
        ("2 2 1\n5\n", 3, "expected 2 target values"),
        ("2 2 1\n5\n-3\n", 3, "negative"),
        ("2 2 1\n5\nabc\n", 3, "not a number"),
        ("2 2 1\n5\n6\n0 0 0.5\n0 1 1.5\n1 0 0.1\n1 1 0.1\n", 5, "outside [0, 1]"),
        ("2 2 1\n5\n6\n0 0 0.5\n0 1 0.5\n1 0 0.1\n", 7, "expected m x n = 4"),
        ("2 2 1\n5\n6\n0 0 0.5\n0 1 0.5\n1 0 0.1\n1 1 0.1\n1 1 0.2\n", 8, "more than m x n"),
        ("2 2 1\n5\n6\n0 0 0.5\n0 0 0.5\n1 0 0.1\n1 1 0.1\n", 5, "given twice"),
        ("2 2 1\n5\n6\n0 0 0.5\n0 2 0.5\n1 0 0.1\n1 1 0.1\n", 5, "out of range"),
        ("2 x 1\n", 1, "not an integer"),
    ],
)
def test_reader_errors_name_the_line(tmp_path, text, line, needle):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_instance(path)
    problem = err.value.problems[0]
    assert problem.line == line
    assert problem.file == str(path)
    assert needle in str(problem)


def test_reader_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_instance(tmp_path / "nope.txt")
