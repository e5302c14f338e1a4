"""The early-warning study file (YAML): border, protected sites, sensor options, incursions,
planning and measurement settings. Validated with the project's one loader
(:mod:`leapsim.yaml_files`): every error names ``file:line``, the field and the fix.

Every field and default is described in ``docs/warning.md``; defaults that are planning
assumptions say so there.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from leapsim.errors import InputError, Problem
from leapsim.scenario.catalogue import builtin_catalogue, merge_catalogues
from leapsim.scenario.extends import BUILTIN_PREFIX
from leapsim.scenario.models import (
    Catalogue,
    Euros,
    Latitude,
    Longitude,
    Probability,
    StrictModel,
)
from leapsim.tracking.config import TrackerConfig
from leapsim.warning.limits import MAX_BUDGET_EUR, MAX_WARNING_MIN
from leapsim.yaml_files import SourceMap, did_you_mean, format_field, read_yaml, validate_model

MISSIONS: tuple[str, ...] = ("attack", "reconnaissance", "loiter", "transit")
Mission = Literal["attack", "reconnaissance", "loiter", "transit"]
SITE_KINDS = Literal["airport", "air_base", "energy", "logistics", "city", "other"]
BUILTIN_STUDIES: tuple[str, ...] = ("poland_belarus",)


def _ordered(pair: tuple[float, float]) -> tuple[float, float]:
    if pair[0] > pair[1]:
        raise ValueError("give [low, high] with low <= high")
    return pair


NonNegative = Annotated[float, Field(ge=0, le=1e9)]
Interval = Annotated[tuple[NonNegative, NonNegative], AfterValidator(_ordered)]
Weight = Annotated[float, Field(gt=0, le=1e9)]


class BorderSpec(StrictModel):
    """The border line: a built-in Natural Earth line or a GeoJSON file, optionally cut to the
    stretch between two arc lengths."""

    natural_earth: str | None = Field(
        default=None, description="Built-in line, e.g. Poland-Belarus (protected side first)."
    )
    geojson: str | None = Field(
        default=None, description="GeoJSON LineString file, path relative to the study file."
    )
    protected_side: Literal["left", "right"] = Field(
        default="left", description="GeoJSON only: side of the line's direction to protect."
    )
    from_km: float | None = Field(default=None, ge=0, le=1e5)
    to_km: float | None = Field(default=None, gt=0, le=1e5)

    @model_validator(mode="after")
    def _one_source(self) -> BorderSpec:
        if (self.natural_earth is None) == (self.geojson is None):
            raise ValueError("give exactly one of natural_earth and geojson")
        if self.from_km is not None and self.to_km is not None and self.from_km >= self.to_km:
            raise ValueError("from_km must be smaller than to_km")
        return self


class ProtectedSite(StrictModel):
    """A site to warn: a drone *reaches* it when it comes within ``radius_m``."""

    name: str = Field(min_length=1, max_length=200)
    kind: SITE_KINDS
    lat: Latitude
    lon: Longitude
    radius_m: float = Field(default=5000.0, gt=0, le=200_000)
    source: str = Field(min_length=3, description="Where the position comes from.")


class FenceSpec(StrictModel):
    """Deploy the option as a line of nodes along the border, bought by the stretch."""

    node_spacing_m: float = Field(gt=0, le=100_000)
    cost_per_km_eur: Euros = Field(default=0.0, description="Backhaul and power per km of line.")
    stretch_m: float = Field(default=10_000.0, gt=0, le=1_000_000)


class SensorOption(StrictModel):
    """A deployable sensor: a catalogue type, its siting and what one node costs in place."""

    type: str = Field(min_length=1)
    mast_height_m: float | None = Field(
        default=None, ge=0, le=1000, description="Antenna height; default: the type's."
    )
    siting_cost_eur: Euros = Field(
        default=0.0, description="Per node: mast, power, communications, installation."
    )
    fence: FenceSpec | None = None
    max_count: int | None = Field(default=None, ge=0, le=100_000)
    source: str = Field(min_length=3)


class Profile(StrictModel):
    """A flight profile: constant altitude and a factor on the type's speed."""

    weight: Weight
    altitude_m: Interval | None = Field(
        default=None, description="Above ground; default: the type's cruise altitude."
    )
    speed_factor: Interval = (0.9, 1.1)


