"""Per-run constants of the decision epochs: engagement costs, arrival times, and the cheapest
cost per kill still to come for each threat (what a cost-aware policy may hold fire for)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leapsim.engine.params import EFFECTOR_KINDS, NightParams
from leapsim.engine.raid import EngagementWindows, RaidDraw

TIME_KEY = 1e7  # > any time in a night (s); makes (threat, time) sortable as one float key
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
        keys = threat * TIME_KEY + windows.t_in[order]
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
        idx = np.searchsorted(self.later_keys, threats * TIME_KEY + t, side="right")
        has = idx < self.group_end[threats]
        out = np.full(threats.size, np.inf)
        out[has] = self.later_cost[idx[has]]
        return out
