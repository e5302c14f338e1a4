"""Pydantic models of a scenario file and of the type catalogue.

Units are SI and named in every field (``_m``, ``_s``, ``_mps``, ``_m2``, ``_eur``, ``_deg``);
geographic positions are WGS84 latitude/longitude in degrees. Models are used at the boundary
only: :mod:`leapsim.scenario.compile` turns them into arrays for the engine.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leapsim.choices import SensingMode

ThreatFamily = Literal["drone", "decoy", "cruise_missile", "ballistic_missile"]
THREAT_FAMILIES: tuple[str, ...] = ("drone", "decoy", "cruise_missile", "ballistic_missile")
EffectorKind = Literal["missile", "gun", "interceptor_drone", "laser", "ew"]
SensorKind = Literal["radar", "acoustic", "eo_ir", "rf"]
AllocationPolicyName = Literal["cost_aware", "max_pk", "wta", "lookahead"]
FrameName = Literal["tangent_plane", "azimuthal_equidistant"]  # see leapsim.scenario.geo
FRAMES: tuple[str, ...] = ("tangent_plane", "azimuthal_equidistant")

Latitude = Annotated[float, Field(ge=-90.0, le=90.0, description="WGS84 latitude, degrees")]
Longitude = Annotated[float, Field(ge=-180.0, le=180.0, description="WGS84 longitude, degrees")]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Euros = Annotated[float, Field(ge=0.0, le=1e12)]


class StrictModel(BaseModel):
    """Base: unknown keys are errors (with a did-you-mean hint from the loader)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ThreatType(StrictModel):
    """An attacking weapon type: how it flies, what it costs, what damage a leaker does."""

    family: ThreatFamily
    unit_cost_eur: Euros = Field(description="Attacker's cost of one round, EUR.")
    speed_mps: float = Field(gt=0, le=8000, description="Mean speed over the flight, m/s.")
    cruise_altitude_m: float = Field(
        ge=0, le=200_000, description="Cruise altitude; apogee for ballistic missiles, m."
    )
    rcs_m2: float = Field(gt=0, le=100, description="Radar cross-section, m².")
    damage_fraction: Probability = Field(
        description="Fraction of a site's value destroyed by one leaker (0 for decoys)."
    )
    range_m: float = Field(gt=0, le=5_000_000, description="Maximum flight range, m.")
    appears_as: str | None = Field(
        default=None,
        description="Threat type a defender cannot tell this one apart from (decoys).",
    )
    source: str = Field(min_length=3, description="Citation for the numbers; say if estimated.")


class EffectorType(StrictModel):
    """A fire-unit type: envelope, fire channels, magazine, cost, and Pk per threat family.

    The kill probability of one engagement against a threat at ground range ``r`` is
    ``pk[family] * (1 - pk_range_falloff * r / max_range_m)``; in tracked sensing it is also
    multiplied by ``exp(-(e / acquisition_basket_m)² / 2)`` for a track position error ``e``.
    """

    kind: EffectorKind
    cost_per_round_eur: Euros
    unit_cost_eur: Euros = Field(description="Acquisition cost of one fire unit, EUR.")
    min_range_m: float = Field(ge=0, le=1_000_000)
    max_range_m: float = Field(gt=0, le=1_000_000)
    min_altitude_m: float = Field(ge=0, le=100_000)
    max_altitude_m: float = Field(gt=0, le=200_000)
    fire_channels: int = Field(ge=1, le=1000, description="Simultaneous engagements.")
    engagement_time_s: float = Field(
        gt=0, le=3600, description="Acquisition, launch and kill assessment per engagement, s."
    )
    interceptor_speed_mps: float | None = Field(
        default=None,
        gt=0,
        le=10_000,
        description="Mean interceptor/projectile speed; adds time of flight. None: instantaneous.",
    )
    rounds_per_engagement: int = Field(ge=1, le=10_000)
    magazine: int = Field(ge=1, le=10**9, description="Ready rounds per fire unit.")
    reload_time_s: float = Field(ge=0, le=86_400, description="Time to refill the magazine, s.")
    pk: dict[ThreatFamily, Probability] = Field(
        description="Single-engagement kill probability per threat family; absent: cannot engage."
    )
    pk_range_falloff: Probability = Field(
        default=0.0, description="Fraction of Pk lost at maximum range (linear in range)."
    )
    acquisition_basket_m: float | None = Field(
        default=None,
        gt=0,
        le=1_000_000,
        description=(
            "Track position error the unit's own seeker/fire control absorbs (sensing: tracked): "
            "Pk is multiplied by exp(-(error/basket)^2/2). None: the default of its kind."
        ),
    )
    source: str = Field(min_length=3)

    @model_validator(mode="after")
    def _check_envelope(self) -> EffectorType:
        if self.min_range_m >= self.max_range_m:
            raise ValueError("min_range_m must be smaller than max_range_m")
        if self.min_altitude_m >= self.max_altitude_m:
            raise ValueError("min_altitude_m must be smaller than max_altitude_m")
        if self.rounds_per_engagement > self.magazine:
            raise ValueError("rounds_per_engagement cannot exceed the magazine")
        return self


