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
from typing import ClassVar

import numpy as np

from leapsim.c2.allocation import AllocationPolicy
from leapsim.c2.policies import make_policy
from leapsim.engine.epoch import EW, EpochContext, decide
from leapsim.engine.params import NightParams
from leapsim.engine.raid import RaidDraw, detection_times, draw_raid, engagement_windows

FATES = ("not_launched", "killed", "leaked", "airborne")
NOT_LAUNCHED, KILLED, LEAKED, AIRBORNE = range(4)
OUTCOMES = ("miss", "kill", "overtaken", "unresolved")
MISS, KILL, OVERTAKEN, UNRESOLVED = range(4)
PENDING = -1


class EngagementLog:
    """Growable struct-of-arrays of engagements started during a night."""

    _FIELDS: ClassVar[dict[str, type]] = {
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
    rounds_needed = et.rounds_per_engagement[etype]

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

    def start_engagements(t: float, new) -> None:
        nonlocal pending
        u, k = new.unit, new.threat
        rows = np.arange(log.n, log.n + u.size)
        log.extend(
            unit=u,
            threat=k,
            t_start=np.full(u.size, t),
            t_end=new.t_end,
            pk=new.pk,
            cost=ctx.engagement_cost[etype[u]],
            draw=rng.random(u.size),
            outcome=np.full(u.size, PENDING),
        )
        pending = np.concatenate([pending, rows])
        np.subtract.at(ready, u, et.rounds_per_engagement[etype[u]])
        np.add.at(shots_on, k[~is_ew[u]], 1)

    def allocate(t: float) -> bool:
        """Start this epoch's engagements; False when no unit with an open window can fire."""
        jams, shots = decide(
            ctx, t, open_pairs, log.unit[pending], log.threat[pending], log.pk[pending],
            ready, ~np.isnan(reload_done), detect_s, alive, shots_on, site_left, policy, rng,
        )  # fmt: skip
        for new in (jams, shots):
            if new.unit.size:
                start_engagements(t, new)
        busy = np.bincount(log.unit[pending], minlength=n_units)
        free = (busy < et.fire_channels[etype]) & (ready >= rounds_needed) & np.isnan(reload_done)
        return bool(free[windows.unit[open_pairs]].any())

    # first epoch: the grid time at or after the first window opens (none: skip the loop)
    t = max(0.0, np.ceil(windows.t_in[0] / dt) * dt) if windows.t_in.size else duration + 1.0
    while t <= duration:
        resolve(t)
        # reloads: start when the magazine cannot feed an engagement, finish after reload time
        starting = (ready < rounds_needed) & (reserve > 0) & np.isnan(reload_done)
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
            # a unit that is out of rounds for good can never use its windows again
            spent = (ready < rounds_needed) & (reserve == 0) & np.isnan(reload_done)
            open_pairs = open_pairs[
                (windows.t_out[open_pairs] >= t)
                & alive[windows.threat[open_pairs]]
                & ~spent[windows.unit[open_pairs]]
            ]
        saturated = False
        if open_pairs.size:
            saturated = not allocate(t)
        # next epoch: the next grid time, or jump to the next opening / intercept
        # (nothing can start before a window opens, an engagement ends or a reload finishes
        # when no window is open or every unit that has one is busy, empty or reloading)
        t_next = t + dt
        if open_pairs.size == 0 or saturated:
            events = [log.t_end[pending].min()] if pending.size else []
            if next_pair < windows.t_in.size:
                events.append(windows.t_in[next_pair])
            if saturated and not np.isnan(reload_done).all():
                events.append(np.nanmin(reload_done))
            if not events:
                break
            t_next = max(t_next, np.ceil(min(events) / dt) * dt)
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
            k: getattr(log, k)
            for k in ("unit", "threat", "t_start", "t_end", "pk", "cost", "outcome")
        },
        rounds_left=rounds_left,
        site_value_left_eur=site_left,
        reloads={
            "unit": reloads[:, 0].astype(np.int64),
            "t_start": reloads[:, 1],
            "t_end": reloads[:, 2],
        },
    )