def _default_profiles() -> dict[str, Profile]:
    return {
        "low_slow": Profile(weight=1.0, altitude_m=(30.0, 150.0), speed_factor=(0.6, 0.8)),
        "cruise": Profile(weight=1.0),
        "fast": Profile(weight=0.5, altitude_m=(300.0, 1500.0), speed_factor=(1.3, 1.6)),
    }


class IncursionSpec(StrictModel):
    """The incursion generator (``docs/warning.md``, "Incursions")."""

    groups: int = Field(ge=1, le=10_000, description="Incursions (groups) per replication.")
    window_s: float = Field(default=8 * 3600.0, gt=0, le=7 * 86_400)
    group_size: dict[Annotated[int, Field(ge=1, le=100)], Weight] = Field(
        default_factory=lambda: {1: 1.0}
    )
    group_spacing_s: Interval = (20.0, 120.0)
    group_offset_m: float = Field(default=300.0, ge=0, le=50_000)
    types: dict[str, Weight] = Field(min_length=1)
    emitting: dict[str, Probability] = Field(default_factory=dict)
    profiles: dict[str, Profile] = Field(default_factory=_default_profiles, min_length=1)
    missions: dict[Mission, Weight] = Field(min_length=1)
    sites: dict[str, Weight] | None = None
    crossing_km: Interval | None = None
    approach_m: Interval = (20_000.0, 60_000.0)
    approach_angle_deg: float = Field(default=30.0, ge=0, le=89)
    transit_m: Interval = (30_000.0, 300_000.0)
    transit_angle_deg: float = Field(default=60.0, ge=0, le=89)
    loiter_depth_m: Interval = (5_000.0, 30_000.0)
    loiter_radius_m: float = Field(default=3_000.0, gt=0, le=100_000)
    loiter_time_s: Interval = (600.0, 1800.0)
    orbit_radius_m: float = Field(default=3_000.0, gt=0, le=100_000)
    orbit_time_s: Interval = (600.0, 1800.0)


class PlanSpec(StrictModel):
    """Placement optimisation (``docs/warning.md``, "Placement")."""

    budget_eur: float = Field(gt=0, le=MAX_BUDGET_EUR)
    warning_min: float = Field(default=10.0, ge=0, le=MAX_WARNING_MIN)
    candidate_spacing_m: float = Field(default=10_000.0, ge=500, le=1e6)
    candidate_offsets_m: list[Annotated[float, Field(ge=0, le=500_000)]] = Field(
        default_factory=lambda: [2_000.0, 15_000.0, 40_000.0], min_length=1, max_length=20
    )
    site_candidates: bool = True
    planning_groups: int = Field(default=300, ge=1, le=100_000)
    planning_seed: int = Field(default=2025, ge=0, le=2**63 - 1)
    coverage_confidence: float = Field(default=0.9, gt=0, lt=1)
    time_limit_s: float = Field(default=60.0, gt=0, le=86_400)
    options: list[str] | None = Field(default=None, min_length=1)


class BirdSpec(StrictModel):
    """Migrating birds: real, slow, small targets that radars track (false tracks)."""

    density_per_km2: float = Field(default=1.0, ge=0, le=1000)
    speed_mps: Interval = (8.0, 18.0)
    altitude_median_m: float = Field(default=700.0, gt=0, le=10_000)
    altitude_max_m: float = Field(default=4000.0, gt=0, le=20_000)
    rcs_m2: tuple[Annotated[float, Field(gt=0, le=100)], Annotated[float, Field(gt=0, le=100)]] = (
        1e-4,
        1e-2,
    )

    @model_validator(mode="after")
    def _ranges(self) -> BirdSpec:
        if self.rcs_m2[0] > self.rcs_m2[1] or self.speed_mps[0] > self.speed_mps[1]:
            raise ValueError("give [low, high] with low <= high")
        return self


class MeasureSpec(StrictModel):
    """The Monte Carlo measurement (``docs/warning.md``, "Measures")."""

    clutter_window_s: float = Field(default=600.0, gt=0, le=86_400)
    clutter_warmup_s: float = Field(default=120.0, ge=0, le=86_400)
    birds: BirdSpec = Field(default_factory=BirdSpec)
    classify_speed_mps: Interval = (20.0, 250.0)
    classify_after_s: float = Field(default=10.0, ge=0, le=3600)

    @model_validator(mode="after")
    def _warmup(self) -> MeasureSpec:
        if self.clutter_warmup_s >= self.clutter_window_s:
            raise ValueError("clutter_warmup_s must be shorter than clutter_window_s")
        return self


