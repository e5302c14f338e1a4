"""Fixed-size arrays for one decision epoch: the observation, the action mask, and the mapping
between actions and the engine's :class:`~leapsim.c2.allocation.Assignment`.

Slots (fixed for a scenario, so every epoch has the same shapes):

* **unit slots** ``U``: the scenario's kinetic fire units in index order (jammers are not
  allocated: the engine starts their engagements itself);
* **channel slots** ``C``: one per fire channel of each unit slot, the unit's channels next to
  each other; one action entry each, so a unit can start as many engagements at an epoch as its
  channels allow;
* **threat slots** ``K`` (``max_threats``): the epoch's candidate targets, most urgent (earliest
  arrival) first, as the engine orders them; an epoch with more candidates shows the first ``K``
  (the rest cannot be engaged at that epoch; ``info["threats_cut"]`` counts them).

Padding is 0 and the masks tell real entries apart. Costs are in units of ``cost_scale_eur``
(default 1 M€), times in units of ``time_scale_s`` (default 60 s), both set per environment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leapsim.c2.allocation import Assignment
from leapsim.engine.epoch import EW, TIME_KEY
from leapsim.engine.night import NightRun
from leapsim.engine.params import NightParams
from leapsim.engine.state import EpochProblem

UNIT_FEATURES = (
    "free_channels",  # fire channels not busy with an engagement in flight
    "capacity",  # engagements it can start now (free channels, rounds, not reloading)
    "ready_rounds",  # rounds in the magazine / magazine size
    "reserve_rounds",  # rounds on site for reloads / magazine size
    "reloading",  # 1 while a reload is under way
    "engagement_cost",  # rounds per engagement × cost per round, cost units
)
THREAT_FEATURES = (
    "time_to_target",  # time until it reaches its target, time units
    "value_at_risk",  # expected damage if not killed (perceived type), cost units
    "threat_cost",  # unit cost of its perceived type, cost units
    "survival_in_flight",  # probability it survives the engagements already in flight
    "max_new_shots",  # engagements the doctrine still allows on it
    "later_cost_per_kill",  # cheapest cost per kill of a layer still to come, cost units; -1: none
    "next_window_in",  # time until the next unit's engagement window opens on it; -1: none
    "windows_to_open",  # engagement windows (any unit) still to open on it
)
PAIR_FEATURES = (
    "pk",  # kill probability of one engagement of the unit on the threat (0 where infeasible)
    "feasible",  # 1 where the unit can start an engagement on the threat now
    "time_to_intercept",  # engagement time + interceptor flight, time units (0 where infeasible)
    "window_left",  # time until the threat leaves the unit's envelope, time units (0: closed)
)
NIGHT_FEATURES = (
    "elapsed",  # epoch time / night duration
    "value_left",  # site value left / site value at dusk
)
HOLD = 0
"""The action of a channel slot that starts nothing; action ``i + 1`` engages threat slot ``i``."""


@dataclass(frozen=True)
class Layout:
    """The slots of one scenario and the observation's scales."""

    units: np.ndarray  # (U,) fire unit index of each unit slot
    slot_of_unit: np.ndarray  # (all units,) unit slot of each fire unit, -1 for jammers
    channel_slot: np.ndarray  # (C,) unit slot of each channel slot
    channel_rank: np.ndarray  # (C,) which of its unit's channels it is
    first_channel: np.ndarray  # (U,) first channel slot of each unit slot
    max_threats: int
    cost_scale_eur: float
    time_scale_s: float

    @property
    def n_units(self) -> int:
        return int(self.units.size)

    @property
    def n_channels(self) -> int:
        return int(self.channel_slot.size)


def make_layout(
    params: NightParams, max_threats: int, cost_scale_eur: float, time_scale_s: float
) -> Layout:
    """The slots of the scenario compiled into ``params``."""
    if max_threats < 1:
        raise ValueError("max_threats must be >= 1")
    if cost_scale_eur <= 0 or time_scale_s <= 0:
        raise ValueError("cost_scale_eur and time_scale_s must be > 0")
    et = params.effector_types
    units = np.flatnonzero(et.kind[params.unit_type] != EW)
    slot_of_unit = np.full(params.unit_type.size, -1, np.int64)
    slot_of_unit[units] = np.arange(units.size)
    channels = et.fire_channels[params.unit_type[units]].astype(np.int64)
    channel_slot = np.repeat(np.arange(units.size), channels)
    first_channel = np.concatenate([[0], np.cumsum(channels)[:-1]]).astype(np.int64)
    return Layout(
        units=units,
        slot_of_unit=slot_of_unit,
        channel_slot=channel_slot,
        channel_rank=np.arange(channel_slot.size) - first_channel[channel_slot],
        first_channel=first_channel,
        max_threats=int(max_threats),
        cost_scale_eur=float(cost_scale_eur),
        time_scale_s=float(time_scale_s),
    )


