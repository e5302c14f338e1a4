"""Campaigns (leapsim.campaign): learning curve, production, stock flows, pooling, losses,
raid mapping, horizon and determinism, on a small two-site scenario that runs in milliseconds."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from leapsim.campaign import (
    CampaignConfig,
    CampaignJob,
    compile_plan,
    simulate_campaign_run,
    wright_batch_cost,
    wright_unit_cost,
)
from leapsim.campaign.production import (
    DAYS_PER_MONTH,
    cumulative_output,
    deliveries_per_night,
    power_sum,
)
from leapsim.campaign.simulate import LEAKAGE, scenario_raid_counts, unit_losses
from leapsim.campaign.stocks import apportion, layer_dry, refill
from leapsim.engine import NightParams, compile_scenario
from leapsim.engine.codes import KILLED, LEAKED
from leapsim.experiments import CampaignTask, Checkpoint, LocalExecutor, Study, nightly, run_study
from leapsim.experiments.campaign_store import campaign_summary, horizon_stats, run_totals
from leapsim.scenario import load_scenario
from leapsim.threats import FAMILIES, load_default_threat_model

SITE_A = {"lat": 50.0, "lon": 22.0}
SITE_B = {"lat": 50.0, "lon": 22.85}  # about 61 km east of A: out of reach of A's gun
THREATS = {
    "camp_drone": {
        "family": "drone",
        "unit_cost_eur": 1000,
        "speed_mps": 50,
        "damage_fraction": 0.05,
    },
    "camp_decoy": {
        "family": "decoy",
        "unit_cost_eur": 200,
        "speed_mps": 50,
        "damage_fraction": 0.0,
    },
    "camp_cruise": {
        "family": "cruise_missile",
        "unit_cost_eur": 100_000,
        "speed_mps": 200,
        "damage_fraction": 0.2,
    },
}
GUN = {
    "kind": "gun",
    "cost_per_round_eur": 10,
    "unit_cost_eur": 1000,
    "min_range_m": 100,
    "max_range_m": 15_000,
    "min_altitude_m": 0,
    "max_altitude_m": 5000,
    "fire_channels": 2,
    "engagement_time_s": 5,
    "rounds_per_engagement": 1,
    "magazine": 6,
    "reload_time_s": 60,
    "pk": {"drone": 0.6, "decoy": 0.6, "cruise_missile": 0.3},
    "source": "test type",
}
JAMMER = {**GUN, "kind": "ew", "magazine": 1000, "pk": {"drone": 0.1}, "cost_per_round_eur": 1}


def two_site_scenario() -> dict[str, Any]:
    """Site A (PL gun) and site B (DE gun) 61 km apart; drones (3:1 over A and B), decoys on A,
    cruise missiles on B; no ballistic raid (unmodelled). A PL jammer at A (renewable)."""

    def launch(site: dict) -> dict:
        return {"lat": site["lat"] + 0.18, "lon": site["lon"], "spread_m": 500}

    threat_types = {
        name: {
            "cruise_altitude_m": 500,
            "rcs_m2": 1.0,
            "range_m": 1_000_000,
            "source": "test type",
            **spec,
        }
        for name, spec in THREATS.items()
    }
    return {
        "name": "campaign test",
        "origin": dict(SITE_A),
        "duration_s": 1500.0,
        "time_step_s": 2.0,
        "sites": [
            {"name": "A", **SITE_A, "value_eur": 1.0e8, "nation": "PL"},
            {"name": "B", **SITE_B, "value_eur": 1.0e8, "nation": "DE"},
        ],
        "sensors": [
            {"type": "long_range_radar", **SITE_A, "nation": "PL"},
            {"type": "long_range_radar", **SITE_B, "nation": "DE"},
        ],
        "fire_units": [
            {"type": "camp_gun", **SITE_A, "nation": "PL", "name": "gun A", "reserve_rounds": 4},
            {"type": "camp_gun", **SITE_B, "nation": "DE", "name": "gun B", "reserve_rounds": 4},
            {"type": "camp_jammer", "lat": 50.02, "lon": 22.0, "nation": "PL", "name": "EW A"},
        ],
        "raids": [
            {
                "threat": "camp_drone",
                "count": 3,
                "launch": launch(SITE_A),
                "spread_s": 300,
                "targets": {"A": 1},
            },
            {
                "threat": "camp_drone",
                "count": 1,
                "launch": launch(SITE_B),
                "spread_s": 300,
                "targets": {"B": 1},
            },
            {
                "threat": "camp_decoy",
                "count": 2,
                "launch": launch(SITE_A),
                "spread_s": 300,
                "targets": {"A": 1},
            },
            {
                "threat": "camp_cruise",
                "count": 1,
                "launch": launch(SITE_B),
                "spread_s": 300,
                "targets": {"B": 1},
            },
        ],
        "doctrine": {"policy": "max_pk", "max_shots_per_threat": 2},
        "catalogue": {
            "threat_types": threat_types,
            "effector_types": {"camp_gun": copy.deepcopy(GUN), "camp_jammer": JAMMER},
        },
    }


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def params(tmp_path_factory) -> NightParams:
    folder = tmp_path_factory.mktemp("campaign")
    return compile_scenario(load_scenario(write_yaml(folder / "s.yaml", two_site_scenario())))


@pytest.fixture(scope="module")
def model():
    return load_default_threat_model()


SEED = 3


def make_job(params, model, nights: int, scale: float = 0.04, **config) -> CampaignJob:
    cfg = CampaignConfig.model_validate(config)
    return CampaignJob(params, compile_plan(params, cfg, nights), cfg, model, scale)


def campaign_study(job: CampaignJob, runs: int, seed: int = SEED) -> Study:
    return Study(CampaignTask(job), runs, seed)


# --- learning curve and production ------------------------------------------------------------


def test_wright_unit_cost_halves_per_doubling_at_learning_rate():
    n = np.array([1, 2, 4, 8, 16, 3])
    cost = wright_unit_cost(1000.0, 0.8, n)
    np.testing.assert_allclose(cost[:5], 1000.0 * 0.8 ** np.arange(5), rtol=1e-12)
    assert cost[5] == pytest.approx(1000.0 * 3 ** math.log2(0.8))
    np.testing.assert_allclose(wright_unit_cost(50.0, 1.0, n), 50.0)  # no learning


@pytest.mark.parametrize("lr", [0.5 + 1e-9, 0.5, 0.72, 0.9, 0.99, 1.0])
@pytest.mark.parametrize(
    ("before", "after"),
    [(0, 1), (0, 10), (5, 1024), (1000, 1030), (0, 5000), (3000, 250_000), (250_000, 250_001)],
)
def test_batch_cost_equals_sum_of_unit_costs(lr, before, after):
    n = np.arange(before + 1, after + 1, dtype=float)
    brute = float(np.sum(1234.0 * n ** math.log2(lr)))
    assert wright_batch_cost(1234.0, lr, before, after) == pytest.approx(brute, rel=1e-11)


def test_power_sum_is_vectorised_and_zero_at_zero():
    k = np.array([0, 1, 2, 2000])
    np.testing.assert_allclose(
        power_sum(k, -0.5), [0, 1, 1 + 2**-0.5, np.sum(np.arange(1, 2001) ** -0.5)], rtol=1e-12
    )


def test_output_ramps_linearly_then_holds_rate():
    t = np.array([0.0, 3.0, 6.0, 10.0]) * DAYS_PER_MONTH
    out = cumulative_output(t, rate=100.0, initial_rate=20.0, ramp_up_months=6.0)
    # during the ramp: 20 τ + 80 τ² / 12; after it: 360 + 100 (τ - 6)
    np.testing.assert_allclose(out, [0.0, 60 + 60, 360.0, 760.0])
    np.testing.assert_allclose(cumulative_output(t, 100.0, 20.0, 0.0), 100.0 * t / DAYS_PER_MONTH)
    assert cumulative_output(np.array([-5.0]), 100.0, 100.0, 0.0)[0] == 0.0


def test_deliveries_wait_for_the_lead_time_and_split_by_share():
    d = deliveries_per_night(40, 30.0, 30.0, 0.0, 10.0, np.array([0.75, 0.25]))  # 30/month
    assert d.shape == (40, 2) and (d >= 0).all()
    # night n (1-based) starts n-1 days after the order: nothing before day 10
    assert not d[:11].any() and d[11:].sum() > 0
    received = np.floor(30.0 / DAYS_PER_MONTH * (39 - 10) * np.array([0.75, 0.25]) + 1e-9)
    np.testing.assert_array_equal(d.sum(axis=0), received)


# --- apportionment and refill -----------------------------------------------------------------


@given(
    st.lists(st.integers(0, 10_000), min_size=1, max_size=12),
    st.floats(0, 1),
)
def test_apportion_is_exact_bounded_and_proportional(weights, fraction):
    total = int(fraction * sum(weights))
    share = apportion(total, weights)
    assert share.sum() == total
    assert np.all(share <= np.array(weights))
    if sum(weights):
        quota = total * np.array(weights, float) / sum(weights)
        assert np.all(np.abs(share - quota) < 1.0)


def test_apportion_examples():
    np.testing.assert_array_equal(apportion(100, [180, 120]), [60, 40])
    np.testing.assert_array_equal(apportion(7, [1, 1, 1]), [3, 2, 2])  # ties: lower index first
    np.testing.assert_array_equal(apportion(5, [0, 0]), [3, 2])  # all-zero: equal split
    with pytest.raises(ValueError):
        apportion(3, [])


stock_case = st.integers(1, 3).flatmap(
    lambda m: st.integers(1, 3).flatmap(
        lambda j: st.tuples(
            st.just((m, j)),
            st.lists(
                st.tuples(st.integers(0, m - 1), st.integers(0, j - 1), st.integers(0, 40)),
                min_size=1,
                max_size=10,
            ),
            st.lists(st.integers(0, 60), min_size=m * j, max_size=m * j),
            st.lists(st.booleans(), min_size=m, max_size=m),
        )
    )
)


@settings(max_examples=200, deadline=None)
@given(stock_case)
def test_shared_refill_never_gives_a_unit_less_than_national(case):
    (m, j), units, depot_list, standardised = case
    munition = np.array([u[0] for u in units])
    nation = np.array([u[1] for u in units])
    need = np.array([u[2] for u in units], np.int64)
    depot = np.array(depot_list, np.int64).reshape(m, j)
    national_depot, shared_depot = depot.copy(), depot.copy()
    national = refill(need, munition, nation, national_depot, np.zeros(m, bool))
    shared = refill(need, munition, nation, shared_depot, np.array(standardised))
    for give, after in ((national, national_depot), (shared, shared_depot)):
        assert np.all((give >= 0) & (give <= need)) and np.all(after >= 0)
        # conservation: what left the depots of a munition is what its units received
        moved = depot.sum(axis=1) - after.sum(axis=1)
        np.testing.assert_array_equal(moved, np.bincount(munition, weights=give, minlength=m))
    assert np.all(shared >= national)
    if np.array_equal(national, need):  # no national depot ran short: pooling changes nothing
        np.testing.assert_array_equal(shared, national)
        np.testing.assert_array_equal(shared_depot, national_depot)
    lend = np.array(standardised)
    full = [
        need[munition == k].sum() <= depot[k].sum() if lend[k] else True for k in range(m)
    ]  # a pooled munition with enough rounds in all depots fills every unit
    for k in range(m):
        if lend[k] and full[k]:
            np.testing.assert_array_equal(shared[munition == k], need[munition == k])


def test_layer_dry_counts_reachable_depots():
    munition, nation = np.array([0, 0, 1]), np.array([0, 1, 1])
    rounds = np.array([0, 0, 5])
    alive = np.array([True, True, True])
    depot = np.array([[3, 0], [0, 0]])
    rpe = np.array([2, 1])
    assert not layer_dry(rounds, alive, munition, nation, depot, np.zeros(2, bool), rpe)[0]
    depot1 = np.array([[1, 1], [0, 0]])  # 1 round in each national depot: below one engagement
    assert layer_dry(rounds, alive, munition, nation, depot1, np.zeros(2, bool), rpe)[0]
    assert not layer_dry(rounds, alive, munition, nation, depot1, np.ones(2, bool), rpe)[0]
    dead = np.array([True, True, False])
    assert layer_dry(rounds, dead, munition, nation, depot, np.zeros(2, bool), rpe)[1]


# --- plan, raid mapping, losses ---------------------------------------------------------------


def test_plan_stocks_and_families(params, model):
    job = make_job(params, model, 5, depot_loads=2.0)
    plan = job.plan
    assert plan.munitions == ("camp_gun",)  # the jammer is renewable
    assert plan.nations == ("DE", "PL")
    np.testing.assert_array_equal(plan.unit_munition, [0, 0, -1])
    np.testing.assert_array_equal(plan.depot0, [[20, 20]])  # 2 loads of 6 + 4 rounds each
    assert plan.modelled == ("drone", "decoy", "cruise_missile")
    assert plan.unmodelled == ("ballistic_missile", "other")
    explicit = make_job(params, model, 5, munitions={"camp_gun": {"depot": {"PL": 7}}}).plan
    np.testing.assert_array_equal(explicit.depot0, [[0, 7]])


def test_raid_draws_are_apportioned_over_the_scenarios_raids(params, model):
    plan = make_job(params, model, 3).plan
    draws = {f: np.zeros(3, np.int64) for f in FAMILIES}
    draws["drone"] = np.array([8, 3, 0])
    draws["decoy"] = np.array([5, 0, 1])
    draws["ballistic_missile"] = np.array([4, 4, 4])  # no ballistic raid in the scenario
    counts = scenario_raid_counts(plan, params.raids.count, draws)
    np.testing.assert_array_equal(counts, [[6, 2, 5, 0], [2, 1, 0, 0], [0, 0, 1, 0]])


def test_only_damaging_leakers_destroy_units(params, model):
    job = make_job(
        params, model, 1, losses={"target_fraction": 1.0, "kill_probability": 1.0, "radius_m": 3000}
    )
    plan = job.plan
    types = np.array([0, 1, 1, 0])  # drone, decoy, decoy, drone
    fate = np.array([KILLED, LEAKED, LEAKED, KILLED])
    outcome = SimpleNamespace(
        raid=SimpleNamespace(n_real=4, type=types, target=np.zeros(4, int)), fate=fate
    )
    alive = np.ones(3, bool)
    rng = np.random.default_rng(0)
    assert not unit_losses(outcome, plan, alive, job.config, rng).any()  # decoys only
    outcome.fate = np.array([LEAKED, LEAKED, LEAKED, KILLED])
    lost = unit_losses(outcome, plan, alive, job.config, rng)
    # the drone leaker on site A destroys one of the two units within 3 km of A (gun A, EW A)
    assert lost.sum() == 1 and not lost[1]
    assert not unit_losses(outcome, plan, np.zeros(3, bool), job.config, rng).any()


# --- whole runs -------------------------------------------------------------------------------

PRODUCTION = {
    "rate_per_month": 60,
    "initial_rate_per_month": 15,
    "ramp_up_months": 0.5,
    "lead_time_days": 3,
    "learning_rate": 0.85,
    "shares": {"PL": 2, "DE": 1},
}


@pytest.fixture(scope="module")
def busy_run(params, model):
    job = make_job(
        params,
        model,
        14,
        scale=0.06,
        depot_loads=0.5,
        site_repair_per_night=0.0,
        losses={"target_fraction": 0.5, "kill_probability": 0.7, "radius_m": 3000},
        munitions={"camp_gun": {"production": PRODUCTION}},
    )
    return job, simulate_campaign_run(job, SEED, 0), simulate_campaign_run(job, SEED, 1)


def test_stock_balance_holds_every_night(busy_run):
    job, *runs = busy_run
    plan = job.plan
    for run in runs:
        c = run.columns
        initial = plan.depot0[0].sum() + plan.unit_load[plan.unit_munition == 0].sum()
        flow = np.cumsum(c["delivered.camp_gun"] - c["fired.camp_gun"] - c["lost.camp_gun"])
        np.testing.assert_array_equal(initial + flow, c["stock.camp_gun"])
        by_nation = c["stock_by_nation.camp_gun.DE"] + c["stock_by_nation.camp_gun.PL"]
        np.testing.assert_array_equal(by_nation, c["stock.camp_gun"])
        assert (c["stock.camp_gun"] >= 0).all()
    totals = {k: sum(r.columns[k].sum() for r in runs) for k in runs[0].columns}
    # the run exercises every flow: firing, deliveries and units (with their rounds) lost
    assert totals["fired.camp_gun"] > 0 and totals["delivered.camp_gun"] > 0
    assert totals["units_lost"] > 0


def test_production_columns_follow_the_schedule_and_learning_curve(busy_run):
    job, run, _ = busy_run
    plan = job.plan
    delivered = run.columns["delivered.camp_gun"]
    np.testing.assert_array_equal(delivered, plan.deliveries[:, 0].sum(axis=1))
    assert not delivered[:4].any()  # 3 days' lead time: first rounds before night 5
    made = np.concatenate([[0], np.cumsum(delivered)])
    expected = wright_batch_cost(10.0, 0.85, made[:-1], made[1:])  # catalogue cost for unit 1
    np.testing.assert_allclose(run.columns["production_spend_eur"], expected)
    # PL receives two thirds of the output (shares 2:1)
    pl, de = plan.deliveries[:, 0, 1].sum(), plan.deliveries[:, 0, 0].sum()
    assert abs(pl - 2 * de) <= 2


def test_night_accounting_and_damage_carry_over(busy_run):
    job, run, _ = busy_run
    c = run.columns
    np.testing.assert_array_equal(c["launched"], c["killed"] + c["leaked"] + c["airborne"])
    modelled = sum(c[f"launched.{f}"] for f in job.plan.modelled)
    unmodelled = sum(c[f"unmodelled.{f}"] for f in job.plan.unmodelled)
    np.testing.assert_array_equal(c["raid_size"], modelled + unmodelled)
    assert np.all(c["launched"] <= modelled)
    # no repair: the sites' value only falls, and what is lost adds up to the fall
    value = c["site_value_left_eur"]
    assert np.all(np.diff(value) <= 0)
    assert 2.0e8 - value[-1] == pytest.approx(c["value_lost_eur"].sum())
    assert np.all(np.diff(c["units_alive"]) == -c["units_lost"][1:])
    cumulative = np.cumsum(c["defender_spend_eur"]) / np.cumsum(c["attacker_spend_eur"])
    np.testing.assert_allclose(c["cumulative_cost_exchange_ratio"], cumulative)


def test_horizon_is_the_first_dry_or_leaky_night(busy_run):
    job, run, _ = busy_run
    leak = run.columns["leak_rate"] > job.config.horizon.leak_rate
    expected = int(np.argmax(leak)) + 1 if leak.any() else job.plan.nights + 1
    assert run.horizon[LEAKAGE] == expected
    assert 1 <= run.horizon["camp_gun"] <= job.plan.nights + 1
    stats = horizon_stats(np.array([3, 5, 15]), 14)
    assert stats["mean"] == pytest.approx(23 / 3) and stats["reached"] == pytest.approx(2 / 3)
    assert stats["censored_at"] == 15


def test_shared_pooling_never_leaks_more_on_the_same_draws(params, model):
    """PL has no depot, DE a large one. Pooling only changes the nightly refill, which gives each
    unit at least its national rounds; raids and the per-night engine streams are the same, so
    until a PL shortage the nights are identical, and after it A's gun keeps firing."""
    common = {
        "losses": {"target_fraction": 0.0},
        "depot_loads": 0.0,
        "munitions": {"camp_gun": {"depot": {"DE": 400}}},
    }
    national = make_job(params, model, 8, scale=0.06, pooling="national", **common)
    shared = make_job(params, model, 8, scale=0.06, pooling="shared", **common)
    for run in range(4):
        a = simulate_campaign_run(national, SEED, run).columns
        b = simulate_campaign_run(shared, SEED, run).columns
        np.testing.assert_array_equal(a["raid_size"], b["raid_size"])
        assert b["leaked"].sum() <= a["leaked"].sum()
        assert b["value_lost_eur"].sum() <= a["value_lost_eur"].sum()
        # until PL's gun first needs a refill (from DE's depot under shared pooling), the two
        # campaigns are the same night by night
        short = a["stock_by_nation.camp_gun.PL"] < 10
        assert short.any()
        first = int(np.argmax(short)) + 1
        for key in ("leaked", "fired.camp_gun", "value_lost_eur"):
            np.testing.assert_array_equal(a[key][:first], b[key][:first])
    non_standard = make_job(
        params,
        model,
        8,
        scale=0.06,
        pooling="shared",
        **{**common, "munitions": {"camp_gun": {"depot": {"DE": 400}, "standardised": False}}},
    )
    np.testing.assert_array_equal(
        simulate_campaign_run(non_standard, SEED, 0).columns["leaked"],
        simulate_campaign_run(national, SEED, 0).columns["leaked"],
    )


