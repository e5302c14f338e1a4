"""Replaying reported nights through a scenario: the reported launches, not sampled raids.

A night of the reports (:func:`leapsim.threats.group_nights`, the evening's date) becomes the
scenario's raid counts through the scenario's ``replay`` streams: each stream gathers the
night's launches of some weapon components (:mod:`leapsim.threats.outcomes`) and spreads them
over its raids by weight (a multinomial draw per run). The Shahed-type stream carries drones and
decoys together, as the reports count them; its ``decoy_raids`` take the decoys: the reported
number where every Shahed row of the night gives ``is_shahed`` (from July 2025), else a draw
from the threat model's decoy share (beta-binomial, ``docs/threat_model.md``). The defence is
the scenario's timeline on that night (:func:`leapsim.scenario.timeline.scenario_on`); the
parameters, when given, are written into the catalogue
(:func:`leapsim.scenario.parameters.with_parameters`).

One replication simulates one night once and returns, per outcome family, the threats launched
and neutralised (killed by any effector, jamming included; a leaker or a threat still airborne
at the end of the 24-hour night is not neutralised), plus the Shahed-type threats defeated by
jamming (the model's counterpart of the reports' "locationally lost").
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import numpy as np

from leapsim.engine import NightParams, compile_scenario, simulate_night
from leapsim.engine.codes import KILL, KILLED, NOT_LAUNCHED
from leapsim.engine.params import EFFECTOR_KINDS, FAMILY_CODE
from leapsim.errors import InputError
from leapsim.scenario import ResolvedScenario
from leapsim.scenario.parameters import with_parameters
from leapsim.scenario.timeline import scenario_on, timeline_state
from leapsim.threats import load_default_threat_model
from leapsim.threats.families import COMPONENT_TABLE
from leapsim.threats.outcomes import OUTCOME_FAMILIES, ReportedNights

#: Columns of one replication's result: per family launched, then neutralised, then jammed.
RESULT_COLUMNS = (
    *(f"launched.{f}" for f in OUTCOME_FAMILIES),
    *(f"neutralised.{f}" for f in OUTCOME_FAMILIES),
    "jammed.drone",
)
_ENGINE_FAMILY = {
    "drone": [FAMILY_CODE["drone"], FAMILY_CODE["decoy"]],
    "cruise_missile": [FAMILY_CODE["cruise_missile"]],
    "ballistic_missile": [FAMILY_CODE["ballistic_missile"]],
}
_EW = EFFECTOR_KINDS.index("ew")


@dataclass(frozen=True)
class Stream:
    raids: np.ndarray  # raid indices
    weights: np.ndarray  # normalised
    decoy_raids: np.ndarray
    decoy_weights: np.ndarray


@dataclass(frozen=True)
class ReplayPlan:
    """Everything a worker needs to replay the nights of a window (picklable)."""

    resolved: ResolvedScenario
    nights: np.ndarray  # datetime64[D]
    state: np.ndarray  # (N,) timeline state of each night
    state_date: tuple[dt.date, ...]  # a night of each state (for the timeline)
    streams: tuple[Stream, ...]
    stream_launches: np.ndarray  # (N, S) launches per stream and night
    decoys: np.ndarray  # (N,) reported decoys among the Shahed-type launches
    decoys_known: np.ndarray  # (N,) bool
    decoy_mean: float
    decoy_concentration: float
    launched: np.ndarray  # (N, F) reported launches per outcome family
    neutralised: np.ndarray  # (N, F) reported neutralised (where known)
    lost: np.ndarray  # (N,) reported drones "locationally lost" (not_reach_goal)
    known: np.ndarray  # (N, F) bool: outcome reported
    key: str  # identity of the scenario (compiled defences are cached under it)

    @property
    def n_nights(self) -> int:
        return int(self.nights.size)


def _stream_of_component(resolved: ResolvedScenario) -> dict[str, int]:
    replay = resolved.scenario.replay
    assert replay is not None
    return {c.casefold(): i for i, s in enumerate(replay.streams) for c in s.components}


def build_plan(resolved: ResolvedScenario, reported: ReportedNights) -> ReplayPlan:
    """The replay of ``reported``'s nights through ``resolved``; :class:`InputError` when the
    scenario has no ``replay`` section or leaves a reported weapon of a family unmapped."""
    scenario = resolved.scenario
    if scenario.replay is None:
        raise InputError.at(
            f"scenario {scenario.name!r} has no replay section",
            file=resolved.file,
            field="replay",
            hint="add replay: {streams: [{components: [...], raids: {RAID: weight}}]} "
            "(docs/validation.md)",
        )
    raid_index = {r.name: i for i, r in enumerate(scenario.raids) if r.name}
    streams = []
    for stream in scenario.replay.streams:
        idx = np.array([raid_index[n] for n in stream.raids], np.int64)
        w = np.array(list(stream.raids.values()), float)
        didx = np.array([raid_index[n] for n in stream.decoy_raids], np.int64)
        dw = np.array(list(stream.decoy_raids.values()), float)
        streams.append(Stream(idx, w / w.sum(), didx, dw / dw.sum() if dw.size else dw))
    n = reported.nights.size
    of_component = _stream_of_component(resolved)
    launches = np.zeros((n, len(streams)), np.int64)
    unmapped = []
    family_of = {k.casefold(): v.family for k, v in COMPONENT_TABLE.items()}
    for component, counts in reported.components.items():
        family = family_of.get(component, "other")
        family = "drone" if family == "decoy" else family
        if component in of_component:
            launches[:, of_component[component]] += counts
        elif family in OUTCOME_FAMILIES and counts.sum() > 0:
            unmapped.append(f"{component} ({family}, {int(counts.sum())} launched)")
    if unmapped:
        raise InputError.at(
            f"the reports name weapons the scenario's replay does not map: {', '.join(unmapped)}",
            file=resolved.file,
            field="replay.streams",
            hint="add these report weapon names to a stream's components",
        )
    state = timeline_state(scenario, reported.nights)
    first = [int(np.flatnonzero(state == s)[0]) for s in range(int(state.max()) + 1)
             if np.any(state == s)]  # fmt: skip
    state_date = {int(state[i]): reported.nights[i].astype(dt.date) for i in first}
    dense = {s: k for k, s in enumerate(sorted(state_date))}
    table = reported.table
    decoy = load_default_threat_model().decoy
    fam = reported.families
    return ReplayPlan(
        resolved=resolved,
        nights=reported.nights,
        state=np.array([dense[int(s)] for s in state], np.int64),
        state_date=tuple(state_date[s] for s in sorted(state_date)),
        streams=tuple(streams),
        stream_launches=launches,
        decoys=table.decoys,
        decoys_known=table.decoys_known,
        decoy_mean=float(decoy.mean),
        decoy_concentration=float(decoy.concentration),
        launched=np.column_stack([fam[f].launched for f in OUTCOME_FAMILIES]),
        neutralised=np.column_stack([fam[f].neutralised for f in OUTCOME_FAMILIES]),
        lost=fam["drone"].lost,
        known=np.column_stack([fam[f].known for f in OUTCOME_FAMILIES]),
        key=hashlib.sha256(scenario.model_dump_json().encode()).hexdigest(),
    )


_COMPILED: dict[tuple, NightParams] = {}
_CACHE_SIZE = 64


def night_params(plan: ReplayPlan, night: int, values: tuple[float, ...] = ()) -> NightParams:
    """The compiled defence of a night (its timeline state) with parameter ``values``; cached per
    process, so the workers of a study compile each defence once."""
    date = plan.state_date[plan.state[night]]
    key = (plan.key, date, tuple(values))
    params = _COMPILED.get(key)
    if params is None:
        scenario = scenario_on(plan.resolved, date)
        if values:
            scenario = with_parameters(scenario, values)
        params = compile_scenario(scenario)
        if len(_COMPILED) >= _CACHE_SIZE:
            _COMPILED.pop(next(iter(_COMPILED)))
        _COMPILED[key] = params
    return params


def raid_counts(plan: ReplayPlan, night: int, n_raids: int, rng: np.random.Generator) -> np.ndarray:
    """The scenario's raid counts for one replay of a night (multinomial over each stream)."""
    counts = np.zeros(n_raids, np.int64)
    for s, stream in enumerate(plan.streams):
        total = int(plan.stream_launches[night, s])
        decoys = 0
        if stream.decoy_raids.size and total:
            if plan.decoys_known[night]:
                decoys = min(int(plan.decoys[night]), total)
            else:
                m, k = plan.decoy_mean, plan.decoy_concentration
                decoys = int(rng.binomial(total, rng.beta(m * k, (1.0 - m) * k)))
            np.add.at(counts, stream.decoy_raids, rng.multinomial(decoys, stream.decoy_weights))
        np.add.at(counts, stream.raids, rng.multinomial(total - decoys, stream.weights))
    return counts


def replay_night(
    plan: ReplayPlan, night: int, rng: np.random.Generator, values: tuple[float, ...] = ()
) -> np.ndarray:
    """One replay of a night: the :data:`RESULT_COLUMNS` as an int64 array."""
    params = night_params(plan, night, values)
    params = params.with_raid_counts(raid_counts(plan, night, params.raids.count.size, rng))
    outcome = simulate_night(params, rng)
    n_real = outcome.raid.n_real
    family = outcome.raid.family[:n_real]
    fate = outcome.fate[:n_real]
    launched = fate != NOT_LAUNCHED
    killed = fate == KILLED
    eng = outcome.engagements
    jam_kill = (eng["outcome"] == KILL) & (
        params.effector_types.kind[params.unit_type[eng["unit"]]] == _EW
    )
    jam_kill &= eng["threat"] < n_real
    jammed_drone = np.isin(family[eng["threat"][jam_kill]], _ENGINE_FAMILY["drone"]).sum()
    out = []
    for what in (launched, killed):
        out += [int((what & np.isin(family, _ENGINE_FAMILY[f])).sum()) for f in OUTCOME_FAMILIES]
    return np.array([*out, int(jammed_drone)], np.int64)
