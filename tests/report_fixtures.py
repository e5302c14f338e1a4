"""Synthetic results folders in the layout of docs/results.md, for the report tests.

A toy model, not the engine: threats fly straight from launch through waypoints to a site; each
fire unit whose range ring a path crosses engages once, killing with a fixed probability. Runs
are independent draws of the same toy night; ``summary.json`` is computed from ``runs.parquet``
with the Student-t interval the contract prescribes, so the report can be checked against it.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import stats

ORIGIN = {"lat": 50.1, "lon": 22.0}
SITES = [
    {"name": "Jasionka airport", "lat": 50.11, "lon": 22.02, "value_eur": 2.0e8, "nation": "PL"},
    {"name": "Rzeszów power plant", "lat": 50.03, "lon": 21.98, "value_eur": 5.0e7, "nation": "PL"},
    {"name": "Przemyśl rail hub", "lat": 49.78, "lon": 22.77, "value_eur": 3.0e7, "nation": "PL"},
]
SENSORS = [
    {
        "name": "LR radar east",
        "type": "long_range_radar",
        "kind": "radar",
        "lat": 50.0,
        "lon": 22.4,
        "range_m": 150_000.0,
    },
    {
        "name": "acoustic 1",
        "type": "acoustic_node",
        "kind": "acoustic",
        "lat": 50.2,
        "lon": 23.1,
        "range_m": 5_000.0,
    },
]
FIRE_UNITS = [
    {
        "name": "IRIS-T SLM 1",
        "type": "iris_t_slm",
        "kind": "missile",
        "lat": 50.08,
        "lon": 22.1,
        "min_range_m": 1000.0,
        "max_range_m": 40_000.0,
        "nation": "PL",
    },
    {
        "name": "Gepard A",
        "type": "gepard_35mm",
        "kind": "gun",
        "lat": 50.15,
        "lon": 22.35,
        "min_range_m": 0.0,
        "max_range_m": 4_000.0,
        "nation": "DE",
    },
    {
        "name": "Gepard B",
        "type": "gepard_35mm",
        "kind": "gun",
        "lat": 49.83,
        "lon": 22.65,
        "min_range_m": 0.0,
        "max_range_m": 4_000.0,
        "nation": "DE",
    },
    {
        "name": "Sting team",
        "type": "interceptor_drone_sting",
        "kind": "interceptor_drone",
        "lat": 50.3,
        "lon": 22.8,
        "min_range_m": 0.0,
        "max_range_m": 12_000.0,
        "nation": "PL",
    },
]
THREATS = {  # name: (family, speed m/s, cost EUR, share of the raid)
    "shahed_136": ("drone", 50.0, 45_000.0, 0.7),
    "gerbera_decoy": ("decoy", 45.0, 10_000.0, 0.2),
    "kalibr": ("cruise_missile", 240.0, 6.0e6, 0.1),
}
EFFECTORS = {"iris_t_slm": 400_000.0, "gepard_35mm": 6_000.0, "interceptor_drone_sting": 2_300.0}
PK = {"iris_t_slm": 0.85, "gepard_35mm": 0.5, "interceptor_drone_sting": 0.6}
LAUNCH = {"shahed_136": (51.2, 24.6), "gerbera_decoy": (51.0, 24.9), "kalibr": (48.6, 24.2)}
WAYPOINT = {"shahed_136": (50.6, 23.4), "gerbera_decoy": (50.5, 23.6), "kalibr": (49.4, 23.0)}
M_PER_DEG = 111_320.0


def stat(values: np.ndarray) -> dict[str, float]:
    """Mean, Student-t 95 % interval, std, min, max: the contract's summary entry."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = x.size
    mean = float(x.mean())
    std = float(x.std(ddof=1)) if n > 1 else 0.0
    half = float(stats.t.ppf(0.975, n - 1)) * std / math.sqrt(n) if n > 1 else 0.0
    return {
        "mean": mean,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "std": std,
        "min": float(x.min()),
        "max": float(x.max()),
    }


def _dist_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    k = math.cos(math.radians(ORIGIN["lat"]))
    return math.hypot((a[0] - b[0]) * M_PER_DEG, (a[1] - b[1]) * M_PER_DEG * k)


