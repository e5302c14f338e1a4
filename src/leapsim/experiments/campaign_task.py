"""One replication of a campaign: the task of ``leapsim campaign``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leapsim.campaign.simulate import CampaignJob, simulate_campaign_run
from leapsim.experiments.study import ItemResult, Replication, StudyResult, row


@dataclass(frozen=True)
class CampaignTask:
    """Simulate every night of the campaign ``job`` for one replication. Tables: ``nights``
    (one row per night: ``run``, ``night`` 1 … N and the columns of ``docs/results.md``) and
    ``horizon`` (one row: ``run`` and, per horizon event, the night it first happens, N + 1 if
    never)."""

    job: CampaignJob

    def __call__(self, replication: Replication) -> ItemResult:
        run = replication.index
        result = simulate_campaign_run(self.job, replication.seed, run)
        nights = self.job.plan.nights
        columns = {
            "run": np.full(nights, run, np.int64),
            "night": np.arange(1, nights + 1, dtype=np.int64),
            **result.columns,
        }
        horizon = row({"run": run, **result.horizon})
        return ItemResult({"nights": columns, "horizon": horizon})


def nightly(result: StudyResult, name: str) -> np.ndarray:
    """Column ``name`` of a campaign study's ``nights`` table as a (runs, nights) array."""
    return result.tables["nights"][name].reshape(result.runs, -1)
