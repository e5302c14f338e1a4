"""Hybrid incursions: single drones and small groups crossing a border (``docs/warning.md``).

A replication draws ``groups`` incursions. Each group has a size (``group_size`` weights), one
drone type (``types``), one flight profile (constant altitude above ground, a factor on the
type's speed), one mission and a crossing point uniform in arc length over ``crossing_km``:

* launch ``approach_m`` beyond the border, within ``approach_angle_deg`` of the outward normal;
* ``attack``: straight from the crossing point to a site drawn by ``sites`` weights (one-way);
* ``reconnaissance``: to a site, then ``orbit_time_s`` on a circle of ``orbit_radius_m`` round it;
* ``loiter``: ``loiter_depth_m`` inland, ``loiter_time_s`` on a circle of ``loiter_radius_m``,
  then back across the border;
* ``transit``: ``transit_m`` inland within ``transit_angle_deg`` of the inward normal, where it
  comes down (fuel exhausted) — the shape of the September 2025 incursion into Poland.

Groups start uniformly over ``window_s``; the members of a group follow the leader's route
shifted by a Gaussian offset (``group_offset_m``), each ``group_spacing_s`` after the previous.
Each drone emits (is visible to passive RF) with its type's ``emitting`` probability. All draws
come from the generator passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from leapsim.warning.config import MISSIONS
from leapsim.warning.geography import Sites
from leapsim.warning.model import IncursionParams, WarningModel

ORBIT_POINTS_PER_TURN = 12
WAYPOINT_FIELDS = ("offsets", "xy", "t")  # the other fields of Flights have one row per drone
ATTACK, RECONNAISSANCE, LOITER, TRANSIT = (MISSIONS.index(m) for m in MISSIONS)


@dataclass(frozen=True)
class Flights:
    """D drone flights as struct-of-arrays; drone d's waypoints are rows
    ``offsets[d]:offsets[d+1]`` of ``xy`` (plane, m) and ``t`` (absolute time, s)."""

    group: np.ndarray  # (D,) int64
    type_index: np.ndarray  # (D,) into WarningModel.drone_types
    mission: np.ndarray  # (D,) into MISSIONS
    target_site: np.ndarray  # (D,) site the mission aims at, -1 for none
    speed_mps: np.ndarray
    altitude_m: np.ndarray  # above ground, constant over the flight
    rcs_m2: np.ndarray
    emitting: np.ndarray  # (D,) bool
    crossing_time_s: np.ndarray  # (D,) time the drone crosses the border
    offsets: np.ndarray  # (D+1,) int64
    xy: np.ndarray  # (P, 2)
    t: np.ndarray  # (P,)

    def __len__(self) -> int:
        return int(self.group.shape[0])

    @property
    def start_s(self) -> np.ndarray:
        return self.t[self.offsets[:-1]]

    @property
    def end_s(self) -> np.ndarray:
        return self.t[self.offsets[1:] - 1]

    def waypoints(self, d: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.offsets[d], self.offsets[d + 1]
        return self.xy[a:b], self.t[a:b]

    def position(self, d: int, times: np.ndarray) -> np.ndarray:
        """(T, 3) position of drone d at ``times`` (held at its ends outside its flight)."""
        xy, t = self.waypoints(d)
        times = np.asarray(times, dtype=np.float64)
        out = np.empty((*times.shape, 3))
        out[..., 0] = np.interp(times, t, xy[:, 0])
        out[..., 1] = np.interp(times, t, xy[:, 1])
        out[..., 2] = self.altitude_m[d]
        return out

    def positions_at(self, drones: np.ndarray, times: np.ndarray) -> np.ndarray:
        """(K, 3) position of ``drones[k]`` at ``times[k]`` for any K, vectorised: one
        ``searchsorted`` over all waypoints keyed by (drone, time)."""
        drones = np.asarray(drones, dtype=np.int64)
        times = np.asarray(times, dtype=np.float64)
        span = float(self.t.max() - self.t.min()) + 1.0
        owner = np.repeat(np.arange(len(self)), np.diff(self.offsets))
        key = owner * span + (self.t - self.t.min())
        a, b = self.offsets[drones], self.offsets[drones + 1] - 1
        query = drones * span + (np.clip(times, self.t[a], self.t[b]) - self.t.min())
        k = np.clip(np.searchsorted(key, query, side="right") - 1, a, np.maximum(b - 1, a))
        k1 = np.minimum(k + 1, b)
        dt = self.t[k1] - self.t[k]
        u = np.where(
            dt > 0,
            (np.clip(times, self.t[k], self.t[k1]) - self.t[k]) / np.where(dt > 0, dt, 1.0),
            0.0,
        )
        out = np.empty((drones.size, 3))
        out[:, :2] = self.xy[k] + u[:, None] * (self.xy[k1] - self.xy[k])
        out[:, 2] = self.altitude_m[drones]
        return out

    def select(self, drones: np.ndarray) -> Flights:
        """The flights of the given drones (in that order)."""
        drones = np.asarray(drones, dtype=np.int64)
        parts = [np.arange(self.offsets[d], self.offsets[d + 1]) for d in drones]
        rows = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        per_drone = {
            f.name: getattr(self, f.name)[drones]
            for f in fields(self)
            if f.name not in WAYPOINT_FIELDS
        }
        counts = np.diff(self.offsets)[drones]
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return Flights(**per_drone, offsets=offsets, xy=self.xy[rows], t=self.t[rows])


def site_arrivals(flights: Flights, sites: Sites) -> tuple[np.ndarray, np.ndarray]:
    """First site each drone reaches (comes within its radius) and when: (D,) site index (-1:
    none) and (D,) time (NaN: none). Exact per leg (segment-circle intersection)."""
    n = len(flights)
    site = np.full(n, -1, np.int64)
    when = np.full(n, np.nan)
    for d in range(n):
        xy, t = flights.waypoints(d)
        a, b = xy[:-1], xy[1:]  # legs (L, 2)
        ab = b - a
        rel = a[:, None, :] - sites.xy[None, :, :]  # (L, M, 2)
        qa = np.einsum("lk,lk->l", ab, ab)[:, None]
        qb = 2 * np.einsum("lmk,lk->lm", rel, ab)
        qc = np.einsum("lmk,lmk->lm", rel, rel) - sites.radius_m[None, :] ** 2
        inside0 = qc <= 0
        disc = qb**2 - 4 * qa * qc
        with np.errstate(invalid="ignore", divide="ignore"):
            u = (-qb - np.sqrt(np.maximum(disc, 0))) / (2 * qa)
        hit = inside0 | ((disc >= 0) & (u >= 0) & (u <= 1) & (qa > 0))
        u = np.where(inside0, 0.0, u)
        times = np.where(hit, t[:-1, None] + u * (t[1:] - t[:-1])[:, None], np.inf)
        if np.isfinite(times).any():
            leg, m = np.unravel_index(np.argmin(times), times.shape)
            site[d], when[d] = m, times[leg, m]
    return site, when


def _orbit(centre: np.ndarray, entry: np.ndarray, radius: float, turns: float) -> np.ndarray:
    """Waypoints of ``turns`` turns on a circle round ``centre``, starting nearest ``entry``."""
    start = np.arctan2(entry[1] - centre[1], entry[0] - centre[0])
    k = max(1, int(np.ceil(turns * ORBIT_POINTS_PER_TURN)))
    angles = start + np.linspace(0.0, 2 * np.pi * turns, k + 1)
    return centre + radius * np.stack([np.cos(angles), np.sin(angles)], axis=-1)


def _rotate(v: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


def _uniform(rng: np.random.Generator, interval: tuple[float, float]) -> float:
    return float(rng.uniform(interval[0], interval[1]))


def _route(
    model: WarningModel,
    params: IncursionParams,
    mission: int,
    speed: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, int]:
    """Leader's waypoints (plane m) from launch, and the target site (-1 for none)."""
    spec = params.spec
    s = _uniform(rng, params.crossing_m)
    cross = model.border.point_at(s)
    inward = model.border.inward_at(s)
    angle = np.deg2rad(rng.uniform(-spec.approach_angle_deg, spec.approach_angle_deg))
    launch = cross - _rotate(inward, angle) * _uniform(rng, spec.approach_m)
    route = [launch, cross]
    site = -1
    if mission in (ATTACK, RECONNAISSANCE):
        site = int(rng.choice(len(params.site_p), p=params.site_p))
        centre = model.sites.xy[site]
        if mission == ATTACK:
            route.append(centre)
        else:
            radius = spec.orbit_radius_m
            away = cross - centre
            entry = centre + radius * away / max(np.linalg.norm(away), 1e-9)
            turns = _uniform(rng, spec.orbit_time_s) * speed / (2 * np.pi * radius)
            route.extend(_orbit(centre, entry, radius, turns))
    elif mission == LOITER:
        radius = spec.loiter_radius_m
        centre = cross + inward * (_uniform(rng, spec.loiter_depth_m) + radius)
        turns = _uniform(rng, spec.loiter_time_s) * speed / (2 * np.pi * radius)
        route.extend(_orbit(centre, cross, radius, turns))
        route.extend([cross, cross - inward * spec.approach_m[0]])
    else:
        angle = np.deg2rad(rng.uniform(-spec.transit_angle_deg, spec.transit_angle_deg))
        route.append(cross + _rotate(inward, angle) * _uniform(rng, spec.transit_m))
    return np.asarray(route), site


