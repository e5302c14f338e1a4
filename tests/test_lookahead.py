"""The ``lookahead`` policy against small cases solved exactly by brute force: one threat's
firing plan over its engagement opportunities (every plan enumerated, in expectation), the epoch's
assignment (every assignment enumerated), round prices, and two-layer nights in the engine."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from leapsim.c2.allocation import AllocationProblem
from leapsim.c2.lookahead import (
    RoundPrices,
    Stages,
    cost_to_go,
    expected_engagements,
    lookahead_allocation,
    round_price,
    shot_gains,
)
from leapsim.c2.policies import make_policy
from leapsim.engine import compile_scenario, simulate_night
from leapsim.engine.night import NightRun
from leapsim.scenario import builtin_scenario
from leapsim.seeds import run_rng
from scenario_factory import ORIGIN, compile_dict, one_site_scenario


def two_layer_stages(rng: np.random.Generator, n: int) -> Stages:
    """A decoy threat (no stages), then one threat with ``n`` opportunities: units 0 and 1 (an
    early costly layer, a later cheap one) and unit 2, in time order; each outcome is known
    one to three stages later."""
    unit = np.sort(rng.integers(0, 3, n))
    time_s = np.sort(rng.uniform(0.0, 600.0, n))
    pk = rng.uniform(0.2, 0.95, n)
    nxt = np.minimum(np.arange(n) + rng.integers(1, 4, n), n)
    return Stages(np.array([0, 0, n]), unit, time_s, pk, nxt)


def plan_cost(stages, fire, shots, value, usable, cost, availability):
    """Expected value lost + spend of the firing rule ``fire[i, s]`` (fire at stage i with s
    shots left, if the threat is alive and the opportunity is there), by enumerating every
    path: which opportunities are there and which engagements kill."""
    n = stages.unit.size

    def go(i, s):
        if i >= n:
            return value
        skip = go(i + 1, s)
        if not (fire[i, s] and usable[stages.unit[i]] and s > 0):
            return skip
        q = 1.0 - stages.pk[i]
        shoot = cost[stages.unit[i]] + q * go(stages.next[i], s - 1)
        return availability * shoot + (1.0 - availability) * skip

    return go(0, shots)


def plan_engagements(stages, fire, shots, usable, availability, n_units):
    """Expected engagements of each unit under the firing rule ``fire`` (as :func:`plan_cost`)."""
    n = stages.unit.size
    out = np.zeros(n_units)

    def go(i, s, p):
        if i >= n or p == 0.0:
            return
        if fire[i, s] and usable[stages.unit[i]] and s > 0:
            out[stages.unit[i]] += availability * p
            go(stages.next[i], s - 1, availability * p * (1.0 - stages.pk[i]))
            go(i + 1, s, (1.0 - availability) * p)
        else:
            go(i + 1, s, p)

    go(0, shots, 1.0)
    return out


def best_plan(stages, shots, value, usable, cost, availability):
    """(expected cost, firing rule) of the cheapest of every firing rule, enumerated."""
    n = stages.unit.size
    plans = []
    for bits in itertools.product([False, True], repeat=n * shots):
        fire = np.zeros((n, shots + 1), bool)
        fire[:, 1:] = np.array(bits).reshape(n, shots)
        plans.append((plan_cost(stages, fire, shots, value, usable, cost, availability), fire))
    return min(plans, key=lambda p: p[0])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("availability", [1.0, 0.7])
def test_cost_to_go_is_the_best_firing_plan(seed, availability):
    """J[0, shots] equals the cheapest of every firing rule (fire or hold at each stage and
    shots left), enumerated; a unit with no engagements left or above the cost rule's cap never
    fires; the expected engagements are the best rule's."""
    rng = np.random.default_rng(seed)
    n, shots, value = 5, 2, 1.0e6
    stages = two_layer_stages(rng, n)
    unit_cost = np.array([3.0e5, 2.0e3, 5.0e4])
    unit_price = np.array([1.0e5, 0.0, 2.0e4]) * (seed % 2)
    unit_left = np.array([4, 9, 0 if seed == 3 else 2], np.int64)
    max_cost = 1.0e5 if seed == 4 else np.inf  # seed 4: the cost rule bars unit 0
    usable = (unit_left > 0) & (unit_cost <= max_cost)
    J = cost_to_go(stages, 0, n, shots, value, max_cost, unit_cost, unit_price, unit_left,
                   availability)  # fmt: skip
    # a two-threat Stages: threat 1's stages are [0, n); threat 0 has none
    assert J.shape == (n + 1, shots + 1)
    assert np.all(J[:, 0] == value) and np.all(J[n] == value)
    best, best_fire = best_plan(stages, shots, value, usable, unit_cost + unit_price,
                                availability)  # fmt: skip
    assert J[0, shots] == pytest.approx(best, rel=1e-12)
    engaged = np.zeros(3)
    expected_engagements(stages, 0, n, shots, J, max_cost, unit_cost, unit_price, unit_left,
                         availability, engaged)  # fmt: skip
    np.testing.assert_allclose(
        engaged, plan_engagements(stages, best_fire, shots, usable, availability, 3), atol=1e-12
    )
    assert np.all(engaged[~usable] == 0.0)


