"""Monte Carlo replications, executors (local processes, Dask) and the results store, for nights
and for campaigns."""

from leapsim.experiments.campaign_montecarlo import CampaignResult, run_campaign
from leapsim.experiments.montecarlo import MonteCarloResult, run_monte_carlo

__all__ = ["CampaignResult", "MonteCarloResult", "run_campaign", "run_monte_carlo"]
