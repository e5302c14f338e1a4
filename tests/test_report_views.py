"""Report views and macros: a view added the documented way (docs/report.md, "Adding a view")
shows its data; names from user files are escaped wherever they appear."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import numpy as np
import pytest

from leapsim.report import ResultFolder, build_report, load_result, render, views
from leapsim.report.prepare import histogram, histogram_edges
from report_fixtures import make_campaign_folder, make_night_folder
from report_html import read_page, shown_close

EVIL = '<script>alert("x")</script>'
EVIL_SITE = f"Depot {EVIL}"
EVIL_EFFECTOR = f"gun {EVIL}"
EVIL_KIND = '<img src="x" onerror="window.pwned = 1">'

# The example view of docs/report.md: one partial template, one prepare function, a registration.
EXAMPLE_TEMPLATE = """\
{% import "macros.html.j2" as m %}
<div class="tiles">{{ m.tile(view.leaked, "Leakers", "count", "example", metric="ex", i=i) }}</div>
<div class="grid2">
{% call m.card("Spend against kills", "Whiskers: 95 % CI.") %}
{{ m.scatter_chart(view.scatter, "eur", "count", "spend", "kills", name="example-scatter") }}
{% endcall %}
{% call m.card("Kills by effector type") %}
{{ m.bar_chart(view.effectors, view.bars, "count", name="example-bar") }}
{% endcall %}
</div>
<div class="grid2">
{% call m.card("Leakers, first runs") %}
{{ m.line_chart(view.runs, view.lines, "count", "run", name="example-line") }}
{% endcall %}
{% call m.card("Leakers per run") %}
{{ m.histogram_chart(view.hists, "count", "leakers per run", name="example-histogram") }}
{% endcall %}
</div>
{% call m.card("Spend and kills") %}{{ m.table(["type", "spend", "kills"], view.rows) }}
{% endcall %}
{{ m.map_card(i, "Map with an overlay", overlays=view.overlays) }}
"""


def example_view(result: ResultFolder) -> dict | None:
    """Spend against kills per effector type, plus a map overlay around the first site."""
    if result.kind != "night":
        return None
    cols = result.summary["columns"]
    effectors = views.names(result.summary, "effector_types", "shots.")
    spend = [cols[f"spend_eur.{e}"] for e in effectors]
    kills = [cols[f"kills.{e}"] for e in effectors]
    leaked = np.asarray(result.runs["leaked"], dtype=float)
    site = result.scenario["sites"][0]
    units = result.scenario["fire_units"]
    return {
        "leaked": result.summary["metrics"]["leaked"],
        "effectors": effectors,
        "bars": [
            {
                "name": "kills",
                "color": "#3a9d5d",
                "stats": [{k: s[k] for k in ("mean", "ci_low", "ci_high")} for s in kills],
            }
        ],
        "scatter": [
            {
                "name": "effector types",
                "color": "#2f6db5",
                "line": True,
                "points": [
                    {
                        "x": s["mean"],
                        "x_low": s["ci_low"],
                        "x_high": s["ci_high"],
                        "y": k["mean"],
                        "y_low": k["ci_low"],
                        "y_high": k["ci_high"],
                        "label": e,
                    }
                    for e, s, k in zip(effectors, spend, kills, strict=True)
                ],
            }
        ],
        "runs": list(range(1, 11)),
        "lines": [
            {
                "name": "leakers",
                "color": "#c92a2a",
                "mean": leaked[:10].tolist(),
                "ci_low": (leaked[:10] - 1).tolist(),
                "ci_high": (leaked[:10] + 1).tolist(),
            }
        ],
        "hists": [
            {
                "name": "leakers",
                "color": "#c44e52",
                "hist": histogram(leaked, histogram_edges([leaked], True)) | {"integer": True},
            }
        ],
        "rows": [
            [e, views.Stat(s, "eur"), views.Stat(k, "count")]
            for e, s, k in zip(effectors, spend, kills, strict=True)
        ],
        "overlays": [
            {
                "id": "example",
                "label": f"coverage {EVIL}",
                "color": "#2b8a3e",
                "features": [
                    {"kind": "circle", "pts": [[site["lat"], site["lon"]]], "radius_m": 8000.0},
                    {"kind": "polygon", "pts": [[50.0, 21.9], [50.0, 22.1], [50.1, 22.0]]},
                    {"kind": "line", "pts": [[u["lat"], u["lon"]] for u in units]},
                    *(
                        {"kind": "point", "pts": [[u["lat"], u["lon"]]], "label": u["name"]}
                        for u in units
                    ),
                ],
            }
        ],
    }


def register_example_view(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the example view for one test (its template from a DictLoader in front)."""
    env = render.environment()
    loader = jinja2.DictLoader({"views/example.html.j2": EXAMPLE_TEMPLATE})
    monkeypatch.setattr(env, "loader", jinja2.ChoiceLoader([loader, env.loader]))
    example = views.View("views/example.html.j2", example_view)
    monkeypatch.setattr(render, "RESULT_VIEWS", (*views.RESULT_VIEWS, example))


@pytest.fixture
def with_example_view(monkeypatch):
    register_example_view(monkeypatch)


