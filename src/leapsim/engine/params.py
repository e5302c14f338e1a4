"""Compile a validated scenario into :class:`NightParams`: flat numpy arrays for the engine.

The local frame is the scenario's ``frame`` (:mod:`leapsim.scenario.geo`): by default a tangent
plane at the origin (horizontal ``(east, north)`` metres from the exact WGS84 topocentric
transform at zero height; over a defended area of a few hundred km the horizontal error is well
under 1 %), or an azimuthal equidistant projection for theatre-wide scenarios. Height above the
ellipsoid is the third coordinate; radar horizons are modelled separately with a 4/3-earth radius.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, NamedTuple

import numpy as np

from leapsim.choices import SENSING_MODES
from leapsim.scenario.geo import LocalFrame
from leapsim.scenario.models import THREAT_FAMILIES
from leapsim.scenario.resolve import ResolvedScenario
from leapsim.sensing.sensors import DEFAULT_PFA, KINDS, SensorArrays

FAMILY_CODE = {name: i for i, name in enumerate(THREAT_FAMILIES)}
EFFECTOR_KINDS = ("missile", "gun", "interceptor_drone", "laser", "ew")
#: Acquisition basket (m) of an effector type that gives none, by kind (planning estimates, also
#: listed in the catalogue's header): seekers and own fire-control radars absorb large cue
#: errors, a gun or laser cued onto a track small ones, a jammer's wide beam the largest.
DEFAULT_ACQUISITION_BASKET_M = {
    "missile": 1000.0,
    "gun": 200.0,
    "interceptor_drone": 300.0,
    "laser": 100.0,
    "ew": 3000.0,
}


@dataclass(frozen=True)
class ThreatTypes:
    """K threat types."""

    names: tuple[str, ...]
    family: np.ndarray  # (K,) int, index into THREAT_FAMILIES
    unit_cost_eur: np.ndarray
    speed_mps: np.ndarray
    altitude_m: np.ndarray  # cruise altitude; apogee for ballistic missiles
    rcs_m2: np.ndarray
    damage_fraction: np.ndarray
    perceived: np.ndarray  # (K,) int, the type a defender sees (appears_as, else itself)


@dataclass(frozen=True)
class EffectorTypes:
    """E effector types."""

    names: tuple[str, ...]
    kind: np.ndarray  # (E,) int, index into EFFECTOR_KINDS
    cost_per_round_eur: np.ndarray
    min_range_m: np.ndarray
    max_range_m: np.ndarray
    min_altitude_m: np.ndarray
    max_altitude_m: np.ndarray
    fire_channels: np.ndarray  # int
    engagement_time_s: np.ndarray
    interceptor_speed_mps: np.ndarray  # inf where the effect is instantaneous
    rounds_per_engagement: np.ndarray  # int
    magazine: np.ndarray  # int
    reload_time_s: np.ndarray
    pk: np.ndarray  # (E, F) single-engagement Pk per threat family at zero range
    pk_range_falloff: np.ndarray
    acquisition_basket_m: np.ndarray  # (E,) track error scale of the Pk factor (tracked mode)


@dataclass(frozen=True)
class Raids:
    """R raids; per-run draws (launch times, positions, targets) happen in the engine."""

    threat_type: np.ndarray  # (R,) int
    count: np.ndarray  # (R,) int
    launch_xy: np.ndarray  # (R, 2) m
    launch_spread_m: np.ndarray  # (R,)
    start_s: np.ndarray
    spread_s: np.ndarray
    target_weights: np.ndarray  # (R, M) rows sum to 1
    waypoints_xy: np.ndarray  # (R, W, 2) m, padded
    n_waypoints: np.ndarray  # (R,) int


@dataclass(frozen=True)
class Doctrine:
    """Rules of engagement and the allocation policies' numbers; meanings and the one default of
    each in :class:`leapsim.scenario.models.Doctrine` (docs/scenario.md)."""

    policy: str
    max_shots_per_threat: int
    shoot_look_shoot: bool
    cost_rule_ratio: np.ndarray  # (C,)
    cost_rule_value_threshold_eur: np.ndarray  # (C,)
    hold_for_cheaper: float
    hold_min_pk: float
    hold_range_fraction: float
    wta_iterations: int
    lookahead_availability: float
    lookahead_stages: int


def kernel_view(cls: type, exclude: tuple[str, ...]) -> type:
    """A named tuple of the fields of dataclass ``cls`` except ``exclude``: how the compiled loop
    receives it, so that a field added to ``cls`` reaches the loop with no other edit. Names and
    labels stay out: numba types a string anew on every call (about 50× the cost of an array)."""
    view = NamedTuple(  # type: ignore[misc]
        f"{cls.__name__}View", [(f.name, Any) for f in fields(cls) if f.name not in exclude]
    )
    view.__module__ = __name__  # numba's cache pickles the class by reference
    view.__doc__ = f"The compiled loop's view of :class:`{cls.__name__}` (without {exclude})."
    return view


def to_kernel(view: type, obj: object) -> tuple:
    """``obj`` as its kernel view (see :func:`kernel_view`)."""
    return view(*(getattr(obj, name) for name in view._fields))


ThreatTypesView = kernel_view(ThreatTypes, ("names",))
EffectorTypesView = kernel_view(EffectorTypes, ("names",))
DoctrineView = kernel_view(Doctrine, ("policy",))


@dataclass(frozen=True)
class NightParams:
    """Everything the one-night engine needs, as arrays. Built once per scenario."""

    name: str
    origin_lat: float
    origin_lon: float
    duration_s: float
    time_step_s: float
    sensing_mode: str
    threat_types: ThreatTypes
    effector_types: EffectorTypes
    raids: Raids
    site_names: tuple[str, ...]
    site_xy: np.ndarray  # (M, 2) m
    site_value_eur: np.ndarray  # (M,)
    unit_names: tuple[str, ...]
    unit_nation: tuple[str, ...]
    unit_type: np.ndarray  # (U,) int
    unit_xy: np.ndarray  # (U, 2) m
    unit_magazine: np.ndarray  # (U,) int ready rounds at the start of the night
    unit_reserve: np.ndarray  # (U,) int rounds on site for reloads
    sensor_names: tuple[str, ...]
    sensor_types: tuple[str, ...]
    sensors: SensorArrays
    sensor_placement: np.ndarray  # (S,) int index of the placement that put each sensor there
    doctrine: Doctrine
    projection: str = "tangent_plane"  # horizontal frame (leapsim.scenario.geo.FRAMES)

    @property
    def n_threats(self) -> int:
        return int(self.raids.count.sum())

    @property
    def frame(self) -> LocalFrame:
        return LocalFrame(self.origin_lat, self.origin_lon, self.projection)

    def with_stocks(self, magazine: np.ndarray, reserve: np.ndarray) -> NightParams:
        """A copy with other starting rounds per fire unit: ``magazine`` ready, ``reserve`` on
        site for reloads (campaigns carry stocks from night to night this way)."""
        return replace(
            self,
            unit_magazine=np.asarray(magazine, np.int64),
            unit_reserve=np.asarray(reserve, np.int64),
        )

    def with_sensing_mode(self, mode: str) -> NightParams:
        """A copy sensing in ``mode`` (``detection`` or ``tracked``, see docs/engine.md)."""
        if mode not in SENSING_MODES:
            raise ValueError(f"unknown sensing mode {mode!r}; expected one of {SENSING_MODES}")
        return replace(self, sensing_mode=mode)

    def with_raid_counts(self, counts: np.ndarray) -> NightParams:
        """A copy whose raids launch ``counts`` (R,) threats instead of the scenario's numbers
        (campaigns draw each night's raid size from a threat model this way)."""
        counts = np.asarray(counts, np.int64)
        if counts.shape != self.raids.count.shape or np.any(counts < 0):
            raise ValueError(f"need {self.raids.count.size} non-negative raid counts")
        return replace(self, raids=replace(self.raids, count=counts))


def compile_scenario(resolved: ResolvedScenario) -> NightParams:
    """Turn a validated scenario into engine arrays."""
    sc, cat = resolved.scenario, resolved.catalogue
    if sc.origin is not None:
        lat0, lon0 = sc.origin.lat, sc.origin.lon
    else:
        lat0 = float(np.mean([s.lat for s in sc.sites]))
        lon0 = float(np.mean([s.lon for s in sc.sites]))
    frame = LocalFrame(lat0, lon0, sc.frame)

    def xy(lat, lon) -> np.ndarray:
        return frame.to_enu(np.asarray(lat, float), np.asarray(lon, float), 0.0)[..., :2]

    # Only the types the scenario uses, in first-use order (keeps result columns short).
    threat_names = list(dict.fromkeys(r.threat for r in sc.raids))
    for name in list(threat_names):
        perceived = cat.threat_types[name].appears_as
        if perceived and perceived not in threat_names:
            threat_names.append(perceived)
    tt = [cat.threat_types[n] for n in threat_names]
    threat_index = {n: i for i, n in enumerate(threat_names)}
    threat_types = ThreatTypes(
        names=tuple(threat_names),
        family=np.array([FAMILY_CODE[t.family] for t in tt], np.int64),
        unit_cost_eur=np.array([t.unit_cost_eur for t in tt], float),
        speed_mps=np.array([t.speed_mps for t in tt], float),
        altitude_m=np.array([t.cruise_altitude_m for t in tt], float),
        rcs_m2=np.array([t.rcs_m2 for t in tt], float),
        damage_fraction=np.array([t.damage_fraction for t in tt], float),
        perceived=np.array(
            [threat_index[t.appears_as] if t.appears_as else i for i, t in enumerate(tt)], np.int64
        ),
    )

    effector_names = list(dict.fromkeys(u.type for u in sc.fire_units))
    et = [cat.effector_types[n] for n in effector_names]
    effector_index = {n: i for i, n in enumerate(effector_names)}
    pk = np.zeros((len(et), len(THREAT_FAMILIES)))
    for i, e in enumerate(et):
        for family, p in e.pk.items():
            pk[i, FAMILY_CODE[family]] = p
    effector_types = EffectorTypes(
        names=tuple(effector_names),
        kind=np.array([EFFECTOR_KINDS.index(e.kind) for e in et], np.int64),
        cost_per_round_eur=np.array([e.cost_per_round_eur for e in et], float),
        min_range_m=np.array([e.min_range_m for e in et], float),
        max_range_m=np.array([e.max_range_m for e in et], float),
        min_altitude_m=np.array([e.min_altitude_m for e in et], float),
        max_altitude_m=np.array([e.max_altitude_m for e in et], float),
        fire_channels=np.array([e.fire_channels for e in et], np.int64),
        engagement_time_s=np.array([e.engagement_time_s for e in et], float),
        interceptor_speed_mps=np.array([e.interceptor_speed_mps or np.inf for e in et], float),
        rounds_per_engagement=np.array([e.rounds_per_engagement for e in et], np.int64),
        magazine=np.array([e.magazine for e in et], np.int64),
        reload_time_s=np.array([e.reload_time_s for e in et], float),
        pk=pk,
        pk_range_falloff=np.array([e.pk_range_falloff for e in et], float),
        acquisition_basket_m=np.array(
            [e.acquisition_basket_m or DEFAULT_ACQUISITION_BASKET_M[e.kind] for e in et], float
        ),
    )

    site_names = tuple(s.name for s in sc.sites)
    site_index = {n: i for i, n in enumerate(site_names)}
    site_xy = xy([s.lat for s in sc.sites], [s.lon for s in sc.sites]).reshape(-1, 2)

    unit_names, unit_type, unit_lat, unit_lon, unit_mag, unit_res, unit_nation = (
        [] for _ in range(7)
    )
    for placement in sc.fire_units:
        etype = cat.effector_types[placement.type]
        for name, lat, lon in expand_placement(placement):
            unit_names.append(name)
            unit_type.append(effector_index[placement.type])
            unit_lat.append(lat)
            unit_lon.append(lon)
            unit_mag.append(etype.magazine if placement.magazine is None else placement.magazine)
            unit_res.append(placement.reserve_rounds)
            unit_nation.append(placement.nation)
    unit_xy = xy(unit_lat, unit_lon).reshape(-1, 2) if unit_names else np.zeros((0, 2))

    sensor_names, sensor_types, sensors, sensor_placement = _compile_sensors(resolved, xy)
    raids = _compile_raids(resolved, frame, xy, threat_index, site_index)
    doctrine = Doctrine(
        policy=sc.doctrine.policy,
        max_shots_per_threat=sc.doctrine.max_shots_per_threat,
        shoot_look_shoot=sc.doctrine.shoot_look_shoot,
        cost_rule_ratio=np.array([r.max_cost_ratio for r in sc.doctrine.cost_rules], float),
        cost_rule_value_threshold_eur=np.array(
            [r.unless_value_at_risk_above_eur for r in sc.doctrine.cost_rules], float
        ),
        hold_for_cheaper=sc.doctrine.hold_for_cheaper,
        hold_min_pk=sc.doctrine.hold_min_pk,
        hold_range_fraction=sc.doctrine.hold_range_fraction,
        wta_iterations=sc.doctrine.wta_iterations,
        lookahead_availability=sc.doctrine.lookahead_availability,
        lookahead_stages=sc.doctrine.lookahead_stages,
    )
    return NightParams(
        name=sc.name,
        origin_lat=lat0,
        origin_lon=lon0,
        duration_s=sc.duration_s,
        time_step_s=sc.time_step_s,
        sensing_mode=sc.sensing.mode,
        threat_types=threat_types,
        effector_types=effector_types,
        raids=raids,
        site_names=site_names,
        site_xy=site_xy,
        site_value_eur=np.array([s.value_eur for s in sc.sites], float),
        unit_names=tuple(unit_names),
        unit_nation=tuple(unit_nation),
        unit_type=np.array(unit_type, np.int64),
        unit_xy=unit_xy,
        unit_magazine=np.array(unit_mag, np.int64),
        unit_reserve=np.array(unit_res, np.int64),
        sensor_names=sensor_names,
        sensor_types=sensor_types,
        sensors=sensors,
        sensor_placement=sensor_placement,
        doctrine=doctrine,
        projection=sc.frame,
    )


def expand_placement(placement) -> list[tuple[str, float, float]]:
    """(name, lat, lon) of each unit of a placement: ``count`` at one point, or evenly spaced
    from ``(lat, lon)`` to ``line_to`` inclusive."""
    n = placement.count
    base = placement.name or f"{placement.type}@{placement.lat:.3f},{placement.lon:.3f}"
    if placement.line_to is not None and n > 1:
        frac = np.linspace(0.0, 1.0, n)
        lats = placement.lat + frac * (placement.line_to.lat - placement.lat)
        lons = placement.lon + frac * (placement.line_to.lon - placement.lon)
    else:
        lats = np.full(n, placement.lat)
        lons = np.full(n, placement.lon)
    names = [base] if n == 1 else [f"{base}#{i + 1}" for i in range(n)]
    return list(zip(names, lats.tolist(), lons.tolist(), strict=True))


def _compile_sensors(
    resolved: ResolvedScenario, xy
) -> tuple[tuple[str, ...], tuple[str, ...], SensorArrays, np.ndarray]:
    sc, cat = resolved.scenario, resolved.catalogue
    placed = [(p, *unit) for p in sc.sensors for unit in expand_placement(p)]
    placement = [i for i, p in enumerate(sc.sensors) for _ in expand_placement(p)]
    types = [cat.sensor_types[p.type] for p, *_ in placed]
    position = np.zeros((len(types), 3))
    if types:
        position[:, :2] = xy([u[2] for u in placed], [u[3] for u in placed]).reshape(-1, 2)

    def col(attr: str) -> np.ndarray:
        return np.array([getattr(t, attr) for t in types], float)

    names = tuple(u[1] for u in placed)
    arrays = SensorArrays(
        kind=np.array([KINDS.index(t.kind) for t in types], np.int8),
        position=position,
        detection_range_m=col("detection_range_m"),
        reference_rcs_m2=col("reference_rcs_m2"),
        scan_period_s=col("scan_period_s"),
        range_sigma_m=col("range_sigma_m"),
        azimuth_sigma_rad=col("azimuth_sigma_rad"),
        elevation_sigma_rad=col("elevation_sigma_rad"),
        false_alarms_per_scan=col("false_alarms_per_scan"),
        antenna_height_m=col("antenna_height_m"),
        pfa=np.full(len(types), DEFAULT_PFA),
    )
    return names, tuple(p.type for p, *_ in placed), arrays, np.array(placement, np.int64)


def _compile_raids(resolved, frame: LocalFrame, xy, threat_index, site_index) -> Raids:
    sc = resolved.scenario
    n_raids, n_sites = len(sc.raids), len(sc.sites)
    w_max = max((len(r.waypoints) for r in sc.raids), default=0)
    launch_xy = np.zeros((n_raids, 2))
    weights = np.zeros((n_raids, n_sites))
    waypoints = np.zeros((n_raids, w_max, 2))
    n_waypoints = np.zeros(n_raids, np.int64)
    for i, raid in enumerate(sc.raids):
        if raid.launch.lat is not None and raid.launch.lon is not None:
            launch_xy[i] = xy(raid.launch.lat, raid.launch.lon)
        else:
            launch_xy[i] = frame.point_at(raid.launch.bearing_deg, raid.launch.distance_m)[:2]
        if raid.targets:
            for site, weight in raid.targets.items():
                weights[i, site_index[site]] = weight
        else:
            weights[i] = 1.0
        weights[i] /= weights[i].sum()
        if raid.waypoints:
            n_waypoints[i] = len(raid.waypoints)
            waypoints[i, : len(raid.waypoints)] = xy(
                [w.lat for w in raid.waypoints], [w.lon for w in raid.waypoints]
            ).reshape(-1, 2)
    return Raids(
        threat_type=np.array([threat_index[r.threat] for r in sc.raids], np.int64),
        count=np.array([r.count for r in sc.raids], np.int64),
        launch_xy=launch_xy,
        launch_spread_m=np.array([r.launch.spread_m for r in sc.raids], float),
        start_s=np.array([r.start_s for r in sc.raids], float),
        spread_s=np.array([r.spread_s for r in sc.raids], float),
        target_weights=weights,
        waypoints_xy=waypoints,
        n_waypoints=n_waypoints,
    )
