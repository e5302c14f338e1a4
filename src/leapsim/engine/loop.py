"""The night's time loop, compiled (numba): resolve, leak, reload, open windows, decide, start.

All state lives in named structures (:mod:`leapsim.engine.state`): :class:`~.state.Night`
(fixed), :class:`~.state.NightState` and :class:`~.state.Buffers` (changed in place) and the
scalar ``clock`` record. The loop is resumable: :func:`advance` runs epochs from ``clock.t`` until

* ``DONE``: the night is over;
* ``DECIDE``: the policy is not compiled (``PolicyConfig.code == EXTERNAL``) and must choose at
  this epoch: the :class:`~.state.EpochProblem` is handed back, the caller answers with
  :func:`apply_decision` and calls :func:`advance` again;
* ``GROW``: the engagement log, the reload log or the stream of uniforms needs more room: the
  caller enlarges them and calls again; every step of an epoch before its starts is idempotent, so
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
    )
    return EpochProblem(allocation=allocation, units=i1, threats=i1, t_end=f2)


@njit(cache=True)
def resolve(t, night, state, buffers, c) -> None:
    """Resolve the engagements due by ``t`` (in order of their end) and leak the targets that
    arrived; false tracks (from ``n_real`` on) are never killed, and on arrival (track deletion)
    they just end."""
    log = buffers.log
    pending = buffers.pending
    n_real = night.threats.n_real
    n_pending = c.n_pending
    due = np.empty(n_pending, np.int64)
    nd = 0
    for i in range(n_pending):
        if log.t_end[pending[i]] <= t:
            due[nd] = pending[i]
            nd += 1
    if nd:
        due = due[:nd]
        due = due[np.argsort(log.t_end[due], kind="mergesort")]
        for row in due:
            k = log.threat[row]
            if not state.alive[k]:
                log.outcome[row] = OVERTAKEN
            elif k < n_real and log.draw[row] < log.pk[row]:
                log.outcome[row] = KILL
                state.alive[k] = False
                state.fate[k] = KILLED
                state.end_s[k] = log.t_end[row]
            else:
                log.outcome[row] = MISS
        kept = 0
        for i in range(n_pending):
            if log.t_end[pending[i]] > t:
                pending[kept] = pending[i]
                kept += 1
        c.n_pending = kept
    order = night.arrival_order
    arrival = night.threats.arrival_s
    while c.next_arrival < order.size and arrival[order[c.next_arrival]] <= t:
        k = order[c.next_arrival]
        c.next_arrival += 1
        if state.alive[k]:
            state.alive[k] = False
            state.end_s[k] = arrival[k]
            if k < n_real:
                state.fate[k] = LEAKED
                site = night.threats.target[k]
                state.site_value_left_eur[site] *= (
                    1.0 - night.threat_types.damage_fraction[night.threats.type[k]]
                )


@njit(cache=True)
def reload(t, night, state, buffers, c) -> bool:
    """Start a reload where the magazine cannot feed an engagement and rounds are in reserve;
    refill the magazines whose reload is done. False when the reload log is full."""
    eff = night.effectors
    reloads = buffers.reloads
    for u in range(night.units.type.size):
        e = night.units.type[u]
        if (
            np.isnan(state.reload_done_s[u])
            and state.ready[u] < eff.rounds_per_engagement[e]
            and state.reserve[u] > 0
        ):
            if c.n_reloads >= reloads.unit.size:
                return False
            state.reload_done_s[u] = t + eff.reload_time_s[e]
            reloads.unit[c.n_reloads] = u
            reloads.t_start[c.n_reloads] = t
            reloads.t_end[c.n_reloads] = state.reload_done_s[u]
            c.n_reloads += 1
        if not np.isnan(state.reload_done_s[u]) and state.reload_done_s[u] <= t:
            moved = max(0, min(eff.magazine[e] - state.ready[u], state.reserve[u]))
            state.ready[u] += moved
            state.reserve[u] -= moved
            state.reload_done_s[u] = np.nan
    return True


@njit(cache=True)
def update_open_windows(t, night, state, buffers, c) -> None:
    """Open the windows whose time has come; drop closed ones, those of dead targets and those of
    units out of rounds for good."""
    windows = night.windows
    open_windows = buffers.open_windows
    while c.next_window < windows.t_in.size and windows.t_in[c.next_window] <= t:
        open_windows[c.n_open] = c.next_window
        c.n_open += 1
        c.next_window += 1
    eff = night.effectors
    kept = 0
    for i in range(c.n_open):
        w = open_windows[i]
        u = windows.unit[w]
        e = night.units.type[u]
        spent = (
            state.ready[u] < eff.rounds_per_engagement[e]
            and state.reserve[u] == 0
            and np.isnan(state.reload_done_s[u])
        )
        if windows.t_out[w] >= t and state.alive[windows.threat[w]] and not spent:
            open_windows[kept] = w
            kept += 1
    c.n_open = kept


@njit(cache=True)
def start(t, u, k, t_end, pk, night, state, buffers, c) -> None:
    """Start an engagement of unit ``u`` on target ``k``: log it with the next uniform, spend its
    rounds, count it against the doctrine's shots (jamming excepted)."""
    log = buffers.log
    eff = night.effectors
    e = night.units.type[u]
    row = c.n_log
    log.unit[row] = u
    log.threat[row] = k
    log.t_start[row] = t
    log.t_end[row] = t_end
    log.pk[row] = pk
    log.cost[row] = eff.rounds_per_engagement[e] * eff.cost_per_round_eur[e]
    log.draw[row] = buffers.uniforms[c.n_draws]
    log.outcome[row] = PENDING
    c.n_draws += 1
    c.n_log += 1
    buffers.pending[c.n_pending] = row
    c.n_pending += 1
    state.ready[u] -= eff.rounds_per_engagement[e]
    if eff.kind[e] != EW:
        state.shots_on[k] += 1


