"""Plan search (issue 12): the study file, the decision model, budgets, outputs, determinism on
any executor, resume, and the plans written as runnable scenarios."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from leapsim.campaign import wright_unit_cost
from leapsim.campaign.config import load_campaign_config
from leapsim.engine import compile_scenario
from leapsim.errors import InputError
from leapsim.experiments import LocalExecutor
from leapsim.experiments.store import read_table
from leapsim.planning.build import scenario_yaml, unit_positions
from leapsim.planning.costs import budgets
from leapsim.planning.prepare import prepare_plan
from leapsim.planning.rules import rule_plan
from leapsim.planning.run import run_plan_study
from leapsim.planning.space import canonical, decision_space
from leapsim.planning.store import write_plan_results
from leapsim.planning.study import load_plan_study
from leapsim.scenario import load_scenario
from leapsim.scenario.geo import LocalFrame
from plan_fixtures import TINY, campaign_study, merged, write_study


def run_and_write(path, out, executor=None, seed=3, progress=None):
    study = load_plan_study(path)
    outcome = run_plan_study(study, out, seed=seed, executor=executor, progress=progress)
    return outcome, write_plan_results(outcome, out)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny study searched once (one process), its outcome and results folder."""
    folder = tmp_path_factory.mktemp("tiny")
    path = write_study(folder)
    outcome, summary = run_and_write(path, folder / "out")
    return path, folder / "out", outcome, summary


# -- the study file --------------------------------------------------------------------------
def test_builtin_studies_load():
    small = load_plan_study("builtin:small_plan")
    assert decision_space(small).size == 480
    rzeszow = load_plan_study("builtin:rzeszow_plan")
    assert set(rzeszow.nations) == {"FR", "DE", "IT", "PL", "UK"}
    kinds = {rzeszow.base.catalogue.effector_types[p.type].kind for p in rzeszow.spec.purchases}
    assert {"gun", "interceptor_drone", "ew", "laser", "missile"} <= kinds


BAD = [
    ({"purchases": [{"type": "gepard_35m", "positions": [{"near_site": "Depot"}]}]},
     "purchases[0].type", "did you mean 'gepard_35mm'"),
    ({"purchases": [{"type": "stinger", "positions": [{"near_site": "Deppot"}]}]},
     "purchases[0].positions[0].near_site", "unknown site"),
    ({"purchases": [{"type": "stinger", "nation": "ES", "positions": [{"near_site": "Depot"}]}]},
     "purchases[0].nation", "unknown nation"),
    ({"purchases": [{"type": "stinger", "positions": [{"near_site": "Depot", "lat": 50,
                                                      "lon": 22}]}]},
     "purchases[0].positions[0]", "either lat and lon"),
    ({"purchases": [{"type": "laser_dragonfire", "positions": [{"near_site": "Depot"}],
                     "reserve_loads": [0, 1]}]},
     "purchases[0].reserve_loads", "renewable"),
    ({"purchases": [{"type": "stinger", "positions": [{"near_site": "Depot"}], "max_unit": 2}]},
     "purchases[0].max_unit", "did you mean 'max_units'"),
    ({"nations": {"total_budget_eur": 1e7, "budget_eur": None, "keys": {"PL": 1, "XX": 1}}},
     "nations.keys.XX", "unknown nation"),
    ({"nations": {"names": ["FR", "DE", "IT", "PL", "UK", "ES"]}}, "nations.budget_eur",
     "no budget for nation 'ES'"),
    ({"nations": {"budget_eur": None}}, "nations", "either budget_eur"),
    ({"munitions": {"stinger": {"depot_loads": [0, 1]}}}, "munitions", "need a campaign"),
    ({"constraints": {"sustainability": {"nights": 3, "probability": 0.9}}},
     "constraints.sustainability", "needs a campaign"),
    ({"search": {"screen_runs": 20}}, "search", "screen_runs <= final_runs"),
    ({"objectives": ["cost", "value_lsot"]}, "objectives[1]", "value_lost"),
    ({"objectives": ["cost"]}, "objectives", "value_lost or leaked"),
    ({"scenario": {"sites": [{"name": "Depot", "lat": 95, "lon": 22, "value_eur": 1,
                              "nation": "PL"}]}},
     "scenario.sites[0].lat", "less than or equal to 90"),
    ({"scenario": "missing.yaml"}, "scenario", "not found"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "field", "text"), BAD)
