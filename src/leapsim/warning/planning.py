"""Placement under a budget: candidates, and three ways to choose among them.

**Objective** (``docs/warning.md``, "Placement"): the share of incursion drones *warned in
time* — a drone that reaches a protected site is warned in time when a confirmed track holds it
at least W minutes before it arrives; a drone that reaches no site, when a confirmed track holds
it within W minutes of crossing the border. A set of items warns a drone in time when one of
them covers it (:mod:`leapsim.warning.cover`; fusing several sensors can only help).

**Maximal covering** (Church & ReVelle 1974, budgeted form): maximise Σ_i y_i subject to
y_i ≤ Σ_j a_ij x_j, Σ_j c_j x_j ≤ B, per-option node limits, x_j ∈ {0, 1}, 0 ≤ y_i ≤ 1;
solved with HiGHS, which reports a dual bound: the best any placement of these candidates can
reach, so ``bound − objective`` says how far from optimal the placement can be. Compared with
the budgeted greedy (best coverage gain per euro, and the best single item if that is better:
Khuller, Moss & Naor 1999) and with uniform spacing (n = ⌊B / c⌋ sensors of one option evenly
along the border, the best option and offset).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from leapsim.highs import quiet_highs
from leapsim.warning.cover import PlanningSet, coverage, planning_set, warned_share
from leapsim.warning.model import WarningModel
from leapsim.warning.placement import Items, item_costs, item_node_counts, points, stretches


def candidates(model: WarningModel, options: list[int] | None = None) -> Items:
    """Candidate items: every point option every ``candidate_spacing_m`` along the border at
    each ``candidate_offsets_m`` (and at each site with ``site_candidates``); every fence option
    by the stretch along the whole border at each offset."""
    plan, border = model.plan, model.border
    options = list(range(len(model.options))) if options is None else options
    n = max(1, round(border.length_m / plan.candidate_spacing_m))
    s = (np.arange(n) + 0.5) * border.length_m / n
    parts = []
    for o in options:
        for offset in plan.candidate_offsets_m:
            if model.options.is_fence(o):
                k = max(1, round(border.length_m / model.options.fence_stretch_m[o]))
                bounds = np.linspace(0.0, border.length_m, k + 1)
                spacing = float(model.options.fence_spacing_m[o])
                parts.append(stretches(o, border, bounds, offset, spacing))
            else:
                xy = border.point_at(s) + border.inward_at(s) * offset
                parts.append(points(o, xy, offset))
        if plan.site_candidates and not model.options.is_fence(o):
            parts.append(points(o, model.sites.xy, np.nan))
    return Items.concatenate(parts)


@dataclass(frozen=True)
class Choice:
    """A placement chosen by one method, with what the planning model says of it."""

    method: str
    items: Items
    cost_eur: float
    share: float  # planning objective: share of planning drones warned in time
    bound: float | None = None  # MILP: upper bound on the share of any placement
    time_s: float = 0.0
    detail: str = ""


def _count_rows(model: WarningModel, items: Items) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """(columns, coefficients, limit) of each option's ``max_count`` constraint."""
    counts = item_node_counts(items)
    out = []
    for o in np.unique(items.option):
        limit = int(model.options.max_count[o])
        if limit >= 0:
            cols = np.flatnonzero(items.option == o)
            out.append((cols, counts[cols], limit))
    return out


