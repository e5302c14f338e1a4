"""``leapsim report``: one self-contained HTML file from one or more results folders."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leapsim.cli.app import app
from leapsim.cli.console import console, print_json
from leapsim.cli.options import JsonOption, metavar


@app.command("report")
def report(
    results: Annotated[
        list[Path],
        typer.Argument(
            metavar=metavar("results"),
            help="Results folder(s) of run, campaign, plan, requirements or coalition; several: "
            "a comparison.",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")] = Path(
        "report.html"
    ),
    label: Annotated[
        list[str] | None,
        typer.Option("--label", help="Name of each folder in the report, in order (repeat)."),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Page title.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Write an offline HTML report: tiles with 95 % CIs, map replay, charts, comparison."""
    from leapsim.report import write_report

    path = write_report(results, out, labels=label or None, title=title)
    size = path.stat().st_size
    if as_json:
        print_json({"out": str(path), "bytes": size, "folders": [str(r) for r in results]})
        return
    console.print(f"wrote {path} ({size / 1e6:.1f} MB)", highlight=False)