class WarningStudy(StrictModel):
    """An early-warning study: where to watch, what to protect, what to buy, what comes."""

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    border: BorderSpec
    sites: list[ProtectedSite] = Field(min_length=1, max_length=1000)
    sensors: dict[str, SensorOption] = Field(min_length=1, max_length=100)
    incursions: IncursionSpec
    cases: dict[str, IncursionSpec] = Field(default_factory=dict, max_length=20)
    plan: PlanSpec
    measure: MeasureSpec = Field(default_factory=MeasureSpec)
    tracker: TrackerConfig = Field(default_factory=TrackerConfig)
    catalogue: Catalogue = Field(default_factory=Catalogue)


class LoadedStudy:
    """A validated study with its merged catalogue and the file it came from."""

    def __init__(self, study: WarningStudy, catalogue: Catalogue, file: str, smap: SourceMap):
        self.study = study
        self.catalogue = catalogue
        self.file = file
        self.smap = smap

    def problem(self, message: str, loc: tuple, hint: str | None = None) -> Problem:
        """A :class:`Problem` located at the data path ``loc`` of the study file."""
        where, line = self.smap.locate(loc, self.file)
        return Problem(message, file=where, line=line, field=format_field(loc), hint=hint)


def load_study(spec: str | os.PathLike[str]) -> LoadedStudy:
    """Load a study file, or ``builtin:NAME`` (:data:`BUILTIN_STUDIES`); check every name."""
    text = str(spec)
    if text.startswith(BUILTIN_PREFIX):
        name = text[len(BUILTIN_PREFIX) :]
        if name not in BUILTIN_STUDIES:
            hint = (
                did_you_mean(name, BUILTIN_STUDIES) or f"choose from {', '.join(BUILTIN_STUDIES)}"
            )
            raise InputError.at(f"no built-in early-warning study {name!r}", hint=hint)
        ref = resources.files("leapsim.warning") / "data" / f"{name}.yaml"
        with resources.as_file(ref) as path:
            loaded = load_study(Path(path))
        loaded.file = text
        return loaded
    data, smap = read_yaml(spec)
    study = validate_model(WarningStudy, data, smap, text)
    catalogue = merge_catalogues(builtin_catalogue(), study.catalogue)
    loaded = LoadedStudy(study, catalogue, text, smap)
    problems = _reference_problems(loaded)
    if problems:
        raise InputError(problems)
    return loaded


def _reference_problems(loaded: LoadedStudy) -> list[Problem]:
    study, catalogue = loaded.study, loaded.catalogue
    problems: list[Problem] = []

    def check(name: str, known, what: str, loc: tuple) -> None:
        if name not in known:
            hint = did_you_mean(name, known) or f"known {what}s: {', '.join(sorted(known))}"
            problems.append(loaded.problem(f"unknown {what} {name!r}", loc, hint))

    for name, option in study.sensors.items():
        check(option.type, catalogue.sensor_types, "sensor type", ("sensors", name, "type"))
    site_names = [s.name for s in study.sites]
    if len(set(site_names)) != len(site_names):
        problems.append(loaded.problem("site names must be unique", ("sites",)))
    for key, spec in [("incursions", study.incursions)] + [
        (("cases", n), s) for n, s in study.cases.items()
    ]:
        base = key if isinstance(key, tuple) else (key,)
        for name in spec.types:
            check(name, catalogue.threat_types, "threat type", (*base, "types", name))
        for name in spec.emitting:
            check(name, spec.types, "incursion type", (*base, "emitting", name))
        for name in spec.sites or {}:
            check(name, site_names, "site", (*base, "sites", name))
    for i, name in enumerate(study.plan.options or []):
        check(name, study.sensors, "sensor option", ("plan", "options", i))
    if study.tracker.dim not in (None, 3):
        problems.append(loaded.problem("early warning tracks in 3-D", ("tracker", "dim"), "use 3"))
    return problems
