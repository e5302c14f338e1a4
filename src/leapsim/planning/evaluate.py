"""Simulating plans through the one :class:`~leapsim.experiments.Study` of the project.

Each (plan, kind of evaluation) is a study with the plan search's seed: ``NightTask`` for the
scenario's night, ``CampaignTask`` for the campaign (all nights, or the screening horizon). All
studies share the seed, so replication ``r`` of every plan meets the same raids and the same
streams until their defences first differ (common random numbers), and a study asked again with
more runs reuses its saved replications (the fidelity ladder climbs without repeating work).

Kinds: ``night``, ``campaign_screen`` (the screening horizon) and ``campaign`` (all nights).
"""

from __future__ import annotations

import numpy as np

from leapsim.campaign import CampaignJob, compile_plan
from leapsim.experiments import CampaignTask, NightTask, StudyResult, Task, nightly
from leapsim.planning.prepare import PreparedPlan
from leapsim.planning.study import PlanStudy
from leapsim.threats import ThreatModel

KINDS = ("night", "campaign_screen", "campaign")


def plan_task(study: PlanStudy, plan: PreparedPlan, kind: str, model: ThreatModel | None) -> Task:
    """The study task that evaluates ``plan`` for evaluation ``kind``."""
    if kind == "night":
        return NightTask(plan.params, replay=False)
    campaign = study.spec.threat.campaign
    assert campaign is not None and plan.config is not None and model is not None
    campaign_plan = plan.campaign_plan
    if kind == "campaign_screen" and screen_nights(study) != campaign.nights:
        campaign_plan = compile_plan(plan.params, plan.config, screen_nights(study))
    assert campaign_plan is not None
    job = CampaignJob(plan.params, campaign_plan, plan.config, model, campaign.threat_scale)
    return CampaignTask(job)


def screen_nights(study: PlanStudy) -> int:
    """Nights of the screening campaign: ``screen_nights``, at least the sustainability
    horizon, at most the campaign."""
    campaign = study.spec.threat.campaign
    assert campaign is not None
    nights = campaign.screen_nights or campaign.nights
    sustain = study.spec.constraints.sustainability
    if sustain is not None:
        nights = max(nights, sustain.nights)
    return min(nights, campaign.nights)


def nights_per_run(result: StudyResult) -> int:
    """Night-replications one replication of the study simulates."""
    task = result.study.task
    return task.job.plan.nights if isinstance(task, CampaignTask) else 1


def per_run(result: StudyResult, column: str) -> np.ndarray:
    """(runs,) values of a night metric, or its campaign total."""
    if isinstance(result.study.task, CampaignTask):
        return nightly(result, column).sum(axis=1)
    return np.asarray(result.tables["runs"][column])


def first_event_night(result: StudyResult) -> np.ndarray:
    """(runs,) night of each campaign run's first horizon event (N + 1 if none)."""
    horizon = result.tables["horizon"]
    return np.min(np.stack([v for k, v in horizon.items() if k != "run"]), axis=0)