class SensorType(StrictModel):
    """A sensor type. ``detection_range_m`` is the single-scan range at Pd = 0.9 against a target
    of ``reference_rcs_m2`` (radar) or a typical small drone (acoustic, EO/IR, passive RF: a drone
    whose datalink emits)."""

    kind: SensorKind
    detection_range_m: float = Field(gt=0, le=2_000_000)
    reference_rcs_m2: float = Field(default=1.0, gt=0, le=100)
    scan_period_s: float = Field(gt=0, le=600)
    range_sigma_m: float = Field(ge=0, le=100_000)
    azimuth_sigma_rad: float = Field(ge=0, le=3.2)
    elevation_sigma_rad: float = Field(ge=0, le=1.6)
    false_alarms_per_scan: float = Field(default=0.0, ge=0, le=10_000)
    antenna_height_m: float = Field(default=10.0, ge=0, le=10_000)
    unit_cost_eur: Euros
    source: str = Field(min_length=3)


class Catalogue(StrictModel):
    """Named threat, effector and sensor types."""

    threat_types: dict[str, ThreatType] = {}
    effector_types: dict[str, EffectorType] = {}
    sensor_types: dict[str, SensorType] = {}


class GeoPoint(StrictModel):
    lat: Latitude
    lon: Longitude


class Site(StrictModel):
    """A defended site: what leakers aim at."""

    name: str = Field(min_length=1)
    lat: Latitude
    lon: Longitude
    value_eur: Euros
    nation: str = Field(min_length=1, max_length=8)


class SensorPlacement(StrictModel):
    """``count`` sensors at ``(lat, lon)``, or spread evenly from there to ``line_to``."""

    type: str
    lat: Latitude
    lon: Longitude
    nation: str = Field(min_length=1, max_length=8)
    name: str | None = None
    count: int = Field(default=1, ge=1, le=10_000)
    line_to: GeoPoint | None = None


class FireUnitPlacement(StrictModel):
    """``count`` identical fire units at ``(lat, lon)``, or spread evenly from there to
    ``line_to``; ``magazine`` overrides the type's ready rounds."""

    type: str
    lat: Latitude
    lon: Longitude
    nation: str = Field(min_length=1, max_length=8)
    name: str | None = None
    count: int = Field(default=1, ge=1, le=1000)
    line_to: GeoPoint | None = None
    magazine: int | None = Field(default=None, ge=0, le=10**9)
    reserve_rounds: int = Field(
        default=0, ge=0, le=10**9, description="Rounds on site for reloads, beyond the magazine."
    )


class Launch(StrictModel):
    """Launch area: a point, or a bearing and distance from the scenario origin."""

    lat: Latitude | None = None
    lon: Longitude | None = None
    bearing_deg: float | None = Field(default=None, ge=0, lt=360)
    distance_m: float | None = Field(default=None, gt=0, le=5_000_000)
    spread_m: float = Field(
        default=0.0, ge=0, le=500_000, description="Std. dev. of launch position, m."
    )

    @model_validator(mode="after")
    def _one_form(self) -> Launch:
        point = self.lat is not None and self.lon is not None
        polar = self.bearing_deg is not None and self.distance_m is not None
        if point == polar:
            raise ValueError("give either lat and lon, or bearing_deg and distance_m")
        return self


