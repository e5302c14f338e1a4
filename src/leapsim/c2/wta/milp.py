"""A lower bound (and solutions) for WTA from a MILP on an outer approximation, solved by HiGHS.

With ``a_ij = -ln(1 - p_ij)`` the log-survival of target j is linear, ``y_j = sum_i a_ij x_ij``,
and ``v_j exp(-y_j)`` is convex in ``y_j``. Its tangents lie below it, so replacing it by
``z_j >= v_j e^{-t}(1 + t - y_j)`` for a set of points t (and ``z_j >= 0``) gives a MILP whose
optimum is a lower bound on the WTA optimum (outer approximation, Duran & Grossmann 1986; applied
to WTA by Andersen, Pavlikov, Toffolo 2022, Ann. Oper. Res.). HiGHS's dual bound on that MILP is
therefore a valid lower bound even when it stops at its time limit.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from leapsim.c2.wta._kernels import QMIN
from leapsim.c2.wta.problem import WTAProblem
from leapsim.highs import quiet_highs


@dataclass(frozen=True)
class MilpResult:
    """What HiGHS found: the best integer assignment (None if none) and a valid lower bound."""

    counts: np.ndarray | None
    lower_bound: float | None
    proven_optimal: bool


def tangent_points(
    value: float, rel: float, tol: float, y_max: float, extra: np.ndarray | None = None
) -> np.ndarray:
    """Tangent points t in [0, y_max] for ``value * exp(-y)``.

    Between neighbouring tangents d apart the outer approximation errs by at most about
    ``value e^{-t} d^2 / 8``; the spacing keeps that below ``max(rel * value e^{-t}, tol)`` and
    the points stop where ``value e^{-t} < tol``. ``extra`` points (e.g. the incumbent's
    log-survival, where the bound should be tight) are added.
    """
    pts = [0.0]
    t = 0.0
    tol = max(tol, 1e-12 * max(value, 1.0))
    while t < y_max and value * np.exp(-t) > tol:
        f = value * np.exp(-t)
        t = min(y_max, t + np.sqrt(8.0 * max(rel, tol / f)))
        pts.append(t)
    out = np.asarray(pts)
    if extra is not None:
        out = np.concatenate([out, np.clip(extra, 0.0, None)])
    return np.unique(out)


def solve_milp(
    problem: WTAProblem,
    time_limit: float,
    incumbent: np.ndarray | None = None,
    rel_tol: float = 1e-3,
) -> MilpResult:
    """Solve the outer-approximation MILP with HiGHS within ``time_limit`` seconds.

    ``incumbent`` (an (m, n) count matrix) is passed as a starting solution and adds tangents at
    its log-survival values. The returned assignment is feasible for the WTA problem; its true
    objective must be evaluated with :meth:`WTAProblem.objective`.
    """
    m, n = problem.n_types, problem.n_targets
    v = problem.values
    q = np.maximum(1.0 - problem.p, QMIN)
    a = -np.log(q)
    usable = problem.allowed & (problem.p > 0)
    ii, jj = np.nonzero(usable)
    nx = ii.size
    cap = problem.availability[ii].astype(np.float64)
    if problem.max_shots is not None:
        cap = np.minimum(cap, problem.max_shots[jj])
    scale = problem.objective(incumbent) if incumbent is not None else float(v.sum())
    tol = 0.1 * rel_tol * max(scale, 1e-9) / max(n, 1)
    y_cap = np.bincount(jj, weights=a[ii, jj] * cap, minlength=n)
    y_inc = (a * incumbent).sum(axis=0) if incumbent is not None else None

    # Columns: x (nx), y (n), z (n).
    col_cost = np.concatenate([problem.shot_cost[ii], np.zeros(n), np.ones(n)])
    col_lower = np.zeros(nx + 2 * n)
    col_upper = np.concatenate([cap, y_cap, np.maximum(v, 0.0)])
    rows: list[sp.coo_matrix] = []
    lo: list[np.ndarray] = []
    hi: list[np.ndarray] = []
    ar = np.arange(nx)
    # availability: sum_j x_ij <= mu_i
    rows.append(sp.coo_matrix((np.ones(nx), (ii, ar)), shape=(m, nx + 2 * n)))
    lo.append(np.full(m, -np.inf))
    hi.append(problem.availability.astype(np.float64))
    if problem.max_shots is not None:
        rows.append(sp.coo_matrix((np.ones(nx), (jj, ar)), shape=(n, nx + 2 * n)))
        lo.append(np.full(n, -np.inf))
        hi.append(problem.max_shots.astype(np.float64))
    # log-survival: y_j - sum_i a_ij x_ij = 0
    r = np.concatenate([jj, np.arange(n)])
    c = np.concatenate([ar, nx + np.arange(n)])
    val = np.concatenate([-a[ii, jj], np.ones(n)])
    rows.append(sp.coo_matrix((val, (r, c)), shape=(n, nx + 2 * n)))
    lo.append(np.zeros(n))
    hi.append(np.zeros(n))
    # tangents: z_j + v_j e^{-t} y_j >= v_j e^{-t} (1 + t)
    tr, tc, tv, tlo = [], [], [], []
    k = 0
    for j in range(n):
        if v[j] <= 0:
            continue
        extra = None if y_inc is None else y_inc[j : j + 1]
        pts = tangent_points(float(v[j]), rel_tol, tol, float(y_cap[j]), extra)
        slope = v[j] * np.exp(-pts)
        idx = k + np.arange(pts.size)
        tr += [idx, idx]
        tc += [np.full(pts.size, nx + n + j), np.full(pts.size, nx + j)]
        tv += [np.ones(pts.size), slope]
        tlo.append(slope * (1.0 + pts))
        k += pts.size
    if k:
        rows.append(
            sp.coo_matrix(
                (np.concatenate(tv), (np.concatenate(tr), np.concatenate(tc))),
                shape=(k, nx + 2 * n),
            )
        )
        lo.append(np.concatenate(tlo))
        hi.append(np.full(k, np.inf))
    A = sp.vstack(rows).tocsc()
    row_lower = np.concatenate(lo)
    row_upper = np.concatenate(hi)

    h = quiet_highs()
    h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
    h.setOptionValue("mip_rel_gap", rel_tol / 10)
    lp = highspy.HighsLp()
    lp.num_col_ = nx + 2 * n
    lp.num_row_ = row_lower.size
    lp.col_cost_ = col_cost
    lp.col_lower_ = col_lower
    lp.col_upper_ = col_upper
    lp.row_lower_ = np.where(np.isfinite(row_lower), row_lower, -highspy.kHighsInf)
    lp.row_upper_ = np.where(np.isfinite(row_upper), row_upper, highspy.kHighsInf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * nx + [highspy.HighsVarType.kContinuous] * (
        2 * n
    )
    h.passModel(lp)
    if incumbent is not None:
        x0 = incumbent[ii, jj].astype(np.float64)
        y0 = (a * incumbent).sum(axis=0)
        z0 = np.zeros(n)
        for j in range(n):
            z0[j] = v[j] * np.exp(-y0[j])
        h.setSolution(highspy.HighsSolution())  # clear any stale start
        start = np.concatenate([x0, y0, np.minimum(z0, v)])
        h.setSolution(nx + 2 * n, np.arange(nx + 2 * n, dtype=np.int32), start)
    h.run()
    info = h.getInfo()
    status = h.getModelStatus()
    bound = float(info.mip_dual_bound)
    counts = None
    if info.primal_solution_status == 2:  # feasible
        xs = np.asarray(h.getSolution().col_value)[:nx]
        counts = np.zeros((m, n), np.int64)
        counts[ii, jj] = np.round(xs).astype(np.int64)
        if problem.violations(counts):
            counts = None
    if not np.isfinite(bound):
        return MilpResult(counts, None, False)
    # Survival factors were floored at QMIN: the model may overstate a target hit with p = 1 by
    # at most v_j * QMIN; subtract that so the bound stays valid.
    bound -= QMIN * float(v[np.any(problem.p >= 1.0, axis=0)].sum())
    optimal = status == highspy.HighsModelStatus.kOptimal
    return MilpResult(counts, bound, optimal)
