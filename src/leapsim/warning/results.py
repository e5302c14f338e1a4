"""The results folder of ``leapsim warn run`` / ``leapsim warn plan`` (``docs/warning.md``,
"Results folder"); every file is written atomically.

* ``summary.json`` — kind ``warning``: the study, frame error, budget, W, the three placements
  (cost, planning share, the MILP's bound) and, per placement and incursion set, every measure
  with its 95 % CI, warning-time quantiles, and paired differences against the MILP placement;
* ``plan.json`` — the placements (items and sensors in WGS84), reused when the command resumes;
* ``runs.parquet`` — one row per (placement, incursion set, replication);
* ``drones.parquet`` — one row per drone of every replication;
* ``scenario.json`` — the protected sites, for the report's map;
* ``coverage.json`` — coverage maps of each placement and the border line.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import numpy as np

import leapsim
from leapsim.atomic import write_json_atomic
from leapsim.experiments import StudyResult, mean_ci
from leapsim.experiments.stats import NON_NEGATIVE, UNBOUNDED, UNIT_INTERVAL, Domain
from leapsim.experiments.store import write_table
from leapsim.warning.coverage import CoverageGrid
from leapsim.warning.model import WarningModel
from leapsim.warning.placement import Items, item_costs, item_nodes
from leapsim.warning.planning import Choice, PlanResult

#: Each measure of ``runs`` and the domain its 95 % interval stays in (docs/results.md).
MEASURES: dict[str, Domain] = {
    "share_warned": UNIT_INTERVAL,
    "p_detect": UNIT_INTERVAL,
    "warning_min": NON_NEGATIVE,
    "crossing_to_track_min": UNBOUNDED,  # negative: a track before the border crossing
    "p_classified": UNIT_INTERVAL,
    "false_tracks_per_day": NON_NEGATIVE,
    "false_alerts_per_day": NON_NEGATIVE,
}
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
HISTOGRAM_BIN_MIN = 5.0


def _lat_lon(model: WarningModel, xy: np.ndarray) -> list[list[float]]:
    ll = model.frame.to_latlon(np.asarray(xy, dtype=np.float64).reshape(-1, 2))
    return [[round(float(a), 5), round(float(b), 5)] for a, b in ll]


def items_document(model: WarningModel, items: Items) -> list[dict[str, Any]]:
    """Each item as JSON: option, cost, position (a fence: its stretch and spacing)."""
    cost = item_costs(model.options, items)
    nodes, owner = item_nodes(model, items)
    out = []
    for i in range(len(items)):
        doc: dict[str, Any] = {
            "option": model.options.names[int(items.option[i])],
            "cost_eur": float(cost[i]),
            "x_m": float(items.xy[i, 0]),
            "y_m": float(items.xy[i, 1]),
            "offset_m": None if np.isnan(items.offset_m[i]) else float(items.offset_m[i]),
        }
        if np.isfinite(items.spacing_m[i]):
            doc["stretch_m"] = [float(items.stretch[i, 0]), float(items.stretch[i, 1])]
            doc["spacing_m"] = float(items.spacing_m[i])
        doc["nodes"] = _lat_lon(model, nodes[owner == i])
        out.append(doc)
    return out


def items_from_document(model: WarningModel, docs: list[dict[str, Any]]) -> Items:
    """Items back from :func:`items_document` (for a resumed command)."""
    if not docs:
        return Items.empty()
    option = np.array([model.options.names.index(d["option"]) for d in docs], np.int64)
    stretch = np.array([d.get("stretch_m", [np.nan, np.nan]) for d in docs], float)
    return Items(
        option,
        np.array([[d["x_m"], d["y_m"]] for d in docs], float),
        stretch,
        np.array([np.nan if d["offset_m"] is None else d["offset_m"] for d in docs], float),
        np.array([d.get("spacing_m", np.nan) for d in docs], float),
    )


def choice_document(model: WarningModel, choice: Choice) -> dict[str, Any]:
    counts = np.bincount(choice.items.option, minlength=len(model.options))
    return {
        "cost_eur": choice.cost_eur,
        "cost_per_border_km_eur": choice.cost_eur / (model.border.length_m / 1e3),
        "planning_share": choice.share,
        "bound": choice.bound,
        "time_s": choice.time_s,
        "detail": choice.detail,
        "by_option": {n: int(c) for n, c in zip(model.options.names, counts, strict=True) if c},
        "items": items_document(model, choice.items),
    }


def plan_document(model: WarningModel, plan: PlanResult, key: str) -> dict[str, Any]:
    """``plan.json``: the placements and what the planning model says of them."""
    return {
        "key": key,
        "budget_eur": plan.budget_eur,
        "warning_min": plan.warning_min,
        "planning_drones": plan.drones,
        "coverable": plan.coverable,
        "candidates": plan.candidates,
        "coverage_time_s": plan.coverage_time_s,
        "option_kinds": {
            n: r["kind"] for n, r in zip(model.options.names, model.options.records, strict=True)
        },
        "methods": {m: choice_document(model, plan.choices[m]) for m in plan.choices},
    }


def _stats(values: np.ndarray, domain: Domain = UNBOUNDED) -> dict[str, Any]:
    return mean_ci(np.asarray(values, dtype=float), domain)


def warning_edges(results: list[StudyResult]) -> np.ndarray:
    """Shared histogram edges (minutes, :data:`HISTOGRAM_BIN_MIN` wide) for warning times."""
    top = max(
        (float(np.nanmax(r.tables["drones"]["warning_s"], initial=0.0)) for r in results),
        default=0.0,
    )
    bins = np.floor(top / 60.0 / HISTOGRAM_BIN_MIN) + 2
    return np.arange(0.0, bins * HISTOGRAM_BIN_MIN, HISTOGRAM_BIN_MIN)


def _warning_block(
    drones: dict[str, np.ndarray], warning_min: float, edges: np.ndarray
) -> dict[str, Any]:
    """Warning times (minutes) of the drones that reach a site: quantiles, the share with at
    least W, and the histogram on ``edges``."""
    w = drones["warning_s"] / 60.0
    w = w[np.isfinite(w)]
    if w.size == 0:
        return {"drones_reaching_sites": 0}
    counts, _ = np.histogram(w, bins=edges)
    return {
        "drones_reaching_sites": int(w.size),
        "quantiles_min": {f"p{round(100 * q)}": float(np.quantile(w, q)) for q in QUANTILES},
        "share_at_least_w": float((w >= warning_min).mean()),
        "histogram_min": {
            "edges": edges.tolist(),
            "counts": counts.tolist(),
            "n": int(w.size),
            "dropped": 0,
            "mean": float(w.mean()),
        },
    }


def measured_block(
    result: StudyResult, warning_min: float, edges: np.ndarray | None = None
) -> dict[str, Any]:
    """Every measure of one (placement, incursion set) with its 95 % CI over replications."""
    runs = result.tables["runs"]
    block = {name: _stats(runs[name], domain) for name, domain in MEASURES.items() if name in runs}
    block["drones_per_run"] = _stats(runs["drones"], NON_NEGATIVE)
    edges = warning_edges([result]) if edges is None else edges
    block["warning_time"] = _warning_block(result.tables["drones"], warning_min, edges)
    return block


def paired_block(a: StudyResult, b: StudyResult) -> dict[str, Any]:
    """Mean and 95 % CI of the per-replication difference a − b (common random numbers)."""
    ra, rb = a.tables["runs"], b.tables["runs"]
    return {name: _stats(ra[name] - rb[name]) for name in MEASURES if name in ra and name in rb}


def write_results(
    out: str | os.PathLike[str],
    model: WarningModel,
    plan_doc: dict[str, Any],
    results: dict[tuple[str, str], StudyResult],
    grids: dict[str, list[CoverageGrid]],
    frame: dict[str, float],
    runs: int,
    seed: int,
) -> dict[str, Any]:
    """Write the folder; return ``summary.json``'s document. ``results`` maps (placement
    method, incursion set) to its study result."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    write_json_atomic(folder / "plan.json", plan_doc)
    sets = list(dict.fromkeys(s for _, s in results))
    measured: dict[str, dict[str, Any]] = {}
    edges = {s: warning_edges([r for (_, n), r in results.items() if n == s]) for s in sets}
    for (method, name), result in results.items():
        measured.setdefault(method, {})[name] = measured_block(
            result, model.plan.warning_min, edges[name]
        )
    paired: dict[str, dict[str, Any]] = {}
    for other in ("uniform", "greedy"):
        if ("milp", sets[0]) in results and (other, sets[0]) in results:
            paired[f"milp-{other}"] = {
                s: paired_block(results["milp", s], results[other, s]) for s in sets
            }
    headline = measured.get("milp", {}).get(sets[0], {}) if sets else {}
    summary = {
        "kind": "warning",
        "leapsim_version": leapsim.__version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "study": {"name": model.name, "file": model.file},
        "runs": runs,
        "seed": seed,
        "border": {"name": model.border.name, "length_km": model.border.length_m / 1e3},
        "frame": {"lat0": model.frame.lat0, "lon0": model.frame.lon0, **frame},
        "budget_eur": plan_doc["budget_eur"],
        "warning_min": plan_doc["warning_min"],
        "sets": sets,
        "plan": {k: v for k, v in plan_doc.items() if k != "methods"}
        | {
            "methods": {
                m: {k: v for k, v in d.items() if k != "items"}
                for m, d in plan_doc["methods"].items()
            }
        },
        "metrics": {k: v for k, v in headline.items() if isinstance(v, dict) and "mean" in v},
        "measured": measured,
        "paired": paired,
    }
    tables: dict[str, list[dict[str, np.ndarray]]] = {"runs": [], "drones": []}
    for (method, name), result in results.items():
        for table in tables:
            t = result.tables[table]
            n = len(next(iter(t.values())))
            tables[table].append({"method": np.full(n, method), "set": np.full(n, name), **t})
    for table, parts in tables.items():
        if parts:
            merged = {
                c: np.concatenate([p.get(c, np.full(len(p["method"]), np.nan)) for p in parts])
                for c in _column_order(parts)
            }
            write_table(folder / f"{table}.parquet", merged)
    write_json_atomic(folder / "scenario.json", scenario_document(model))
    write_json_atomic(folder / "coverage.json", coverage_document(model, grids))
    write_json_atomic(folder / "summary.json", summary)
    return summary


