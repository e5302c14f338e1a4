"""Derive ``src/leapsim/report/data/europe_borders.json`` from Natural Earth (via world-atlas).

Source: the npm package ``world-atlas`` 2.0.2 by Mike Bostock (ISC licence), TopoJSON built from
Natural Earth 1:50m Admin 0 countries (public domain). Reproduce with::

    cd /tmp && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    .venv/bin/python scripts/make_borders.py /tmp/package/countries-50m.json \
        src/leapsim/report/data/europe_borders.json

The TopoJSON arcs are decoded, clipped to a box around Europe and kept in two forms: ``lines``
(each arc once, marked ``border`` when two countries share it and ``coast`` otherwise; drawn as
strokes) and ``countries`` (closed rings clipped to the box; drawn as land fill). Coordinates are
integers in units of ``1 / scale`` degrees, delta-encoded: ``[lon0, lat0, dlon1, dlat1, ...]``.

One deliberate change to the source: world-atlas puts Crimea in Russia's geometry; it is moved to
Ukraine, its internationally recognised state (UN General Assembly resolution 68/262), and the
line across the Perekop isthmus is dropped.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

BOX = (-32.0, 27.0, 62.0, 75.0)  # lon_min, lat_min, lon_max, lat_max
SCALE = 500  # 0.002 degree resolution (about 220 m north-south)
CRIMEA = (34.1, 45.0)  # a point inside the peninsula (lon, lat)
RENAME = {"Macedonia": "North Macedonia", "Bosnia and Herz.": "Bosnia and Herzegovina"}


def decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    """Absolute lon/lat of every arc of a quantized TopoJSON topology."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def arc_points(arcs: list, index: int) -> list[tuple[float, float]]:
    """Points of arc ``index``; a negative index (``~i``) is arc ``i`` reversed."""
    return arcs[index] if index >= 0 else arcs[~index][::-1]


def ring_points(arcs: list, ring: list[int]) -> list[tuple[float, float]]:
    pts: list[tuple[float, float]] = []
    for index in ring:
        seg = arc_points(arcs, index)
        pts.extend(seg if not pts else seg[1:])
    return pts


def inside(p: tuple[float, float]) -> bool:
    return BOX[0] <= p[0] <= BOX[2] and BOX[1] <= p[1] <= BOX[3]


