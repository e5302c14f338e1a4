"""Hand-made defences measured beside the plans, on the same random numbers and cost rules.

A reference is a scenario file (or ``builtin:NAME``) over the same sites and raids as the study's
base. Its cost is what it has beyond the base: every fire unit not in the base (matched by type,
nation and position) costs its acquisition and its rounds (magazine + reserve), every extra
sensor its ``unit_cost_eur``; in a campaign study its extra units' default depot stock
(``depot_loads`` loads) is bought at the round cost too. A reference is never held to the budgets.
"""

from __future__ import annotations

import math
from collections import Counter

from leapsim.campaign import compile_plan
from leapsim.engine import compile_scenario
from leapsim.engine.params import expand_placement
from leapsim.errors import InputError
from leapsim.planning.build import is_renewable, unit_loads
from leapsim.planning.costs import CostItem, account, round_cost
from leapsim.planning.prepare import PreparedPlan
from leapsim.planning.study import PlanStudy
from leapsim.scenario import builtin_scenario, load_scenario
from leapsim.scenario.extends import BUILTIN_PREFIX
from leapsim.scenario.resolve import ResolvedScenario


def _units(resolved: ResolvedScenario) -> Counter:
    out: Counter = Counter()
    for p in resolved.scenario.fire_units:
        magazine = resolved.catalogue.effector_types[p.type].magazine
        magazine = magazine if p.magazine is None else p.magazine
        for _, lat, lon in expand_placement(p):
            out[(p.type, p.nation, round(lat, 7), round(lon, 7), magazine, p.reserve_rounds)] += 1
    return out


def _sensors(resolved: ResolvedScenario) -> Counter:
    out: Counter = Counter()
    for p in resolved.scenario.sensors:
        for _, lat, lon in expand_placement(p):
            out[(p.type, p.nation, round(lat, 7), round(lon, 7))] += 1
    return out


def load_reference(study: PlanStudy, spec: str) -> ResolvedScenario:
    if spec.startswith(BUILTIN_PREFIX):
        return builtin_scenario(spec[len(BUILTIN_PREFIX) :])
    path = study.folder / spec
    if not path.is_file():
        raise InputError.at(
            f"reference scenario {spec!r} not found",
            file=study.file,
            field="references",
            hint="give a path relative to the study file, or builtin:NAME",
        )
    return load_scenario(path)


def prepare_reference(study: PlanStudy, spec: str) -> PreparedPlan:
    """The reference defence ``spec`` compiled and costed like a plan (id ``ref:NAME``)."""
    resolved = load_reference(study, spec)
    base = study.base
    new_units = _units(resolved) - _units(base)
    items = []
    for (etype, nation, _, _, magazine, reserve), n in new_units.items():
        kind = resolved.catalogue.effector_types[etype]
        items.append(CostItem(nation, "acquisition", etype, n * kind.unit_cost_eur))
        if not is_renewable(study, etype):
            cost = n * (magazine + reserve) * round_cost(study, etype)
            items.append(CostItem(nation, "rounds", etype, cost))
    for (stype, nation, _, _), n in (_sensors(resolved) - _sensors(base)).items():
        cost = n * resolved.catalogue.sensor_types[stype].unit_cost_eur
        items.append(CostItem(nation, "sensors", stype, cost))
    params = compile_scenario(resolved)
    config = campaign_plan = None
    campaign = study.spec.threat.campaign
    if campaign is not None:
        config = campaign.config
        campaign_plan = compile_plan(params, config, campaign.nights)
        for etype in dict.fromkeys(u.type for u in resolved.scenario.fire_units):
            if is_renewable(study, etype) or etype in config.munitions:
                continue
            owned = unit_loads(base.scenario, base.catalogue, etype)
            for nation, rounds in unit_loads(resolved.scenario, resolved.catalogue, etype).items():
                extra = math.floor(config.depot_loads * rounds + 1e-9) - math.floor(
                    config.depot_loads * owned.get(nation, 0) + 1e-9
                )
                if extra > 0:
                    items.append(CostItem(nation, "depot", etype, extra * round_cost(study, etype)))
    name = f"ref:{resolved.scenario.name}"
    return PreparedPlan(
        (), name, None, resolved, params, config, campaign_plan, account(study, items), 0
    )


def doctrine_note(study: PlanStudy, reference: PreparedPlan) -> str | None:
    """A warning when the reference also changes the doctrine or the raids of the base."""
    base, ref = study.base.scenario, reference.scenario.scenario
    changed = [
        key for key in ("doctrine", "raids", "sites") if getattr(base, key) != getattr(ref, key)
    ]
    if not changed:
        return None
    return f"the reference also changes the base's {', '.join(changed)}"
