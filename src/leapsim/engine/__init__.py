"""One night of air defence: struct-of-arrays state, a decision-epoch loop, per-run metrics."""

from leapsim.engine.metrics import TOTAL_METRICS, night_metrics
from leapsim.engine.night import NightOutcome, simulate_night
from leapsim.engine.params import NightParams, compile_scenario

__all__ = [
    "TOTAL_METRICS",
    "NightOutcome",
    "NightParams",
    "compile_scenario",
    "night_metrics",
    "simulate_night",
]
