"""Build the report page: static HTML (tiles, tables) plus one JSON data island and inline JS.

Tiles and tables are rendered here, so their numbers are in the HTML itself; charts and the map
are drawn in the browser by ``assets/report.js`` from the data island ``#leapsim-data``.
"""

from __future__ import annotations

import json
import re
from html import escape
from importlib import resources
from typing import Any

import numpy as np

from leapsim import __version__
from leapsim.report import prepare
from leapsim.report.fmt import fmt_ci, fmt_value
from leapsim.report.load import ResultFolder

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
UNITS = {m: u for m, _, u, _ in HEADLINE} | {
    "leak_rate": "pct",
    "launched": "count",
    "airborne": "count",
}


def unit_of(column: str) -> str:
    """Display unit of a ``runs.parquet``/``summary.json`` column name."""
    base = column.split(".", 1)[0]
    if base in UNITS:
        return UNITS[base]
    return "eur" if base.endswith("_eur") else "count"


def _asset(name: str) -> str:
    return resources.files("leapsim.report").joinpath(name).read_text(encoding="utf-8")


def _tile(
    i: int, metric: str, title: str, unit: str, note: str, stats: dict, extra: str = ""
) -> str:
    return (
        f'<div class="tile" data-result="{i}" data-metric="{escape(metric)}" data-unit="{unit}">'
        f'<div class="tile-title">{escape(title)}</div>'
        f'<div class="tile-value">{escape(fmt_value(stats.get("mean"), unit))}</div>'
        f'<div class="tile-ci">{escape(fmt_ci(stats, unit))}</div>'
        f'<div class="tile-note">{escape(extra or note)}</div></div>'
    )


def _tiles(i: int, result: ResultFolder) -> str:
    metrics = result.summary["metrics"]
    tiles = []
    for metric, title, unit, note in HEADLINE:
        if metric not in metrics:
            continue
        extra = ""
        if metric == "leaked" and "leak_rate" in metrics:
            extra = f"leak rate {fmt_value(metrics['leak_rate'].get('mean'), 'pct')} of launched"
        tiles.append(_tile(i, metric, title, unit, note, metrics[metric], extra))
    if result.kind == "campaign":
        horizon = (result.summary.get("horizon") or {}).get("leakage_threshold")
        if isinstance(horizon, dict):
            tiles.append(
                _tile(
                    i,
                    "horizon.leakage_threshold",
                    "Sustainability horizon",
                    "nights",
                    f"first night leakage passes the threshold; "
                    f"{result.summary['nights'] + 1} = not within {result.summary['nights']}",
                    horizon,
                )
            )
    return f'<div class="tiles">{"".join(tiles)}</div>'


def _table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="data {cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _cell(stats: dict | None, unit: str) -> str:
    if not stats:
        return '<span class="na">–</span>'
    if stats.get("ci_low") is None or stats.get("ci_high") is None:
        return f'{escape(fmt_value(stats.get("mean"), unit))}<span class="ci">too few runs</span>'
    return (
        f"{escape(fmt_value(stats.get('mean'), unit))}"
        f'<span class="ci">{escape(fmt_value(stats.get("ci_low"), unit))} – '
        f"{escape(fmt_value(stats.get('ci_high'), unit))}</span>"
    )


def _names(summary: dict, key: str, prefix: str) -> list[str]:
    listed = summary.get(key)
    if isinstance(listed, list) and listed:
        return [str(x) for x in listed]
    cols = summary.get("columns") or {}
    return sorted({c[len(prefix) :] for c in cols if c.startswith(prefix)})


def _card(title: str, body: str, note: str = "", cls: str = "") -> str:
    note_html = f'<p class="card-note">{escape(note)}</p>' if note else ""
    return f'<div class="card {cls}"><h3>{escape(title)}</h3>{body}{note_html}</div>'


def _chart(kind: str, i: int | None = None, **attrs: str) -> str:
    extra = "".join(f' data-{k}="{escape(v)}"' for k, v in attrs.items())
    res = f' data-result="{i}"' if i is not None else ""
    return f'<div class="chart" data-chart="{kind}"{res}{extra}></div>'


