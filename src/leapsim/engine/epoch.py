"""Building the fire-allocation problem of one decision epoch from the night's state."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leapsim.c2.allocation import AllocationProblem
from leapsim.c2.threat_evaluation import value_at_risk
from leapsim.engine.kinematics import position_at_time
from leapsim.engine.params import EFFECTOR_KINDS, NightParams
from leapsim.engine.raid import EngagementWindows, RaidDraw

_TIME_KEY = 1e7  # > any time in a night (s); makes (threat, time) sortable as one float key
MIN_HOLD_PK = 0.5
EW = EFFECTOR_KINDS.index("ew")


@dataclass(frozen=True)
class EpochContext:
    """Per-run constants the epochs share: the windows and, per threat, the cheapest cost per
    expected kill among the windows that open later (a suffix minimum over each threat's windows
    in time order) of layers with nominal Pk of at least :data:`MIN_HOLD_PK`."""

    params: NightParams
    raid: RaidDraw
    windows: EngagementWindows
    later_keys: np.ndarray  # windows sorted by (threat, t_in) as threat·K + t_in
    later_cost: np.ndarray  # suffix min of cost per kill within each threat's windows
    group_end: np.ndarray  # (N,) end of each threat's group in the sorted order

    @classmethod
    def create(cls, params: NightParams, raid: RaidDraw, windows: EngagementWindows) -> EpochContext:
        et = params.effector_types
        e = params.unit_type[windows.unit]
        nominal_pk = et.pk[e, raid.family[windows.threat]] * (1.0 - 0.5 * et.pk_range_falloff[e])
        cost_per_kill = et.rounds_per_engagement[e] * et.cost_per_round_eur[e] / nominal_pk
        # only a layer that is likely to kill is worth holding fire for; EW is not allocated
        cost_per_kill[(nominal_pk < MIN_HOLD_PK) | (et.kind[e] == EW)] = np.inf
        order = np.lexsort((windows.t_in, windows.threat))
        threat = windows.threat[order]
        keys = threat * _TIME_KEY + windows.t_in[order]
        cpk = cost_per_kill[order]
        group_end = np.searchsorted(threat, np.arange(raid.n), side="right")
        starts = np.searchsorted(threat, np.arange(raid.n), side="left")
        suffix = cpk.copy()
        for a, b in zip(starts, group_end, strict=True):
            if b - a > 1:
                suffix[a:b] = np.minimum.accumulate(cpk[a:b][::-1])[::-1]
        return cls(params, raid, windows, keys, suffix, group_end)

    def later_cost_per_kill(self, threats: np.ndarray, t: float) -> np.ndarray:
        """(len(threats),) cheapest cost per kill among windows opening after ``t``; inf if none."""
        idx = np.searchsorted(self.later_keys, threats * _TIME_KEY + t, side="right")
        has = idx < self.group_end[threats]
        out = np.full(threats.size, np.inf)
        out[has] = self.later_cost[idx[has]]
        return out


@dataclass(frozen=True)
class Candidates:
    """Feasible (unit, threat) engagements at one epoch, one row each."""

    unit: np.ndarray
    threat: np.ndarray
    pk: np.ndarray
    t_end: np.ndarray
    value_at_risk: np.ndarray
    threat_cost: np.ndarray

    def take(self, mask: np.ndarray) -> Candidates:
        return Candidates(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))


def candidate_engagements(
    ctx: EpochContext,
    t: float,
    open_pairs: np.ndarray,
    detect_s: np.ndarray,
    alive: np.ndarray,
    capacity: np.ndarray,
    max_new: np.ndarray,
    jammed: np.ndarray,
    site_left: np.ndarray,
) -> Candidates | None:
    """Engagements that may start at time ``t`` among the open windows.

    A (unit, threat) pair qualifies when the threat is detected and alive, the unit has capacity,
    the doctrine allows another shot (EW: the threat is not already jammed), the threat is inside
    the unit's range and altitude band now, the intercept completes before the threat leaves the
    unit's range and before it reaches its target, and every cost rule passes. Time of flight is
    slant range over interceptor speed plus the threat's closing speed (head-on geometry).
    """
    params, raid, windows = ctx.params, ctx.raid, ctx.windows
    et, doctrine = params.effector_types, params.doctrine
    u = windows.unit[open_pairs]
    k = windows.threat[open_pairs]
    e = params.unit_type[u]
    ew = et.kind[e] == EW
    allowed = np.where(ew, ~jammed[k], max_new[k] > 0)
    keep = (detect_s[k] <= t) & (capacity[u] > 0) & allowed & alive[k]
    if not keep.any():
        return None
    rows, u, k, e = open_pairs[keep], u[keep], k[keep], e[keep]
    uniq, inverse = np.unique(k, return_inverse=True)
    pos = position_at_time(raid.paths, uniq, t)[inverse]
    ahead = position_at_time(raid.paths, uniq, t + 1.0)[inverse]
    dx = pos[:, 0] - params.unit_xy[u, 0]
    dy = pos[:, 1] - params.unit_xy[u, 1]
    r = np.hypot(dx, dy)
    z = pos[:, 2]
    slant = np.hypot(r, z)
    closing = np.maximum(slant - np.hypot(np.hypot(ahead[:, 0] - params.unit_xy[u, 0],
                                                   ahead[:, 1] - params.unit_xy[u, 1]),
                                          ahead[:, 2]), 0.0)
    t_end = t + et.engagement_time_s[e] + slant / (et.interceptor_speed_mps[e] + closing)
    pk = et.pk[e, raid.family[k]] * (1.0 - et.pk_range_falloff[e] * r / et.max_range_m[e])
    cost = et.rounds_per_engagement[e] * et.cost_per_round_eur[e]
    perceived = params.threat_types.perceived[raid.type[k]]
    var = value_at_risk(site_left, raid.target[k], params.threat_types.damage_fraction[perceived])
    tcost = params.threat_types.unit_cost_eur[perceived]
    ok = (
        (r >= et.min_range_m[e])
        & (r <= et.max_range_m[e])
        & (z >= et.min_altitude_m[e])
        & (z <= et.max_altitude_m[e])
        & (t_end < raid.paths.arrival_s[k])
        & (t_end <= windows.t_out[rows])
        & (pk > 0)
    )
    for ratio, threshold in zip(
        doctrine.cost_rule_ratio, doctrine.cost_rule_value_threshold_eur, strict=True
    ):
        ok &= (cost <= ratio * tcost) | (var > threshold)
    if not ok.any():
        return None
    return Candidates(u[ok], k[ok], pk[ok], t_end[ok], var[ok], tcost[ok])


def jamming_assignment(ctx: EpochContext, cand: Candidates, capacity: np.ndarray) -> np.ndarray:
    """Rows of ``cand`` that EW units jam now: every jammer takes the threats in its reach that
    no one jams yet, most urgent first, up to its free channels. EW is not a fire-allocation
    decision: a jammer radiates at whatever it can reach, so no policy is asked."""
    ew = ctx.params.effector_types.kind[ctx.params.unit_type[cand.unit]] == EW
    rows = np.flatnonzero(ew)
    if rows.size == 0:
        return rows
    arrival = ctx.raid.paths.arrival_s[cand.threat[rows]]
    rows = rows[np.lexsort((cand.unit[rows], arrival))]
    # one jammer per threat: the first row of each threat in urgency order
    _, first = np.unique(cand.threat[rows], return_index=True)
    rows = rows[np.sort(first)]
    # per jammer, keep as many as its free channels
    order = np.argsort(cand.unit[rows], kind="stable")
    rows = rows[order]
    units = cand.unit[rows]
    rank = np.arange(rows.size) - np.searchsorted(units, units, side="left")
    return np.sort(rows[rank < capacity[units]])


def allocation_problem(
    ctx: EpochContext,
    t: float,
    cand: Candidates,
    capacity: np.ndarray,
    max_new: np.ndarray,
    survival: np.ndarray,
) -> tuple[AllocationProblem, np.ndarray, np.ndarray, np.ndarray]:
    """The dense :class:`AllocationProblem` over the candidates' units and threats.

    Returns ``(problem, units, threats, t_end)`` mapping rows/columns to global unit and threat
    indices; threat columns are ordered by arrival time (most urgent first).
    """
    params, raid = ctx.params, ctx.raid
    et = params.effector_types
    units, ui = np.unique(cand.unit, return_inverse=True)
    threats = np.unique(cand.threat)
    threats = threats[np.argsort(raid.paths.arrival_s[threats], kind="stable")]
    col_of = np.empty(raid.n, np.int64)
    col_of[threats] = np.arange(threats.size)
    ti = col_of[cand.threat]
    shape = (units.size, threats.size)
    pk = np.zeros(shape)
    pk[ui, ti] = cand.pk
    feasible = np.zeros(shape, bool)
    feasible[ui, ti] = True
    t_end = np.full(shape, np.inf)
    t_end[ui, ti] = cand.t_end
    value = np.zeros(threats.size)
    value[ti] = cand.value_at_risk
    threat_cost = np.zeros(threats.size)
    threat_cost[ti] = cand.threat_cost
    eu = params.unit_type[units]
    problem = AllocationProblem(
        pk=pk,
        feasible=feasible,
        engagement_cost=et.rounds_per_engagement[eu] * et.cost_per_round_eur[eu],
        capacity=capacity[units],
        threat_value=value,
        threat_cost=threat_cost,
        survival_in_flight=survival[threats],
        max_new_shots=max_new[threats],
        later_cost_per_kill=ctx.later_cost_per_kill(threats, t),
    )
    return problem, units, threats, t_end