def _raid_counts(threats: int) -> dict[str, int]:
    counts = {t: round(threats * share) for t, (_, _, _, share) in THREATS.items()}
    counts["shahed_136"] += threats - sum(counts.values())
    return counts


def scenario(threats: int) -> dict:
    counts = _raid_counts(threats)
    return {
        "name": "Synthetic Rzeszów night",
        "origin": ORIGIN,
        "duration_s": 28_800.0,
        "sites": SITES,
        "sensors": SENSORS,
        "fire_units": FIRE_UNITS,
        "raids": [
            {
                "threat": t,
                "family": THREATS[t][0],
                "count": counts[t],
                "launch": {"lat": LAUNCH[t][0], "lon": LAUNCH[t][1]},
                "targets": {SITES[0]["name"]: 2.0, SITES[2]["name"]: 1.0},
                "waypoints": [{"lat": WAYPOINT[t][0], "lon": WAYPOINT[t][1]}],
            }
            for t in THREATS
        ],
    }


def replay(
    threats: int, rng: np.random.Generator, points_per_leg: int = 20, jitter_m: float = 0.0
) -> dict:
    """One toy night in the replay.json layout; ``points_per_leg`` sets path density and
    ``jitter_m`` the std. dev. of a weave added to inner points (so paths do not simplify)."""
    names = list(THREATS)
    types, paths, ends, fates = [], [], [], []
    eng = {"unit": [], "threat": [], "t_start": [], "t_end": [], "outcome": []}
    for t_name, n in _raid_counts(threats).items():
        family, speed, _, _ = THREATS[t_name]
        for _ in range(n):
            idx = len(types)
            target = SITES[0] if rng.random() < 2 / 3 else SITES[2]
            legs = [LAUNCH[t_name], WAYPOINT[t_name], (target["lat"], target["lon"])]
            t0 = float(rng.uniform(0, 14_400))
            pts, t = [], t0
            for a, b in itertools.pairwise(legs):
                leg_t = _dist_m(a, b) / speed
                for f in np.linspace(0, 1, points_per_leg, endpoint=False):
                    pts.append(
                        [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), 1500.0, t + f * leg_t]
                    )
                t += leg_t
            pts.append([legs[-1][0], legs[-1][1], 0.0, t])
            if jitter_m:
                noise = rng.normal(0, jitter_m / M_PER_DEG, size=(len(pts) - 2, 2))
                pts = [
                    pts[0],
                    *(np.asarray(pts[1:-1]) + np.pad(noise, ((0, 0), (0, 2)))).tolist(),
                    pts[-1],
                ]
            end, fate = t, "leaked"
            for u, unit in enumerate(FIRE_UNITS):
                arr = np.asarray(pts)
                k = math.cos(math.radians(ORIGIN["lat"]))
                dist = M_PER_DEG * np.hypot(arr[:, 0] - unit["lat"], (arr[:, 1] - unit["lon"]) * k)
                inside = np.flatnonzero(dist <= unit["max_range_m"])
                if not inside.size:
                    continue
                ts = float(arr[inside[0], 3])
                if ts >= end:
                    continue
                te = ts + 20.0
                if fate == "killed":
                    outcome = "overtaken"
                elif (rng.random() < PK[unit["type"]] and family != "cruise_missile") or (
                    family == "cruise_missile" and unit["kind"] == "missile" and rng.random() < 0.7
                ):
                    outcome, fate, end = "kill", "killed", min(te, end)
                else:
                    outcome = "miss"
                for key, v in zip(eng, (u, idx, ts, te, outcome), strict=True):
                    eng[key].append(v)
            if end > 28_800.0:
                end, fate = 28_800.0, "airborne"
            types.append(names.index(t_name))
            paths.append(pts)
            ends.append(end)
            fates.append(fate)
    return {
        "run": 0,
        "duration_s": 28_800.0,
        "threat_types": names,
        "families": [THREATS[t][0] for t in names],
        "threats": {"type": types, "path": paths, "end_time_s": ends, "fate": fates},
        "engagements": eng,
    }


