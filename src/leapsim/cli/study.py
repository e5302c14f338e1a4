"""What every command that runs a study shares: the progress bars, the executor options, and the
checkpoint in ``OUT/.partial/`` that makes an interrupted command resume (``docs/experiments.md``).
Heavy modules are imported inside the functions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

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
) -> list[StudyResult]:
    """Run the studies (label → study) in one executor pass with a progress bar each (on
    stderr, off when ``quiet``). With a results folder ``out``, finished chunks are saved in
    ``out/.partial`` and those already there are reused; call :func:`remove_partial` once the
    results are written."""
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
