"""The campaign configuration: stocks, production, pooling, losses and horizon.

A separate, optional YAML file (``leapsim campaign --config campaign.yaml``); every key has a
documented default (``docs/campaign.md``), so a campaign runs without one. Validation errors name
``file:line``, the field and the fix, like scenario files.
"""

from __future__ import annotations

import os
from typing import Annotated

import numpy as np
from pydantic import Field

from leapsim.choices import Pooling
from leapsim.engine.params import EFFECTOR_KINDS, NightParams
from leapsim.errors import InputError, Problem
from leapsim.scenario.models import Euros, Probability, StrictModel
from leapsim.yaml_files import SourceMap, did_you_mean, read_yaml, validate_model

RENEWABLE_KINDS = ("laser", "ew")  # no rounds to stock: energy or emissions
PositiveShare = Annotated[float, Field(gt=0, le=1e6)]
Rounds = Annotated[int, Field(ge=0, le=10**12)]


class Production(StrictModel):
    """Deliveries of one munition from industry, ordered when the campaign starts."""

    rate_per_month: float = Field(gt=0, le=1e9, description="Full-rate output, rounds/month.")
    initial_rate_per_month: float | None = Field(
        default=None, ge=0, le=1e9, description="Output when the order starts; default: full rate."
    )
    ramp_up_months: float = Field(
        default=0.0, ge=0, le=240, description="Months for output to rise linearly to full rate."
    )
    lead_time_days: float = Field(
        default=0.0, ge=0, le=3650, description="Order-to-delivery time of each round, days."
    )
    learning_rate: float = Field(
        default=0.9, gt=0.5, le=1.0, description="Cost factor per doubling of output (Wright)."
    )
    first_unit_cost_eur: Euros | None = Field(
        default=None,
        description="Cost of unit 1; default: the catalogue round cost for the next unit made.",
    )
    produced_before: int = Field(
        default=0, ge=0, le=10**12, description="Units made before the campaign (learning)."
    )
    shares: dict[str, PositiveShare] | None = Field(
        default=None,
        description="Relative share of deliveries per nation; default: by the nations' loads.",
    )


class Munition(StrictModel):
    """Stock settings of one munition (effector type of the scenario)."""

    consumable: bool | None = Field(
        default=None, description="Rounds run out; default false for lasers and EW, else true."
    )
    standardised: bool = Field(
        default=True, description="Interchangeable across nations: shared pooling lends it."
    )
    depot: dict[str, Rounds] | None = Field(
        default=None,
        description="Initial depot rounds per nation (nations left out: 0); default: depot_loads.",
    )
    production: Production | None = None


class Losses(StrictModel):
    """Fire units lost to leakers: each damaging leaker is aimed, with ``target_fraction``, at a
    living fire unit within ``radius_m`` of its target site (uniformly chosen), and destroys it
    with ``kill_probability``."""

    target_fraction: Probability = 0.02
    kill_probability: Probability = 0.5
    radius_m: float = Field(default=5000.0, ge=0, le=1_000_000)


class Horizon(StrictModel):
    leak_rate: float = Field(
        default=0.2, gt=0, le=1, description="Leakage threshold: leaked / launched in a night."
    )


class CampaignConfig(StrictModel):
    """Everything about a campaign that is not in the scenario."""

    pooling: Pooling = "national"
    start_month_offset: float = Field(
        default=0.0, ge=-600, le=600, description="Months after the threat model's fit window."
    )
    depot_loads: float = Field(
        default=1.0,
        ge=0,
        le=10_000,
        description="Default depot stock: this many full loads of the nation's units of a type.",
    )
    site_repair_per_night: Probability = Field(
        default=0.0, description="Fraction of the sites' lost value restored before each night."
    )
    losses: Losses = Field(default_factory=Losses)
    horizon: Horizon = Field(default_factory=Horizon)
    munitions: dict[str, Munition] = Field(default_factory=dict)


def load_campaign_config(path: str | os.PathLike[str], params: NightParams) -> CampaignConfig:
    """Read and validate a campaign YAML against the scenario it will run with."""
    file = str(path)
    data, smap = read_yaml(path)
    config = validate_model(CampaignConfig, {} if data is None else data, smap, file)
    problems = reference_problems(config, params, smap, file)
    if problems:
        raise InputError(problems)
    return config


def is_consumable(config: CampaignConfig, params: NightParams, effector: int) -> bool:
    """Whether effector type ``effector`` draws on a stock (lasers and EW do not by default)."""
    name = params.effector_types.names[effector]
    setting = config.munitions.get(name)
    if setting is not None and setting.consumable is not None:
        return setting.consumable
    return EFFECTOR_KINDS[params.effector_types.kind[effector]] not in RENEWABLE_KINDS


def reference_problems(
    config: CampaignConfig, params: NightParams, smap: SourceMap, file: str
) -> list[Problem]:
    """Munition names that the scenario does not use, nations without units of a munition, and
    production of a renewable effector."""
    problems: list[Problem] = []
    names = params.effector_types.names

    def problem(message: str, loc: tuple, hint: str) -> None:
        where, line = smap.locate(loc, file)
        field = ".".join(str(p) for p in loc)
        problems.append(Problem(message, file=where, line=line, field=field, hint=hint))

    for name, munition in config.munitions.items():
        if name not in names:
            hint = did_you_mean(name, names) or f"the scenario's fire units use: {', '.join(names)}"
            problem(f"no fire unit of the scenario uses {name!r}", ("munitions", name), hint)
            continue
        e = names.index(name)
        fielded = np.asarray(params.unit_nation)[params.unit_type == e]
        nations = sorted(set(fielded.tolist()))
        production = munition.production
        listed = {
            ("depot",): munition.depot or {},
            ("production", "shares"): (production.shares if production else None) or {},
        }
        for key, per_nation in listed.items():
            for nation in per_nation:
                if nation not in nations:
                    hint = did_you_mean(nation, nations) or (
                        f"{name} units belong to: {', '.join(nations)}"
                    )
                    loc = ("munitions", name, *key, nation)
                    problem(f"no {name} unit belongs to nation {nation!r}", loc, hint)
        if production is not None and not is_consumable(config, params, e):
            problem(
                f"{name} is renewable (no stock), so it cannot be produced",
                ("munitions", name, "production"),
                "remove production, or set consumable: true",
            )
    return problems