class Raid(StrictModel):
    """``count`` threats of one type launched uniformly over ``[start_s, start_s + spread_s]``."""

    threat: str
    name: str | None = Field(
        default=None, description="Label; the hindcast `replay` section refers to raids by it."
    )
    count: int = Field(ge=0, le=100_000)
    launch: Launch
    start_s: float = Field(default=0.0, ge=0, le=7 * 86_400)
    spread_s: float = Field(default=0.0, ge=0, le=7 * 86_400)
    targets: dict[str, Annotated[float, Field(gt=0)]] | None = Field(
        default=None, description="Relative weights over site names; omitted: all sites equal."
    )
    waypoints: list[GeoPoint] = Field(default=[], max_length=32)


class CostRule(StrictModel):
    """No engagement costing more than ``max_cost_ratio`` × the threat's unit cost, unless the
    value at risk exceeds ``unless_value_at_risk_above_eur``."""

    max_cost_ratio: float = Field(gt=0)
    unless_value_at_risk_above_eur: float = Field(default=float("inf"), ge=0)


class Doctrine(StrictModel):
    """Rules of engagement and the numbers of the allocation policies. Each field's default here
    is the only one: the engine and the policies take every doctrine number from this model."""

    policy: AllocationPolicyName = "cost_aware"
    max_shots_per_threat: int = Field(default=2, ge=1, le=20)
    shoot_look_shoot: bool = True
    cost_rules: list[CostRule] = []
    hold_for_cheaper: float = Field(
        default=2.0,
        ge=1.0,
        le=1000.0,
        allow_inf_nan=False,
        description=(
            "`cost_aware` holds fire on a threat when a layer at least this many times cheaper "
            "per expected kill will get a full engagement on it later in its flight."
        ),
    )
    hold_min_pk: float = Field(
        default=0.5,
        gt=0.0,
        le=1.0,
        allow_inf_nan=False,
        description="Nominal Pk a later layer needs for `cost_aware` to hold fire for it.",
    )
    hold_range_fraction: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        allow_inf_nan=False,
        description=(
            "A later layer's nominal Pk is its Pk at this fraction of its maximum range: "
            "`pk × (1 − pk_range_falloff × fraction)`."
        ),
    )
    wta_iterations: int = Field(
        default=200,
        ge=1,
        le=1_000_000,
        description="Search iterations per decision epoch of the `wta` policy.",
    )
    lookahead_availability: float = Field(
        default=0.5,
        gt=0.0,
        le=1.0,
        allow_inf_nan=False,
        description=(
            "`lookahead` counts on each later engagement opportunity of a threat with this "
            "probability (the unit may be busy or the chance missed when it comes)."
        ),
    )
    lookahead_stages: int = Field(
        default=4,
        ge=1,
        le=32,
        description=(
            "Firing times `lookahead` considers in each engagement window (evenly spaced; the "
            "window's Pk changes with range along it)."
        ),
    )


class Sensing(StrictModel):
    mode: SensingMode = "detection"


class FireUnitChange(StrictModel):
    """New values for every fire unit of one named placement, from a timeline date on."""

    count: int | None = Field(default=None, ge=0, le=1000, description="Units (0: withdrawn).")
    magazine: int | None = Field(
        default=None, ge=0, le=10**9, description="Ready rounds per unit at dusk."
    )
    reserve_rounds: int | None = Field(
        default=None, ge=0, le=10**9, description="Rounds on site for reloads."
    )


class TimelineEntry(StrictModel):
    """A dated, sourced change of the defence: placements change or enter service on ``date``."""

    date: dt.date = Field(description="First night (evening date) the change applies to.")
    source: str = Field(min_length=3, description="Citation (title, URL, date) or 'estimate: …'.")
    fire_units: dict[str, FireUnitChange] = Field(
        default={}, description="Placement name → its new count, magazine or reserve."
    )
    add_fire_units: list[FireUnitPlacement] = Field(
        default=[], description="Placements that enter service on this date."
    )