def empty_observation(layout: Layout) -> dict[str, np.ndarray]:
    """All padding: the observation after the night's last decision."""
    u, k = layout.n_units, layout.max_threats
    return {
        "night": np.zeros(len(NIGHT_FEATURES), np.float32),
        "units": np.zeros((u, len(UNIT_FEATURES)), np.float32),
        "threats": np.zeros((k, len(THREAT_FEATURES)), np.float32),
        "pairs": np.zeros((u, k, len(PAIR_FEATURES)), np.float32),
        "unit_mask": np.zeros(u, np.int8),
        "threat_mask": np.zeros(k, np.int8),
    }


def observe(layout: Layout, run: NightRun, epoch: EpochProblem | None) -> dict[str, np.ndarray]:
    """The observation of ``run`` at its pending ``epoch`` (None: the night is over)."""
    obs = empty_observation(layout)
    params, state = run.params, run.state
    obs["night"][:] = (
        min(run.time_s / params.duration_s, 1.0),
        state.site_value_left_eur.sum() / max(params.site_value_eur.sum(), 1e-300),
    )
    if epoch is None:
        return obs
    t, cs, ts = run.time_s, layout.cost_scale_eur, layout.time_scale_s
    alloc = epoch.allocation
    rows = layout.slot_of_unit[epoch.units]
    n_cols = min(epoch.threats.size, layout.max_threats)
    cols = np.arange(n_cols)
    threats = epoch.threats[:n_cols]

    et, unit_type = params.effector_types, params.unit_type[layout.units]
    clock = run.clock[0]
    busy_rows = run.buffers.pending[: clock["n_pending"]]
    busy = np.bincount(run.buffers.log.unit[busy_rows], minlength=params.unit_type.size)
    magazine = np.maximum(et.magazine[unit_type], 1)
    units = obs["units"]
    units[:, 0] = et.fire_channels[unit_type] - busy[layout.units]
    units[rows, 1] = alloc.capacity
    units[:, 2] = state.ready[layout.units] / magazine
    units[:, 3] = state.reserve[layout.units] / magazine
    units[:, 4] = ~np.isnan(state.reload_done_s[layout.units])
    units[:, 5] = et.rounds_per_engagement[unit_type] * et.cost_per_round_eur[unit_type] / cs
    obs["unit_mask"][rows] = 1

    night = run.night
    tf = obs["threats"]
    tf[:n_cols, 0] = (night.threats.arrival_s[threats] - t) / ts
    tf[:n_cols, 1] = alloc.threat_value[:n_cols] / cs
    tf[:n_cols, 2] = alloc.threat_cost[:n_cols] / cs
    tf[:n_cols, 3] = alloc.survival_in_flight[:n_cols]
    tf[:n_cols, 4] = alloc.max_new_shots[:n_cols]
    later = alloc.later_cost_per_kill[:n_cols]
    tf[:n_cols, 5] = np.where(np.isfinite(later), later / cs, -1.0)
    keys, group_end = night.later.keys, night.later.group_end
    base = threats * TIME_KEY
    first = np.searchsorted(keys, base + t, side="right")
    has_next = first < group_end[threats]
    next_key = keys[np.minimum(first, max(keys.size - 1, 0))] if keys.size else base
    tf[:n_cols, 6] = np.where(has_next, (next_key - base - t) / ts, -1.0)
    tf[:n_cols, 7] = group_end[threats] - first
    obs["threat_mask"][:n_cols] = 1

    pairs = obs["pairs"]
    feasible = alloc.feasible[:, :n_cols]
    block = np.ix_(rows, cols)
    pairs[..., 0][block] = alloc.pk[:, :n_cols]
    pairs[..., 1][block] = feasible
    pairs[..., 2][block] = np.where(feasible, (epoch.t_end[:, :n_cols] - t) / ts, 0.0)
    windows = night.windows
    open_w = run.buffers.open_windows[: clock["n_open"]]
    col_of = np.full(run.state.alive.size, -1, np.int64)
    col_of[threats] = cols
    w_slot, w_col = layout.slot_of_unit[windows.unit[open_w]], col_of[windows.threat[open_w]]
    seen = (w_slot >= 0) & (w_col >= 0)
    left = (windows.t_out[open_w[seen]] - t) / ts
    np.maximum.at(pairs[..., 3], (w_slot[seen], w_col[seen]), left.astype(np.float32))
    return obs


