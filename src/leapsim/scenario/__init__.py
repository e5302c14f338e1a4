"""Scenario layer: pydantic models, YAML loading with file:line errors, the sourced catalogue,
and compilation of a scenario into the arrays the engine runs on."""

from leapsim.scenario.catalogue import builtin_catalogue, load_catalogue, merge_catalogues
from leapsim.scenario.models import Catalogue, Scenario
from leapsim.scenario.resolve import ResolvedScenario, builtin_scenario, load_scenario

__all__ = [
    "Catalogue",
    "ResolvedScenario",
    "Scenario",
    "builtin_catalogue",
    "builtin_scenario",
    "load_catalogue",
    "load_scenario",
    "merge_catalogues",
]
