"""One entry point for every WTA solver: :func:`solve` returns a :class:`Solution`."""

from __future__ import annotations

import time

import numpy as np

from leapsim.c2.wta.bound import relaxation_bound
from leapsim.c2.wta.config_lp import configuration_start
from leapsim.c2.wta.milp import solve_milp
from leapsim.c2.wta.problem import Solution, WTAProblem
from leapsim.c2.wta.search import SearchParams, greedy_counts, search
from leapsim.choices import WTA_METHODS as METHODS

_MILP_MAX_VARS = 10_000
"""Above this many integer variables HiGHS rarely gets a useful bound in seconds; auto skips it."""

_RELAXATION_TIME = 0.5
"""Seconds ``auto`` keeps for the Lagrangian bound when it skips the MILP."""

_BOUND_SHARE = 0.2
"""Share of the time limit that ``auto`` keeps for the lower bound (MILP) after the search."""

_START_SHARE = 0.25
"""Most of the time limit that ``auto`` lets the configuration LP start take (it usually
converges in well under a second on the benchmark instances and then stops)."""

_START_TIME_UNTIMED = 10.0
"""Seconds the configuration LP start may take when ``auto`` runs on an iteration budget."""

_PROVEN_GAP = 1e-9
"""Relative gap at which ``auto`` takes the solution as proven optimal and skips the MILP."""


def solve(
    problem: WTAProblem,
    method: str = "auto",
    time_limit: float | None = 10.0,
    seed: int = 0,
    *,
    iterations: int | None = None,
    workers: int = 1,
    params: SearchParams | None = None,
) -> Solution:
    """Solve a WTA instance.

    Methods:
        greedy: maximum marginal return (no bound).
        search: the metaheuristic (:func:`leapsim.c2.wta.search.search`); no bound.
        milp: HiGHS on the outer-approximation MILP for ``time_limit`` s from the greedy
            incumbent; returns its best assignment and a valid lower bound.
        auto: a start rounded from the configuration LP (:mod:`leapsim.c2.wta.config_lp`),
            the search from it (stopping as soon as the LP's Lagrangian bound proves its best
            optimal), then the best lower bound of the LP's Lagrangian bound, the continuous
            relaxation's and (when the instance is small enough, time is left and the solution
            is not proven optimal yet) the MILP's; the better assignment wins.

    ``iterations`` gives the search a deterministic budget (per worker) instead of the clock
    (the configuration LP start of ``auto`` is deterministic too unless it runs out of time);
    ``workers`` threads search in parallel. The objective is always recomputed exactly from the
    returned counts.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    t0 = time.perf_counter()
    limit = None if time_limit is None else max(float(time_limit), 0.0)
    if method == "greedy":
        x = greedy_counts(problem)
        return _solution(problem, x, None, t0, "greedy")
    if method == "search":
        res = search(
            problem,
            time_limit=limit,
            iterations=iterations,
            seed=seed,
            workers=workers,
            params=params,
        )
        return _solution(problem, res.counts, None, t0, "search")
    if method == "milp":
        x = greedy_counts(problem)
        return _with_bound(problem, x, t0, 10.0 if limit is None else limit, "milp", force=True)
    start_time = _START_TIME_UNTIMED if limit is None else _START_SHARE * limit
    config = configuration_start(problem, start_time)
    use_milp = _milp_size(problem) <= _MILP_MAX_VARS
    spent = time.perf_counter() - t0
    if limit is None:
        search_limit = None
    elif use_milp:
        search_limit = max(0.0, limit * (1.0 - _BOUND_SHARE) - spent)
    else:
        search_limit = max(0.0, limit - _RELAXATION_TIME - spent)
    res = search(
        problem,
        time_limit=search_limit,
        iterations=iterations,
        seed=seed,
        workers=workers,
        params=params,
        start=config.counts,
        lower_bound=config.lower_bound,
    )
    bound_time = 2.0 if limit is None else limit - (time.perf_counter() - t0)
    return _with_bound(
        problem, res.counts, t0, bound_time, "search+bound", force=False, known=config.lower_bound
    )


def _milp_size(problem: WTAProblem) -> int:
    return int(np.count_nonzero(problem.allowed & (problem.p > 0)))


def _with_bound(
    problem: WTAProblem,
    x: np.ndarray,
    t0: float,
    budget: float,
    method: str,
    force: bool,
    known: float = -np.inf,
) -> Solution:
    """Add a lower bound to incumbent ``x``: the best of ``known`` (e.g. the configuration LP's),
    the relaxation bound, and the MILP bound (taking its assignment when better) if forced or
    the instance is small enough, time is left and the bound does not already prove ``x``
    optimal."""
    f = problem.objective(x)
    bound = max(known, relaxation_bound(problem, f))
    left = budget - (time.perf_counter() - t0) if force else budget
    proven = f - bound <= _PROVEN_GAP * max(abs(f), 1.0)
    if force or (not proven and _milp_size(problem) <= _MILP_MAX_VARS and left >= 0.5):
        res = solve_milp(problem, max(left, 0.1), incumbent=x)
        if res.lower_bound is not None:
            bound = max(bound, res.lower_bound)
        if res.counts is not None and problem.objective(res.counts) < f:
            x = res.counts
    return _solution(problem, x, bound, t0, method)


def _solution(
    problem: WTAProblem, x: np.ndarray, bound: float | None, t0: float, method: str
) -> Solution:
    f = problem.objective(x)
    if bound is not None:
        bound = min(bound, f)
    return Solution(
        counts=np.asarray(x, dtype=np.int64),
        objective=f,
        lower_bound=bound,
        time_s=time.perf_counter() - t0,
        method=method,
    )
