"""Load a scenario file, merge its catalogue with the built-in one and check every reference."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from leapsim.errors import InputError, Problem
from leapsim.scenario.catalogue import builtin_catalogue, merge_catalogues
from leapsim.scenario.loader import (
    SourceMap,
    did_you_mean,
    format_field,
    load_yaml_with_extends,
    validate_model,
)
from leapsim.scenario.models import Catalogue, Scenario
from leapsim.scenario.parameters import parameter_problems
from leapsim.scenario.timeline import timeline_problems

BUILTIN_SCENARIOS = ("rzeszow_legacy", "rzeszow_leap", "ukraine_2025")


@dataclass(frozen=True)
class ResolvedScenario:
    """A validated scenario with the catalogue its names refer to."""

    scenario: Scenario
    catalogue: Catalogue
    file: str


def load_scenario(path: str | os.PathLike[str]) -> ResolvedScenario:
    """Load and validate a scenario YAML file; raise :class:`InputError` listing every problem."""
    data, smap = load_yaml_with_extends(path)
    return resolve_scenario_data(data, smap, str(path))


def resolve_scenario_data(data: dict, smap: SourceMap, file: str) -> ResolvedScenario:
    """Validate a scenario mapping already read (``extends`` followed) and check its references;
    errors name the lines ``smap`` holds (a scenario inline in another file keeps that file's)."""
    scenario = validate_model(Scenario, data, smap, file)
    catalogue = merge_catalogues(builtin_catalogue(), scenario.catalogue)
    problems = _reference_problems(scenario, catalogue, smap, file)
    resolved = ResolvedScenario(scenario, catalogue, file)
    problems += timeline_problems(scenario, lambda loc: smap.locate(loc, file))
    problems += parameter_problems(resolved, lambda loc: smap.locate(loc, file))
    if problems:
        raise InputError(problems)
    return resolved


def builtin_scenario(name: str) -> ResolvedScenario:
    """One of the scenarios shipped with leapsim (:data:`BUILTIN_SCENARIOS`)."""
    if name not in BUILTIN_SCENARIOS:
        hint = (
            did_you_mean(name, BUILTIN_SCENARIOS) or f"choose from {', '.join(BUILTIN_SCENARIOS)}"
        )
        raise InputError.at(f"no built-in scenario {name!r}", hint=hint)
    ref = resources.files("leapsim.scenario") / "data" / f"{name}.yaml"
    with resources.as_file(ref) as path:
        return load_scenario(Path(path))


def _reference_problems(
    scenario: Scenario, catalogue: Catalogue, smap: SourceMap, file: str
) -> list[Problem]:
    problems: list[Problem] = []

    def check(name: str, known: dict, what: str, loc: tuple) -> None:
        if name in known:
            return
        where, line = smap.locate(loc, file)
        hint = did_you_mean(name, known) or f"known {what}s: {', '.join(sorted(known))}"
        field = format_field(loc)
        problems.append(
            Problem(f"unknown {what} {name!r}", file=where, line=line, field=field, hint=hint)
        )

    for i, sensor in enumerate(scenario.sensors):
        check(sensor.type, catalogue.sensor_types, "sensor type", ("sensors", i, "type"))
    for i, unit in enumerate(scenario.fire_units):
        check(unit.type, catalogue.effector_types, "effector type", ("fire_units", i, "type"))
    site_names = {site.name: site for site in scenario.sites}
    if len(site_names) != len(scenario.sites):
        where, line = smap.locate(("sites",), file)
        problems.append(Problem("site names must be unique", file=where, line=line, field="sites"))
    raid_names = [raid.name for raid in scenario.raids if raid.name]
    if len(set(raid_names)) != len(raid_names):
        where, line = smap.locate(("raids",), file)
        problems.append(Problem("raid names must be unique", file=where, line=line, field="raids"))
    if scenario.replay is not None:
        for i, stream in enumerate(scenario.replay.streams):
            for key in ("raids", "decoy_raids"):
                for name in getattr(stream, key):
                    check(
                        name, dict.fromkeys(raid_names), "raid", ("replay", "streams", i, key, name)
                    )
    for i, raid in enumerate(scenario.raids):
        check(raid.threat, catalogue.threat_types, "threat type", ("raids", i, "threat"))
        for target in raid.targets or {}:
            check(target, site_names, "site", ("raids", i, "targets", target))
    for name, threat in catalogue.threat_types.items():
        if threat.appears_as is not None:
            loc = ("catalogue", "threat_types", name, "appears_as")
            check(threat.appears_as, catalogue.threat_types, "threat type", loc)
    return problems
