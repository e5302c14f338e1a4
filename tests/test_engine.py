"""The one-night engine against analytic results and the doctrine's rules.

Scenarios are written as YAML in ``tmp_path`` (see :mod:`scenario_factory`) and run with
``simulate_night`` and the study's per-run generators (``run_rng``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from leapsim.c2.allocation import Assignment
from leapsim.c2.policies import cost_aware_policy, make_policy, max_pk_policy
from leapsim.engine import NightRun, compile_scenario, night_metrics, simulate_night
from leapsim.engine.codes import FATES, OUTCOMES
from leapsim.scenario import builtin_scenario
from leapsim.seeds import run_rng
from scenario_factory import ORIGIN, compile_dict, one_site_scenario

KILLED, LEAKED = FATES.index("killed"), FATES.index("leaked")
KILL = OUTCOMES.index("kill")


def max_concurrent(t_start: np.ndarray, t_end: np.ndarray) -> int:
    """Most engagements in progress (t_start <= t < t_end) at any one time."""
    if t_start.size == 0:
        return 0
    return int(max(((t_start <= t) & (t < t_end)).sum() for t in t_start))


# --- shoot-look-shoot: P(kill) = 1 - (1 - p)^k ------------------------------------------------


@pytest.mark.parametrize(("pk", "shots"), [(0.5, 3), (0.7, 1), (0.3, 2)])
def test_shoot_look_shoot_kill_probability(tmp_path, pk, shots):
    """One threat, one unit with a ~400 s window and 5 s engagements: up to k looks and shots."""
    params = compile_dict(
        tmp_path,
        one_site_scenario(
            gun={"pk": {"drone": pk}},
            doctrine={"max_shots_per_threat": shots, "shoot_look_shoot": True},
        ),
    )
    runs = 2000
    killed = np.zeros(runs, bool)
    n_shots = np.zeros(runs, np.int64)
    for run in range(runs):
        outcome = simulate_night(params, run_rng(11, run))
        eng = outcome.engagements
        killed[run] = outcome.fate[0] == KILLED
        n_shots[run] = eng["unit"].size
        order = np.argsort(eng["t_start"])
        # look before the next shot: each engagement starts after the previous one ended
        assert np.all(eng["t_start"][order][1:] >= eng["t_end"][order][:-1])
        # it stops at the first kill
        assert np.count_nonzero(eng["outcome"] == KILL) == int(killed[run])
        if killed[run]:
            assert eng["outcome"][order][-1] == KILL
    expected = 1.0 - (1.0 - pk) ** shots
    sigma = math.sqrt(expected * (1.0 - expected) / runs)
    assert abs(killed.mean() - expected) <= 3.0 * sigma, (killed.mean(), expected)
    # shots taken: j < k with probability (1-p)^(j-1) p, k with (1-p)^(k-1)
    probs = np.array(
        [(1 - pk) ** (j - 1) * pk for j in range(1, shots)] + [(1 - pk) ** (shots - 1)]
    )
    observed = np.bincount(n_shots, minlength=shots + 1)
    assert observed[0] == 0 and observed.size == shots + 1
    if shots > 1:
        assert stats.chisquare(observed[1:], probs * runs).pvalue > 1e-3


def test_salvo_without_look_fires_k_shots_at_once(tmp_path):
    """Shoot-look-shoot off, 3 channels: a salvo of k = 3 shots at once, P(kill) = 1-(1-p)^3."""
    pk, shots, runs = 0.4, 3, 1500
    params = compile_dict(
        tmp_path,
        one_site_scenario(
            gun={"pk": {"drone": pk}, "fire_channels": 3},
            doctrine={"max_shots_per_threat": shots, "shoot_look_shoot": False},
        ),
    )
    killed = 0
    for run in range(runs):
        outcome = simulate_night(params, run_rng(5, run))
        eng = outcome.engagements
        assert eng["unit"].size == shots
        assert np.all(eng["t_start"] == eng["t_start"][0])
        killed += outcome.fate[0] == KILLED
    expected = 1.0 - (1.0 - pk) ** shots
    assert abs(killed / runs - expected) <= 3.0 * math.sqrt(expected * (1 - expected) / runs)


# --- fire-channel saturation -------------------------------------------------------------------


@pytest.mark.parametrize(("channels", "engagement_s"), [(1, 5.0), (2, 10.0), (3, 7.0)])
def test_fire_channels_bound_a_saturating_raid(tmp_path, channels, engagement_s):
    """20 threats arrive together at one unit (3 km range: a 60 s window at 50 m/s): never more
    than c engagements at once, and at most c·W/T + c in the window."""
    max_range = 3000.0
    params = compile_dict(
        tmp_path,
        one_site_scenario(
            count=20,
            gun={
                "fire_channels": channels,
                "engagement_time_s": engagement_s,
                "max_range_m": max_range,
                "magazine": 1000,
            },
            doctrine={"max_shots_per_threat": 2, "shoot_look_shoot": True},
        ),
    )
    speed = 50.0
    window = max_range / speed
    for run in range(5):
        outcome = simulate_night(params, run_rng(3, run))
        eng = outcome.engagements
        launch = outcome.raid.paths.launch_s
        assert np.all(launch == launch[0])
        t_in = launch[0] + (30_000 - max_range) / speed
        assert np.all(eng["t_start"] >= t_in - 1e-6)
        assert np.all(eng["t_start"] <= t_in + window)
        assert np.all(eng["t_end"] - eng["t_start"] >= engagement_s - 1e-9)
        assert max_concurrent(eng["t_start"], eng["t_end"]) <= channels
        n = eng["unit"].size
        assert n <= channels * window / engagement_s + channels
        # saturated: the unit was kept busy and threats leaked
        assert n >= channels * (window / engagement_s - 2)
        assert np.count_nonzero(outcome.fate == LEAKED) > 0


# --- engagement timing, jamming, holding fire -----------------------------------------------


def test_intercept_time_adds_time_of_flight(tmp_path):
    """t_end = t_start + T + slant / (v_interceptor + closing speed), the threat flying straight
    at the unit (closing speed = its speed, almost exactly, at 500 m altitude and km ranges)."""
    speed_int, engagement_s = 500.0, 5.0
    params = compile_dict(
        tmp_path,
        one_site_scenario(
            gun={"interceptor_speed_mps": speed_int, "engagement_time_s": engagement_s},
            doctrine={"max_shots_per_threat": 4},
        ),
    )
    outcome = simulate_night(params, run_rng(1, 0))
    eng = outcome.engagements
    assert eng["unit"].size >= 1
    launch = outcome.raid.paths.launch_s[0]
    ground = 30_000.0 - 50.0 * (eng["t_start"] - launch)
    slant = np.hypot(ground, 500.0)
    expected = eng["t_start"] + engagement_s + slant / (speed_int + 50.0 * ground / slant)
    np.testing.assert_allclose(eng["t_end"], expected, rtol=0, atol=0.05)


def test_jammers_do_not_count_against_shots_and_never_double_up(tmp_path):
    """An EW unit jams every threat in reach, one jammer per threat at a time; the gun still
    gets its one shot per threat."""
    data = one_site_scenario(count=12, raid={"spread_s": 120})
    data["fire_units"].append({"type": "ew_jammer", **ORIGIN, "nation": "PL", "count": 2})
    params = compile_dict(tmp_path, data)
    ew = params.effector_types.names.index("ew_jammer")
    for run in range(3):
        outcome = simulate_night(params, run_rng(12, run))
        eng = outcome.engagements
        jam = params.unit_type[eng["unit"]] == ew
        assert jam.any() and (~jam).any()
        for k in range(outcome.raid.n):
            mine = jam & (eng["threat"] == k)
            starts, ends = eng["t_start"][mine], eng["t_end"][mine]
            assert max_concurrent(starts, ends) <= 1
            assert np.count_nonzero(~jam & (eng["threat"] == k)) <= 1  # max_shots_per_threat


@pytest.mark.parametrize(
    ("doctrine", "gun", "missile_fires"),
    [
        ({}, {}, False),
        # the gun's nominal Pk 0.5 is below the doctrine's bar: no reason to hold
        ({"hold_min_pk": 0.6}, {}, True),
        # EUR 60k per gun kill against 111k for the missile: not twice as cheap, 1.5 times is
        ({}, {"cost_per_round_eur": 30_000}, True),
        ({"hold_for_cheaper": 1.5}, {"cost_per_round_eur": 30_000}, False),
        # Pk 0.5·(1 − 0.4·f) at a fraction f of the range: 0.4 at f = 0.5, 0.5 at f = 0
        ({}, {"pk_range_falloff": 0.4}, True),
        ({"hold_range_fraction": 0.0}, {"pk_range_falloff": 0.4}, False),
    ],
)
def test_cost_aware_holds_fire_for_a_cheaper_later_layer(tmp_path, doctrine, gun, missile_fires):
    """A EUR 100k missile unit (Pk 0.9) reaches the threat first; a gun gets a full engagement
    later. cost_aware leaves the threat to the gun when the doctrine's numbers say the gun is
    likely enough to kill and cheap enough per kill; max_pk always fires the missile."""
    data = one_site_scenario(doctrine={"max_shots_per_threat": 1, **doctrine})
    effectors = data["catalogue"]["effector_types"]
    effectors["test_missile"] = {
        **effectors["test_gun"],
        "kind": "missile",
        "cost_per_round_eur": 100_000,
        "pk": {"drone": 0.9},
    }
    effectors["test_gun"].update(max_range_m=3000, **gun)
    data["fire_units"].append({"type": "test_missile", **ORIGIN, "nation": "PL"})
    params = compile_dict(tmp_path, data)
    missile = params.effector_types.names.index("test_missile")
    cost_aware = make_policy("cost_aware", params.doctrine)
    for policy, fires in ((cost_aware, missile_fires), (max_pk_policy, True)):
        for run in range(3):
            outcome = simulate_night(params, run_rng(21, run), policy=policy)
            shooters = params.unit_type[outcome.engagements["unit"]]
            assert shooters.size == 1
            assert (shooters[0] == missile) == fires


def test_a_python_policy_sees_the_same_epochs_as_the_compiled_one():
    """A policy the loop calls back from Python (DECIDE/APPLY) that answers like a compiled one
    gives the same night, engagement for engagement; its answers are checked."""
    params = compile_scenario(builtin_scenario("rzeszow_leap"))
    asked = []

    def via_python(compiled):
        def policy(problem, rng):
            asked.append(problem.n_units)
            return compiled(problem, rng)

        return policy

    for compiled in (cost_aware_policy, make_policy("wta", params.doctrine)):
        inside = simulate_night(params, run_rng(5, 0), policy=compiled)
        outside = simulate_night(params, run_rng(5, 0), policy=via_python(compiled))
        assert asked
        np.testing.assert_array_equal(inside.fate, outside.fate)
        for key, column in inside.engagements.items():
            np.testing.assert_array_equal(column, outside.engagements[key], err_msg=key)


def test_a_night_stepped_decision_by_decision(tmp_path):
    """NightRun hands back every epoch that needs an answer; answering each like cost_aware
    gives cost_aware's night. Steps out of order are refused."""
    params = compile_dict(tmp_path, one_site_scenario(count=4, raid={"spread_s": 300}))
    rng = run_rng(3, 0)
    run = NightRun(params, rng)
    with pytest.raises(RuntimeError):
        run.outcome()
    epochs = []
    while (problem := run.next_decision()) is not None:
        epochs.append(run.time_s)
        with pytest.raises(RuntimeError):
            run.next_decision()
        run.decide(cost_aware_policy(problem, rng))
    assert len(epochs) >= 4 and epochs == sorted(epochs)
    with pytest.raises(RuntimeError):
        run.decide(Assignment.empty())
    compiled = simulate_night(params, run_rng(3, 0), policy=cost_aware_policy)
    stepped = run.outcome()
    np.testing.assert_array_equal(stepped.fate, compiled.fate)
    for key, column in compiled.engagements.items():
        np.testing.assert_array_equal(stepped.engagements[key], column, err_msg=key)