def _column_order(parts: list[dict[str, np.ndarray]]) -> list[str]:
    order: list[str] = []
    for p in parts:
        order += [c for c in p if c not in order]
    return order


def scenario_document(model: WarningModel) -> dict[str, Any]:
    """What the report's base map draws: the protected sites (the placements are drawn as
    overlays of the coverage maps, one map per placement)."""
    sites = model.frame.to_latlon(model.sites.xy)
    return {
        "name": model.name,
        "description": "",
        "origin": {"lat": model.frame.lat0, "lon": model.frame.lon0},
        "sites": [
            {
                "name": n,
                "lat": float(p[0]),
                "lon": float(p[1]),
                "value_eur": 0.0,
                "nation": "",
                "kind": k,
                "radius_m": float(r),
            }
            for n, p, k, r in zip(
                model.sites.names, sites, model.sites.kinds, model.sites.radius_m, strict=True
            )
        ],
        "sensors": [],
        "fire_units": [],
        "raids": [],
    }


def coverage_document(model: WarningModel, grids: dict[str, list[CoverageGrid]]) -> dict[str, Any]:
    """The frame, the border line (WGS84) and each placement's coverage maps on the plane grid:
    ``x0_m``, ``y0_m``, ``spacing_m``, ``shape`` (rows, columns) and Pd in percent, row by row
    (row i at y0 + i·spacing, column j at x0 + j·spacing)."""
    out: dict[str, Any] = {
        "frame": {"lat0": model.frame.lat0, "lon0": model.frame.lon0},
        "border": _lat_lon(model, model.border.xy),
        "maps": {},
    }
    for method, maps in grids.items():
        out["maps"][method] = [
            {
                "altitude_m": g.altitude_m,
                "rcs_m2": g.rcs_m2,
                "emitting": g.emitting,
                "x0_m": float(g.x[0]),
                "y0_m": float(g.y[0]),
                "spacing_m": float(g.x[1] - g.x[0]) if g.x.size > 1 else 0.0,
                "shape": list(g.pd.shape),
                "pd_pct": np.round(100 * g.pd.ravel()).astype(int).tolist(),
            }
            for g in maps
        ]
    return out
