"""Engagement outcome draws on common random numbers (:mod:`leapsim.engine.draws`).

The uniform of an engagement is a function of (run key, target, lane, index of the engagement
among its lane's on that target): tested as a function (determinism, uniformity, independence —
with a check that the statistic rejects a generator without mixing), inside the engine (every
logged draw is that function), and for what it is for: a change of defence that leaves a
threat's engagements unchanged leaves its fate unchanged.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from leapsim.c2.policies import make_policy
from leapsim.engine import NightRun, compile_scenario
from leapsim.engine.draws import GAMMA, JAMMING, KINETIC, draw_key, engagement_uniform
from leapsim.engine.params import EFFECTOR_KINDS
from leapsim.scenario import builtin_scenario
from leapsim.seeds import run_rng

EW = EFFECTOR_KINDS.index("ew")
P_FLOOR = 1e-4  # a sound generator fails one of these checks with about this probability


def uniforms(key, targets, lanes, indices) -> np.ndarray:
    return np.array(
        [
            engagement_uniform(key, int(k), int(lane), int(i))
            for k, lane, i in np.broadcast(targets, lanes, indices)
        ]
    )


def pairs_p_value(a: np.ndarray, b: np.ndarray, bins: int = 12) -> float:
    """Chi-square p-value that the points (a, b) are uniform on the unit square."""
    counts, _, _ = np.histogram2d(a, b, bins=bins, range=[[0, 1], [0, 1]])
    return float(stats.chisquare(counts.ravel()).pvalue)


KEY = draw_key(run_rng(2026, 0))
TARGETS, INDICES = np.meshgrid(np.arange(120), np.arange(40), indexing="ij")  # 4,800 each


def test_a_draw_is_a_function_of_key_target_lane_and_index():
    u = engagement_uniform(KEY, 17, KINETIC, 1)
    assert u == engagement_uniform(KEY, 17, KINETIC, 1)
    assert 0.0 <= u < 1.0
    others = {
        engagement_uniform(KEY, 18, KINETIC, 1),
        engagement_uniform(KEY, 17, JAMMING, 1),
        engagement_uniform(KEY, 17, KINETIC, 2),
        engagement_uniform(KEY + np.uint64(1), 17, KINETIC, 1),
    }
    assert u not in others and len(others) == 4
    assert draw_key(run_rng(2026, 0)) == KEY
    assert draw_key(run_rng(2026, 1)) != KEY


def test_draws_are_uniform():
    u = uniforms(KEY, TARGETS, KINETIC, INDICES).ravel()
    assert stats.kstest(u, "uniform").pvalue > P_FLOOR
    assert stats.chisquare(np.histogram(u, bins=20, range=(0, 1))[0]).pvalue > P_FLOOR
    assert abs(u.mean() - 0.5) < 4 * np.sqrt(1 / 12 / u.size)


@pytest.mark.parametrize(
    "neighbour",
    ["next index", "next target", "other lane", "next key"],
)
def test_neighbouring_draws_are_independent(neighbour):
    """Draws that differ in one coordinate of (key, target, lane, index) look independent:
    pairs uniform on the square, and uncorrelated."""
    base = uniforms(KEY, TARGETS, KINETIC, INDICES).ravel()
    shifted = {
        "next index": lambda: uniforms(KEY, TARGETS, KINETIC, INDICES + 1),
        "next target": lambda: uniforms(KEY, TARGETS + 1, KINETIC, INDICES),
        "other lane": lambda: uniforms(KEY, TARGETS, JAMMING, INDICES),
        "next key": lambda: uniforms(KEY + np.uint64(1), TARGETS, KINETIC, INDICES),
    }[neighbour]().ravel()
    assert pairs_p_value(base, shifted) > P_FLOOR
    assert abs(np.corrcoef(base, shifted)[0, 1]) < 4 / np.sqrt(base.size)


def test_the_independence_check_rejects_an_unmixed_counter():
    """The same statistic on the counter without SplitMix64's mixing (a Weyl sequence, which is
    uniform in one dimension) rejects it: the checks above can fail."""
    n = np.arange(1, 4_801, dtype=np.uint64)
    with np.errstate(over="ignore"):
        weyl = ((KEY + n * GAMMA) >> np.uint64(11)).astype(np.float64) * 2.0**-53
    assert stats.kstest(weyl, "uniform").pvalue > P_FLOOR  # fine in one dimension
    assert pairs_p_value(weyl[:-1], weyl[1:]) < 1e-12


def _night(params, seed: int, run: int) -> NightRun:
    """The night run to its end by the doctrine's (compiled) policy, its loop state kept."""
    night = NightRun(
        params, run_rng(seed, run), make_policy(params.doctrine.policy, params.doctrine)
    )
    assert night.next_decision() is None
    return night


