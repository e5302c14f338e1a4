"""Compiled steps of a decision epoch, each on a few named structures (:mod:`leapsim.engine.state`):
the engagements in flight, fire-unit capacity, feasible engagements (in tracked sensing only on
targets a confirmed track holds, with Pk scaled by the track error), jamming, and the dense
fire-allocation problem. Model: :mod:`leapsim.engine.night` and :mod:`leapsim.engine.tracked`.

Numba, because the test is a dozen conditions per (unit, threat) pair evaluated thousands of
times a night; numpy's per-call overhead dominated the night when it was written with arrays.
The steps are inlined into :func:`epoch`, and each reads the fields it needs into locals once:
numba reference-counts every array it takes out of a structure, so a field read inside a loop
(or a whole structure passed to a function that is not inlined) costs an atomic increment per
array on every pass.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from leapsim.c2.allocation import AllocationProblem
from leapsim.c2.lookahead import cost_cap, cost_to_go, round_price
from leapsim.c2.threat_evaluation import value_at_risk
from leapsim.engine.epoch import EW, TIME_KEY
from leapsim.engine.kinematics import position
from leapsim.engine.state import Candidates, EpochProblem, InFlight, Jamming


@njit(cache=True, inline="always")
def held_error(held_ptr, held_s, error_m, half_step_s, k, t):
    """Position error of target ``k``'s best confirmed track at the step of time ``t`` (tracked
    sensing; arrays of :class:`~leapsim.engine.state.Tracks`), or −1 when no track holds it."""
    a = held_ptr[k]
    b = held_ptr[k + 1]
    if a == b:
        return -1.0
    i = a + np.searchsorted(held_s[a:b], t + half_step_s, side="right") - 1
    if i < a or held_s[i] <= t - half_step_s:
        return -1.0
    return error_m[i]


@njit(cache=True, inline="always")
def shots_allowed(max_shots, shoot_look_shoot, shots_on, shots_in_flight, k):
    """New kinetic engagements the doctrine still allows on target ``k``."""
    allowed = max_shots - shots_on[k]
    if shoot_look_shoot:
        allowed = 0 if shots_in_flight[k] > 0 else min(allowed, 1)
    return allowed


@njit(cache=True, inline="always")
def in_flight(units, effectors, n_targets, log, pending_rows) -> InFlight:
    """The engagements in flight (log rows ``pending_rows``) summed per unit and target."""
    unit_type, kind = units.type, effectors.kind
    log_unit, log_threat, log_pk = log.unit, log.threat, log.pk
    busy = np.zeros(unit_type.size, np.int64)
    shots = np.zeros(n_targets, np.int64)
    jammed = np.zeros(n_targets, np.bool_)
    survival = np.ones(n_targets)
    for row in pending_rows:
        u = log_unit[row]
        k = log_threat[row]
        busy[u] += 1
        if kind[unit_type[u]] == EW:
            jammed[k] = True
        else:
            shots[k] += 1
            survival[k] *= 1.0 - log_pk[row]
    return InFlight(busy, shots, jammed, survival)


@njit(cache=True, inline="always")
def capacity(units, effectors, state, busy) -> np.ndarray:
    """(U,) engagements each unit can start now: free channels (``busy`` in flight), limited by
    ready rounds; none while reloading."""
    unit_type = units.type
    channels, rounds = effectors.fire_channels, effectors.rounds_per_engagement
    ready, reload_done = state.ready, state.reload_done_s
    out = np.zeros(unit_type.size, np.int64)
    for u in range(unit_type.size):
        e = unit_type[u]
        if np.isnan(reload_done[u]):
            out[u] = max(0, min(channels[e] - busy[u], ready[u] // rounds[e]))
    return out


@njit(cache=True, inline="always")
def intercept(
    points, cumulative, length, altitude, ballistic, launch, speed, k, t, ux, uy,
    min_r, max_r, min_alt, max_alt, t_engage, v_int,
):  # fmt: skip
    """Ground range (m) and intercept time (s) of an engagement started at ``t`` on target ``k``
    (arrays of :class:`~leapsim.engine.kinematics.Paths`) by a unit at ``(ux, uy)`` with the
    given envelope and timing: ``t + T_eng + ρ/(v_int + v_close)`` (slant range ρ, the target's
    closing speed towards the unit). Range −1 when the target is outside the range annulus or
    the altitude band at ``t``."""
    arc = (t - launch[k]) * speed[k]
    x, y, z = position(points, cumulative, length, altitude, ballistic, k, arc)
    dx = x - ux
    dy = y - uy
    r = np.sqrt(dx * dx + dy * dy)
    if r < min_r or r > max_r or z < min_alt or z > max_alt:
        return -1.0, np.inf
    x1, y1, z1 = position(points, cumulative, length, altitude, ballistic, k, arc + speed[k])
    slant = np.sqrt(r * r + z * z)
    dx1 = x1 - ux
    dy1 = y1 - uy
    closing = max(slant - np.sqrt(dx1 * dx1 + dy1 * dy1 + z1 * z1), 0.0)
    return r, t + t_engage + slant / (v_int + closing)


@njit(cache=True, inline="always")
def candidates(t, night, state, open_windows, flight: InFlight, cap) -> Candidates:
    """The feasible (unit, target) engagements among the open windows at ``t``: target known
    (tracked: held by a track), alive, in the doctrine's shot limit (jammers: not jammed yet);
    unit with capacity; target inside the unit's range annulus and altitude band; intercept
    before the target leaves range or arrives; Pk > 0; every cost rule passes."""
    w_unit, w_threat, w_t_out = night.windows.unit, night.windows.threat, night.windows.t_out
    points, cumulative = night.threats.paths.points, night.threats.paths.cumulative_m
    length, altitude = night.threats.paths.length_m, night.threats.paths.altitude_m
    ballistic = night.threats.paths.ballistic
    launch, speed = night.threats.paths.launch_s, night.threats.paths.speed_mps
    detect_s, arrival = night.threats.detect_s, night.threats.arrival_s
    family, ttype, target = night.threats.family, night.threats.type, night.threats.target
    perceived = night.threat_types.perceived
    damage, unit_cost = night.threat_types.damage_fraction, night.threat_types.unit_cost_eur
    unit_type, unit_xy = night.units.type, night.units.xy
    kind, min_r, max_r = (
        night.effectors.kind,
        night.effectors.min_range_m,
        night.effectors.max_range_m,
    )
    min_alt, max_alt = night.effectors.min_altitude_m, night.effectors.max_altitude_m
    t_engage, e_pk = night.effectors.engagement_time_s, night.effectors.pk
    v_int = night.effectors.interceptor_speed_mps
    falloff, basket = night.effectors.pk_range_falloff, night.effectors.acquisition_basket_m
    rounds, cost_per_round = (
        night.effectors.rounds_per_engagement,
        night.effectors.cost_per_round_eur,
    )
    max_shots, sls = night.doctrine.max_shots_per_threat, night.doctrine.shoot_look_shoot
    rule_ratio = night.doctrine.cost_rule_ratio
    rule_threshold = night.doctrine.cost_rule_value_threshold_eur
    tracked, held_ptr, held_s = night.tracks.tracked, night.tracks.held_ptr, night.tracks.held_s
    held_err, half_step = night.tracks.error_m, night.tracks.half_step_s
    alive, shots_on, site_left = state.alive, state.shots_on, state.site_value_left_eur
    jammed, shots_in_flight = flight.jammed, flight.shots
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
        u = w_unit[w]
        k = w_threat[w]
        e = unit_type[u]
        if not alive[k] or detect_s[k] > t or cap[u] <= 0:
            continue
        track_err = 0.0
        if tracked:
            track_err = held_error(held_ptr, held_s, held_err, half_step, k, t)
            if track_err < 0.0:
                continue
        is_ew = kind[e] == EW
        if is_ew:
            if jammed[k]:
                continue
        elif shots_allowed(max_shots, sls, shots_on, shots_in_flight, k) <= 0:
            continue
        r, t_end = intercept(
            points, cumulative, length, altitude, ballistic, launch, speed, k, t,
            unit_xy[u, 0], unit_xy[u, 1], min_r[e], max_r[e], min_alt[e], max_alt[e],
            t_engage[e], v_int[e],
        )  # fmt: skip
        if r < 0.0 or t_end >= arrival[k] or t_end > w_t_out[w]:
            continue
        pk = e_pk[e, family[k]] * (1.0 - falloff[e] * r / max_r[e])
        if tracked:
            pk *= np.exp(-0.5 * (track_err / basket[e]) ** 2)
        if pk <= 0.0:
            continue
        p = perceived[ttype[k]]
        var = value_at_risk(site_left, target[k], damage[p])
        tcost = unit_cost[p]
        cost = rounds[e] * cost_per_round[e]
        passes = True
        for c in range(rule_ratio.size):
            if cost > rule_ratio[c] * tcost and var <= rule_threshold[c]:
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


@njit(cache=True, inline="always")
def jamming(arrival_s, cand: Candidates, jammed, cap) -> Jamming:
    """Jammers take every reachable target no one jams yet (``jammed``), most urgent first
    (``arrival_s``), while they have capacity (updates ``jammed`` and ``cap``)."""
    c_unit, c_threat = cand.unit, cand.threat
    rows = np.flatnonzero(cand.jammer)
    rows = rows[np.argsort(arrival_s[c_threat[rows]], kind="mergesort")]
    chosen = np.empty(rows.size, np.int64)
    n = 0
    for i in rows:
        u = c_unit[i]
        k = c_threat[i]
        if not jammed[k] and cap[u] > 0:
            jammed[k] = True
            cap[u] -= 1
            chosen[n] = i
            n += 1
    chosen = chosen[:n]
    return Jamming(c_unit[chosen], c_threat[chosen], cand.t_end[chosen], cand.pk[chosen])


@njit(cache=True, inline="always")
def allocation_problem(t, night, state, cand: Candidates, flight: InFlight, cap) -> EpochProblem:
    """The dense problem over the kinetic candidates of units with capacity left: unit rows
    (by unit index), target columns by arrival (most urgent first)."""
    unit_type = night.units.type
    arrival = night.threats.arrival_s
    rounds = night.effectors.rounds_per_engagement
    cost_per_round = night.effectors.cost_per_round_eur
    max_shots = night.doctrine.max_shots_per_threat
    sls = night.doctrine.shoot_look_shoot
    keys, later_cpk, group_end = night.later.keys, night.later.cost_per_kill, night.later.group_end
    shots_on = state.shots_on
    shots_in_flight, flight_survival = flight.shots, flight.survival
    c_unit, c_threat, c_jammer = cand.unit, cand.threat, cand.jammer
    c_pk, c_end, c_value, c_cost = cand.pk, cand.t_end, cand.value, cand.threat_cost
    unit_row = -np.ones(unit_type.size, np.int64)
    threat_col = -np.ones(arrival.size, np.int64)
    units = np.empty(c_unit.size, np.int64)
    threats = np.empty(c_unit.size, np.int64)
    nu = 0
    nt = 0
    for i in range(c_unit.size):
        u = c_unit[i]
        k = c_threat[i]
        if c_jammer[i] or cap[u] <= 0:
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
    for i in range(c_unit.size):
        if c_jammer[i] or cap[c_unit[i]] <= 0:
            continue
        r = unit_row[c_unit[i]]
        c = threat_col[c_threat[i]]
        pk[r, c] = c_pk[i]
        feasible[r, c] = True
        t_end[r, c] = c_end[i]
        value[c] = c_value[i]
        threat_cost[c] = c_cost[i]
    engagement_cost = np.empty(nu)
    unit_capacity = np.empty(nu, np.int64)
    for j in range(nu):
        e = unit_type[units[j]]
        engagement_cost[j] = rounds[e] * cost_per_round[e]
        unit_capacity[j] = cap[units[j]]
    max_new = np.empty(nt, np.int64)
    later_cost = np.full(nt, np.inf)
    survival = np.empty(nt)
    for j in range(nt):
        k = threats[j]
        max_new[j] = shots_allowed(max_shots, sls, shots_on, shots_in_flight, k)
        survival[j] = flight_survival[k]
        idx = np.searchsorted(keys, k * TIME_KEY + t, side="right")
        if idx < group_end[k]:
            later_cost[j] = later_cpk[idx]
    if night.lookahead.enabled:
        hold, miss, price = lookahead_costs(t, night, state, units, threats, value, threat_cost,
                                            t_end, feasible)  # fmt: skip
    else:
        hold, miss, price = np.empty(0), np.empty((0, 0)), np.empty(0)
    allocation = AllocationProblem(
        pk, feasible, engagement_cost, unit_capacity, value, threat_cost, survival, max_new,
        later_cost, hold, miss, price,
    )  # fmt: skip
    return EpochProblem(allocation, units, threats, t_end)


@njit(cache=True, inline="always")
def lookahead_costs(t, night, state, units, threats, value, threat_cost, t_end, feasible):
    """The ``lookahead`` fields of the epoch's problem (:mod:`leapsim.c2.lookahead`): each
    column's cost-to-go if it is not engaged now (its stages after ``t``, its shots left), after
    a miss of each feasible engagement (its stages from the intercept on, one shot fewer), and
    each row's round price. Round prices are recomputed when a unit's engagements left change
    or :data:`PRICE_REFRESH_S` has passed.

    A target's ``J`` over all its stages is kept between epochs (``J[i:]`` does not depend on
    the stages before ``i``) and recomputed only when its value at risk or some round price
    has changed since (``Lookahead.version``)."""
    la = night.lookahead
    stages, prices = la.stages, la.prices
    cached, cached_left, cached_s = la.price, la.price_left, la.price_s
    table, table_value, table_version = la.table, la.table_value, la.table_version
    version = la.version
    unit_type = night.units.type
    rounds = night.effectors.rounds_per_engagement
    max_shots = night.doctrine.max_shots_per_threat
    availability = night.doctrine.lookahead_availability
    rule_ratio = night.doctrine.cost_rule_ratio
    rule_threshold = night.doctrine.cost_rule_value_threshold_eur
    ready, reserve, shots_on = state.ready, state.reserve, state.shots_on
    n_all = unit_type.size
    left = np.empty(n_all, np.int64)
    for u in range(n_all):
        left[u] = (ready[u] + reserve[u]) // rounds[unit_type[u]]
        if left[u] != cached_left[u] or t >= cached_s[u] + PRICE_REFRESH_S:
            new_price = round_price(prices, u, t, left[u])
            if new_price != cached[u]:
                cached[u] = new_price
                version[0] += 1
            cached_left[u] = left[u]
            cached_s[u] = t
    nu, nt = units.size, threats.size
    hold = np.empty(nt)
    miss = np.full((nu, nt), np.inf)
    price = np.empty(nu)
    for r in range(nu):
        price[r] = cached[units[r]]
    time_s, ptr = stages.time_s, stages.ptr
    for j in range(nt):
        k = threats[j]
        shots = max(max_shots - shots_on[k], 0)
        first, b = ptr[k], ptr[k + 1]
        row0 = first + k  # threat k's rows of the table: its stages, then "none left"
        if table_version[k] != version[0] or table_value[k] != value[j]:
            max_cost = cost_cap(value[j], threat_cost[j], rule_ratio, rule_threshold)
            J = cost_to_go(stages, first, b, max_shots, value[j], max_cost, la.unit_cost, cached,
                           left, availability)  # fmt: skip
            table[row0 : row0 + b - first + 1, :] = J
            table_version[k] = version[0]
            table_value[k] = value[j]
        a = first + np.searchsorted(time_s[first:b], t, side="right")
        hold[j] = table[row0 + a - first, shots]
        if shots == 0:
            continue
        for r in range(nu):
            if feasible[r, j]:
                i = a + np.searchsorted(time_s[a:b], t_end[r, j])
                miss[r, j] = table[row0 + i - first, shots - 1]
    return hold, miss, price


PRICE_REFRESH_S = 60.0
"""Most seconds a fire unit's round price is kept before it is recomputed (its opportunities
pass with time)."""


@njit(cache=True, inline="always")
def epoch(t, night, state, log, pending_rows, open_windows) -> tuple[Jamming, EpochProblem]:
    """What starts at decision epoch ``t``: the jammers' engagements, and the allocation problem
    the policy solves for the other fire units."""
    flight = in_flight(night.units, night.effectors, state.alive.size, log, pending_rows)
    cap = capacity(night.units, night.effectors, state, flight.busy)
    cand = candidates(t, night, state, open_windows, flight, cap)
    jam = jamming(night.threats.arrival_s, cand, flight.jammed, cap)
    return jam, allocation_problem(t, night, state, cand, flight, cap)
