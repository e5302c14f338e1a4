"""Views of the decision layers' folders: a plan search (``leapsim plan``), an effector's
requirements (``leapsim requirements``) and joint procurement (``leapsim coalition``).

Each turns its folder's ``summary.json`` (``docs/plan.md``, ``docs/procurement.md``) into plain
data for its template; numbers stay raw, the templates format them.
"""

from __future__ import annotations

from typing import Any

from leapsim.report.load import ResultFolder

BLUE, GREEN, RED, GREY, DARK = "#2f6db5", "#3a9d5d", "#c44e52", "#9aa3ad", "#1f2a36"
PALETTE = ("#2f6db5", "#c44e52", "#3a9d5d", "#8c6bb1", "#e08a2e", "#1f4e79", "#7f7f7f")


def _point(doc: dict, objective: str, label: str) -> dict[str, Any]:
    stats = doc["objectives"][objective]
    return {
        "x": doc["cost_eur"],
        "y": stats["mean"],
        "y_low": stats["ci_low"],
        "y_high": stats["ci_high"],
        "label": label,
    }


def _stat(stats: dict | None) -> dict | None:
    return None if not stats else {k: stats.get(k) for k in ("mean", "ci_low", "ci_high")}


def _verdict(comparison: dict) -> str:
    if comparison.get("plan") is None:
        return comparison.get("note", "")
    if comparison.get("better_separated"):
        return "the plan loses less (separated)"
    return "within noise" if comparison.get("within_noise") else "the plan loses more"


def plan_view(result: ResultFolder) -> dict[str, Any] | None:
    """The front (cost against value lost, with CIs), references and naive rules beside it, the
    chosen plan on the map, its budget by nation and type, and its stock curves."""
    if result.kind != "plan":
        return None
    from leapsim.report.views import Stat  # the table cell type of the built-in views

    s = result.summary
    noisy = next((o for o in s["objectives"] if o != "cost"), "value_lost")
    front = s["front"]
    chosen = s.get("chosen_plan") or {}
    series = [
        {
            "name": "front",
            "color": BLUE,
            "line": True,
            "points": [_point(p, noisy, p["id"]) for p in front],
        },
        {
            "name": "references",
            "color": RED,
            "points": [_point(r, noisy, r["scenario"]) for r in s.get("references", [])],
        },
        {
            "name": "naive rules",
            "color": GREY,
            "points": [_point(b, noisy, b["rule"]) for b in s.get("baselines", [])],
        },
        {
            "name": "chosen",
            "color": GREEN,
            "points": [_point(p, noisy, p["id"]) for p in front if p["id"] == s.get("chosen")],
        },
    ]
    front_rows = [
        [
            p["id"] + (" (chosen)" if p["id"] == s.get("chosen") else ""),
            Stat(_exact(p["cost_eur"]), "eur"),
            Stat(p["objectives"][noisy], "eur"),
            str(p["runs"]),
            Stat(p.get("sustained"), "pct", absent="–"),
            ", ".join(p.get("within_noise_of", [])),
        ]
        for p in front
    ]
    others = [(f"reference {r['scenario']}", r) for r in s.get("references", [])]
    others += [(f"rule {b['rule']}", b) for b in s.get("baselines", [])]
    comparison_rows = []
    for label, doc in others:
        comp = doc["best_plan_at_its_cost"]
        diff = (comp.get("difference") or {}).get(noisy)
        comparison_rows.append(
            [
                label,
                Stat(_exact(doc["cost_eur"]), "eur"),
                Stat(doc["objectives"][noisy], "eur"),
                comp.get("plan") or "–",
                Stat(diff, "eur", absent="–"),
                _verdict(comp),
            ]
        )
    units = chosen.get("units", [])
    overlay = {
        "id": "bought",
        "label": "units the plan buys",
        "color": GREEN,
        "features": [
            {
                "kind": "point",
                "pts": [list(at)],
                "color": GREEN,
                "label": f"{u['type']} ({u['nation']}), {u['position']}",
            }
            for u in units
            for at in u["at"]
        ],
    }
    pays = chosen.get("pays_eur", {})
    budget = chosen.get("budget_eur", {})
    nations = list(pays)
    by_type = chosen.get("cost_by_type_eur", {})
    curves = chosen.get("stock_curves", {})
    nights = len(next(iter(curves.values()))["mean"]) if curves else 0
    return {
        "objective": noisy,
        "scatter": series,
        "front_rows": front_rows,
        "comparison_rows": comparison_rows,
        "chosen": s.get("chosen"),
        "overlays": [overlay] if units else [],
        "nations": nations,
        "budget_series": [
            {"name": "pays", "color": BLUE, "stats": [_exact(pays[n]) for n in nations]},
            {
                "name": "budget",
                "color": GREY,
                "stats": [_exact(budget.get(n, 0.0)) for n in nations],
            },
        ],
        "types": list(by_type),
        "type_series": [
            {"name": "cost", "color": BLUE, "stats": [_exact(v) for v in by_type.values()]}
        ],
        "nights": list(range(1, nights + 1)),
        "stock_series": [
            {"name": name, "color": PALETTE[k % len(PALETTE)], **curve}
            for k, (name, curve) in enumerate(curves.items())
        ],
        "search": s.get("search", {}),
        "throughput": s.get("throughput", {}),
    }