def runs_table(
    runs: int, threats: int, rng: np.random.Generator, kill_p: float
) -> dict[str, np.ndarray]:
    """Per-run totals with the contract's columns and identities
    (launched = killed + leaked + airborne)."""
    cols: dict[str, np.ndarray] = {"run": np.arange(runs)}
    counts = _raid_counts(threats)
    killed_t, leaked_t = {}, {}
    for t, n in counts.items():
        killed = rng.binomial(n, kill_p, size=runs)
        airborne = rng.binomial(n - killed, 0.02)
        killed_t[t], leaked_t[t] = killed, n - killed - airborne
        cols[f"launched.{t}"] = np.full(runs, n)
        cols[f"killed.{t}"] = killed
        cols[f"leaked.{t}"] = leaked_t[t]
    cols["launched"] = np.full(runs, threats)
    cols["killed"] = sum(killed_t.values())
    cols["leaked"] = sum(leaked_t.values())
    cols["airborne"] = cols["launched"] - cols["killed"] - cols["leaked"]
    shots = {e: rng.poisson(threats * 0.4, size=runs) for e in EFFECTORS}
    split = rng.dirichlet(np.ones(len(EFFECTORS)), size=runs)
    spend = np.zeros(runs)
    for j, (e, cost) in enumerate(EFFECTORS.items()):
        cols[f"shots.{e}"] = shots[e]
        cols[f"kills.{e}"] = np.round(cols["killed"] * split[:, j]).astype(int)
        cols[f"spend_eur.{e}"] = shots[e] * cost
        cols[f"rounds_left.{e}"] = np.maximum(0, 500 - shots[e])
        spend = spend + cols[f"spend_eur.{e}"]
    cols["shots"] = sum(shots.values())
    damage = 0.0
    for s in SITES:
        hits = rng.binomial(cols["leaked"], 0.3 if s is SITES[0] else 0.1)
        cols[f"value_lost_eur.{s['name']}"] = hits * 0.02 * s["value_eur"]
        damage = damage + cols[f"value_lost_eur.{s['name']}"]
    cols["value_lost_eur"] = damage
    cols["defender_spend_eur"] = spend
    cols["attacker_spend_eur"] = np.full(runs, sum(counts[t] * THREATS[t][2] for t in THREATS))
    cols["cost_exchange_ratio"] = spend / cols["attacker_spend_eur"]
    with np.errstate(divide="ignore", invalid="ignore"):
        cols["cost_per_kill_eur"] = np.where(cols["killed"] > 0, spend / cols["killed"], np.nan)
    cols["leak_rate"] = cols["leaked"] / cols["launched"]
    return cols


TOTALS = (
    "launched",
    "killed",
    "leaked",
    "airborne",
    "shots",
    "value_lost_eur",
    "defender_spend_eur",
    "attacker_spend_eur",
    "cost_exchange_ratio",
    "cost_per_kill_eur",
    "leak_rate",
)


def make_night_folder(
    path: Path,
    *,
    runs: int = 40,
    threats: int = 60,
    seed: int = 1,
    kill_p: float = 0.85,
    points_per_leg: int = 20,
    jitter_m: float = 0.0,
    policy: str = "cost_aware",
) -> Path:
    """Write a complete one-night results folder at ``path`` and return it."""
    rng = np.random.default_rng(seed)
    path.mkdir(parents=True, exist_ok=True)
    cols = runs_table(runs, threats, rng, kill_p)
    pq.write_table(pa.table(cols), path / "runs.parquet")
    summary = {
        "kind": "night",
        "leapsim_version": "0.1.0",
        "scenario": {"name": "Synthetic Rzeszów night", "file": "synthetic.yaml"},
        "runs": runs,
        "seed": seed,
        "policy": policy,
        "metrics": {k: stat(cols[k]) for k in TOTALS},
        "columns": {k: stat(v) for k, v in cols.items() if "." in k},
        "threat_types": list(THREATS),
        "effector_types": list(EFFECTORS),
        "sites": [s["name"] for s in SITES],
    }
    (path / "summary.json").write_text(json.dumps(summary, indent=2))
    (path / "scenario.json").write_text(json.dumps(scenario(threats)))
    (path / "replay.json").write_text(json.dumps(replay(threats, rng, points_per_leg, jitter_m)))
    return path


