"""Which item covers which drone: the planning model's coverage matrix.

Item j *covers* drone i when, by the drone's deadline (arrival at a site − W, or crossing + W
for a drone that reaches no site), the item alone has confirmed a track on it with probability
at least ``coverage_confidence`` — the exact M-of-N chain of :mod:`leapsim.warning.confirmation`
over the item's scans (a fence's nodes report through one fusion centre: Pd = 1 − Π(1 −
Pd_node)), with single-scan Pd from :func:`leapsim.sensing.detection_probability`. A k-d tree
finds the (item, drone) pairs within reach, and a compiled loop
(:mod:`leapsim.warning._coverage_kernel`) steps the chain over their scans.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from leapsim.sensing import detection_probability
from leapsim.sensing.detection import coverage_radius_m
from leapsim.warning._coverage_kernel import Chain, CoverageRows, PathArrays
from leapsim.warning._coverage_kernel import confirmation_probabilities as _kernel
from leapsim.warning.confirmation import ConfirmationChain
from leapsim.warning.incursions import Flights, generate_incursions, site_arrivals
from leapsim.warning.model import WarningModel
from leapsim.warning.placement import Items, detectable, item_nodes, sensor_arrays

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
