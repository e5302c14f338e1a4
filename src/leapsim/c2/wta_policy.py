"""The ``wta`` fire-allocation policy: each epoch's engagements as a cost-aware WTA problem.

Weapons are the fire units (availability = free engagements), targets the threats with value
``threat_value * survival_in_flight`` (EUR still at risk after the engagements already flying),
kill probability ``pk`` where the engagement is feasible, shot cost ``engagement_cost`` and
weight 1 (value and spend are both EUR), and at most ``max_new_shots`` new engagements per
threat. The search runs on a fixed iteration budget with a seed drawn from the epoch's
generator, so a run is bit-identical on any machine.
"""

from __future__ import annotations

import numpy as np

from leapsim.c2.allocation import AllocationPolicy, AllocationProblem, Assignment
from leapsim.c2.wta.problem import WTAProblem
from leapsim.c2.wta.search import SearchParams, search


def wta_problem(problem: AllocationProblem) -> WTAProblem:
    """The static WTA instance of one decision epoch (see the module docstring)."""
    mask = problem.feasible & (problem.pk > 0) & (problem.max_new_shots > 0)[None, :]
    values = np.clip(problem.threat_value * problem.survival_in_flight, 0.0, None)
    return WTAProblem(
        values=values,
        p=np.where(mask, np.clip(problem.pk, 0.0, 1.0), 0.0),
        availability=np.maximum(problem.capacity, 0).astype(np.int64),
        cost=problem.engagement_cost,
        cost_weight=1.0,
        max_shots=np.maximum(problem.max_new_shots, 0).astype(np.int64),
        mask=mask,
    )


def make_wta_policy(
    iterations: int = 50, descent_rounds: int = 3, n_candidates: int | None = None
) -> AllocationPolicy:
    """A policy that solves each epoch's WTA problem with at most ``descent_rounds`` rounds of
    the assignment-move descent and ``iterations`` iterations of the
    search (:func:`leapsim.c2.wta.search.search`), considering the ``n_candidates`` best
    threats of each unit (None: all; fastest for epoch-sized problems), and starts one engagement
    per assigned shot."""
    if iterations < 0:
        raise ValueError("iterations must be >= 0")
    params = SearchParams(n_candidates=n_candidates, descent_rounds=descent_rounds)

    def policy(problem: AllocationProblem, rng: np.random.Generator) -> Assignment:
        if problem.n_units == 0 or problem.n_threats == 0:
            return Assignment.empty()
        wp = wta_problem(problem)
        if not wp.availability.any() or not wp.mask.any() or not wp.values.any():
            return Assignment.empty()
        seed = int(rng.integers(0, np.iinfo(np.int64).max))
        counts = search(wp, time_limit=None, iterations=iterations, seed=seed, params=params).counts
        unit, threat = np.nonzero(counts)
        reps = counts[unit, threat]
        return Assignment(
            np.repeat(unit, reps).astype(np.int64), np.repeat(threat, reps).astype(np.int64)
        )

    return policy
