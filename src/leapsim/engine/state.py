"""The named state of the compiled night loop (:mod:`leapsim.engine.loop`).

Everything the loop reads or writes is one of these structures; numba compiles named tuples as
structs, so the kernels use field names and a new field is added in one place. Strings never
enter them (see :func:`leapsim.engine.params.kernel_view`).

* :class:`Night`: what is fixed for the night (targets, fire units, types, doctrine, tracks,
  the ``lookahead`` policy's engagement opportunities).
* :class:`NightState`: what the night changes, per target, fire unit and site.
* :class:`Buffers`: the growable arrays (engagement log, engagements in flight, open windows,
  reloads).
* :data:`CLOCK`: the loop's scalar state, a one-row numpy record the kernels update in place.
* :class:`EpochProblem`: the allocation problem of one decision epoch and what its rows and
  columns stand for; :class:`Jamming`: the engagements jammers start at that epoch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from leapsim.c2.allocation import AllocationProblem
from leapsim.c2.lookahead import RoundPrices, Stages
from leapsim.engine.kinematics import Paths
from leapsim.engine.raid import EngagementWindows


class Threats(NamedTuple):
    """The night's N targets: real threats, then false tracks from ``n_real`` on."""

    paths: Paths
    arrival_s: np.ndarray  # (N,) time each reaches its target (false tracks: track deletion)
    family: np.ndarray  # (N,) family code
    type: np.ndarray  # (N,) threat type (the perceived type for a false track)
    target: np.ndarray  # (N,) site
    detect_s: np.ndarray  # (N,) known to C2 from (tracked: first confirmed track), inf if never
    n_real: int


class Units(NamedTuple):
    """The U fire units."""

    xy: np.ndarray  # (U, 2) m
    type: np.ndarray  # (U,) effector type


class Tracks(NamedTuple):
    """When confirmed tracks hold each target, and their errors (tracked sensing; see
    :class:`leapsim.engine.tracked.TrackPicture`). Target k's entries are
    ``[held_ptr[k], held_ptr[k + 1])``."""

    tracked: bool  # False in detection sensing: every detected target is held, error 0
    held_ptr: np.ndarray  # (N + 1,)
    held_s: np.ndarray  # step times at which a track holds the target
    error_m: np.ndarray  # 3-D position error of its best track then
    half_step_s: float


class LaterCost(NamedTuple):
    """Per target, the cheapest cost per kill among windows opening later (see
    :func:`leapsim.engine.epoch.later_costs`): windows sorted by ``threat·TIME_KEY + t_in``."""

    keys: np.ndarray
    cost_per_kill: np.ndarray  # suffix minimum within each target's windows
    group_end: np.ndarray  # (N,) end of each target's windows in the sorted order


class Lookahead(NamedTuple):
    """What the ``lookahead`` policy's costs are computed from (:mod:`leapsim.engine.lookahead`);
    empty, with ``enabled`` False, for the other policies."""

    enabled: bool
    stages: Stages  # every target's engagement opportunities
    prices: RoundPrices  # each unit's expected opportunities (the raid as planned)
    unit_cost: np.ndarray  # (U,) EUR per engagement
    price: np.ndarray  # (U,) round price last computed (a cache)
    price_left: np.ndarray  # (U,) engagements left then
    price_s: np.ndarray  # (U,) time then
    version: np.ndarray  # (1,) int64, counts changes of the cached round prices
    table: np.ndarray  # (S + N, max shots + 1) each target's cost-to-go J (a cache)
    table_value: np.ndarray  # (N,) value at risk J was computed for
    table_version: np.ndarray  # (N,) int64 ``version`` then (−1: never)


class Night(NamedTuple):
    """Everything fixed for one night."""

    duration_s: float
    time_step_s: float
    windows: EngagementWindows
    arrival_order: np.ndarray  # targets by arrival time
    threats: Threats
    threat_types: tuple  # ThreatTypesView
    units: Units
    effectors: tuple  # EffectorTypesView
    doctrine: tuple  # DoctrineView
    tracks: Tracks
    later: LaterCost
    lookahead: Lookahead
    draw_key: np.uint64  # the run's key for engagement outcomes (leapsim.engine.draws)


