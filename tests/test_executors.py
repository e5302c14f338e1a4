"""Executors stop cleanly (issue 18, "Executors and signals"): a Dask scheduler that is
unreachable or has no worker, a worker lost mid-run, Ctrl-C / SIGTERM on ``leapsim run --jobs 2``
and a killed parent each end in a clear message — never a traceback, a hang or an orphan — and
keep what finished, so the same command resumes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil
import pytest

from conftest import run_cli
from leapsim.errors import InputError
from leapsim.experiments import (
    Checkpoint,
    DaskExecutor,
    ItemResult,
    LocalExecutor,
    Replication,
    Study,
    row,
    run_study,
)
from leapsim.experiments.executors import ExecutorError, parse_dask_spec
from leapsim.experiments.study import saved_runs

SCENARIO = "builtin:rzeszow_leap"  # about 0.2 s a run: a study of 32 runs is still going
RUNS = 32  # one run per chunk (docs/experiments.md), so the saved chunks count the saved runs


@dataclass(frozen=True)
class Sleepy:
    """A replication that takes ``seconds`` and draws one number from its stream."""

    seconds: float

    def __call__(self, replication: Replication) -> ItemResult:
        time.sleep(self.seconds)
        return ItemResult({"runs": row({"x": replication.rng().random()})})


def expected(study: Study) -> list[float]:
    """What a :class:`Sleepy` study gives, wherever it runs: replication r's first draw."""
    return [Replication(study.seed, r).rng().random() for r in range(study.runs)]


class Then:
    """A progress callback that calls ``action`` once, when the first item has finished."""

    def __init__(self, action):
        self.action, self.done = action, False

    def __call__(self, n: int) -> None:
        if not self.done:
            self.done = True
            self.action()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_cli(*args) -> subprocess.Popen:
    """The command as a terminal's shell starts it: with Ctrl-C not ignored. A process that
    ignores SIGINT passes that on to the programs it starts, and Python then installs no
    KeyboardInterrupt handler (POSIX: ``nohup`` and ``cmd &`` rely on it); under pytest-xdist
    the test process sometimes ignores SIGINT, and the command then ran to its end."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "leapsim", *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
        )
    finally:
        signal.signal(signal.SIGINT, previous)


def wait_for(condition, timeout: float = 240.0) -> float:
    """Poll ``condition`` every 50 ms; the longest gap between two polls, s (a test process
    that did not run for seconds can miss a study that was meant to be interrupted)."""
    deadline = time.monotonic() + timeout
    last, longest = time.monotonic(), 0.0
    while not condition():
        now = time.monotonic()
        longest, last = max(longest, now - last), now
        assert now < deadline, "timed out waiting for the study to start"
        time.sleep(0.05)
    return longest


def chunks(out: Path) -> list[Path]:
    return list((out / ".partial").glob("chunk-*.pkl"))


@pytest.mark.parametrize(
    "spec",
    ["dask://nonsense", "dask://host:", "dask://host:0", "dask://host:99999", "dask://a b:1",
     "dask://host:8786?wait=x", "tcp://host"],
)  # fmt: skip
def test_a_malformed_dask_address_is_refused_before_any_connection(spec):
    with pytest.raises(InputError, match="not a Dask scheduler address"):
        DaskExecutor(spec)


def test_dask_address_forms():
    assert parse_dask_spec("dask://10.0.0.5:8786") == ("tcp://10.0.0.5:8786", 30.0)
    assert parse_dask_spec("tcp://sched.local:8786?wait=120") == ("tcp://sched.local:8786", 120.0)
    assert parse_dask_spec("dask://[::1]:8786?wait=0.5") == ("tcp://[::1]:8786", 0.5)


@pytest.mark.parametrize("address", ["dask://nonsense", "closed port"])
def test_unreachable_scheduler_is_a_clear_error(cli, tmp_path, address):
    """No traceback, and no ``Client.__del__`` timing out (it hung 20 s before exiting)."""
    if address == "closed port":
        address = f"dask://127.0.0.1:{free_port()}"
    result = cli("run", "builtin:rzeszow_legacy", "--runs", 2, "--executor", address,
                 "--out", tmp_path / "study")  # fmt: skip
    assert result.exit_code == 2, result.stderr
    assert "executor:" in result.stderr
    assert "not a Dask scheduler address" in result.stderr or "cannot reach" in result.stderr
    for symptom in ("Traceback", "Exception ignored", "TimeoutError"):
        assert symptom not in result.stderr


@pytest.mark.slow
def test_scheduler_without_workers_fails_after_the_wait(tmp_path):
    """At the start (API, in-process cluster of 0 workers) and through the CLI (``?wait=``)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=0, processes=False, protocol="tcp", dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        with pytest.raises(ExecutorError, match=r"no worker for 0\.5 s"):
            run_study(Study(Sleepy(0.0), 2, 1), DaskExecutor(address, wait_for_workers_s=0.5))
        spec = address.replace("tcp://", "dask://") + "?wait=1"
        result = run_cli("run", "builtin:rzeszow_legacy", "--runs", 2, "--out", tmp_path / "s",
                         "--executor", spec)  # fmt: skip
    assert result.exit_code == 2, result.stderr
    assert "has had no worker for 1 s" in result.stderr and "dask worker" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_dask_study_survives_a_killed_worker_and_fails_cleanly_when_none_is_left(tmp_path):
    """A worker killed mid-run: its chunks run again elsewhere and the results are those of a
    local run. Every worker gone: ExecutorError after the wait, the finished items kept."""
    distributed = pytest.importorskip("distributed")
    study = Study(Sleepy(0.1), 24, 5)
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        executor = DaskExecutor(cluster.scheduler_address, wait_for_workers_s=1)
        victim = next(iter(cluster.workers.values())).process.pid

        on_dask = run_study(study, executor, progress=Then(lambda: os.kill(victim, signal.SIGKILL)))
        np.testing.assert_array_equal(on_dask.tables["runs"]["x"], expected(study))

        checkpoint = Checkpoint(tmp_path / ".partial")
        with pytest.raises(ExecutorError, match="no worker for 1 s"):
            run_study(Study(Sleepy(0.1), 24, 6), executor, checkpoint,
                      Then(lambda: cluster.scale(0)))  # fmt: skip
    assert 0 < saved_runs(Study(Sleepy(0.1), 24, 6), checkpoint) < 24


