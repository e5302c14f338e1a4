"""One decision epoch: who jams what, and the fire-allocation problem posed to the policy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leapsim.c2.allocation import AllocationPolicy, AllocationProblem
from leapsim.engine.epoch_kernel import epoch_problem
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
    engagement_cost: np.ndarray  # (E,) rounds per engagement × cost per round, EUR
    arrival_s: np.ndarray  # (N,)
    later_keys: np.ndarray  # windows sorted by (threat, t_in) as threat·K + t_in
    later_cost: np.ndarray  # suffix min of cost per kill within each threat's windows
    group_end: np.ndarray  # (N,) end of each threat's group in the sorted order

    @classmethod
    def create(
        cls, params: NightParams, raid: RaidDraw, windows: EngagementWindows
    ) -> EpochContext:
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
        engagement_cost = et.rounds_per_engagement * et.cost_per_round_eur
        return cls(
            params, raid, windows, engagement_cost, raid.paths.arrival_s, keys, suffix, group_end
        )

    def later_cost_per_kill(self, threats: np.ndarray, t: float) -> np.ndarray:
        """(len(threats),) cheapest cost per kill among windows opening after ``t``; inf if none."""
        idx = np.searchsorted(self.later_keys, threats * _TIME_KEY + t, side="right")
        has = idx < self.group_end[threats]
        out = np.full(threats.size, np.inf)
        out[has] = self.later_cost[idx[has]]
        return out


@dataclass(frozen=True)
class Engagements:
    """Engagements to start now: parallel arrays (global unit and threat indices)."""

    unit: np.ndarray
    threat: np.ndarray
    t_end: np.ndarray
    pk: np.ndarray


def decide(
    ctx: EpochContext,
    t: float,
    open_pairs: np.ndarray,
    pending_unit: np.ndarray,
    pending_threat: np.ndarray,
    pending_pk: np.ndarray,
    ready: np.ndarray,
    reloading: np.ndarray,
    detect_s: np.ndarray,
    alive: np.ndarray,
    shots_on: np.ndarray,
    site_left: np.ndarray,
    policy: AllocationPolicy,
    rng: np.random.Generator,
) -> tuple[Engagements, Engagements]:
    """Jamming and fire allocation at time ``t``: ``(jams, shots)`` to start now.

    A unit's capacity is its free fire channels, limited by the engagements its ready rounds
    feed (none while reloading). A (unit, threat) pair is a candidate when the threat is
    detected and alive, the unit has capacity, the doctrine allows another shot (shots per
    threat; with shoot-look-shoot none while one is in flight) — for a jammer: no one jams the
    threat yet —, the threat is inside the unit's range and altitude band now, the intercept
    completes before the threat leaves the unit's range and before it reaches its target, Pk > 0,
    and every cost rule passes. Time of flight is slant range over interceptor speed plus the
    threat's closing speed (head-on geometry); Pk falls linearly with range by the effector's
    falloff. Jammers take every candidate threat no one jams yet, most urgent first; the policy
    allocates the kinetic candidates.
    """
    params, raid, windows, paths = ctx.params, ctx.raid, ctx.windows, ctx.raid.paths
    et, tt, doctrine = params.effector_types, params.threat_types, params.doctrine
    (jam_u, jam_k, jam_end, jam_pk, units, threats, pk, feasible, t_end, cost, capacity,
     value, threat_cost, survival, max_new, later) = epoch_problem(
        t, open_pairs, windows.unit, windows.threat, windows.t_out,
        pending_unit, pending_threat, pending_pk,
        ready, reloading, detect_s, alive, shots_on,
        doctrine.max_shots_per_threat, doctrine.shoot_look_shoot,
        params.unit_xy, params.unit_type,
        et.kind, et.fire_channels, et.rounds_per_engagement, et.min_range_m, et.max_range_m,
        et.min_altitude_m, et.max_altitude_m, et.engagement_time_s, et.interceptor_speed_mps,
        et.pk, et.pk_range_falloff, ctx.engagement_cost,
        paths.points, paths.cumulative_m, paths.length_m, paths.speed_mps, paths.launch_s,
        paths.altitude_m, paths.ballistic, ctx.arrival_s,
        raid.family, raid.type, raid.target, tt.perceived, tt.damage_fraction, tt.unit_cost_eur,
        site_left, doctrine.cost_rule_ratio, doctrine.cost_rule_value_threshold_eur, EW,
        ctx.later_keys, ctx.later_cost, ctx.group_end, _TIME_KEY,
    )  # fmt: skip
    jams = Engagements(jam_u, jam_k, jam_end, jam_pk)
    if units.size == 0:
        return jams, Engagements(*(np.empty(0, a.dtype) for a in (jam_u, jam_k, jam_end, jam_pk)))
    problem = AllocationProblem(
        pk=pk,
        feasible=feasible,
        engagement_cost=cost,
        capacity=capacity,
        threat_value=value,
        threat_cost=threat_cost,
        survival_in_flight=survival,
        max_new_shots=max_new,
        later_cost_per_kill=later,
    )
    chosen = policy(problem, rng)
    order = np.lexsort((chosen.threat, chosen.unit))
    cu, ck = chosen.unit[order], chosen.threat[order]
    return jams, Engagements(units[cu], threats[ck], t_end[cu, ck], pk[cu, ck])