class NightState(NamedTuple):
    """What the night changes."""

    alive: np.ndarray  # (N,) launched and neither killed nor arrived
    fate: np.ndarray  # (N,) code of leapsim.engine.codes.FATES
    end_s: np.ndarray  # (N,) kill or arrival time, NaN before
    shots_on: np.ndarray  # (N,) kinetic engagements started on each target
    jams_on: np.ndarray  # (N,) jamming engagements started on each target
    ready: np.ndarray  # (U,) rounds in the magazine
    reserve: np.ndarray  # (U,) rounds on site for reloads
    reload_done_s: np.ndarray  # (U,) end of the reload under way, NaN if none
    site_value_left_eur: np.ndarray  # (M,)


class EngagementLog(NamedTuple):
    """One row per engagement started (its first ``CLOCK.n_log`` rows are used)."""

    unit: np.ndarray
    threat: np.ndarray
    t_start: np.ndarray
    t_end: np.ndarray
    pk: np.ndarray
    cost: np.ndarray
    draw: np.ndarray  # the uniform its outcome is drawn with (kill when draw < pk; draws.py)
    outcome: np.ndarray  # code of leapsim.engine.codes.OUTCOMES, PENDING while in flight


class ReloadLog(NamedTuple):
    """One row per reload started (its first ``CLOCK.n_reloads`` rows are used)."""

    unit: np.ndarray
    t_start: np.ndarray
    t_end: np.ndarray


class Buffers(NamedTuple):
    """The loop's growable arrays; it returns ``GROW`` when one is full."""

    log: EngagementLog
    pending: np.ndarray  # log rows of the engagements in flight (first CLOCK.n_pending)
    open_windows: np.ndarray  # windows open now (first CLOCK.n_open)
    reloads: ReloadLog


CLOCK = np.dtype(
    [
        ("t", np.float64),  # the current (or next) decision epoch, s
        ("next_window", np.int64),  # first window not opened yet
        ("n_open", np.int64),
        ("n_pending", np.int64),
        ("n_log", np.int64),
        ("n_reloads", np.int64),
        ("next_arrival", np.int64),  # position in Night.arrival_order of the next arrival
    ]
)
"""The loop's scalar state: ``clock = np.zeros(1, CLOCK)``; kernels take ``clock[0]``."""


class InFlight(NamedTuple):
    """The engagements in flight at an epoch, summed per fire unit and per target."""

    busy: np.ndarray  # (U,) engagements of each unit
    shots: np.ndarray  # (N,) kinetic engagements on each target
    jammed: np.ndarray  # (N,) a jammer works on it
    survival: np.ndarray  # (N,) probability that it survives the kinetic ones


class Candidates(NamedTuple):
    """Feasible (unit, target) engagements at an epoch, one row each."""

    unit: np.ndarray
    threat: np.ndarray
    pk: np.ndarray
    t_end: np.ndarray
    value: np.ndarray  # EUR at risk from the target (perceived type)
    threat_cost: np.ndarray  # EUR unit cost of its perceived type
    jammer: np.ndarray  # bool: the unit is a jammer


class Jamming(NamedTuple):
    """Engagements the jammers start at an epoch."""

    unit: np.ndarray
    threat: np.ndarray
    t_end: np.ndarray
    pk: np.ndarray


class EpochProblem(NamedTuple):
    """The allocation problem of one decision epoch: ``allocation`` (what a policy sees: unit
    rows × target columns, most urgent first) and what its rows and columns stand for."""

    allocation: AllocationProblem
    units: np.ndarray  # (U',) fire unit of each row
    threats: np.ndarray  # (T',) target of each column
    t_end: np.ndarray  # (U', T') intercept time of each engagement
