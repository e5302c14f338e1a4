"""``leapsim hindcast`` and ``leapsim calibrate``: the theatre scenario against the reported war.

Heavy modules (the engine, numpy, scipy, pyarrow, emcee) are imported inside the commands.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from leapsim.cli.app import app
from leapsim.cli.console import console
from leapsim.errors import InputError

PARTIAL = ".partial"

ReportsOption = Annotated[
    Path,
    typer.Option("--reports", help="Ukrainian Air Force report table (missile_attacks_daily.csv)."),
]
SinceOption = Annotated[str, typer.Option("--since", help="First month (YYYY-MM) or night.")]
UntilOption = Annotated[str, typer.Option("--until", help="Last month (YYYY-MM) or night.")]
OutOption = Annotated[Path, typer.Option("--out", help="Results folder.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Study seed (common random numbers).")]
JobsOption = Annotated[
    int | None, typer.Option("--jobs", help="Worker processes (default: the CPUs available).")
]
ExecutorOption = Annotated[
    str | None, typer.Option("--executor", help="local (default) or dask://HOST:PORT.")
]


def _setup(scenario: str, reports: Path, since: str, until: str, parameters: bool = False):
    """Load the scenario (with ``parameters``: it must declare calibration parameters) and the
    reported window; build the replay plan."""
    from leapsim.cli.run import resolve_scenario
    from leapsim.cli.threat import _parse_date
    from leapsim.scenario.parameters import parameter_names
    from leapsim.validation.replay import build_plan
    from leapsim.validation.window import reported_window

    start = _parse_date(since, "--since", end=False)
    stop = _parse_date(until, "--until", end=True)
    if stop < start:
        raise InputError.at(f"--until {until} is before --since {since}", field="--until")
    resolved = resolve_scenario(scenario)
    if parameters:
        parameter_names(resolved)
    reported = reported_window(reports, start, stop)
    return resolved, build_plan(resolved, reported)


def _executor(executor: str | None, jobs: int | None):
    from leapsim.experiments.executors import default_jobs, make_executor

    if jobs is not None and jobs < 1:
        raise InputError.at("--jobs must be at least 1", field="--jobs")
    return make_executor(executor, jobs or default_jobs())


def _progress(total: int, label: str):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bar = Progress(label, BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console)
    task = bar.add_task(label, total=total)
    return bar, (lambda *args: bar.advance(task, args[-1]))


@app.command("hindcast")
def hindcast_command(
    scenario: Annotated[str, typer.Argument(help="Scenario file or builtin:NAME.")],
    reports: ReportsOption,
    since: SinceOption,
    until: UntilOption,
    runs: Annotated[int, typer.Option("--runs", help="Replays of the window.")],
    out: OutOption,
    seed: SeedOption = 1,
    jobs: JobsOption = None,
    executor: ExecutorOption = None,
    report: Annotated[bool, typer.Option("--report", help="Also write OUT/report.html.")] = False,
) -> None:
    """Replay every reported night of a window (the reported launches) through a scenario."""
    from leapsim.experiments import Checkpoint
    from leapsim.validation.hindcast import hindcast
    from leapsim.validation.outputs import write_hindcast

    if runs < 1:
        raise InputError.at("--runs must be at least 1", field="--runs")
    _, plan = _setup(scenario, reports, since, until)
    run_executor = _executor(executor, jobs)
    bar, advance = _progress(runs, "hindcast")
    with bar:
        result = hindcast(plan, runs, seed, run_executor, Checkpoint(out / PARTIAL), advance)
    write_hindcast(out, result)
    if report:
        from leapsim.report import write_report

        write_report([out], out / "report.html")
    shutil.rmtree(out / PARTIAL, ignore_errors=True)
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
    scenario: Annotated[str, typer.Argument(help="Scenario file or builtin:NAME.")],
    reports: ReportsOption,
    since: SinceOption,
    until: UntilOption,
    out: OutOption,
    design: Annotated[
        int, typer.Option("--design", help="Design points (parameter vectors) to simulate.")
    ] = 64,
    seed: SeedOption = 1,
    jobs: JobsOption = None,
    executor: ExecutorOption = None,
) -> None:
    """Fit the scenario's declared free parameters to the reported per-night outcomes."""
    import logging

    from leapsim.experiments import Checkpoint
    from leapsim.validation.calibration import calibrate
    from leapsim.validation.outputs import write_calibration

    if design < 8:
        raise InputError.at("--design must be at least 8", field="--design")
    resolved, plan = _setup(scenario, reports, since, until, parameters=True)
    run_executor = _executor(executor, jobs)
    logging.getLogger("emcee").setLevel(logging.ERROR)
    bar, advance = _progress(design, "design")
    with bar:
        result = calibrate(resolved, plan, seed, design, run_executor, Checkpoint(out / PARTIAL),
                           advance)  # fmt: skip
    write_calibration(out, resolved, result)
    shutil.rmtree(out / PARTIAL, ignore_errors=True)
    _print_calibration(result.report)
    console.print(f"wrote {out}", highlight=False)


def _print_calibration(report: dict) -> None:
    from rich.table import Table

    table = Table(title="Calibrated parameters (posterior median, 90 % credible interval)")
    for column in ("parameter", "value", "90 % interval", "prior"):
        table.add_column(column)
    for name, p in report["parameters"].items():
        table.add_row(name, f"{p['value']:.3f}", f"{p['p05']:.3f}-{p['p95']:.3f}",
                      f"{p['prior'][0]:g}-{p['prior'][1]:g}")  # fmt: skip
    console.print(table)
