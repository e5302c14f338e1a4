"""The night's time loop, compiled (numba): resolve, leak, reload, open windows, decide, start.

The loop is resumable: :func:`advance` runs epochs until the night ends (``DONE``), until a
policy that is not compiled must decide (``DECIDE``: the epoch's problem is handed back and the
next call applies the answer), or until the engagement log or the stream of uniforms needs more
room (``GROW``: the epoch is re-run after the caller enlarges them; every step before the starts is
idempotent). All state lives in the arrays passed in. The model is described in
:mod:`leapsim.engine.night`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from leapsim.c2.policies import HOLD_FOR_CHEAPER, greedy_allocation
from leapsim.engine.epoch_kernel import epoch_problem

DONE, DECIDE, GROW = 0, 1, 2
# integer state slots
NEXT_PAIR, N_OPEN, N_PENDING, N_LOG, N_RELOAD, CURSOR, LEAK_PTR, PHASE = range(8)
STEP, APPLY, FINISHED = 0, 1, 2
# fates and outcomes (same codes as leapsim.engine.night)
KILLED, LEAKED = 1, 2
MISS, KILL, OVERTAKEN, UNRESOLVED, PENDING = 0, 1, 2, 3, -1
COST_AWARE, MAX_PK, EXTERNAL = 0, 1, 2


@njit(cache=True)
def epoch_problem_empty():
    """An empty epoch problem, typed like :func:`epoch_problem`'s result."""
    i1 = np.empty(0, np.int64)
    f1 = np.empty(0)
    f2 = np.empty((0, 0))
    return (i1, i1, f1, f1, i1, i1, f2, np.empty((0, 0), np.bool_), f2, f1, i1, f1, f1, f1, i1, f1)


@njit(cache=True)
def _resolve(t, si, pending, log, alive, fate, end_s, arrival_order, arrival, target, ttype,
             damage, site_left, false_from):  # fmt: skip
    """Resolve engagements due by ``t`` and leak the threats that arrived; targets from index
    ``false_from`` on are false tracks: never killed, and on arrival (track deletion) they just
    end."""
    _, log_threat, _, log_t_end, log_pk, _, log_draw, log_outcome = log
    n_pending = si[N_PENDING]
    due = np.empty(n_pending, np.int64)
    nd = 0
    for i in range(n_pending):
        if log_t_end[pending[i]] <= t:
            due[nd] = pending[i]
            nd += 1
    if nd:
        due = due[:nd]
        due = due[np.argsort(log_t_end[due], kind="mergesort")]
        for row in due:
            k = log_threat[row]
            if not alive[k]:
                log_outcome[row] = OVERTAKEN
            elif k < false_from and log_draw[row] < log_pk[row]:
                log_outcome[row] = KILL
                alive[k] = False
                fate[k] = KILLED
                end_s[k] = log_t_end[row]
            else:
                log_outcome[row] = MISS
        kept = 0
        for i in range(n_pending):
            if log_t_end[pending[i]] > t:
                pending[kept] = pending[i]
                kept += 1
        si[N_PENDING] = kept
    while si[LEAK_PTR] < arrival_order.size and arrival[arrival_order[si[LEAK_PTR]]] <= t:
        k = arrival_order[si[LEAK_PTR]]
        si[LEAK_PTR] += 1
        if alive[k]:
            alive[k] = False
            end_s[k] = arrival[k]
            if k < false_from:
                fate[k] = LEAKED
                site_left[target[k]] *= 1.0 - damage[ttype[k]]


@njit(cache=True)
def _busy(si, pending, log_unit, n_units):
    busy = np.zeros(n_units, np.int64)
    for i in range(si[N_PENDING]):
        busy[log_unit[pending[i]]] += 1
    return busy


