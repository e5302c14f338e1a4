"""Compiled steps of a decision epoch, each on a few named structures (:mod:`leapsim.engine.state`):
the engagements in flight, fire-unit capacity, feasible engagements (in tracked sensing only on
targets a confirmed track holds, with Pk scaled by the track error), jamming, and the dense
fire-allocation problem. Model: :mod:`leapsim.engine.night` and :mod:`leapsim.engine.tracked`.

Numba, because the test is a dozen conditions per (unit, threat) pair evaluated thousands of
times a night; numpy's per-call overhead dominated the night when it was written with arrays.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from leapsim.c2.allocation import AllocationProblem
from leapsim.c2.threat_evaluation import value_at_risk
from leapsim.engine.epoch import EW, TIME_KEY
from leapsim.engine.kinematics import position
from leapsim.engine.state import Candidates, EpochProblem, InFlight, Jamming


@njit(cache=True)
def held_error(tracks, k, t):
    """Position error of target ``k``'s best confirmed track at the step of time ``t`` (tracked
    sensing), or −1 when no track holds it."""
    a = tracks.held_ptr[k]
    b = tracks.held_ptr[k + 1]
    if a == b:
        return -1.0
    half = tracks.half_step_s
    held_s = tracks.held_s
    i = a + np.searchsorted(held_s[a:b], t + half, side="right") - 1
    if i < a or held_s[i] <= t - half:
        return -1.0
    return tracks.error_m[i]


@njit(cache=True)
def in_flight(night, state, log, pending_rows) -> InFlight:
    """The engagements in flight (log rows ``pending_rows``) summed per unit and target."""
    n_targets = state.alive.size
    busy = np.zeros(night.units.type.size, np.int64)
    shots = np.zeros(n_targets, np.int64)
    jammed = np.zeros(n_targets, np.bool_)
    survival = np.ones(n_targets)
    kind = night.effectors.kind
    for row in pending_rows:
        u = log.unit[row]
        k = log.threat[row]
        busy[u] += 1
        if kind[night.units.type[u]] == EW:
            jammed[k] = True
        else:
            shots[k] += 1
            survival[k] *= 1.0 - log.pk[row]
    return InFlight(busy, shots, jammed, survival)


@njit(cache=True)
def capacity(night, state, flight: InFlight) -> np.ndarray:
    """(U,) engagements each unit can start now: free channels, limited by ready rounds; none
    while reloading."""
    eff = night.effectors
    unit_type = night.units.type
    out = np.zeros(unit_type.size, np.int64)
    for u in range(unit_type.size):
        e = unit_type[u]
        if np.isnan(state.reload_done_s[u]):
            out[u] = max(
                0,
                min(
                    eff.fire_channels[e] - flight.busy[u],
                    state.ready[u] // eff.rounds_per_engagement[e],
                ),
            )
    return out


@njit(cache=True)
def shots_allowed(doctrine, state, flight: InFlight, k: int) -> int:
    """New kinetic engagements the doctrine still allows on target ``k``."""
    allowed = doctrine.max_shots_per_threat - state.shots_on[k]
    if doctrine.shoot_look_shoot:
        allowed = 0 if flight.shots[k] > 0 else min(allowed, 1)
    return allowed


@njit(cache=True)
def candidates(t, night, state, open_windows, flight: InFlight, cap) -> Candidates:
    """The feasible (unit, target) engagements among the open windows at ``t``: target known
    (tracked: held by a track), alive, in the doctrine's shot limit (jammers: not jammed yet);
    unit with capacity; target inside the unit's range annulus and altitude band; intercept
    before the target leaves range or arrives; Pk > 0; every cost rule passes."""
    windows, threats, paths = night.windows, night.threats, night.threats.paths
    tt, eff, doctrine, tracks = night.threat_types, night.effectors, night.doctrine, night.tracks
    unit_xy = night.units.xy
    n_open = open_windows.size
    c_u = np.empty(n_open, np.int64)
    c_k = np.empty(n_open, np.int64)
    c_pk = np.empty(n_open)
    c_end = np.empty(n_open)
    c_var = np.empty(n_open)
    c_tcost = np.empty(n_open)
    c_ew = np.empty(n_open, np.bool_)
    nc = 0
    for w in open_windows:
        u = windows.unit[w]
        k = windows.threat[w]
        e = night.units.type[u]
        if not state.alive[k] or threats.detect_s[k] > t or cap[u] <= 0:
            continue
        track_err = 0.0
        if tracks.tracked:
            track_err = held_error(tracks, k, t)
            if track_err < 0.0:
                continue
        is_ew = eff.kind[e] == EW
        if is_ew:
            if flight.jammed[k]:
                continue
        elif shots_allowed(doctrine, state, flight, k) <= 0:
            continue
        arc = (t - paths.launch_s[k]) * paths.speed_mps[k]
        x, y, z = position(paths, k, arc)
        dx = x - unit_xy[u, 0]
        dy = y - unit_xy[u, 1]
        r = np.sqrt(dx * dx + dy * dy)
        if (
            r < eff.min_range_m[e]
            or r > eff.max_range_m[e]
            or z < eff.min_altitude_m[e]
            or z > eff.max_altitude_m[e]
        ):
            continue
        x1, y1, z1 = position(paths, k, arc + paths.speed_mps[k])
        slant = np.sqrt(r * r + z * z)
        dx1 = x1 - unit_xy[u, 0]
        dy1 = y1 - unit_xy[u, 1]
        closing = max(slant - np.sqrt(dx1 * dx1 + dy1 * dy1 + z1 * z1), 0.0)
        t_end = t + eff.engagement_time_s[e] + slant / (eff.interceptor_speed_mps[e] + closing)
        if t_end >= threats.arrival_s[k] or t_end > windows.t_out[w]:
            continue
        pk = eff.pk[e, threats.family[k]] * (1.0 - eff.pk_range_falloff[e] * r / eff.max_range_m[e])
        if tracks.tracked:
            pk *= np.exp(-0.5 * (track_err / eff.acquisition_basket_m[e]) ** 2)
        if pk <= 0.0:
            continue
        p = tt.perceived[threats.type[k]]
        var = value_at_risk(state.site_value_left_eur, threats.target[k], tt.damage_fraction[p])
        tcost = tt.unit_cost_eur[p]
        cost = eff.rounds_per_engagement[e] * eff.cost_per_round_eur[e]
        passes = True
        for c in range(doctrine.cost_rule_ratio.size):
            if (
                cost > doctrine.cost_rule_ratio[c] * tcost
                and var <= doctrine.cost_rule_value_threshold_eur[c]
            ):
                passes = False
        if not passes:
            continue
        c_u[nc] = u
        c_k[nc] = k
        c_pk[nc] = pk
        c_end[nc] = t_end
        c_var[nc] = var
        c_tcost[nc] = tcost
        c_ew[nc] = is_ew
        nc += 1
    return Candidates(
        c_u[:nc], c_k[:nc], c_pk[:nc], c_end[:nc], c_var[:nc], c_tcost[:nc], c_ew[:nc]
    )


@njit(cache=True)
def jamming(night, cand: Candidates, flight: InFlight, cap) -> Jamming:
    """Jammers take every reachable target no one jams yet, most urgent first, while they have
    capacity (updates ``flight.jammed`` and ``cap``)."""
    rows = np.flatnonzero(cand.jammer)
    rows = rows[np.argsort(night.threats.arrival_s[cand.threat[rows]], kind="mergesort")]
    chosen = np.empty(rows.size, np.int64)
    n = 0
    for i in rows:
        u = cand.unit[i]
        k = cand.threat[i]
        if not flight.jammed[k] and cap[u] > 0:
            flight.jammed[k] = True
            cap[u] -= 1
            chosen[n] = i
            n += 1
    chosen = chosen[:n]
    return Jamming(cand.unit[chosen], cand.threat[chosen], cand.t_end[chosen], cand.pk[chosen])


@njit(cache=True)
def allocation_problem(t, night, state, cand: Candidates, flight: InFlight, cap) -> EpochProblem:
    """The dense problem over the kinetic candidates of units with capacity left: unit rows
    (by unit index), target columns by arrival (most urgent first)."""
    n_units = night.units.type.size
    arrival = night.threats.arrival_s
    unit_row = -np.ones(n_units, np.int64)
    threat_col = -np.ones(state.alive.size, np.int64)
    units = np.empty(cand.unit.size, np.int64)
    threats = np.empty(cand.unit.size, np.int64)
    nu = 0
    nt = 0
    for i in range(cand.unit.size):
        u = cand.unit[i]
        k = cand.threat[i]
        if cand.jammer[i] or cap[u] <= 0:
            continue
        if unit_row[u] < 0:
            unit_row[u] = nu
            units[nu] = u
            nu += 1
        if threat_col[k] < 0:
            threat_col[k] = nt
            threats[nt] = k
            nt += 1
    units = np.sort(units[:nu])
    for j in range(nu):
        unit_row[units[j]] = j
    threats = threats[:nt]
    threats = threats[np.argsort(arrival[threats], kind="mergesort")]
    for j in range(nt):
        threat_col[threats[j]] = j
    pk = np.zeros((nu, nt))
    feasible = np.zeros((nu, nt), np.bool_)
    t_end = np.full((nu, nt), np.inf)
    value = np.zeros(nt)
    threat_cost = np.zeros(nt)
    for i in range(cand.unit.size):
        if cand.jammer[i] or cap[cand.unit[i]] <= 0:
            continue
        r = unit_row[cand.unit[i]]
        c = threat_col[cand.threat[i]]
        pk[r, c] = cand.pk[i]
        feasible[r, c] = True
        t_end[r, c] = cand.t_end[i]
        value[c] = cand.value[i]
        threat_cost[c] = cand.threat_cost[i]
    eff = night.effectors
    engagement_cost = np.empty(nu)
    unit_capacity = np.empty(nu, np.int64)
    for j in range(nu):
        e = night.units.type[units[j]]
        engagement_cost[j] = eff.rounds_per_engagement[e] * eff.cost_per_round_eur[e]
        unit_capacity[j] = cap[units[j]]
    later = night.later
    max_new = np.empty(nt, np.int64)
    later_cost = np.full(nt, np.inf)
    survival = np.empty(nt)
    for j in range(nt):
        k = threats[j]
        max_new[j] = shots_allowed(night.doctrine, state, flight, k)
        survival[j] = flight.survival[k]
        idx = np.searchsorted(later.keys, k * TIME_KEY + t, side="right")
        if idx < later.group_end[k]:
            later_cost[j] = later.cost_per_kill[idx]
    allocation = AllocationProblem(
        pk, feasible, engagement_cost, unit_capacity, value, threat_cost, survival, max_new,
        later_cost,
    )  # fmt: skip
    return EpochProblem(allocation, units, threats, t_end)


@njit(cache=True)
def epoch(t, night, state, log, pending_rows, open_windows) -> tuple[Jamming, EpochProblem]:
    """What starts at decision epoch ``t``: the jammers' engagements, and the allocation problem
    the policy solves for the other fire units."""
    flight = in_flight(night, state, log, pending_rows)
    cap = capacity(night, state, flight)
    cand = candidates(t, night, state, open_windows, flight, cap)
    jam = jamming(night, cand, flight, cap)
    return jam, allocation_problem(t, night, state, cand, flight, cap)
