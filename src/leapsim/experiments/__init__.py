"""Monte Carlo replications, executors (local processes, Dask) and the results store."""

from leapsim.experiments.montecarlo import MonteCarloResult, run_monte_carlo
from leapsim.experiments.seeds import run_rng

__all__ = ["MonteCarloResult", "run_monte_carlo", "run_rng"]