@njit(cache=True)
def _start(t, u, k, t_end, pk, si, pending, log, uniforms, ready, shots_on, unit_type, eff):
    log_unit, log_threat, log_t_start, log_t_end, log_pk, log_cost, log_draw, log_outcome = log
    e_kind, e_rounds, e_cost, ew_kind = eff
    row = si[N_LOG]
    e = unit_type[u]
    log_unit[row] = u
    log_threat[row] = k
    log_t_start[row] = t
    log_t_end[row] = t_end
    log_pk[row] = pk
    log_cost[row] = e_cost[e]
    log_draw[row] = uniforms[si[CURSOR]]
    log_outcome[row] = PENDING
    si[CURSOR] += 1
    si[N_LOG] += 1
    pending[si[N_PENDING]] = row
    si[N_PENDING] += 1
    ready[u] -= e_rounds[e]
    if e_kind[e] != ew_kind:
        shots_on[k] += 1


@njit(cache=True)
def advance(
    sf, si, policy_code, duration, dt, time_key,
    state, log, pending, open_pairs, reload_log, uniforms, arrival_order,
    windows, geo, threat, tracks, eff, units, doctrine, later, decision,
):  # fmt: skip
    """Run epochs from ``sf[0]``; return ``(status, problem)`` (see the module docstring)."""
    alive, fate, end_s, shots_on, ready, reserve, reload_done, site_left = state
    w_unit, w_threat, w_tin, w_tout = windows
    points, cumulative, length, speed, launch, altitude, ballistic, arrival = geo
    family, ttype, target, detect_s, perceived, damage_perceived, unit_cost, damage = threat
    tracked, held_ptr, held_s, held_err, half_step, false_from = tracks
    (e_kind, e_channels, e_rounds, e_min_r, e_max_r, e_min_alt, e_max_alt, e_time, e_speed, e_pk,
     e_falloff, e_cost, e_magazine, e_reload, e_basket, ew_kind) = eff  # fmt: skip
    unit_xy, unit_type = units
    max_shots, shoot_look_shoot, rule_ratio, rule_threshold = doctrine
    later_keys, later_cost, group_end = later
    dec_u, dec_k, dec_units, dec_threats, dec_t_end, dec_pk = decision
    log_unit, log_threat, _, log_t_end, log_pk, _, _, log_outcome = log
    start_eff = (e_kind, e_rounds, e_cost, ew_kind)
    n_units = unit_type.size
    empty_problem = epoch_problem_empty()

    while si[PHASE] != FINISHED:
        t = sf[0]
        if si[PHASE] == STEP:
            if t > duration:
                break
            _resolve(t, si, pending, log, alive, fate, end_s, arrival_order, arrival, target,
                     ttype, damage, site_left, false_from)  # fmt: skip
            # reloads: start when the magazine cannot feed an engagement; refill when done
            for u in range(n_units):
                e = unit_type[u]
                if np.isnan(reload_done[u]) and ready[u] < e_rounds[e] and reserve[u] > 0:
                    if si[N_RELOAD] >= reload_log.shape[0]:
                        return GROW, empty_problem
                    reload_done[u] = t + e_reload[e]
                    reload_log[si[N_RELOAD], 0] = u
                    reload_log[si[N_RELOAD], 1] = t
                    reload_log[si[N_RELOAD], 2] = reload_done[u]
                    si[N_RELOAD] += 1
                if not np.isnan(reload_done[u]) and reload_done[u] <= t:
                    moved = max(0, min(e_magazine[e] - ready[u], reserve[u]))
                    ready[u] += moved
                    reserve[u] -= moved
                    reload_done[u] = np.nan
            # windows that opened; drop closed ones, dead threats and units out of rounds for good
            while si[NEXT_PAIR] < w_tin.size and w_tin[si[NEXT_PAIR]] <= t:
                open_pairs[si[N_OPEN]] = si[NEXT_PAIR]
                si[N_OPEN] += 1
                si[NEXT_PAIR] += 1
            kept = 0
            for i in range(si[N_OPEN]):
                w = open_pairs[i]
                u = w_unit[w]
                e = unit_type[u]
                spent = ready[u] < e_rounds[e] and reserve[u] == 0 and np.isnan(reload_done[u])
                if w_tout[w] >= t and alive[w_threat[w]] and not spent:
                    open_pairs[kept] = w
                    kept += 1
            si[N_OPEN] = kept
            if si[N_OPEN]:
                n_p = si[N_PENDING]
                p_rows = pending[:n_p]
                problem = epoch_problem(
                    t, open_pairs[: si[N_OPEN]], w_unit, w_threat, w_tout,
                    log_unit[p_rows], log_threat[p_rows], log_pk[p_rows],
                    ready, ~np.isnan(reload_done), detect_s, alive, shots_on, max_shots,
                    shoot_look_shoot, tracked, held_ptr, held_s, held_err, half_step,
                    unit_xy, unit_type,
                    e_kind, e_channels, e_rounds, e_min_r, e_max_r, e_min_alt, e_max_alt, e_time,
                    e_speed, e_pk, e_falloff, e_cost, e_basket,
                    points, cumulative, length, speed, launch, altitude, ballistic, arrival,
                    family, ttype, target, perceived, damage_perceived, unit_cost, site_left,
                    rule_ratio, rule_threshold, ew_kind, later_keys, later_cost, group_end,
                    time_key,
                )  # fmt: skip
                (jam_u, jam_k, jam_end, jam_pk, p_units, p_threats, pk, feasible, t_end_m, cost,
                 capacity, value, _, survival, max_new, later_cpk) = problem  # fmt: skip
                room = jam_u.size + capacity.sum()
                if si[N_LOG] + room > log_unit.size or si[CURSOR] + room > uniforms.size:
                    return GROW, empty_problem
                if si[N_PENDING] + room > pending.size:
                    return GROW, empty_problem
                for i in range(jam_u.size):
                    _start(t, jam_u[i], jam_k[i], jam_end[i], jam_pk[i], si, pending, log,
                           uniforms, ready, shots_on, unit_type, start_eff)  # fmt: skip
                if p_units.size:
                    if policy_code == EXTERNAL:
                        si[PHASE] = APPLY
                        return DECIDE, problem
                    cu, ck = greedy_allocation(
                        pk, feasible, cost, capacity, value, survival, max_new, later_cpk,
                        policy_code == COST_AWARE, HOLD_FOR_CHEAPER,
                    )  # fmt: skip
                    order = np.argsort(cu * p_threats.size + ck)
                    for i in order:
                        _start(t, p_units[cu[i]], p_threats[ck[i]], t_end_m[cu[i], ck[i]],
                               pk[cu[i], ck[i]], si, pending, log, uniforms, ready, shots_on,
                               unit_type, start_eff)  # fmt: skip
        else:  # APPLY: the caller's policy answered for the epoch at t
            for i in range(dec_u.size):
                _start(t, dec_units[dec_u[i]], dec_threats[dec_k[i]],
                       dec_t_end[dec_u[i], dec_k[i]], dec_pk[dec_u[i], dec_k[i]], si, pending,
                       log, uniforms, ready, shots_on, unit_type, start_eff)  # fmt: skip
            si[PHASE] = STEP
        # next epoch: the next grid time, or a jump when nothing can start before an event
        # (no open window, or every unit that has one is busy, empty or reloading)
        saturated = False
        if si[N_OPEN]:
            busy = _busy(si, pending, log_unit, n_units)
            saturated = True
            for i in range(si[N_OPEN]):
                u = w_unit[open_pairs[i]]
                e = unit_type[u]
                if busy[u] < e_channels[e] and ready[u] >= e_rounds[e] and np.isnan(reload_done[u]):
                    saturated = False
                    break
        t_next = t + dt
        if si[N_OPEN] == 0 or saturated:
            event = np.inf
            for i in range(si[N_PENDING]):
                event = min(event, log_t_end[pending[i]])
            if si[NEXT_PAIR] < w_tin.size:
                event = min(event, w_tin[si[NEXT_PAIR]])
            if saturated:
                for u in range(n_units):
                    if not np.isnan(reload_done[u]):
                        event = min(event, reload_done[u])
            if event == np.inf:
                break
            t_next = max(t_next, np.ceil(event / dt) * dt)
        sf[0] = t_next

    _resolve(duration, si, pending, log, alive, fate, end_s, arrival_order, arrival, target,
             ttype, damage, site_left, false_from)  # fmt: skip
    for i in range(si[N_PENDING]):
        log_outcome[pending[i]] = UNRESOLVED
    si[N_PENDING] = 0
    si[PHASE] = FINISHED
    return DONE, empty_problem
