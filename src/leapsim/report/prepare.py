"""Turn results folders into the compact data the report's page draws.

Statistics are never downsampled: histograms use every run, campaign curves every (run, night),
and the replay timeline every threat. Only the drawn replay geometry is thinned: paths are cut at
the threat's end time, simplified with Ramer-Douglas-Peucker in (x, y, v̄·t) metres (so a turn or
a change of speed is kept), capped at a total point budget, and at most ``max_threats`` threats
are drawn (an even stride through the launch order).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from leapsim.engine.codes import FATES, KILL, KILLED, LEAKED, NOT_LAUNCHED, OUTCOMES
from leapsim.report.load import ResultFolder

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean Earth radius
COORD_SCALE = 100_000  # replay lat/lon sent as integers of 1e-5 degree (about 1.1 m)
TIME_SCALE = 10  # replay times sent as integers of 0.1 s


def t_interval(values: np.ndarray, column: str) -> dict[str, list[float | None]]:
    """Mean and 95 % interval over axis 0 of a results column: the ``summary.json`` method
    (``leapsim.experiments.stats``: Student-t within the column's domain, none below two runs;
    docs/results.md). Imported here so that loading the report stays light."""
    from leapsim.experiments.stats import mean_ci_columns, metric_domain

    interval = mean_ci_columns(values, metric_domain(column))
    return {key: _floats(interval[key]) for key in ("mean", "ci_low", "ci_high")}


def _floats(a: np.ndarray, digits: int = 6) -> list[float | None]:
    """JSON-safe list: rounded to ``digits`` significant digits, NaN/inf as None."""
    out: list[float | None] = []
    for v in np.asarray(a, dtype=np.float64).ravel():
        out.append(float(f"{v:.{digits}g}") if math.isfinite(v) else None)
    return out


def nice_step(raw: float) -> float:
    """Smallest 1, 2 or 5 × 10^k that is at least ``raw`` (> 0)."""
    exp = math.floor(math.log10(raw))
    for mult in (1.0, 2.0, 5.0, 10.0):
        step = mult * 10.0**exp
        if step >= raw * (1 - 1e-12):
            return step
    return 10.0 ** (exp + 1)


def histogram_edges(samples: list[np.ndarray], integer: bool, target_bins: int = 30) -> np.ndarray:
    """Shared bin edges for all ``samples``: unit bins centred on integers when few enough,
    otherwise about ``target_bins`` bins of a round width."""
    finite = [s[np.isfinite(s)] for s in samples]
    values = np.concatenate(finite) if finite else np.zeros(0)
    if values.size == 0:
        return np.array([-0.5, 0.5]) if integer else np.array([0.0, 1.0])
    lo, hi = float(values.min()), float(values.max())
    if integer:
        width = (
            1.0
            if hi - lo + 1 <= 2 * target_bins
            else math.ceil(nice_step((hi - lo + 1) / target_bins))
        )
        start = math.floor(lo / width) * width - 0.5
        n = math.floor((hi + 0.5 - start) / width) + 1
        return start + width * np.arange(n + 1)
    if hi == lo:
        width = nice_step(abs(hi) / 10) if hi else 1.0
        return np.array([lo - width / 2, lo + width / 2])
    width = nice_step((hi - lo) / target_bins)
    start = math.floor(lo / width) * width
    n = max(1, math.ceil((hi - start) / width))
    if start + n * width <= hi:
        n += 1
    return start + width * np.arange(n + 1)


def histogram(values: np.ndarray, edges: np.ndarray) -> dict[str, Any]:
    """Counts of finite ``values`` per bin; ``dropped`` counts NaN entries."""
    finite = values[np.isfinite(values)]
    counts, _ = np.histogram(finite, bins=edges)
    return {
        "edges": _floats(edges, 12),
        "counts": counts.astype(int).tolist(),
        "n": int(finite.size),
        "dropped": int(values.size - finite.size),
        "mean": float(finite.mean()) if finite.size else None,
    }


def per_run_totals(result: ResultFolder) -> dict[str, np.ndarray]:
    """Leakers and value lost per run (over the night, or summed over a campaign's nights;
    none for a hindcast or calibration)."""
    if result.kind not in ("night", "campaign"):
        return {}
    if result.runs is not None:
        return {k: result.runs[k] for k in ("leaked", "value_lost_eur")}
    assert result.nights is not None
    grid = night_grid(result.nights)
    out = {}
    for key in ("leaked", "value_lost_eur"):
        if key in grid:
            out[key] = grid[key].sum(axis=1)
    return out


def night_grid(nights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every column of ``nights.parquet`` as a (runs, nights) array, rows in run order."""
    order = np.lexsort((nights["night"], nights["run"]))
    n_runs = np.unique(nights["run"]).size
    return {k: v[order].reshape(n_runs, -1) for k, v in nights.items()}