def random_problem(rng: np.random.Generator, n_units: int, n_threats: int) -> AllocationProblem:
    pk = rng.uniform(0.1, 0.95, (n_units, n_threats))
    value = rng.choice([1e4, 1e5, 1e6], n_threats)
    miss = value * rng.uniform(0.2, 1.0, (n_units, n_threats))
    return AllocationProblem(
        pk=pk,
        feasible=rng.random((n_units, n_threats)) < 0.8,
        engagement_cost=rng.choice([1e3, 3e4, 2e5], n_units),
        capacity=rng.integers(0, 3, n_units),
        threat_value=value,
        threat_cost=np.full(n_threats, 2e4),
        survival_in_flight=rng.choice([1.0, 1.0, 0.5], n_threats),
        max_new_shots=rng.integers(0, 3, n_threats),
        hold_cost=value * rng.uniform(0.3, 1.0, n_threats),
        miss_cost=miss,
        round_price=rng.choice([0.0, 0.0, 5e4], n_units),
    ).normalized()


@pytest.mark.parametrize("seed", range(20))
def test_allocation_is_the_best_assignment(seed):
    """The policy's engagements are a valid assignment (one new engagement per threat at most,
    unit capacity, feasible pairs) of the greatest total gain: every assignment enumerated."""
    rng = np.random.default_rng(seed)
    problem = random_problem(rng, 3, 4)
    gain = shot_gains(problem)
    rows, cols = lookahead_allocation(problem)
    assert len(set(cols.tolist())) == cols.size
    assert np.all(np.bincount(rows, minlength=3) <= problem.capacity)
    assert np.all(gain[rows, cols] > 0.0)
    best = 0.0
    for choice in itertools.product(range(-1, 3), repeat=4):  # a unit (or none) per threat
        used = np.bincount([u for u in choice if u >= 0], minlength=3)
        if np.any(used > problem.capacity):
            continue
        total = sum(gain[u, t] for t, u in enumerate(choice) if u >= 0)
        best = max(best, total)
    assert gain[rows, cols].sum() == pytest.approx(best, rel=1e-12)


def test_a_shot_gain_is_the_cost_saved():
    """Gain of u on t: S_t (hold_t − (1 − p) miss_ut) − c_u − λ_u; without the lookahead fields,
    the myopic S_t p V_t − c_u."""
    rng = np.random.default_rng(0)
    problem = random_problem(rng, 2, 3)
    gain = shot_gains(problem)
    for u, t in zip(*np.nonzero(np.isfinite(gain)), strict=True):
        saved = problem.hold_cost[t] - (1 - problem.pk[u, t]) * problem.miss_cost[u, t]
        cost = problem.engagement_cost[u] + problem.round_price[u]
        assert gain[u, t] == pytest.approx(problem.survival_in_flight[t] * saved - cost)
    myopic = problem._replace(hold_cost=None, miss_cost=None, round_price=None).normalized()
    gain = shot_gains(myopic)
    for u, t in zip(*np.nonzero(np.isfinite(gain)), strict=True):
        expected = problem.survival_in_flight[t] * problem.pk[u, t] * problem.threat_value[t]
        assert gain[u, t] == pytest.approx(expected - problem.engagement_cost[u])


