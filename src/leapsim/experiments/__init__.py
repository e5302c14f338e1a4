"""Studies: replications of any task (a night, a campaign, a plan evaluation, …) run in chunks on
a local process pool or Dask, checkpointed for resume, merged in replication order, with the
results folders and confidence intervals. See ``docs/experiments.md``."""

from leapsim.experiments.campaign_task import CampaignTask, nightly
from leapsim.experiments.checkpoint import Checkpoint, fingerprint
from leapsim.experiments.executors import DaskExecutor, Executor, LocalExecutor, make_executor
from leapsim.experiments.night_task import NightTask
from leapsim.experiments.stats import mean_ci
from leapsim.experiments.study import (
    ItemResult,
    Replication,
    Study,
    StudyResult,
    Table,
    Task,
    row,
    run_studies,
    run_study,
)

__all__ = [
    "CampaignTask",
    "Checkpoint",
    "DaskExecutor",
    "Executor",
    "ItemResult",
    "LocalExecutor",
    "NightTask",
    "Replication",
    "Study",
    "StudyResult",
    "Table",
    "Task",
    "fingerprint",
    "make_executor",
    "mean_ci",
    "nightly",
    "row",
    "run_studies",
    "run_study",
]