def test_bad_study_files_name_file_line_field_and_fix(tmp_path, changes, field, text):
    path = write_study(tmp_path, changes)
    with pytest.raises(InputError) as err:
        load_plan_study(path)
    problems = [p for p in err.value.problems if p.field == field]
    assert problems, f"no problem at {field}: {err.value}"
    assert text in str(problems[0])
    assert problems[0].file == str(path) and problems[0].line is not None


def test_bad_campaign_settings(tmp_path):
    path = campaign_study(
        tmp_path,
        {"munitions": {"interceptor_drone_sting": {"production": {
            "rate_per_month": [0, 500], "ceiling_per_month": 100}}}},
    )  # fmt: skip
    with pytest.raises(InputError, match="exceeds the ceiling"):
        load_plan_study(path)
    path = campaign_study(tmp_path, {"threat": {"campaign": {"config": {"munitions": {
        "stinger": {"depot": {"FR": 5}}}}}}})  # fmt: skip
    with pytest.raises(InputError) as err:
        load_plan_study(path)
    assert "threat.campaign.config.munitions" in str(err.value)


def test_infeasible_budget_is_refused_before_searching(tmp_path):
    path = write_study(tmp_path, {"nations": {"budget_eur": {"PL": 1000, "UK": 1000}}})
    with pytest.raises(InputError) as err:
        load_plan_study(path)
    problem = err.value.problems[0]
    assert problem.field == "nations" and problem.line is not None
    assert "allow no purchase" in problem.message


def test_cli_reports_bad_study_with_exit_2(cli, tmp_path):
    path = write_study(
        tmp_path, {"purchases": [{"type": "nope", "positions": [{"near_site": "Depot"}]}]}
    )
    result = cli("plan", path, "--check")
    assert result.exit_code == 2
    assert f"{path}:" in result.stderr and "purchases[0].type" in result.stderr
    assert "Traceback" not in result.stderr
    ok = cli("plan", write_study(tmp_path, name="good.yaml"), "--check")
    assert ok.exit_code == 0 and "36 plans" in ok.stdout


# -- the decision model ----------------------------------------------------------------------
def test_plan_scenarios_load_back_equal(tmp_path):
    study = load_plan_study(campaign_study(tmp_path))
    space = decision_space(study)
    for plan in [space.zero(), (2, 2, 1, 1, 1, 1), (1, 1, 0, 0, 0, 1)]:
        prepared = prepare_plan(study, space, plan)
        file = tmp_path / f"{prepared.id}.yaml"
        file.write_text(scenario_yaml(prepared.scenario))
        assert load_scenario(file).scenario == prepared.scenario.scenario


def test_units_spread_along_lines_and_around_sites(tmp_path):
    study = load_plan_study(write_study(tmp_path))
    line = unit_positions(study, 1, 0, 4)
    assert [lat for lat, _ in line] == pytest.approx([50.09, 50.07, 50.05, 50.03])
    ring = unit_positions(study, 0, 0, 3)
    frame = LocalFrame(50.06, 22.0)
    enu = frame.to_enu(np.array([p[0] for p in ring]), np.array([p[1] for p in ring]))
    assert np.hypot(enu[:, 0], enu[:, 1]) == pytest.approx([1200.0] * 3, rel=1e-6)
    bearings = np.degrees(np.arctan2(enu[:, 0], enu[:, 1])) % 360
    assert bearings == pytest.approx([0.0, 120.0, 240.0], abs=1e-6)


def test_costs_by_hand(tmp_path):
    study = load_plan_study(write_study(tmp_path))
    space = decision_space(study)
    plan = prepare_plan(study, space, (1, 2, 1, 1))  # APKWS, 2 drone teams (reserve 1), Stinger
    # catalogue: APKWS 1.5 M + 4 rockets × 25 k; Sting team 60 k + (20 + 20) × 2 k; Stinger
    # 1 M + 4 × 440 k
    apkws, drones, stinger = 1.5e6 + 4 * 25e3, 2 * (60e3 + 40 * 2e3), 1e6 + 4 * 440e3
    assert plan.cost.total_eur == pytest.approx(apkws + drones + stinger)
    assert plan.cost.pays == pytest.approx({"FR": 0, "DE": 0, "IT": 0, "UK": apkws,
                                            "PL": drones + stinger})  # fmt: skip
    assert not plan.feasible  # PL pays 3.04 M > 3 M
    keyed = load_plan_study(
        write_study(
            tmp_path,
            {"nations": {"budget_eur": None, "total_budget_eur": 1e7, "keys": {"PL": 3, "UK": 1}}},
            "keys.yaml",
        )
    )
    keyed_plan = prepare_plan(keyed, decision_space(keyed), (1, 2, 1, 1))
    assert sum(keyed_plan.cost.pays.values()) == pytest.approx(keyed_plan.cost.total_eur)
    assert keyed_plan.cost.pays["PL"] == pytest.approx(0.75 * keyed_plan.cost.total_eur)
    assert keyed_plan.cost.pays["FR"] == 0 and keyed_plan.feasible


