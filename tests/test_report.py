"""The HTML report: numbers shown equal summary.json, self-contained, bounded size, bad input."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from leapsim.errors import InputError
from leapsim.report import build_report, write_report
from leapsim.report.fmt import fmt_value
from leapsim.report.prepare import (
    histogram_edges,
    prepare_replay,
    rdp_keep,
    t_interval,
)
from report_fixtures import make_campaign_folder, make_night_folder, stat
from report_html import parse_number, read_page, shown_close


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> Path:
    return make_night_folder(tmp_path_factory.mktemp("night") / "legacy", seed=3, kill_p=0.7)


@pytest.fixture(scope="module")
def night2(tmp_path_factory) -> Path:
    return make_night_folder(tmp_path_factory.mktemp("night2") / "leap", seed=4, kill_p=0.95)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory) -> Path:
    return make_campaign_folder(tmp_path_factory.mktemp("campaign") / "campaign")


def _ci_parts(text: str) -> tuple[str, str]:
    m = re.fullmatch(r"95 % CI (.+) – (.+)", text)
    assert m, text
    return m.group(1), m.group(2)


def test_tiles_show_summary_statistics(night):
    summary = json.loads((night / "summary.json").read_text())
    tiles, data, _ = read_page(build_report([night]))
    shown = {t["metric"]: t for t in tiles}
    assert {
        "leaked",
        "value_lost_eur",
        "defender_spend_eur",
        "attacker_spend_eur",
        "cost_exchange_ratio",
    } <= set(shown)
    for metric, tile in shown.items():
        stats = summary["metrics"][metric]
        assert shown_close(tile["value"], stats["mean"]), (metric, tile["value"], stats["mean"])
        low, high = _ci_parts(tile["ci"])
        assert shown_close(low, stats["ci_low"]) and shown_close(high, stats["ci_high"]), metric
    rate = summary["metrics"]["leak_rate"]["mean"]
    assert shown_close(re.search(r"leak rate (.+ %)", shown["leaked"]["note"]).group(1), rate)
    # the data island carries summary.json unchanged (NaN becomes null)
    assert data["results"][0]["summary"]["metrics"]["leaked"] == summary["metrics"]["leaked"]
    assert data["results"][0]["summary"]["columns"] == summary["columns"]


def test_tables_show_per_type_statistics(night):
    summary = json.loads((night / "summary.json").read_text())
    _, _, tables = read_page(build_report([night]))
    effector = next(t for t in tables if t[0][:2] == ["type", "engagements"])
    for row in effector[1:]:
        name = row[0]
        for cell, key in zip(row[1:], ("shots", "kills", "spend_eur", "rounds_left"), strict=True):
            mean, ci = cell.split("|")
            stats = summary["columns"][f"{key}.{name}"]
            assert shown_close(mean, stats["mean"]), (key, name, cell)
            low, high = ci.split(" – ")
            assert shown_close(low, stats["ci_low"]) and shown_close(high, stats["ci_high"])
    assert len(effector) - 1 == len(summary["effector_types"])


def test_leak_histogram_counts_every_run(night):
    leaked = pq.read_table(night / "runs.parquet").column("leaked").to_numpy()
    _, data, _ = read_page(build_report([night]))
    hist = data["results"][0]["hist"]["leaked"]
    assert sum(hist["counts"]) == len(leaked) == hist["n"]
    edges = np.asarray(hist["edges"])
    # integer data: bins centred on whole numbers, so count k is the number of runs with k leakers
    for left, count in zip(edges[:-1], hist["counts"], strict=True):
        assert count == int(np.sum(leaked == left + 0.5))
    assert hist["mean"] == pytest.approx(leaked.mean())


def test_page_is_self_contained(night, night2):
    html = build_report([night, night2])
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "@import" not in html and not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert not re.search(r"<(link|script)[^>]+(src|href)=(?!\"data:)", html)
    assert html.count("<script") == 2  # data island + inline code, nothing fetched


def test_report_is_deterministic(night):
    assert build_report([night]) == build_report([night])


def test_comparison_shows_both_results_and_relative_change(night, night2):
    html = build_report([night, night2], labels=["legacy", "LEAP"])
    tiles, data, tables = read_page(html)
    assert [r["label"] for r in data["results"]] == ["legacy", "LEAP"]
    assert {t["result"] for t in tiles} == {"0", "1"}
    table = next(t for t in tables if t[0][0] == "metric")
    assert table[0] == ["metric", "legacy", "LEAP", "Δ LEAP vs legacy"]
    a = json.loads((night / "summary.json").read_text())["metrics"]["leaked"]["mean"]
    b = json.loads((night2 / "summary.json").read_text())["metrics"]["leaked"]["mean"]
    row = next(r for r in table if r[0] == "Leakers")
    assert float(row[3].rstrip(" %")) == pytest.approx(100 * (b - a) / a, abs=0.051)
    # comparison histograms share bins, so the two distributions are drawn on one axis
    h0, h1 = (r["hist_shared"]["leaked"] for r in data["results"])
    assert h0["edges"] == h1["edges"]
    assert sum(h0["counts"]) == sum(h1["counts"]) == 40


def test_campaign_curves_agree_with_summary(campaign):
    summary = json.loads((campaign / "summary.json").read_text())
    tiles, data, tables = read_page(build_report([campaign]))
    c = data["results"][0]["campaign"]
    assert c["nights"] == list(range(1, summary["nights"] + 1))
    assert c["munitions"] == sorted(summary["horizon"]["layer_exhausted"])
    # cumulative spend after the last night is the campaign total per run: its mean and CI are
    # the summary's campaign metric, computed independently by the writer
    for key in ("defender_spend_eur", "attacker_spend_eur"):
        last = {k: v[-1] for k, v in c["cumulative"][key].items()}
        for k in ("mean", "ci_low", "ci_high"):
            assert last[k] == pytest.approx(summary["metrics"][key][k], rel=1e-5)
    assert c["per_night"]["stock.iris_t_slm"] == summary["per_night"]["stock.iris_t_slm"]
    horizon = next(t for t in tiles if t["metric"] == "horizon.leakage_threshold")
    assert shown_close(horizon["value"], summary["horizon"]["leakage_threshold"]["mean"])
    assert sum(data["results"][0]["hist"]["leaked"]["counts"]) == summary["runs"]
    # horizon: runs without the event carry nights + 1; all such -> "not within N nights"
    rows = {r[0]: r[1] for r in next(t for t in tables if t[0][0] == "event")[1:]}
    for munition, stats in summary["horizon"]["layer_exhausted"].items():
        cell = rows[f"{munition} exhausted"]
        if stats["min"] > summary["nights"]:
            assert cell == "not within 20 nights"
        else:
            assert shown_close(cell.split("|")[0], stats["mean"])
    assert "not within 20 nights" in rows.values()


def test_t_interval_matches_hand_computation():
    out = t_interval(np.array([[1.0], [2.0], [3.0], [4.0], [5.0]]), "leaked")
    half = 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5)  # t(0.975, 4) s / sqrt(n)
    assert out["mean"] == [3.0]
    assert out["ci_low"][0] == pytest.approx(3 - half, rel=1e-5)
    assert out["ci_high"][0] == pytest.approx(3 + half, rel=1e-5)
    fixture = stat(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert out["ci_low"][0] == pytest.approx(fixture["ci_low"], rel=1e-5)


def test_t_interval_stays_in_the_column_domain_and_skips_nans():
    """Per night (columns): a count's interval stops at 0, a rate's at 0 and 1; a night with
    one finite value has no interval; NaN runs are left out, as in summary.json."""
    counts = t_interval(np.array([[0.0, 9.0, 4.0], [1.0, 0.0, np.nan]]), "leaked")
    assert counts["mean"] == [0.5, 4.5, 4.0]
    assert counts["ci_low"] == [0.0, 0.0, None] and counts["ci_high"][2] is None
    rates = t_interval(np.array([[0.1], [0.9]]), "leak_rate")
    assert (rates["ci_low"], rates["ci_high"]) == ([0.0], [1.0])


def test_histogram_edges_cover_the_data():
    rng = np.random.default_rng(5)
    values = rng.normal(3e7, 1e7, 1000)
    edges = histogram_edges([values], integer=False)
    assert edges[0] <= values.min() and edges[-1] > values.max()
    assert 10 <= len(edges) - 1 <= 61
    ints = rng.integers(0, 500, 1000).astype(float)
    e = histogram_edges([ints], integer=True)
    assert e[0] <= ints.min() - 0.5 and e[-1] >= ints.max() + 0.5
    assert np.all(np.diff(e) == np.diff(e)[0]) and np.diff(e)[0] == int(np.diff(e)[0])


def test_rdp_keeps_corners_and_drops_collinear_points():
    straight = np.column_stack([np.linspace(0, 1000, 50), np.zeros(50)])
    assert rdp_keep(straight, 1.0).tolist() == [0, 49]
    corner = np.vstack(
        [straight, np.column_stack([np.full(50, 1000.0), np.linspace(10, 1000, 50)])]
    )
    assert rdp_keep(corner, 1.0).tolist() == [0, 49, 99]


def _interp(path: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.column_stack([np.interp(t, path[:, 3], path[:, k]) for k in (0, 1)])


def test_replay_simplification_stays_within_tolerance(tmp_path):
    folder = make_night_folder(tmp_path / "dense", runs=5, threats=40, points_per_leg=400)
    replay = json.loads((folder / "replay.json").read_text())
    out = prepare_replay(replay, {"lat": 50.1, "lon": 22.0}, tolerance_m=50.0)
    assert out["totals"]["points_shown"] < out["totals"]["points_in"] / 20
    lat = np.cumsum(out["lat"]) / out["coord_scale"]
    lon = np.cumsum(out["lon"]) / out["coord_scale"]
    t = np.cumsum(out["t"]) / out["time_scale"]
    offsets = np.concatenate([[0], np.cumsum(out["npts"])])
    launched = [i for i, f in enumerate(replay["threats"]["fate"]) if f != "not_launched"]
    for k, i in enumerate(launched):
        orig = np.asarray(replay["threats"]["path"][i])
        shown = np.column_stack([lat, lon, np.zeros_like(t), t])[offsets[k] : offsets[k + 1]]
        end = replay["threats"]["end_time_s"][i]
        assert shown[-1, 3] == pytest.approx(min(end, orig[-1, 3]), abs=0.06)
        times = np.linspace(shown[0, 3], shown[-1, 3], 200)
        d = (_interp(shown, times) - _interp(orig, times)) * [111_320, 111_320 * 0.64]
        assert np.hypot(d[:, 0], d[:, 1]).max() < 60.0  # 50 m tolerance + quantization


def test_replay_point_budget_and_threat_cap(tmp_path):
    folder = make_night_folder(tmp_path / "r", runs=3, threats=100, points_per_leg=50)
    replay = json.loads((folder / "replay.json").read_text())
    out = prepare_replay(
        replay, {"lat": 50.1, "lon": 22.0}, max_threats=30, max_points=300, tolerance_m=0.01
    )
    assert out["totals"]["shown"] == 30 and len(out["npts"]) == 30
    assert sum(out["npts"]) <= 300
    # counters use every threat, not just the drawn ones
    fates = replay["threats"]["fate"]
    assert len(out["timeline"]["kill"]) == fates.count("killed")
    assert len(out["timeline"]["leak"]) == fates.count("leaked")
    assert len(out["timeline"]["engage"]) == len(replay["engagements"]["unit"])
    assert all(0 <= e < 30 for e in out["engagements"]["threat"])


@pytest.mark.slow
def test_thousand_runs_eight_hundred_threats_stays_under_20_mb(tmp_path):
    # weaving 600-point paths: simplification cannot remove much, the point budget must
    folder = make_night_folder(
        tmp_path / "big", runs=1000, threats=800, points_per_leg=300, jitter_m=300.0
    )
    out = write_report([folder], tmp_path / "big.html")
    size = out.stat().st_size
    assert size <= 20e6, f"{size / 1e6:.1f} MB"
    _, data, _ = read_page(out.read_text(encoding="utf-8"))
    assert sum(data["results"][0]["hist"]["leaked"]["counts"]) == 1000
    totals = data["results"][0]["replay"]["totals"]
    assert totals["shown"] == 800 and totals["points_in"] > 450_000
    assert totals["points_shown"] <= 200_000


def test_island_cannot_be_closed_by_a_label(night):
    html = build_report([night], labels=["</script><b>x"], title="a </script> title")
    _, data, _ = read_page(html)
    assert data["results"][0]["label"] == "</script><b>x"
    assert "<b>x" not in html.replace("&lt;b&gt;x", "")


def test_fmt_value_examples():
    assert fmt_value(26_112_345.0, "eur") == "€26.1 M"
    assert fmt_value(950.4, "eur") == "€950"
    assert fmt_value(2.5e9, "eur") == "€2.50 bn"
    assert fmt_value(0.2504, "ratio") == "0.250"
    assert fmt_value(0.0412, "pct") == "4.12 %"
    assert fmt_value(1234.4, "count") == "1,234"
    assert fmt_value(0.004, "count") == "0.00"
    assert fmt_value(None, "count") == "n/a"
    assert parse_number("€2.50 bn") == 2.5e9


# ---------------------------------------------------------------- bad input


def test_missing_folder_names_it(tmp_path):
    with pytest.raises(InputError) as exc:
        build_report([tmp_path / "nope"])
    assert "nope" in str(exc.value) and "not found" in str(exc.value)


@pytest.mark.parametrize(
    ("damage", "expect"),
    [
        (lambda f: (f / "summary.json").unlink(), "summary.json: file not found"),
        (lambda f: (f / "replay.json").unlink(), "replay.json: file not found"),
        (
            lambda f: (f / "summary.json").write_text('{"kind": "night",\n "runs": }'),
            "summary.json:2",
        ),
        (
            lambda f: _edit(f / "summary.json", lambda s: s.update(kind="week")),
            "kind: unknown kind",
        ),
        (
            lambda f: _edit(f / "summary.json", lambda s: s["metrics"]["leaked"].pop("ci_low")),
            "metrics.leaked.ci_low: missing",
        ),
        (
            lambda f: _edit(f / "summary.json", lambda s: s.update(runs=41)),
            "runs.parquet: has 40 rows",
        ),
        (
            lambda f: _edit(f / "scenario.json", lambda s: s["sites"][1].update(lat=123.0)),
            "sites[1]: (123.0",
        ),
        (
            lambda f: _edit(
                f / "replay.json", lambda r: r["engagements"]["unit"].__setitem__(0, 99)
            ),
            "engagements.unit[0]: index 99 out of range",
        ),
        (
            lambda f: _edit(
                f / "replay.json", lambda r: r["threats"]["fate"].__setitem__(2, "lost")
            ),
            "threats.fate[2]: unknown fate 'lost'",
        ),
        (
            lambda f: (f / "runs.parquet").write_bytes(b"not parquet"),
            "runs.parquet: cannot read Parquet",
        ),
    ],
)
def test_bad_folder_names_file_and_field(tmp_path, damage, expect):
    folder = make_night_folder(tmp_path / "bad", runs=40, threats=20)
    damage(folder)
    with pytest.raises(InputError) as exc:
        build_report([folder])
    assert expect in str(exc.value)


@pytest.mark.parametrize(
    ("damage", "expect"),
    [
        (
            lambda s: s["horizon"]["leakage_threshold"].update(mean=[1.0, 2.0]),
            "horizon.leakage_threshold.mean: expected a number",
        ),
        (
            lambda s: next(iter(s["horizon"]["layer_exhausted"].values())).update(ci_low="x"),
            "ci_low: expected a number",
        ),
        (lambda s: s.update(horizon=[]), "horizon: expected an object"),
    ],
)
def test_bad_campaign_horizon_names_the_field(tmp_path, damage, expect):
    """Found by the fuzz suite: a list where a horizon statistic belongs reached the page."""
    folder = make_campaign_folder(tmp_path / "bad", runs=4, nights=5)
    _edit(folder / "summary.json", damage)
    with pytest.raises(InputError) as exc:
        build_report([folder])
    assert expect in str(exc.value)


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ('{"kind": "campaign", "runs": ' + "9" * 5000 + "}", "a number with more than"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
    ids=["5000-digit integer", "deep nesting"],
)
def test_unreadable_summary_numbers_name_the_file(tmp_path, text, expect):
    """Found by the fuzz suite: a 5,000-digit whole number in ``summary.json`` raised Python's
    integer-conversion ``ValueError`` (not a JSON syntax error) through the report."""
    folder = make_campaign_folder(tmp_path / "bad", runs=4, nights=5)
    (folder / "summary.json").write_text(text)
    with pytest.raises(InputError) as exc:
        build_report([folder])
    assert expect in str(exc.value) and "summary.json" in str(exc.value)


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_failed_report_leaves_old_file(tmp_path, night):
    out = write_report([night], tmp_path / "r.html")
    before = out.read_bytes()
    with pytest.raises(InputError):
        write_report([night, tmp_path / "missing"], out)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_cli_writes_report(cli, tmp_path, night, night2):
    out = tmp_path / "cmp.html"
    r = cli("report", night, night2, "--out", out, "--label", "legacy", "--label", "LEAP")
    assert r.exit_code == 0, r.stderr
    assert "wrote" in r.stdout and out.is_file()
    _, data, _ = read_page(out.read_text(encoding="utf-8"))
    assert [x["label"] for x in data["results"]] == ["legacy", "LEAP"]


def test_cli_bad_input_exits_2_naming_the_file(cli, tmp_path, night):
    r = cli("report", tmp_path / "absent", "--out", tmp_path / "x.html")
    assert r.exit_code == 2
    assert "absent" in r.stderr and "Traceback" not in r.stderr
    r = cli("report", night, "--out", tmp_path / "x.html", "--label", "a", "--label", "b")
    assert r.exit_code == 2 and "--label" in r.stderr
    assert not (tmp_path / "x.html").exists()