def test_round_price_is_the_best_opportunity_that_does_not_fit():
    """A unit with opportunities worth 9, 5, 2 (EUR per engagement, 1, 2 and 1 engagements):
    with 4 engagements left all fit (price 0), with 3 the worth-2 one does not (2), with 2 the
    worth-5 one does not (5); passed opportunities no longer count; none left: inf."""
    prices = RoundPrices(
        np.array([0, 3]), np.array([100.0, 50.0, 10.0]), np.array([9.0, 5.0, 2.0]),
        np.array([1.0, 2.0, 1.0]),
    )  # fmt: skip
    assert [round_price(prices, 0, 0.0, e) for e in (4, 3, 2, 1, 0)] == [0, 2, 5, 5, np.inf]
    assert round_price(prices, 0, 60.0, 1) == 0.0  # only the 100 s one is still to come


def two_layer_night(tmp_path, value_eur: float, shots: int):
    """One drone flying at a depot: a EUR 100k missile unit (Pk 0.9) reaches it first, then a
    EUR 10-a-round gun (Pk 0.5, 3 km); both have rounds to spare."""
    data = one_site_scenario(
        value_eur=value_eur,
        doctrine={"policy": "lookahead", "max_shots_per_threat": shots,
                  "lookahead_availability": 1.0},
    )  # fmt: skip
    effectors = data["catalogue"]["effector_types"]
    effectors["test_missile"] = {
        **effectors["test_gun"], "kind": "missile", "cost_per_round_eur": 100_000,
        "pk": {"drone": 0.9},
    }  # fmt: skip
    effectors["test_gun"].update(max_range_m=3000)
    data["fire_units"].append({"type": "test_missile", **ORIGIN, "nation": "PL"})
    return compile_dict(tmp_path, data)


@pytest.mark.parametrize(
    ("value_eur", "shots", "first"),
    [
        # value at risk 0.1 × site: 10 M€ makes the missile's 0.4 × 10 M€ better kill pay
        (1.0e8, 1, "test_missile"),
        # 100 k€ at risk: a 100 k€ missile is never worth it; the gun it is
        (1.0e6, 1, "test_gun"),
        (1.0e6, 2, "test_gun"),
    ],
)
def test_two_layers_in_the_engine_follow_the_exact_plan(tmp_path, value_eur, shots, first):
    """In the engine, the first engagement on a lone threat is by the layer the brute-force best
    plan over its opportunities fires first; the epoch's hold cost is that plan's expected cost
    from the next opportunity on."""
    params = two_layer_night(tmp_path, value_eur, shots)
    run = NightRun(params, run_rng(2, 0), None, lookahead=True)
    stages = run.night.lookahead.stages
    unit_cost = run.night.lookahead.unit_cost
    value = value_eur * 0.1
    n = stages.unit.size
    assert n >= 2 and set(stages.unit.tolist()) == {0, 1}
    problem = run.next_decision()
    t = run.time_s
    later = stages.time_s > t
    sub = Stages(
        np.array([0, int(later.sum())]), stages.unit[later], stages.time_s[later],
        stages.pk[later], stages.next[later] - (n - later.sum()),
    )  # fmt: skip
    if shots == 1:
        best, _ = best_plan(sub, shots, value, np.ones(2, bool), unit_cost, 1.0)
        assert problem.hold_cost[0] == pytest.approx(best, rel=1e-9)
    assert np.all(problem.round_price == 0.0)  # rounds to spare: no price
    outcome = simulate_night(params, run_rng(2, 0))
    shooter = params.effector_types.names[params.unit_type[outcome.engagements["unit"][0]]]
    assert shooter == first


def test_compiled_and_stepped_lookahead_agree():
    """The lookahead policy answering from Python through NightRun(lookahead=True) gives the
    compiled policy's night, engagement for engagement."""
    params = compile_scenario(builtin_scenario("rzeszow_leap"))
    policy = make_policy("lookahead", params.doctrine)
    inside = simulate_night(params, run_rng(5, 0), policy=policy)
    rng = run_rng(5, 0)
    run = NightRun(params, rng, None, lookahead=True)
    while (problem := run.next_decision()) is not None:
        run.decide(policy(problem, rng))
    outside = run.outcome()
    np.testing.assert_array_equal(inside.fate, outside.fate)
    for key, column in inside.engagements.items():
        np.testing.assert_array_equal(column, outside.engagements[key], err_msg=key)
