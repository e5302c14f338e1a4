"""One night: threats fly, sensors detect, C2 allocates fire, engagements resolve, leakers hit.

The loop (:mod:`leapsim.engine.loop`, compiled) visits decision epochs on a fixed grid
(``time_step_s``) but jumps over stretches where nothing can start — no fire unit can reach a
live threat, or every unit that can is busy, empty or reloading — so its cost grows with the
engagement opportunities, not with the length of the night. At each epoch, in this order:

1. engagements whose intercept time has come are resolved (kill with probability Pk, from the
   engagement's counter-based uniform, :mod:`leapsim.engine.draws`; a threat
   already killed or arrived makes them *overtaken*);
2. threats that reached their target leak: the site keeps ``(1 − damage_fraction)`` of its value;
3. fire units whose magazine cannot feed an engagement start reloading from their reserve;
   finished reloads refill the magazine;
4. jammers take every detected threat in reach that no one jams yet; the allocation policy
   chooses the other engagements (:func:`leapsim.engine.epoch_kernel.epoch`). They start
   now and end after engagement time plus interceptor time of flight — only if that is before
   the threat leaves the unit's range and before it reaches its target. Jamming does not count
   against the doctrine's shots per threat.

"Detected" depends on the sensing mode: in ``detection`` mode a threat is known from its first
detection on; in ``tracked`` mode (:mod:`leapsim.engine.tracked`) only while a confirmed track
holds it, with Pk scaled down by the track's error, and false tracks are targets too.

Invariant: every launched threat ends the night killed, leaked or airborne; false tracks keep
the fate ``false_track`` and count in none of those.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leapsim.c2.allocation import AllocationPolicy, AllocationProblem, Assignment
from leapsim.c2.policies import LOOKAHEAD, CompiledPolicy, loop_config, make_policy
from leapsim.engine import loop
from leapsim.engine.codes import AIRBORNE, FALSE_TRACK, NOT_LAUNCHED
from leapsim.engine.draws import draw_key
from leapsim.engine.epoch import later_costs
from leapsim.engine.lookahead import build_lookahead, no_lookahead
from leapsim.engine.params import (
    DoctrineView,
    EffectorTypesView,
    NightParams,
    ThreatTypesView,
    to_kernel,
)
from leapsim.engine.raid import RaidDraw, detection_times, draw_raid, engagement_windows
from leapsim.engine.state import (
    CLOCK,
    Buffers,
    EngagementLog,
    EpochProblem,
    Night,
    NightState,
    ReloadLog,
    Threats,
    Tracks,
    Units,
)
from leapsim.engine.tracked import TrackPicture, track_night

_FIRST_CAPACITY = 256  # engagements the buffers hold before the first GROW


@dataclass(frozen=True)
class NightOutcome:
    """Everything that happened in one night, as arrays (metrics and replays derive from it)."""

    params: NightParams
    raid: RaidDraw  # real threats, then false tracks (tracked mode)
    detect_s: np.ndarray  # (N,) first detection (tracked: first confirmed track) time, or inf
    fate: np.ndarray  # (N,) index into leapsim.engine.codes.FATES
    end_s: np.ndarray  # (N,) kill or arrival time; NaN while airborne / not launched
    engagements: dict[str, np.ndarray]  # unit, threat, t_start, t_end, pk, cost, outcome
    rounds_left: np.ndarray  # (U,) ready + reserve rounds at the end of the night
    site_value_left_eur: np.ndarray  # (M,)
    reloads: dict[str, np.ndarray]  # unit, t_start, t_end
    tracks: TrackPicture | None = None  # tracked mode: when tracks hold each target, their errors


def simulate_night(
    params: NightParams,
    rng: np.random.Generator,
    policy: AllocationPolicy | None = None,
) -> NightOutcome:
    """Simulate one night of ``params`` with the run's generator ``rng``.

    ``policy`` defaults to the doctrine's. Compiled policies
    (:class:`~leapsim.c2.policies.CompiledPolicy`: the built-in ones) run inside the compiled
    loop; any other policy is called back from Python at each epoch with the epoch's
    :class:`~leapsim.c2.allocation.AllocationProblem` (see :class:`NightRun`).
    """
    if policy is None:
        policy = make_policy(params.doctrine.policy, params.doctrine)
    run = NightRun(params, rng, policy if isinstance(policy, CompiledPolicy) else None)
    while (problem := run.next_decision()) is not None:
        run.decide(policy(problem, rng))
    return run.outcome()


class NightRun:
    """One night being simulated, stepped from decision to decision.

    The raid, detections (or tracks) and the loop's structures are drawn at construction, from
    ``rng``: first the key of the engagement outcome draws (:mod:`leapsim.engine.draws`), so
    that it is the same for every defence of the scenario on the same seed, then the raid, then
    the detections (or the tracker's scans). With a compiled ``policy`` the loop decides by
    itself and :meth:`next_decision` runs the whole night; without one every epoch that has a
    fire-allocation problem is handed back: :meth:`next_decision` returns it, :meth:`decide`
    starts the engagements chosen for it. This is the external-policy path
    (``DECIDE``/``apply_decision`` in :mod:`leapsim.engine.loop`) for policies written in Python
    and for environments that step the engine one decision epoch at a time. ``lookahead=True``
    fills the problems' ``hold_cost``, ``miss_cost`` and ``round_price``
    (:mod:`leapsim.c2.lookahead`) for such a policy; the ``lookahead`` policy always has them.
    They draw nothing from ``rng``.
    """

    def __init__(
        self,
        params: NightParams,
        rng: np.random.Generator,
        policy: CompiledPolicy | None = None,
        *,
        lookahead: bool = False,
    ) -> None:
        self.params = params
        self.rng = rng
        key = draw_key(rng)
        raid = draw_raid(params, rng)
        picture = None
        if params.sensing_mode == "tracked":
            raid, picture = track_night(params, raid, rng)
            detect_s = picture.first_held_s
            tracks = Tracks(
                True, picture.held_ptr, picture.held_s, picture.error_m, 0.5 * picture.step_s
            )
        else:
            detect_s = detection_times(params, raid, rng)
            tracks = Tracks(False, np.zeros(raid.n + 1, np.int64), np.empty(0), np.empty(0), 0.0)
        self.raid, self.picture, self.detect_s = raid, picture, detect_s
        self._config = loop_config(policy)
        lookahead = lookahead or self._config.code == LOOKAHEAD
        self.night = _night(params, raid, detect_s, tracks, key, lookahead)
        n_units = params.unit_type.size
        self.state = NightState(
            alive=raid.launched.copy(),
            fate=np.where(raid.launched, AIRBORNE, NOT_LAUNCHED),
            end_s=np.full(raid.n, np.nan),
            shots_on=np.zeros(raid.n, np.int64),
            jams_on=np.zeros(raid.n, np.int64),
            ready=params.unit_magazine.astype(np.int64).copy(),
            reserve=params.unit_reserve.astype(np.int64).copy(),
            reload_done_s=np.full(n_units, np.nan),
            site_value_left_eur=params.site_value_eur.astype(float).copy(),
        )
        self.state.fate[raid.n_real :] = FALSE_TRACK
        self.buffers = Buffers(
            log=EngagementLog(*(np.empty(_FIRST_CAPACITY, dtype) for dtype in _LOG_DTYPES)),
            pending=np.empty(_FIRST_CAPACITY, np.int64),
            open_windows=np.empty(self.night.windows.unit.size, np.int64),
            reloads=_reload_log(max(16, 2 * n_units)),
        )
        self.clock = np.zeros(1, CLOCK)
        t_in, dt = self.night.windows.t_in, params.time_step_s
        self.clock[0]["t"] = np.ceil(t_in[0] / dt) * dt if t_in.size else params.duration_s + 1.0
        self._problem: EpochProblem | None = None
        self.done = False

    @property
    def time_s(self) -> float:
        """The current decision epoch (after the night: past its end)."""
        return float(self.clock[0]["t"])

    @property
    def pending_epoch(self) -> EpochProblem | None:
        """The epoch waiting for :meth:`decide`: its allocation problem and the fire units,
        targets and intercept times its rows and columns stand for (None when none waits)."""
        return self._problem

    def next_decision(self) -> AllocationProblem | None:
        """Run the loop to the next epoch that needs an answer; return its problem, or None
        when the night is over."""
        if self._problem is not None:
            raise RuntimeError("decide() on the pending epoch before asking for the next one")
        while not self.done:
            status, problem = loop.advance(
                self.night, self.state, self.buffers, self.clock, self._config, self.rng
            )
            if status == loop.DONE:
                self.done = True
            elif status == loop.GROW:
                self.buffers = _grow(self.buffers)
            else:
                self._problem = problem
                return problem.allocation
        return None

    def decide(self, chosen: Assignment) -> None:
        """Start the engagements ``chosen`` (rows and columns of the pending problem, one per
        shot) at the pending epoch; they must respect feasibility, unit capacity and shots per
        threat."""
        if self._problem is None:
            raise RuntimeError("no epoch is waiting for a decision; call next_decision() first")
        rows = np.ascontiguousarray(chosen.unit, np.int64)
        cols = np.ascontiguousarray(chosen.threat, np.int64)
        _check_assignment(rows, cols, self._problem.allocation)
        problem, self._problem = self._problem, None
        loop.apply_decision(self.night, self.state, self.buffers, self.clock, problem, rows, cols)

    def outcome(self) -> NightOutcome:
        """What happened in the night (once :meth:`next_decision` has returned None)."""
        if not self.done:
            raise RuntimeError("the night is not over; step it with next_decision()")
        log, reloads, clock = self.buffers.log, self.buffers.reloads, self.clock[0]
        n_log, n_reloads = clock["n_log"], clock["n_reloads"]
        return NightOutcome(
            params=self.params,
            raid=self.raid,
            detect_s=self.detect_s,
            fate=self.state.fate,
            end_s=self.state.end_s,
            engagements={
                name: getattr(log, name)[:n_log].copy() for name in log._fields if name != "draw"
            },
            rounds_left=self.state.ready + self.state.reserve,
            site_value_left_eur=self.state.site_value_left_eur,
            reloads={name: getattr(reloads, name)[:n_reloads].copy() for name in reloads._fields},
            tracks=self.picture,
        )


_LOG_DTYPES = tuple(
    np.int64 if name in ("unit", "threat", "outcome") else np.float64
    for name in EngagementLog._fields
)


def _night(
    params: NightParams,
    raid: RaidDraw,
    detect_s: np.ndarray,
    tracks: Tracks,
    key: np.uint64,
    lookahead: bool,
) -> Night:
    """The loop's fixed structures for one drawn raid (``key``: of the engagement draws; with
    the ``lookahead`` policy's inputs when ``lookahead``)."""
    windows = engagement_windows(params, raid)
    arrival = raid.paths.arrival_s
    return Night(
        duration_s=float(params.duration_s),
        time_step_s=float(params.time_step_s),
        windows=windows,
        arrival_order=np.argsort(arrival, kind="stable"),
        threats=Threats(
            raid.paths, arrival, raid.family, raid.type, raid.target, detect_s, raid.n_real
        ),
        threat_types=to_kernel(ThreatTypesView, params.threat_types),
        units=Units(params.unit_xy, params.unit_type),
        effectors=to_kernel(EffectorTypesView, params.effector_types),
        doctrine=to_kernel(DoctrineView, params.doctrine),
        tracks=tracks,
        later=later_costs(params, raid, windows),
        lookahead=build_lookahead(params, raid, windows)
        if lookahead
        else no_lookahead(raid.n, params.unit_type.size),
        draw_key=key,
    )


def _reload_log(rows: int) -> ReloadLog:
    return ReloadLog(np.empty(rows, np.int64), np.empty(rows), np.empty(rows))


def _grown(a: np.ndarray, size: int) -> np.ndarray:
    out = np.empty(size, a.dtype)
    out[: a.size] = a
    return out


def _grow(buffers: Buffers) -> Buffers:
    """Every buffer twice as large."""
    size = 2 * buffers.pending.size
    rows = 2 * buffers.reloads.unit.size
    return Buffers(
        log=EngagementLog(*(_grown(column, size) for column in buffers.log)),
        pending=_grown(buffers.pending, size),
        open_windows=buffers.open_windows,
        reloads=ReloadLog(*(_grown(column, rows) for column in buffers.reloads)),
    )


def _check_assignment(rows: np.ndarray, cols: np.ndarray, problem: AllocationProblem) -> None:
    """A policy's answer must respect feasibility, unit capacity and shots per threat."""
    if rows.shape != cols.shape or rows.ndim != 1:
        raise ValueError("allocation policy returned unit and threat arrays of different shapes")
    if rows.size and (
        rows.min() < 0
        or cols.min() < 0
        or rows.max() >= problem.n_units
        or cols.max() >= problem.n_threats
    ):
        raise ValueError("allocation policy returned an index outside the problem")
    if rows.size and not problem.feasible[rows, cols].all():
        raise ValueError("allocation policy assigned an infeasible (unit, threat) pair")
    if np.any(np.bincount(rows, minlength=problem.n_units) > problem.capacity):
        raise ValueError("allocation policy exceeded a unit's capacity")
    if np.any(np.bincount(cols, minlength=problem.n_threats) > problem.max_new_shots):
        raise ValueError("allocation policy exceeded the shots allowed on a threat")