def make_campaign_folder(path: Path, *, runs: int = 30, nights: int = 20, seed: int = 2) -> Path:
    """Write a campaign results folder: stocks run down, leakage grows once a layer is empty."""
    rng = np.random.default_rng(seed)
    path.mkdir(parents=True, exist_ok=True)
    stock0 = {"iris_t_slm": 120.0, "gepard_35mm": 4000.0, "interceptor_drone_sting": 600.0}
    delivery = {"iris_t_slm": 4.0, "gepard_35mm": 100.0, "interceptor_drone_sting": 40.0}
    need = {"iris_t_slm": 12.0, "gepard_35mm": 250.0, "interceptor_drone_sting": 70.0}
    rows: dict[str, list[float]] = {
        k: []
        for k in (
            "run",
            "night",
            "raid_size",
            "launched.drone",
            "launched.cruise_missile",
            "leaked",
            "killed",
            "value_lost_eur",
            "defender_spend_eur",
            "attacker_spend_eur",
            *(f"{p}.{m}" for m in stock0 for p in ("stock", "delivered", "fired")),
        )
    }
    exhausted = {m: [] for m in stock0}
    threshold = []
    for r in range(runs):
        stock = dict(stock0)
        first_empty = {m: float(nights + 1) for m in stock0}
        crossed = float(nights + 1)
        for n in range(1, nights + 1):
            raid = int(rng.poisson(150))
            cruise = int(rng.poisson(6))
            cover = 0.0
            spend = 0.0
            for m in stock0:
                fired = min(stock[m], rng.poisson(need[m]))
                delivered = rng.poisson(delivery[m])
                stock[m] = stock[m] - fired + delivered
                cover += fired / need[m] / len(stock0)
                spend += fired * EFFECTORS[m]
                rows[f"stock.{m}"].append(stock[m])
                rows[f"delivered.{m}"].append(delivered)
                rows[f"fired.{m}"].append(fired)
                if stock[m] < need[m] and first_empty[m] > nights:
                    first_empty[m] = float(n)
            leaked = int(rng.binomial(raid + cruise, max(0.02, 0.35 * (1 - cover))))
            if leaked > 0.1 * (raid + cruise) and crossed > nights:
                crossed = float(n)
            for k, v in (
                ("run", r),
                ("night", n),
                ("raid_size", raid + cruise),
                ("launched.drone", raid),
                ("launched.cruise_missile", cruise),
                ("leaked", leaked),
                ("killed", raid + cruise - leaked),
                ("value_lost_eur", leaked * 1.5e6),
                ("defender_spend_eur", spend),
                ("attacker_spend_eur", raid * 45_000.0 + cruise * 6e6),
            ):
                rows[k].append(v)
        for m in stock0:
            exhausted[m].append(first_empty[m])
        threshold.append(crossed)
    table = {k: np.asarray(v) for k, v in rows.items()}
    pq.write_table(pa.table(table), path / "nights.parquet")
    grid = {k: v.reshape(runs, nights) for k, v in table.items()}
    totals = {
        k: grid[k].sum(axis=1)
        for k in ("leaked", "killed", "value_lost_eur", "defender_spend_eur", "attacker_spend_eur")
    }
    totals["cost_exchange_ratio"] = totals["defender_spend_eur"] / totals["attacker_spend_eur"]
    per_night = {}
    for k, v in grid.items():
        if k in ("run", "night"):
            continue
        s = [stat(v[:, j]) for j in range(nights)]
        per_night[k] = {key: [x[key] for x in s] for key in ("mean", "ci_low", "ci_high")}
    summary = {
        "kind": "campaign",
        "leapsim_version": "0.1.0",
        "scenario": {"name": "Synthetic 20-night campaign", "file": "synthetic_campaign.yaml"},
        "runs": runs,
        "nights": nights,
        "seed": seed,
        "policy": "cost_aware",
        "metrics": {k: stat(v) for k, v in totals.items()},
        "horizon": {
            "layer_exhausted": {m: stat(np.asarray(v)) for m, v in exhausted.items()},
            "leakage_threshold": stat(np.asarray(threshold)),
        },
        "per_night": per_night,
    }
    (path / "summary.json").write_text(json.dumps(summary, indent=2))
    (path / "scenario.json").write_text(json.dumps(scenario(150)))
    return path
