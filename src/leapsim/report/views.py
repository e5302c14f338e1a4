"""The report's views: what each section of the page shows, as plain data for its template.

A view is a partial template under ``templates/views/`` and a function that turns results into
that template's ``view`` variable, or ``None`` when the view does not apply. ``RESULT_VIEWS``
holds the views of one result (``prepare(result)``), in page order; ``COMPARISON_VIEWS`` those
that compare all results (``prepare(labels, results)``, given two or more). Numbers stay raw
here: the templates format them (filters ``value`` and ``ci``, from ``fmt.py``). Computations on
runs belong in ``prepare.py``. How to add a view: docs/report.md, "Adding a view".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from leapsim.report import prepare
from leapsim.report.load import DECISION_KINDS, ResultFolder

# (metric, title, unit, explanation): the headline tiles, in display order.
HEADLINE: tuple[tuple[str, str, str, str], ...] = (
    ("leaked", "Leakers", "count", "threats that reached a site"),
    ("value_lost_eur", "Value lost", "eur", "damage to defended sites"),
    ("defender_spend_eur", "Defender spend", "eur", "interceptor rounds fired"),
    ("attacker_spend_eur", "Attacker spend", "eur", "threats launched"),
    ("cost_exchange_ratio", "Cost-exchange ratio", "ratio", "defender € per attacker €"),
    ("killed", "Kills", "count", "threats destroyed"),
    ("shots", "Engagements", "count", "engagements started"),
    ("cost_per_kill_eur", "Cost per kill", "eur", "defender spend per kill"),
)
KIND_LABELS = {"night": "one night", "campaign": "campaign", "hindcast": "hindcast",
               "calibration": "calibration"}  # fmt: skip
UNITS = {m: u for m, _, u, _ in HEADLINE} | {
    "leak_rate": "pct",
    "launched": "count",
    "airborne": "count",
}


@dataclass(frozen=True)
class View:
    """One section: ``template`` (under ``templates/``) renders what ``prepare`` returns."""

    template: str
    prepare: Callable[..., dict[str, Any] | None]


class Stat(NamedTuple):
    """A table cell: the mean of a summary statistic with its 95 % CI underneath.

    ``absent`` is shown instead when there is no statistic; ``note`` goes under the interval.
    """

    stats: dict[str, Any] | None
    unit: str
    note: str = ""
    absent: str = "–"


def unit_of(column: str) -> str:
    """Display unit of a ``runs.parquet``/``summary.json`` column name."""
    base = column.split(".", 1)[0]
    if base in UNITS:
        return UNITS[base]
    return "eur" if base.endswith("_eur") else "count"


def names(summary: dict, key: str, prefix: str) -> list[str]:
    """The names listed under ``key`` in summary.json, else those of its ``prefix`` columns."""
    listed = summary.get(key)
    if isinstance(listed, list) and listed:
        return [str(x) for x in listed]
    cols = summary.get("columns") or {}
    return sorted({c[len(prefix) :] for c in cols if c.startswith(prefix)})


def result_meta(result: ResultFolder) -> list[tuple[str, str]]:
    """(name, value) pairs shown under a result's heading."""
    s = result.summary
    if result.kind in DECISION_KINDS:
        study = s.get("study") or {}
        return [("study", str(study.get("name", "–"))), ("kind", result.kind),
                ("seed", str(s.get("seed", "–"))), ("folder", str(result.path))]  # fmt: skip
    scen = s.get("scenario") or {}
    items = [
        ("scenario", str(scen.get("name") or result.scenario.get("name") or "–")),
        ("kind", KIND_LABELS.get(result.kind, result.kind)),
        ("runs", str(s.get("runs"))),
    ]
    if result.kind == "campaign":
        items.append(("nights", str(s.get("nights"))))
    items += [
        ("seed", str(s.get("seed", "–"))),
        ("policy", str(s.get("policy", "–"))),
        ("folder", str(result.path)),
    ]
    return items


def headline_view(result: ResultFolder) -> dict[str, Any] | None:
    """Tiles: each headline metric present, and a campaign's sustainability horizon."""
    if result.kind in DECISION_KINDS or "metrics" not in result.summary:
        return None  # decision layers, hindcast, calibration: their own views
    metrics = result.summary["metrics"]
    tiles = [
        {"metric": metric, "title": title, "unit": unit, "note": note, "stats": metrics[metric]}
        for metric, title, unit, note in HEADLINE
        if metric in metrics
    ]
    horizon = (result.summary.get("horizon") or {}).get("leakage_threshold")
    if result.kind == "campaign" and isinstance(horizon, dict):
        nights = result.summary["nights"]
        tiles.append(
            {
                "metric": "horizon.leakage_threshold",
                "title": "Sustainability horizon",
                "unit": "nights",
                "note": f"first night leakage passes the threshold; "
                f"{nights + 1} = not within {nights}",
                "stats": horizon,
            }
        )
    return {"tiles": tiles, "leak_rate": metrics.get("leak_rate")}