def prepare_campaign(result: ResultFolder) -> dict[str, Any]:
    """Per-night curves (mean and 95 % CI over runs) for the campaign charts."""
    assert result.nights is not None
    grid = night_grid(result.nights)
    summary = result.summary
    per_night = dict(summary.get("per_night") or {})
    for name, values in grid.items():
        if name not in ("run", "night") and name not in per_night:
            per_night[name] = t_interval(values, name)
    cumulative = {
        key: t_interval(np.cumsum(grid[key], axis=1), key)
        for key in ("defender_spend_eur", "attacker_spend_eur", "value_lost_eur", "leaked")
        if key in grid
    }
    prefix = "stock."
    munitions = sorted(k[len(prefix) :] for k in grid if k.startswith(prefix))
    return {
        "nights": [int(n) for n in grid["night"][0]],
        "per_night": per_night,
        "cumulative": cumulative,
        "munitions": munitions,
        "horizon": summary.get("horizon") or {},
    }


def _local_xy(
    lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float
) -> tuple[np.ndarray, np.ndarray]:
    """Equirectangular metres about (lat0, lon0); adequate for simplification tolerances."""
    k = math.pi / 180 * EARTH_RADIUS_M
    return (lon - lon0) * k * math.cos(math.radians(lat0)), (lat - lat0) * k


def rdp_keep(points: np.ndarray, tol: float) -> np.ndarray:
    """Indices kept by Ramer-Douglas-Peucker (Douglas & Peucker 1973) on (n, d) points."""
    n = len(points)
    if n <= 2:
        return np.arange(n)
    keep = np.zeros(n, dtype=bool)
    keep[[0, n - 1]] = True
    idx = np.arange(n)
    while True:
        # every point's chord: the kept points before and after it; all chords split at once
        kept = np.flatnonzero(keep)
        seg = np.searchsorted(kept, idx, side="right") - 1
        seg = np.minimum(seg, len(kept) - 2)
        a, b = points[kept[seg]], points[kept[seg + 1]]
        ab = b - a
        ab2 = np.einsum("ij,ij->i", ab, ab)
        u = np.clip(np.einsum("ij,ij->i", points - a, ab) / np.where(ab2 > 0, ab2, 1.0), 0.0, 1.0)
        d = np.linalg.norm(points - a - u[:, None] * ab, axis=1)
        d[keep] = -1.0
        best = np.maximum.reduceat(d, kept[:-1])  # seg is sorted: chord k starts at kept[k]
        split = (d > tol) & (d == best[seg])
        if not split.any():
            return kept
        first = np.unique(seg[split], return_index=True)[1]
        keep[np.flatnonzero(split)[first]] = True


def _cut_path(path: np.ndarray, end: float) -> np.ndarray:
    """The path up to ``end`` seconds, ending with the interpolated point at ``end``."""
    t = path[:, 3]
    if end >= t[-1]:
        return path
    if end <= t[0]:
        return path[:1]
    k = int(np.searchsorted(t, end, side="right"))
    a, b = path[k - 1], path[k]
    f = (end - a[3]) / (b[3] - a[3]) if b[3] > a[3] else 0.0
    return np.vstack([path[:k], a + f * (b - a)])


def _delta(values: np.ndarray, scale: int) -> list[int]:
    q = np.round(values * scale).astype(np.int64)
    return np.diff(q, prepend=0).tolist()