def solve_milp(
    model: WarningModel,
    items: Items,
    cover: sparse.csr_matrix,
    budget: float,
    time_limit_s: float,
) -> Choice:
    """Maximal covering MILP under the budget (module notes), solved with HiGHS."""
    import highspy

    started = time.perf_counter()
    cost = item_costs(model.options, items)
    n_items, n_drones = cover.shape
    coverable = np.flatnonzero(np.asarray(cover.sum(axis=0)).ravel() > 0)
    affordable = cost <= budget
    h = quiet_highs()
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    n_y = coverable.size
    lp.num_col_ = n_items + n_y
    # Among placements that warn as many drones, prefer the cheaper: a cost term worth at most
    # half a drone over the whole budget (so it never trades a drone for money).
    tie = 0.5 / budget
    lp.col_cost_ = np.concatenate([tie * cost, -np.ones(n_y)])
    lp.col_lower_ = np.zeros(n_items + n_y)
    lp.col_upper_ = np.concatenate([affordable.astype(float), np.ones(n_y)])
    sub = sparse.csc_matrix(cover[:, coverable], dtype=float)  # (I, Y): a_ij
    # rows: y_i - sum_j a_ij x_j <= 0 ; budget ; max counts
    a_rows = sparse.hstack([-sub.T, sparse.identity(n_y)], format="csr")
    budget_row = sparse.csr_matrix(np.concatenate([cost, np.zeros(n_y)])[None, :])
    blocks, upper = [a_rows, budget_row], [np.zeros(n_y), np.array([budget])]
    for cols, coef, limit in _count_rows(model, items):
        row = np.zeros(n_items + n_y)
        row[cols] = coef
        blocks.append(sparse.csr_matrix(row[None, :]))
        upper.append(np.array([float(limit)]))
    a = sparse.vstack(blocks, format="csr")
    lp.num_row_ = a.shape[0]
    lp.row_lower_ = np.full(a.shape[0], -inf)
    lp.row_upper_ = np.concatenate(upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_items + [
        highspy.HighsVarType.kContinuous
    ] * n_y
    h.passModel(lp)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", 1e-6)
    h.run()
    x = np.asarray(h.getSolution().col_value)[:n_items]
    chosen = np.flatnonzero(x > 0.5)
    info = h.getInfo()
    bound = (-float(info.mip_dual_bound) + 0.5) / max(n_drones, 1)
    status = h.modelStatusToString(h.getModelStatus())
    share = warned_share(cover, chosen)
    return Choice(
        "milp",
        items.select(chosen),
        float(cost[chosen].sum()),
        share,
        bound=min(max(bound, share), 1.0),
        time_s=time.perf_counter() - started,
        detail=f"HiGHS: {status}, relative gap {info.mip_gap:.2e}",
    )


def solve_greedy(
    model: WarningModel, items: Items, cover: sparse.csr_matrix, budget: float
) -> Choice:
    """Budgeted greedy: the affordable item with the largest coverage gain per euro, until
    nothing affordable adds coverage; then the best single affordable item if it covers more."""
    started = time.perf_counter()
    cost = item_costs(model.options, items)
    counts = item_node_counts(items)
    limit = model.options.max_count[items.option]
    cover = sparse.csr_matrix(cover, dtype=float)
    uncovered = np.ones(cover.shape[1])
    used_by_option: dict[int, float] = {}
    chosen: list[int] = []
    spent = 0.0
    available = np.ones(len(items), dtype=bool)
    while True:
        gain = np.asarray(cover @ uncovered).ravel() if cover.shape[1] else np.zeros(len(items))
        room = np.array(
            [
                limit[j] < 0
                or used_by_option.get(int(items.option[j]), 0.0) + counts[j] <= limit[j]
                for j in range(len(items))
            ]
        )
        ok = available & room & (spent + cost <= budget) & (gain > 0)
        if not ok.any():
            break
        ratio = np.where(ok, gain / np.maximum(cost, 1e-9), -1.0)
        j = int(np.argmax(ratio))
        chosen.append(j)
        available[j] = False
        spent += cost[j]
        used_by_option[int(items.option[j])] = (
            used_by_option.get(int(items.option[j]), 0.0) + (counts[j])
        )
        uncovered[cover.indices[cover.indptr[j] : cover.indptr[j + 1]]] = 0.0
    share = warned_share(cover, np.array(chosen, np.int64))
    single = np.flatnonzero((cost <= budget) & ((limit < 0) | (counts <= limit)))
    detail = "ratio greedy"
    if single.size:
        per_item = np.asarray(cover.sum(axis=1)).ravel()
        best = int(single[np.argmax(per_item[single])])
        if per_item[best] / max(cover.shape[1], 1) > share:
            chosen, share, detail = [best], per_item[best] / cover.shape[1], "best single item"
    chosen_arr = np.array(chosen, np.int64)
    return Choice(
        "greedy",
        items.select(chosen_arr),
        float(cost[chosen_arr].sum()),
        float(share),
        time_s=time.perf_counter() - started,
        detail=detail,
    )


def uniform_layouts(model: WarningModel, budget: float, options: list[int]) -> list[Items]:
    """For each option and each candidate offset, what the budget (and the option's
    ``max_count``) buys spread evenly along the whole border: n point sensors at equal
    spacing, or a fence over the whole line with as many nodes as the budget buys, evenly
    spaced (closer than the option's ``node_spacing_m`` when the budget allows: equal cost)."""
    border = model.border
    length = border.length_m
    opts = model.options
    out = []
    for o in options:
        cost = float(opts.node_cost_eur[o])
        left = budget - (opts.fence_cost_per_km_eur[o] * length / 1e3 if opts.is_fence(o) else 0)
        n = int(left // cost) if left > 0 else 0
        if opts.max_count[o] >= 0:
            n = min(n, int(opts.max_count[o]))
        if n < 1:
            continue
        for offset in model.plan.candidate_offsets_m:
            if opts.is_fence(o):
                out.append(stretches(o, border, np.array([0.0, length]), offset, length / n))
            else:
                s = (np.arange(n) + 0.5) * length / n
                out.append(points(o, border.point_at(s) + border.inward_at(s) * offset, offset))
    return out


def best_uniform(
    model: WarningModel, layouts: list[Items], cover: sparse.csr_matrix
) -> tuple[Choice, list[str]]:
    """The best of the uniform layouts on the planning objective; ``cover`` has their items'
    rows, layout after layout."""
    best: Choice | None = None
    details = []
    start = 0
    for layout in layouts:
        rows = np.arange(start, start + len(layout))
        start += len(layout)
        share = warned_share(cover, rows)
        name = model.options.names[int(layout.option[0])]
        details.append(f"{name}@{layout.offset_m[0] / 1e3:g}km: {share:.3f}")
        if best is None or share > best.share:
            cost = float(item_costs(model.options, layout).sum())
            best = Choice("uniform", layout, cost, share)
    if best is None:
        return Choice("uniform", Items.empty(), 0.0, 0.0, detail="nothing affordable"), details
    return best, details


@dataclass(frozen=True)
class PlanResult:
    """The three placements at one budget, with the planning set's size."""

    budget_eur: float
    warning_min: float
    drones: int
    coverable: float  # share of planning drones some candidate covers at all
    candidates: int
    choices: dict[str, Choice]
    coverage_time_s: float


@dataclass(frozen=True)
class CandidateCoverage:
    """The candidates of a study and which planning drones each covers (budget-independent)."""

    pset: PlanningSet
    options: list[int]
    items: Items
    cover: sparse.csr_matrix
    time_s: float


def candidate_coverage(model: WarningModel, pset: PlanningSet | None = None) -> CandidateCoverage:
    """Build the candidates (``plan.options``, default all) and their coverage matrix."""
    pset = planning_set(model) if pset is None else pset
    names = model.plan.options or list(model.options.names)
    options = [model.options.names.index(n) for n in names]
    items = candidates(model, options)
    started = time.perf_counter()
    cover = coverage(model, items, pset)
    return CandidateCoverage(pset, options, items, cover, time.perf_counter() - started)


def plan_placements(
    model: WarningModel, budget: float | None = None, cc: CandidateCoverage | None = None
) -> PlanResult:
    """MILP, greedy and uniform placements for ``budget`` (default the study's). The uniform
    layouts' items join the candidates, so the MILP (and the greedy) may pick any of them: on
    the planning objective the MILP is at least as good as uniform spacing by construction."""
    budget = model.plan.budget_eur if budget is None else budget
    cc = candidate_coverage(model) if cc is None else cc
    started = time.perf_counter()
    layouts = uniform_layouts(model, budget, cc.options)
    uniform_items = Items.concatenate(layouts)
    uniform_cover = coverage(model, uniform_items, cc.pset)
    cover_time = cc.time_s + time.perf_counter() - started
    items = Items.concatenate([cc.items, uniform_items])
    cover = sparse.vstack([cc.cover, uniform_cover], format="csr")
    n = len(cc.pset)
    coverable = float((np.asarray(cover.sum(axis=0)).ravel() > 0).mean()) if n else 0.0
    uniform, details = best_uniform(model, layouts, uniform_cover)
    choices = {
        "milp": solve_milp(model, items, cover, budget, model.plan.time_limit_s),
        "greedy": solve_greedy(model, items, cover, budget),
        "uniform": replace(uniform, detail="; ".join(details)),
    }
    return PlanResult(budget, model.plan.warning_min, n, coverable, len(items), choices, cover_time)