def action_mask(layout: Layout, epoch: EpochProblem | None) -> np.ndarray:
    """(C, K + 1) bool: which actions each channel slot may take (:data:`HOLD` always)."""
    mask = np.zeros((layout.n_channels, layout.max_threats + 1), np.bool_)
    mask[:, HOLD] = True
    if epoch is None:
        return mask
    alloc = epoch.allocation
    n_cols = min(epoch.threats.size, layout.max_threats)
    capacity = np.zeros(layout.n_units, np.int64)
    feasible = np.zeros((layout.n_units, n_cols), np.bool_)
    rows = layout.slot_of_unit[epoch.units]
    capacity[rows] = alloc.capacity
    feasible[rows] = alloc.feasible[:, :n_cols]
    free = layout.channel_rank < capacity[layout.channel_slot]
    mask[:, 1 : n_cols + 1] = feasible[layout.channel_slot] & free[:, None]
    return mask


def decode(
    layout: Layout, epoch: EpochProblem, action: np.ndarray, mask: np.ndarray | None = None
) -> tuple[Assignment, int]:
    """The engagements ``action`` starts at ``epoch`` (problem rows and columns) and how many of
    its shots were dropped: those the mask forbids, and, in channel-slot order, those beyond a
    threat's ``max_new_shots``. ``mask``: the epoch's :func:`action_mask` if already known."""
    action = np.asarray(action, np.int64).reshape(layout.n_channels)
    if mask is None:
        mask = action_mask(layout, epoch)
    inside = (action >= 0) & (action <= layout.max_threats)
    allowed = np.zeros(action.size, np.bool_)
    allowed[inside] = mask[np.flatnonzero(inside), action[inside]]
    fire = np.flatnonzero(allowed & (action != HOLD))
    cols = action[fire] - 1
    row_of_slot = np.full(layout.n_units, -1, np.int64)
    row_of_slot[layout.slot_of_unit[epoch.units]] = np.arange(epoch.units.size)
    rows = row_of_slot[layout.channel_slot[fire]]
    # rank of each shot among the shots on its threat, in channel-slot order
    order = np.argsort(cols, kind="stable")
    sorted_cols = cols[order]
    starts = np.searchsorted(sorted_cols, sorted_cols, side="left")
    rank = np.empty(cols.size, np.int64)
    rank[order] = np.arange(cols.size) - starts
    keep = rank < epoch.allocation.max_new_shots[cols]
    dropped = int(np.count_nonzero(action != HOLD) - keep.sum())
    return Assignment(rows[keep], cols[keep]), dropped


def encode(layout: Layout, epoch: EpochProblem, chosen: Assignment) -> np.ndarray:
    """The action that starts ``chosen`` (problem rows and columns, e.g. a built-in policy's
    answer): each shot of a unit takes its next channel slot. Raises ValueError for a shot the
    action cannot express (a threat beyond the ``max_threats`` slots, more shots than channels)."""
    action = np.full(layout.n_channels, HOLD, np.int64)
    if len(chosen) and chosen.threat.max() >= layout.max_threats:
        raise ValueError(
            f"a shot on candidate {int(chosen.threat.max())} of the epoch, beyond the "
            f"{layout.max_threats} threat slots (raise max_threats)"
        )
    slots = layout.slot_of_unit[epoch.units[chosen.unit]]
    used = np.zeros(layout.n_units, np.int64)
    for slot, col in zip(slots, chosen.threat, strict=True):
        channel = layout.first_channel[slot] + used[slot]
        if channel >= layout.n_channels or layout.channel_slot[channel] != slot:
            raise ValueError("more shots for a fire unit than it has fire channels")
        action[channel] = col + 1
        used[slot] += 1
    return action
