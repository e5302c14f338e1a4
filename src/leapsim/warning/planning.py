"""Placement under a budget: candidates, the coverage matrix, and three ways to choose.

**Objective** (``docs/warning.md``, "Placement"): the share of incursion drones *warned in
time* — a drone that reaches a protected site is warned in time when a confirmed track holds it
at least W minutes before it arrives; a drone that reaches no site, when a confirmed track holds
it within W minutes of crossing the border.

**Coverage.** Item j *covers* drone i when, by the drone's deadline (arrival − W, or crossing +
W), the item alone has confirmed a track on it with probability at least
``coverage_confidence`` — the exact M-of-N chain of :mod:`leapsim.warning.confirmation` over the
item's scans (a fence's nodes report through one fusion centre: Pd = 1 − Π(1 − Pd_node)), with
single-scan Pd from :func:`leapsim.sensing.detection_probability`. A set of items warns a drone
in time when one of them covers it (fusing several sensors can only help, so the Monte Carlo's
measured share is at least about this).

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
from scipy.spatial import cKDTree

from leapsim.highs import quiet_highs
from leapsim.sensing import detection_probability
from leapsim.sensing.detection import coverage_radius_m
from leapsim.warning._coverage_kernel import Chain, CoverageRows, PathArrays
from leapsim.warning._coverage_kernel import confirmation_probabilities as _kernel
from leapsim.warning.confirmation import ConfirmationChain
from leapsim.warning.incursions import Flights, generate_incursions, site_arrivals
from leapsim.warning.model import WarningModel
from leapsim.warning.placement import (
    Items,
    detectable,
    item_costs,
    item_node_counts,
    item_nodes,
    points,
    sensor_arrays,
    stretches,
)

TABLE_POINTS = 1024  # Pd table resolution over a sensor's coverage radius
SAMPLE_SPACING_M = 1000.0  # path samples for finding which items can see which drones


@dataclass(frozen=True)
class PlanningSet:
    """The drones a placement is planned against, with the deadline of each (absolute s)."""

    flights: Flights
    site: np.ndarray  # (D,) first site reached, -1 for none
    arrival_s: np.ndarray  # (D,) NaN for none
    deadline_s: np.ndarray  # (D,)

    def __len__(self) -> int:
        return len(self.flights)


def deadlines(flights: Flights, arrival_s: np.ndarray, warning_s: float) -> np.ndarray:
    """Confirm by: arrival − W for a drone that reaches a site, crossing + W otherwise."""
    return np.where(
        np.isfinite(arrival_s), arrival_s - warning_s, flights.crossing_time_s + warning_s
    )


def planning_set(model: WarningModel, flights: Flights | None = None) -> PlanningSet:
    """The planning drones: ``plan.planning_groups`` incursions drawn with ``planning_seed``
    (independent of every Monte Carlo stream), unless ``flights`` is given."""
    if flights is None:
        rng = np.random.default_rng(np.random.SeedSequence(model.plan.planning_seed))
        flights = generate_incursions(model, model.incursions, rng, model.plan.planning_groups)
    site, arrival = site_arrivals(flights, model.sites)
    return PlanningSet(
        flights, site, arrival, deadlines(flights, arrival, 60.0 * model.plan.warning_min)
    )


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


def path_samples(
    flights: Flights, drones: np.ndarray, end_s: np.ndarray, spacing_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Drone indices and times of points every ``spacing_m`` (or closer) along each drone's
    flight from its start to ``end_s[d]`` (both ends included)."""
    start = flights.start_s[drones]
    span = np.maximum(end_s[drones] - start, 0.0)
    n = np.maximum(2, np.ceil(span * flights.speed_mps[drones] / spacing_m).astype(np.int64) + 1)
    owner = np.repeat(np.arange(drones.size), n)
    first = np.concatenate([[0], np.cumsum(n)[:-1]])
    k = np.arange(owner.size) - first[owner]
    times = start[owner] + span[owner] * k / (n[owner] - 1)
    return drones[owner], times


def _pd_tables(model: WarningModel, option: int, flights: Flights, drones: np.ndarray):
    """Pd against ground distance for one option and each drone: (K, G) tables, (K,) step and
    (D,) table index per drone (drones with equal altitude, RCS and emission share one)."""
    probe = sensor_arrays(model, np.array([option]), np.zeros((1, 2)))
    keys = {}
    index = np.full(len(flights), -1, np.int64)
    for d in drones:
        key = (flights.altitude_m[d], flights.rcs_m2[d], bool(flights.emitting[d]))
        index[d] = keys.setdefault(key, len(keys))
    if not keys:
        return np.zeros((0, TABLE_POINTS)), np.zeros(0), index
    alt = np.array([k[0] for k in keys])
    rcs = np.array([k[1] for k in keys])
    emitting = np.array([k[2] for k in keys])
    radius = np.array([coverage_radius_m(probe, a)[0] for a in alt])
    step = np.maximum(radius, 1.0) / (TABLE_POINTS - 1)
    r = np.arange(TABLE_POINTS)[None, :] * step[:, None]
    targets = np.stack([r, np.zeros_like(r), np.broadcast_to(alt[:, None], r.shape)], axis=-1)
    sees = detectable(probe.kind, np.repeat(emitting, TABLE_POINTS), np.ones(r.size, dtype=bool))
    pd = detection_probability(probe, targets.reshape(-1, 3), np.repeat(rcs, TABLE_POINTS))
    tables = np.where(sees, pd, 0.0).reshape(len(keys), TABLE_POINTS)
    return tables, step, index


