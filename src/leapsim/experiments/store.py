"""The results folder of a study (format: ``docs/results.md``), every file written atomically."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import leapsim
from leapsim.atomic import write_json_atomic, write_with_atomic
from leapsim.engine import TOTAL_METRICS, NightParams
from leapsim.engine.params import EFFECTOR_KINDS, expand_placement
from leapsim.experiments.stats import mean_ci, metric_domain
from leapsim.experiments.study import StudyResult
from leapsim.scenario import ResolvedScenario
from leapsim.scenario.models import THREAT_FAMILIES


def write_table(path: str | os.PathLike[str], columns: dict[str, np.ndarray]) -> None:
    """Write columns to Parquet atomically."""
    table = pa.table({k: pa.array(np.asarray(v)) for k, v in columns.items()})
    write_with_atomic(path, lambda tmp: pq.write_table(table, tmp))


def read_table(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a Parquet file written by :func:`write_table` into numpy columns."""
    table = pq.read_table(path)
    return {name: table.column(name).to_numpy() for name in table.column_names}


def night_summary(result: StudyResult, scenario_file: str) -> dict[str, Any]:
    """The ``summary.json`` document of a one-night study (of a ``NightTask``)."""
    params = result.study.task.params
    columns = {k: v for k, v in result.tables["runs"].items() if k != "run"}
    return {
        "kind": "night",
        "leapsim_version": leapsim.__version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scenario": {"name": params.name, "file": scenario_file},
        "runs": result.runs,
        "seed": result.seed,
        "policy": params.doctrine.policy,
        "metrics": {name: mean_ci(columns[name], metric_domain(name)) for name in TOTAL_METRICS},
        "columns": {
            name: mean_ci(v, metric_domain(name))
            for name, v in columns.items()
            if name not in TOTAL_METRICS
        },
        "threat_types": list(params.threat_types.names),
        "effector_types": list(params.effector_types.names),
        "sites": list(params.site_names),
    }


def scenario_geometry(resolved: ResolvedScenario, params: NightParams) -> dict[str, Any]:
    """The ``scenario.json`` document: what the report's map draws, in WGS84."""
    sc, cat = resolved.scenario, resolved.catalogue
    frame = params.frame
    et = params.effector_types
    units = []
    for placement in sc.fire_units:
        etype = cat.effector_types[placement.type]
        for name, lat, lon in expand_placement(placement):
            units.append(
                {
                    "name": name,
                    "type": placement.type,
                    "kind": etype.kind,
                    "lat": lat,
                    "lon": lon,
                    "min_range_m": etype.min_range_m,
                    "max_range_m": etype.max_range_m,
                    "nation": placement.nation,
                }
            )
    sensors = []
    for placement in sc.sensors:
        stype = cat.sensor_types[placement.type]
        for name, lat, lon in expand_placement(placement):
            sensors.append(
                {
                    "name": name,
                    "type": placement.type,
                    "kind": stype.kind,
                    "lat": lat,
                    "lon": lon,
                    "range_m": stype.detection_range_m,
                }
            )
    raids = []
    for i, raid in enumerate(sc.raids):
        launch = frame.to_geodetic(np.array([*params.raids.launch_xy[i], 0.0]))
        weights = params.raids.target_weights[i]
        raids.append(
            {
                "threat": raid.threat,
                "family": cat.threat_types[raid.threat].family,
                "count": raid.count,
                "launch": {"lat": float(launch[0]), "lon": float(launch[1])},
                "targets": {params.site_names[m]: float(w) for m, w in enumerate(weights) if w > 0},
                "waypoints": [{"lat": w.lat, "lon": w.lon} for w in raid.waypoints],
                "start_s": raid.start_s,
                "spread_s": raid.spread_s,
            }
        )
    return {
        "name": sc.name,
        "description": sc.description,
        "origin": {"lat": params.origin_lat, "lon": params.origin_lon},
        "duration_s": sc.duration_s,
        "families": list(THREAT_FAMILIES),
        "sites": [
            {
                "name": s.name,
                "lat": s.lat,
                "lon": s.lon,
                "value_eur": s.value_eur,
                "nation": s.nation,
            }
            for s in sc.sites
        ],
        "sensors": sensors,
        "fire_units": units,
        "raids": raids,
        "effector_types": {
            name: {
                "kind": EFFECTOR_KINDS[et.kind[i]],
                "cost_per_round_eur": float(et.cost_per_round_eur[i]),
            }
            for i, name in enumerate(et.names)
        },
    }


def write_night_results(
    out_dir: str | os.PathLike[str], result: StudyResult, resolved: ResolvedScenario
) -> dict[str, Any]:
    """Write runs.parquet, summary.json, scenario.json, replay.json (and events.parquet) of a
    one-night study (of a ``NightTask``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_table(out / "runs.parquet", result.tables["runs"])
    if "events" in result.tables:
        write_table(out / "events.parquet", result.tables["events"])
    else:  # never leave an earlier study's event log beside these results
        (out / "events.parquet").unlink(missing_ok=True)
    write_json_atomic(out / "scenario.json", scenario_geometry(resolved, result.study.task.params))
    write_json_atomic(out / "replay.json", result.documents["replay"][0])
    summary = night_summary(result, resolved.file)
    write_json_atomic(out / "summary.json", summary)
    return summary
