"""``leapsim requirements``: the break-even frontier of a new effector's design space.

Heavy modules are imported inside the command, so that the CLI starts at once.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from leapsim.cli.app import app
from leapsim.cli.console import console
from leapsim.cli.options import (
    RESULTS_HELP,
    ExecutorOption,
    JobsOption,
    JsonOption,
    ReportOption,
    SeedOption,
    StudyArgument,
)
from leapsim.cli.study import (
    PARTIAL,
    check_results_folder,
    counting,
    finish,
    local_or_dask,
    remove_partial,
)


def frontier_table(summary: dict) -> Table:
    """Break-even values of the last varied field, per incumbent and line of the grid."""
    axes = [a["field"] for a in summary["axes"]]
    last = axes[-1]
    table = Table(
        title=f"Break-even frontier of {summary['candidate']} ({last}; 95 % band)",
        title_justify="left",
    )
    for column in ("against", *axes[:-1], f"{last} at break-even", "band"):
        table.add_column(column, justify="left" if column == "against" else "right")
    for incumbent, rows in summary["frontier"].items():
        for row in rows:
            low, high = (row[f"{last}_band_{end}"] for end in ("low", "high"))
            band = " – ".join("…" if v is None else f"{v:,.4g}" for v in (low, high))
            table.add_row(
                incumbent, *(f"{row[a]:,.4g}" for a in axes[:-1]), f"{row[last]:,.4g}", band
            )
    return table


@app.command()
def requirements(
    study: StudyArgument,
    effector: Annotated[str, typer.Option(help="Effector type whose design is varied.")],
    vary: Annotated[
        list[str], typer.Option(help="FIELD=LOW:HIGH[:log|:lin], once per varied field.")
    ],
    out: Annotated[Path, typer.Option(help=RESULTS_HELP)],
    incumbent: Annotated[
        str | None,
        typer.Option(
            help="Incumbent defence (scenario or builtin:NAME); default: the study's "
            "first reference, else its base."
        ),
    ] = None,
    incumbents: Annotated[
        list[str] | None,
        typer.Option(
            "--incumbents",
            help="Types the candidate replaces (default: the incumbent's purchasable types).",
        ),
    ] = None,
    grid: Annotated[int, typer.Option(help="Grid values per varied field (2 to 33).")] = 5,
    rounds: Annotated[
        int, typer.Option(help="Rounds of bisection towards the frontier (0 to 8).")
    ] = 3,
    runs: Annotated[int, typer.Option(help="Replications per design point (2 to 100,000).")] = 32,
    seed: SeedOption = 1,
    jobs: JobsOption = 1,
    executor: ExecutorOption = None,
    as_json: JsonOption = False,
    report: ReportOption = False,
) -> None:
    """Where a new effector pays: break-even frontier, and where it dominates each incumbent."""
    from leapsim.experiments import Checkpoint
    from leapsim.planning.study import load_plan_study
    from leapsim.procurement.outputs import write_requirements_results
    from leapsim.procurement.requirements import Requirements, setup

    check_results_folder(out)
    resolved = load_plan_study(study)
    settings = setup(resolved, effector, vary, incumbent, incumbents, grid, rounds, runs, seed)
    started = time.perf_counter()
    with counting(settings.name, as_json) as progress:
        req = Requirements(settings, local_or_dask(executor, jobs), Checkpoint(out / PARTIAL))
        req.run(progress)
    summary = write_requirements_results(req, out, time.perf_counter() - started)
    remove_partial(out)
    if finish(out, summary, report, as_json):
        return
    console.print(frontier_table(summary))
    for x, region in summary["regions"].items():
        console.print(
            f"replacing the {region['units_replaced']} {x} units pays at {region['pays']} of "
            f"{region['points']} design points, dominates at {region['dominates']}"
        )
    console.print(
        f"{summary['points']} design points × {len(summary['incumbents'])} offers × {runs} runs "
        f"in {summary['seconds']:.0f} s; results in {out}"
    )
