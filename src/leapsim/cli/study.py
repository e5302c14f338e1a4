"""What every command that runs a study shares: the progress bars, the executor options, the
checkpoint in ``OUT/.partial/`` that makes an interrupted command resume, and the messages when
a study resumes or stops (``docs/experiments.md``). Heavy modules are imported inside the
functions."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from leapsim.cli.console import err_console, print_json
from leapsim.errors import InputError

if TYPE_CHECKING:
    from leapsim.experiments import Checkpoint, Executor, Study, StudyResult

PARTIAL = ".partial"  # finished chunks of an unfinished study, inside its results folder


def check_results_folder(out: Path | None, report: bool = False) -> None:
    """``--out`` names a folder, or a path where one can be made: not a file, and no file on the
    way to it (checked before any work starts); ``--report`` (``report``) needs it."""
    if out is None:
        if report:
            raise InputError.at("--report needs --out DIR", field="--report")
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


class Stopped(KeyboardInterrupt):
    """SIGTERM while a study runs: stopped like Ctrl-C, exit status 128 + 15."""


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
    there are reused (said on stderr); call :func:`remove_partial` once the results are written.
    Stops as :func:`stopping` says, with how many runs are saved."""
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from leapsim.experiments import Checkpoint, run_studies

    pool = local_or_dask(executor, jobs)
    checkpoint = None if out is None else Checkpoint(out / PARTIAL)
    wanted = list(studies.values())
    if checkpoint is not None and (done := _saved(wanted, checkpoint)):
        err_console.print(
            f"resuming: {done} of {_total(wanted)} runs are already done in "
            f"{checkpoint.folder}; running the rest",
            highlight=False,
            soft_wrap=True,
        )
    progress = Progress(
        TextColumn("[bold]{task.description}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console.rich,
        disable=quiet,
    )
    with stopping(lambda: _resume_advice(wanted, checkpoint)), progress:
        if one_bar is not None:
            bar = progress.add_task(escape(one_bar), total=_total(wanted))
            bars = [bar] * len(studies)
        else:
            bars = [progress.add_task(escape(label), total=s.runs) for label, s in studies.items()]
        return run_studies(wanted, pool, checkpoint, lambda i, n: progress.advance(bars[i], n))


def _total(studies: list[Study]) -> int:
    return sum(s.runs for s in studies)


def _saved(studies: list[Study], checkpoint: Checkpoint) -> int:
    from leapsim.experiments.study import saved_runs

    return sum(saved_runs(s, checkpoint) for s in studies)


def _resume_advice(studies: list[Study], checkpoint: Checkpoint | None) -> str | None:
    """What is saved and how to resume; None when nothing is."""
    if checkpoint is None:
        return "nothing was saved (give --out DIR to make a study resumable)"
    saved = _saved(studies, checkpoint)
    if saved == 0:
        return None
    return (
        f"{saved} of {_total(studies)} runs are saved in {checkpoint.folder}; run the same "
        "command again to resume"
    )


@contextmanager
def stopping(advice: Callable[[], str | None]) -> Iterator[None]:
    """Around a running study: Ctrl-C — or SIGTERM, which a batch scheduler sends before a kill
    — prints ``interrupted: ADVICE`` (what is saved, how to resume) and exits 130 (143); an
    :class:`~leapsim.experiments.executors.ExecutorError` gets the advice in its hint (exit 2).
    The workers themselves are stopped by the executor."""
    from leapsim.experiments.executors import ExecutorError

    try:
        with _sigterm_stops():
            yield
    except KeyboardInterrupt as exc:
        told = advice() or "no run had finished; nothing was saved"
        err_console.print(f"interrupted: {told}", highlight=False, soft_wrap=True)
        raise typer.Exit(143 if isinstance(exc, Stopped) else 130) from None
    except ExecutorError as exc:
        problem = exc.problems[0]
        hint = "; ".join(filter(None, (problem.hint, advice())))
        raise ExecutorError(problem.message, hint=hint or None) from None


@contextmanager
def _sigterm_stops() -> Iterator[None]:
    """SIGTERM raises :class:`Stopped` meanwhile; only the main thread can install handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise Stopped

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def remove_partial(out: Path) -> None:
    """Remove the saved chunks of the studies whose results are now written in ``out``."""
    from leapsim.experiments import Checkpoint

    Checkpoint(out / PARTIAL).clear()


@contextmanager
def counting(label: str, quiet: bool) -> Iterator[Callable[[int], None]]:
    """A progress line for a search whose number of replications is not known in advance
    (plan, requirements): yields the callback that counts finished replications. Stops as
    :func:`stopping` says."""
    from rich.markup import escape
    from rich.progress import MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn(f"[bold]{escape(label)}[/] replications"),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console.rich,
        disable=quiet,
    )
    advice = "the finished replications are saved; run the same command again to resume"
    with stopping(lambda: advice), progress:
        task = progress.add_task("replications", total=None)
        yield lambda n: progress.advance(task, n)


def finish(out: Path, document: dict, report: bool, as_json: bool) -> bool:
    """Write ``OUT/report.html`` when asked (saying where, on stderr) and print ``document`` as
    JSON when asked; True when the JSON was printed (the caller prints nothing else)."""
    if report:
        from leapsim.report import write_report

        page = write_report([out], out / "report.html")
        err_console.print(f"report: {page}", highlight=False, soft_wrap=True, markup=False)
    if as_json:
        print_json(document)
    return as_json