def test_production_cost_follows_wright_and_the_schedule_adds_up(tmp_path):
    study = load_plan_study(campaign_study(tmp_path, {"threat": {"campaign": {"nights": 40}},
                                                      "constraints": None}))  # fmt: skip
    space = decision_space(study)
    vector = dict.fromkeys(space.keys, 0) | {"units.1.0": 2, "rate.interceptor_drone_sting": 1}
    plan = prepare_plan(study, space, tuple(vector[k] for k in space.keys))
    delivered = int(plan.campaign_plan.deliveries[:, 0].sum())
    assert delivered == math.floor(60 * (40 - 1 - 1) / (365.25 / 12) + 1e-9)
    first = 2000.0  # catalogue round cost for unit 1 (nothing produced before)
    expected = wright_unit_cost(first, 0.85, np.arange(1, delivered + 1)).sum()
    assert plan.cost.by("category")["production"] == pytest.approx(expected)
    from leapsim.planning.costs import production_schedule

    rows = production_schedule(plan.campaign_plan)
    assert sum(r["delivered_rounds"] for r in rows) == delivered
    assert sum(r["production_cost_eur"] for r in rows) == pytest.approx(expected)


def test_budgets_and_unit_limits_decide_feasibility(tmp_path):
    changes = {"purchases": [*TINY["purchases"][:2], {**TINY["purchases"][2], "max_units": 3,
                                                      "max_total_units": 2}]}  # fmt: skip
    study = load_plan_study(write_study(tmp_path, changes))
    space = decision_space(study)
    budget, _, _ = budgets(study)
    rng = np.random.default_rng(5)
    for _ in range(60):
        plan = tuple(int(rng.integers(0, v.high + 1)) for v in space.variables)
        prepared = prepare_plan(study, space, plan)
        within = all(prepared.cost.pays[n] <= budget[n] + 1e-6 for n in budget)
        assert prepared.feasible == (within and plan[space.index("units.2.0")] <= 2)
    for rule in ("all_missiles", "equal_split"):
        chosen = prepare_plan(
            study, space, rule_plan(rule, study, space, lambda p: prepare_plan(study, space, p))
        )
        assert chosen.feasible


def test_equivalent_vectors_are_one_plan(tmp_path):
    study = load_plan_study(write_study(tmp_path))
    space = decision_space(study)
    assert space.keys == ("units.0.0", "units.1.0", "units.2.0", "reserve.1")
    assert canonical(study, space, (1, 0, 1, 1)) == (1, 0, 1, 0)  # no drone team: no reserve
    assert canonical(study, space, (0, 1, 0, 1)) == (0, 1, 0, 1)
    assert (
        prepare_plan(study, space, (1, 0, 1, 1)).id == prepare_plan(study, space, (1, 0, 1, 0)).id
    )


# -- a whole search ----------------------------------------------------------------------------
def test_outputs_respect_budgets_and_limits(tiny):
    _, out, outcome, summary = tiny
    pareto = read_table(out / "pareto.parquet")
    screened = read_table(out / "screened.parquet")
    spend = read_table(out / "spend.parquet")
    assert len(pareto["plan_id"]) == len(summary["front"]) >= 2
    assert np.all(np.diff(pareto["cost_eur"]) >= 0)
    assert np.all(spend["pays_eur"] <= spend["budget_eur"] + 1e-6)
    for table in (pareto, screened):
        for var in outcome.space.variables:
            assert np.all(table[f"x.{var.key}"] <= var.high)
    for pid in screened["plan_id"]:
        assert outcome.ladder.get(pid).feasible
    for b in summary["baselines"]:
        assert b["within_budget"]
    assert summary["search"]["simulated"] == 8
    assert summary["throughput"]["night_replications"] > 0
    for plan in summary["front"]:
        low, mean, high = (
            plan["objectives"]["value_lost"][k] for k in ("ci_low", "mean", "ci_high")
        )
        assert low <= mean <= high
        folder = out / "plans" / plan["id"]
        doc = json.loads((folder / "plan.json").read_text())
        assert doc["cost_eur"] == pytest.approx(sum(i["eur"] for i in doc["cost_items"]))


