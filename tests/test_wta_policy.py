"""The engine's ``wta`` allocation policy adapter."""

from __future__ import annotations

import numpy as np
import pytest

from leapsim.c2.allocation import AllocationProblem
from leapsim.c2.policies import make_wta_policy
from leapsim.c2.wta_policy import wta_problem


def epoch(rng: np.random.Generator, units: int = 12, threats: int = 80) -> AllocationProblem:
    feasible = rng.random((units, threats)) < 0.4
    pk = np.where(feasible, rng.uniform(0.3, 0.95, (units, threats)), 0.0)
    return AllocationProblem(
        pk=pk,
        feasible=feasible,
        engagement_cost=rng.choice([2e4, 1.5e5, 1e6, 4e6], units),
        capacity=rng.integers(0, 4, units),
        threat_value=np.where(rng.random(threats) < 0.2, 0.0, rng.uniform(1e4, 5e6, threats)),
        threat_cost=rng.uniform(2e4, 1e6, threats),
        survival_in_flight=rng.uniform(0.2, 1.0, threats),
        max_new_shots=rng.integers(0, 3, threats),
    )


def test_assignment_respects_capacity_feasibility_and_shot_limits():
    policy = make_wta_policy(iterations=50)
    for seed in range(10):
        problem = epoch(np.random.default_rng(seed))
        a = policy(problem, np.random.default_rng(100 + seed))
        assert a.unit.dtype == np.int64 and a.threat.dtype == np.int64
        assert np.all(problem.feasible[a.unit, a.threat])
        assert np.all(np.bincount(a.unit, minlength=problem.n_units) <= problem.capacity)
        assert np.all(np.bincount(a.threat, minlength=problem.n_threats) <= problem.max_new_shots)
        assert np.all(problem.threat_value[a.threat] > 0)  # never a shot at a worthless decoy


def test_every_shot_pays_for_itself():
    policy = make_wta_policy(iterations=50)
    problem = epoch(np.random.default_rng(1))
    wp = wta_problem(problem)
    a = policy(problem, np.random.default_rng(2))
    counts = np.zeros((problem.n_units, problem.n_threats), np.int64)
    np.add.at(counts, (a.unit, a.threat), 1)
    f = wp.objective(counts)
    for k in range(len(a)):  # dropping any one shot must not lower the objective
        fewer = counts.copy()
        fewer[a.unit[k], a.threat[k]] -= 1
        assert wp.objective(fewer) >= f - 1e-6


def test_deterministic_given_the_generator():
    policy = make_wta_policy(iterations=80)
    problem = epoch(np.random.default_rng(9), units=20, threats=150)
    a = policy(problem, np.random.default_rng(5))
    b = policy(problem, np.random.default_rng(5))
    np.testing.assert_array_equal(a.unit, b.unit)
    np.testing.assert_array_equal(a.threat, b.threat)


def test_inputs_not_modified():
    problem = epoch(np.random.default_rng(4))
    before = {k: np.copy(getattr(problem, k)) for k in ("pk", "capacity", "max_new_shots")}
    make_wta_policy(iterations=20)(problem, np.random.default_rng(0))
    for k, arr in before.items():
        np.testing.assert_array_equal(getattr(problem, k), arr)


def test_value_and_cost_trade_off():
    # one unit, one threat worth 1 MEUR: a 0.5 MEUR shot at pk 0.9 pays; a 2 MEUR one does not
    def single(cost: float) -> AllocationProblem:
        return AllocationProblem(
            pk=np.array([[0.9]]),
            feasible=np.array([[True]]),
            engagement_cost=np.array([cost]),
            capacity=np.array([2]),
            threat_value=np.array([1e6]),
            threat_cost=np.array([5e4]),
            survival_in_flight=np.array([1.0]),
            max_new_shots=np.array([2]),
        )

    policy = make_wta_policy(iterations=10)
    assert len(policy(single(5e5), np.random.default_rng(0))) == 1
    assert len(policy(single(2e6), np.random.default_rng(0))) == 0
    # a threat already almost surely killed in flight is not worth a new shot
    p = single(5e5)
    p = p._replace(survival_in_flight=np.array([0.1]))
    assert len(policy(p, np.random.default_rng(0))) == 0


def test_empty_epochs():
    policy = make_wta_policy()
    rng = np.random.default_rng(0)
    empty = epoch(rng, units=0, threats=5)
    assert len(policy(empty, rng)) == 0
    none_free = epoch(rng)
    none_free = none_free._replace(capacity=np.zeros(12, np.int64))
    assert len(policy(none_free, rng)) == 0


def test_rejects_negative_budget():
    with pytest.raises(ValueError):
        make_wta_policy(iterations=-1)
