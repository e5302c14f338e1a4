"""The night's time loop, compiled (numba): resolve, leak, reload, open windows, decide, start.

All state lives in named structures (:mod:`leapsim.engine.state`): :class:`~.state.Night`
(fixed), :class:`~.state.NightState` and :class:`~.state.Buffers` (changed in place) and the
scalar ``clock`` record. The loop is resumable: :func:`advance` runs epochs from ``clock.t`` until

* ``DONE``: the night is over;
* ``DECIDE``: the policy is not compiled (``PolicyConfig.code == EXTERNAL``) and must choose at
  this epoch: the :class:`~.state.EpochProblem` is handed back, the caller answers with
  :func:`apply_decision` and calls :func:`advance` again;
* ``GROW``: the engagement log or the reload log needs more room: the caller enlarges them and
  calls again; every step of an epoch before its starts is idempotent, so
  the epoch is simply re-run.

A compiled policy (:func:`leapsim.c2.policies.allocate`) decides inside the loop. The model is
described in :mod:`leapsim.engine.night`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from leapsim.c2.allocation import AllocationProblem
from leapsim.c2.policies import EXTERNAL, allocate
from leapsim.engine.codes import KILL, KILLED, LEAKED, MISS, OVERTAKEN, PENDING, UNRESOLVED
from leapsim.engine.draws import JAMMING, KINETIC, engagement_uniform
from leapsim.engine.epoch import EW
from leapsim.engine.epoch_kernel import epoch
from leapsim.engine.state import EpochProblem

DONE, DECIDE, GROW = 0, 1, 2


@njit(cache=True)
def no_problem() -> EpochProblem:
    """The empty epoch problem (what :func:`advance` returns with ``DONE`` and ``GROW``)."""
    i1 = np.empty(0, np.int64)
    f1 = np.empty(0)
    f2 = np.empty((0, 0))
    allocation = AllocationProblem(
        pk=f2,
        feasible=np.empty((0, 0), np.bool_),
        engagement_cost=f1,
        capacity=i1,
        threat_value=f1,
        threat_cost=f1,
        survival_in_flight=f1,
        max_new_shots=i1,
        later_cost_per_kill=f1,
        hold_cost=f1,
        miss_cost=f2,
        round_price=f1,
    )
    return EpochProblem(allocation=allocation, units=i1, threats=i1, t_end=f2)


@njit(cache=True, inline="always")
def resolve(t, night, state, buffers, c) -> None:
    """Resolve the engagements due by ``t`` (in order of their end) and leak the targets that
    arrived; false tracks (from ``n_real`` on) are never killed, and on arrival (track deletion)
    they just end."""
    log_threat, log_t_end, log_pk = buffers.log.threat, buffers.log.t_end, buffers.log.pk
    log_draw, log_outcome = buffers.log.draw, buffers.log.outcome
    pending = buffers.pending
    alive, fate, end_s = state.alive, state.fate, state.end_s
    n_real = night.threats.n_real
    n_pending = c.n_pending
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
            elif k < n_real and log_draw[row] < log_pk[row]:
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
        c.n_pending = kept
    order = night.arrival_order
    arrival, target, ttype = night.threats.arrival_s, night.threats.target, night.threats.type
    damage = night.threat_types.damage_fraction
    site_left = state.site_value_left_eur
    while c.next_arrival < order.size and arrival[order[c.next_arrival]] <= t:
        k = order[c.next_arrival]
        c.next_arrival += 1
        if alive[k]:
            alive[k] = False
            end_s[k] = arrival[k]
            if k < n_real:
                fate[k] = LEAKED
                site_left[target[k]] *= 1.0 - damage[ttype[k]]


@njit(cache=True, inline="always")
def reload(t, night, state, buffers, c) -> bool:
    """Start a reload where the magazine cannot feed an engagement and rounds are in reserve;
    refill the magazines whose reload is done. False when the reload log is full."""
    rounds, reload_time = night.effectors.rounds_per_engagement, night.effectors.reload_time_s
    magazine = night.effectors.magazine
    unit_type = night.units.type
    ready, reserve, done = state.ready, state.reserve, state.reload_done_s
    log_unit, log_start, log_end = (
        buffers.reloads.unit,
        buffers.reloads.t_start,
        buffers.reloads.t_end,
    )
    for u in range(unit_type.size):
        e = unit_type[u]
        if np.isnan(done[u]) and ready[u] < rounds[e] and reserve[u] > 0:
            if c.n_reloads >= log_unit.size:
                return False
            done[u] = t + reload_time[e]
            log_unit[c.n_reloads] = u
            log_start[c.n_reloads] = t
            log_end[c.n_reloads] = done[u]
            c.n_reloads += 1
        if not np.isnan(done[u]) and done[u] <= t:
            moved = max(0, min(magazine[e] - ready[u], reserve[u]))
            ready[u] += moved
            reserve[u] -= moved
            done[u] = np.nan
    return True


@njit(cache=True, inline="always")
def update_open_windows(t, night, state, buffers, c) -> None:
    """Open the windows whose time has come; drop closed ones, those of dead targets and those of
    units out of rounds for good."""
    w_unit, w_threat = night.windows.unit, night.windows.threat
    w_t_in, w_t_out = night.windows.t_in, night.windows.t_out
    unit_type, rounds = night.units.type, night.effectors.rounds_per_engagement
    alive, ready, reserve, done = state.alive, state.ready, state.reserve, state.reload_done_s
    open_windows = buffers.open_windows
    while c.next_window < w_t_in.size and w_t_in[c.next_window] <= t:
        open_windows[c.n_open] = c.next_window
        c.n_open += 1
        c.next_window += 1
    kept = 0
    for i in range(c.n_open):
        w = open_windows[i]
        u = w_unit[w]
        spent = ready[u] < rounds[unit_type[u]] and reserve[u] == 0 and np.isnan(done[u])
        if w_t_out[w] >= t and alive[w_threat[w]] and not spent:
            open_windows[kept] = w
            kept += 1
    c.n_open = kept


@njit(cache=True, inline="always")
def start(t, u, k, t_end, pk, night, state, buffers, c) -> None:
    """Start an engagement of unit ``u`` on target ``k``: log it with its uniform (the next of its
    lane on ``k``, :func:`leapsim.engine.draws.engagement_uniform`), spend its rounds, count it
    against the doctrine's shots (jamming: against the target's jams)."""
    e = night.units.type[u]
    rounds = night.effectors.rounds_per_engagement[e]
    row = c.n_log
    buffers.log.unit[row] = u
    buffers.log.threat[row] = k
    buffers.log.t_start[row] = t
    buffers.log.t_end[row] = t_end
    buffers.log.pk[row] = pk
    buffers.log.cost[row] = rounds * night.effectors.cost_per_round_eur[e]
    if night.effectors.kind[e] == EW:
        draw = engagement_uniform(night.draw_key, k, JAMMING, state.jams_on[k])
        state.jams_on[k] += 1
    else:
        draw = engagement_uniform(night.draw_key, k, KINETIC, state.shots_on[k])
        state.shots_on[k] += 1
    buffers.log.draw[row] = draw
    buffers.log.outcome[row] = PENDING
    c.n_log += 1
    buffers.pending[c.n_pending] = row
    c.n_pending += 1
    state.ready[u] -= rounds


@njit(cache=True, inline="always")
def start_allocation(t, problem, rows, cols, night, state, buffers, c) -> None:
    """Start the engagements a policy chose (problem rows and columns), in (row, column) order."""
    units, threats, t_end, pk = problem.units, problem.threats, problem.t_end, problem.allocation.pk
    order = np.argsort(rows * threats.size + cols)
    for i in order:
        r = rows[i]
        col = cols[i]
        start(t, units[r], threats[col], t_end[r, col], pk[r, col], night, state, buffers, c)


@njit(cache=True, inline="always")
def next_epoch(t, night, state, buffers, c) -> float:
    """The next decision epoch: the next grid time, or a jump to the first grid time after the
    next event when nothing can start before it (no open window, or every unit that has one is
    busy, empty or reloading); inf when nothing is left to happen."""
    dt = night.time_step_s
    channels, rounds = night.effectors.fire_channels, night.effectors.rounds_per_engagement
    unit_type = night.units.type
    w_unit, w_t_in = night.windows.unit, night.windows.t_in
    ready, done = state.ready, state.reload_done_s
    log_unit, log_t_end = buffers.log.unit, buffers.log.t_end
    pending, open_windows = buffers.pending, buffers.open_windows
    saturated = False
    if c.n_open:
        busy = np.zeros(unit_type.size, np.int64)
        for i in range(c.n_pending):
            busy[log_unit[pending[i]]] += 1
        saturated = True
        for i in range(c.n_open):
            u = w_unit[open_windows[i]]
            e = unit_type[u]
            if busy[u] < channels[e] and ready[u] >= rounds[e] and np.isnan(done[u]):
                saturated = False
                break
    t_next = t + dt
    if c.n_open == 0 or saturated:
        event = np.inf
        for i in range(c.n_pending):
            event = min(event, log_t_end[pending[i]])
        if c.next_window < w_t_in.size:
            event = min(event, w_t_in[c.next_window])
        if saturated:
            for u in range(unit_type.size):
                if not np.isnan(done[u]):
                    event = min(event, done[u])
        if event == np.inf:
            return np.inf
        t_next = max(t_next, np.ceil(event / dt) * dt)
    return t_next


@njit(cache=True)
def advance(night, state, buffers, clock, policy, rng) -> tuple[int, EpochProblem]:
    """Run epochs from ``clock.t``; return ``(status, problem)`` (see the module docstring).
    ``policy`` is a :class:`leapsim.c2.policies.PolicyConfig`, ``rng`` the run's generator."""
    c = clock[0]
    while c.t <= night.duration_s:
        t = c.t
        resolve(t, night, state, buffers, c)
        if not reload(t, night, state, buffers, c):
            return GROW, no_problem()
        update_open_windows(t, night, state, buffers, c)
        if c.n_open:
            jam, problem = epoch(
                t, night, state, buffers.log, buffers.pending[: c.n_pending],
                buffers.open_windows[: c.n_open],
            )  # fmt: skip
            room = jam.unit.size + problem.allocation.capacity.sum()
            if c.n_log + room > buffers.log.unit.size or c.n_pending + room > buffers.pending.size:
                return GROW, no_problem()
            for i in range(jam.unit.size):
                start(t, jam.unit[i], jam.threat[i], jam.t_end[i], jam.pk[i],
                      night, state, buffers, c)  # fmt: skip
            if problem.units.size:
                if policy.code == EXTERNAL:
                    return DECIDE, problem
                rows, cols = allocate(policy, problem.allocation, rng)
                start_allocation(t, problem, rows, cols, night, state, buffers, c)
        c.t = next_epoch(t, night, state, buffers, c)
    finish(night, state, buffers, c)
    return DONE, no_problem()


@njit(cache=True)
def apply_decision(night, state, buffers, clock, problem, rows, cols) -> None:
    """Start the engagements the caller's policy chose at the epoch ``advance`` handed back with
    ``DECIDE``, and move the clock to the next epoch."""
    c = clock[0]
    start_allocation(c.t, problem, rows, cols, night, state, buffers, c)
    c.t = next_epoch(c.t, night, state, buffers, c)


@njit(cache=True, inline="always")
def finish(night, state, buffers, c) -> None:
    """End of the night: resolve what is due by its end; what is still in flight is unresolved."""
    resolve(night.duration_s, night, state, buffers, c)
    for i in range(c.n_pending):
        buffers.log.outcome[buffers.pending[i]] = UNRESOLVED
    c.n_pending = 0
