"""Build the report page from Jinja2 templates (``templates/``), autoescaped.

``page.html.j2`` lays out the page; each section is a view (``views.py``: a partial template and
the function that prepares its data). Tiles and tables are rendered as HTML, so their numbers are
in the page itself; charts and the map are drawn in the browser by ``assets/report.js``, from the
JSON data island ``#leapsim-data`` or from a chart's own ``data-spec``. Styles and code are
inlined, so the page is one offline file.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from leapsim import __version__
from leapsim.report import prepare
from leapsim.report.fmt import fmt_ci, fmt_value
from leapsim.report.load import ResultFolder
from leapsim.report.views import COMPARISON_VIEWS, RESULT_VIEWS, Stat, result_meta


def _asset(name: str) -> str:
    return resources.files("leapsim.report").joinpath(name).read_text(encoding="utf-8")


def island(data: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` block; ``<`` is escaped so that no
    string inside can close the block."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    return Markup(
        text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )


@cache
def environment() -> jinja2.Environment:
    """The template environment: every template autoescaped, undefined names an error."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("leapsim.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["value"] = fmt_value
    env.filters["ci"] = fmt_ci
    env.filters["island"] = island
    env.tests["stat"] = lambda cell: isinstance(cell, Stat)
    # ``tojson`` (chart specs in attributes) escapes < > & ' and must not write NaN
    env.policies["json.dumps_kwargs"] = {
        "sort_keys": True,
        "allow_nan": False,
        "separators": (",", ":"),
    }
    return env


def _sections(views: tuple, *args: Any) -> list[dict[str, Any]]:
    """The views that apply, each as its template and prepared data."""
    out = []
    for view in views:
        data = view.prepare(*args)
        if data is not None:
            out.append({"template": view.template, "view": data})
    return out


def render_html(
    labels: list[str], results: list[ResultFolder], title: str, replay_limits: dict[str, Any]
) -> str:
    """The complete self-contained page."""
    sections = [
        {
            "label": label,
            "meta": result_meta(r),
            "views": _sections(RESULT_VIEWS, r),
            "hidden": len(results) > 1 and i > 0,
        }
        for i, (label, r) in enumerate(zip(labels, results, strict=True))
    ]
    data = {
        "generator": f"leapsim {__version__}",
        "results": prepare.results_data(labels, results, replay_limits),
        "borders": json.loads(_asset("data/europe_borders.json")),
    }
    return (
        environment()
        .get_template("page.html.j2")
        .render(
            title=title,
            version=__version__,
            css=Markup(_asset("assets/report.css")),
            js=Markup(_asset("assets/report.js")),
            comparison=_sections(COMPARISON_VIEWS, labels, results) if len(results) > 1 else [],
            labels=labels,
            results=sections,
            data=data,
        )
    )
