"""Requirements and joint procurement (issue 13): the one-layer closed form of the break-even
frontier, Shapley shares, the coalition model, and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from leapsim.errors import InputError
from leapsim.experiments import Checkpoint, LocalExecutor
from leapsim.planning.study import coalition_problems, load_plan_study
from leapsim.procurement.coalition import (
    Demand,
    LineCost,
    analyse,
    cost_game,
    purchases,
    saving_game,
)
from leapsim.procurement.game import core_violation, least_core, shapley
from leapsim.procurement.requirements import Requirements, frontier, parse_vary, setup
from plan_fixtures import SITE, TINY, write_study

INCUMBENT = {
    "kind": "gun",
    "cost_per_round_eur": 10000,
    "unit_cost_eur": 1.0e6,
    "min_range_m": 0,
    "max_range_m": 20000,
    "min_altitude_m": 0,
    "max_altitude_m": 5000,
    "fire_channels": 1000,  # unlimited channels
    "engagement_time_s": 2,
    "rounds_per_engagement": 1,
    "magazine": 1000000,
    "reload_time_s": 0,
    "pk": {"drone": 0.6},
    "source": "test type for the one-layer closed form",
}
SHOTS = 20  # shots per threat allowed: a threat escapes with (1 − p)^20, negligible here


def one_layer_study(folder):
    """One site, 30 drones of one type, one incumbent gun with unlimited channels and rounds,
    fire until killed (max_pk, shoot-look-shoot, 20 shots), negligible site value."""
    changes = {
        "catalogue": {"effector_types": {"incumbent_gun": INCUMBENT}},
        "scenario": {
            "sites": [{**SITE, "value_eur": 1.0e5}],
            "sensors": [{"type": "long_range_radar", "lat": 50.06, "lon": 22.0, "nation": "PL"}],
            "fire_units": [{"type": "incumbent_gun", "lat": 50.06, "lon": 22.0, "nation": "PL"}],
            "raids": [TINY["scenario"]["raids"][0] | {"count": 30, "spread_s": 600}],
            "doctrine": {"policy": "max_pk", "max_shots_per_threat": SHOTS},
        },
    }
    return write_study(folder, changes)


def expected_shots(p: float) -> float:
    """Shots per threat fired until it dies, at most SHOTS: (1 − (1 − p)^K) / p."""
    return (1 - (1 - p) ** SHOTS) / p


@pytest.mark.slow
def test_one_layer_frontier_matches_the_closed_form(tmp_path):
    """The candidate pays when its cost per expected kill c/p is below the incumbent's: the
    break-even round cost at Pk p is c_I · E[shots](p_I) / E[shots](p) ≈ c_I · p / p_I."""
    study = load_plan_study(one_layer_study(tmp_path))
    s = setup(study, "incumbent_gun", ["pk=0.3:0.9", "cost_per_round_eur=1e3:1e5"],
              grid=4, rounds=3, runs=48)  # fmt: skip
    req = Requirements(s, LocalExecutor(1), Checkpoint(tmp_path / "ck"))
    req.run()
    rows = frontier(req, "incumbent_gun")
    assert [round(r["pk"], 6) for r in rows] == [0.3, 0.5, 0.7, 0.9]
    for row in rows:
        closed = 1e4 * expected_shots(0.6) / expected_shots(row["pk"])
        low, high = row["cost_per_round_eur_band_low"], row["cost_per_round_eur_band_high"]
        # within Monte Carlo error: twice the 95 % half-width (each band alone misses 5 % of
        # the time, so four bands all holding the value would fail one run in five)
        assert abs(row["cost_per_round_eur"] - closed) <= high - low, (row, closed)
        assert high / low < 1.2  # the Monte Carlo band is narrow: the match means something
    # adaptive: points were added only on the lines' crossings, not on a full fine grid
    assert len(req.points) < 4 * (3 * 2**3 + 1)
    assert sum(p.round > 0 for p in req.points.values()) == 4 * 3


def test_vary_and_effector_errors(tmp_path):
    study = load_plan_study(one_layer_study(tmp_path))
    with pytest.raises(InputError, match="unknown effector type 'incumbent_gn'"):
        setup(study, "incumbent_gn", ["pk=0.3:0.9"])
    with pytest.raises(InputError, match="the range is empty"):
        parse_vary("pk=0.9:0.3")
    with pytest.raises(InputError, match="did you mean 'cost_per_round_eur'"):
        parse_vary("cost_per_round=1:2")
    with pytest.raises(InputError, match="expected pk=LOW:HIGH"):
        parse_vary("pk=lots")
    with pytest.raises(InputError, match="not a valid effector type"):
        setup(study, "incumbent_gun", ["pk=0.3:1.5"])
    with pytest.raises(InputError, match="give at least one --vary"):
        setup(study, "incumbent_gun", [])
    with pytest.raises(InputError, match="has no 'stinger' unit"):
        setup(study, "incumbent_gun", ["pk=0.3:0.9"], incumbents=["stinger"])
    assert parse_vary("cost_per_round_eur=1e3:1e6").log
    assert not parse_vary("pk=0.3:0.95").log


def test_requirements_cli_bad_input_exit_2(cli, tmp_path):
    path = one_layer_study(tmp_path)
    result = cli("requirements", path, "--effector", "nope", "--vary", "pk=0.3:0.9",
                 "--out", tmp_path / "out")  # fmt: skip
    assert result.exit_code == 2 and "unknown effector type 'nope'" in result.stderr
    result = cli("requirements", path, "--effector", "incumbent_gun", "--vary", "pk=0.5:0.5",
                 "--out", tmp_path / "out")  # fmt: skip
    assert result.exit_code == 2 and "the range is empty" in result.stderr


# -- games --------------------------------------------------------------------------------------
def game(n: int, value) -> np.ndarray:
    return np.array([value([i for i in range(n) if s >> i & 1]) for s in range(2**n)], float)


def test_shapley_efficiency_symmetry_null_player():
    rng = np.random.default_rng(3)
    weights = rng.random(5)
    # a saving game: buying together saves the square root of the joint order (concave)
    v = game(5, lambda s: sum(weights[s]) - np.sqrt(sum(weights[s] ** 2)) if s else 0.0)
    phi = shapley(v)
    assert phi.sum() == pytest.approx(v[-1])  # efficiency
    twins = game(4, lambda s: (len(s) - 1) ** 1.5 if len(s) > 1 else 0.0)
    assert np.allclose(shapley(twins), twins[-1] / 4)  # identical players: equal shares
    with_null = game(5, lambda s: v[sum(1 << i for i in s if i != 2)])  # player 2 adds nothing
    phi_null = shapley(with_null)
    assert phi_null[2] == pytest.approx(0.0, abs=1e-9)
    assert phi_null.sum() == pytest.approx(with_null[-1])


def test_core_checks():
    glove = game(3, lambda s: 1.0 if 0 in s and (1 in s or 2 in s) else 0.0)  # one left glove
    epsilon, x = least_core(glove)
    assert epsilon == pytest.approx(0.0, abs=1e-9)
    assert x == pytest.approx([1.0, 0.0, 0.0], abs=1e-9)  # the core is the left glove's
    assert core_violation(glove, shapley(glove)) > 0  # Shapley (2/3, 1/6, 1/6) is not in it
    convex = game(4, lambda s: len(s) ** 2)  # convex games: Shapley lies in the core
    assert core_violation(convex, shapley(convex)) <= 1e-9


def synthetic_demand(samples: np.ndarray, held: np.ndarray | None = None) -> Demand:
    _, m, j = samples.shape
    return Demand(tuple(f"m{k}" for k in range(m)), tuple(f"N{k}" for k in range(j)), samples,
                  np.zeros((m, j), np.int64) if held is None else held, 30)  # fmt: skip


LINE = LineCost(line_eur=1e6, first_unit_eur=1000.0, learning_rate=0.85, produced_before=0,
                standardised=True)  # fmt: skip


def test_pooling_learning_and_lines_make_joint_buying_cheaper():
    rng = np.random.default_rng(1)
    samples = rng.poisson(400, size=(200, 1, 3)).astype(np.int64)
    demand = synthetic_demand(samples)
    bought = purchases(demand, 0.9)
    alone = [bought[1 << j, 0] for j in range(3)]
    assert bought[7, 0] < sum(alone)  # risk pooling: the quantile of the sum is smaller
    assert bought[1, 0] == np.quantile(samples[:, 0, 0], 0.9, method="inverted_cdf")
    cost = cost_game(demand, [LINE], bought)
    v = saving_game(cost)
    assert v[7] > 2 * LINE.line_eur  # two lines saved, plus learning and pooling
    phi = shapley(v)
    assert phi.sum() == pytest.approx(v[7])


def test_coalition_shares_equal_for_identical_nations_and_zero_for_a_null_nation():
    rng = np.random.default_rng(2)
    a = rng.poisson(300, size=(100, 2)).astype(np.int64)
    samples = np.stack([a, a, rng.poisson(500, size=(100, 2)), np.zeros((100, 2))], axis=2)
    demand = synthetic_demand(samples.astype(np.int64))
    lines = [LINE, LineCost(2e5, 50.0, 0.9, 1000, standardised=False)]
    outcome = analyse(demand, lines, 0.9, seed=1)
    assert outcome.shapley.sum() == pytest.approx(outcome.saving[-1])
    assert outcome.shapley[0] == pytest.approx(outcome.shapley[1])  # identical nations
    assert outcome.shapley[3] == pytest.approx(0.0, abs=1e-6)  # a nation that adds nothing
    assert np.all(outcome.shapley_ci[:, 0] <= outcome.shapley + 1e-6)


def test_coalition_study_needs_a_campaign_and_nations(tmp_path):
    study = load_plan_study(write_study(tmp_path))
    fields = {p.field for p in coalition_problems(study)}
    assert fields == {"threat.campaign", "constraints.sustainability"}
    alone = {"nations": {"names": ["PL"], "budget_eur": None, "total_budget_eur": 1e7},
             "purchases": TINY["purchases"][1:2]}  # fmt: skip
    one = load_plan_study(write_study(tmp_path, alone, name="one.yaml"))
    assert "nations.names" in {p.field for p in coalition_problems(one)}


def test_coalition_cli_refuses_a_study_without_campaign(cli, tmp_path):
    result = cli("coalition", write_study(tmp_path), "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "a coalition study needs threat.campaign" in result.stderr


@pytest.mark.slow
def test_coalition_cli_on_a_small_campaign(cli, tmp_path):
    units = [
        {"type": "interceptor_drone_sting", "lat": 50.10 - 0.02 * k, "lon": 22.10,
         "nation": nation, "reserve_rounds": 0}
        for k, nation in enumerate(["PL", "DE", "UK", "PL"])
    ]  # fmt: skip
    changes = {
        "scenario": {"fire_units": units},
        "threat": {"campaign": {"nights": 4, "threat_scale": 0.02}},
        "constraints": {"sustainability": {"nights": 4, "probability": 0.8}},
        "coalition": {"line_cost_eur": {"interceptor_drone_sting": 1e5},
                      "munitions": ["interceptor_drone_sting"], "runs": 8},
    }  # fmt: skip
    path = write_study(tmp_path, changes)
    result = cli("coalition", path, "--out", tmp_path / "out", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    shares = {n: d["shapley_saving_eur"] for n, d in summary["nations"].items()}
    assert sum(shares.values()) == pytest.approx(summary["grand_coalition"]["saving_eur"])
    for nation in ("FR", "IT"):  # no unit of theirs: they add nothing to any coalition
        assert shares[nation] == pytest.approx(0.0, abs=1e-6)
    assert len(summary["coalitions"]) == 31
    assert yaml.safe_load(path.read_text())["coalition"]["runs"] == 8
    from leapsim.report import build_report

    page = build_report([tmp_path / "out"])
    assert 'data-name="coalition-shares"' in page and "FR+DE+IT+PL+UK" in page
