"""One night of air defence: struct-of-arrays state, a decision-epoch loop, per-run metrics.

The names below load on first use (PEP 562), so that importing a light submodule such as
:mod:`leapsim.engine.codes` does not load numba and the compiled loop.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leapsim.engine.metrics import TOTAL_METRICS, night_metrics
    from leapsim.engine.night import NightOutcome, NightRun, simulate_night
    from leapsim.engine.params import NightParams, compile_scenario

_HOME = {
    "TOTAL_METRICS": "leapsim.engine.metrics",
    "night_metrics": "leapsim.engine.metrics",
    "NightOutcome": "leapsim.engine.night",
    "NightRun": "leapsim.engine.night",
    "simulate_night": "leapsim.engine.night",
    "NightParams": "leapsim.engine.params",
    "compile_scenario": "leapsim.engine.params",
}

__all__ = [
    "TOTAL_METRICS",
    "NightOutcome",
    "NightParams",
    "NightRun",
    "compile_scenario",
    "night_metrics",
    "simulate_night",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOME[name]), name)
    globals()[name] = value
    return value
