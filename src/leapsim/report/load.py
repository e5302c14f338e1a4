"""Read and check a results folder (layout in ``docs/results.md``) for the report.

Every problem is an :class:`~leapsim.errors.InputError` naming the file and field, so that
``leapsim report`` exits 2 with a message instead of a traceback.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from leapsim.atomic import json_safe
from leapsim.engine.codes import FATES, OUTCOMES
from leapsim.errors import InputError

STAT_KEYS = ("mean", "ci_low", "ci_high")
VALIDATION_KINDS = ("hindcast", "calibration")  # leapsim hindcast / calibrate (validation.md)
KINDS = ("night", "campaign", *VALIDATION_KINDS)
HORIZON_EVENTS = ("leakage_threshold", "sustainability")  # campaign summary.json "horizon"
HINDCAST_COLUMNS = (
    "night",
    "family",
    "launched",
    "neutralised_reported",
    "neutralised_sim_mean",
    "neutralised_sim_p05",
    "neutralised_sim_p95",
)
#: Folders of the decision layers (plan search, requirements, coalitions, early warning): a
#: summary.json of their own (docs/plan.md, docs/procurement.md, docs/warning.md), a
#: scenario.json for the map (plan, warning), no runs.
DECISION_KINDS = ("plan", "requirements", "coalition", "warning")


@dataclass(frozen=True)
class ResultFolder:
    """One results folder: the parsed files the report needs."""

    path: Path
    kind: str  # "night", "campaign", VALIDATION_KINDS, or a decision layer's (DECISION_KINDS)
    summary: dict[str, Any]
    scenario: dict[str, Any]
    replay: dict[str, Any] | None
    runs: dict[str, np.ndarray] | None  # runs.parquet columns (night)
    nights: dict[str, np.ndarray] | None  # nights.parquet columns (campaign, hindcast)
    calibration: dict[str, Any] | None = None  # calibration.json (calibration)


def read_json(path: Path) -> Any:
    """Parse a JSON file (NaN/Infinity tolerated and turned into ``None``)."""
    if not path.is_file():
        raise InputError.at(
            "file not found",
            file=str(path),
            hint="a results folder written by `leapsim run` or `leapsim campaign` holds it",
        )
    try:
        return json_safe(json.loads(path.read_text(encoding="utf-8")))
    except json.JSONDecodeError as exc:
        raise InputError.at(
            f"not valid JSON: {exc.msg}",
            file=str(path),
            line=exc.lineno,
            hint="re-run to rewrite it",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.at(f"cannot read: {exc}", file=str(path)) from None
    except ValueError:  # a whole number past Python's limit on digits
        raise InputError.at(
            f"a number with more than {sys.get_int_max_str_digits():,} digits",
            file=str(path),
            hint="re-run to rewrite it",
        ) from None
    except RecursionError:
        raise InputError.at(
            "lists or objects nested too deeply", file=str(path), hint="re-run to rewrite it"
        ) from None


def _need(obj: Any, key: str, kind: type | tuple[type, ...], file: Path, where: str) -> Any:
    """``obj[key]`` checked to be of ``kind``; else an error naming ``where.key``."""
    field = f"{where}.{key}" if where else key
    if not isinstance(obj, dict) or key not in obj:
        raise InputError.at("missing", file=str(file), field=field, hint="see docs/results.md")
    value = obj[key]
    if kind is float:
        kind = (int, float)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise InputError.at(
            f"expected {getattr(kind, '__name__', 'a number')}, got {type(value).__name__}",
            file=str(file),
            field=field,
        )
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_numbers(values: Any, file: Path, field: str, *, nullable: bool = True) -> None:
    """``values`` is a list of numbers (or nulls, where NaN was written)."""
    if not isinstance(values, list):
        raise InputError.at("expected a list", file=str(file), field=field)
    for i, value in enumerate(values):
        if not (_is_number(value) or (nullable and value is None)):
            raise InputError.at("expected a number", file=str(file), field=f"{field}[{i}]")


def _optional(obj: dict, key: str, kind: type, file: Path, where: str) -> None:
    """``obj[key]``, where given and not null, is of ``kind``."""
    if obj.get(key) is not None:
        _need(obj, key, kind, file, where)


def _check_stats(block: Any, file: Path, where: str) -> None:
    """Each entry of a ``metrics``/``columns`` block has mean and CI, and every statistic it
    holds (mean, CI, std, min, max, …) is a number or null."""
    if not isinstance(block, dict):
        raise InputError.at("expected an object", file=str(file), field=where)
    for name, stats in block.items():
        if not isinstance(stats, dict):
            raise InputError.at("expected an object", file=str(file), field=f"{where}.{name}")
        for key in STAT_KEYS:
            if key not in stats:
                raise InputError.at("missing", file=str(file), field=f"{where}.{name}.{key}")
        for key, value in stats.items():
            if value is not None and not _is_number(value):
                raise InputError.at(
                    "expected a number", file=str(file), field=f"{where}.{name}.{key}"
                )


def _check_summary(summary: Any, file: Path) -> str:
    if not isinstance(summary, dict):
        raise InputError.at("expected a JSON object", file=str(file))
    kind = _need(summary, "kind", str, file, "")
    if kind not in KINDS:
        raise InputError.at(
            f"unknown kind {kind!r}",
            file=str(file),
            field="kind",
            hint=f"expected one of {', '.join(KINDS)}",
        )
    _optional(summary, "scenario", dict, file, "")
    _optional(summary.get("scenario") or {}, "name", str, file, "scenario")
    runs = _need(summary, "runs", int, file, "")
    if runs < 1:
        raise InputError.at("must be at least 1", file=str(file), field="runs")
    if kind in VALIDATION_KINDS:
        _need(summary, "families" if kind == "hindcast" else "parameters", dict, file, "")
        return kind
    _check_stats(_need(summary, "metrics", dict, file, ""), file, "metrics")
    if "columns" in summary:
        _check_stats(summary["columns"], file, "columns")
    if kind == "campaign":
        nights = _need(summary, "nights", int, file, "")
        _check_horizon(summary.get("horizon"), file)
        per_night = summary.get("per_night", {})
        if not isinstance(per_night, dict):
            raise InputError.at("expected an object", file=str(file), field="per_night")
        for name, series in per_night.items():
            for key in STAT_KEYS:
                values = _need(series, key, list, file, f"per_night.{name}")
                if len(values) != nights:
                    raise InputError.at(
                        f"has {len(values)} entries for {nights} nights",
                        file=str(file),
                        field=f"per_night.{name}.{key}",
                    )
    return kind


def _check_horizon(horizon: Any, file: Path) -> None:
    """A campaign's ``horizon``: statistics of the night each event first happens, one per
    event, one per munition under ``layer_exhausted``, and the leak-rate threshold."""
    if horizon is None:
        return
    if not isinstance(horizon, dict):
        raise InputError.at("expected an object", file=str(file), field="horizon")
    events = {name: horizon[name] for name in HORIZON_EVENTS if name in horizon}
    _check_stats(events, file, "horizon")
    if "layer_exhausted" in horizon:
        _check_stats(horizon["layer_exhausted"], file, "horizon.layer_exhausted")
    _optional(horizon, "leak_rate_threshold", float, file, "horizon")


def _check_point(obj: Any, file: Path, where: str) -> None:
    lat = _need(obj, "lat", float, file, where)
    lon = _need(obj, "lon", float, file, where)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InputError.at(f"({lat}, {lon}) is not a WGS84 position", file=str(file), field=where)


def _check_scenario(scenario: Any, file: Path) -> None:
    if not isinstance(scenario, dict):
        raise InputError.at("expected a JSON object", file=str(file))
    _optional(scenario, "name", str, file, "")
    if scenario.get("origin") is not None:
        _check_point(scenario["origin"], file, "origin")
    for group in ("sites", "sensors", "fire_units", "raids"):
        items = scenario.get(group, [])
        if not isinstance(items, list):
            raise InputError.at("expected a list", file=str(file), field=group)
        for i, item in enumerate(items):
            where = f"{group}[{i}]"
            if group == "raids":
                _check_point(_need(item, "launch", dict, file, where), file, f"{where}.launch")
                for j, wp in enumerate(item.get("waypoints", []) or []):
                    _check_point(wp, file, f"{where}.waypoints[{j}]")
            else:
                _check_point(item, file, where)
            if group == "sensors":
                _need(item, "range_m", float, file, where)
            if group == "fire_units":
                _need(item, "max_range_m", float, file, where)


def _check_lengths(
    group: dict, keys: tuple[str, ...], n: int, lead: str, file: Path, where: str
) -> None:
    for key in keys:
        if len(_need(group, key, list, file, where)) != n:
            raise InputError.at(
                f"length differs from {where}.{lead} ({n})", file=str(file), field=f"{where}.{key}"
            )


def _check_indices(values: list, limit: int, file: Path, field: str, message: str) -> None:
    bad = [i for i, v in enumerate(values) if not (isinstance(v, int) and 0 <= v < limit)]
    if bad:
        raise InputError.at(
            message.format(value=values[bad[0]], last=limit - 1),
            file=str(file),
            field=f"{field}[{bad[0]}]",
        )


def _check_choices(
    values: list, choices: tuple[str, ...], file: Path, field: str, what: str
) -> None:
    bad = [i for i, v in enumerate(values) if v not in choices]
    if bad:
        raise InputError.at(
            f"unknown {what} {values[bad[0]]!r}",
            file=str(file),
            field=f"{field}[{bad[0]}]",
            hint=f"expected one of {', '.join(choices)}",
        )


def _check_replay(replay: Any, file: Path, n_units: int) -> None:
    if not isinstance(replay, dict):
        raise InputError.at("expected a JSON object", file=str(file))
    _need(replay, "duration_s", float, file, "")
    types = _need(replay, "threat_types", list, file, "")
    threats = _need(replay, "threats", dict, file, "")
    n = len(_need(threats, "type", list, file, "threats"))
    _check_lengths(threats, ("path", "end_time_s", "fate"), n, "type", file, "threats")
    _check_indices(
        threats["type"], len(types), file, "threats.type", "index {value!r} is not in threat_types"
    )
    _check_choices(threats["fate"], FATES, file, "threats.fate", "fate")
    _check_numbers(threats["end_time_s"], file, "threats.end_time_s")
    for i, path in enumerate(threats["path"]):
        if not isinstance(path, list) or any(
            not isinstance(p, list) or len(p) != 4 or not all(map(_is_number, p)) for p in path
        ):
            raise InputError.at(
                "expected a list of [lat, lon, altitude_m, time_s] points",
                file=str(file),
                field=f"threats.path[{i}]",
            )
    eng = _need(replay, "engagements", dict, file, "")
    m = len(_need(eng, "unit", list, file, "engagements"))
    _check_lengths(eng, ("threat", "t_start", "t_end", "outcome"), m, "unit", file, "engagements")
    for key, limit in (("unit", n_units), ("threat", n)):
        _check_indices(
            eng[key], limit, file, f"engagements.{key}", "index {value!r} out of range 0..{last}"
        )
    _check_choices(eng["outcome"], OUTCOMES, file, "engagements.outcome", "outcome")
    for key in ("t_start", "t_end"):
        _check_numbers(eng[key], file, f"engagements.{key}")


def read_table(path: Path, required: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Numeric columns of a Parquet file as float64 arrays (NaN kept); required ones checked."""
    if not path.is_file():
        raise InputError.at(
            "file not found",
            file=str(path),
            hint="a results folder written by `leapsim run` or `leapsim campaign` holds it",
        )
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError.at(f"cannot read Parquet: {exc}", file=str(path)) from None
    missing = [c for c in required if c not in table.column_names]
    if missing:
        raise InputError.at(
            f"missing column(s) {', '.join(missing)}", file=str(path), hint="see docs/results.md"
        )
    out: dict[str, np.ndarray] = {}
    for name in table.column_names:
        try:
            col = table.column(name).cast(pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            if name in required:
                raise InputError.at("column is not numeric", file=str(path), field=name) from None
            continue
        out[name] = np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)
    for name in required:
        bad = np.flatnonzero(np.isnan(out[name]))
        if bad.size and name in ("run", "night"):
            raise InputError.at(f"row {bad[0] + 1} is empty", file=str(path), field=name)
    return out


