"""Fire-allocation policies: ``cost_aware`` (default), ``max_pk`` (legacy), ``wta`` and
``lookahead``.

Both greedy policies walk the threats in the problem's column order (most urgent first) and give
each up to ``max_new_shots`` engagements from units with spare capacity:

* ``max_pk`` picks the unit with the highest Pk, whatever it costs.
* ``cost_aware`` picks the unit with the lowest cost per expected kill ``c_u / p_ut`` among those
  whose expected value saved justifies the shot, ``p_ut · V_t · S_t ≥ c_u`` (``V_t`` value at
  risk, ``S_t`` survival of engagements already in flight, updated after each shot). It holds fire
  when a layer at least ``hold_for_cheaper`` times cheaper per kill (a doctrine number) will get a
  full engagement later in the threat's flight.

``wta`` solves each epoch's weapon-target assignment (:mod:`leapsim.c2.wta_policy`).
``lookahead`` weighs each shot against the threat's later opportunities and the price of the
unit's rounds over the rest of the night (:mod:`leapsim.c2.lookahead`).

All four are :class:`CompiledPolicy` objects: the engine's compiled night loop runs them itself
through :func:`allocate`, with no call into Python per epoch, and Python may call them like any
:data:`~leapsim.c2.allocation.AllocationPolicy`. A new compiled policy is a code in
:data:`POLICIES`, its numbers in :class:`PolicyConfig`, and a branch in :func:`allocate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit

from leapsim.c2.allocation import AllocationPolicy, AllocationProblem, Assignment
from leapsim.c2.lookahead import lookahead_allocation
from leapsim.c2.wta._kernels import Settings
from leapsim.c2.wta.search import SearchParams
from leapsim.c2.wta_policy import wta_allocation
from leapsim.scenario.models import Doctrine

POLICIES = ("cost_aware", "max_pk", "wta", "lookahead")
"""Names of the compiled policies; a policy's code is its index."""
COST_AWARE, MAX_PK, WTA, LOOKAHEAD = range(len(POLICIES))
EXTERNAL = -1
"""Code of a policy that is not compiled: the night loop hands each epoch back to Python."""
WTA_DESCENT_ROUNDS = 3
"""Most assignment-move descent rounds of the ``wta`` search per epoch (epoch problems are
small; the standalone solver's default is tuned for large instances)."""


class PolicyConfig(NamedTuple):
    """Which compiled policy runs, with its numbers (from the doctrine)."""

    code: int  # index into POLICIES
    hold_for_cheaper: float  # cost_aware
    wta: Settings  # the wta search (its iterations are the doctrine's wta_iterations)


@njit(cache=True)
def allocate(config: PolicyConfig, problem: AllocationProblem, rng) -> tuple:
    """The engagements compiled policy ``config`` starts on ``problem`` (normalized, see
    :meth:`AllocationProblem.normalized`): (unit rows, threat columns), one entry per shot.
    ``rng`` is the run's ``numpy.random.Generator``."""
    if config.code == WTA:
        return wta_allocation(problem, rng, config.wta)
    if config.code == LOOKAHEAD:
        return lookahead_allocation(problem)
    return greedy_allocation(problem, config.code == COST_AWARE, config.hold_for_cheaper)


@njit(cache=True)
def greedy_allocation(problem: AllocationProblem, cost_aware: bool, hold: float) -> tuple:
    """The greedy walk described in the module docstring; returns (unit rows, threat columns)."""
    pk = problem.pk
    feasible = problem.feasible
    cost = problem.engagement_cost
    value = problem.threat_value
    survival = problem.survival_in_flight
    max_new = problem.max_new_shots
    later = problem.later_cost_per_kill
    n_units, n_threats = pk.shape
    cap = problem.capacity.copy()
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


@dataclass(frozen=True)
class CompiledPolicy:
    """An allocation policy the compiled night loop runs itself; called from Python it is an
    :data:`~leapsim.c2.allocation.AllocationPolicy` giving the same answers."""

    name: str
    config: PolicyConfig

    def __call__(self, problem: AllocationProblem, rng: np.random.Generator) -> Assignment:
        unit, threat = allocate(self.config, problem.normalized(), rng)
        return Assignment(unit, threat)


_DEFAULT = Doctrine()


def make_policy(name: str, doctrine=None) -> AllocationPolicy:
    """The allocation policy called ``name`` (one of :data:`POLICIES`) with the numbers of
    ``doctrine`` (a scenario or engine doctrine; None: the documented defaults of
    :class:`leapsim.scenario.models.Doctrine`)."""
    if name not in POLICIES:
        raise ValueError(f"unknown allocation policy {name!r}; expected one of {POLICIES}")
    d = _DEFAULT if doctrine is None else doctrine
    if name == "wta":
        return make_wta_policy(iterations=d.wta_iterations)
    config = PolicyConfig(POLICIES.index(name), float(d.hold_for_cheaper), _wta_settings(0, 0))
    return CompiledPolicy(name, config)


def loop_config(policy: AllocationPolicy) -> PolicyConfig:
    """How the compiled night loop runs ``policy``: itself when it is a :class:`CompiledPolicy`,
    else by handing each epoch back to Python (code :data:`EXTERNAL`)."""
    if isinstance(policy, CompiledPolicy):
        return policy.config
    return PolicyConfig(EXTERNAL, float(_DEFAULT.hold_for_cheaper), _wta_settings(0, 0))


def make_wta_policy(
    iterations: int | None = None, descent_rounds: int = WTA_DESCENT_ROUNDS
) -> CompiledPolicy:
    """The ``wta`` policy (:mod:`leapsim.c2.wta_policy`): at most ``descent_rounds`` rounds of
    the assignment-move descent and ``iterations`` iterations of the search per epoch (None:
    the doctrine's default ``wta_iterations``)."""
    if iterations is None:
        iterations = _DEFAULT.wta_iterations
    if iterations < 0:
        raise ValueError("iterations must be >= 0")
    if descent_rounds < 0:
        raise ValueError("descent_rounds must be >= 0")
    config = PolicyConfig(
        WTA, float(_DEFAULT.hold_for_cheaper), _wta_settings(iterations, descent_rounds)
    )
    return CompiledPolicy("wta", config)


def _wta_settings(iterations: int, descent_rounds: int) -> Settings:
    """One search worker over every candidate (epoch problems are small), the solver's other
    defaults."""
    return SearchParams(n_candidates=None, descent_rounds=descent_rounds).settings(0, iterations)


cost_aware_policy = make_policy("cost_aware")
"""``cost_aware`` with the default doctrine's numbers."""
max_pk_policy = make_policy("max_pk")
"""``max_pk`` (it has no numbers)."""