def generate_incursions(
    model: WarningModel,
    params: IncursionParams,
    rng: np.random.Generator,
    groups: int | None = None,
) -> Flights:
    """Draw ``groups`` incursions (default: the generator's ``groups``) — see module notes."""
    spec = params.spec
    n_groups = spec.groups if groups is None else groups
    profiles = list(spec.profiles.values())
    types = model.drone_types
    cols: dict[str, list] = {
        k: []
        for k in (
            "group",
            "type_index",
            "mission",
            "target_site",
            "speed_mps",
            "altitude_m",
            "rcs_m2",
            "emitting",
            "crossing_time_s",
        )
    }
    xy_parts, t_parts, counts = [], [], []
    for g in range(n_groups):
        size = int(rng.choice(params.size, p=params.size_p))
        k = int(rng.choice(len(params.type_index), p=params.type_p))
        ty = int(params.type_index[k])
        profile = profiles[int(rng.choice(len(profiles), p=params.profile_p))]
        mission = int(rng.choice(params.mission, p=params.mission_p))
        speed = types.speed_mps[ty] * _uniform(rng, profile.speed_factor)
        altitude = (
            types.cruise_altitude_m[ty]
            if profile.altitude_m is None
            else _uniform(rng, profile.altitude_m)
        )
        route, site = _route(model, params, mission, speed, rng)
        legs = np.hypot(*np.diff(route, axis=0).T)
        offsets_t = np.concatenate([[0.0], np.cumsum(legs)]) / speed
        start = rng.uniform(0.0, spec.window_s)
        for member in range(size):
            shift = np.zeros(2) if member == 0 else rng.normal(0.0, spec.group_offset_m, 2)
            if member:
                start += _uniform(rng, spec.group_spacing_s)
            xy_parts.append(route + shift)
            t_parts.append(start + offsets_t)
            counts.append(route.shape[0])
            cols["group"].append(g)
            cols["type_index"].append(ty)
            cols["mission"].append(mission)
            cols["target_site"].append(site)
            cols["speed_mps"].append(speed)
            cols["altitude_m"].append(altitude)
            cols["rcs_m2"].append(types.rcs_m2[ty])
            cols["emitting"].append(bool(rng.random() < params.emitting_p[k]))
            cols["crossing_time_s"].append(start + offsets_t[1])
    ints = {"group", "type_index", "mission", "target_site"}
    arrays = {
        key: np.asarray(
            v, dtype=np.int64 if key in ints else (bool if key == "emitting" else float)
        )
        for key, v in cols.items()
    }
    return Flights(
        **arrays,
        offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        xy=np.concatenate(xy_parts) if xy_parts else np.zeros((0, 2)),
        t=np.concatenate(t_parts) if t_parts else np.zeros(0),
    )
