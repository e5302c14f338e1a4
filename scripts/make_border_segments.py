"""Derive ``src/leapsim/warning/data/borders.json``: NATO's eastern land borders as polylines.

Source: ``src/leapsim/report/data/europe_borders.json``, itself Natural Earth 1:50m Admin 0
countries (public domain) via the npm package ``world-atlas`` 2.0.2 (ISC), quantized to 0.002°
(``scripts/make_borders.py``; ``src/leapsim/report/data/NATURAL_EARTH.md``). Reproduce with::

    .venv/bin/python scripts/make_border_segments.py \
        src/leapsim/report/data/europe_borders.json src/leapsim/warning/data/borders.json

Two countries share a border where their rings share vertices: both rings are built from the same
TopoJSON arcs and quantized alike, so shared points coincide exactly. For each pair the longest
run of consecutive shared vertices of the protected country's ring is kept, oriented so that the
protected country lies on the left when walking along the points (its ring's orientation, from
the shoelace sign, says which way that is). Lengths are geodesic (WGS84, pyproj).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from pyproj import Geod

# (protected country, neighbour): NATO/EU land borders with Russia and Belarus, and Poland-Ukraine.
PAIRS = (
    ("Poland", "Belarus"),
    ("Poland", "Russia"),
    ("Poland", "Ukraine"),
    ("Lithuania", "Belarus"),
    ("Lithuania", "Russia"),
    ("Latvia", "Belarus"),
    ("Latvia", "Russia"),
    ("Estonia", "Russia"),
    ("Finland", "Russia"),
)


def decode(encoded: list[int]) -> np.ndarray:
    """Integer vertices (units of 1/scale degree) of a delta-encoded ring."""
    return np.cumsum(np.asarray(encoded, dtype=np.int64).reshape(-1, 2), axis=0)


def shared_run(ring: np.ndarray, other: set[tuple[int, int]]) -> np.ndarray | None:
    """The longest run of consecutive vertices of ``ring`` that are also in ``other``."""
    shared = np.array([tuple(p) in other for p in ring])
    if not shared.any() or shared.all():
        return None
    start = int(np.flatnonzero(~shared)[-1]) + 1  # rotate so that no run wraps around
    ring, shared = np.roll(ring, -start, axis=0), np.roll(shared, -start)
    runs, current = [], []
    for point, flag in zip(ring, shared, strict=True):
        if flag:
            current.append(point)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    best = np.asarray(max(runs, key=len))
    keep = np.concatenate([[True], np.any(np.diff(best, axis=0) != 0, axis=1)])
    best = best[keep]  # a ring may visit a vertex twice in a row (a spike of the outline)
    return best if len(best) >= 2 else None


def signed_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0].astype(float), ring[:, 1].astype(float)
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("borders", type=Path, help="src/leapsim/report/data/europe_borders.json")
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    data = json.loads(args.borders.read_text())
    scale = data["scale"]
    rings = {c["name"]: [decode(r) for r in c["rings"]] for c in data["countries"]}
    geod = Geod(ellps="WGS84")
    out = []
    for protected, neighbour in PAIRS:
        other = {tuple(p) for ring in rings[neighbour] for p in ring}
        candidates = []
        for ring in rings[protected]:
            run = shared_run(ring, other)
            if run is not None:
                candidates.append(run if signed_area(ring) > 0 else run[::-1])
        if not candidates:
            raise SystemExit(f"{protected} and {neighbour} share no border in {args.borders}")
        run = max(candidates, key=len)
        lonlat = run / scale
        length = geod.line_length(lonlat[:, 0], lonlat[:, 1])
        out.append(
            {
                "name": f"{protected}-{neighbour}",
                "protected": protected,
                "neighbour": neighbour,
                "length_km": round(length / 1000, 1),
                "lonlat": [[round(float(x), 3), round(float(y), 3)] for x, y in lonlat],
            }
        )
        print(f"{protected}-{neighbour}: {len(run)} points, {length / 1000:.1f} km")
    doc = {
        "source": data["source"] + ", via leapsim report/data/europe_borders.json",
        "orientation": "the protected country lies on the left when walking along lonlat",
        "borders": out,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
