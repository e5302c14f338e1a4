"""One night: threats fly, sensors detect, C2 allocates fire, engagements resolve, leakers hit.

The loop (:mod:`leapsim.engine.loop`, compiled) visits decision epochs on a fixed grid
(``time_step_s``) but jumps over stretches where nothing can start — no fire unit can reach a
live threat, or every unit that can is busy, empty or reloading — so its cost grows with the
engagement opportunities, not with the length of the night. At each epoch, in this order:

1. engagements whose intercept time has come are resolved (kill with probability Pk; a threat
   already killed or arrived makes them *overtaken*);
2. threats that reached their target leak: the site keeps ``(1 − damage_fraction)`` of its value;
3. fire units whose magazine cannot feed an engagement start reloading from their reserve;
   finished reloads refill the magazine;
4. jammers take every detected threat in reach that no one jams yet; the allocation policy
   chooses the other engagements (:func:`leapsim.engine.epoch_kernel.epoch_problem`). They start
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

from leapsim.c2.allocation import AllocationPolicy
from leapsim.c2.policies import cost_aware_policy, make_policy, max_pk_policy
from leapsim.engine import loop
from leapsim.engine.epoch import EW, TIME_KEY, EpochContext
from leapsim.engine.params import NightParams
from leapsim.engine.raid import RaidDraw, detection_times, draw_raid, engagement_windows
from leapsim.engine.tracked import TrackPicture, track_night

FATES = ("not_launched", "killed", "leaked", "airborne", "false_track")
NOT_LAUNCHED, KILLED, LEAKED, AIRBORNE, FALSE_TRACK = range(5)
OUTCOMES = ("miss", "kill", "overtaken", "unresolved")
MISS, KILL, OVERTAKEN, UNRESOLVED = range(4)
_COMPILED_POLICIES = {cost_aware_policy: loop.COST_AWARE, max_pk_policy: loop.MAX_PK}
_LOG_FIELDS = (
    ("unit", np.int64),
    ("threat", np.int64),
    ("t_start", np.float64),
    ("t_end", np.float64),
    ("pk", np.float64),
    ("cost", np.float64),
    ("draw", np.float64),
    ("outcome", np.int64),
)


@dataclass(frozen=True)
class NightOutcome:
    """Everything that happened in one night, as arrays (metrics and replays derive from it)."""

    params: NightParams
    raid: RaidDraw  # real threats, then false tracks (tracked mode)
    detect_s: np.ndarray  # (N,) first detection (tracked: first confirmed track) time, or inf
    fate: np.ndarray  # (N,) index into FATES
    end_s: np.ndarray  # (N,) kill or arrival time; NaN while airborne / not launched
    engagements: dict[str, np.ndarray]  # unit, threat, t_start, t_end, pk, cost, outcome
    rounds_left: np.ndarray  # (U,) ready + reserve rounds at the end of the night
    site_value_left_eur: np.ndarray  # (M,)
    reloads: dict[str, np.ndarray]  # unit, t_start, t_end
    tracks: TrackPicture | None = None  # tracked mode: when tracks hold each target, their errors


def _grow(arrays: tuple[np.ndarray, ...], size: int) -> tuple[np.ndarray, ...]:
    out = []
    for a in arrays:
        grown = np.empty((size, *a.shape[1:]), a.dtype)
        grown[: a.shape[0]] = a
        out.append(grown)
    return tuple(out)


def simulate_night(
    params: NightParams,
    rng: np.random.Generator,
    policy: AllocationPolicy | None = None,
) -> NightOutcome:
    """Simulate one night of ``params`` with the run's generator ``rng``.

    ``policy`` defaults to the doctrine's; the built-in greedy policies run inside the compiled
    loop, any other policy is called back from Python at each epoch with a problem to solve.
    """
    if policy is None:
        policy = make_policy(params.doctrine.policy, params.doctrine)
    raid = draw_raid(params, rng)
    picture = None
    if params.sensing_mode == "tracked":
        raid, picture = track_night(params, raid, rng)
        detect_s = picture.first_held_s
        held = (True, picture.held_ptr, picture.held_s, picture.error_m, 0.5 * picture.step_s)
    else:
        detect_s = detection_times(params, raid, rng)
        held = (False, np.zeros(raid.n + 1, np.int64), np.empty(0), np.empty(0), 0.0)
    windows = engagement_windows(params, raid)
    ctx = EpochContext.create(params, raid, windows)
    et, tt, doctrine, paths = (
        params.effector_types,
        params.threat_types,
        params.doctrine,
        raid.paths,
    )
    n, n_units = raid.n, params.unit_type.size

    fate = np.where(raid.launched, AIRBORNE, NOT_LAUNCHED)
    fate[raid.n_real :] = FALSE_TRACK
    state = (
        raid.launched.copy(),  # alive: launched and neither killed nor leaked
        fate,
        np.full(n, np.nan),
        np.zeros(n, np.int64),
        params.unit_magazine.astype(np.int64).copy(),
        params.unit_reserve.astype(np.int64).copy(),
        np.full(n_units, np.nan),
        params.site_value_eur.astype(float).copy(),
    )
    capacity = 256
    log = tuple(np.empty(capacity, dtype) for _, dtype in _LOG_FIELDS)
    pending = np.empty(capacity, np.int64)
    reload_log = np.empty((max(16, 2 * n_units), 3))
    uniforms = rng.random(capacity)
    open_pairs = np.empty(windows.unit.size, np.int64)
    sf = np.zeros(1)
    sf[0] = (
        np.ceil(windows.t_in[0] / params.time_step_s) * params.time_step_s
        if windows.t_in.size
        else params.duration_s + 1.0
    )
    si = np.zeros(8, np.int64)
    static = (
        (windows.unit, windows.threat, windows.t_in, windows.t_out),
        (paths.points, paths.cumulative_m, paths.length_m, paths.speed_mps, paths.launch_s,
         paths.altitude_m, paths.ballistic, ctx.arrival_s),
        (raid.family, raid.type, raid.target, detect_s, tt.perceived,
         tt.damage_fraction[tt.perceived], tt.unit_cost_eur, tt.damage_fraction),
        (*held, raid.n_real),
        (et.kind, et.fire_channels, et.rounds_per_engagement, et.min_range_m, et.max_range_m,
         et.min_altitude_m, et.max_altitude_m, et.engagement_time_s, et.interceptor_speed_mps,
         et.pk, et.pk_range_falloff, ctx.engagement_cost, et.magazine, et.reload_time_s,
         et.acquisition_basket_m, EW),
        (params.unit_xy, params.unit_type),
        (doctrine.max_shots_per_threat, doctrine.shoot_look_shoot, doctrine.cost_rule_ratio,
         doctrine.cost_rule_value_threshold_eur),
        (ctx.later_keys, ctx.later_cost, ctx.group_end),
    )  # fmt: skip
    arrival_order = np.argsort(ctx.arrival_s, kind="stable")
    code = _COMPILED_POLICIES.get(policy, loop.EXTERNAL)
    no_decision = (np.empty(0, np.int64),) * 4 + (np.empty((0, 0)),) * 2
    decision = no_decision
    while True:
        status, problem = loop.advance(
            sf, si, code, params.duration_s, params.time_step_s, TIME_KEY,
            state, log, pending, open_pairs, reload_log, uniforms, arrival_order,
            *static, decision,
        )  # fmt: skip
        decision = no_decision
        if status == loop.DONE:
            break
        if status == loop.GROW:
            capacity *= 2
            log = _grow(log, capacity)
            (pending,) = _grow((pending,), capacity)
            reload_log = _grow((reload_log,), 2 * reload_log.shape[0])[0]
            uniforms = np.concatenate([uniforms, rng.random(capacity - uniforms.size)])
            continue
        decision = _ask_policy(policy, problem, rng)

    n_log = si[loop.N_LOG]
    eng = {name: column[:n_log].copy() for (name, _), column in zip(_LOG_FIELDS, log, strict=True)}
    eng.pop("draw")
    _, fate, end_s, _, ready, reserve, _, site_left = state
    reloads = reload_log[: si[loop.N_RELOAD]]
    return NightOutcome(
        params=params,
        raid=raid,
        detect_s=detect_s,
        fate=fate,
        end_s=end_s,
        engagements=eng,
        rounds_left=ready + reserve,
        site_value_left_eur=site_left,
        reloads={
            "unit": reloads[:, 0].astype(np.int64),
            "t_start": reloads[:, 1].copy(),
            "t_end": reloads[:, 2].copy(),
        },
        tracks=picture,
    )


def _ask_policy(policy: AllocationPolicy, problem: tuple, rng: np.random.Generator) -> tuple:
    """Call a Python policy on the compiled loop's problem; return the loop's decision tuple."""
    from leapsim.c2.allocation import AllocationProblem

    (_, _, _, _, units, threats, pk, feasible, t_end, cost, capacity, value, threat_cost,
     survival, max_new, later) = problem  # fmt: skip
    chosen = policy(
        AllocationProblem(
            pk=pk,
            feasible=feasible,
            engagement_cost=cost,
            capacity=capacity,
            threat_value=value,
            threat_cost=threat_cost,
            survival_in_flight=survival,
            max_new_shots=max_new,
            later_cost_per_kill=later,
        ),
        rng,
    )
    cu = np.asarray(chosen.unit, np.int64)
    ck = np.asarray(chosen.threat, np.int64)
    _check_assignment(cu, ck, feasible, capacity, max_new)
    order = np.lexsort((ck, cu))
    return cu[order], ck[order], units, threats, t_end, pk


def _check_assignment(cu, ck, feasible, capacity, max_new) -> None:
    """A policy's answer must respect feasibility, unit capacity and shots per threat."""
    if cu.size and not feasible[cu, ck].all():
        raise ValueError("allocation policy assigned an infeasible (unit, threat) pair")
    if np.any(np.bincount(cu, minlength=capacity.size) > capacity):
        raise ValueError("allocation policy exceeded a unit's capacity")
    if np.any(np.bincount(ck, minlength=max_new.size) > max_new):
        raise ValueError("allocation policy exceeded the shots allowed on a threat")
