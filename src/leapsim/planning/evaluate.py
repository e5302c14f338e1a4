"""Simulating plans: replications of the night and of the campaign, on common random numbers.

Replication ``r`` of every plan uses the same streams (``run_rng(seed, r)`` for a night; the
campaign's ``SeedSequence(seed, spawn_key=(r, n))`` per night): every plan meets the same raids
and the same draws before their defences first differ, so differences between plans are not
noise between raids. A plan's first ``k`` replications are the same whatever the number asked
for, so a re-evaluation with more runs extends the screening instead of repeating it.

Kinds of evaluation: ``night`` (the scenario's night), ``campaign`` (all nights) and
``campaign_screen`` (the campaign over the screening horizon).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leapsim.campaign import CampaignJob, compile_plan, simulate_campaign_run
from leapsim.engine import night_metrics, simulate_night
from leapsim.planning.prepare import PreparedPlan
from leapsim.planning.study import PlanStudy
from leapsim.seeds import run_rng
from leapsim.threats import ThreatModel

KINDS = ("night", "campaign_screen", "campaign")


@dataclass(frozen=True)
class Replicate:
    """What a worker needs to simulate replications of one plan: the night's arrays, or the
    campaign job."""

    kind: str
    seed: int
    params: object  # NightParams (night) or CampaignJob (campaign kinds)


def replicate(job: Replicate, run: int) -> dict:
    """One replication's row: the night's metrics, or the campaign's totals, the night of its
    first horizon event and its stocks after each night (arrays)."""
    if job.kind == "night":
        return night_metrics(simulate_night(job.params, run_rng(job.seed, run)))
    result = simulate_campaign_run(job.params, run)
    columns = result.columns
    row: dict[str, float] = {
        name: float(np.sum(columns[name]))
        for name in ("value_lost_eur", "leaked", "launched", "killed", "defender_spend_eur")
    }
    row["first_event_night"] = float(min(result.horizon.values()))
    for name, values in columns.items():  # per-night stock curves (arrays) for the schedules
        if name.startswith(("stock.", "stock_by_nation.")):
            row[name] = np.asarray(values)
    return row


def replicate_job(
    study: PlanStudy, plan: PreparedPlan, kind: str, seed: int, model: ThreatModel | None
) -> Replicate:
    """The :class:`Replicate` of ``plan`` for evaluation ``kind``."""
    if kind == "night":
        return Replicate(kind, seed, plan.params)
    campaign = study.spec.threat.campaign
    assert campaign is not None and plan.config is not None and model is not None
    nights = campaign.nights
    campaign_plan = plan.campaign_plan
    if kind == "campaign_screen":
        nights = screen_nights(study)
        if nights != campaign.nights:
            campaign_plan = compile_plan(plan.params, plan.config, nights)
    job = CampaignJob(plan.params, campaign_plan, plan.config, model, seed, campaign.threat_scale)
    return Replicate(kind, seed, job)


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