def coverage_probability(model: WarningModel, items: Items, pset: PlanningSet) -> sparse.csr_matrix:
    """(I, D) sparse: probability that item j alone confirms a track on drone i by its deadline
    (structurally zero where the drone never comes within the item's reach). A row stops once
    it reaches ``coverage_confidence``, so values at or above it mean "covered", not the exact
    probability."""
    flights = pset.flights
    node_xy, owner = item_nodes(model, items)
    chain = ConfirmationChain(model.tracker.confirm_m, model.tracker.confirm_n)
    n_items, n_drones = len(items), len(flights)
    start = flights.start_s
    live = np.flatnonzero(pset.deadline_s > start)
    end = np.minimum(pset.deadline_s, flights.end_s)
    tables_all, steps_all, rows = [], [], []
    n_tables = 0
    for o in np.unique(items.option) if live.size else []:
        nodes = np.flatnonzero(items.option[owner] == o)
        tables, step, table_of = _pd_tables(model, int(o), flights, live)
        radius = step * (TABLE_POINTS - 1)
        spacing = max(SAMPLE_SPACING_M, float(radius.max()) / 25.0)
        samples_d, samples_t = path_samples(flights, live, end, spacing)
        samples_xy = flights.positions_at(samples_d, samples_t)[:, :2]
        reach = float(radius.max()) + spacing
        hits = cKDTree(samples_xy).query_ball_point(node_xy[nodes], reach, return_sorted=False)
        lens = np.fromiter((len(h) for h in hits), np.int64, len(hits))
        if lens.sum() == 0:
            continue
        node_of = np.repeat(nodes, lens)
        sample = np.concatenate([np.asarray(h, np.int64) for h in hits if len(h)])
        d = samples_d[sample]
        gap = np.hypot(*(node_xy[node_of] - samples_xy[sample]).T)
        ok = gap <= radius[table_of[d]] + spacing
        item, d, t = owner[node_of[ok]], d[ok], samples_t[sample[ok]]
        pair = item * n_drones + d
        order = np.lexsort((t, pair))
        pair, t = pair[order], t[order]
        first = np.concatenate([[True], pair[1:] != pair[:-1]])
        last = np.concatenate([pair[1:] != pair[:-1], [True]])
        item_r, drone_r = pair[first] // n_drones, pair[first] % n_drones
        pad = spacing / flights.speed_mps[drone_r]
        t_in = np.maximum(t[first] - pad, start[drone_r])
        t_out = np.minimum(t[last] + pad, pset.deadline_s[drone_r])
        period = model.options.scan_period_s(int(o))
        t0 = np.ceil(t_in / period) * period
        scans = np.floor((t_out - t0) / period + 1e-9).astype(np.int64) + 1
        keep = scans > 0
        rows.append(
            (
                item_r[keep],
                drone_r[keep],
                t0[keep],
                np.full(keep.sum(), period),
                scans[keep],
                table_of[drone_r[keep]] + n_tables,
            )
        )
        tables_all.append(tables)
        steps_all.append(step)
        n_tables += tables.shape[0]
    if not rows:
        return sparse.csr_matrix((n_items, n_drones))
    item_r, drone_r, t0, period, scans, table = (np.concatenate(c) for c in zip(*rows, strict=True))
    order = np.argsort(item_r, kind="stable")
    item_r, drone_r, t0, period, scans, table = (
        a[order] for a in (item_r, drone_r, t0, period, scans, table)
    )
    node_order = np.argsort(owner, kind="stable")
    per_item = np.bincount(owner, minlength=n_items)
    item_start = np.concatenate([[0], np.cumsum(per_item)])
    counts = per_item[item_r]
    node_start = np.concatenate([[0], np.cumsum(counts)])
    within = np.arange(node_start[-1]) - np.repeat(node_start[:-1], counts)
    node_rows = node_order[np.repeat(item_start[item_r], counts) + within]
    prob = _kernel(
        PathArrays(flights.offsets, flights.xy, flights.t),
        CoverageRows(
            drone_r,
            t0,
            period,
            scans,
            node_start,
            node_xy[node_rows],
            table,
            np.concatenate(tables_all),
            np.concatenate(steps_all),
        ),
        Chain(chain.hit_to, chain.miss_to, chain.confirmed),
        model.plan.coverage_confidence,
    )
    return sparse.csr_matrix((prob, (item_r, drone_r)), shape=(n_items, n_drones))


def coverage(model: WarningModel, items: Items, pset: PlanningSet) -> sparse.csr_matrix:
    """(I, D) boolean: item j covers drone i (see module notes)."""
    prob = coverage_probability(model, items, pset)
    covered = prob >= model.plan.coverage_confidence
    return sparse.csr_matrix(covered, dtype=bool)


def warned_share(cover: sparse.csr_matrix, chosen: np.ndarray) -> float:
    """Share of the planning drones that the chosen items cover."""
    if cover.shape[1] == 0:
        return 0.0
    hit = np.asarray(cover[np.asarray(chosen, dtype=np.int64)].sum(axis=0)).ravel() > 0
    return float(hit.mean())


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
