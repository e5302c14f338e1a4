"""Views of one night for people: a replay (paths and engagements in WGS84) and an event log.

In tracked sensing the false tracks (targets from ``raid.n_real`` on) are kept apart: the replay
lists them, and the engagements on them, under ``false_tracks``; in the event log they are the
targets whose ``threat`` index is at least the number of real threats, and each gets a
``false_track`` event when it is first confirmed.
"""

from __future__ import annotations

import numpy as np

from leapsim.engine.codes import FATES, LEAKED, NOT_LAUNCHED, OUTCOMES, UNRESOLVED
from leapsim.engine.kinematics import position_at_arc
from leapsim.engine.night import NightOutcome
from leapsim.scenario.models import THREAT_FAMILIES

EVENT_KINDS = (
    "launch", "detect", "engage", "kill", "miss", "overtaken", "leak", "reload", "false_track",
)  # fmt: skip


def replay(outcome: NightOutcome, run: int = 0) -> dict:
    """The ``replay.json`` document of one night (format in ``docs/results.md``)."""
    params, raid = outcome.params, outcome.raid
    n = raid.n_real
    eng = outcome.engagements
    real = eng["threat"] < n
    doc = {
        "run": run,
        "duration_s": params.duration_s,
        "threat_types": list(params.threat_types.names),
        "families": [THREAT_FAMILIES[f] for f in params.threat_types.family],
        "threats": {
            "type": raid.type[:n].tolist(),
            "path": _paths(outcome, range(n)),
            "end_time_s": [None if np.isnan(x) else round(float(x), 1) for x in outcome.end_s[:n]],
            "fate": [FATES[f] for f in outcome.fate[:n]],
        },
        "engagements": _engagements(eng, real, "threat", 0),
    }
    if params.sensing_mode == "tracked":
        doc["false_tracks"] = {
            "path": _paths(outcome, range(n, raid.n)),
            "end_time_s": [round(float(x), 1) for x in raid.paths.arrival_s[n:]],
            "engagements": _engagements(eng, ~real, "false_track", n),
        }
    return doc


def _engagements(eng: dict[str, np.ndarray], rows: np.ndarray, key: str, offset: int) -> dict:
    return {
        "unit": eng["unit"][rows].tolist(),
        key: (eng["threat"][rows] - offset).tolist(),
        "t_start": np.round(eng["t_start"][rows], 1).tolist(),
        "t_end": np.round(eng["t_end"][rows], 1).tolist(),
        "outcome": [OUTCOMES[o] for o in eng["outcome"][rows]],
    }


def _paths(outcome: NightOutcome, targets: range) -> list[list[list[float]]]:
    """``[lat, lon, altitude_m, time_s]`` points of each target's path from launch to its end."""
    paths = outcome.raid.paths
    frame = outcome.params.frame
    # keep distinct points only (padding repeats the target); ballistic arcs get 8 legs
    threat_paths = []
    for i in targets:
        cum = paths.cumulative_m[i]
        keep = np.concatenate([[True], np.diff(cum) > 0])
        arcs = cum[keep]
        if paths.ballistic[i]:
            arcs = np.linspace(0.0, paths.length_m[i], 9)
        xyz = position_at_arc(paths, np.full(arcs.size, i), arcs)
        geo = frame.to_geodetic(np.column_stack([xyz[:, 0], xyz[:, 1], np.zeros(arcs.size)]))
        times = paths.launch_s[i] + arcs / paths.speed_mps[i]
        threat_paths.append(
            [
                [round(float(a), 5), round(float(b), 5), round(float(h), 1), round(float(t), 1)]
                for a, b, h, t in zip(geo[:, 0], geo[:, 1], xyz[:, 2], times, strict=True)
            ]
        )
    return threat_paths


def event_log(outcome: NightOutcome, run: int = 0) -> dict[str, np.ndarray]:
    """Every event of the night as columns ``run, time_s, kind, threat, unit, outcome, cost_eur``
    (``threat``/``unit`` are −1 where they do not apply), sorted by time."""
    raid = outcome.raid
    eng = outcome.engagements
    fate = outcome.fate
    real = np.arange(raid.n) < raid.n_real
    launched = np.flatnonzero(real & (fate != NOT_LAUNCHED))
    detected = np.flatnonzero(real & np.isfinite(outcome.detect_s) & (fate != NOT_LAUNCHED))
    leaked = np.flatnonzero(fate == LEAKED)
    false_tracks = np.flatnonzero(~real)
    resolved = eng["outcome"] != UNRESOLVED
    outcome_kind = np.array([EVENT_KINDS.index(name) for name in OUTCOMES[:UNRESOLVED]])
    kind = EVENT_KINDS.index
    parts = [
        (raid.paths.launch_s[launched], kind("launch"), launched, -1, 0.0),
        (outcome.detect_s[detected], kind("detect"), detected, -1, 0.0),
        (eng["t_start"], kind("engage"), eng["threat"], eng["unit"], eng["cost"]),
        (
            eng["t_end"][resolved],
            outcome_kind[eng["outcome"][resolved]],
            eng["threat"][resolved],
            eng["unit"][resolved],
            0.0,
        ),
        (raid.paths.arrival_s[leaked], kind("leak"), leaked, -1, 0.0),
        (outcome.reloads["t_start"], kind("reload"), -1, outcome.reloads["unit"], 0.0),
        (raid.paths.launch_s[false_tracks], kind("false_track"), false_tracks, -1, 0.0),
    ]
    cols: dict[str, list[np.ndarray]] = {
        k: [] for k in ("time_s", "kind", "threat", "unit", "cost_eur")
    }
    for time_s, kind, threat, unit, cost in parts:
        m = np.asarray(time_s).size
        cols["time_s"].append(np.asarray(time_s, float))
        cols["kind"].append(np.broadcast_to(np.asarray(kind, np.int64), (m,)))
        cols["threat"].append(np.broadcast_to(np.asarray(threat, np.int64), (m,)))
        cols["unit"].append(np.broadcast_to(np.asarray(unit, np.int64), (m,)))
        cols["cost_eur"].append(np.broadcast_to(np.asarray(cost, float), (m,)))
    out = {k: np.concatenate(v) for k, v in cols.items()}
    order = np.argsort(out["time_s"], kind="stable")
    out = {k: v[order] for k, v in out.items()}
    out["run"] = np.full(order.size, run, np.int64)
    out["threat_type"] = np.where(out["threat"] >= 0, raid.type[np.maximum(out["threat"], 0)], -1)
    return out
