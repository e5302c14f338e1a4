"""What every command that runs a study shares: the progress bars, the executor options, the
checkpoint in ``OUT/.partial/`` that makes an interrupted command resume, and the messages when
a study resumes or stops (``docs/experiments.md``). Heavy modules are imported inside the
functions."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from leapsim.cli.console import err_console
from leapsim.errors import InputError

if TYPE_CHECKING:
    from leapsim.experiments import Checkpoint, Study, StudyResult

PARTIAL = ".partial"  # finished chunks of an unfinished study, inside its results folder


class Stopped(KeyboardInterrupt):
    """SIGTERM while a study runs: stopped like Ctrl-C, exit status 128 + 15."""


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
    ``out/.partial`` and those already there are reused (said on stderr); call
    :func:`remove_partial` once the results are written.

    Ctrl-C (or SIGTERM) stops the workers at once, says what is saved and how to resume, and
    exits 130 (143); an executor that fails (:class:`~leapsim.experiments.executors.
    ExecutorError`) exits 2 with the same advice."""
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from leapsim.experiments import Checkpoint, make_executor, run_studies
    from leapsim.experiments.executors import ExecutorError

    pool = make_executor(executor, jobs)
    checkpoint = None if out is None else Checkpoint(out / PARTIAL)
    wanted = list(studies.values())
    if checkpoint is not None and (done := _saved(wanted, checkpoint)):
        err_console.print(
            f"resuming: {done} of {_total(wanted)} runs are already done in "
            f"{escape(str(checkpoint.folder))}; running the rest",
            highlight=False,
            soft_wrap=True,
        )
    progress = Progress(
        TextColumn("[bold]{task.description}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
    )
    try:
        with _sigterm_stops(), progress:
            bars = [progress.add_task(escape(label), total=s.runs) for label, s in studies.items()]
            return run_studies(wanted, pool, checkpoint, lambda i, n: progress.advance(bars[i], n))
    except KeyboardInterrupt as exc:
        advice = _resume_advice(wanted, checkpoint) or "no run had finished; nothing was saved"
        err_console.print(escape(f"interrupted: {advice}"), highlight=False, soft_wrap=True)
        raise typer.Exit(143 if isinstance(exc, Stopped) else 130) from None
    except ExecutorError as exc:
        problem = exc.problems[0]
        hint = "; ".join(filter(None, (problem.hint, _resume_advice(wanted, checkpoint))))
        raise ExecutorError(problem.message, hint=hint or None) from None


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
def _sigterm_stops() -> Iterator[None]:
    """While a study runs, SIGTERM stops it like Ctrl-C (batch schedulers send it before a
    kill); only the main thread can install signal handlers."""
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