def load_result(folder: str | Path) -> ResultFolder:
    """Read and check one results folder."""
    path = Path(folder)
    if not path.is_dir():
        raise InputError.at(
            "results folder not found" if not path.exists() else "not a folder",
            file=str(path),
            hint="give a folder written by `leapsim run`, `campaign`, `plan`, `requirements`, "
            "`coalition` or `warn run` with --out DIR",
        )
    summary_file = path / "summary.json"
    summary = read_json(summary_file)
    if isinstance(summary, dict) and summary.get("kind") in DECISION_KINDS:
        return _decision_folder(path, summary, summary_file)
    kind = _check_summary(summary, summary_file)
    scenario_file = path / "scenario.json"
    scenario = read_json(scenario_file)
    _check_scenario(scenario, scenario_file)
    replay_file = path / "replay.json"
    replay = None
    if kind == "night" or replay_file.exists():
        replay = read_json(replay_file)
        _check_replay(replay, replay_file, len(scenario.get("fire_units", [])))
    runs = nights = None
    if kind in VALIDATION_KINDS:
        return _validation_result(path, kind, summary, scenario, replay)
    if kind == "night":
        runs_file = path / "runs.parquet"
        runs = read_table(runs_file, ("run", "leaked", "launched", "value_lost_eur"))
        if len(runs["run"]) != summary["runs"]:
            raise InputError.at(
                f"has {len(runs['run'])} rows but summary.json says runs = {summary['runs']}",
                file=str(runs_file),
                hint="the folder mixes files from different runs; re-run into an empty folder",
            )
    else:
        nights_file = path / "nights.parquet"
        nights = read_table(
            nights_file, ("run", "night", "leaked", "defender_spend_eur", "attacker_spend_eur")
        )
        _check_grid(nights, nights_file, summary["runs"], summary["nights"])
    return ResultFolder(path, kind, summary, scenario, replay, runs, nights)


