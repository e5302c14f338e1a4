"""Executors: where replication chunks run. Results never depend on the choice (see seeds).

* :class:`LocalExecutor` — in this process (``jobs=1``) or a pool of ``jobs`` processes.
* :class:`DaskExecutor` — a Dask distributed cluster given by its scheduler address
  (``dask://HOST:PORT`` or ``tcp://HOST:PORT``).

Both stop cleanly: when the caller stops reading results (Ctrl-C, an error, a closed generator),
the pool's workers are terminated at once, or the Dask futures released. Pool workers also exit
with their parent, even when it is killed outright. A cluster that cannot run the work (scheduler
unreachable, no workers for :data:`WAIT_FOR_WORKERS_S`, a chunk lost with its worker) raises
:class:`ExecutorError`; chunks already finished were handed back, so a checkpointed study resumes.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from leapsim.errors import InputError, Problem

WAIT_FOR_WORKERS_S = 30.0  # how long a Dask cluster may have no worker before the study fails
CONNECT_TIMEOUT_S = 10.0  # how long to try to reach a Dask scheduler
PARENT_POLL_S = 1.0  # how often a pool worker checks that its parent is alive
_ADDRESS = re.compile(
    r"^(?:dask|tcp)://(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s:/?\[\]]+):(?P<port>\d+)/?"
    r"(?:\?wait=(?P<wait>[0-9]*\.?[0-9]+))?$"
)


class ExecutorError(InputError):
    """The executor cannot run the study: scheduler unreachable, no workers, a worker lost.
    Reported like bad input (exit 2): the user fixes the cluster, then reruns to resume."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(Problem(message, field="executor", hint=hint))


class Executor(Protocol):
    def map_unordered(
        self, fn: Callable[..., Any], shared: Any, items: Sequence[Any]
    ) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, fn(shared, items[index]))`` as results complete; stop every pending
        item when the generator is closed or the caller is interrupted."""
        ...


class LocalExecutor:
    """Run chunks here (``jobs=1``) or in ``jobs`` worker processes."""

    def __init__(self, jobs: int = 1):
        if jobs < 1:
            raise InputError.at("--jobs must be at least 1", field="jobs")
        self.jobs = jobs

    def map_unordered(self, fn, shared, items):
        if self.jobs == 1 or len(items) <= 1:
            for i, item in enumerate(items):
                yield i, fn(shared, item)
            return
        pool = ProcessPoolExecutor(
            max_workers=min(self.jobs, len(items)),
            initializer=_worker_init,
            initargs=(os.getpid(),),
        )
        try:
            futures = {pool.submit(fn, shared, item): i for i, item in enumerate(items)}
            for future in as_completed(futures):
                try:
                    result = future.result()
                except BrokenProcessPool:
                    raise ExecutorError(
                        "a worker process died before its chunk finished",
                        hint="killed, or out of memory? try fewer --jobs",
                    ) from None
                yield futures[future], result
        except BaseException:  # Ctrl-C, an error, or the caller closed the generator
            _terminate(pool)
            raise
        pool.shutdown()


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop the pool now: terminate its workers rather than let them finish the queue (what
    ``shutdown`` would do). Python 3.14 has ``terminate_workers``; before it, only the private
    ``_processes`` lists them.

    Then wait (at most 2 s) for the pool's manager thread to end: on Python 3.11 the
    interpreter's exit hook wakes that thread through a pipe the thread may be closing at the
    same moment, unlocked, which printed a ``Bad file descriptor`` traceback after an
    interrupted study (the pipe got its own lock in CPython gh-125451, 3.12 and later)."""
    manager = getattr(pool, "_executor_manager_thread", None)
    if hasattr(pool, "terminate_workers"):
        pool.terminate_workers()
    else:
        workers = list((getattr(pool, "_processes", None) or {}).values())
        for worker in workers:
            worker.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        for worker in workers:
            worker.join(timeout=2)
            if worker.is_alive():
                worker.kill()
    if manager is not None:
        manager.join(timeout=2)