def prepare_replay(
    replay: dict[str, Any],
    origin: dict[str, float],
    *,
    max_threats: int = 3000,
    max_points: int = 200_000,
    tolerance_m: float = 50.0,
) -> dict[str, Any]:
    """Compact replay for drawing, plus exact event times for the counters and timeline."""
    threats = replay["threats"]
    fates = threats["fate"]
    launched = [i for i, f in enumerate(fates) if f != FATES[NOT_LAUNCHED]]
    paths = {i: np.asarray(threats["path"][i], dtype=np.float64).reshape(-1, 4) for i in launched}
    launched = [i for i in launched if len(paths[i])]
    ends = np.asarray(threats["end_time_s"], dtype=np.float64)
    launch_t = np.array([paths[i][0, 3] for i in launched])
    timeline = {
        "launch": np.sort(launch_t).round(1).tolist(),
        "kill": np.sort(ends[[i for i in launched if fates[i] == FATES[KILLED]]]).round(1).tolist(),
        "leak": np.sort(ends[[i for i in launched if fates[i] == FATES[LEAKED]]]).round(1).tolist(),
        "engage": np.sort(np.asarray(replay["engagements"]["t_start"], dtype=np.float64))
        .round(1)
        .tolist(),
    }
    shown = launched
    if len(launched) > max_threats:
        picks = np.unique(np.linspace(0, len(launched) - 1, max_threats).round().astype(int))
        shown = [launched[k] for k in picks]
    lat0, lon0 = float(origin["lat"]), float(origin["lon"])
    cut = []
    for i in shown:
        p = _cut_path(paths[i][np.argsort(paths[i][:, 3], kind="stable")], float(ends[i]))
        x, y = _local_xy(p[:, 0], p[:, 1], lat0, lon0)
        length = float(np.hypot(np.diff(x), np.diff(y)).sum())
        span = float(p[-1, 3] - p[0, 3])
        speed = length / span if span > 0 else 0.0
        cut.append(p[rdp_keep(np.column_stack([x, y, p[:, 3] * speed]), tolerance_m)])
    cap = max(2, max_points // max(1, len(cut)))
    thinned = []
    for p in cut:
        if len(p) > cap:
            p = p[np.unique(np.linspace(0, len(p) - 1, cap).round().astype(int))]
        thinned.append(p)
    flat = np.vstack(thinned) if thinned else np.zeros((0, 4))
    index = {old: new for new, old in enumerate(shown)}
    eng = replay["engagements"]
    keep_e = [k for k, th in enumerate(eng["threat"]) if th in index]
    return {
        "duration_s": float(replay["duration_s"]),
        "threat_types": list(replay["threat_types"]),
        "families": list(replay.get("families") or []),
        "type": [int(threats["type"][i]) for i in shown],
        "fate": [FATES.index(fates[i]) for i in shown],
        "codes": {"killed": KILLED, "leaked": LEAKED, "kill": KILL},
        "end": np.round(ends[shown], 1).tolist() if shown else [],
        "npts": [len(p) for p in thinned],
        "lat": _delta(flat[:, 0], COORD_SCALE),
        "lon": _delta(flat[:, 1], COORD_SCALE),
        "t": _delta(flat[:, 3], TIME_SCALE),
        "coord_scale": COORD_SCALE,
        "time_scale": TIME_SCALE,
        "engagements": {
            "unit": [int(eng["unit"][k]) for k in keep_e],
            "threat": [index[eng["threat"][k]] for k in keep_e],
            "t_start": [round(float(eng["t_start"][k]), 1) for k in keep_e],
            "t_end": [round(float(eng["t_end"][k]), 1) for k in keep_e],
            "outcome": [OUTCOMES.index(eng["outcome"][k]) for k in keep_e],
        },
        "timeline": timeline,
        "totals": {
            "threats": len(fates),
            "launched": len(launched),
            "shown": len(shown),
            "points_in": int(sum(len(paths[i]) for i in launched)),
            "points_shown": len(flat),
            "engagements": len(eng["unit"]),
            "engagements_shown": len(keep_e),
        },
    }


def scenario_centre(scenario: dict) -> dict[str, float]:
    """Mean position of the sites, fire units and sensors (the map's origin when none is given)."""
    pts = [p for g in ("sites", "fire_units", "sensors") for p in scenario.get(g, [])]
    if not pts:
        return {"lat": 50.0, "lon": 20.0}
    return {
        "lat": float(np.mean([p["lat"] for p in pts])),
        "lon": float(np.mean([p["lon"] for p in pts])),
    }


def results_data(
    labels: list[str], results: list[ResultFolder], replay_limits: dict[str, Any]
) -> list[dict[str, Any]]:
    """Per result, what the page's charts and map draw: summary.json as read, the scenario, the
    compact replay, histograms on the result's own bins and (comparisons) on common bins, and
    campaign curves."""
    totals = [per_run_totals(r) if r.runs is not None or r.nights is not None else {}
              for r in results]  # fmt: skip
    hists: list[dict[str, Any]] = [{} for _ in results]  # own bins, for each result's section
    shared: list[dict[str, Any]] = [{} for _ in results]  # common bins, for the comparison
    for metric, integer in (("leaked", True), ("value_lost_eur", False)):
        have = [(i, np.asarray(t[metric])) for i, t in enumerate(totals) if metric in t]
        edges = histogram_edges([v for _, v in have], integer)
        for i, values in have:
            own = histogram_edges([values], integer)
            hists[i][metric] = histogram(values, own) | {"integer": integer}
            if len(results) > 1:
                shared[i][metric] = histogram(values, edges) | {"integer": integer}
    items = []
    for label, r, h, hs in zip(labels, results, hists, shared, strict=True):
        origin = r.scenario.get("origin") or scenario_centre(r.scenario)
        items.append(
            {
                "label": label,
                "kind": r.kind,
                "summary": r.summary,
                "scenario": r.scenario,
                "origin": origin,
                "replay": prepare_replay(r.replay, origin, **replay_limits) if r.replay else None,
                "hist": h,
                "hist_shared": hs,
                "campaign": prepare_campaign(r) if r.kind == "campaign" else None,
            }
        )
    return items


def night_residuals(nights: dict[str, np.ndarray] | None, family: str, color: str) -> list[dict]:
    """Per-night residuals of a hindcast family as scatter series: reported minus simulated mean
    neutralised share (y) by night of the window (x), with the 5-95 % range of the runs."""
    if nights is None:
        return []
    days = nights["night"].astype("datetime64[D]")
    mine = (nights["family"] == family) & np.isfinite(nights["neutralised_reported"])
    if not mine.any():
        return []
    day = (days[mine] - days.min()).astype(np.int64) + 1
    launched = nights["launched"][mine].astype(float)
    reported = nights["neutralised_reported"][mine] / launched
    points = [
        {"x": int(d), "y": float(r - m / n), "y_low": float(r - hi / n),
         "y_high": float(r - lo / n)}
        for d, r, m, lo, hi, n in zip(day, reported, nights["neutralised_sim_mean"][mine],
                                      nights["neutralised_sim_p05"][mine],
                                      nights["neutralised_sim_p95"][mine], launched, strict=True)
    ]  # fmt: skip
    return [{"name": f"{family} (reported − simulated)", "color": color, "points": points}]


PD_BANDS = ((0.1, "#bcd7f0"), (0.5, "#6aa5db"), (0.9, "#1f5fa8"))  # lower edge, colour


def coverage_strips(cov: dict[str, Any], to_latlon) -> list[dict[str, Any]]:
    """Map polygons of an early-warning coverage map (``coverage.json``): each row's runs of
    cells in one Pd band (:data:`PD_BANDS`) as one strip, converted by ``to_latlon`` ((N, 2)
    plane metres → (N, 2) lat/lon)."""
    rows, cols = cov["shape"]
    pd = np.asarray(cov["pd_pct"], dtype=np.float64).reshape(rows, cols) / 100.0
    band = np.searchsorted([b for b, _ in PD_BANDS], pd, side="right")  # 0: below every band
    step, x0, y0 = cov["spacing_m"], cov["x0_m"], cov["y0_m"]
    corners, kinds = [], []
    for i in range(rows):
        edges = np.flatnonzero(np.diff(np.concatenate([[-1], band[i], [-1]])) != 0)
        for a, b in itertools.pairwise(edges):
            if band[i, a] == 0:
                continue
            xa, xb = x0 + (a - 0.5) * step, x0 + (b - 0.5) * step
            ya, yb = y0 + (i - 0.5) * step, y0 + (i + 0.5) * step
            corners.append([[xa, ya], [xb, ya], [xb, yb], [xa, yb]])
            kinds.append(int(band[i, a]) - 1)
    if not corners:
        return []
    ll = np.round(to_latlon(np.asarray(corners).reshape(-1, 2)), 4).reshape(-1, 4, 2)
    return [
        {"kind": "polygon", "pts": pts.tolist(), "color": PD_BANDS[k][1], "opacity": 0.45}
        for pts, k in zip(ll, kinds, strict=True)
    ]
