"""Campaigns: months of nightly raids from the threat model against one defence, with munition
stocks by type and nation, industrial resupply on a learning curve, national or shared pooling,
fire units lost to leakers, and the sustainability horizon. See ``docs/campaign.md``."""

from leapsim.campaign.config import CampaignConfig, load_campaign_config
from leapsim.campaign.montecarlo import CampaignResult, run_campaign
from leapsim.campaign.plan import CampaignPlan, compile_plan
from leapsim.campaign.production import wright_batch_cost, wright_unit_cost
from leapsim.campaign.simulate import CampaignJob, CampaignRun, simulate_campaign_run
from leapsim.campaign.store import campaign_summary, write_campaign_results

__all__ = [
    "CampaignConfig",
    "CampaignJob",
    "CampaignPlan",
    "CampaignResult",
    "CampaignRun",
    "campaign_summary",
    "compile_plan",
    "load_campaign_config",
    "run_campaign",
    "simulate_campaign_run",
    "wright_batch_cost",
    "wright_unit_cost",
    "write_campaign_results",
]
