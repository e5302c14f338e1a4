"""The view of an early-warning folder (``leapsim warn run``, ``docs/warning.md``): the MILP's
measures as tiles, the placements with the MILP's bound, the share warned per placement and
incursion set, the warning-time distribution, the paired differences, and coverage maps over
the real border with each placement drawn on them."""

from __future__ import annotations

from typing import Any

from leapsim.report import prepare
from leapsim.report.fmt import fmt_value
from leapsim.report.load import ResultFolder, read_json
from leapsim.warning.geography import PlaneFrame

# Early warning (``leapsim warn run``; docs/warning.md): measures shown per placement.
WARNING_MEASURES: tuple[tuple[str, str, str, str], ...] = (
    (
        "share_warned",
        "Warned in time",
        "pct",
        "confirmed track W min before the site (or within W of crossing)",
    ),
    ("p_detect", "Confirmed track", "pct", "share of drones a confirmed track held"),
    ("warning_min", "Warning time (min)", "count", "before the site reached; 0 without a track"),
    ("crossing_to_track_min", "Crossing to track (min)", "count", "negative: before crossing"),
    ("false_tracks_per_day", "False tracks per day", "count", "birds and clutter"),
    ("false_alerts_per_day", "False alerts per day", "count", "false tracks at drone speed"),
)
METHOD_COLOR = {"milp": "#1f5fa8", "greedy": "#3a9d5d", "uniform": "#c44e52"}
KIND_COLOR = {"radar": "#1c3f94", "acoustic": "#2b8a3e", "eo_ir": "#e8590c", "rf": "#862e9c"}


def _placement_overlay(method: str, doc: dict[str, Any], kinds: dict[str, str]) -> dict[str, Any]:
    """A placement on the map: fences as lines through their nodes, other sensors as points."""
    features = []
    for item in doc.get("items", []):
        color = KIND_COLOR.get(kinds.get(item["option"], ""), "#495057")
        nodes = item.get("nodes") or []
        if "stretch_m" in item and len(nodes) > 1:
            features.append(
                {
                    "kind": "line",
                    "pts": nodes,
                    "color": color,
                    "label": f"{item['option']} ({len(nodes)} nodes)",
                }
            )
        else:
            features += [
                {"kind": "point", "pts": [p], "color": color, "label": item["option"]}
                for p in nodes
            ]
    return {
        "id": f"placement-{method}",
        "label": f"{method} placement",
        "color": "#1d2733",
        "features": features,
    }


def warning_view(result: ResultFolder) -> dict[str, Any] | None:
    """An early-warning study: placements, measures with CIs, warning times, coverage maps."""
    if result.kind != "warning":
        return None
    from leapsim.report.views import Stat  # the table cell type of the built-in views

    s = result.summary
    measured = s.get("measured") or {}
    sets = [str(x) for x in s.get("sets") or []]
    methods = list(measured)
    plan = read_json(result.path / "plan.json")
    coverage = read_json(result.path / "coverage.json")
    main = sets[0] if sets else ""
    first = measured.get("milp", {}).get(main) or {}
    tiles = [
        {"metric": key, "title": title, "unit": unit, "note": note, "stats": first[key]}
        for key, title, unit, note in WARNING_MEASURES
        if isinstance(first.get(key), dict)
    ]
    plan_rows = []
    for method, doc in (plan.get("methods") or {}).items():
        bound = doc.get("bound")
        plan_rows.append(
            [
                method,
                fmt_value(doc.get("cost_eur"), "eur"),
                fmt_value(doc.get("planning_share"), "pct"),
                "–" if bound is None else fmt_value(bound, "pct"),
                ", ".join(f"{n} × {k}" for k, n in (doc.get("by_option") or {}).items()),
            ]
        )
    tables = []
    for name in sets:
        rows = [
            [title] + [Stat((measured[m].get(name) or {}).get(key), unit) for m in methods]
            for key, title, unit, _ in WARNING_MEASURES
            if any(isinstance((measured[m].get(name) or {}).get(key), dict) for m in methods)
        ]
        tables.append({"set": name, "rows": rows})
    paired_rows = []
    for pair, by_set in (s.get("paired") or {}).items():
        for name, block in by_set.items():
            for key, title, unit, _ in WARNING_MEASURES:
                if isinstance(block.get(key), dict):
                    paired_rows.append([pair, name, title, Stat(block[key], unit)])
    bars = [
        {
            "name": name,
            "color": color,
            "stats": [
                {
                    k: (measured[m].get(name) or {}).get("share_warned", {}).get(k)
                    for k in ("mean", "ci_low", "ci_high")
                }
                for m in methods
            ],
        }
        for name, color in zip(sets, ("#1f5fa8", "#e8590c", "#3a9d5d", "#862e9c"), strict=False)
    ]
    hists = []
    for m in methods:
        hist = ((measured[m].get(main) or {}).get("warning_time") or {}).get("histogram_min")
        if hist:
            hists.append(
                {
                    "name": m,
                    "color": METHOD_COLOR.get(m, "#495057"),
                    "hist": hist | {"integer": False},
                }
            )
    frame = PlaneFrame(**coverage["frame"])
    kinds = {name: kind for name, kind in (plan.get("option_kinds") or {}).items()}
    border = {
        "id": "border",
        "label": "border",
        "color": "#c92a2a",
        "features": [
            {
                "kind": "line",
                "pts": coverage["border"],
                "color": "#c92a2a",
                "label": str((s.get("border") or {}).get("name", "border")),
            }
        ],
    }
    maps = []
    for method, grids in (coverage.get("maps") or {}).items():
        for g in grids if method == "milp" else grids[:1]:
            band = {
                "id": f"pd-{method}-{g['altitude_m']:g}",
                "label": "single-scan Pd",
                "color": prepare.PD_BANDS[-1][1],
                "features": prepare.coverage_strips(g, frame.to_latlon),
            }
            doc = (plan.get("methods") or {}).get(method) or {}
            maps.append(
                {
                    "title": f"{method}: coverage at {g['altitude_m']:g} m, RCS {g['rcs_m2']:g} m²",
                    "overlays": [band, border, _placement_overlay(method, doc, kinds)],
                    "note": "Single-scan detection probability of the network: light ≥ 0.1, "
                    "medium ≥ 0.5, dark ≥ 0.9 (a drone whose datalink emits).",
                }
            )
    return {
        "budget": s.get("budget_eur"),
        "warning_min": s.get("warning_min"),
        "tiles": tiles,
        "plan_rows": plan_rows,
        "tables": tables,
        "paired_rows": paired_rows,
        "methods": methods,
        "bars": bars,
        "hists": hists,
        "maps": maps,
        "frame": s.get("frame") or {},
    }
