"""The one replication of hindcasts and calibrations: every night of a window, replayed once.

A :class:`ReplayTask` runs through :class:`leapsim.experiments.Study` like every experiment.
Replication ``r`` replays all the plan's nights with parameter vector ``draws[r % len(draws)]``
(none: the scenario's own values), night ``n`` on ``replication.rng(stream, n)``. So with one seed
and stream every task sees the same random numbers for a night: two scenarios or parameter
vectors are compared on common random numbers, and a replication is a whole window under one
parameter vector (a posterior draw, in a hindcast of a calibrated scenario). The calibration
design gives each point a stream of its own instead (``docs/validation.md``, "Why the design
does not use common random numbers").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leapsim.experiments import ItemResult, Replication
from leapsim.validation.replay import RESULT_COLUMNS, ReplayPlan, replay_night

NIGHTS_TABLE = "nights"


@dataclass(frozen=True)
class ReplayTask:
    """Replay every night of ``plan``; table ``nights``: one row per night."""

    plan: ReplayPlan
    draws: tuple[tuple[float, ...], ...] = ()
    stream: int = 0

    def __call__(self, replication: Replication) -> ItemResult:
        values = self.draws[replication.index % len(self.draws)] if self.draws else ()
        n = self.plan.n_nights
        rows = np.array(
            [replay_night(self.plan, night, replication.rng(self.stream, night), values)
             for night in range(n)],
            np.int64,
        ).reshape(n, len(RESULT_COLUMNS))  # fmt: skip
        table = {"run": np.full(n, replication.index, np.int64), "night": np.arange(n)}
        table.update({name: rows[:, j] for j, name in enumerate(RESULT_COLUMNS)})
        return ItemResult({NIGHTS_TABLE: table})


def by_run(table: dict[str, np.ndarray], column: str, runs: int, nights: int) -> np.ndarray:
    """A (runs, nights) array of one column of the merged ``nights`` table."""
    return np.asarray(table[column]).reshape(runs, nights)
