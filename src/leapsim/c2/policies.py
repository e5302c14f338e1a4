"""Fire-allocation policies: ``cost_aware`` (default), ``max_pk`` (legacy) and ``wta``.

Both greedy policies walk the threats in the problem's column order (most urgent first) and give
each up to ``max_new_shots`` engagements from units with spare capacity:

* ``max_pk`` picks the unit with the highest Pk, whatever it costs.
* ``cost_aware`` picks the unit with the lowest cost per expected kill ``c_u / p_ut`` among those
  whose expected value saved justifies the shot, ``p_ut · V_t · S_t ≥ c_u`` (``V_t`` value at
  risk, ``S_t`` survival of engagements already in flight, updated after each shot). It holds fire
  when a layer at least :data:`HOLD_FOR_CHEAPER` times cheaper per kill will get a full engagement
  later in the threat's flight.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from leapsim.c2.allocation import AllocationPolicy, AllocationProblem, Assignment

HOLD_FOR_CHEAPER = 2.0


@njit(cache=True)
def greedy_allocation(
    pk, feasible, cost, capacity, value, survival, max_new, later, cost_aware, hold
):
    """The greedy walk described in the module docstring; returns (unit rows, threat columns)."""
    n_units, n_threats = pk.shape
    cap = capacity.copy()
    out_u = np.empty(max(1, int(cap.sum())), np.int64)
    out_t = np.empty_like(out_u)
    n = 0
    for t in range(n_threats):
        at_risk = value[t] * survival[t]
        shots = 0
        while shots < max_new[t] and n < out_u.size:
            best = -1
            best_score = np.inf
            for u in range(n_units):
                if not feasible[u, t] or cap[u] <= 0 or pk[u, t] <= 0.0:
                    continue
                if cost_aware:
                    if pk[u, t] * at_risk < cost[u]:
                        continue
                    score = cost[u] / pk[u, t]
                else:
                    score = -pk[u, t]
                if score < best_score:
                    best = u
                    best_score = score
            if best < 0:
                break
            if cost_aware and later[t] * hold <= best_score:
                break
            out_u[n] = best
            out_t[n] = t
            n += 1
            cap[best] -= 1
            shots += 1
            at_risk *= 1.0 - pk[best, t]
    return out_u[:n], out_t[:n]


def _run_greedy(problem: AllocationProblem, cost_aware: bool) -> Assignment:
    later = problem.later_cost_per_kill
    if later is None:
        later = np.full(problem.n_threats, np.inf)
    u, t = greedy_allocation(
        np.ascontiguousarray(problem.pk, dtype=np.float64),
        np.ascontiguousarray(problem.feasible, dtype=np.bool_),
        np.asarray(problem.engagement_cost, dtype=np.float64),
        np.asarray(problem.capacity, dtype=np.int64),
        np.asarray(problem.threat_value, dtype=np.float64),
        np.asarray(problem.survival_in_flight, dtype=np.float64),
        np.asarray(problem.max_new_shots, dtype=np.int64),
        np.asarray(later, dtype=np.float64),
        cost_aware,
        HOLD_FOR_CHEAPER,
    )
    return Assignment(u, t)


def cost_aware_policy(problem: AllocationProblem, rng: np.random.Generator) -> Assignment:
    """Cheapest justified engagement per threat, holding fire for a much cheaper later layer."""
    return _run_greedy(problem, cost_aware=True)


def max_pk_policy(problem: AllocationProblem, rng: np.random.Generator) -> Assignment:
    """Legacy: the highest-Pk unit per threat regardless of cost."""
    return _run_greedy(problem, cost_aware=False)


def make_policy(name: str, doctrine=None) -> AllocationPolicy:
    """The allocation policy called ``name`` (``cost_aware``, ``max_pk`` or ``wta``)."""
    if name == "cost_aware":
        return cost_aware_policy
    if name == "max_pk":
        return max_pk_policy
    if name == "wta":
        from leapsim.c2.wta_policy import make_wta_policy

        iterations = doctrine.wta_iterations if doctrine is not None else 200
        return make_wta_policy(iterations=iterations)
    raise ValueError(f"unknown allocation policy {name!r}")
