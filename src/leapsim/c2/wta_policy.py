"""The ``wta`` fire-allocation policy: each epoch's engagements as a cost-aware WTA problem.

Weapons are the fire units (availability = free engagements), targets the threats with value
``threat_value * survival_in_flight`` (EUR still at risk after the engagements already flying),
kill probability ``pk`` where the engagement is feasible, shot cost ``engagement_cost`` and
weight 1 (value and spend are both EUR), and at most ``max_new_shots`` new engagements per
threat. The search (:func:`leapsim.c2.wta.search.search`, one worker, every pair a candidate)
runs on a fixed iteration budget with a seed drawn from the run's generator, so a run is
bit-identical on any machine; it stops early when the exact optimum of a small epoch problem
(found by enumeration) shows that its best cannot improve, which leaves the answer unchanged.

Compiled: the engine's night loop calls :func:`wta_allocation` at every epoch; the policy object
is made by :func:`leapsim.c2.policies.make_wta_policy`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from leapsim.c2.allocation import AllocationProblem
from leapsim.c2.wta import _kernels as K
from leapsim.c2.wta.problem import WTAProblem

_SEED_HIGH = np.iinfo(np.int64).max


@njit(cache=True)
def wta_arrays(problem: AllocationProblem) -> tuple:
    """(values, p, mask, availability, max_shots) of the epoch's WTA instance (see the module
    docstring); ``problem`` normalized."""
    pk = problem.pk
    n_units, n_threats = pk.shape
    mask = np.zeros((n_units, n_threats), np.bool_)
    p = np.zeros((n_units, n_threats))
    for u in range(n_units):
        for t in range(n_threats):
            if problem.feasible[u, t] and pk[u, t] > 0 and problem.max_new_shots[t] > 0:
                mask[u, t] = True
                p[u, t] = min(max(pk[u, t], 0.0), 1.0)
    values = np.maximum(problem.threat_value * problem.survival_in_flight, 0.0)
    availability = np.maximum(problem.capacity, 0)
    max_shots = np.maximum(problem.max_new_shots, 0)
    return values, p, mask, availability, max_shots


def wta_problem(problem: AllocationProblem) -> WTAProblem:
    """The static WTA instance of one decision epoch (see the module docstring)."""
    problem = problem.normalized()
    values, p, mask, availability, max_shots = wta_arrays(problem)
    return WTAProblem(
        values=values,
        p=p,
        availability=availability,
        cost=problem.engagement_cost,
        cost_weight=1.0,
        max_shots=max_shots,
        mask=mask,
    )


@njit(cache=True)
def wta_allocation(problem: AllocationProblem, rng, settings: K.Settings) -> tuple:
    """The engagements the ``wta`` policy starts: (unit rows, threat columns), one entry per
    shot, sorted. ``rng`` (the run's ``numpy.random.Generator``) gives one seed per non-empty
    epoch; ``settings`` holds the search's budget."""
    n_units, n_threats = problem.pk.shape
    unit = np.empty(0, np.int64)
    threat = np.empty(0, np.int64)
    if n_units == 0 or n_threats == 0:
        return unit, threat
    v, p, mask, avail, maxs = wta_arrays(problem)
    if not avail.any() or not mask.any() or not v.any():
        return unit, threat
    seed = rng.integers(0, _SEED_HIGH)
    q = np.maximum(1.0 - p, K.QMIN)
    usable = np.zeros((n_units, n_threats), np.bool_)
    first_return = np.full((n_units, n_threats), -np.inf)
    for i in range(n_units):
        for j in range(n_threats):
            if mask[i, j] and p[i, j] > 0 and v[j] > 0:
                usable[i, j] = True
                first_return[i, j] = v[j] * p[i, j]
    ucost = problem.engagement_cost.copy()
    inst = K.instance(v, p, q, ucost, maxs, avail, usable, first_return)
    x0 = K.layered_assignment_counts(v, p, q, mask, ucost, maxs, avail)
    tgt0 = K.units_from_counts(x0, inst.unit_start)
    bound = K.enumerated_optimum(inst, _ENUMERATION_LEAVES)
    best, _ = K.search_on_budget(inst, inst, tgt0, True, K.rng_from_seed(seed), settings, bound)
    counts = K.counts_from_units(best.target, inst.unit_start, n_threats)
    shots = counts.sum()
    unit = np.empty(shots, np.int64)
    threat = np.empty(shots, np.int64)
    s = 0
    for i in range(n_units):
        for j in range(n_threats):
            for _ in range(counts[i, j]):
                unit[s] = i
                threat[s] = j
                s += 1
    return unit, threat


_ENUMERATION_LEAVES = 4096
"""Most assignments the policy enumerates for an epoch's exact optimum; bigger epoch
problems run the whole iteration budget."""
