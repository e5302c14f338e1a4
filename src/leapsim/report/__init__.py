"""Self-contained HTML report of one or more results folders (see ``docs/report.md``).

``write_report(["out/legacy", "out/leap"], "report.html")`` reads the folders described in
``docs/results.md`` and writes one HTML file with every script, style and datum inlined: headline
tiles with 95 % confidence intervals, a map with an animated replay, charts per effector type,
leak distributions, campaign curves, and a comparison view when given several folders.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from leapsim.atomic import write_text_atomic
from leapsim.errors import InputError
from leapsim.report.load import ResultFolder, load_result
from leapsim.report.render import render_html

__all__ = ["ResultFolder", "build_report", "load_result", "write_report"]


def _labels(dirs: list[Path], labels: Sequence[str] | None) -> list[str]:
    if labels is not None:
        if len(labels) != len(dirs):
            raise InputError.at(
                f"{len(labels)} label(s) for {len(dirs)} results folder(s)",
                field="--label",
                hint="give one --label per folder, in the same order, or none",
            )
        return [str(x) for x in labels]
    names = [d.resolve().name or str(d) for d in dirs]
    if len(set(names)) < len(names):
        names = [f"{d.resolve().parent.name}/{d.resolve().name}" for d in dirs]
    return names


def build_report(
    result_dirs: Sequence[str | os.PathLike[str]],
    *,
    labels: Sequence[str] | None = None,
    title: str | None = None,
    max_replay_threats: int = 3000,
    max_replay_points: int = 200_000,
) -> str:
    """The report page for ``result_dirs`` as a string (raises InputError for a bad folder)."""
    if isinstance(result_dirs, str | os.PathLike):
        result_dirs = [result_dirs]
    dirs = [Path(d) for d in result_dirs]
    if not dirs:
        raise InputError.at("no results folder given", hint="leapsim report RESULTS_DIR [...]")
    results = [load_result(d) for d in dirs]
    names = _labels(dirs, labels)
    if title is None:
        scenarios = {
            str((r.summary.get("scenario") or {}).get("name") or r.scenario.get("name") or "")
            for r in results
        }
        title = " vs ".join(names) if len(results) > 1 else ""
        if len(scenarios) == 1 and "" not in scenarios:
            title = scenarios.pop() + (f" — {title}" if title else "")
        title = title or names[0]
    limits = {"max_threats": max_replay_threats, "max_points": max_replay_points}
    return render_html(names, results, title, limits)


def write_report(
    result_dirs: Sequence[str | os.PathLike[str]],
    out_path: str | os.PathLike[str],
    *,
    labels: Sequence[str] | None = None,
    title: str | None = None,
) -> Path:
    """Write the report of ``result_dirs`` to ``out_path`` atomically; return the path."""
    page = build_report(result_dirs, labels=labels, title=title)
    out = Path(out_path)
    write_text_atomic(out, page)
    return out
