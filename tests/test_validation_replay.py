"""Reported outcomes per night, the replay of reported nights, the window checks, the emulator
and the likelihood (leapsim.threats.outcomes, leapsim.validation)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import betabinom

from leapsim.errors import InputError
from leapsim.scenario import builtin_scenario, load_scenario
from leapsim.seeds import run_rng
from leapsim.threats import group_nights, read_reports
from leapsim.threats.outcomes import reported_outcomes
from leapsim.validation.emulator import fit_emulator
from leapsim.validation.posterior import Observations, log_likelihood
from leapsim.validation.replay import RESULT_COLUMNS, build_plan, raid_counts, replay_night
from leapsim.validation.window import reported_window

SMALL = Path(__file__).parent / "validation" / "small_theatre.yaml"
HEADER = "time_start,time_end,model,target,launched,destroyed,not_reach_goal,is_shahed,source\n"
REPORTS = HEADER + (
    # night 2025-03-01: drones with EW losses reported apart (before August 2025)
    "2025-03-01 18:00,2025-03-02 08:00,Shahed-136/131,Ukraine,100,60,25,,kpszsu/posts/a\n"
    "2025-03-01 18:00,2025-03-02 08:00,Iskander-M,Ukraine,7,2,,,kpszsu/posts/a\n"
    # night 2025-03-02: a combined row; decoys known (30 real Shaheds among 50)
    "2025-03-02 18:00,2025-03-03 08:00,Shahed-136/131,Ukraine,50,45,0,30,kpszsu/posts/b\n"
    "2025-03-02 18:00,2025-03-03 08:00,Iskander-M and Iskander-M/KN-23,Ukraine,7,3,,,kpszsu/b\n"
    # night 2025-03-03: outcome missing
    "2025-03-03 18:00,2025-03-04 08:00,Iskander-M,Ukraine,2,,,,kpszsu/posts/c\n"
)


@pytest.fixture
def reports(tmp_path) -> Path:
    path = tmp_path / "reports.csv"
    path.write_text(REPORTS)
    return path


def test_reported_outcomes_on_the_rows_the_nights_count(reports):
    rows = read_reports(reports)
    table = group_nights(rows)
    out = reported_outcomes(rows, table)
    drone, ballistic = out.families["drone"], out.families["ballistic_missile"]
    assert drone.launched.tolist() == [100, 50, 0]
    assert drone.neutralised.tolist() == [85, 45, 0]  # destroyed + not_reach_goal
    assert drone.lost.tolist() == [25, 0, 0]
    assert ballistic.launched.tolist() == table.counts["ballistic_missile"].tolist() == [7, 7, 2]
    assert ballistic.known.tolist() == [True, True, False]
    # 7 launches over two components of the row's family: 4 and 3
    assert out.components["iskander-m"].tolist() == [7, 4, 2]
    assert out.components["iskander-m/kn-23"].tolist() == [0, 3, 0]


def test_window_checks(reports, tmp_path):
    assert reported_window(reports, None, None).nights.size == 3
    no_outcomes = tmp_path / "no_outcomes.csv"
    no_outcomes.write_text(REPORTS.replace(",destroyed,", ",killed,"))
    with pytest.raises(InputError, match=r"missing column.*'destroyed'") as err:
        reported_window(no_outcomes, None, None)
    assert err.value.problems[0].line == 1
    with pytest.raises(InputError, match="no reports between"):
        reported_window(reports, np.datetime64("2026-01-01"), np.datetime64("2026-01-31"))
    quiet = tmp_path / "quiet.csv"
    quiet.write_text(REPORTS.replace(",100,60,25,", ",0,0,0,").replace(",7,2,", ",0,0,"))
    with pytest.raises(InputError, match="reports drones or missiles"):
        reported_window(quiet, np.datetime64("2025-03-01"), np.datetime64("2025-03-01"))


def test_replay_launches_the_reported_counts(reports):
    plan = build_plan(load_scenario(SMALL), reported_window(reports, None, None))
    assert plan.launched[:, 0].tolist() == [100, 50, 0]
    for night in range(plan.n_nights):
        a = replay_night(plan, night, run_rng(5, night), (0.3, 0.6))
        b = replay_night(plan, night, run_rng(5, night), (0.3, 0.6))
        assert np.array_equal(a, b)  # same stream, same night
        launched, neutralised = a[:3], a[3:6]
        assert launched.tolist() == plan.launched[night].tolist()
        assert np.all((neutralised >= 0) & (neutralised <= launched))
        assert a[RESULT_COLUMNS.index("jammed.drone")] <= neutralised[0]


def test_known_decoys_are_replayed_as_reported(reports):
    plan = build_plan(load_scenario(SMALL), reported_window(reports, None, None))
    raids = [r.name for r in plan.resolved.scenario.raids]
    counts = raid_counts(plan, 1, len(raids), run_rng(1, 0))
    assert counts[raids.index("decoys")] == 20 and counts[raids.index("drones")] == 30
    # unknown: drawn from the threat model's decoy share, drones + decoys = reported
    counts = raid_counts(plan, 0, len(raids), run_rng(1, 0))
    assert counts[raids.index("decoys")] + counts[raids.index("drones")] == 100


def test_replay_needs_a_replay_section_and_every_weapon_mapped(reports, tmp_path):
    window = reported_window(reports, None, None)
    with pytest.raises(InputError, match="no replay section"):
        build_plan(builtin_scenario("rzeszow_leap"), window)
    text = SMALL.read_text().replace("components: [Iskander-M, ", "components: [")
    path = tmp_path / "unmapped.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match="does not map: iskander-m"):
        build_plan(load_scenario(path), window)


def test_emulator_recovers_a_known_response():
    rng = np.random.default_rng(0)
    low, high = np.array([0.0, 0.0]), np.array([1.0, 1.0])
    theta = rng.random((200, 2))
    launched = np.array([[200, 10], [500, 0]])

    def truth(t):  # logit-quadratic in the first parameter for drones, the second for missiles
        x = 2 * t - 1
        drone = 1 / (1 + np.exp(-(0.5 + 1.5 * x[..., 0] - 0.3 * x[..., 0] ** 2)))
        missile = 1 / (1 + np.exp(-(-0.2 + 2.0 * x[..., 1])))
        return np.stack([drone, missile], -1)

    p = truth(theta)[:, None, :].repeat(2, axis=1)
    k = rng.binomial(launched[None], p)
    active = np.array([[True, False], [False, True]])
    emulator = fit_emulator(theta, k, launched, low, high, active)
    test = rng.random((50, 2))
    mu = emulator.predict(test)
    assert np.abs(mu[:, :, 0] - truth(test)[:, None, 0]).max() < 0.02
    assert np.abs(mu[:, 0, 1] - truth(test)[:, 1]).max() < 0.05  # 10 missiles a run: noisier
    assert np.all(mu[:, 1, 1] == 0.5)  # nothing launched: no surface (coefficients 0)


def test_likelihood_is_the_beta_binomial():
    obs = Observations(
        launched=np.array([[100, 5], [20, 0]]),
        neutralised=np.array([[80, 2], [19, 0]]),
        use=np.array([[True, True], [True, False]]),
    )
    mu = np.array([[[0.85, 0.3], [0.9, 0.5]]])
    log_c = np.log(np.array([[40.0, 7.0]]))
    expected = (betabinom.logpmf(80, 100, 0.85 * 40, 0.15 * 40)
                + betabinom.logpmf(2, 5, 0.3 * 7, 0.7 * 7)
                + betabinom.logpmf(19, 20, 0.9 * 40, 0.1 * 40))  # fmt: skip
    assert log_likelihood(mu, log_c, obs)[0] == pytest.approx(expected, rel=1e-12)