def test_a_python_policy_answer_is_checked(tmp_path):
    """An answer that breaks the epoch's limits stops the night with a clear error."""

    def reckless(problem, rng):
        many = np.zeros(problem.n_units * 100, np.int64)
        return Assignment(many, many)

    params = compile_dict(tmp_path, one_site_scenario(count=3))
    with pytest.raises(ValueError, match="allocation policy exceeded"):
        simulate_night(params, run_rng(1, 0), policy=reckless)


# --- determinism -------------------------------------------------------------------------------


def _same_row(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        (x == y) or (isinstance(x, float) and math.isnan(x) and math.isnan(y))
        for x, y in ((a[k], b[k]) for k in a)
    )


def test_same_seed_same_night_different_seed_different_night():
    params = compile_scenario(builtin_scenario("rzeszow_leap"))
    first = simulate_night(params, run_rng(42, 3))
    again = simulate_night(params, run_rng(42, 3))
    assert _same_row(night_metrics(first), night_metrics(again))
    for key, column in first.engagements.items():
        np.testing.assert_array_equal(column, again.engagements[key], err_msg=key)
    np.testing.assert_array_equal(first.fate, again.fate)
    row = night_metrics(first)
    for seed, run in ((42, 4), (43, 3)):  # another run of the study, another study
        other = simulate_night(params, run_rng(seed, run))
        assert not _same_row(row, night_metrics(other))
        assert not np.array_equal(other.raid.paths.launch_s, first.raid.paths.launch_s)