def test_runs_are_identical_on_one_or_two_workers(params, model):
    study = campaign_study(make_job(params, model, 4, scale=0.05), 3)
    one = run_study(study, LocalExecutor(1))
    two = run_study(study, LocalExecutor(2))
    assert one.tables.keys() == two.tables.keys() == {"nights", "horizon"}
    for name, table in one.tables.items():
        assert table.keys() == two.tables[name].keys()
        for key in table:
            np.testing.assert_array_equal(table[key], two.tables[name][key])
    np.testing.assert_array_equal(one.tables["nights"]["night"][:5], [1, 2, 3, 4, 1])
    np.testing.assert_array_equal(one.tables["horizon"]["run"], [0, 1, 2])
    alone = simulate_campaign_run(study.task.job, SEED, 2).columns["leaked"]
    np.testing.assert_array_equal(nightly(one, "leaked")[2], alone)


def test_summary_follows_the_results_contract(params, model):
    result = run_study(campaign_study(make_job(params, model, 4, scale=0.05), 3))
    summary = campaign_summary(result, "s.yaml", None)
    assert summary["kind"] == "campaign" and summary["nights"] == 4 and summary["runs"] == 3
    assert summary["seed"] == SEED
    for series in summary["per_night"].values():
        assert all(len(series[k]) == 4 for k in ("mean", "ci_low", "ci_high"))
    assert set(summary["horizon"]["layer_exhausted"]) == {"camp_gun"}
    totals = run_totals(result)
    assert summary["metrics"]["leaked"]["mean"] == pytest.approx(totals["leaked"].mean())
    cer = nightly(result, "defender_spend_eur").sum(1) / nightly(result, "attacker_spend_eur").sum(
        1
    )
    np.testing.assert_allclose(totals["cost_exchange_ratio"], cer)
    assert summary["families"]["unmodelled"] == ["ballistic_missile", "other"]


class _RefuseWork:
    """An executor that fails if asked to run anything: all must come from the checkpoint."""

    def map_unordered(self, fn, shared, items):
        raise AssertionError(f"asked to run {len(items)} chunk(s)")


def test_a_rerun_resumes_from_saved_chunks(params, model, tmp_path):
    study = campaign_study(make_job(params, model, 3, scale=0.05), 3)
    first = run_study(study, checkpoint=Checkpoint(tmp_path / "partial"))
    again = run_study(study, _RefuseWork(), Checkpoint(tmp_path / "partial"))
    for name, table in first.tables.items():
        for key in table:
            np.testing.assert_array_equal(table[key], again.tables[name][key])
    other = make_job(params, model, 3, scale=0.05, pooling="shared")  # another study: starts over
    with pytest.raises(AssertionError, match="3 chunk"):
        run_study(campaign_study(other, 3), _RefuseWork(), Checkpoint(tmp_path / "partial"))