def clip_line(pts: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """Pieces of a polyline inside the box (a piece keeps one point beyond each box edge)."""
    pieces, cur = [], []
    for i, p in enumerate(pts):
        neighbours = pts[max(i - 1, 0) : i + 2]
        if any(inside(q) for q in neighbours):
            cur.append(p)
        elif cur:
            pieces.append(cur)
            cur = []
    if cur:
        pieces.append(cur)
    return [c for c in pieces if len(c) > 1]


def clip_ring(pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sutherland-Hodgman clipping of a closed ring to the box (fill only; edges may lie on it)."""

    def clip(poly, keep, cross):
        out = []
        for i, cur in enumerate(poly):
            prev = poly[i - 1]
            if keep(cur):
                if not keep(prev):
                    out.append(cross(prev, cur))
                out.append(cur)
            elif keep(prev):
                out.append(cross(prev, cur))
        return out

    def at_x(x):
        return lambda a, b: (x, a[1] + (b[1] - a[1]) * (x - a[0]) / (b[0] - a[0]))

    def at_y(y):
        return lambda a, b: (a[0] + (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]), y)

    poly = list(pts)
    for keep, cross in (
        (lambda p: p[0] >= BOX[0], at_x(BOX[0])),
        (lambda p: p[0] <= BOX[2], at_x(BOX[2])),
        (lambda p: p[1] >= BOX[1], at_y(BOX[1])),
        (lambda p: p[1] <= BOX[3], at_y(BOX[3])),
    ):
        if not poly:
            break
        poly = clip(poly, keep, cross)
    return poly


def encode(pts: list[tuple[float, float]]) -> list[int]:
    """Quantize to 1/SCALE degree, drop repeated points, delta-encode."""
    q: list[tuple[int, int]] = []
    for x, y in pts:
        p = (round(x * SCALE), round(y * SCALE))
        if not q or p != q[-1]:
            q.append(p)
    out = [q[0][0], q[0][1]]
    for (x0, y0), (x1, y1) in itertools.pairwise(q):
        out += [x1 - x0, y1 - y0]
    return out


def ring_area(pts: list[tuple[float, float]]) -> float:
    return 0.5 * sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(pts, pts[1:] + pts[:1], strict=True))


def centroid(pts: list[tuple[float, float]]) -> tuple[float, float]:
    a = ring_area(pts)
    cx = cy = 0.0
    for p, q in zip(pts, pts[1:] + pts[:1], strict=True):
        f = p[0] * q[1] - q[0] * p[1]
        cx += (p[0] + q[0]) * f
        cy += (p[1] + q[1]) * f
    return (cx / (6 * a), cy / (6 * a))


def contains(ring: list[tuple[float, float]], p: tuple[float, float]) -> bool:
    """Even-odd point-in-polygon test."""
    hit = False
    for a, b in zip(ring, ring[-1:] + ring[:-1], strict=True):
        if (a[1] > p[1]) != (b[1] > p[1]):
            x_cross = (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0]
            hit ^= p[0] < x_cross
    return hit


def polygons_by_country(topo: dict, arcs: list) -> dict[str, list[list[list[int]]]]:
    """Country name -> its polygons (lists of rings of arc indices), Crimea moved to Ukraine."""
    out: dict[str, list[list[list[int]]]] = {}
    for geom in topo["objects"]["countries"]["geometries"]:
        polys = geom.get("arcs", [])
        out[geom["properties"]["name"]] = [polys] if geom["type"] == "Polygon" else polys
    russia = out["Russia"]
    crimea = [p for p in russia if contains(ring_points(arcs, p[0]), CRIMEA)]
    if len(crimea) != 1:
        raise SystemExit("expected exactly one Russian polygon containing Crimea")
    out["Russia"] = [p for p in russia if p is not crimea[0]]
    out["Ukraine"] = [*out["Ukraine"], crimea[0]]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topojson", type=Path, help="world-atlas countries-50m.json")
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    topo = json.loads(args.topojson.read_text())
    arcs = decode_arcs(topo)
    users: list[list[str]] = [[] for _ in arcs]
    countries = []
    for name, polys in polygons_by_country(topo, arcs).items():
        rings = []
        for poly in polys:
            for ring in poly:
                clipped = clip_ring(ring_points(arcs, ring))
                if len(clipped) >= 3 and abs(ring_area(clipped)) > 1e-6:
                    rings.append(clipped)
        if not rings:
            continue
        for poly in polys:
            for ring in poly:
                for index in ring:
                    users[index if index >= 0 else ~index].append(name)
        biggest = max(rings, key=lambda r: abs(ring_area(r)))
        lon, lat = centroid(biggest)
        countries.append(
            {
                "name": RENAME.get(name, name),
                "label": [round(lon, 2), round(lat, 2)],
                "rings": [encode(r) for r in rings],
            }
        )
    lines = []
    for arc, names in zip(arcs, users, strict=True):
        if not names or (len(names) > 1 and len(set(names)) == 1):
            continue  # unused, or inside one country (Perekop after the Crimea move)
        kind = "border" if len(names) > 1 else "coast"
        lines += [{"kind": kind, "pts": encode(piece)} for piece in clip_line(arc)]
    out = {
        "source": "Natural Earth 1:50m Admin 0 countries, via world-atlas 2.0.2 countries-50m.json",
        "bbox": list(BOX),
        "scale": SCALE,
        "countries": countries,
        "lines": lines,
    }
    args.out.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"{len(countries)} countries, {len(lines)} lines, {args.out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
