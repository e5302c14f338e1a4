"""Load a scenario file (a path or ``builtin:NAME``), merge its catalogue with the built-in one
and resolve every name it uses: :class:`ResolvedScenario` holds only checked references."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from leapsim.errors import InputError, Problem
from leapsim.scenario.catalogue import builtin_catalogue, merge_catalogues
from leapsim.scenario.extends import BUILTIN_PREFIX, load_yaml_with_extends, scenario_path
from leapsim.scenario.models import Catalogue, Scenario
from leapsim.scenario.parameters import parameter_problems
from leapsim.scenario.timeline import timeline_problems
from leapsim.yaml_files import SourceMap, did_you_mean, format_field, validate_model

BUILTIN_SCENARIOS = ("rzeszow_legacy", "rzeszow_leap", "ukraine_2025")


@dataclass(frozen=True)
class ResolvedScenario:
    """A validated scenario with the catalogue its names refer to."""

    scenario: Scenario
    catalogue: Catalogue
    file: str

    def counts(self) -> dict[str, int]:
        """What the scenario holds, placements expanded (``leapsim validate`` prints it)."""
        sc = self.scenario
        return {
            "threats": sum(r.count for r in sc.raids),
            "raids": len(sc.raids),
            "fire_units": sum(u.count for u in sc.fire_units),
            "effector_types": len({u.type for u in sc.fire_units}),
            "sensors": sum(s.count for s in sc.sensors),
            "sites": len(sc.sites),
        }


def load_scenario(spec: str | os.PathLike[str]) -> ResolvedScenario:
    """Load and validate a scenario file, or ``builtin:NAME``; raise :class:`InputError` listing
    every problem."""
    path = scenario_path(spec)
    data, smap = load_yaml_with_extends(path)
    return resolve_scenario_data(data, smap, str(path))


def resolve_scenario_data(data: dict, smap: SourceMap, file: str) -> ResolvedScenario:
    """Validate a scenario mapping already read (``extends`` followed) and check its references;
    errors name the lines ``smap`` holds (a scenario inline in another file keeps that file's).
    Every problem is reported at once: names that nothing defines are looked up even when other
    fields are invalid."""
    try:
        scenario = validate_model(Scenario, data, smap, file)
    except InputError as exc:
        seen = {(p.line, p.field) for p in exc.problems}
        names = [p for p in _reference_problems(data, smap, file) if (p.line, p.field) not in seen]
        raise InputError([*exc.problems, *names]) from None
    problems = _reference_problems(data, smap, file)
    catalogue = merge_catalogues(builtin_catalogue(), scenario.catalogue)
    resolved = ResolvedScenario(scenario, catalogue, file)
    problems += timeline_problems(scenario, lambda loc: smap.locate(loc, file))
    problems += parameter_problems(resolved, lambda loc: smap.locate(loc, file))
    if problems:
        raise InputError(problems)
    return resolved


def builtin_scenario(name: str) -> ResolvedScenario:
    """A scenario shipped with leapsim (the demo's two are :data:`BUILTIN_SCENARIOS`)."""
    return load_scenario(f"{BUILTIN_PREFIX}{name}")


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[dict]:
    return [_mapping(v) for v in value] if isinstance(value, list) else []


#: (list in the scenario, key of each item, catalogue section it names, what it is)
_TYPE_REFERENCES = (
    ("sensors", "type", "sensor_types", "sensor type"),
    ("fire_units", "type", "effector_types", "effector type"),
    ("raids", "threat", "threat_types", "threat type"),
)


def _reference_problems(data: Any, smap: SourceMap, file: str) -> list[Problem]:
    """Names a scenario uses that nothing defines: types (built-in, or in its own catalogue),
    sites in raid targets, ``appears_as``; and repeated site names. Reads the raw mapping and
    skips what is malformed (validation reports that), so that it runs on invalid files too."""
    doc = _mapping(data)
    extra = _mapping(doc.get("catalogue"))
    builtin = builtin_catalogue()
    known = {
        section: set(getattr(builtin, section)) | set(_mapping(extra.get(section)))
        for _, _, section, _ in _TYPE_REFERENCES
    }
    problems: list[Problem] = []

    def check(name: Any, names: set, what: str, loc: tuple) -> None:
        if not isinstance(name, str) or name in names:
            return
        where, line = smap.locate(loc, file)
        hint = did_you_mean(name, names) or f"known {what}s: {', '.join(sorted(names))}"
        problems.append(
            Problem(
                f"unknown {what} {name!r}",
                file=where,
                line=line,
                field=format_field(loc),
                hint=hint,
            )
        )

    for group, key, section, what in _TYPE_REFERENCES:
        for i, item in enumerate(_items(doc.get(group))):
            check(item.get(key), known[section], what, (group, i, key))
    site_names = [s.get("name") for s in _items(doc.get("sites"))]
    site_names = [n for n in site_names if isinstance(n, str)]
    sites = set(site_names)
    if len(sites) != len(site_names):
        where, line = smap.locate(("sites",), file)
        problems.append(Problem("site names must be unique", file=where, line=line, field="sites"))
    raid_names = [r.get("name") for r in _items(doc.get("raids"))]
    raid_names = [n for n in raid_names if isinstance(n, str) and n]
    if len(set(raid_names)) != len(raid_names):
        where, line = smap.locate(("raids",), file)
        problems.append(Problem("raid names must be unique", file=where, line=line, field="raids"))
    for i, stream in enumerate(_items(_mapping(doc.get("replay")).get("streams"))):
        for key in ("raids", "decoy_raids"):
            for name in _mapping(stream.get(key)):
                check(name, set(raid_names), "raid", ("replay", "streams", i, key, name))
    for i, raid in enumerate(_items(doc.get("raids"))):
        for target in _mapping(raid.get("targets")):
            check(target, sites, "site", ("raids", i, "targets", target))
    for name, threat in _mapping(extra.get("threat_types")).items():
        loc = ("catalogue", "threat_types", name, "appears_as")
        check(_mapping(threat).get("appears_as"), known["threat_types"], "threat type", loc)
    return problems
