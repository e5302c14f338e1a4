"""OSPA and GOSPA: hand-computed values, brute-force optimum, and metric axioms on random sets."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from leapsim.tracking import gospa, ospa, ospa_gospa_series


def brute_ospa(x, y, c, p):
    if len(x) > len(y):
        x, y = y, x
    m, n = len(x), len(y)
    if n == 0:
        return 0.0
    if m == 0:
        return c
    best = min(
        sum(min(np.linalg.norm(x[i] - y[j]), c) ** p for i, j in enumerate(perm))
        for perm in itertools.permutations(range(n), m)
    )
    return ((best + c**p * (n - m)) / n) ** (1 / p)


def test_hand_computed_values():
    origin = np.array([[0.0, 0.0]])
    assert ospa(origin, np.array([[3.0, 4.0]])) == pytest.approx(5.0)
    assert gospa(origin, np.array([[3.0, 4.0]])) == pytest.approx(5.0)
    two = np.array([[0.0, 0.0], [10.0, 0.0]])
    assert ospa(two, origin, c=100, p=1) == pytest.approx(50.0)  # (0 + 100) / 2
    assert gospa(two, origin, c=100, p=1) == pytest.approx(50.0)  # 0 + 100 / 2
    x = np.array([[0.0, 0.0], [0.0, 10.0]])
    y = np.array([[0.0, 3.0]])
    assert ospa(x, y, c=20, p=2) == pytest.approx(np.sqrt((9 + 400) / 2))
    assert gospa(x, y, c=20, p=2) == pytest.approx(np.sqrt(9 + 400 / 2))


def test_cutoff_and_empty_sets():
    a, b = np.array([[0.0, 0.0]]), np.array([[500.0, 0.0]])
    assert ospa(a, b, c=100) == pytest.approx(100.0)
    assert gospa(a, b, c=100) == pytest.approx(100.0)  # = one missed + one false at c/2 each
    empty = np.zeros((0, 2))
    assert ospa(empty, empty) == 0.0 and gospa(empty, empty) == 0.0
    three = np.zeros((3, 2))
    assert ospa(empty, three, c=40) == 40.0
    assert gospa(empty, three, c=40, p=2) == pytest.approx(np.sqrt(40**2 / 2 * 3))
    with pytest.raises(ValueError):
        ospa(a, b, c=0)
    with pytest.raises(ValueError):
        gospa(a, b, p=0.5)


def test_matches_brute_force_optimum():
    rng = np.random.default_rng(4)
    for _ in range(60):
        x = rng.uniform(0, 150, (rng.integers(0, 5), 2))
        y = rng.uniform(0, 150, (rng.integers(0, 5), 2))
        for p in (1.0, 2.0):
            assert ospa(x, y, 60.0, p) == pytest.approx(brute_ospa(x, y, 60.0, p))


@pytest.mark.parametrize("metric", [ospa, gospa])
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_metric_axioms_on_random_sets(metric, p):
    rng = np.random.default_rng(int(p * 10))
    c = 50.0
    for _ in range(150):
        x, y, z = (rng.uniform(0, 120, (rng.integers(0, 7), 3)) for _ in range(3))
        dxy, dyx = metric(x, y, c, p), metric(y, x, c, p)
        assert metric(x, x, c, p) == pytest.approx(0.0, abs=1e-9)
        assert dxy == pytest.approx(dyx)
        assert dxy <= metric(x, z, c, p) + metric(z, y, c, p) + 1e-9
        assert dxy >= 0.0
        if metric is ospa:
            assert dxy <= c + 1e-9
        assert metric(x[::-1], y, c, p) == pytest.approx(dxy)
        if len(x) != len(y) or (len(x) and not np.allclose(np.sort(x, 0), np.sort(y, 0))):
            assert dxy > 0


def test_series_over_union_of_times():
    truth_t = np.array([0.0, 0.0, 1.0])
    truth_p = np.array([[0.0, 0.0], [100.0, 0.0], [0.0, 0.0]])
    track_t = np.array([1.0, 2.0])
    track_p = np.array([[3.0, 4.0], [0.0, 0.0]])
    s = ospa_gospa_series(truth_t, truth_p, track_t, track_p, c=100.0, p=1.0)
    assert s["time"].tolist() == [0.0, 1.0, 2.0]
    assert s["ospa"].tolist() == pytest.approx([100.0, 5.0, 100.0])
    assert s["gospa"].tolist() == pytest.approx([100.0, 5.0, 50.0])
    assert s["n_truth"].tolist() == [2, 1, 0] and s["n_tracks"].tolist() == [0, 1, 1]
