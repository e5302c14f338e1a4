"""``leapsim coalition``: what every coalition of nations saves by buying munitions together,
and each nation's fair share (Shapley value). Heavy modules are imported inside the command."""

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
from leapsim.cli.study import check_results_folder, finish, remove_partial
from leapsim.errors import InputError


def _m(value: float) -> str:
    return f"{value / 1e6:,.2f}"


def shares_table(summary: dict) -> Table:
    grand = summary["grand_coalition"]
    table = Table(
        title=f"Joint procurement for {summary['target']['nights']} nights at "
        f"q = {summary['target']['probability']:g}: grand coalition saves "
        f"{_m(grand['saving_eur'])} M€ ({_m(grand['saving_ci_eur'][0])} – "
        f"{_m(grand['saving_ci_eur'][1])})",
        title_justify="left",
    )
    for column in ("nation", "alone (M€)", "Shapley share of the saving (M€, 95 %)",
                   "pays together (M€)"):  # fmt: skip
        table.add_column(column, justify="left" if column == "nation" else "right")
    for nation, doc in summary["nations"].items():
        low, high = doc["shapley_ci_eur"]
        table.add_row(
            nation,
            _m(doc["alone_cost_eur"]),
            f"{_m(doc['shapley_saving_eur'])} ({_m(low)} – {_m(high)})",
            _m(doc["cost_in_grand_coalition_eur"]),
        )
    return table


@app.command()
def coalition(
    study: StudyArgument,
    out: Annotated[Path, typer.Option(help=RESULTS_HELP)],
    runs: Annotated[
        int | None,
        typer.Option(help="Campaign runs for the demand, at least 4 (default: coalition.runs)."),
    ] = None,
    seed: SeedOption = 1,
    jobs: JobsOption = 1,
    executor: ExecutorOption = None,
    as_json: JsonOption = False,
    report: ReportOption = False,
) -> None:
    """Cost of every coalition buying together (one line, one learning curve, pooled stocks),
    the grand coalition's saving and each nation's Shapley share."""
    from leapsim.cli.study import execute
    from leapsim.planning.study import coalition_problems, coalition_target, load_plan_study
    from leapsim.procurement.coalition import (
        analyse,
        defence_of,
        demand_of,
        demand_study,
        line_costs,
    )
    from leapsim.procurement.outputs import write_coalition_results

    check_results_folder(out)
    resolved = load_plan_study(study)
    problems = coalition_problems(resolved)
    if problems:
        raise InputError(problems)
    settings = resolved.spec.coalition
    runs = runs if runs is not None else (settings.runs if settings else 32)
    if runs < 4:
        raise InputError.at("--runs must be at least 4", field="runs")
    started = time.perf_counter()
    demand_run = demand_study(resolved, defence_of(resolved), runs, seed)
    (result,) = execute(
        {"demand": demand_run}, jobs=jobs, executor=executor, out=out, quiet=as_json
    )
    demand = demand_of(resolved, result)
    outcome = analyse(demand, line_costs(resolved, demand), coalition_target(resolved)[1], seed)
    summary = write_coalition_results(
        outcome, resolved, out, time.perf_counter() - started, runs, seed
    )
    remove_partial(out)
    if finish(out, summary, report, as_json):
        return
    console.print(shares_table(summary))
    core = summary["core"]
    console.print(
        "Shapley shares are in the core" if core["shapley_in_core"] else
        f"Shapley shares leave a coalition {_m(core['largest_violation_eur'])} M€ short",
    )  # fmt: skip
    console.print(f"{runs} campaign runs in {summary['seconds']:.0f} s; results in {out}")
