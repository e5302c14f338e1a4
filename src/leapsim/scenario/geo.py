"""WGS84 latitude/longitude/height ↔ local East-North-Up metres about an origin (pyproj).

The transformation is exact (geodetic → ECEF → topocentric, PROJ ``cart`` and ``topocentric``
operations), so ranges computed in ENU are true slant ranges to well under a metre at 1,000 km.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
from pyproj import Transformer


class LocalFrame:
    """Local ENU frame with its origin on the WGS84 ellipsoid at ``(lat0, lon0)`` (degrees)."""

    def __init__(self, lat0: float, lon0: float):
        self.lat0 = float(lat0)
        self.lon0 = float(lon0)

    @cached_property
    def _forward(self) -> Transformer:
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
        """ENU ground point at a bearing (degrees clockwise from north) and ground distance."""
        bearing = np.deg2rad(bearing_deg)
        return np.array([distance_m * np.sin(bearing), distance_m * np.cos(bearing), 0.0])
