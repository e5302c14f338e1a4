"""Accuracy of the engine's horizontal frames at theatre scale (issue 14, docs/engine.md).

20,000 random pairs of points in 44-55° N, 22-48° E (Ukraine and the Russian launch areas);
distance in each frame (origin 49.0° N 31.5° E) against pyproj's WGS84 geodesic. Also a 40 km
range (a fire unit's envelope) at points more than 600 km from the origin.

Usage: python bench/frame_accuracy.py
"""

from __future__ import annotations

import numpy as np
from pyproj import Geod

from leapsim.scenario.geo import LocalFrame
from leapsim.scenario.models import FRAMES

ORIGIN = (49.0, 31.5)


def main() -> None:
    geod = Geod(ellps="WGS84")
    rng = np.random.default_rng(0)
    lat, lon = rng.uniform(44, 55, 4000), rng.uniform(22, 48, 4000)
    i, j = rng.integers(0, 4000, 20000), rng.integers(0, 4000, 20000)
    _, _, true = geod.inv(lon[i], lat[i], lon[j], lat[j])
    print("| frame | max error within 650 km | within 1,300 km | RMS within 1,300 km | "
          "a 40 km range 600+ km out |")  # fmt: skip
    print("|---|---|---|---|---|")
    for name in FRAMES:
        frame = LocalFrame(*ORIGIN, name)
        xy = frame.to_enu(lat, lon)[:, :2]
        plane = np.hypot(*(xy[i] - xy[j]).T)
        far = np.maximum(np.hypot(*xy[i].T), np.hypot(*xy[j].T))
        ok = true > 1000
        rel = (plane[ok] - true[ok]) / true[ok]
        within = {km: np.abs(rel[far[ok] <= km * 1e3]) for km in (650, 1300)}
        outer = np.hypot(*xy.T) > 600e3
        la, lo = lat[outer][:200], lon[outer][:200]
        lo2, la2, _ = geod.fwd(lo, la, rng.uniform(0, 360, la.size), np.full(la.size, 40e3))
        a, b = frame.to_enu(la, lo)[:, :2], frame.to_enu(la2, lo2)[:, :2]
        envelope = np.abs(np.hypot(*(a - b).T) - 40e3).max()
        rms = 100 * np.sqrt((within[1300] ** 2).mean())
        print(f"| {name} | {100 * within[650].max():.2f} % | {100 * within[1300].max():.2f} % | "
              f"{rms:.2f} % | up to {envelope:.0f} m |")  # fmt: skip


if __name__ == "__main__":
    main()
