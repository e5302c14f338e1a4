"""The defence on a given date: a scenario's dated ``timeline`` applied up to that date.

A timeline entry changes named fire-unit placements (``count``, ``magazine``, ``reserve_rounds``;
``count: 0`` withdraws them) or adds placements, from its ``date`` on. Entries apply in date
order (in file order on the same date); a change names every placement of that name present at
that point, including those an earlier entry added. Timeline values are inputs with a source,
never fitted (``docs/validation.md``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING

from leapsim.errors import Problem
from leapsim.scenario.models import FireUnitPlacement, Scenario

if TYPE_CHECKING:
    import numpy as np

    from leapsim.scenario.resolve import ResolvedScenario


def fire_units_on(scenario: Scenario, date: dt.date) -> list[FireUnitPlacement]:
    """The fire-unit placements in service on ``date`` (the evening of a night)."""
    units = list(scenario.fire_units)
    for entry in sorted(scenario.timeline, key=lambda e: e.date):
        if entry.date > date:
            break
        changed: list[FireUnitPlacement] = []
        for unit in units:
            change = entry.fire_units.get(unit.name or "")
            if change is not None:
                update = change.model_dump(exclude_none=True)
                if update.get("count", 1) == 0:
                    continue
                unit = unit.model_copy(update=update)
            changed.append(unit)
        units = changed + list(entry.add_fire_units)
    return units


def scenario_on(resolved: ResolvedScenario, date: dt.date) -> ResolvedScenario:
    """The scenario with its timeline applied up to ``date`` (a scenario without a timeline is
    returned as it is)."""
    if not resolved.scenario.timeline:
        return resolved
    units = fire_units_on(resolved.scenario, date)
    return replace(resolved, scenario=resolved.scenario.model_copy(update={"fire_units": units}))


def timeline_state(scenario: Scenario, nights: np.ndarray) -> np.ndarray:
    """Per night (``datetime64[D]``), how many timeline dates have passed: nights with the same
    number share one defence."""
    import numpy as np  # here, not at the top: validating a scenario needs no numpy

    dates = np.array(sorted({e.date for e in scenario.timeline}), dtype="datetime64[D]")
    return np.searchsorted(dates, np.asarray(nights, "datetime64[D]"), side="right")


def timeline_problems(scenario: Scenario, locate) -> list[Problem]:
    """Timeline changes that name no placement (``locate(loc)`` gives ``(file, line)``)."""
    known = {u.name for u in scenario.fire_units if u.name}
    problems = []
    for index, entry in sorted(enumerate(scenario.timeline), key=lambda e: e[1].date):
        for name in entry.fire_units:
            if name not in known:
                file, line = locate(("timeline", index, "fire_units", name))
                problems.append(
                    Problem(
                        f"no fire-unit placement named {name!r} (at {entry.date})",
                        file=file,
                        line=line,
                        field=f"timeline[{index}].fire_units.{name}",
                        hint="give the placement a `name:` or add it with add_fire_units first",
                    )
                )
        known |= {u.name for u in entry.add_fire_units if u.name}
    return problems