def _worker_init(parent_pid: int) -> None:
    """In each pool worker: leave Ctrl-C to the parent (which stops the pool), die at once on
    SIGTERM (whatever handler the parent had when it forked), and exit when the parent does —
    at once on Linux (``PR_SET_PDEATHSIG``), else within :data:`PARENT_POLL_S` (a watching
    thread), so a killed parent leaves no orphan."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1  # <linux/prctl.h>
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    import psutil

    try:
        parent = psutil.Process(parent_pid)
    except psutil.Error:
        os._exit(1)
    if not _alive(parent):  # died before the death signal was armed
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _alive(process: Any) -> bool:
    import psutil

    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _watch_parent(parent: Any) -> None:
    while _alive(parent):
        time.sleep(PARENT_POLL_S)
    os._exit(1)


def parse_dask_spec(spec: str) -> tuple[str, float]:
    """``dask://HOST:PORT`` (or ``tcp://``), optionally ``?wait=SECONDS``, as the ``tcp://``
    address Dask takes and how long to wait for a worker (default :data:`WAIT_FOR_WORKERS_S`)."""
    match = _ADDRESS.match(spec.strip())
    if match is None or not 0 < int(match["port"]) < 65536:
        raise InputError.at(
            f"not a Dask scheduler address: {spec!r}",
            field="executor",
            hint="use dask://HOST:PORT, e.g. dask://127.0.0.1:8786, optionally ?wait=SECONDS",
        )
    wait = WAIT_FOR_WORKERS_S if match["wait"] is None else float(match["wait"])
    return f"tcp://{match['host']}:{int(match['port'])}", wait


class DaskExecutor:
    """Run chunks on a Dask distributed scheduler. The shared data travels once, as a task
    (not scattered data), so the scheduler can compute it again when a worker is lost.

    ``address``: ``dask://HOST:PORT`` or ``tcp://HOST:PORT``, optionally ``?wait=SECONDS``;
    ``wait_for_workers_s`` (default: the address's ``wait``, else :data:`WAIT_FOR_WORKERS_S`):
    how long the cluster may have no worker, at the start or mid-run, before
    :class:`ExecutorError`. The scheduler is probed when the first chunk is submitted, within
    ``connect_timeout_s``."""

    def __init__(
        self,
        address: str,
        wait_for_workers_s: float | None = None,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
    ):
        self.address, wait = parse_dask_spec(address)
        self.wait_for_workers_s = wait if wait_for_workers_s is None else wait_for_workers_s
        self.connect_timeout_s = connect_timeout_s

    def map_unordered(self, fn, shared, items):
        from distributed import wait

        with self._connect() as client, client.as_current():
            self._wait_for_workers(client)
            shared_future = client.submit(_identity, shared, pure=False)
            futures = [client.submit(fn, shared_future, item, pure=False) for item in items]
            index = {f.key: i for i, f in enumerate(futures)}
            pending = set(futures)
            idle_since: float | None = None
            while pending:
                try:
                    done, pending = wait(pending, timeout=1.0, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    idle_since = self._check_workers(client, idle_since)
                    continue
                idle_since = None
                for future in done:
                    yield index[future.key], self._result(client, future)

    def _connect(self):
        from distributed import Client

        class _Client(Client):
            """A Client that, when it fails to connect, stops its event loop at once: the
            stock one leaves it to ``__del__``, which hangs for twice the timeout
            (distributed 2026.8)."""

            def start(self, **kwargs):
                try:
                    super().start(**kwargs)
                except BaseException:
                    self.status = "closed"
                    runner = getattr(self, "_loop_runner", None)
                    if runner is not None:
                        runner.stop()
                    raise

        try:  # a refused connection fails here at once; Dask would retry until its timeout
            host, port = self.address.removeprefix("tcp://").rsplit(":", 1)
            socket.create_connection((host.strip("[]"), int(port)), self.connect_timeout_s).close()
            return _Client(self.address, timeout=f"{self.connect_timeout_s}s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ExecutorError(
                f"cannot reach the Dask scheduler at {self.address}: {exc}",
                hint="start one with `dask scheduler` and `dask worker ADDRESS`",
            ) from None

    def _wait_for_workers(self, client) -> None:
        try:
            client.wait_for_workers(1, timeout=self.wait_for_workers_s)
        except TimeoutError:
            raise self._no_workers() from None

    def _check_workers(self, client, idle_since: float | None) -> float | None:
        """Nothing finished this second: fail once the cluster has had no worker for
        ``wait_for_workers_s``; return since when it has had none (None while it has some)."""
        if client.nthreads():
            return None
        now = time.monotonic()
        if idle_since is not None and now - idle_since > self.wait_for_workers_s:
            raise self._no_workers()
        return idle_since if idle_since is not None else now

    def _no_workers(self) -> ExecutorError:
        return ExecutorError(
            f"the Dask scheduler at {self.address} has had no worker for "
            f"{self.wait_for_workers_s:g} s",
            hint=f"start workers with `dask worker {self.address}`",
        )

    def _result(self, client, future) -> Any:
        """The chunk's result; a chunk the cluster lost is an :class:`ExecutorError`, an
        exception raised by the task itself propagates unchanged. A finished chunk whose worker
        leaves before the result is fetched is computed again, so fetching it waits on the
        workers like the main loop does."""
        from distributed import KilledWorker

        if future.status == "cancelled":
            raise ExecutorError(
                f"the Dask cluster at {self.address} lost a chunk (scheduler restarted or closed?)"
            )
        idle_since: float | None = None
        try:
            while True:
                try:
                    return future.result(timeout=1.0)
                except TimeoutError:
                    idle_since = self._check_workers(client, idle_since)
        except KilledWorker as exc:
            raise ExecutorError(
                f"a chunk killed the Dask workers that ran it: {exc}",
                hint="out of memory? give the workers more memory",
            ) from None


def _identity(value: Any) -> Any:
    return value


def make_executor(executor: str | None, jobs: int) -> Executor:
    """``local`` (or None): :class:`LocalExecutor`; ``dask://…``: :class:`DaskExecutor`."""
    if executor in (None, "", "local"):
        return LocalExecutor(jobs)
    if executor.startswith(("dask://", "tcp://")):
        return DaskExecutor(executor)
    raise InputError.at(
        f"unknown executor {executor!r}", field="executor", hint="use local or dask://HOST:PORT"
    )


def default_jobs() -> int:
    """Worker processes to use by default: the CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
