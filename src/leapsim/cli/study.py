"""What every command that runs a study shares: the progress bars, the executor options, and the
checkpoint in ``OUT/.partial/`` that makes an interrupted command resume (``docs/experiments.md``).
Heavy modules are imported inside the functions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from leapsim.cli.console import err_console, print_json
from leapsim.errors import InputError

if TYPE_CHECKING:
    from leapsim.experiments import Executor, Study, StudyResult

PARTIAL = ".partial"  # finished chunks of an unfinished study, inside its results folder


def check_results_folder(out: Path | None) -> None:
    """``--out`` names a folder, or a path where one can be made: not a file, and no file on the
    way to it (checked before any work starts)."""
    if out is None:
        return
    for path in (out, *out.parents):
        if path.exists() and not path.is_dir():
            raise InputError.at(
                "is a file, not a folder" if path == out else f"{path} is a file, not a folder",
                file=str(out),
                field="--out",
                hint="give a results folder; it is made if missing",
            )


def local_or_dask(executor: str | None, jobs: int) -> Executor:
    """The executor of ``--executor`` and ``--jobs`` (0: one worker per CPU core)."""
    from leapsim.experiments import make_executor
    from leapsim.experiments.executors import default_jobs

    return make_executor(executor, jobs or default_jobs())


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

    from leapsim.experiments import Checkpoint, run_studies

    pool = local_or_dask(executor, jobs)
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
        print_json(document)
    return as_json