def test_generator_passed_in_is_the_only_randomness(tmp_path):
    """Seeding numpy's global RNG differently does not change a night."""
    params = compile_dict(
        tmp_path, one_site_scenario(count=10, doctrine={"max_shots_per_threat": 3})
    )
    np.random.seed(1)  # noqa: NPY002 - the legacy global RNG must not matter
    a = night_metrics(simulate_night(params, run_rng(9, 0)))
    np.random.seed(2)  # noqa: NPY002
    b = night_metrics(simulate_night(params, run_rng(9, 0)))
    assert _same_row(a, b)


# --- decoys ------------------------------------------------------------------------------------


def _decoy_raid(count: int) -> dict:
    return {
        "threat": "gerbera_decoy",
        "count": count,
        "launch": {"bearing_deg": 80, "distance_m": 25_000},
        "spread_s": 600,
    }


def test_decoys_do_no_damage(tmp_path):
    """Undefended: every decoy reaches its target and no value is lost."""
    data = one_site_scenario()
    data["fire_units"] = []
    data["raids"] = [_decoy_raid(30)]
    params = compile_dict(tmp_path, data)
    for run in range(3):
        m = night_metrics(simulate_night(params, run_rng(1, run)))
        assert m["launched"] == m["leaked"] == 30
        assert m["value_lost_eur"] == 0.0


