"""``leapsim hindcast`` and ``leapsim calibrate``: the theatre scenario against the reported war.

Heavy modules (the engine, numpy, scipy, pyarrow, emcee) are imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leapsim.cli.app import app
from leapsim.cli.console import console, print_json
from leapsim.cli.options import (
    MAX_RUNS,
    RESULTS_HELP,
    ExecutorOption,
    JobsOption,
    JsonOption,
    ReportOption,
    ScenarioArgument,
    SeedOption,
)
from leapsim.cli.study import check_results_folder, execute, remove_partial
from leapsim.errors import InputError

ReportsOption = Annotated[
    Path,
    typer.Option("--reports", help="Ukrainian Air Force report table (missile_attacks_daily.csv)."),
]
SinceOption = Annotated[str, typer.Option("--since", help="First month (YYYY-MM) or night.")]
UntilOption = Annotated[str, typer.Option("--until", help="Last month (YYYY-MM) or night.")]
OutOption = Annotated[Path, typer.Option("--out", help=RESULTS_HELP)]


def _setup(scenario: str, reports: Path, since: str, until: str, parameters: bool = False):
    """Load the scenario (with ``parameters``: it must declare calibration parameters) and the
    reported window; build the replay plan."""
    from leapsim.cli.threat import _parse_date
    from leapsim.scenario.parameters import parameter_names
    from leapsim.validation.replay import build_plan
    from leapsim.validation.window import reported_window

    start = _parse_date(since, "--since", end=False)
    stop = _parse_date(until, "--until", end=True)
    if stop < start:
        raise InputError.at(f"--until {until} is before --since {since}", field="--until")
    from leapsim.scenario import load_scenario

    resolved = load_scenario(scenario)
    if parameters:
        parameter_names(resolved)
    reported = reported_window(reports, start, stop)
    return resolved, build_plan(resolved, reported)


@app.command("hindcast")
def hindcast_command(
    scenario: ScenarioArgument,
    reports: ReportsOption,
    since: SinceOption,
    until: UntilOption,
    runs: Annotated[
        int, typer.Option("--runs", min=1, max=MAX_RUNS, help="Replays of the window.")
    ],
    out: OutOption,
    seed: SeedOption = 1,
    jobs: JobsOption = 1,
    executor: ExecutorOption = None,
    report: ReportOption = False,
    as_json: JsonOption = False,
) -> None:
    """Replay every reported night of a window (the reported launches) through a scenario."""
    from leapsim.validation.hindcast import hindcast_study, summarise_hindcast
    from leapsim.validation.outputs import write_hindcast

    check_results_folder(out)
    _, plan = _setup(scenario, reports, since, until)
    study = hindcast_study(plan, runs, seed)
    [done] = execute({"hindcast": study}, jobs=jobs, executor=executor, out=out, quiet=as_json)
    result = summarise_hindcast(plan, done)
    write_hindcast(out, result)
    if report:
        from leapsim.report import write_report

        write_report([out], out / "report.html")
    remove_partial(out)
    if as_json:
        print_json(result.summary)
        return
    _print_hindcast(result.summary)
    console.print(f"wrote {out}", highlight=False)


def _print_hindcast(summary: dict) -> None:
    from rich.table import Table

    table = Table(title="Neutralised share over the window (official Ukrainian claims vs model)")
    for column in ("family", "reported", "simulated (90 %)", "error (pp)", "months inside 90 %"):
        table.add_column(column)
    for family, data in summary["families"].items():
        w, e = data["window"], data["errors"]
        table.add_row(
            family,
            f"{w['reported']:.3f}",
            f"{w['simulated_mean']:.3f} ({w['simulated_p05']:.3f}-{w['simulated_p95']:.3f})",
            f"{w['error_pp']:+.1f}",
            f"{e['months_inside_90']} of {e['months']}",
        )
    console.print(table)


@app.command("calibrate")
def calibrate_command(
    scenario: ScenarioArgument,
    reports: ReportsOption,
    since: SinceOption,
    until: UntilOption,
    out: OutOption,
    design: Annotated[
        int,
        typer.Option(
            "--design", min=8, max=100_000, help="Design points (parameter vectors) to simulate."
        ),
    ] = 64,
    seed: SeedOption = 1,
    jobs: JobsOption = 1,
    executor: ExecutorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fit the scenario's declared free parameters to the reported outcomes (monthly counts)."""
    import logging

    from leapsim.validation.calibration import (
        design_points,
        design_studies,
        fit_calibration,
        prior_of,
    )
    from leapsim.validation.outputs import write_calibration

    check_results_folder(out)
    resolved, plan = _setup(scenario, reports, since, until, parameters=True)
    prior = prior_of(resolved)
    theta = design_points(prior, design, seed)
    studies = {f"design {i + 1}": s for i, s in enumerate(design_studies(plan, theta, seed))}
    results = execute(studies, jobs=jobs, executor=executor, out=out, quiet=as_json,
                      one_bar="design points")  # fmt: skip
    logging.getLogger("emcee").setLevel(logging.ERROR)
    result = fit_calibration(prior, plan, theta, results, seed)
    write_calibration(out, resolved, plan, result, seed)
    remove_partial(out)
    if as_json:
        print_json(result.report)
        return
    _print_calibration(result.report)
    console.print(f"wrote {out}", highlight=False)


def _print_calibration(report: dict) -> None:
    from rich.table import Table

    from leapsim.validation.calibration import parameter_rows

    table = Table(title="Calibrated parameters (posterior median, 90 % credible interval)")
    for column in ("parameter", "value", "90 % interval", "prior"):
        table.add_column(column)
    for row in parameter_rows(report):
        table.add_row(*row)
    console.print(table)