def _exact(value: float) -> dict[str, float]:
    """A number without uncertainty as a chart/table statistic."""
    return {"mean": value, "ci_low": value, "ci_high": value}


def requirements_view(result: ResultFolder) -> dict[str, Any] | None:
    """Per incumbent: the design points (pays or not) and the break-even frontier with its
    band — a contour of Δ total cost = 0 over the design space."""
    if result.kind != "requirements":
        return None
    s = result.summary
    axes = s["axes"]
    last = axes[-1]
    first = axes[0] if len(axes) > 1 else None
    points = s.get("points_data", [])
    charts = []
    shown = [*s["incumbents"], "any"] if len(s["incumbents"]) > 1 else s["incumbents"]
    for incumbent in shown:
        rows = [p for p in points if p["incumbent"] == incumbent] if incumbent != "any" else []
        frontier = s["frontier"].get(incumbent, [])
        if first is None:
            continue
        series = [
            {
                "name": "pays",
                "color": GREEN,
                "points": [
                    {"x": p[first["field"]], "y": p[last["field"]]} for p in rows if p["pays"]
                ],
            },
            {
                "name": "does not pay",
                "color": GREY,
                "points": [
                    {"x": p[first["field"]], "y": p[last["field"]]} for p in rows if not p["pays"]
                ],
            },
            {
                "name": "break-even (95 % band)",
                "color": DARK,
                "line": True,
                "points": [
                    {
                        "x": f[first["field"]],
                        "y": f[last["field"]],
                        "y_low": f[f"{last['field']}_band_low"],
                        "y_high": f[f"{last['field']}_band_high"],
                    }
                    for f in frontier
                ],
            },
        ]
        charts.append({"incumbent": incumbent, "series": series})
    frontier_rows = [
        [
            f["incumbent"],
            *(f"{f[a['field']]:.4g}" for a in axes[:-1]),
            f"{f[last['field']]:.4g}",
            " – ".join(
                "…"
                if f[f"{last['field']}_band_{e}"] is None
                else f"{f[last['field'] + '_band_' + e]:.4g}"
                for e in ("low", "high")
            ),
        ]
        for rows in s["frontier"].values()
        for f in rows
    ]
    region_rows = [
        [
            x,
            str(r["units_replaced"]),
            f"{r['pays']} / {r['points']}",
            f"{r['dominates']} / {r['points']}",
        ]
        for x, r in s["regions"].items()
    ]
    return {
        "candidate": s["candidate"],
        "x_field": first["field"] if first else None,
        "y_field": last["field"],
        "x_log": bool(first and first["log"]),
        "y_log": bool(last["log"]),
        "charts": charts,
        "frontier_head": [
            "against",
            *(a["field"] for a in axes[:-1]),
            f"{last['field']} at break-even",
            "95 % band",
        ],
        "frontier_rows": frontier_rows,
        "region_rows": region_rows,
        "incumbent_defence": s["incumbent_defence"],
    }


def coalition_view(result: ResultFolder) -> dict[str, Any] | None:
    """Each nation's cost alone, its Shapley share of the grand coalition's saving (with CI),
    what it pays together, and every coalition's saving."""
    if result.kind != "coalition":
        return None
    from leapsim.report.views import Stat

    s = result.summary
    nations = list(s["nations"])
    shares = [
        {
            "mean": d["shapley_saving_eur"],
            "ci_low": d["shapley_ci_eur"][0],
            "ci_high": d["shapley_ci_eur"][1],
        }
        for d in s["nations"].values()
    ]
    nation_rows = [
        [
            n,
            Stat(_exact(d["alone_cost_eur"]), "eur"),
            Stat(share, "eur"),
            Stat(_exact(d["cost_in_grand_coalition_eur"]), "eur"),
        ]
        for (n, d), share in zip(s["nations"].items(), shares, strict=True)
    ]
    coalition_rows = [
        [
            "+".join(c["members"]),
            Stat(_exact(c["cost_eur"]), "eur"),
            Stat(_exact(c["saving_eur"]), "eur"),
        ]
        for c in sorted(s["coalitions"], key=lambda c: (len(c["members"]), c["members"]))
    ]
    grand = s["grand_coalition"]
    return {
        "nations": nations,
        "share_series": [{"name": "Shapley share", "color": BLUE, "stats": shares}],
        "nation_rows": nation_rows,
        "coalition_rows": coalition_rows,
        "grand": {
            "mean": grand["saving_eur"],
            "ci_low": grand["saving_ci_eur"][0],
            "ci_high": grand["saving_ci_eur"][1],
        },
        "core": s["core"],
        "target": s["target"],
    }