def test_decoys_draw_fire_and_only_drones_cost_value(tmp_path):
    """Decoys look like Shaheds: the defence shoots at them, but only real leakers do damage."""
    data = one_site_scenario(doctrine={"policy": "cost_aware"})
    data["raids"] = [
        {**_decoy_raid(40)},
        {"threat": "shahed_136", "count": 40, "launch": {"bearing_deg": 100, "distance_m": 25_000},
         "spread_s": 600},
    ]  # fmt: skip
    params = compile_dict(tmp_path, data)
    value = 1.0e8
    damage = 0.005  # shahed_136 in the built-in catalogue
    for run in range(3):
        outcome = simulate_night(params, run_rng(2, run))
        m = night_metrics(outcome)
        assert m["shots"] > 0
        decoy = params.threat_types.names.index("gerbera_decoy")
        shot_at = outcome.raid.type[outcome.engagements["threat"]]
        assert np.any(shot_at == decoy), "decoys should draw fire"
        assert m["leaked.gerbera_decoy"] > 0
        drones_leaked = m["leaked.shahed_136"]
        assert m["value_lost_eur"] == pytest.approx(value * (1 - (1 - damage) ** drones_leaked))


# --- magazines and reloads ---------------------------------------------------------------------


def test_empty_magazine_without_reserve_never_fires(tmp_path):
    params = compile_dict(
        tmp_path, one_site_scenario(count=10, unit={"magazine": 0, "reserve_rounds": 0})
    )
    for run in range(3):
        outcome = simulate_night(params, run_rng(4, run))
        assert outcome.engagements["unit"].size == 0
        assert outcome.reloads["unit"].size == 0
        assert np.all(outcome.fate == LEAKED)
        assert outcome.rounds_left.tolist() == [0]