class CalibrationParameter(StrictModel):
    """A free parameter of `leapsim calibrate`: one value written into catalogue fields."""

    name: str = Field(
        min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Parameter name."
    )
    prior: tuple[float, float] = Field(description="Uniform prior range [low, high].")
    sets: list[str] = Field(
        min_length=1,
        description=(
            "Catalogue fields that take the value: `effector_types.NAME.pk.FAMILY` or "
            "`effector_types.NAME.FIELD` (also threat_types, sensor_types)."
        ),
    )
    source: str = Field(min_length=3, description="Why this prior range (citation or estimate).")

    @model_validator(mode="after")
    def _check_prior(self) -> CalibrationParameter:
        if not self.prior[0] < self.prior[1]:
            raise ValueError("prior must be [low, high] with low < high")
        return self


class Calibration(StrictModel):
    """Free parameters (at most 8) and, once calibrated, a posterior sample of their values."""

    parameters: list[CalibrationParameter] = Field(
        min_length=1, max_length=8, description="The free parameters (at most 8)."
    )
    posterior: list[list[float]] = Field(
        default=[],
        max_length=10_000,
        description="Posterior draws (one value per parameter each), written by calibrate.",
    )
    extra_dispersion: dict[ThreatFamily, float] = Field(
        default={},
        description=(
            "Per outcome family, how much more the reported monthly counts vary around the "
            "model than one run of the model does (quasi-binomial dispersion, >= 0), written by "
            "calibrate; a hindcast widens its predictive interval by it."
        ),
    )

    @model_validator(mode="after")
    def _check(self) -> Calibration:
        names = [p.name for p in self.parameters]
        if len(set(names)) != len(names):
            raise ValueError("parameter names must be unique")
        if any(len(draw) != len(names) for draw in self.posterior):
            raise ValueError(f"every posterior draw needs {len(names)} values")
        if any(not value >= 0 for value in self.extra_dispersion.values()):
            raise ValueError("extra_dispersion values must be >= 0")
        return self


class ReplayStream(StrictModel):
    """Where a night's reported launches of some weapon components go among the raids."""

    components: list[str] = Field(
        min_length=1, description="Report weapon names (`model` components), case-insensitive."
    )
    raids: dict[str, Annotated[float, Field(gt=0)]] = Field(
        min_length=1, description="Raid name → relative weight of this stream's launches."
    )
    decoy_raids: dict[str, Annotated[float, Field(gt=0)]] = Field(
        default={},
        description="Raids taking the decoys among these launches (the Shahed-type count).",
    )


class Replay(StrictModel):
    """How `leapsim hindcast` turns a reported night into the scenario's raid counts."""

    streams: list[ReplayStream] = Field(
        min_length=1, description="Report weapons → raids; every reported weapon must be mapped."
    )


class Scenario(StrictModel):
    """A defended area, its defence and one night's raid."""

    name: str = Field(min_length=1)
    description: str = ""
    origin: GeoPoint | None = Field(
        default=None, description="Origin of the local ENU frame; default: mean of the sites."
    )
    duration_s: float = Field(default=8 * 3600.0, gt=0, le=7 * 86_400)
    time_step_s: float = Field(
        default=2.0, gt=0, le=60, description="Interval between fire-allocation decisions, s."
    )
    sites: list[Site] = Field(min_length=1)
    sensors: list[SensorPlacement] = []
    fire_units: list[FireUnitPlacement] = []
    raids: list[Raid] = []
    doctrine: Doctrine = Doctrine()
    sensing: Sensing = Sensing()
    catalogue: Catalogue = Field(
        default=Catalogue(), description="Extra types; they extend the built-in catalogue."
    )
    frame: FrameName = Field(
        default="tangent_plane",
        description="Horizontal frame: tangent_plane, or azimuthal_equidistant for a theatre.",
    )
    timeline: list[TimelineEntry] = Field(
        default=[], description="Dated changes of the defence (hindcasts)."
    )
    calibration: Calibration | None = Field(
        default=None, description="Free parameters of `leapsim calibrate`."
    )
    replay: Replay | None = Field(
        default=None, description="How `leapsim hindcast` maps reported launches to raids."
    )
