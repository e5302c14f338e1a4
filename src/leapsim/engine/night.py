"""One night: threats fly, sensors detect, C2 allocates fire, engagements resolve, leakers hit.

The loop visits decision epochs on a fixed grid (``time_step_s``) but jumps over stretches where no
fire unit can reach any live threat and nothing is in flight, so its cost grows with the number
of engagement opportunities, not with the length of the night. At each epoch, in this order:

1. engagements whose intercept time has come are resolved (kill with probability Pk; a threat
   already killed or arrived makes them *overtaken*);
2. threats that reached their target leak: the site keeps ``(1 − damage_fraction)`` of its value;
3. fire units with an empty magazine start reloading from their reserve; finished reloads refill;
4. jammers take every detected threat in reach that no one jams yet; the allocation policy
   chooses the other engagements (:mod:`leapsim.engine.epoch`), which start now and end after
   engagement time plus interceptor time of flight — only if that is before the threat leaves
   the unit's range and before it reaches its target. Jamming does not count against the
   doctrine's shots per threat.

Invariant: every launched threat ends the night killed, leaked or airborne.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leapsim.c2.allocation import AllocationPolicy
from leapsim.c2.policies import make_policy
from leapsim.engine.epoch import (
    EW,
    EpochContext,
    allocation_problem,
    candidate_engagements,
    jamming_assignment,
)
from leapsim.engine.params import NightParams
from leapsim.engine.raid import RaidDraw, detection_times, draw_raid, engagement_windows

FATES = ("not_launched", "killed", "leaked", "airborne")
NOT_LAUNCHED, KILLED, LEAKED, AIRBORNE = range(4)
OUTCOMES = ("miss", "kill", "overtaken", "unresolved")
MISS, KILL, OVERTAKEN, UNRESOLVED = range(4)
PENDING = -1


class EngagementLog:
    """Growable struct-of-arrays of engagements started during a night."""

    _FIELDS = {
        "unit": np.int64,
        "threat": np.int64,
        "t_start": float,
        "t_end": float,
        "pk": float,
        "cost": float,
        "draw": float,
        "outcome": np.int64,
    }

    def __init__(self, capacity: int = 256):
        self.n = 0
        self._data = {k: np.empty(capacity, dtype=t) for k, t in self._FIELDS.items()}

    def __getattr__(self, name: str) -> np.ndarray:
        data = self.__dict__.get("_data")
        if data is None or name not in data:
            raise AttributeError(name)
        return data[name][: self.n]

    def extend(self, **columns: np.ndarray) -> None:
        m = len(columns["unit"])
        if self.n + m > self._data["unit"].size:
            size = max(2 * self._data["unit"].size, self.n + m)
            for key, arr in self._data.items():
                grown = np.empty(size, dtype=arr.dtype)
                grown[: self.n] = arr[: self.n]
                self._data[key] = grown
        for key, values in columns.items():
            self._data[key][self.n : self.n + m] = values
        self.n += m

    def set_outcome(self, rows: np.ndarray, values: np.ndarray) -> None:
        self._data["outcome"][rows] = values


@dataclass(frozen=True)
class NightOutcome:
    """Everything that happened in one night, as arrays (metrics and replays derive from it)."""

    params: NightParams
    raid: RaidDraw
    detect_s: np.ndarray  # (N,) first detection time, inf if never
    fate: np.ndarray  # (N,) index into FATES
    end_s: np.ndarray  # (N,) kill or arrival time; NaN while airborne / not launched
    engagements: dict[str, np.ndarray]  # unit, threat, t_start, t_end, pk, cost, outcome
    rounds_left: np.ndarray  # (U,) ready + reserve rounds at the end of the night
    site_value_left_eur: np.ndarray  # (M,)
    reloads: dict[str, np.ndarray]  # unit, t_start, t_end


def simulate_night(
    params: NightParams,
    rng: np.random.Generator,
    policy: AllocationPolicy | None = None,
) -> NightOutcome:
    """Simulate one night of ``params`` with the run's generator ``rng``."""
    if policy is None:
        policy = make_policy(params.doctrine.policy, params.doctrine)
    raid = draw_raid(params, rng)
    detect_s = detection_times(params, raid, rng)
    windows = engagement_windows(params, raid)
    et = params.effector_types
    etype = params.unit_type
    n, n_units = raid.n, etype.size
    arrival = raid.paths.arrival_s
    duration, dt = params.duration_s, params.time_step_s

    alive = raid.launched.copy()
    fate = np.where(raid.launched, AIRBORNE, NOT_LAUNCHED)
    end_s = np.full(n, np.nan)
    shots_on = np.zeros(n, np.int64)
    ready = params.unit_magazine.astype(np.int64).copy()
    reserve = params.unit_reserve.astype(np.int64).copy()
    reload_done = np.full(n_units, np.nan)
    reload_log: list[tuple[int, float, float]] = []
    site_left = params.site_value_eur.astype(float).copy()
    log = EngagementLog()
    pending = np.empty(0, np.int64)
    open_pairs = np.empty(0, np.int64)
    next_pair = 0
    ctx = EpochContext.create(params, raid, windows)
    is_ew = et.kind[etype] == EW

    def resolve(t: float) -> None:
        nonlocal pending
        due = pending[log.t_end[pending] <= t]
        if due.size:
            due = due[np.argsort(log.t_end[due], kind="stable")]
            k = log.threat[due]
            was_alive = alive[k]
            success = (log.draw[due] < log.pk[due]) & was_alive
            position = np.arange(due.size)
            kill_pos = np.full(n, due.size)
            hits = np.flatnonzero(success)
            killed, first = np.unique(k[hits], return_index=True)
            kill_pos[killed] = hits[first]
            outcome = np.where(
                ~was_alive | (position > kill_pos[k]),
                OVERTAKEN,
                np.where(position == kill_pos[k], KILL, MISS),
            )
            log.set_outcome(due, outcome)
            alive[killed] = False
            fate[killed] = KILLED
            end_s[killed] = log.t_end[due[hits[first]]]
            pending = pending[log.t_end[pending] > t]
        leak = np.flatnonzero(alive & (arrival <= t))
        if leak.size:
            alive[leak] = False
            fate[leak] = LEAKED
            end_s[leak] = arrival[leak]
            damage = params.threat_types.damage_fraction[raid.type[leak]]
            np.multiply.at(site_left, raid.target[leak], 1.0 - damage)

    def start_engagements(t: float, u, k, t_end, pk) -> None:
        nonlocal pending
        rows = np.arange(log.n, log.n + u.size)
        log.extend(
            unit=u,
            threat=k,
            t_start=np.full(u.size, t),
            t_end=t_end,
            pk=pk,
            cost=et.rounds_per_engagement[etype[u]] * et.cost_per_round_eur[etype[u]],
            draw=rng.random(u.size),
            outcome=np.full(u.size, PENDING),
        )
        pending = np.concatenate([pending, rows])
        np.subtract.at(ready, u, et.rounds_per_engagement[etype[u]])
        shot = ~is_ew[u]
        np.add.at(shots_on, k[shot], 1)

    def allocate(t: float) -> None:
        busy = np.bincount(log.unit[pending], minlength=n_units)
        capacity = np.minimum(
            et.fire_channels[etype] - busy, ready // et.rounds_per_engagement[etype]
        )
        capacity[~np.isnan(reload_done)] = 0
        pending_ew = is_ew[log.unit[pending]]
        in_flight = np.bincount(log.threat[pending[~pending_ew]], minlength=n)
        jammed = np.bincount(log.threat[pending[pending_ew]], minlength=n) > 0
        max_new = params.doctrine.max_shots_per_threat - shots_on
        if params.doctrine.shoot_look_shoot:
            max_new = np.where(in_flight > 0, 0, np.minimum(max_new, 1))
        cand = candidate_engagements(
            ctx, t, open_pairs, detect_s, alive, capacity, max_new, jammed, site_left
        )
        if cand is None:
            return
        jam = jamming_assignment(ctx, cand, capacity)
        if jam.size:
            start_engagements(t, cand.unit[jam], cand.threat[jam], cand.t_end[jam], cand.pk[jam])
        fire = ~is_ew[cand.unit]
        if not fire.any():
            return
        survival = np.ones(n)
        kinetic = pending[~is_ew[log.unit[pending]]]
        np.multiply.at(survival, log.threat[kinetic], 1.0 - log.pk[kinetic])
        problem, units, threats, t_end = allocation_problem(
            ctx, t, cand.take(fire), capacity, max_new, survival
        )
        chosen = policy(problem, rng)
        if len(chosen):
            order = np.lexsort((chosen.threat, chosen.unit))
            cu, ck = chosen.unit[order], chosen.threat[order]
            start_engagements(t, units[cu], threats[ck], t_end[cu, ck], problem.pk[cu, ck])

    t = 0.0
    if windows.t_in.size:
        t = max(0.0, np.ceil(windows.t_in[0] / dt) * dt)
    else:
        t = duration + 1.0
    while t <= duration:
        resolve(t)
        # reloads: start when the magazine cannot feed an engagement, finish after reload time
        starting = (
            (ready < et.rounds_per_engagement[etype]) & (reserve > 0) & np.isnan(reload_done)
        )
        for u in np.flatnonzero(starting):
            reload_done[u] = t + et.reload_time_s[etype[u]]
            reload_log.append((int(u), t, float(reload_done[u])))
        done = reload_done <= t
        if done.any():
            moved = np.minimum(et.magazine[etype[done]] - ready[done], reserve[done])
            moved = np.maximum(moved, 0)
            ready[done] += moved
            reserve[done] -= moved
            reload_done[done] = np.nan
        # pairs whose window has opened and is still open
        hi = int(np.searchsorted(windows.t_in, t, side="right"))
        if hi > next_pair:
            open_pairs = np.concatenate([open_pairs, np.arange(next_pair, hi)])
            next_pair = hi
        if open_pairs.size:
            open_pairs = open_pairs[(windows.t_out[open_pairs] >= t) & alive[windows.threat[open_pairs]]]
        if open_pairs.size:
            allocate(t)
        # next epoch: the next grid time, or jump to the next opening / intercept
        t_next = t + dt
        if open_pairs.size == 0:
            candidates = []
            if next_pair < windows.t_in.size:
                candidates.append(windows.t_in[next_pair])
            if pending.size:
                candidates.append(log.t_end[pending].min())
            if not candidates:
                break
            t_next = max(t_next, np.ceil(min(candidates) / dt) * dt)
        t = t_next
    resolve(duration)
    log.set_outcome(pending, np.full(pending.size, UNRESOLVED))

    rounds_left = ready + reserve
    reloads = np.array(reload_log, dtype=float).reshape(-1, 3)
    return NightOutcome(
        params=params,
        raid=raid,
        detect_s=detect_s,
        fate=fate,
        end_s=end_s,
        engagements={
            k: getattr(log, k) for k in ("unit", "threat", "t_start", "t_end", "pk", "cost", "outcome")
        },
        rounds_left=rounds_left,
        site_value_left_eur=site_left,
        reloads={
            "unit": reloads[:, 0].astype(np.int64),
            "t_start": reloads[:, 1],
            "t_end": reloads[:, 2],
        },
    )
