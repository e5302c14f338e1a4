"""Reported outcomes per night, the replay of reported nights, the window checks, the emulator
and the likelihood (leapsim.threats.outcomes, leapsim.validation)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binom

from leapsim.errors import InputError
from leapsim.scenario import builtin_scenario, load_scenario
from leapsim.seeds import run_rng
from leapsim.threats import group_nights, read_reports
from leapsim.threats.outcomes import reported_outcomes
from leapsim.validation.emulator import engine_dispersion, fit_emulator
from leapsim.validation.posterior import (
    Observations,
    log_likelihood,
    maximum_likelihood,
    pearson_dispersion,
)
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


def test_likelihood_is_the_binomial_over_the_dispersion():
    obs = Observations(
        launched=np.array([[100, 5], [20, 0]]),
        neutralised=np.array([[80, 2], [19, 0]]),
        use=np.array([[True, True], [True, False]]),
    )
    mu = np.array([[[0.85, 0.3], [0.9, 0.5]]])
    dispersion = np.array([4.0, 1.5])
    expected = ((binom.logpmf(80, 100, 0.85) + binom.logpmf(19, 20, 0.9)) / 4.0
                + binom.logpmf(2, 5, 0.3) / 1.5)  # fmt: skip
    assert log_likelihood(mu, dispersion, obs)[0] == pytest.approx(expected, rel=1e-12)


class _FlatShare:
    """A stand-in emulator: every month's share is the parameter itself."""

    low, high = np.array([0.01]), np.array([0.99])

    def predict(self, theta):
        return np.broadcast_to(np.asarray(theta)[..., None, :], (*theta.shape[:-1], 3, 1))


def test_a_flat_model_is_fitted_at_the_launch_weighted_share():
    """The target metric is Σ neutralised / Σ launched: with one share for every month the
    maximum likelihood is exactly that, not the mean of the monthly shares (0.80)."""
    obs = Observations(launched=np.array([[100], [1000], [5000]]),
                       neutralised=np.array([[60], [800], [5000 * 0.96]]).astype(int),
                       use=np.ones((3, 1), bool))  # fmt: skip
    theta = maximum_likelihood(_FlatShare(), obs, seed=0)
    assert theta[0] == pytest.approx(5660 / 6100, abs=1e-4)


def test_dispersion_is_binomial_for_binomial_months_and_larger_for_varying_ones():
    rng = np.random.default_rng(3)
    launched = np.full((400, 1), 2000)
    use = np.ones((400, 1), bool)
    binomial = Observations(launched, rng.binomial(launched, 0.8), use)
    varying = Observations(launched, rng.binomial(launched, rng.beta(80, 20, (400, 1))), use)
    mu = np.full((400, 1), 0.8)
    assert pearson_dispersion(mu, binomial, np.array([1]))[0] == pytest.approx(1.0, abs=0.2)
    # Var p = 0.8 * 0.2 / 101: a month of 2000 varies (1 + 1999 / 101) ≈ 20.8 times binomially
    assert pearson_dispersion(mu, varying, np.array([1]))[0] == pytest.approx(20.8, rel=0.2)
    one_month = Observations(launched[:1], binomial.neutralised[:1], use[:1])
    assert np.isnan(pearson_dispersion(mu[:1], one_month, np.array([1]))[0])


def test_engine_dispersion_of_binomial_runs_is_one():
    rng = np.random.default_rng(5)
    low, high = np.array([0.0]), np.array([1.0])
    theta = rng.random((300, 1))
    launched = np.array([[500], [3000]])
    p = (0.3 + 0.5 * theta)[:, None, :].repeat(2, axis=1)
    k = rng.binomial(launched[None], p)
    emulator = fit_emulator(theta, k, launched, low, high, np.array([[True]]))
    assert engine_dispersion(emulator, theta, k, launched)[0] == pytest.approx(1.0, abs=0.15)


def test_predictive_interval_widens_the_runs_interval_by_the_extra_dispersion():
    """With no extra dispersion the predictive interval is the runs' 5-95 % range; with φ_e it
    is the mixture of normals of variance φ_e m (1 - m) / L around the runs."""
    from types import SimpleNamespace

    from leapsim.validation.shares import summarise

    nights = np.arange("2025-01-01", "2025-03-01", dtype="datetime64[D]")
    launched = np.zeros((nights.size, 3), np.int64)
    launched[:, 0] = 100
    plan = SimpleNamespace(nights=nights, n_nights=nights.size, launched=launched,
                           known=np.ones_like(launched, bool),
                           neutralised=(launched * 0.9).astype(np.int64))  # fmt: skip
    rng = np.random.default_rng(1)
    simulated = rng.binomial(launched[None].repeat(40, 0), 0.8)
    plain = summarise(plan, simulated)["families"]["drone"]["window"]
    assert "predictive_p05" not in plain
    same = summarise(plan, simulated, {"drone": 0.0})["families"]["drone"]["window"]
    assert same["predictive_p05"] == pytest.approx(same["simulated_p05"], abs=1e-9)
    assert same["predictive_p95"] == pytest.approx(same["simulated_p95"], abs=1e-9)
    wide = summarise(plan, simulated, {"drone": 500.0})["families"]["drone"]
    w, m = wide["window"], wide["window"]["simulated_mean"]
    sd = np.sqrt(500.0 * m * (1 - m) / w["launched"])  # ≈ 0.12, far above the runs' spread
    assert w["predictive_p95"] - w["predictive_p05"] == pytest.approx(2 * 1.645 * sd, rel=0.1)
    assert not w["inside_90"] and w["inside_predictive_90"]  # reported 0.9 vs model 0.8
    assert wide["errors"]["months_inside_predictive_90"] == 2
