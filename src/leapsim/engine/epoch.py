"""Per-run constants of the decision epochs: the cheapest cost per kill still to come for each
threat (what ``cost_aware`` may hold fire for)."""

from __future__ import annotations

import numpy as np

from leapsim.engine.params import EFFECTOR_KINDS, NightParams
from leapsim.engine.raid import EngagementWindows, RaidDraw
from leapsim.engine.state import LaterCost

TIME_KEY = 1e7  # > any time in a night (s); makes (threat, time) sortable as one float key
EW = EFFECTOR_KINDS.index("ew")


def later_costs(params: NightParams, raid: RaidDraw, windows: EngagementWindows) -> LaterCost:
    """Per threat, the cheapest cost per expected kill among the windows that open later (a
    suffix minimum over each threat's windows in time order), counting only layers likely to
    kill: nominal Pk ``pk · (1 − falloff · hold_range_fraction)`` of at least ``hold_min_pk``
    (doctrine). Jammers are not allocated and never count."""
    et, doctrine = params.effector_types, params.doctrine
    e = params.unit_type[windows.unit]
    nominal_pk = et.pk[e, raid.family[windows.threat]] * (
        1.0 - doctrine.hold_range_fraction * et.pk_range_falloff[e]
    )
    cost_per_kill = et.rounds_per_engagement[e] * et.cost_per_round_eur[e] / nominal_pk
    cost_per_kill[(nominal_pk < doctrine.hold_min_pk) | (et.kind[e] == EW)] = np.inf
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
    return LaterCost(keys, suffix, group_end)
