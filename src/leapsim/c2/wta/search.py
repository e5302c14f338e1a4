"""Anytime metaheuristic for WTA: a start built from layers of exact assignments, a descent with
an exact assignment (very large-scale) neighbourhood, iterated local search with random or related
ruin-and-recreate, polished by a full local search.

Randomness comes only from the seed, through a SplitMix64 generator inside the kernels; with an
iteration budget (``iterations``) the result is bit-identical on any machine. With a time limit
the search runs in chunks of iterations until the clock says stop.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from leapsim.c2.wta import _kernels as K
from leapsim.c2.wta.problem import WTAProblem


def build_instance(problem: WTAProblem, n_candidates: int | None) -> K.Instance:
    """Kernel instance. A pair (i, j) is a candidate when j is among the ``n_candidates``
    best targets of type i by first-shot return ``v_j p_ij`` or by ``p_ij``, or i is among the
    ``n_candidates`` best types of target j by ``p_ij``; None makes every permitted pair with
    p > 0 and v > 0 a candidate. Candidates of a type are listed best ``v_j p_ij`` first."""
    m, n = problem.n_types, problem.n_targets
    v, p, q, _, ucost, maxs, avail = _kernel_args(problem)
    usable = problem.allowed & (p > 0) & (v[None, :] > 0)
    ret = np.where(usable, v[None, :] * p, -np.inf)
    if n_candidates is None or n_candidates >= min(m, n):
        iscand = usable.copy()
    else:
        c = int(n_candidates)
        pk = np.where(usable, p, -np.inf)
        iscand = np.zeros((m, n), dtype=np.bool_)
        rows = np.arange(m)[:, None]
        iscand[rows, np.argpartition(-ret, c - 1, axis=1)[:, :c]] = True
        iscand[rows, np.argpartition(-pk, c - 1, axis=1)[:, :c]] = True
        iscand[np.argpartition(-pk, c - 1, axis=0)[:c, :], np.arange(n)[None, :]] = True
        iscand &= usable
    return K.instance(v, p, q, ucost, maxs, avail, iscand, ret)


@dataclass(frozen=True)
class SearchParams:
    """Tuning of :func:`search` (defaults tuned on the Andersen-Pavlikov-Toffolo instances).

    Attributes:
        n_candidates: candidate targets kept per weapon type during the search (None: all).
        ruin_max: a ruin clears 1..ruin_max targets.
        related: on odd-numbered workers, probability that a ruin's next target is related to
            those already cleared (one of the best candidate targets of a unit it freed) rather
            than random; even-numbered workers always ruin at random (a portfolio).
        related_width: how many of a freed unit's best candidate targets count as related.
        lap_prob: probability that an iteration follows its ruin with an assignment move.
        accept: record-to-record threshold (relative to the best objective).
        chunk: iterations per worker between synchronisations and clock checks.
        sync_every: rounds between copying the best worker's solution to the others.
        descent_rounds: most rounds of the initial assignment-move descent.
        descent_fail: the descent stops after this many rounds in a row without improvement.
    """

    n_candidates: int | None = 32
    ruin_max: int = 10
    related: float = 0.9
    related_width: int = 8
    lap_prob: float = 0.01
    accept: float = 0.0
    chunk: int = 200
    sync_every: int = 5
    descent_rounds: int = 60
    descent_fail: int = 3

    def settings(self, worker: int, iterations: int) -> K.Settings:
        """The kernels' settings of worker ``worker`` (a portfolio: even-numbered workers ruin
        at random) with an iteration budget of ``iterations``."""
        return K.Settings(
            iterations=int(iterations),
            chunk=self.chunk,
            descent_rounds=self.descent_rounds,
            descent_fail=self.descent_fail,
            ruin_max=self.ruin_max,
            related=self.related if worker % 2 else 0.0,
            related_width=self.related_width,
            lap_prob=self.lap_prob,
            accept=self.accept,
        )


@dataclass(frozen=True)
class SearchResult:
    """Best assignment found, its objective, and the iterations run per worker."""

    counts: np.ndarray
    objective: float
    iterations: int


def search(
    problem: WTAProblem,
    *,
    time_limit: float | None = 10.0,
    iterations: int | None = None,
    seed: int = 0,
    workers: int = 1,
    params: SearchParams | None = None,
    start: np.ndarray | None = None,
    lower_bound: float = -np.inf,
) -> SearchResult:
    """Layered-assignment start, assignment-move descent, then iterated local search on
    ``workers`` threads.

    Exactly one budget applies: ``iterations`` (per worker; deterministic, the time limit is not
    consulted) or else ``time_limit`` seconds of wall clock. With several workers, each runs its
    own seeded search and every ``sync_every`` rounds the others restart from the best one's
    solution; the result depends only on the seed and the budget in iteration mode. Each worker
    starts with its own seeded descent (at most ``descent_rounds`` assignment moves), which runs
    before the clock is consulted. ``start`` (an (m, n) count matrix, e.g. rounded from the
    configuration LP) replaces the layered start when its objective is lower. The search stops
    early once ``lower_bound`` (a proven lower bound on the optimum) shows that the best
    solution cannot be improved.
    """
    prm = params or SearchParams()
    if prm.n_candidates is not None and prm.n_candidates < 1:
        raise ValueError("n_candidates must be >= 1 or None")
    t0 = time.perf_counter()
    workers = max(1, int(workers))
    inst = build_instance(problem, prm.n_candidates)
    full = inst if prm.n_candidates is None else build_instance(problem, None)
    hold = bool(
        np.any(problem.shot_cost > 0) or problem.mask is not None or problem.max_shots is not None
    )
    x0 = layered_counts(problem)
    if start is not None:
        bad = problem.violations(start)
        if bad:
            raise ValueError("start is not a feasible assignment: " + "; ".join(bad))
        start = np.asarray(start, np.int64)
        if problem.objective(start) < problem.objective(x0):
            x0 = start
    tgt0 = K.units_from_counts(x0, inst.unit_start)
    states = np.random.SeedSequence(int(seed)).generate_state(workers, dtype=np.uint64)
    rngs = [np.array([s], dtype=np.uint64) for s in states]
    bound = float(lower_bound)
    if workers == 1 and iterations is not None:
        settings = prm.settings(0, iterations)
        sol, done = K.search_on_budget(inst, full, tgt0, hold, rngs[0], settings, bound)
        counts = K.counts_from_units(sol.target, full.unit_start, problem.n_targets)
        return SearchResult(counts, problem.objective(counts), int(done))
    settings = [prm.settings(w, 0) for w in range(workers)]
    cur = [K.new_state(tgt0, inst) for _ in range(workers)]

    def descend(w: int) -> float:
        s = settings[w]
        return K.assignment_descent(cur[w], inst, hold, rngs[w], s.descent_fail, s.descent_rounds)

    def run(w: int, n_iter: int) -> tuple[float, int]:
        return K.iterated_search(cur[w], best[w], inst, hold, rngs[w], n_iter, settings[w], bound)

    done = 0
    if tgt0.size == 0:  # nothing to fire: the empty answer is optimal
        iterations = 0
    pool = ThreadPoolExecutor(workers) if workers > 1 else None

    def each(fn, *args) -> list:
        """``fn(w, *args)`` for every worker, on the pool when there is one."""
        if pool is None:
            return [fn(0, *args)]
        return list(pool.map(lambda w: fn(w, *args), range(workers)))

    try:
        f_best = each(descend)
        best = [K.clone(c) for c in cur]
        t_search = time.perf_counter()
        rounds = 0
        while True:
            if iterations is not None:
                if done >= iterations:
                    break
            elif time_limit is None or (
                rounds > 0 and _should_stop(t0, t_search, time_limit, rounds)
            ):
                break
            n_iter = prm.chunk if iterations is None else min(prm.chunk, iterations - done)
            ran = each(run, n_iter)
            f_best = [f for f, _ in ran]
            done += max(r for _, r in ran)
            rounds += 1
            if min(r for _, r in ran) < n_iter:  # a worker's best is proven optimal
                break
            if workers > 1 and rounds % prm.sync_every == 0:
                w_star = int(np.argmin(f_best))
                for w in range(workers):
                    if f_best[w] > f_best[w_star]:
                        K.copy_state(cur[w], best[w_star])
                        K.copy_state(best[w], best[w_star])
                        f_best[w] = f_best[w_star]
    finally:
        if pool is not None:
            pool.shutdown()
    sol = best[int(np.argmin(f_best))]
    eps = 1e-13 * (1.0 + float(problem.values.sum()))
    K.local_search(sol, full, np.ones(problem.n_targets, np.bool_), eps)
    counts = K.counts_from_units(sol.target, full.unit_start, problem.n_targets)
    return SearchResult(counts, problem.objective(counts), done)


def _should_stop(t0: float, t_search: float, time_limit: float, rounds: int) -> bool:
    """Stop when another round (at the mean round time since ``t_search``) would overrun the
    limit counted from ``t0``."""
    now = time.perf_counter()
    return now - t0 + (now - t_search) / rounds > time_limit


def layered_counts(problem: WTAProblem) -> np.ndarray:
    """Start solution of the search: layers of exact assignments, (m, n) counts."""
    return K.layered_assignment_counts(*_kernel_args(problem))


def greedy_counts(problem: WTAProblem) -> np.ndarray:
    """Maximum marginal return greedy assignment, (m, n) counts."""
    return K.greedy_counts(*_kernel_args(problem))


def _kernel_args(problem: WTAProblem) -> tuple:
    """(v, p, q, allowed, shot cost, max shots, availability) as the kernels take them: ``q``
    floored at ``K.QMIN``, no shot limit as the largest int64."""
    q = np.maximum(1.0 - problem.p, K.QMIN)
    return (  # writable copies: the compiled policy passes writable arrays (one specialisation)
        problem.values.copy(),
        problem.p.copy(),
        q,
        problem.allowed.copy(),
        problem.shot_cost.astype(np.float64),
        problem.shot_limits,
        problem.availability.astype(np.int64),
    )
