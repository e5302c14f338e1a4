"""Executors: where replication chunks run. Results never depend on the choice (see seeds).

* :class:`LocalExecutor` — in this process (``jobs=1``) or a pool of ``jobs`` processes.
* :class:`DaskExecutor` — a Dask distributed cluster given by its scheduler address
  (``dask://HOST:PORT`` or ``tcp://HOST:PORT``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Protocol

from leapsim.errors import InputError


class Executor(Protocol):
    def map_unordered(
        self, fn: Callable[..., Any], shared: Any, items: Sequence[Any]
    ) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, fn(shared, items[index]))`` as results complete."""
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
        with ProcessPoolExecutor(max_workers=min(self.jobs, len(items))) as pool:
            futures = {pool.submit(fn, shared, item): i for i, item in enumerate(items)}
            for future in as_completed(futures):
                yield futures[future], future.result()


class DaskExecutor:
    """Run chunks on a Dask distributed scheduler; the shared data is scattered once."""

    def __init__(self, address: str):
        self.address = address.replace("dask://", "tcp://", 1)

    def map_unordered(self, fn, shared, items):
        from distributed import Client
        from distributed import as_completed as dask_completed

        try:
            client = Client(self.address, timeout="10s", set_as_default=False)
        except OSError as exc:
            raise InputError.at(
                f"cannot reach the Dask scheduler at {self.address}: {exc}",
                field="executor",
                hint="start one with `dask scheduler` and `dask worker ADDRESS`",
            ) from None
        with client, client.as_current():
            shared_future = client.scatter(shared, broadcast=True)
            futures = [client.submit(fn, shared_future, item, pure=False) for item in items]
            index = {f.key: i for i, f in enumerate(futures)}
            for future in dask_completed(futures):
                yield index[future.key], future.result()


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
