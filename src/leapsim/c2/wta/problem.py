"""The static weapon-target assignment (WTA) problem, cost-aware, and its objective.

Model (Manne 1958; Ahuja, Kumar, Jha, Orlin 2007, Oper. Res. 55(6)): m weapon types with
``availability[i]`` units each, n targets with value ``values[j]`` (EUR), and single-shot kill
probability ``p[i, j]``. Shots are independent, so with ``x[i, j]`` units of type i fired at
target j the target survives with probability ``prod_i (1 - p[i, j]) ** x[i, j]``. Minimise

    sum_j values[j] * prod_i (1 - p[i, j]) ** x[i, j]  +  cost_weight * sum_ij cost[i] * x[i, j]

subject to ``sum_j x[i, j] <= availability[i]``, ``sum_i x[i, j] <= max_shots[j]`` and
``x[i, j] = 0`` where ``mask[i, j]`` is False. Without costs, firing never hurts, so the classic
benchmark form (every unit assigned) has the same optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WTAProblem:
    """One static WTA instance (m weapon types × n targets); arrays are validated and frozen.

    Attributes:
        values: (n,) value of each target (EUR, or any unit shared with ``cost``), >= 0.
        p: (m, n) kill probability of one unit of type i fired at target j, in [0, 1].
        availability: (m,) units of each weapon type, integer >= 0.
        cost: (m,) cost of one shot of type i (EUR), >= 0; zeros when not given.
        cost_weight: lambda >= 0, weight of spend against surviving value.
        max_shots: (n,) most units that may be fired at target j; None means unlimited.
        mask: (m, n) True where type i may fire at target j; None means everywhere.
    """

    values: np.ndarray
    p: np.ndarray
    availability: np.ndarray
    cost: np.ndarray | None = None
    cost_weight: float = 1.0
    max_shots: np.ndarray | None = None
    mask: np.ndarray | None = None

    def __post_init__(self) -> None:
        values = np.array(self.values, dtype=np.float64).reshape(-1)
        p = np.array(self.p, dtype=np.float64)
        if p.ndim != 2 or p.shape[1] != values.size:
            raise ValueError(f"p must be (m, n) with n = {values.size}, got shape {p.shape}")
        m, n = p.shape
        avail = _int_array(self.availability, (m,), "availability")
        cost = (
            np.zeros(m) if self.cost is None else np.array(self.cost, dtype=np.float64).reshape(-1)
        )
        if cost.shape != (m,):
            raise ValueError(f"cost must have {m} entries, got {cost.size}")
        max_shots = (
            None if self.max_shots is None else _int_array(self.max_shots, (n,), "max_shots")
        )
        mask = None
        if self.mask is not None:
            mask = np.array(self.mask, dtype=bool)
            if mask.shape != (m, n):
                raise ValueError(f"mask must be {(m, n)}, got {mask.shape}")
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError("values must be finite and >= 0")
        if not np.all(np.isfinite(p)) or np.any((p < 0) | (p > 1)):
            raise ValueError("p must lie in [0, 1]")
        if not np.all(np.isfinite(cost)) or np.any(cost < 0):
            raise ValueError("cost must be finite and >= 0")
        lam = float(self.cost_weight)
        if not np.isfinite(lam) or lam < 0:
            raise ValueError("cost_weight must be finite and >= 0")
        for name, arr in (
            ("values", values),
            ("p", p),
            ("availability", avail),
            ("cost", cost),
            ("max_shots", max_shots),
            ("mask", mask),
        ):
            if arr is not None:
                arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "cost_weight", lam)

    @property
    def n_types(self) -> int:
        """m, the number of weapon types."""
        return int(self.p.shape[0])

    @property
    def n_targets(self) -> int:
        """n, the number of targets."""
        return int(self.p.shape[1])

    @property
    def shot_cost(self) -> np.ndarray:
        """(m,) weighted cost of one shot, lambda * c_i."""
        return self.cost_weight * self.cost

    @property
    def shot_limits(self) -> np.ndarray:
        """(n,) int64 most shots each target may receive (the largest int64 when unlimited)."""
        if self.max_shots is None:
            return np.full(self.n_targets, np.iinfo(np.int64).max, np.int64)
        return self.max_shots.astype(np.int64)

    @property
    def allowed(self) -> np.ndarray:
        """(m, n) True where a shot of type i at target j is permitted."""
        return np.ones(self.p.shape, dtype=bool) if self.mask is None else self.mask

    def survival(self, x: np.ndarray) -> np.ndarray:
        """(n,) probability that each target survives the assignment ``x`` (counts, (m, n))."""
        return np.prod(np.power(1.0 - self.p, np.asarray(x)), axis=0)

    def objective(self, x: np.ndarray) -> float:
        """Expected surviving value plus weighted spend of the count matrix ``x`` (m, n)."""
        x = np.asarray(x)
        return float(self.values @ self.survival(x) + self.shot_cost @ x.sum(axis=1))

    def violations(self, x: np.ndarray) -> list[str]:
        """Human-readable constraint violations of ``x``; empty when feasible."""
        x = np.asarray(x)
        out: list[str] = []
        if x.shape != self.p.shape:
            return [f"assignment shape {x.shape} != {self.p.shape}"]
        if np.any(x < 0) or np.any(x != np.round(x)):
            out.append("counts must be non-negative integers")
        over = np.flatnonzero(x.sum(axis=1) > self.availability)
        if over.size:
            out.append(f"weapon types {over.tolist()} fire more than their availability")
        if self.max_shots is not None:
            over = np.flatnonzero(x.sum(axis=0) > self.max_shots)
            if over.size:
                out.append(f"targets {over.tolist()} receive more than max_shots")
        if self.mask is not None and np.any(x[~self.mask] > 0):
            out.append("shots where the mask forbids them")
        return out


def _int_array(values: object, shape: tuple[int, ...], name: str) -> np.ndarray:
    arr = np.array(values)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if arr.size and (
        not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)) or np.any(arr < 0)
    ):
        raise ValueError(f"{name} must be integers >= 0")
    return arr.astype(np.int64)


@dataclass(frozen=True)
class Solution:
    """A solver's answer.

    Attributes:
        counts: (m, n) units of type i fired at target j.
        objective: the problem's objective at ``counts``.
        lower_bound: a proven lower bound on the optimum, or None.
        time_s: wall-clock seconds the solver ran.
        method: the solver that produced it ("greedy", "search", "milp", "search+milp").
    """

    counts: np.ndarray
    objective: float
    lower_bound: float | None
    time_s: float
    method: str

    @property
    def gap(self) -> float | None:
        """Relative optimality gap (objective - bound) / objective, or None without a bound."""
        if self.lower_bound is None:
            return None
        if self.objective <= 0:
            return 0.0
        return max(0.0, (self.objective - self.lower_bound) / self.objective)

    def triples(self) -> list[list[int]]:
        """Non-zero counts as ``[[i, j, count], ...]`` sorted by (i, j)."""
        i, j = np.nonzero(self.counts)
        return [[int(a), int(b), int(self.counts[a, b])] for a, b in zip(i, j, strict=True)]