def map_view(result: ResultFolder) -> dict[str, Any] | None:
    """The scenario map, with the replay of run 0 when the folder has one."""
    if result.kind in DECISION_KINDS:
        return None
    replay_s = float(result.replay["duration_s"]) if result.replay is not None else None
    title = "Scenario map and replay of run 0" if replay_s is not None else "Scenario map"
    return {"title": title, "replay_s": replay_s, "overlays": []}


def _bars(columns: dict, names_: list[str], key: str) -> list[dict | None]:
    """Mean and CI of column ``key.name`` for each name (None where absent), for a bar chart."""
    out: list[dict | None] = []
    for name in names_:
        s = columns.get(f"{key}.{name}")
        out.append({k: s.get(k) for k in ("mean", "ci_low", "ci_high")} if s else None)
    return out


def night_view(result: ResultFolder) -> dict[str, Any] | None:
    """One-night results: per effector type (bars and table), per threat type and per site."""
    if result.kind != "night":
        return None
    summary = result.summary
    cols = summary.get("columns") or {}
    effectors = names(summary, "effector_types", "shots.")
    return {
        "effectors": effectors,
        "shots": _bars(cols, effectors, "shots"),
        "kills": _bars(cols, effectors, "kills"),
        "spend": _bars(cols, effectors, "spend_eur"),
        "effector_rows": [
            [e]
            + [
                Stat(cols.get(f"{k}.{e}"), unit_of(k))
                for k in ("shots", "kills", "spend_eur", "rounds_left")
            ]
            for e in effectors
        ],
        "threat_rows": [
            [t] + [Stat(cols.get(f"{k}.{t}"), "count") for k in ("launched", "killed", "leaked")]
            for t in names(summary, "threat_types", "launched.")
        ],
        "site_rows": [
            [s, Stat(cols.get(f"value_lost_eur.{s}"), "eur")]
            for s in names(summary, "sites", "value_lost_eur.")
        ],
    }


def _horizon_cell(stats: dict, nights: int) -> Stat:
    """A horizon statistic; runs where the event never happened carry ``nights + 1``."""
    low, high = stats.get("min"), stats.get("max")
    if low is not None and low > nights:
        return Stat(None, "nights", absent=f"not within {nights} nights")
    note = ""
    if high is not None and high > nights:
        note = f"some runs: not within {nights} (counted as {nights + 1})"
    return Stat(stats, "nights", note=note)


def campaign_view(result: ResultFolder) -> dict[str, Any] | None:
    """Campaign results: curves over the nights and the sustainability horizon table."""
    if result.kind != "campaign":
        return None
    horizon = result.summary.get("horizon") or {}
    nights = int(result.summary["nights"])
    rows: list[list[str | Stat]] = []
    exhausted = horizon.get("layer_exhausted") or {}
    if isinstance(exhausted, dict):
        for munition, stats in exhausted.items():
            if isinstance(stats, dict):
                rows.append([f"{munition} exhausted", _horizon_cell(stats, nights)])
    if isinstance(horizon.get("leakage_threshold"), dict):
        rows.append(
            ["leakage threshold passed", _horizon_cell(horizon["leakage_threshold"], nights)]
        )
    return {"nights": nights, "runs": result.summary["runs"], "horizon_rows": rows}


def statistics_view(result: ResultFolder) -> dict[str, Any] | None:
    """Every ``metrics`` and ``columns`` entry of summary.json."""
    if result.kind in DECISION_KINDS or "metrics" not in result.summary:
        return None
    rows = [
        {"name": name, "unit": unit_of(name), "stats": s}
        for block in ("metrics", "columns")
        for name, s in (result.summary.get(block) or {}).items()
    ]
    return {"rows": rows}


FAMILY_COLORS = {"drone": "#2f6db5", "cruise_missile": "#d08c2e", "ballistic_missile": "#c44e52"}
REPORTED_COLOR = "#222222"
DATA_CAVEAT = (
    "Reported figures are official claims of the Air Force Command of the Armed Forces of "
    "Ukraine (digitised by Petro Ivaniuk, Kaggle piterfm/massive-missile-attacks-on-ukraine), "
    "not independent measurements; neutralised = destroyed + not reaching the target "
    "(harmonised across the August 2025 counting change)."
)