def _log(night: NightRun) -> dict[str, np.ndarray]:
    n = night.clock[0]["n_log"]
    return {name: getattr(night.buffers.log, name)[:n] for name in night.buffers.log._fields}


@pytest.fixture(scope="module")
def leap():
    return compile_scenario(builtin_scenario("rzeszow_leap"))


def test_every_engagement_draws_its_counter_uniform(leap):
    """In the engine, the k-th engagement of a lane on a target (in the order they start) draws
    ``engagement_uniform(key, target, lane, k)``, and kills exactly when that is below its Pk."""
    night = _night(leap, 7, 0)
    log = _log(night)
    lane = np.where(leap.effector_types.kind[leap.unit_type[log["unit"]]] == EW, JAMMING, KINETIC)
    assert (lane == JAMMING).any() and (lane == KINETIC).any()
    seen: dict[tuple[int, int], int] = {}
    for row, (k, ln) in enumerate(zip(log["threat"], lane, strict=True)):
        index = seen.get((k, ln), 0)
        seen[(k, ln)] = index + 1
        assert log["draw"][row] == engagement_uniform(night.night.draw_key, k, ln, index)
    assert night.night.draw_key == draw_key(run_rng(7, 0))


def _engagements_by_threat(night: NightRun) -> dict[int, list[tuple]]:
    """Each target's engagements in the order they started: (unit, start, end, Pk)."""
    log = _log(night)
    out: dict[int, list[tuple]] = {}
    for row in range(log["unit"].size):
        out.setdefault(int(log["threat"][row]), []).append(
            (int(log["unit"][row]), log["t_start"][row], log["t_end"][row], log["pk"][row])
        )
    return out


def _without_rounds(params, unit_name: str):
    """The defence with fire unit ``unit_name`` given no rounds (it never fires)."""
    keep = np.array([name != unit_name for name in params.unit_names])
    return params.with_stocks(params.unit_magazine * keep, params.unit_reserve * keep)


@pytest.mark.parametrize("unit_name", ["Gepard power plant", "IRIS-T SLM north-east"])
@pytest.mark.parametrize("run", [0, 1, 2])
def test_a_threat_whose_engagements_are_unchanged_keeps_its_fate(leap, unit_name, run):
    """A plan change (one fire unit emptied) changes the engagements of some threats; every
    threat whose engagements are the same in both plans (units, times, Pk, in order) meets the
    same fate at the same time — its draws do not depend on what happened to the others."""
    assert unit_name in leap.unit_names
    base, changed = _night(leap, 11, run), _night(_without_rounds(leap, unit_name), 11, run)
    before, after = _engagements_by_threat(base), _engagements_by_threat(changed)
    same = [k for k in before if after.get(k) == before[k]]
    differ = set(before) | set(after)
    differ -= set(same)
    assert same and differ, "the change must leave some threats alone and move others"
    n_real = base.night.threats.n_real
    same = np.array([k for k in same if k < n_real])
    np.testing.assert_array_equal(base.state.fate[same], changed.state.fate[same])
    np.testing.assert_array_equal(base.state.end_s[same], changed.state.end_s[same])
