"""Border lines, protected sites and the planar frame of an early-warning study.

**Frame.** Positions are WGS84 at the boundary. Inside, a point is ``(east, north)`` in metres in
the exact topocentric plane of :class:`leapsim.scenario.geo.LocalFrame` at the region's centre,
and ``z`` is the height above the local ground (flat terrain). Earth curvature enters once, where
it matters for sensing: the 4/3-earth radio horizon of :mod:`leapsim.sensing.radar`, which takes
heights above the local ground. The plane is an orthographic view of the ellipsoid, so a ground
distance computed in it is short by about ``d³/(6R²)`` over a distance ``d`` from the centre
(radial scale ``cos(d/R)``): 0.1 % at 300 km. :func:`frame_error` measures it against geodesic
distances (pyproj ``Geod``); ``docs/warning.md`` quotes the figure for the built-in study.

**Border.** A polyline with the protected country on its left (:class:`Border`); the built-in
lines come from Natural Earth 1:50m (``data/borders.json``, ``data/NATURAL_EARTH.md``), or a
user's GeoJSON LineString.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pyproj import Geod

from leapsim.errors import InputError
from leapsim.scenario.geo import LocalFrame
from leapsim.yaml_files import did_you_mean, read_yaml, validate_model

EARTH_RADIUS_M = 6_371_000.0


@cache
def _local_frame(lat0: float, lon0: float) -> LocalFrame:
    return LocalFrame(lat0, lon0)


@dataclass(frozen=True)
class PlaneFrame:
    """WGS84 ↔ ``(east, north)`` metres in the topocentric plane at ``(lat0, lon0)``."""

    lat0: float
    lon0: float

    @property
    def local(self) -> LocalFrame:
        return _local_frame(self.lat0, self.lon0)

    def to_xy(self, lat: np.ndarray | float, lon: np.ndarray | float) -> np.ndarray:
        """(…, 2) east/north metres of ground points given in degrees."""
        return self.local.to_enu(lat, lon, 0.0)[..., :2]

    def to_latlon(self, xy: np.ndarray) -> np.ndarray:
        """(…, 2) latitude/longitude (degrees) of plane points: the ground point whose
        topocentric east/north are ``xy`` (two fixed-point steps on the up coordinate; the
        residual height is below a millimetre at 1,000 km)."""
        xy = np.asarray(xy, dtype=np.float64)
        up = -(xy[..., 0] ** 2 + xy[..., 1] ** 2) / (2.0 * EARTH_RADIUS_M)
        for _ in range(2):
            geo = self.local.to_geodetic(np.stack([xy[..., 0], xy[..., 1], up], axis=-1))
            up = up - geo[..., 2]
        geo = self.local.to_geodetic(np.stack([xy[..., 0], xy[..., 1], up], axis=-1))
        return geo[..., :2]


def frame_error(frame: PlaneFrame, lat: np.ndarray, lon: np.ndarray) -> dict[str, float]:
    """Plane distance against WGS84 geodesic distance over every pair of the given points.

    Returns the largest relative error, the largest absolute error (m) and the largest pair
    distance (m).
    """
    lat, lon = np.asarray(lat, float).ravel(), np.asarray(lon, float).ravel()
    i, j = np.triu_indices(lat.size, k=1)
    xy = frame.to_xy(lat, lon)
    plane = np.hypot(*(xy[i] - xy[j]).T)
    _, _, geodesic = Geod(ellps="WGS84").inv(lon[i], lat[i], lon[j], lat[j])
    geodesic = np.asarray(geodesic)
    ok = geodesic > 1.0
    rel = np.abs(plane[ok] - geodesic[ok]) / geodesic[ok]
    return {
        "max_relative_error": float(rel.max(initial=0.0)),
        "max_abs_error_m": float(np.abs(plane - geodesic).max(initial=0.0)),
        "max_distance_m": float(geodesic.max(initial=0.0)),
    }


@dataclass(frozen=True)
class Border:
    """A border polyline in the plane: ``xy`` (K, 2) vertices in metres, the protected side on
    the left of the direction of travel along them."""

    name: str
    xy: np.ndarray

    def __post_init__(self) -> None:
        if self.xy.shape[0] < 2:
            raise ValueError("a border needs at least two points")

    @property
    def cumulative_m(self) -> np.ndarray:
        """(K,) arc length at each vertex, m."""
        seg = np.hypot(*np.diff(self.xy, axis=0).T)
        return np.concatenate([[0.0], np.cumsum(seg)])

    @property
    def length_m(self) -> float:
        return float(self.cumulative_m[-1])

    def _segment(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cum = self.cumulative_m
        s = np.clip(np.asarray(s, dtype=np.float64), 0.0, cum[-1])
        k = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(cum) - 2)
        return s, k

    def point_at(self, s: np.ndarray | float) -> np.ndarray:
        """(…, 2) the point at arc length ``s`` (m, clipped to the line)."""
        s, k = self._segment(s)
        cum = self.cumulative_m
        seg = cum[k + 1] - cum[k]
        u = np.where(seg > 0, (s - cum[k]) / np.where(seg > 0, seg, 1.0), 0.0)
        return self.xy[k] + u[..., None] * (self.xy[k + 1] - self.xy[k])

    def tangent_at(self, s: np.ndarray | float) -> np.ndarray:
        """(…, 2) unit direction of the line at arc length ``s``."""
        _, k = self._segment(s)
        d = self.xy[k + 1] - self.xy[k]
        return d / np.maximum(np.linalg.norm(d, axis=-1, keepdims=True), 1e-9)

    def inward_at(self, s: np.ndarray | float) -> np.ndarray:
        """(…, 2) unit normal pointing into the protected side (the left of the direction)."""
        t = self.tangent_at(s)
        return np.stack([-t[..., 1], t[..., 0]], axis=-1)

    def signed_distance(self, xy: np.ndarray) -> np.ndarray:
        """(N,) distance (m) from each point to the line: positive on the protected side."""
        p = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        a, b = self.xy[:-1], self.xy[1:]
        ab = b - a
        length2 = np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-12)
        u = np.clip(np.einsum("nij,ij->ni", p[:, None, :] - a[None], ab) / length2, 0.0, 1.0)
        foot = a[None] + u[..., None] * ab[None]
        dist = np.linalg.norm(p[:, None, :] - foot, axis=-1)
        k = np.argmin(dist, axis=1)
        rows = np.arange(p.shape[0])
        rel = p - a[k]
        side = ab[k, 0] * rel[:, 1] - ab[k, 1] * rel[:, 0]  # > 0: left of the segment
        return np.where(side >= 0, 1.0, -1.0) * dist[rows, k]

    def sub_line(self, from_m: float, to_m: float) -> Border:
        """The part of the line between two arc lengths (m)."""
        cum = self.cumulative_m
        inner = (cum > from_m) & (cum < to_m)
        xy = np.concatenate(
            [self.point_at(from_m)[None], self.xy[inner], self.point_at(to_m)[None]]
        )
        return Border(f"{self.name} [{from_m / 1e3:.0f}-{to_m / 1e3:.0f} km]", xy)


# --- sources of border lines ---------------------------------------------------------------


@cache
def builtin_borders() -> dict[str, list[list[float]]]:
    """Name → [[lon, lat], ...] of the lines in ``data/borders.json`` (protected side left)."""
    text = (resources.files("leapsim.warning") / "data" / "borders.json").read_text("utf-8")
    return {b["name"]: b["lonlat"] for b in json.loads(text)["borders"]}


def builtin_border_lonlat(name: str, *, file: str | None = None, line: int | None = None):
    """(K, 2) lon/lat of a built-in border, or an :class:`InputError` naming the known ones."""
    borders = builtin_borders()
    if name not in borders:
        hint = did_you_mean(name, borders) or f"known borders: {', '.join(borders)}"
        raise InputError.at(
            f"unknown border {name!r}",
            file=file,
            line=line,
            field="border.natural_earth",
            hint=hint,
        )
    return np.asarray(borders[name], dtype=np.float64)


class _GeoJSONModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


def _lon_lat(position: list[float]) -> list[float]:
    if not -180.0 <= position[0] <= 180.0:
        raise ValueError(f"longitude {position[0]:g} is outside -180..180 (give [lon, lat])")
    if not -90.0 <= position[1] <= 90.0:
        raise ValueError(f"latitude {position[1]:g} is outside -90..90 (give [lon, lat])")
    return position


Position = Annotated[list[float], Field(min_length=2, max_length=3), AfterValidator(_lon_lat)]


def _expect(kind: str):
    """A before-validator that reports a wrong GeoJSON ``type`` as one clear error."""

    def check(data: Any) -> Any:
        if isinstance(data, dict) and data.get("type") != kind:
            raise ValueError(f"expected a GeoJSON {kind}, not {data.get('type')!r}")
        return data

    return model_validator(mode="before")(classmethod(lambda cls, data: check(data)))


class LineString(_GeoJSONModel):
    type: str
    coordinates: list[Position] = Field(min_length=2, max_length=100_000)
    _check = _expect("LineString")


class Feature(_GeoJSONModel):
    type: str
    geometry: LineString
    _check = _expect("Feature")


class FeatureCollection(_GeoJSONModel):
    type: str
    features: list[Feature] = Field(min_length=1, max_length=1)
    _check = _expect("FeatureCollection")


def geojson_border_lonlat(path: str | Path) -> np.ndarray:
    """(K, 2) lon/lat of the one LineString in a GeoJSON file (a bare LineString, a Feature or
    a FeatureCollection of one Feature). JSON is read as YAML, so every error names its line."""
    data, smap = read_yaml(path)
    kind = data.get("type") if isinstance(data, dict) else None
    models: dict[Any, type[_GeoJSONModel]] = {
        "LineString": LineString,
        "Feature": Feature,
        "FeatureCollection": FeatureCollection,
    }
    if kind not in models:
        raise InputError.at(
            f"expected a GeoJSON LineString, Feature or FeatureCollection, not {kind!r}",
            file=str(path),
            line=smap.locate(("type",), str(path))[1],
            field="type",
            hint="give the border as one LineString of [lon, lat] positions",
        )
    doc = validate_model(models[kind], data, smap, str(path))
    if isinstance(doc, FeatureCollection):
        doc = doc.features[0]
    if isinstance(doc, Feature):
        doc = doc.geometry
    return np.asarray([c[:2] for c in doc.coordinates], dtype=np.float64)


@dataclass(frozen=True)
class Sites:
    """M protected sites: names, kinds, positions (M, 2) in the plane, and the radius (m) at
    which a drone counts as having reached each site."""

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    xy: np.ndarray
    radius_m: np.ndarray

    def __len__(self) -> int:
        return len(self.names)