def test_a_dead_pool_worker_is_an_executor_error_and_the_study_resumes(tmp_path):
    study, checkpoint = Study(Sleepy(0.2), 40, 2), Checkpoint(tmp_path / ".partial")
    me = psutil.Process()
    others = {p.pid for p in me.children()}  # e.g. the resource tracker of earlier tests

    def kill_a_worker():
        os.kill(next(p.pid for p in me.children() if p.pid not in others), signal.SIGKILL)

    with pytest.raises(ExecutorError, match="worker process died"):
        run_study(study, LocalExecutor(2), checkpoint, Then(kill_a_worker))
    assert 0 < saved_runs(study, checkpoint) < 40
    workers = [p for p in me.children() if p.pid not in others]
    assert psutil.wait_procs(workers, timeout=5)[1] == []  # no worker left behind
    resumed = run_study(study, LocalExecutor(2), Checkpoint(tmp_path / ".partial"))
    np.testing.assert_array_equal(resumed.tables["runs"]["x"], expected(study))


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupting_run_jobs_2_stops_at_once_and_the_rerun_resumes(tmp_path, signum, status):
    """Ctrl-C (SIGINT to the parent, as a terminal sends it) or SIGTERM: the workers stop at
    once — the queued runs are not computed (they once ran on for 17–22 s) — and within 3 s the
    command says what is saved, then exits 130 / 143 (after the interpreter's own teardown); the
    same command then resumes and says so, and --report says where it wrote."""
    out = tmp_path / "study"
    command = ("run", SCENARIO, "--runs", RUNS, "--jobs", 2, "--out", out, "--report")
    proc = start_cli(*command)
    started = time.monotonic()
    gap = wait_for(lambda: chunks(out) or proc.poll() is not None)
    seen = f"waited {time.monotonic() - started:.1f} s, longest poll gap {gap:.2f} s"
    workers = psutil.Process(proc.pid).children(recursive=True)
    lines: list[tuple[float, str]] = []
    reader = threading.Thread(
        target=lambda: lines.extend((time.monotonic(), line) for line in proc.stderr)
    )
    reader.start()
    sent = time.monotonic()
    proc.send_signal(signum)
    proc.wait(timeout=60)
    reader.join()
    stderr = "".join(line for _, line in lines)
    said = [t - sent for t, line in lines if line.startswith("interrupted: ")]
    saved = len(chunks(out))
    assert proc.returncode == status, f"{seen}; {stderr}"
    assert saved < RUNS, "the queued runs were computed after the signal"
    assert said and said[0] < 3, f"no message within 3 s: {stderr}"
    assert psutil.wait_procs(workers, timeout=5)[1] == []
    assert "Traceback" not in stderr
    assert (
        f"interrupted: {saved} of {RUNS} runs are saved in {out / '.partial'}; run the same "
        "command again to resume" in stderr
    )
    if signum == signal.SIGTERM:
        return
    resumed = run_cli(*command)
    assert resumed.exit_code == 0, resumed.stderr
    assert f"resuming: {saved} of {RUNS} runs are already done in {out / '.partial'}" in (
        resumed.stderr
    )
    assert f"report: {out / 'report.html'}" in resumed.stdout
    assert (out / "report.html").is_file() and not (out / ".partial").exists()


@pytest.mark.slow
def test_killing_run_jobs_2_leaves_no_orphan_worker(tmp_path):
    """SIGKILL of the parent (no chance to clean up): its pool workers exit with it."""
    proc = start_cli("run", SCENARIO, "--runs", RUNS, "--jobs", 2, "--out", tmp_path / "study")
    parent = psutil.Process(proc.pid)
    wait_for(lambda: len(parent.children()) >= 2 or proc.poll() is not None)
    workers = parent.children(recursive=True)
    assert len(workers) >= 2 and proc.poll() is None
    proc.kill()
    proc.wait()
    alive = psutil.wait_procs(workers, timeout=5)[1]
    assert alive == [], f"orphans: {alive}"


def test_parent_watch_ends_the_worker_where_no_death_signal_exists():
    """The portable fallback (no ``PR_SET_PDEATHSIG``): the watching thread ends the process
    once its parent is gone — here a child that exits (and stays an unreaped zombie)."""
    code = (
        "import subprocess, sys, psutil\n"
        "from leapsim.experiments.executors import _watch_parent\n"
        "parent = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(0.5)'])\n"
        "_watch_parent(psutil.Process(parent.pid))\n"
        "sys.exit(0)  # not reached: the watch ends the process with status 1\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert result.returncode == 1, result.stderr