def test_rounds_per_engagement_above_magazine_cannot_fire(tmp_path):
    """Two ready rounds, bursts of three, nothing in reserve: no engagement can start."""
    params = compile_dict(
        tmp_path,
        one_site_scenario(count=5, gun={"rounds_per_engagement": 3}, unit={"magazine": 2}),
    )
    outcome = simulate_night(params, run_rng(4, 0))
    assert outcome.engagements["unit"].size == 0
    assert outcome.rounds_left.tolist() == [2]


def test_magazine_limits_shots(tmp_path):
    params = compile_dict(tmp_path, one_site_scenario(count=20, unit={"magazine": 3}))
    outcome = simulate_night(params, run_rng(4, 0))
    assert outcome.engagements["unit"].size == 3
    assert outcome.rounds_left.tolist() == [0]


def test_empty_magazine_reloads_from_reserve_before_firing(tmp_path):
    reload_s = 30.0
    params = compile_dict(
        tmp_path,
        one_site_scenario(
            count=10, gun={"reload_time_s": reload_s}, unit={"magazine": 0, "reserve_rounds": 6}
        ),
    )
    outcome = simulate_night(params, run_rng(4, 0))
    reloads, eng = outcome.reloads, outcome.engagements
    assert reloads["unit"].size >= 1
    first_reload_end = reloads["t_end"].min()
    assert np.allclose(reloads["t_end"] - reloads["t_start"], reload_s)
    assert eng["unit"].size == 6  # the whole reserve, one round per engagement
    assert np.all(eng["t_start"] >= first_reload_end)
    assert outcome.rounds_left.tolist() == [0]


def test_no_fire_while_reloading_and_reserve_is_used(tmp_path):
    """Magazine 2, reserve 4, 30 s reloads, 20 threats: 6 shots, none during a reload."""
    params = compile_dict(
        tmp_path,
        one_site_scenario(
            count=20,
            gun={"reload_time_s": 30.0, "magazine": 2},
            unit={"reserve_rounds": 4},
            raid={"spread_s": 300},
        ),
    )
    outcome = simulate_night(params, run_rng(8, 0))
    eng, reloads = outcome.engagements, outcome.reloads
    assert eng["unit"].size == 6
    assert reloads["unit"].size == 2
    for start, end in zip(reloads["t_start"], reloads["t_end"], strict=True):
        assert not np.any((eng["t_start"] >= start) & (eng["t_start"] < end))
    assert outcome.rounds_left.tolist() == [0]


# --- cost rules --------------------------------------------------------------------------------