def make_hostile_folder(path: Path) -> Path:
    """A night folder whose scenario, site, effector type and unit kind carry markup."""
    folder = make_night_folder(path, runs=30, threats=30)
    summary = json.loads((folder / "summary.json").read_text())
    old_site, old_eff = summary["sites"][0], summary["effector_types"][1]
    summary["scenario"]["name"] = EVIL
    summary["sites"][0], summary["effector_types"][1] = EVIL_SITE, EVIL_EFFECTOR
    renamed = {old_site: EVIL_SITE, old_eff: EVIL_EFFECTOR}
    summary["columns"] = {
        f"{base}.{renamed.get(name, name)}": v
        for base, name, v in ((*k.split(".", 1), v) for k, v in summary["columns"].items())
    }
    (folder / "summary.json").write_text(json.dumps(summary))
    scenario = json.loads((folder / "scenario.json").read_text())
    scenario["name"] = EVIL
    scenario["sites"][0]["name"] = EVIL_SITE
    scenario["fire_units"][1]["kind"] = EVIL_KIND
    for raid in scenario["raids"]:
        raid["targets"] = {EVIL_SITE if k == old_site else k: v for k, v in raid["targets"].items()}
    (folder / "scenario.json").write_text(json.dumps(scenario))
    return folder


class _Specs(HTMLParser):
    """data-spec of every chart, by data-name; data-overlays of every map card."""

    def __init__(self) -> None:
        super().__init__()
        self.specs: dict[str, dict] = {}
        self.overlays: list[list] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-spec" in a:
            self.specs[a.get("data-name") or a["data-chart"]] = json.loads(a["data-spec"])
        if "data-overlays" in a:
            self.overlays.append(json.loads(a["data-overlays"]))


def _specs(html: str) -> _Specs:
    parser = _Specs()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> Path:
    return make_night_folder(tmp_path_factory.mktemp("views") / "legacy", seed=3)


def test_example_view_shows_its_data(night, with_example_view):
    html = build_report([night])
    summary = json.loads((night / "summary.json").read_text())
    page = _specs(html)
    data = example_view(load_result(night))
    # every chart carries exactly what the prepare function gave (JSON round trip)
    assert page.specs["example-scatter"]["series"] == data["scatter"]
    assert page.specs["example-bar"]["series"] == data["bars"]
    assert page.specs["example-line"]["series"] == data["lines"]
    assert page.specs["example-histogram"]["series"] == json.loads(json.dumps(data["hists"]))
    assert sum(page.specs["example-histogram"]["series"][0]["hist"]["counts"]) == 40
    assert page.overlays == [data["overlays"]]
    # the tile and the table show the statistics to the digits shown
    tiles, _, tables = read_page(html)
    tile = next(t for t in tiles if t["metric"] == "ex")
    assert shown_close(tile["value"], summary["metrics"]["leaked"]["mean"])
    table = next(t for t in tables if t[0] == ["type", "spend", "kills"])
    for row in table[1:]:
        mean, ci = row[1].split("|")
        stats = summary["columns"][f"spend_eur.{row[0]}"]
        assert shown_close(mean, stats["mean"]) and shown_close(
            ci.split(" – ")[1], stats["ci_high"]
        )
    # the built-in views are still there, before the example
    assert html.index('data-name="effector-shots"') < html.index('data-name="example-scatter"')
    # the overlay gets a layer switch, its label escaped
    assert 'data-layer="overlay:example" checked> coverage &lt;script&gt;' in html


def test_views_that_do_not_apply_are_left_out(night, with_example_view, tmp_path):
    html = build_report([make_campaign_folder(tmp_path / "c", runs=5, nights=4)])
    assert "example-scatter" not in html and 'data-name="effector-shots"' not in html
    assert 'data-chart="stocks"' in html


def test_names_from_user_files_are_escaped(tmp_path):
    folder = make_hostile_folder(tmp_path / "hostile")
    html = build_report([folder, folder], labels=[EVIL, "b"], title=f"title {EVIL}")
    # only the page's own two scripts: the data island and the code
    assert html.count("<script") == 2 and html.count("</script>") == 2
    assert "<img" not in html
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
    assert f"<h1>title {escaped}</h1>" in html
    assert f"<b>scenario</b> {escaped}</span>" in html  # meta line
    assert f"<h2>{escaped}</h2>" in html  # result heading
    assert f'data-tab="0">{escaped}</button>' in html
    # the text read back is the name itself, in the site and effector tables and the data
    _, data, tables = read_page(html)
    sites = next(t for t in tables if t[0] == ["site", "value lost"])
    assert sites[1][0] == EVIL_SITE
    effectors = next(t for t in tables if t[0][:2] == ["type", "engagements"])
    assert EVIL_EFFECTOR in [r[0] for r in effectors]
    assert data["results"][0]["scenario"]["fire_units"][1]["kind"] == EVIL_KIND
    assert EVIL_EFFECTOR in _specs(html).specs["effector-shots"]["categories"]
    # chart specs sit in single-quoted attributes: no quote or markup survives inside
    for spec in re.findall(r"data-spec='([^']*)'", html):
        assert "<" not in spec and ">" not in spec and "&" not in spec