def hindcast_view(result: ResultFolder) -> dict[str, Any] | None:
    """Reported against simulated neutralised shares per month and family (90 % interval over
    runs), the window figures, per-night residuals and the parameters the runs drew."""
    if result.kind != "hindcast":
        return None
    families = []
    for name, data in result.summary["families"].items():
        months = list(data["months"])
        rows = [m for m in data["months"].values()]
        color = FAMILY_COLORS.get(name, "#555555")
        families.append(
            {
                "name": name,
                "label": name.replace("_", " "),
                "first_month": months[0],
                "x": list(range(1, len(months) + 1)),
                "series": [
                    {
                        "name": "simulated mean",
                        "color": color,
                        "band": "90 % interval",
                        "mean": [r["simulated_mean"] for r in rows],
                        "ci_low": [r["simulated_p05"] for r in rows],
                        "ci_high": [r["simulated_p95"] for r in rows],
                    },
                    {
                        "name": "reported",
                        "color": REPORTED_COLOR,
                        "dash": True,
                        "mean": [r["reported"] for r in rows],
                    },
                ],
                "rows": [
                    [
                        month,
                        m["nights"],
                        m["launched"],
                        fmt_share(m["reported"]),
                        f"{fmt_share(m['simulated_mean'])} ({fmt_share(m['simulated_p05'])} – "
                        f"{fmt_share(m['simulated_p95'])})",
                        f"{m['error_pp']:+.1f}",
                        ("yes" if m["inside_90"] else "no")
                        + (
                            ""
                            if "inside_predictive_90" not in m
                            else f" (predictive: {'yes' if m['inside_predictive_90'] else 'no'})"
                        ),
                    ]
                    for month, m in data["months"].items()
                ],
                "window": data["window"],
                "errors": data["errors"],
                "residuals": prepare.night_residuals(result.nights, name, color),
            }
        )
    parameters = result.summary.get("parameter_draws") or {}
    return {
        "families": families,
        "caveat": DATA_CAVEAT,
        "parameters": [
            [n, fmt_share(p["median"], 3), f"{p['p05']:.3f} – {p['p95']:.3f}", str(p["draws"])]
            for n, p in parameters.items()
        ],
    }


def calibration_view(result: ResultFolder) -> dict[str, Any] | None:
    """Calibrated parameters with their 90 % credible intervals, the fit and diagnostics."""
    if result.kind != "calibration" or result.calibration is None:
        return None
    cal = result.calibration
    fit = cal.get("fit", {})
    reported = fit.get("reported_share", {})
    emulated = fit.get("emulated_share_at_median", {})
    design = fit.get("design_share_range", {})
    holdout = (cal.get("emulator") or {}).get("holdout", {})
    dispersion = cal.get("dispersion", {})
    sampler = cal.get("sampler", {})
    return {
        "caveat": DATA_CAVEAT,
        "window": cal.get("window", {}),
        "parameters": [
            [
                n,
                f"{p['value']:.3f}",
                f"{p['p05']:.3f} – {p['p95']:.3f}",
                f"{p['prior'][0]:g} – {p['prior'][1]:g}",
                f"{p['sd']:.3f}",
            ]
            for n, p in cal["parameters"].items()
        ],
        "fit_rows": [
            [
                f,
                fmt_share(reported[f]),
                fmt_share(emulated.get(f)),
                " – ".join(fmt_share(v) for v in design.get(f, [])),
                f"{(holdout.get(f) or {}).get('window_rmse_pp', float('nan')):.2f}",
                f"{(dispersion.get(f) or {}).get('used', float('nan')):.1f}",
            ]
            for f in reported
        ],
        "correlation": cal.get("correlation", {}),
        "sampler": sampler,
        "lost": cal.get("locationally_lost_check", {}),
    }


def fmt_share(value: float | None, digits: int = 3) -> str:
    """A share (0-1) as text, ``n/a`` if missing."""
    return "n/a" if value is None else f"{value:.{digits}f}"


def comparison_view(labels: list[str], results: list[ResultFolder]) -> dict[str, Any] | None:
    """Headline statistics side by side, relative change of each mean against the first result
    (night and campaign results only)."""
    if any(r.kind not in ("night", "campaign") for r in results):
        return None
    base = results[0].summary["metrics"]
    rows = []
    for metric, title, unit, _ in HEADLINE:
        stats = [r.summary["metrics"].get(metric) for r in results]
        if all(s is None for s in stats):
            continue
        a = (base.get(metric) or {}).get("mean")
        changes = []
        for s in stats[1:]:
            b = (s or {}).get("mean")
            changes.append(100 * (b - a) / abs(a) if a and b is not None else None)
        rows.append(
            {"metric": metric, "title": title, "unit": unit, "stats": stats, "changes": changes}
        )
    return {
        "head": ["metric", *labels] + [f"Δ {lab} vs {labels[0]}" for lab in labels[1:]],
        "rows": rows,
        "campaigns": sum(r.kind == "campaign" for r in results) >= 2,
    }


from leapsim.report.decision_views import (  # noqa: E402  (they use the helpers above)
    coalition_view,
    plan_view,
    requirements_view,
)
from leapsim.report.warning_view import warning_view  # noqa: E402

RESULT_VIEWS: tuple[View, ...] = (
    View("views/headline.html.j2", headline_view),
    View("views/hindcast.html.j2", hindcast_view),
    View("views/calibration.html.j2", calibration_view),
    View("views/map.html.j2", map_view),
    View("views/night.html.j2", night_view),
    View("views/campaign.html.j2", campaign_view),
    View("views/plan.html.j2", plan_view),
    View("views/requirements.html.j2", requirements_view),
    View("views/coalition.html.j2", coalition_view),
    View("views/warning.html.j2", warning_view),
    View("views/statistics.html.j2", statistics_view),
)
COMPARISON_VIEWS: tuple[View, ...] = (View("views/comparison.html.j2", comparison_view),)