def test_the_search_starts_from_the_naive_rules(tiny):
    """Warm start: the rules' plans are the first plans the search simulates (enqueued)."""
    _, _, outcome, _ = tiny
    rules = list(dict.fromkeys(outcome.baselines[r] for r in outcome.study.spec.baselines))
    assert len(rules) == 2
    assert outcome.log.plan_ids[: len(rules)] == rules


def test_a_front_plan_runs_with_leapsim_run_and_gives_its_objective(tiny, cli):
    _, out, outcome, summary = tiny
    plan = max(summary["front"], key=lambda p: p["cost_eur"])
    result = cli("run", out / "plans" / plan["id"] / "scenario.yaml", "--runs", plan["runs"],
                 "--seed", outcome.seed, "--json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    metrics = json.loads(result.stdout)["metrics"]
    assert metrics["value_lost_eur"]["mean"] == plan["objectives"]["value_lost"]["mean"]
    assert metrics["value_lost_eur"]["ci_low"] == plan["objectives"]["value_lost"]["ci_low"]


def same_tables(a, b):
    for name in ("pareto.parquet", "screened.parquet", "spend.parquet"):
        ta, tb = read_table(a / name), read_table(b / name)
        assert list(ta) == list(tb)
        for column in ta:
            np.testing.assert_array_equal(ta[column], tb[column], err_msg=f"{name}:{column}")


def test_two_processes_give_the_identical_front(tiny, tmp_path):
    path, out, _, _ = tiny
    run_and_write(path, tmp_path / "jobs2", executor=LocalExecutor(2))
    same_tables(out, tmp_path / "jobs2")


class Interrupt(Exception):
    pass


def test_a_killed_study_resumes_and_loses_nothing(tiny, tmp_path):
    path, out, outcome, _ = tiny
    folder = tmp_path / "resumed"
    done = [0]

    def stop_after_some(n: int) -> None:
        done[0] += n
        if done[0] >= 30:
            raise Interrupt

    with pytest.raises(Interrupt):
        run_and_write(path, folder, progress=stop_after_some)
    resumed, _ = run_and_write(path, folder)
    same_tables(out, folder)
    full = outcome.ladder.runner.simulated_nights
    assert 0 < resumed.ladder.runner.simulated_nights <= full - 28  # ≥ 28 saved before the kill


def test_another_study_in_the_folder_is_refused(tiny, tmp_path):
    _, out, _, _ = tiny
    other = write_study(tmp_path, {"search": {"batch": 2}})
    with pytest.raises(InputError, match="another plan study"):
        run_plan_study(load_plan_study(other), out)


@pytest.mark.slow
def test_dask_gives_the_identical_front(tiny, tmp_path):
    distributed = pytest.importorskip("distributed")
    from leapsim.experiments import DaskExecutor

    path, out, _, _ = tiny
    assert path.is_file()
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        run_and_write(path, tmp_path / "dask", executor=DaskExecutor(cluster.scheduler_address))
    same_tables(out, tmp_path / "dask")


@pytest.mark.slow
def test_campaign_study_outputs(tmp_path):
    path = campaign_study(tmp_path)
    outcome, summary = run_and_write(path, tmp_path / "out")
    assert summary["front"]
    for plan in summary["front"]:
        assert plan["sustained"]["mean"] >= plan["sustained"]["required"]
        folder = tmp_path / "out" / "plans" / plan["id"]
        prepared = outcome.ladder.get(plan["id"])
        config = load_campaign_config(folder / "campaign.yaml", compile_scenario(prepared.scenario))
        assert config == prepared.config
        schedule = read_table(folder / "schedule.parquet")
        bought = schedule["purchase_cost_eur"].sum() + schedule["production_cost_eur"].sum()
        rounds = sum(v for k, v in plan["cost_by_category_eur"].items() if k != "acquisition")
        assert bought == pytest.approx(rounds)


def test_merged_helper():
    assert merged({"a": {"b": 1, "c": 2}}, {"a": {"b": None, "d": 3}}) == {"a": {"c": 2, "d": 3}}


def test_the_report_shows_the_plan_view(tiny):
    from leapsim.report import build_report

    _, out, _, summary = tiny
    page = build_report([out])
    assert 'data-name="plan-front"' in page and 'data-name="plan-budget"' in page
    for plan in summary["front"]:
        assert plan["id"] in page
    assert f"Chosen plan {summary['chosen']}" in page