def _night_sections(i: int, result: ResultFolder) -> str:
    summary = result.summary
    cols = summary.get("columns") or {}
    effectors = _names(summary, "effector_types", "shots.")
    threats = _names(summary, "threat_types", "launched.")
    sites = _names(summary, "sites", "value_lost_eur.")
    eff_rows = [
        [
            escape(e),
            *(
                _cell(cols.get(f"{k}.{e}"), unit_of(k))
                for k in ("shots", "kills", "spend_eur", "rounds_left")
            ),
        ]
        for e in effectors
    ]
    threat_rows = [
        [
            escape(t),
            *(_cell(cols.get(f"{k}.{t}"), "count") for k in ("launched", "killed", "leaked")),
        ]
        for t in threats
    ]
    site_rows = [[escape(s), _cell(cols.get(f"value_lost_eur.{s}"), "eur")] for s in sites]
    return (
        '<div class="grid2">'
        + _card(
            "Engagements and kills by effector type",
            _chart("effector-shots", i),
            "Mean per night over runs; whiskers: 95 % confidence interval.",
        )
        + _card(
            "Spend by effector type",
            _chart("effector-spend", i),
            "Rounds fired × cost per round; whiskers: 95 % CI.",
        )
        + '</div><div class="grid2">'
        + _card(
            "Leak distribution over runs",
            _chart("hist", i, metric="leaked"),
            "Leakers per run, every run counted; dashed line: mean.",
        )
        + _card(
            "Value lost over runs",
            _chart("hist", i, metric="value_lost_eur"),
            "Damage to defended sites per run; dashed line: mean.",
        )
        + '</div><div class="grid2">'
        + _card(
            "Effectors", _table(["type", "engagements", "kills", "spend", "rounds left"], eff_rows)
        )
        + _card(
            "Threats",
            _table(["type", "launched", "killed", "leaked"], threat_rows)
            + _table(["site", "value lost"], site_rows),
        )
        + "</div>"
    )


def _horizon_cell(stats: dict, nights: int) -> str:
    """A horizon statistic; runs where the event never happened carry ``nights + 1``."""
    low, high = stats.get("min"), stats.get("max")
    if low is not None and low > nights:
        return f'<span class="na">not within {nights} nights</span>'
    cell = _cell(stats, "nights")
    if high is not None and high > nights:
        cell += f'<span class="ci">some runs: not within {nights} (counted as {nights + 1})</span>'
    return cell


def _campaign_sections(i: int, result: ResultFolder) -> str:
    horizon = result.summary.get("horizon") or {}
    nights = int(result.summary["nights"])
    rows = []
    exhausted = horizon.get("layer_exhausted") or {}
    if isinstance(exhausted, dict):
        for munition, stats in exhausted.items():
            if isinstance(stats, dict):
                rows.append([f"{escape(munition)} exhausted", _horizon_cell(stats, nights)])
    if isinstance(horizon.get("leakage_threshold"), dict):
        rows.append(
            ["leakage threshold passed", _horizon_cell(horizon["leakage_threshold"], nights)]
        )
    horizon_body = (
        _table(["event", "first night (mean, 95 % CI)"], rows)
        if rows
        else '<p class="empty">summary.json has no horizon.</p>'
    )
    return (
        '<div class="grid2">'
        + _card(
            "Stocks by munition type",
            _chart("stocks", i),
            "Rounds left after each night, all nations; band: 95 % CI over runs.",
        )
        + _card("Cumulative spend", _chart("cum-spend", i), "Band: 95 % CI over runs.")
        + '</div><div class="grid2">'
        + _card(
            "Leakage per night",
            _chart("night-leaks", i),
            "Leakers per night; band: 95 % CI; dashed: raid size.",
        )
        + _card(
            "Sustainability horizon",
            _chart("horizon", i) + horizon_body,
            f"First night of each event, over {result.summary['runs']} runs; a run in which it "
            f"does not happen within {nights} nights counts as night {nights + 1}.",
        )
        + '</div><div class="grid2">'
        + _card(
            "Leak distribution over runs",
            _chart("hist", i, metric="leaked"),
            "Leakers per run over the whole campaign; dashed line: mean.",
        )
        + _card(
            "Value lost over runs",
            _chart("hist", i, metric="value_lost_eur"),
            "Damage per run over the whole campaign; dashed line: mean.",
        )
        + "</div>"
    )