def _decision_folder(path: Path, summary: dict, file: Path) -> ResultFolder:
    """A plan, requirements or coalition folder: its summary, and the plan's map."""
    kind = summary["kind"]
    need = {"plan": ("front", "chosen", "objectives"), "requirements": ("axes", "frontier"),
            "coalition": ("nations", "grand_coalition", "coalitions"),
            "warning": ("sets", "measured", "plan")}[kind]  # fmt: skip
    for key in need:
        if key not in summary:
            raise InputError.at(
                "missing",
                file=str(file),
                field=key,
                hint=f"a {kind} results folder is written by "
                f"`leapsim {'warn run' if kind == 'warning' else kind}`",
            )
    scenario: dict[str, Any] = {}
    if kind in ("plan", "warning"):
        scenario_file = path / "scenario.json"
        scenario = read_json(scenario_file)
        _check_scenario(scenario, scenario_file)
    return ResultFolder(path, kind, summary, scenario, None, None, None)


def _check_grid(nights: dict[str, np.ndarray], file: Path, runs: int, n_nights: int) -> None:
    """``nights.parquet`` holds exactly one row per (run, night)."""
    if len(nights["run"]) != runs * n_nights:
        raise InputError.at(
            f"has {len(nights['run'])} rows; summary.json says {runs} runs x {n_nights} nights",
            file=str(file),
            hint="the folder mixes files from different campaigns; re-run into an empty folder",
        )
    pairs = np.unique(np.stack([nights["run"], nights["night"]], axis=1), axis=0)
    if len(pairs) != len(nights["run"]):
        raise InputError.at("repeats a (run, night) pair", file=str(file), field="night")


def _validation_result(
    path: Path, kind: str, summary: dict, scenario: dict, replay: dict | None
) -> ResultFolder:
    """A hindcast (nights.parquet: one row per night and family) or a calibration
    (calibration.json) folder."""
    if kind == "calibration":
        calibration = read_json(path / "calibration.json")
        _need(calibration, "parameters", dict, path / "calibration.json", "")
        return ResultFolder(path, kind, summary, scenario, replay, None, None, calibration)
    file = path / "nights.parquet"
    try:
        table = pq.read_table(file)
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError.at(f"cannot read: {exc}", file=str(file)) from None
    missing = [c for c in HINDCAST_COLUMNS if c not in table.column_names]
    if missing:
        raise InputError.at("missing column", file=str(file), field=missing[0])
    nights = {c: table.column(c).to_numpy(zero_copy_only=False) for c in HINDCAST_COLUMNS}
    nights["neutralised_reported"] = (
        table.column("neutralised_reported").cast(pa.float64()).fill_null(np.nan).to_numpy()
    )
    return ResultFolder(path, kind, summary, scenario, replay, None, nights)
