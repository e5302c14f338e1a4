"""A plan as the files every other command reads: a scenario and a campaign configuration.

The plan's scenario is the base scenario with the bought fire units appended (the owned ones
first, in their order), so that ``leapsim run`` on the written file compiles exactly the
scenario the search evaluated. Units at a position are placed as follows:

* a point: all ``n`` units there;
* a line from A to B: unit ``k`` (0-based) at the fraction ``(k + ½)/n`` of the way (even spread,
  none on the ends);
* near a site: on a circle of ``radius_m`` around it, unit ``k`` at bearing ``360° k/n`` from
  north (the exact WGS84 topocentric frame of the site).

Each bought unit carries ``reserve_rounds = round(level × magazine)`` for its purchase's chosen
reserve level. The campaign configuration adds, per munition of the study, the depot stock
bought (``level ×`` the loads of every unit of that type, split over the nations by their
loads) to the owned stock, and the chosen production contract.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from leapsim.atomic import write_text_atomic
from leapsim.campaign.config import RENEWABLE_KINDS, CampaignConfig, Munition, Production
from leapsim.planning.space import Decisions, position_label
from leapsim.planning.study import PlanStudy
from leapsim.scenario.geo import LocalFrame
from leapsim.scenario.models import Catalogue, FireUnitPlacement, Scenario
from leapsim.scenario.resolve import ResolvedScenario


def unit_positions(
    study: PlanStudy, purchase: int, position: int, n: int
) -> list[tuple[float, float]]:
    """(lat, lon) of ``n`` units of ``purchase`` at its ``position`` (rule in the module doc)."""
    p = study.spec.purchases[purchase].positions[position]
    if n <= 0:
        return []
    if p.near_site is not None:
        site = next(s for s in study.base.scenario.sites if s.name == p.near_site)
        if p.radius_m == 0:
            return [(site.lat, site.lon)] * n
        frame = LocalFrame(site.lat, site.lon)
        enu = np.array([frame.point_at(360.0 * k / n, p.radius_m) for k in range(n)])
        geo = frame.to_geodetic(enu)
        return [(float(lat), float(lon)) for lat, lon in geo[:, :2]]
    assert p.lat is not None and p.lon is not None
    if p.line_to is None:
        return [(p.lat, p.lon)] * n
    fractions = (np.arange(n) + 0.5) / n
    lats = p.lat + fractions * (p.line_to.lat - p.lat)
    lons = p.lon + fractions * (p.line_to.lon - p.lon)
    return [(float(a), float(b)) for a, b in zip(lats, lons, strict=True)]


def plan_catalogue(study: PlanStudy) -> Catalogue:
    """The catalogue a plan's scenario carries inline: the base scenario's own types, the
    study's, and the purchases' round-cost overrides (builtin types stay implicit)."""
    effectors = {**study.base.scenario.catalogue.effector_types}
    effectors.update(study.spec.catalogue.effector_types)
    for purchase in study.spec.purchases:
        if purchase.cost_per_round_eur is not None:
            base = study.base.catalogue.effector_types[purchase.type]
            effectors[purchase.type] = base.model_copy(
                update={"cost_per_round_eur": purchase.cost_per_round_eur}
            )
    base = study.base.scenario.catalogue
    return Catalogue(
        threat_types={**base.threat_types, **study.spec.catalogue.threat_types},
        effector_types=effectors,
        sensor_types={**base.sensor_types, **study.spec.catalogue.sensor_types},
    )


def bought_units(study: PlanStudy, decisions: Decisions) -> list[FireUnitPlacement]:
    """The placements of the units the plan buys, purchase by purchase, position by position."""
    placements = []
    catalogue = study.base.catalogue.effector_types
    for i, purchase in enumerate(study.spec.purchases):
        magazine = catalogue[purchase.type].magazine
        reserve = round(decisions.reserve_loads[i] * magazine)
        for j, n in enumerate(decisions.units[i]):
            label = f"plan {purchase.type} {position_label(study, i, j)}"
            points = unit_positions(study, i, j, n)
            if n > 1 and len(set(points)) == 1:  # all at one point: one placement
                lat, lon = points[0]
                points, names = [(lat, lon)], [label]
                counts = [n]
            else:
                names = [label] if n == 1 else [f"{label} #{k + 1}" for k in range(n)]
                counts = [1] * len(points)
            for (lat, lon), name, count in zip(points, names, counts, strict=True):
                placements.append(
                    FireUnitPlacement(
                        type=purchase.type,
                        lat=lat,
                        lon=lon,
                        nation=study.owner(purchase),
                        name=name,
                        count=count,
                        reserve_rounds=reserve,
                    )
                )
    return placements


def plan_scenario(study: PlanStudy, decisions: Decisions, name: str) -> ResolvedScenario:
    """The base scenario plus the bought units, as a validated scenario."""
    base = study.base.scenario
    scenario = base.model_copy(
        update={
            "name": name,
            "description": f"Plan {name} of the plan study {study.spec.name}.",
            "fire_units": [*base.fire_units, *bought_units(study, decisions)],
            "catalogue": plan_catalogue(study),
        }
    )
    from leapsim.scenario.catalogue import merge_catalogues

    catalogue = merge_catalogues(study.base.catalogue, scenario.catalogue)
    return ResolvedScenario(Scenario.model_validate(scenario.model_dump()), catalogue, study.file)


def unit_loads(scenario: Scenario, catalogue: Catalogue, effector: str) -> dict[str, int]:
    """Rounds (magazine + reserve) of ``effector`` fire units per nation."""
    loads: dict[str, int] = {}
    for placement in scenario.fire_units:
        if placement.type != effector:
            continue
        etype = catalogue.effector_types[placement.type]
        magazine = etype.magazine if placement.magazine is None else placement.magazine
        loads[placement.nation] = loads.get(placement.nation, 0) + placement.count * (
            magazine + placement.reserve_rounds
        )
    return loads


@dataclass(frozen=True)
class MunitionStock:
    """One munition of a plan's campaign: the owned depot (sunk), the depot bought and the
    production contracted (None: none)."""

    owned_depot: dict[str, int]
    bought_depot: dict[str, int]
    production: Production | None
    setting: Munition | None  # the study's campaign setting for the owned stock, if any


def is_renewable(study: PlanStudy, effector: str) -> bool:
    """Lasers and EW have no rounds to stock, unless the campaign config says otherwise."""
    campaign = study.spec.threat.campaign
    setting = campaign.config.munitions.get(effector) if campaign is not None else None
    if setting is not None and setting.consumable is not None:
        return not setting.consumable
    return study.base.catalogue.effector_types[effector].kind in RENEWABLE_KINDS


def munition_stocks(
    study: PlanStudy, decisions: Decisions, resolved: ResolvedScenario
) -> dict[str, MunitionStock]:
    """Per consumable munition that the plan buys units or stock of: owned and bought depots
    per nation, and the production contract (rule in the module doc)."""
    campaign = study.spec.threat.campaign
    assert campaign is not None
    config = campaign.config
    bought_types = {
        p.type for i, p in enumerate(study.spec.purchases) if decisions.total_units(i) > 0
    }
    out: dict[str, MunitionStock] = {}
    for name in sorted(bought_types | set(study.spec.munitions), key=_first_use(resolved)):
        loads = unit_loads(resolved.scenario, resolved.catalogue, name)
        if not loads or is_renewable(study, name):
            continue
        setting = config.munitions.get(name)
        owned = unit_loads(study.base.scenario, study.base.catalogue, name)
        if setting is not None and setting.depot is not None:
            owned_depot = {n: int(setting.depot.get(n, 0)) for n in loads}
        else:
            owned_depot = {
                n: math.floor(config.depot_loads * owned.get(n, 0) + 1e-9) for n in loads
            }
        level = decisions.depot_loads.get(name, 0.0)
        bought = {n: math.floor(level * rounds + 1e-9) for n, rounds in loads.items()}
        production = setting.production if setting is not None else None
        choice = study.spec.munitions.get(name)
        rate = decisions.rate_per_month.get(name, 0.0)
        if choice is not None and choice.production is not None:
            production = None
            if rate > 0:
                fields = choice.production.model_dump(
                    exclude={"rate_per_month", "ceiling_per_month", "shares"}
                )
                production = Production(rate_per_month=rate, **fields)
        out[name] = MunitionStock(owned_depot, bought, production, setting)
    return out


def _first_use(resolved: ResolvedScenario):
    order = list(dict.fromkeys(u.type for u in resolved.scenario.fire_units))
    return lambda name: order.index(name) if name in order else len(order)


def plan_campaign_config(study: PlanStudy, stocks: dict[str, MunitionStock]) -> CampaignConfig:
    """The study's campaign configuration with the plan's depots and production contracts."""
    campaign = study.spec.threat.campaign
    assert campaign is not None
    munitions = dict(campaign.config.munitions)
    for name, stock in stocks.items():
        depot = {n: stock.owned_depot[n] + stock.bought_depot[n] for n in stock.owned_depot}
        setting = stock.setting or Munition()
        munitions[name] = setting.model_copy(
            update={"depot": depot, "production": stock.production}
        )
    return campaign.config.model_copy(update={"munitions": munitions})


def scenario_yaml(resolved: ResolvedScenario) -> str:
    """The scenario as YAML that loads back to an equal model (floats written exactly)."""
    data = resolved.scenario.model_dump(mode="python", exclude_defaults=True, exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def campaign_yaml(config: CampaignConfig) -> str:
    data = config.model_dump(mode="python", exclude_defaults=True, exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def write_plan_files(
    folder: Path, resolved: ResolvedScenario, config: CampaignConfig | None
) -> None:
    """``scenario.yaml`` (and ``campaign.yaml``) of one plan, atomically."""
    write_text_atomic(folder / "scenario.yaml", scenario_yaml(resolved))
    if config is not None:
        write_text_atomic(folder / "campaign.yaml", campaign_yaml(config))