def _all_stats(result: ResultFolder) -> str:
    summary = result.summary
    rows = []
    for block in ("metrics", "columns"):
        for name, s in (summary.get(block) or {}).items():
            unit = unit_of(name)
            rows.append(
                [escape(name)]
                + [
                    escape(fmt_value(s.get(k), unit))
                    for k in ("mean", "ci_low", "ci_high", "std", "min", "max")
                ]
            )
    table = _table(
        ["statistic", "mean", "95 % CI low", "95 % CI high", "std", "min", "max"], rows, "stats"
    )
    return f'<details class="card"><summary>All statistics ({len(rows)})</summary>{table}</details>'


def _map_card(i: int, result: ResultFolder) -> str:
    controls = ""
    if result.replay is not None:
        controls = (
            '<div class="replay">'
            '<button type="button" class="play" aria-label="play">▶</button>'
            '<input type="range" class="slider" min="0" '
            f'max="{float(result.replay["duration_s"]):g}" step="1" value="0" aria-label="time">'
            '<span class="clock">T+00:00:00</span>'
            '<label class="speed-label">speed <select class="speed"></select></label>'
            "</div>"
            '<div class="counters"></div>' + _chart("timeline", i)
        )
    layers = "".join(
        f'<label><input type="checkbox" data-layer="{k}" checked> {escape(v)}</label>'
        for k, v in (
            ("rings", "range rings"),
            ("sensors", "sensor coverage"),
            ("axes", "raid axes"),
            ("trails", "trails"),
            ("labels", "labels"),
        )
    )
    buttons = "".join(
        f'<button type="button" data-zoom="{k}" title="{t}" aria-label="{t}">{sym}</button>'
        for k, t, sym in (
            ("in", "zoom in", "+"),
            ("out", "zoom out", "−"),
            ("fit", "fit the defended area", "⌂"),
            ("all", "show the whole raid", "⤢"),
        )
    )
    title = "Scenario map and replay of run 0" if result.replay is not None else "Scenario map"
    return (
        f'<div class="card map-card" data-result="{i}"><h3>{title}</h3>'
        f'<div class="layers">{layers}</div>'
        '<div class="map-wrap"><canvas class="map"></canvas>'
        f'<div class="map-buttons">{buttons}</div>'
        '<div class="legend"></div><div class="tooltip" hidden></div></div>'
        f'{controls}<p class="card-note replay-note"></p></div>'
    )


def _meta(result: ResultFolder) -> str:
    s = result.summary
    scen = s.get("scenario") or {}
    items = [
        ("scenario", scen.get("name") or result.scenario.get("name") or "–"),
        ("kind", "campaign" if result.kind == "campaign" else "one night"),
        ("runs", str(s.get("runs"))),
    ]
    if result.kind == "campaign":
        items.append(("nights", str(s.get("nights"))))
    items += [
        ("seed", str(s.get("seed", "–"))),
        ("policy", str(s.get("policy", "–"))),
        ("folder", str(result.path)),
    ]
    return "".join(f"<span><b>{escape(k)}</b> {escape(v)}</span>" for k, v in items)


def _result_section(i: int, label: str, result: ResultFolder, hidden: bool) -> str:
    body = _night_sections(i, result) if result.kind == "night" else _campaign_sections(i, result)
    return (
        f'<section class="result" id="result-{i}" data-result="{i}"{" hidden" if hidden else ""}>'
        f'<div class="result-head"><h2>{escape(label)}</h2>'
        f'<div class="meta">{_meta(result)}</div></div>'
        f"{_tiles(i, result)}{_map_card(i, result)}{body}{_all_stats(result)}</section>"
    )


def _comparison(labels: list[str], results: list[ResultFolder]) -> str:
    base = results[0].summary["metrics"]
    head = ["metric", *labels] + [f"Δ {lab} vs {labels[0]}" for lab in labels[1:]]
    rows = []
    forests = []
    for metric, title, unit, _ in HEADLINE:
        stats = [r.summary["metrics"].get(metric) for r in results]
        if all(s is None for s in stats):
            continue
        deltas = []
        for s in stats[1:]:
            a = (base.get(metric) or {}).get("mean")
            b = (s or {}).get("mean")
            deltas.append(f"{100 * (b - a) / abs(a):+.1f} %" if a and b is not None else "–")
        rows.append([escape(title), *(_cell(s, unit) for s in stats), *deltas])
        forests.append(
            f'<div class="forest"><h4>{escape(title)}</h4>'
            f"{_chart('forest', None, metric=metric)}</div>"
        )
    campaign = ""
    if sum(r.kind == "campaign" for r in results) >= 2:
        campaign = (
            '<div class="grid2">'
            + _card(
                "Leakage per night",
                _chart("compare-night", None, column="leaked"),
                "Mean over runs; band: 95 % CI.",
            )
            + _card(
                "Cumulative defender spend",
                _chart("compare-cum", None, column="defender_spend_eur"),
                "Mean over runs; band: 95 % CI.",
            )
            + "</div>"
        )
    return (
        '<section class="compare" id="compare"><div class="result-head"><h2>Comparison</h2>'
        f'<div class="meta"><span>{len(results)} results; Δ: relative change of the mean'
        "</span></div></div>"
        + _card("Headline statistics", _table(head, rows, "compare-table"))
        + '<div class="card"><h3>Means with 95 % confidence intervals</h3>'
        + f'<div class="forests">{"".join(forests)}</div></div>'
        + '<div class="grid2">'
        + _card(
            "Leak distribution over runs",
            _chart("compare-hist", None, metric="leaked"),
            "Every run counted.",
        )
        + _card(
            "Value lost over runs",
            _chart("compare-hist", None, metric="value_lost_eur"),
            "Every run counted.",
        )
        + "</div>"
        + campaign
        + "</section>"
    )


