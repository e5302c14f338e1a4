"""One replication of one night: the task of ``leapsim run`` and ``leapsim demo``."""

from __future__ import annotations

from dataclasses import dataclass

from leapsim.engine import NightParams, night_metrics, simulate_night
from leapsim.engine.replay import event_log, replay
from leapsim.experiments.study import ItemResult, Replication, row

REPLAY_RUN = 0  # the replication kept in full for replay.json


@dataclass(frozen=True)
class NightTask:
    """Simulate the night of ``params`` on the replication's stream. Tables: ``runs`` (one row:
    ``run`` and the metrics of ``docs/results.md``) and, with ``events``, ``events`` (the event
    log). Run 0 also gives the ``replay`` document, from the same simulation, unless ``replay``
    is false (plan searches simulate hundreds of candidates and replay none of them)."""

    params: NightParams
    events: bool = False
    replay: bool = True

    def __call__(self, replication: Replication) -> ItemResult:
        run = replication.index
        outcome = simulate_night(self.params, replication.rng())
        tables = {"runs": row({"run": run, **night_metrics(outcome)})}
        if self.events:
            tables["events"] = event_log(outcome, run)
        keep = self.replay and run == REPLAY_RUN
        documents = {"replay": replay(outcome, run)} if keep else {}
        return ItemResult(tables, documents)
