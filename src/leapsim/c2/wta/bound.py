"""A fast lower bound for WTA: the Lagrangian dual of the continuous relaxation.

Relax integrality and price the availability constraints with multipliers ``u_i >= 0``. With
``a_ij = -ln(1 - p_ij)`` the cheapest way to raise target j's log-kill ``y_j`` costs
``r_j(u) = min_i (lambda c_i + u_i) / a_ij`` per unit, and ``min_y v_j e^{-y} + r_j y`` is
``v_j`` when ``r_j >= v_j`` and ``r_j (1 + ln(v_j / r_j))`` otherwise. So, for every u >= 0,

    D(u) = sum_j h_j(r_j(u)) - sum_i u_i mu_i

is a lower bound on the optimum (weak duality; shot limits are dropped, which only weakens it).
D is concave; it is maximised by projected supergradient ascent with Polyak steps (Polyak 1969;
Held, Wolfe, Crowder 1974) towards a known objective value.
"""

from __future__ import annotations

import numpy as np

from leapsim.c2.wta.problem import WTAProblem


def relaxation_bound(problem: WTAProblem, target: float, iterations: int = 300) -> float:
    """Best D(u) found by a line search over uniform prices and then ``iterations``
    supergradient steps; ``target`` is an upper bound on the optimum (e.g. a heuristic's
    objective) that sets the Polyak step. Always a valid lower bound."""
    v = problem.values
    usable = problem.allowed & (problem.p > 0)
    with np.errstate(divide="ignore"):
        a = np.where(usable, -np.log1p(-problem.p), 0.0)
    inv_a = np.full_like(a, np.inf)
    np.divide(1.0, a, out=inv_a, where=usable)  # 1/inf = 0 where p = 1
    mu = problem.availability.astype(np.float64)
    c = problem.shot_cost
    cols = np.arange(problem.n_targets)

    def dual(u: np.ndarray) -> tuple[float, np.ndarray]:
        with np.errstate(invalid="ignore"):
            ratio = (c + u)[:, None] * inv_a
        ratio[~usable] = np.inf
        ratio[np.isnan(ratio)] = 0.0  # zero price times an infinite reach
        arg = np.argmin(ratio, axis=0) if problem.n_types else np.zeros(0, np.int64)
        r = ratio[arg, cols] if problem.n_types else np.full(v.size, np.inf)
        y = np.zeros_like(v)
        h = np.where(r <= 0, 0.0, v)
        pos = (r < v) & (r > 0)
        y[pos] = np.log(v[pos] / r[pos])
        h[pos] = r[pos] * (1.0 + y[pos])
        g = -mu.copy()  # supergradient: units the relaxation buys minus availability
        ok = pos & np.isfinite(a[arg, cols])
        np.add.at(g, arg[ok], y[ok] / a[arg[ok], cols[ok]])
        return float(h.sum() - u @ mu), g

    scale = float(v.max()) if v.size else 1.0
    best, u = -np.inf, np.zeros(problem.n_types)
    for t in scale * np.logspace(-8, 1, 28):
        value, _ = dual(np.full(problem.n_types, t))
        if value > best:
            best, u = value, np.full(problem.n_types, t)
    if not np.isfinite(best):
        best, _ = dual(u)
    theta = 1.0
    stall = 0
    for _ in range(iterations):
        value, g = dual(u)
        if value > best:
            best = value
            stall = 0
        else:
            stall += 1
            if stall >= 10:
                theta *= 0.5
                stall = 0
        g[(u <= 0) & (g < 0)] = 0.0
        norm = float(g @ g)
        if norm <= 0 or target <= value or theta < 1e-6:
            break
        u = np.maximum(0.0, u + theta * (target - value) / norm * g)
    return best
