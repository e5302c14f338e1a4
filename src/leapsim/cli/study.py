"""What every command that runs a study shares: the progress bars, the executor options, and the
checkpoint in ``OUT/.partial/`` that makes an interrupted command resume (``docs/experiments.md``).
Heavy modules are imported inside the functions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leapsim.cli.console import err_console
from leapsim.errors import InputError

if TYPE_CHECKING:
    from leapsim.experiments import Study, StudyResult

PARTIAL = ".partial"  # finished chunks of an unfinished study, inside its results folder


def check_runs(runs: int) -> None:
    if runs < 1:
        raise InputError.at("--runs must be at least 1", field="runs")


def execute(
    studies: dict[str, Study],
    *,
    jobs: int,
    executor: str | None,
    out: Path | None,
    quiet: bool,
    one_bar: str | None = None,
) -> list[StudyResult]:
    """Run the studies (label → study) in one executor pass with a progress bar each (on
    stderr, off when ``quiet``; with ``one_bar``, one bar of that label for all of them). With a
    results folder ``out``, finished chunks are saved in ``out/.partial`` and those already
    there are reused; call :func:`remove_partial` once the results are written."""
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from leapsim.experiments import Checkpoint, make_executor, run_studies

    pool = make_executor(executor, jobs)
    progress = Progress(
        TextColumn("[bold]{task.description}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
    )
    with progress:
        if one_bar is not None:
            bar = progress.add_task(escape(one_bar), total=sum(s.runs for s in studies.values()))
            bars = [bar] * len(studies)
        else:
            bars = [progress.add_task(escape(label), total=s.runs) for label, s in studies.items()]
        return run_studies(
            list(studies.values()),
            pool,
            None if out is None else Checkpoint(out / PARTIAL),
            lambda i, n: progress.advance(bars[i], n),
        )


def remove_partial(out: Path) -> None:
    """Remove the saved chunks of the studies whose results are now written in ``out``."""
    from leapsim.experiments import Checkpoint

    Checkpoint(out / PARTIAL).clear()


@contextmanager
def counting(label: str, quiet: bool) -> Iterator[Callable[[int], None]]:
    """A progress line for a search whose number of replications is not known in advance
    (plan, requirements): yields the callback that counts finished replications."""
    from rich.markup import escape
    from rich.progress import MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn(f"[bold]{escape(label)}[/] replications"),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
    )
    with progress:
        task = progress.add_task("replications", total=None)
        yield lambda n: progress.advance(task, n)


def finish(out: Path, document: dict, report: bool, as_json: bool) -> bool:
    """Write ``OUT/report.html`` when asked and print ``document`` as JSON when asked; True when
    the JSON was printed (the caller prints nothing else)."""
    if report:
        from leapsim.report import write_report

        write_report([out], out / "report.html")
    if as_json:
        print(json.dumps(document))
    return as_json


# Options shared by the commands that read a plan study (plan, requirements, coalition).
StudyArgument = Annotated[str, typer.Argument(help="Plan study YAML (or builtin:NAME).")]
JobsOption = Annotated[int, typer.Option("--jobs", "-j", help="Local worker processes.")]
ExecutorOption = Annotated[
    str | None, typer.Option(help="local (default) or dask://HOST:PORT of a Dask scheduler.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]
ReportOption = Annotated[bool, typer.Option("--report", help="Also write OUT/report.html.")]
