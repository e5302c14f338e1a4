"""Hypothesis: invariants of one night over random small scenarios.

Random sites, sensors, fire units (any catalogue effector, magazines overridden, reserves),
raids (any catalogue threat, waypoints, target weights) and doctrines (both greedy policies,
shoot-look-shoot on and off, cost rules), written as YAML and loaded like a user's file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leapsim.engine import night_metrics, simulate_night
from leapsim.engine.codes import FATES, OUTCOMES
from leapsim.engine.kinematics import position_at_time
from leapsim.engine.params import EFFECTOR_KINDS
from leapsim.scenario import builtin_catalogue
from leapsim.seeds import run_rng
from scenario_factory import ORIGIN, compile_dict

NOT_LAUNCHED, KILLED, LEAKED, AIRBORNE = (
    FATES.index(f) for f in ("not_launched", "killed", "leaked", "airborne")
)
KILL = OUTCOMES.index("kill")
EW = EFFECTOR_KINDS.index("ew")
CATALOGUE = builtin_catalogue()
EFFECTORS = sorted(CATALOGUE.effector_types)
THREATS = sorted(CATALOGUE.threat_types)
SENSORS = sorted(CATALOGUE.sensor_types)
SITE_NAMES = ("Alpha", "Bravo", "Charlie")


def near(draw, spread_deg: float) -> dict[str, float]:
    lat = draw(st.floats(-spread_deg, spread_deg))
    lon = draw(st.floats(-spread_deg, spread_deg))
    return {"lat": round(ORIGIN["lat"] + lat, 5), "lon": round(ORIGIN["lon"] + lon, 5)}


@st.composite
def scenarios(draw) -> dict:
    n_sites = draw(st.integers(1, 3))
    sites = [
        {"name": SITE_NAMES[i], **near(draw, 0.05),
         "value_eur": draw(st.sampled_from([1e6, 5e7, 1e9])), "nation": "PL"}
        for i in range(n_sites)
    ]  # fmt: skip
    sensors = [
        {"type": draw(st.sampled_from(SENSORS)), **near(draw, 0.1), "nation": "PL"}
        for _ in range(draw(st.integers(0, 3)))
    ]
    if draw(st.integers(0, 3)):  # usually see the raid coming
        sensors.append({"type": "long_range_radar", **ORIGIN, "nation": "PL"})
    fire_units = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(EFFECTORS))
        magazine = CATALOGUE.effector_types[kind].magazine
        unit = {"type": kind, **near(draw, 0.05), "nation": "PL", "count": draw(st.integers(1, 2))}
        if draw(st.booleans()):
            unit["magazine"] = draw(st.integers(0, min(magazine, 60)))
        unit["reserve_rounds"] = draw(st.sampled_from([0, 0, 1, 5, 40]))
        if unit["count"] > 1 and draw(st.booleans()):
            unit["line_to"] = near(draw, 0.05)
        fire_units.append(unit)
    raids = []
    for _ in range(draw(st.integers(1, 3))):
        raid = {
            "threat": draw(st.sampled_from(THREATS)),
            "count": draw(st.integers(0, 8)),
            "launch": {
                "bearing_deg": draw(st.floats(0, 359)),
                "distance_m": draw(st.floats(5_000, 40_000)),
                "spread_m": draw(st.sampled_from([0.0, 2000.0])),
            },
            "start_s": draw(st.floats(0, 600)),
            "spread_s": draw(st.sampled_from([0.0, 300.0, 1200.0])),
        }
        chosen = draw(st.lists(st.sampled_from(SITE_NAMES[:n_sites]), min_size=1, unique=True))
        if draw(st.booleans()):
            raid["targets"] = {name: draw(st.sampled_from([1, 2, 5])) for name in chosen}
        if draw(st.booleans()):
            raid["waypoints"] = [near(draw, 0.2)]
        raids.append(raid)
    doctrine = {
        "policy": draw(st.sampled_from(["cost_aware", "max_pk", "lookahead"])),
        "max_shots_per_threat": draw(st.integers(1, 3)),
        "shoot_look_shoot": draw(st.booleans()),
    }
    if draw(st.booleans()):
        doctrine["cost_rules"] = [
            {"max_cost_ratio": draw(st.sampled_from([0.5, 1.0, 20.0])),
             "unless_value_at_risk_above_eur": draw(st.sampled_from([1e4, 1e6, 1e8]))}
        ]  # fmt: skip
    return {
        "name": "random",
        "origin": dict(ORIGIN),
        "duration_s": draw(st.sampled_from([600.0, 1800.0, 3600.0])),
        "time_step_s": draw(st.sampled_from([0.5, 2.0, 5.0])),
        "sites": sites,
        "sensors": sensors,
        "fire_units": fire_units,
        "raids": raids,
        "doctrine": doctrine,
    }


def check_stock(outcome) -> None:
    """Replay each unit's magazine: every engagement had the rounds it spent (ready never below
    0), no unit fired while reloading, reloads start only when the magazine cannot feed an
    engagement, and the rounds left are what was not spent."""
    params, eng, reloads = outcome.params, outcome.engagements, outcome.reloads
    et = params.effector_types
    for u in range(params.unit_type.size):
        e = params.unit_type[u]
        rounds = int(et.rounds_per_engagement[e])
        ready, reserve = int(params.unit_magazine[u]), int(params.unit_reserve[u])
        shots = np.sort(eng["t_start"][eng["unit"] == u])
        mine = reloads["unit"] == u
        r_start, r_end = reloads["t_start"][mine], reloads["t_end"][mine]
        for a, b in zip(r_start, r_end, strict=True):
            assert b >= a
            assert not np.any((shots >= a) & (shots < b)), "fired while reloading"
        # events in time order; at equal times (zero reload time) start, refill, then shots
        events = [(t, 2, "shot") for t in shots]
        events += [(t, 0, "reload") for t in r_start]
        events += [(t, 1, "refill") for t in r_end]
        refills_pending = 0
        for _, _, what in sorted(events):
            if what == "shot":
                assert ready >= rounds, f"unit {u} fired with {ready} ready rounds"
                ready -= rounds
            elif what == "reload":
                assert ready < rounds and reserve > 0, "reload started without need or reserve"
                refills_pending += 1
            elif refills_pending:
                moved = max(0, min(int(et.magazine[e]) - ready, reserve))
                ready += moved
                reserve -= moved
                refills_pending -= 1
            assert ready >= 0 and reserve >= 0
        assert outcome.rounds_left[u] == ready + reserve
        spent = rounds * shots.size
        assert outcome.rounds_left[u] == params.unit_magazine[u] + params.unit_reserve[u] - spent


def check_invariants(outcome) -> None:
    params, raid, eng = outcome.params, outcome.raid, outcome.engagements
    et, tt = params.effector_types, params.threat_types
    fate, end_s = outcome.fate, outcome.end_s
    m = night_metrics(outcome)
    paths = raid.paths

    # conservation of threats, in total and per type
    assert m["launched"] == m["killed"] + m["leaked"] + m["airborne"]
    assert m["launched"] == np.count_nonzero(paths.launch_s <= params.duration_s)
    for name in tt.names:
        assert m[f"launched.{name}"] == m[f"killed.{name}"] + m[
            f"leaked.{name}"
        ] + np.count_nonzero((fate == AIRBORNE) & (raid.type == tt.names.index(name)))
    assert np.all((fate == NOT_LAUNCHED) == (paths.launch_s > params.duration_s))
    assert np.all(np.isnan(end_s) == np.isin(fate, (NOT_LAUNCHED, AIRBORNE)))
    leaked = fate == LEAKED
    np.testing.assert_allclose(end_s[leaked], paths.arrival_s[leaked])
    assert np.all(paths.arrival_s[leaked] <= params.duration_s)

    # engagements: well-formed, in doctrine, in time
    unit, threat = eng["unit"], eng["threat"]
    etype = params.unit_type[unit]
    assert np.all(eng["t_end"] > eng["t_start"])
    assert np.all((eng["pk"] > 0) & (eng["pk"] <= 1))
    assert np.all(et.pk[etype, raid.family[threat]] > 0)
    assert np.all(eng["t_start"] >= paths.launch_s[threat])
    assert np.all(eng["t_start"] >= outcome.detect_s[threat])
    assert np.all(eng["t_start"] <= params.duration_s)
    ended = ~np.isnan(end_s[threat])
    assert np.all(eng["t_start"][ended] < end_s[threat][ended]), "engaged after its end"
    assert np.all(eng["t_end"] < paths.arrival_s[threat])
    # inside the unit's envelope at the start, Pk as documented, timing as documented
    start = position_at_time(paths, threat, eng["t_start"])
    ground = np.hypot(*(start[:, :2] - params.unit_xy[unit]).T)
    assert np.all(ground >= et.min_range_m[etype] - 1e-6)
    assert np.all(ground <= et.max_range_m[etype] + 1e-6)
    assert np.all(start[:, 2] >= et.min_altitude_m[etype] - 1e-6)
    assert np.all(start[:, 2] <= et.max_altitude_m[etype] + 1e-6)
    pk = et.pk[etype, raid.family[threat]] * (
        1.0 - et.pk_range_falloff[etype] * ground / et.max_range_m[etype]
    )
    np.testing.assert_allclose(eng["pk"], pk, rtol=1e-9)
    duration = eng["t_end"] - eng["t_start"]
    flight = np.hypot(ground, start[:, 2]) / et.interceptor_speed_mps[etype]
    assert np.all(duration >= et.engagement_time_s[etype] - 1e-9)
    assert np.all(duration <= et.engagement_time_s[etype] + flight + 1e-9)
    kinetic = et.kind[etype] != EW
    per_threat = np.bincount(threat[kinetic], minlength=raid.n)
    assert per_threat.max(initial=0) <= params.doctrine.max_shots_per_threat
    if params.doctrine.shoot_look_shoot:
        for k in np.unique(threat[kinetic]):
            rows = np.flatnonzero(kinetic & (threat == k))
            rows = rows[np.argsort(eng["t_start"][rows])]
            assert np.all(eng["t_start"][rows][1:] >= eng["t_end"][rows][:-1])
    for k in np.unique(threat[~kinetic]):  # one jammer at a time on a threat
        rows = np.flatnonzero(~kinetic & (threat == k))
        rows = rows[np.argsort(eng["t_start"][rows])]
        assert np.all(eng["t_start"][rows][1:] >= eng["t_end"][rows][:-1])
    for u in np.unique(unit):
        rows = unit == u
        starts, ends = eng["t_start"][rows], eng["t_end"][rows]
        busy = max(((starts <= t) & (t < ends)).sum() for t in starts)
        assert busy <= et.fire_channels[params.unit_type[u]]

    # kills: one per killed threat, at its end time
    kills = eng["outcome"] == KILL
    assert np.all(fate[threat[kills]] == KILLED)
    np.testing.assert_array_equal(end_s[threat[kills]], eng["t_end"][kills])
    assert np.array_equal(np.sort(threat[kills]), np.flatnonzero(fate == KILLED))

    # money
    per_round = et.rounds_per_engagement * et.cost_per_round_eur
    np.testing.assert_allclose(eng["cost"], per_round[etype])
    for i, name in enumerate(et.names):
        assert m[f"shots.{name}"] == np.count_nonzero(etype == i)
        assert m[f"spend_eur.{name}"] == pytest.approx(m[f"shots.{name}"] * per_round[i])
    spend_total = sum(m[f"spend_eur.{name}"] for name in et.names)
    assert m["defender_spend_eur"] == pytest.approx(spend_total)
    assert m["defender_spend_eur"] == pytest.approx(float(per_round[etype].sum()))
    assert m["shots"] == unit.size
    assert sum(m[f"kills.{name}"] for name in et.names) == m["killed"]
    launched = fate != NOT_LAUNCHED
    assert m["attacker_spend_eur"] == float(tt.unit_cost_eur[raid.type[launched]].sum())

    # damage: each leaker keeps (1 - d) of its site's standing value; decoys do none
    value = params.site_value_eur
    expected_left = value.copy()
    for k in np.flatnonzero(leaked):
        expected_left[raid.target[k]] *= 1.0 - tt.damage_fraction[raid.type[k]]
    np.testing.assert_allclose(outcome.site_value_left_eur, expected_left, rtol=1e-12)
    assert 0.0 <= m["value_lost_eur"] <= value.sum()

    check_stock(outcome)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_night_invariants(data, seed):
    with tempfile.TemporaryDirectory() as tmp:
        params = compile_dict(Path(tmp), data)
    outcome = simulate_night(params, run_rng(seed, 0))
    check_invariants(outcome)


def test_invariants_hold_on_the_demo():
    """The checks above on the full LEAP demo night (all layers, reloads, EW)."""
    from leapsim.engine import compile_scenario
    from leapsim.scenario import builtin_scenario

    params = compile_scenario(builtin_scenario("rzeszow_leap"))
    for run in range(2):
        outcome = simulate_night(params, run_rng(1, run))
        assert outcome.reloads["unit"].size > 0
        check_invariants(outcome)