def _patriot_vs_shaheds(value_eur: float, threshold_eur: float, early_leakers: int = 0) -> dict:
    """A Patriot at a site; 20 Shaheds from 100 km; rule: no shot dearer than the threat unless
    the value at risk (site value left × 0.005) exceeds the threshold. ``early_leakers`` Shaheds
    launched inside the Patriot's minimum range hit the site first."""
    raids = [
        {"threat": "shahed_136", "count": 20, "launch": {"bearing_deg": 90, "distance_m": 100_000},
         "start_s": 600, "spread_s": 600},
    ]  # fmt: skip
    if early_leakers:
        raids.append(
            {"threat": "shahed_136", "count": early_leakers,
             "launch": {"bearing_deg": 0, "distance_m": 2000}, "start_s": 0}
        )  # fmt: skip
    return {
        "name": "cost rule",
        "origin": dict(ORIGIN),
        "duration_s": 5400,
        "sites": [{"name": "Depot", **ORIGIN, "value_eur": value_eur, "nation": "PL"}],
        "sensors": [{"type": "long_range_radar", **ORIGIN, "nation": "PL"}],
        "fire_units": [{"type": "patriot_pac3_mse", **ORIGIN, "nation": "PL"}],
        "raids": raids,
        "doctrine": {
            "policy": "max_pk",
            "cost_rules": [{"max_cost_ratio": 1, "unless_value_at_risk_above_eur": threshold_eur}],
        },
    }


def _value_at_risk_at(outcome, t: float, damage: float) -> float:
    """Site value still standing at time t (leaks strictly before t) × damage fraction."""
    leaks = (outcome.fate == LEAKED) & (outcome.end_s < t)
    value = outcome.params.site_value_eur[0] * (1.0 - damage) ** np.count_nonzero(leaks)
    return value * damage


@pytest.mark.parametrize(
    ("value_eur", "fires"), [(1.0e8, False), (1.0e9, True)], ids=["below", "above"]
)
def test_cost_rule_holds_patriot_against_shaheds(tmp_path, value_eur, fires):
    threshold = 1.0e6
    params = compile_dict(tmp_path, _patriot_vs_shaheds(value_eur, threshold))
    shots = 0
    for run in range(3):
        outcome = simulate_night(params, run_rng(6, run))
        eng = outcome.engagements
        shots += eng["unit"].size
        for t in eng["t_start"]:
            assert _value_at_risk_at(outcome, t, 0.005) > threshold
    assert (shots > 0) == fires


def test_cost_rule_stops_patriot_once_value_at_risk_falls(tmp_path):
    """Value at risk starts 1 % above the threshold; five early leakers take it below: the Patriot
    then holds fire against the later raid (which it engages without the early leakers)."""
    threshold = 1.0e6
    value = 1.01 * threshold / 0.005
    with_leakers = compile_dict(tmp_path, _patriot_vs_shaheds(value, threshold, 5), "a.yaml")
    without = compile_dict(tmp_path, _patriot_vs_shaheds(value, threshold, 0), "b.yaml")
    for run in range(2):
        a = simulate_night(with_leakers, run_rng(6, run))
        assert np.count_nonzero(a.fate == LEAKED) >= 5
        assert a.engagements["unit"].size == 0
        assert simulate_night(without, run_rng(6, run)).engagements["unit"].size > 0


# --- policies on the demo ----------------------------------------------------------------------


def test_cost_aware_spends_less_than_max_pk_on_the_demo():
    params = compile_scenario(builtin_scenario("rzeszow_leap"))
    spend = {}
    for name, policy in (("cost_aware", cost_aware_policy), ("max_pk", max_pk_policy)):
        spend[name] = np.array(
            [night_metrics(simulate_night(params, run_rng(17, run), policy=policy))
             ["defender_spend_eur"] for run in range(5)]
        )  # fmt: skip
    assert spend["cost_aware"].mean() < 0.5 * spend["max_pk"].mean()
    assert stats.ttest_ind(spend["cost_aware"], spend["max_pk"], equal_var=False).pvalue < 0.01


def test_doctrine_policy_is_the_default(tmp_path):
    """``policy=None`` uses the scenario's doctrine (max_pk on the legacy demo)."""
    params = compile_scenario(builtin_scenario("rzeszow_legacy"))
    assert params.doctrine.policy == "max_pk"
    default = night_metrics(simulate_night(params, run_rng(1, 0)))
    explicit = night_metrics(simulate_night(params, run_rng(1, 0), policy=max_pk_policy))
    assert _same_row(default, explicit)
