"""WGS84 latitude/longitude/height ↔ local (east, north, up) metres about an origin (pyproj).

Two horizontal frames, chosen per scenario (``frame:``):

* ``tangent_plane`` (default): the exact WGS84 topocentric frame (geodetic → ECEF →
  topocentric, PROJ ``cart`` and ``topocentric``). The engine keeps east and north of points at
  zero height, i.e. their orthographic projection on the tangent plane: ground distances are
  shortened towards the edge (radial scale ``cos(d/R)``), by 0.05 % at 200 km from the origin,
  0.5 % at 650 km and 2 % at 1,300 km.
* ``azimuthal_equidistant``: PROJ ``aeqd`` on the WGS84 ellipsoid. Distances and bearings from
  the origin are exact (geodesic); the scale across the radius is ``(d/R)/sin(d/R)``, so other
  ground distances are too long by at most 0.17 % within 650 km and 0.7 % at 1,300 km. This is
  the frame of theatre-wide scenarios (``builtin:ukraine_2025``); ``docs/engine.md`` gives the
  measured residuals.

Height is the height above the ellipsoid in both frames (the third coordinate of ``to_enu``).
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
from pyproj import Transformer

from leapsim.scenario.models import FRAMES, FrameName


class LocalFrame:
    """Local frame with its origin on the WGS84 ellipsoid at ``(lat0, lon0)`` (degrees)."""

    def __init__(self, lat0: float, lon0: float, projection: FrameName = "tangent_plane"):
        if projection not in FRAMES:
            raise ValueError(f"unknown frame {projection!r}; expected one of {FRAMES}")
        self.lat0 = float(lat0)
        self.lon0 = float(lon0)
        self.projection = projection

    @cached_property
    def _forward(self) -> Transformer:
        if self.projection == "azimuthal_equidistant":
            pipeline = (
                "+proj=pipeline "
                "+step +proj=axisswap +order=2,1 "
                "+step +proj=unitconvert +xy_in=deg +xy_out=rad "
                f"+step +proj=aeqd +ellps=WGS84 +lat_0={self.lat0} +lon_0={self.lon0}"
            )
        else:
            pipeline = (
                "+proj=pipeline "
                "+step +proj=axisswap +order=2,1 "
                "+step +proj=unitconvert +xy_in=deg +xy_out=rad "
                "+step +proj=cart +ellps=WGS84 "
                f"+step +proj=topocentric +ellps=WGS84 +lat_0={self.lat0} +lon_0={self.lon0} +h_0=0"
            )
        return Transformer.from_pipeline(pipeline)

    def to_enu(
        self, lat: np.ndarray | float, lon: np.ndarray | float, height_m: np.ndarray | float = 0.0
    ) -> np.ndarray:
        """ENU coordinates (…, 3) in metres of points given in degrees and metres above WGS84."""
        lat_a, lon_a, h_a = np.broadcast_arrays(
            np.asarray(lat, float), np.asarray(lon, float), np.asarray(height_m, float)
        )
        e, n, u = self._forward.transform(lat_a, lon_a, h_a)
        return np.stack([np.asarray(e), np.asarray(n), np.asarray(u)], axis=-1)

    def to_geodetic(self, enu: np.ndarray) -> np.ndarray:
        """(…, 3) array of latitude (deg), longitude (deg), height (m) for ENU points."""
        enu = np.asarray(enu, float)
        lat, lon, h = self._forward.transform(
            enu[..., 0], enu[..., 1], enu[..., 2], direction="INVERSE"
        )
        return np.stack([np.asarray(lat), np.asarray(lon), np.asarray(h)], axis=-1)

    def point_at(self, bearing_deg: float, distance_m: float) -> np.ndarray:
        """ENU ground point at a bearing (degrees clockwise from north) and ground distance
        (exactly the geodesic point in the azimuthal equidistant frame)."""
        bearing = np.deg2rad(bearing_deg)
        return np.array([distance_m * np.sin(bearing), distance_m * np.cos(bearing), 0.0])
