"""Compile a scenario and a campaign configuration into the arrays a campaign run needs.

Everything here is deterministic and the same for every run: which effector types are stocked
munitions, the depots per (munition, nation), the delivery schedule and its cost on the learning
curve, how the threat model's families map onto the scenario's raids, and which fire units lie
near which site.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from leapsim.campaign.config import CampaignConfig, is_consumable
from leapsim.campaign.production import deliveries_per_night, wright_batch_cost
from leapsim.engine.params import NightParams
from leapsim.scenario.models import THREAT_FAMILIES
from leapsim.threats import FAMILIES


@dataclass(frozen=True)
class CampaignPlan:
    """Per-campaign constants (M stocked munitions, J nations, U fire units, N nights)."""

    nights: int
    munitions: tuple[str, ...]  # stocked (consumable) effector types
    munition_effector: np.ndarray  # (M,) effector type index
    nations: tuple[str, ...]
    unit_munition: np.ndarray  # (U,) index into munitions, -1 for renewable effectors
    unit_nation: np.ndarray  # (U,) index into nations
    unit_load: np.ndarray  # (U,) magazine + reserve rounds of the scenario
    lend: np.ndarray  # (M,) shared pooling lends this munition across nations
    depot0: np.ndarray  # (M, J) initial depot rounds
    holds: np.ndarray  # (M, J) bool: the nation fields, stores or receives the munition
    deliveries: np.ndarray  # (N, M, J) rounds arriving before each night
    production_cost_eur: np.ndarray  # (N, M) cost of those rounds on the learning curve
    rounds_per_engagement: np.ndarray  # (M,)
    raid_family: tuple[str, ...]  # family of each scenario raid (threat-model names)
    modelled: tuple[str, ...]  # threat-model families with at least one scenario raid
    unmodelled: tuple[str, ...]  # families the scenario has no raid for
    damaging: np.ndarray  # (K,) bool: threat type does damage when it leaks
    near_site: np.ndarray  # (sites, U) bool: unit within the loss radius of the site


def compile_plan(params: NightParams, config: CampaignConfig, nights: int) -> CampaignPlan:
    """The :class:`CampaignPlan` of ``params`` under ``config`` for ``nights`` nights."""
    et = params.effector_types
    nations = tuple(sorted(set(params.unit_nation)))
    unit_nation = np.array([nations.index(n) for n in params.unit_nation], np.int64)
    unit_load = (params.unit_magazine + params.unit_reserve).astype(np.int64)
    stocked = [e for e in range(len(et.names)) if is_consumable(config, params, e)]
    munitions = tuple(et.names[e] for e in stocked)
    unit_munition = np.full(params.unit_type.size, -1, np.int64)
    for m, e in enumerate(stocked):
        unit_munition[params.unit_type == e] = m

    n_m, n_j = len(munitions), len(nations)
    depot0 = np.zeros((n_m, n_j), np.int64)
    deliveries = np.zeros((nights, n_m, n_j), np.int64)
    cost = np.zeros((nights, n_m))
    lend = np.zeros(n_m, bool)
    for m, name in enumerate(munitions):
        setting = config.munitions.get(name)
        units = np.flatnonzero(unit_munition == m)
        loads = np.bincount(unit_nation[units], weights=unit_load[units], minlength=n_j)
        lend[m] = config.pooling == "shared" and (setting is None or setting.standardised)
        if setting is not None and setting.depot is not None:
            for nation, rounds in setting.depot.items():
                depot0[m, nations.index(nation)] = rounds
        else:
            depot0[m] = np.floor(config.depot_loads * loads + 1e-9).astype(np.int64)
        production = setting.production if setting is not None else None
        if production is None:
            continue
        shares = np.zeros(n_j)
        if production.shares is not None:
            for nation, share in production.shares.items():
                shares[nations.index(nation)] = share
        else:
            shares = loads.astype(float)
        if shares.sum() == 0:  # units without a load: equal shares for the nations fielding it
            shares = np.bincount(unit_nation[units], minlength=n_j).clip(max=1).astype(float)
        shares = shares / shares.sum()
        initial = production.initial_rate_per_month
        deliveries[:, m] = deliveries_per_night(
            nights,
            production.rate_per_month,
            production.rate_per_month if initial is None else initial,
            production.ramp_up_months,
            production.lead_time_days,
            shares,
        )
        made = production.produced_before + np.concatenate(
            [[0], np.cumsum(deliveries[:, m].sum(axis=1))]
        )
        first = production.first_unit_cost_eur
        if first is None:  # the next unit made costs the catalogue price
            b = math.log2(production.learning_rate)
            first = (
                float(et.cost_per_round_eur[stocked[m]]) * (production.produced_before + 1) ** -b
            )
        cost[:, m] = wright_batch_cost(first, production.learning_rate, made[:-1], made[1:])

    tt, raids = params.threat_types, params.raids
    raid_family = tuple(THREAT_FAMILIES[tt.family[k]] for k in raids.threat_type)
    modelled = tuple(f for f in FAMILIES if f in raid_family)
    fields = np.zeros((n_m, n_j), bool)
    fields[unit_munition[unit_munition >= 0], unit_nation[unit_munition >= 0]] = True
    distance = np.linalg.norm(params.site_xy[:, None, :] - params.unit_xy[None, :, :], axis=2)
    return CampaignPlan(
        nights=nights,
        munitions=munitions,
        munition_effector=np.array(stocked, np.int64),
        nations=nations,
        unit_munition=unit_munition,
        unit_nation=unit_nation,
        unit_load=unit_load,
        lend=lend,
        depot0=depot0,
        holds=fields | (depot0 > 0) | (deliveries.sum(axis=0) > 0),
        deliveries=deliveries,
        production_cost_eur=cost,
        rounds_per_engagement=et.rounds_per_engagement[stocked].astype(np.int64),
        raid_family=raid_family,
        modelled=modelled,
        unmodelled=tuple(f for f in FAMILIES if f not in modelled),
        damaging=tt.damage_fraction > 0,
        near_site=distance <= config.losses.radius_m,
    )
