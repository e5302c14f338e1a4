"""Cooperative games of joint procurement: Shapley value, core check and least core.

A game on players ``0 … n−1`` is its characteristic function ``v``: one value per coalition,
held as an array indexed by the coalition's bit mask (``v[0] = 0`` for the empty coalition).
For joint procurement ``v(S)`` is the *saving* of coalition S — what its members pay buying
alone minus what they pay buying together.

* **Shapley value** (Shapley, L. S. 1953, "A value for n-person games", *Contributions to the
  Theory of Games* II, 307–317): ``φ_i = Σ_{S ∌ i} |S|! (n−|S|−1)! / n! · (v(S ∪ i) − v(S))``,
  computed exactly over the 2^n coalitions (n ≤ 20). It is efficient (Σ φ = v(N)), symmetric
  (interchangeable players get equal shares) and gives a null player (v(S ∪ i) = v(S) for all S)
  nothing. The formula is a few lines over bit masks; no library is needed for five nations.
* **Core**: allocations x with Σ x = v(N) and Σ_{i∈S} x_i ≥ v(S) for every coalition (no group
  gains by leaving). :func:`core_violation` checks an allocation; :func:`least_core` solves the LP
  ``min ε : Σ_{i∈S} x_i ≥ v(S) − ε, Σ x = v(N)`` (HiGHS through ``scipy.optimize.linprog``):
  ε ≤ 0 means the core is not empty.
"""

from __future__ import annotations

import math

import numpy as np


def coalitions(n: int) -> list[int]:
    """Bit masks of the non-empty coalitions of ``n`` players, by size then mask."""
    return sorted(range(1, 2**n), key=lambda s: (bin(s).count("1"), s))


def members(mask: int, n: int) -> list[int]:
    return [i for i in range(n) if mask >> i & 1]


def players(v: np.ndarray) -> int:
    """n for a game of 2^n coalition values."""
    n = int(np.size(v)).bit_length() - 1
    if n < 1 or 2**n != np.size(v):
        raise ValueError("a game needs 2^n coalition values (n >= 1)")
    return n


def shapley(v: np.ndarray) -> np.ndarray:
    """(n,) Shapley value of the game ``v`` (2^n values by bit mask, ``v[0] = 0``)."""
    v = np.asarray(v, float)
    n = players(v)
    weights = [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    phi = np.zeros(n)
    for i in range(n):
        bit = 1 << i
        for mask in range(v.size):
            if not mask & bit:
                phi[i] += weights[bin(mask).count("1")] * (v[mask | bit] - v[mask])
    return phi


def core_violation(v: np.ndarray, x: np.ndarray) -> float:
    """Largest ``v(S) − Σ_{i∈S} x_i`` over coalitions (≤ 0: ``x`` is in the core, given that
    it sums to ``v(N)``)."""
    v, x = np.asarray(v, float), np.asarray(x, float)
    n = x.size
    return max(v[s] - sum(x[i] for i in members(s, n)) for s in coalitions(n))


def least_core(v: np.ndarray) -> tuple[float, np.ndarray]:
    """(ε, x): the least-core value and an allocation attaining it."""
    from scipy.optimize import linprog

    v = np.asarray(v, float)
    n = players(v)
    proper = [s for s in coalitions(n) if s != 2**n - 1]
    # variables x_0 … x_{n-1}, ε; constraints −Σ_{i∈S} x_i − ε ≤ −v(S)
    a_ub = np.zeros((len(proper), n + 1))
    for row, s in enumerate(proper):
        a_ub[row, members(s, n)] = -1.0
        a_ub[row, n] = -1.0
    b_ub = -v[proper]
    a_eq = np.concatenate([np.ones(n), [0.0]])[None, :]
    cost = np.zeros(n + 1)
    cost[n] = 1.0
    result = linprog(
        cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[v[-1]], bounds=[(None, None)] * (n + 1),
        method="highs",
    )  # fmt: skip
    if not result.success:  # pragma: no cover - the LP is always feasible and bounded
        raise RuntimeError(f"least-core LP failed: {result.message}")
    return float(result.x[n]), result.x[:n]