def _payload(labels: list[str], results: list[ResultFolder], replay_limits: dict[str, Any]) -> dict:
    totals = [prepare.per_run_totals(r) for r in results]
    hists: list[dict[str, Any]] = [{} for _ in results]  # own bins, for each result's section
    shared: list[dict[str, Any]] = [{} for _ in results]  # common bins, for the comparison
    for metric, integer in (("leaked", True), ("value_lost_eur", False)):
        have = [(i, np.asarray(t[metric])) for i, t in enumerate(totals) if metric in t]
        edges = prepare.histogram_edges([v for _, v in have], integer)
        for i, values in have:
            own = prepare.histogram_edges([values], integer)
            hists[i][metric] = prepare.histogram(values, own) | {"integer": integer}
            if len(results) > 1:
                shared[i][metric] = prepare.histogram(values, edges) | {"integer": integer}
    items = []
    for label, r, h, hs in zip(labels, results, hists, shared, strict=True):
        origin = r.scenario.get("origin") or _centre(r.scenario)
        items.append(
            {
                "label": label,
                "kind": r.kind,
                "summary": r.summary,
                "scenario": r.scenario,
                "origin": origin,
                "replay": prepare.prepare_replay(r.replay, origin, **replay_limits)
                if r.replay
                else None,
                "hist": h,
                "hist_shared": hs,
                "campaign": prepare.prepare_campaign(r) if r.kind == "campaign" else None,
            }
        )
    borders = json.loads(_asset("data/europe_borders.json"))
    return {"generator": f"leapsim {__version__}", "results": items, "borders": borders}


def _centre(scenario: dict) -> dict[str, float]:
    pts = [p for g in ("sites", "fire_units", "sensors") for p in scenario.get(g, [])]
    if not pts:
        return {"lat": 50.0, "lon": 20.0}
    return {
        "lat": float(np.mean([p["lat"] for p in pts])),
        "lon": float(np.mean([p["lon"] for p in pts])),
    }


def island(data: dict) -> str:
    """JSON for a ``<script type="application/json">`` block; ``<`` is escaped so that no
    string inside can close the block."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def render_html(
    labels: list[str], results: list[ResultFolder], title: str, replay_limits: dict[str, Any]
) -> str:
    """The complete self-contained page."""
    many = len(results) > 1
    sections = []
    if many:
        sections.append(_comparison(labels, results))
        tabs = "".join(
            f'<button type="button" class="tab{" active" if i == 0 else ""}" data-tab="{i}">'
            f"{escape(lab)}</button>"
            for i, lab in enumerate(labels)
        )
        sections.append(f'<nav class="tabs" aria-label="results">{tabs}</nav>')
    for i, (label, r) in enumerate(zip(labels, results, strict=True)):
        sections.append(_result_section(i, label, r, hidden=many and i > 0))
    data = _payload(labels, results, replay_limits)
    parts = {
        "TITLE": escape(title),
        "VERSION": escape(__version__),
        "CSS": _asset("assets/report.css"),
        "BODY": "\n".join(sections),
        "DATA": island(data),
        "JS": _asset("assets/report.js"),
    }
    # One pass, so that text inside one part is never taken for another placeholder.
    return re.sub(r"\{\{([A-Z]+)\}\}", lambda m: parts[m.group(1)], _asset("assets/template.html"))
