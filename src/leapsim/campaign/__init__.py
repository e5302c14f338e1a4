"""Campaigns: months of nightly raids from the threat model against one defence, with munition
stocks by type and nation, industrial resupply on a learning curve, national or shared pooling,
fire units lost to leakers, and the sustainability horizon. See ``docs/campaign.md``.

A campaign study runs through :mod:`leapsim.experiments` (:class:`CampaignTask` in
:mod:`leapsim.experiments.campaign_task`); its results folder is
:mod:`leapsim.experiments.campaign_store`."""

from leapsim.campaign.config import CampaignConfig, load_campaign_config
from leapsim.campaign.plan import CampaignPlan, compile_plan
from leapsim.campaign.production import wright_batch_cost, wright_unit_cost
from leapsim.campaign.simulate import CampaignJob, CampaignRun, simulate_campaign_run

__all__ = [
    "CampaignConfig",
    "CampaignJob",
    "CampaignPlan",
    "CampaignRun",
    "compile_plan",
    "load_campaign_config",
    "simulate_campaign_run",
    "wright_batch_cost",
    "wright_unit_cost",
]
