"""Shared helpers for the WTA tests: random small instances and a brute-force optimum."""

from __future__ import annotations

import itertools

import numpy as np

from leapsim.c2.wta import WTAProblem


def random_problem(
    rng: np.random.Generator,
    m: int,
    n: int,
    mu_max: int = 2,
    *,
    costs: bool = False,
    mask: bool = False,
    max_shots: bool = False,
) -> WTAProblem:
    """A random instance; optional costs (comparable to values), mask and shot limits."""
    values = rng.uniform(1.0, 100.0, n)
    return WTAProblem(
        values=values,
        p=rng.uniform(0.05, 0.95, (m, n)),
        availability=rng.integers(1, mu_max + 1, m),
        cost=rng.uniform(0.0, 40.0, m) if costs else None,
        max_shots=rng.integers(0, 3, n) if max_shots else None,
        mask=rng.random((m, n)) < 0.7 if mask else None,
    )


def _rows(n: int, cap: int) -> list[tuple[int, ...]]:
    return [c for c in itertools.product(range(cap + 1), repeat=n) if sum(c) <= cap]


def brute_force(problem: WTAProblem) -> tuple[float, np.ndarray]:
    """Exact optimum by enumerating every feasible count matrix (tiny instances only)."""
    per_type = [_rows(problem.n_targets, int(a)) for a in problem.availability]
    best_f, best_x = np.inf, None
    for combo in itertools.product(*per_type):
        x = np.array(combo, dtype=np.int64).reshape(problem.p.shape)
        if problem.violations(x):
            continue
        f = problem.objective(x)
        if f < best_f:
            best_f, best_x = f, x
    assert best_x is not None
    return best_f, best_x


def solved_cases(specs: list[tuple]) -> list[tuple[WTAProblem, float, np.ndarray]]:
    """(problem, optimum, optimal counts) for each spec ``(seed, m, n, mu_max, costs, mask,
    max_shots)`` of :func:`random_problem`."""
    out = []
    for seed, m, n, mu, costs, mask, shots in specs:
        rng = np.random.default_rng(seed)
        problem = random_problem(rng, m, n, mu, costs=costs, mask=mask, max_shots=shots)
        out.append((problem, *brute_force(problem)))
    return out
