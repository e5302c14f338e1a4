"""A loaded study compiled to plain arrays: frame, border, sites, sensor options, drone types,
incursion generators and tracker settings (what every later stage works on)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from leapsim.errors import InputError
from leapsim.sensing.sensors import KINDS
from leapsim.tracking import TrackerParams
from leapsim.warning.config import MISSIONS, IncursionSpec, LoadedStudy, MeasureSpec, PlanSpec
from leapsim.warning.geography import (
    Border,
    PlaneFrame,
    Sites,
    builtin_border_lonlat,
    geojson_border_lonlat,
)

#: Sensor fields taken from the catalogue type (names of :class:`leapsim.sensing.SensorArrays`).
SENSOR_FIELDS = (
    "detection_range_m",
    "reference_rcs_m2",
    "scan_period_s",
    "range_sigma_m",
    "azimuth_sigma_rad",
    "elevation_sigma_rad",
    "false_alarms_per_scan",
    "antenna_height_m",
)


@dataclass(frozen=True)
class SensorOptions:
    """O deployable options. ``records[o]`` holds the sensing fields of option o (catalogue type
    with the mast height applied); ``node_cost_eur`` = type unit cost + siting cost; fences
    (``fence_spacing_m`` > 0) are bought by the stretch of ``fence_stretch_m``."""

    names: tuple[str, ...]
    types: tuple[str, ...]
    records: tuple[dict[str, Any], ...]
    kind: np.ndarray  # (O,) int8 index into leapsim.sensing.KINDS
    node_cost_eur: np.ndarray
    fence_spacing_m: np.ndarray  # 0 for point options
    fence_cost_per_km_eur: np.ndarray
    fence_stretch_m: np.ndarray
    max_count: np.ndarray  # -1: no limit

    def __len__(self) -> int:
        return len(self.names)

    def is_fence(self, option: int) -> bool:
        return bool(self.fence_spacing_m[option] > 0)

    def scan_period_s(self, option: int) -> float:
        return float(self.records[option]["scan_period_s"])


@dataclass(frozen=True)
class DroneTypes:
    """T incursion drone types (catalogue threat types): speed, cruise altitude, RCS."""

    names: tuple[str, ...]
    speed_mps: np.ndarray
    cruise_altitude_m: np.ndarray
    rcs_m2: np.ndarray


@dataclass(frozen=True)
class IncursionParams:
    """An incursion generator with its weights as normalised arrays (``docs/warning.md``)."""

    name: str
    spec: IncursionSpec
    type_index: np.ndarray  # (Ty,) into DroneTypes
    type_p: np.ndarray
    emitting_p: np.ndarray  # (Ty,) probability a drone of the type emits (RF-detectable)
    size: np.ndarray
    size_p: np.ndarray
    profile_p: np.ndarray
    mission: np.ndarray  # indices into MISSIONS
    mission_p: np.ndarray
    site_p: np.ndarray  # (M,) over the study's sites
    crossing_m: tuple[float, float]


@dataclass(frozen=True)
class WarningModel:
    """Everything a placement, a coverage map or a Monte Carlo replication needs."""

    name: str
    file: str
    frame: PlaneFrame
    border: Border
    sites: Sites
    options: SensorOptions
    drone_types: DroneTypes
    incursions: IncursionParams
    cases: tuple[IncursionParams, ...]
    plan: PlanSpec
    measure: MeasureSpec
    tracker: TrackerParams


def _normalised(weights: list[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return w / w.sum()


def _border(loaded: LoadedStudy) -> tuple[np.ndarray, str]:
    spec = loaded.study.border
    if spec.natural_earth is not None:
        line = loaded.smap.locate(("border", "natural_earth"), loaded.file)[1]
        lonlat = builtin_border_lonlat(spec.natural_earth, file=loaded.file, line=line)
        return lonlat, spec.natural_earth
    path = Path(spec.geojson)
    if not path.is_absolute() and not loaded.file.startswith("builtin:"):
        path = Path(loaded.file).parent / path
    lonlat = geojson_border_lonlat(path)
    if spec.protected_side == "right":
        lonlat = lonlat[::-1]
    return lonlat, path.stem


def _options(loaded: LoadedStudy) -> SensorOptions:
    names = list(loaded.study.sensors)
    records, kinds, cost, spacing, per_km, stretch, max_count, types = (
        [],
        [],
        [],
        [],
        [],
        [],
        [],
        [],
    )
    for name in names:
        option = loaded.study.sensors[name]
        stype = loaded.catalogue.sensor_types[option.type]
        record = {f: float(getattr(stype, f)) for f in SENSOR_FIELDS}
        if option.mast_height_m is not None:
            record["antenna_height_m"] = float(option.mast_height_m)
        record["kind"] = stype.kind
        records.append(record)
        types.append(option.type)
        kinds.append(KINDS.index(stype.kind))
        cost.append(stype.unit_cost_eur + option.siting_cost_eur)
        fence = option.fence
        spacing.append(fence.node_spacing_m if fence else 0.0)
        per_km.append(fence.cost_per_km_eur if fence else 0.0)
        stretch.append(fence.stretch_m if fence else 0.0)
        max_count.append(-1 if option.max_count is None else option.max_count)
    return SensorOptions(
        names=tuple(names),
        types=tuple(types),
        records=tuple(records),
        kind=np.asarray(kinds, np.int8),
        node_cost_eur=np.asarray(cost, float),
        fence_spacing_m=np.asarray(spacing, float),
        fence_cost_per_km_eur=np.asarray(per_km, float),
        fence_stretch_m=np.asarray(stretch, float),
        max_count=np.asarray(max_count, np.int64),
    )


def _incursion_params(
    name: str,
    spec: IncursionSpec,
    loc: tuple,
    loaded: LoadedStudy,
    types: list[str],
    border: Border,
) -> IncursionParams:
    sites = [s.name for s in loaded.study.sites]
    site_w = [1.0] * len(sites) if spec.sites is None else [spec.sites.get(s, 0.0) for s in sites]
    lo, hi = (0.0, border.length_m / 1e3) if spec.crossing_km is None else spec.crossing_km
    if hi * 1e3 > border.length_m + 1.0:
        raise InputError(
            loaded.problem(
                f"crossing_km reaches {hi:g} km but the border is {border.length_m / 1e3:.1f} km "
                "long",
                (*loc, "crossing_km"),
                "give an interval within the border's length",
            )
        )
    return IncursionParams(
        name=name,
        spec=spec,
        type_index=np.asarray([types.index(t) for t in spec.types], np.int64),
        type_p=_normalised(list(spec.types.values())),
        emitting_p=np.asarray([spec.emitting.get(t, 0.0) for t in spec.types], float),
        size=np.asarray(list(spec.group_size), np.int64),
        size_p=_normalised(list(spec.group_size.values())),
        profile_p=_normalised([p.weight for p in spec.profiles.values()]),
        mission=np.asarray([MISSIONS.index(m) for m in spec.missions], np.int64),
        mission_p=_normalised(list(spec.missions.values())),
        site_p=_normalised(site_w) if sum(site_w) > 0 else np.zeros(len(sites)),
        crossing_m=(lo * 1e3, min(hi * 1e3, border.length_m)),
    )


def compile_study(loaded: LoadedStudy) -> WarningModel:
    """Compile a loaded study: frame at the centre of the border and sites, border in the plane
    (cut to ``from_km``/``to_km``), sensor options, drone types and incursion generators."""
    study = loaded.study
    lonlat, border_name = _border(loaded)
    site_ll = np.asarray([[s.lon, s.lat] for s in study.sites], float)
    every = np.concatenate([lonlat, site_ll])
    frame = PlaneFrame(
        float((every[:, 1].min() + every[:, 1].max()) / 2),
        float((every[:, 0].min() + every[:, 0].max()) / 2),
    )
    border = Border(border_name, frame.to_xy(lonlat[:, 1], lonlat[:, 0]))
    spec = study.border
    if spec.from_km is not None or spec.to_km is not None:
        lo = (spec.from_km or 0.0) * 1e3
        hi = border.length_m if spec.to_km is None else spec.to_km * 1e3
        if lo >= border.length_m:
            raise InputError(
                loaded.problem(
                    f"from_km is beyond the border's {border.length_m / 1e3:.1f} km",
                    ("border", "from_km"),
                )
            )
        border = border.sub_line(lo, min(hi, border.length_m))
    sites = Sites(
        names=tuple(s.name for s in study.sites),
        kinds=tuple(s.kind for s in study.sites),
        xy=frame.to_xy(site_ll[:, 1], site_ll[:, 0]),
        radius_m=np.asarray([s.radius_m for s in study.sites], float),
    )
    type_names = sorted(
        {t for spec in [study.incursions, *study.cases.values()] for t in spec.types}
    )
    cat = loaded.catalogue.threat_types
    drone_types = DroneTypes(
        names=tuple(type_names),
        speed_mps=np.asarray([cat[t].speed_mps for t in type_names], float),
        cruise_altitude_m=np.asarray([cat[t].cruise_altitude_m for t in type_names], float),
        rcs_m2=np.asarray([cat[t].rcs_m2 for t in type_names], float),
    )
    incursions = _incursion_params(
        "incursions", study.incursions, ("incursions",), loaded, type_names, border
    )
    cases = tuple(
        _incursion_params(name, spec, ("cases", name), loaded, type_names, border)
        for name, spec in study.cases.items()
    )
    return WarningModel(
        name=study.name,
        file=loaded.file,
        frame=frame,
        border=border,
        sites=sites,
        options=_options(loaded),
        drone_types=drone_types,
        incursions=incursions,
        cases=cases,
        plan=study.plan,
        measure=study.measure,
        tracker=study.tracker.params(3),
    )