@njit(cache=True)
def start_allocation(t, problem, rows, cols, night, state, buffers, c) -> None:
    """Start the engagements a policy chose (problem rows and columns), in (row, column) order."""
    order = np.argsort(rows * problem.threats.size + cols)
    for i in order:
        r = rows[i]
        col = cols[i]
        start(t, problem.units[r], problem.threats[col], problem.t_end[r, col],
              problem.allocation.pk[r, col], night, state, buffers, c)  # fmt: skip


@njit(cache=True)
def next_epoch(t, night, state, buffers, c) -> float:
    """The next decision epoch: the next grid time, or a jump to the first grid time after the
    next event when nothing can start before it (no open window, or every unit that has one is
    busy, empty or reloading); inf when nothing is left to happen."""
    dt = night.time_step_s
    eff = night.effectors
    windows = night.windows
    log = buffers.log
    saturated = False
    if c.n_open:
        busy = np.zeros(night.units.type.size, np.int64)
        for i in range(c.n_pending):
            busy[log.unit[buffers.pending[i]]] += 1
        saturated = True
        for i in range(c.n_open):
            u = windows.unit[buffers.open_windows[i]]
            e = night.units.type[u]
            if (
                busy[u] < eff.fire_channels[e]
                and state.ready[u] >= eff.rounds_per_engagement[e]
                and np.isnan(state.reload_done_s[u])
            ):
                saturated = False
                break
    t_next = t + dt
    if c.n_open == 0 or saturated:
        event = np.inf
        for i in range(c.n_pending):
            event = min(event, log.t_end[buffers.pending[i]])
        if c.next_window < windows.t_in.size:
            event = min(event, windows.t_in[c.next_window])
        if saturated:
            for u in range(night.units.type.size):
                if not np.isnan(state.reload_done_s[u]):
                    event = min(event, state.reload_done_s[u])
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
            if (
                c.n_log + room > buffers.log.unit.size
                or c.n_draws + room > buffers.uniforms.size
                or c.n_pending + room > buffers.pending.size
            ):
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


@njit(cache=True)
def finish(night, state, buffers, c) -> None:
    """End of the night: resolve what is due by its end; what is still in flight is unresolved."""
    resolve(night.duration_s, night, state, buffers, c)
    for i in range(c.n_pending):
        buffers.log.outcome[buffers.pending[i]] = UNRESOLVED
    c.n_pending = 0
