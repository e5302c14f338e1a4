"""The plan study file: what may be bought, against which threat, under which budgets.

A study names a base scenario (sites, sensors, the defence already owned, doctrine and one
night's raids), optionally a campaign (nights of raids from the threat model), the candidate
purchases (effector types × candidate positions, with unit limits and reserve-stock levels), the
munition stocks and production that may be contracted, the nations and their budgets, the
objectives and constraints, and the search settings. ``docs/plan.md`` documents every key.

Loading validates everything that can be checked without simulating: types and ranges (pydantic,
errors at ``file:line``), references (effector types, sites, nations, munitions), and that the
budget allows at least the cheapest plan.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from leapsim.campaign.config import CampaignConfig, Production
from leapsim.errors import InputError, Problem
from leapsim.scenario.catalogue import merge_catalogues
from leapsim.scenario.extends import BUILTIN_PREFIX, extend_mapping
from leapsim.scenario.models import (
    Catalogue,
    Euros,
    GeoPoint,
    Latitude,
    Longitude,
    Probability,
    StrictModel,
)
from leapsim.scenario.resolve import ResolvedScenario, builtin_scenario, resolve_scenario_data
from leapsim.yaml_files import SourceMap, did_you_mean, format_field, read_yaml, validate_model

DEFAULT_NATIONS = ("FR", "DE", "IT", "PL", "UK")
OBJECTIVES = ("value_lost", "cost", "leaked")
BASELINE_RULES = ("all_missiles", "equal_split")
Level = Annotated[float, Field(ge=0, le=1000)]
NationCode = Annotated[str, Field(min_length=1, max_length=8)]


class Position(StrictModel):
    """Where a purchase's units may stand: a point (``lat``, ``lon``); a line from there to
    ``line_to`` along which the units spread evenly; or a ring of ``radius_m`` around a site
    (``near_site``)."""

    name: str | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    line_to: GeoPoint | None = None
    near_site: str | None = None
    radius_m: float = Field(
        default=1000.0, ge=0, le=100_000, description="Ring radius around the site, m."
    )

    @model_validator(mode="after")
    def _one_form(self) -> Position:
        point = self.lat is not None and self.lon is not None
        if point == (self.near_site is not None):
            raise ValueError("give either lat and lon (and line_to for a line), or near_site")
        if self.line_to is not None and not point:
            raise ValueError("line_to needs lat and lon for the line's start")
        return self


class Purchase(StrictModel):
    """Fire units of one effector type that the plan may buy, at any of ``positions``."""

    type: str = Field(description="Effector type (catalogue or the study's catalogue).")
    nation: NationCode | None = Field(
        default=None,
        description="Owner: pays (with budgets per nation) and pools; default: "
        "the nation of the scenario's first site.",
    )
    positions: list[Position] = Field(min_length=1, max_length=64)
    max_units: int = Field(default=4, ge=1, le=1000, description="Units per position, at most.")
    max_total_units: int | None = Field(
        default=None, ge=1, le=100_000, description="Units over all positions, at most."
    )
    unit_cost_eur: Euros | None = Field(
        default=None, description="Acquisition cost per fire unit; default: the type's."
    )
    cost_per_round_eur: Euros | None = Field(
        default=None, description="Round cost; default: the type's (changes the type itself)."
    )
    reserve_loads: list[Level] = Field(
        default_factory=lambda: [0.0],
        min_length=1,
        max_length=32,
        description="Choices of rounds on site beyond the magazine, in magazines per unit.",
    )


class ProductionChoice(Production):
    """A production contract for one munition: the campaign's :class:`Production` with the rate
    chosen by the plan among ``rate_per_month`` levels, each within the industrial ceiling."""

    rate_per_month: list[Annotated[float, Field(ge=0, le=1e9)]] = Field(  # type: ignore[assignment]
        min_length=1, max_length=64, description="Rate levels to choose from, rounds/month."
    )
    ceiling_per_month: float | None = Field(
        default=None, gt=0, le=1e9, description="Industrial ceiling: no level may exceed it."
    )
    shares: None = None  # deliveries go to the nations by their loads

    @model_validator(mode="after")
    def _within_ceiling(self) -> ProductionChoice:
        if self.ceiling_per_month is not None and max(self.rate_per_month) > self.ceiling_per_month:
            raise ValueError(
                f"rate level {max(self.rate_per_month):g} exceeds the ceiling "
                f"{self.ceiling_per_month:g} rounds/month"
            )
        return self


class MunitionChoice(StrictModel):
    """Stock and production of one munition that the plan may contract (campaign studies)."""

    depot_loads: list[Level] = Field(
        default_factory=lambda: [0.0],
        min_length=1,
        max_length=32,
        description="Depot stock levels to choose from, in loads of all units of the type.",
    )
    production: ProductionChoice | None = None


class CampaignThreat(StrictModel):
    """Nights of raids from the threat model (``docs/campaign.md``)."""

    nights: int = Field(ge=1, le=3650)
    threat_model: str = "default"
    threat_scale: float = Field(default=1.0, ge=0, le=1000)
    config: CampaignConfig = Field(default_factory=CampaignConfig)
    screen_nights: int | None = Field(
        default=None, ge=1, le=3650, description="Shorter horizon for screening; default: all."
    )


class Threat(StrictModel):
    night: bool = Field(default=True, description="Evaluate plans on the scenario's night.")
    campaign: CampaignThreat | None = None


class Nations(StrictModel):
    """The nations and their money: a budget each, or a total with contribution keys."""

    names: list[NationCode] = Field(default_factory=lambda: list(DEFAULT_NATIONS), min_length=1)
    budget_eur: dict[str, Euros] | None = Field(
        default=None, description="Each nation's budget; a purchase is paid by its owner."
    )
    total_budget_eur: Euros | None = Field(
        default=None, description="One budget for all; each nation pays its key's share."
    )
    keys: dict[str, Annotated[float, Field(ge=0, le=1e6)]] | None = Field(
        default=None, description="Contribution keys (relative); default: equal."
    )

    @model_validator(mode="after")
    def _one_budget(self) -> Nations:
        if (self.budget_eur is None) == (self.total_budget_eur is None):
            raise ValueError("give either budget_eur (per nation) or total_budget_eur")
        if self.keys is not None and self.total_budget_eur is None:
            raise ValueError("keys go with total_budget_eur")
        if len(set(self.names)) != len(self.names):
            raise ValueError("nation names must be unique")
        return self


class Sustainability(StrictModel):
    """The defence lasts ``nights`` nights (no layer exhausted, leakage under the campaign's
    threshold) with probability at least ``probability``."""

    nights: int = Field(ge=1, le=3650)
    probability: Probability


class Constraints(StrictModel):
    sustainability: Sustainability | None = None


class Search(StrictModel):
    """How the plan space is searched and how precisely the front is measured."""

    evaluations: int = Field(default=200, ge=1, le=100_000, description="Plans to simulate.")
    sampler: Literal["tpe", "nsga2", "random"] = "tpe"
    batch: int = Field(default=8, ge=1, le=1024, description="Plans asked for at a time.")
    screen_runs: int = Field(default=8, ge=2, le=100_000)
    final_runs: int = Field(default=64, ge=2, le=100_000)
    max_final_runs: int = Field(default=256, ge=2, le=1_000_000)
    finalists: int = Field(default=12, ge=1, le=1000)
    campaign_screen_runs: int | None = Field(
        default=None,
        ge=2,
        le=100_000,
        description="Campaign runs when screening; default: screen_runs.",
    )
    campaign_final_runs: int | None = Field(
        default=None,
        ge=2,
        le=100_000,
        description="Campaign runs of the finalists; default: final_runs.",
    )

    @model_validator(mode="after")
    def _ladder(self) -> Search:
        if not self.screen_runs <= self.final_runs <= self.max_final_runs:
            raise ValueError("need screen_runs <= final_runs <= max_final_runs")
        return self


class Coalition(StrictModel):
    """Joint procurement settings (``leapsim coalition``, ``docs/procurement.md``)."""

    defence: str | None = Field(
        default=None,
        description="Defence whose munitions are bought: a scenario path or builtin:NAME; "
        "default: the first reference, else the base scenario.",
    )
    munitions: list[str] | None = Field(
        default=None,
        description="Munitions bought; default: the study's munitions, else every consumable one "
        "the defence fields.",
    )
    nights: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="Target: last this many nights; default: the sustainability constraint's.",
    )
    probability: Probability | None = Field(
        default=None, description="Target: with this probability; default: the constraint's."
    )
    line_cost_eur: dict[str, Euros] = Field(
        default_factory=dict, description="Fixed cost of one production line, per munition."
    )
    runs: int = Field(default=32, ge=4, le=100_000, description="Campaign runs for the demand.")


class PlanStudyFile(StrictModel):
    """The top level of a plan study file."""

    name: str = Field(min_length=1)
    description: str = ""
    scenario: str | dict[str, Any] = Field(
        description="Base scenario: a path, builtin:NAME, or a scenario mapping (may extend one)."
    )
    catalogue: Catalogue = Field(default_factory=Catalogue)
    threat: Threat = Field(default_factory=Threat)
    purchases: list[Purchase] = Field(min_length=1, max_length=256)
    munitions: dict[str, MunitionChoice] = Field(default_factory=dict)
    nations: Nations
    objectives: list[Literal["value_lost", "cost", "leaked"]] = Field(
        default_factory=lambda: ["value_lost", "cost"], min_length=1, max_length=3
    )
    constraints: Constraints = Field(default_factory=Constraints)
    search: Search = Field(default_factory=Search)
    references: list[str] = Field(
        default_factory=list,
        max_length=16,
        description="Hand-made defences (scenario paths or builtin:NAME) to compare, same seeds.",
    )
    baselines: list[Literal["all_missiles", "equal_split"]] = Field(
        default_factory=lambda: list(BASELINE_RULES)
    )
    coalition: Coalition | None = None

    @model_validator(mode="after")
    def _consistent(self) -> PlanStudyFile:
        if len(set(self.objectives)) != len(self.objectives):
            raise ValueError("objectives must not repeat")
        if not self.threat.night and self.threat.campaign is None:
            raise ValueError("threat needs night: true or a campaign")
        return self


@dataclass(frozen=True)
class PlanStudy:
    """A validated study: the file's model, its base scenario with the merged catalogue, and
    where it came from (``file``; ``folder`` resolves relative paths)."""

    spec: PlanStudyFile
    base: ResolvedScenario
    file: str

    @property
    def folder(self) -> Path:
        return Path(self.file).parent

    @property
    def nations(self) -> tuple[str, ...]:
        return tuple(self.spec.nations.names)

    def owner(self, purchase: Purchase) -> str:
        return purchase.nation or self.base.scenario.sites[0].nation


BUILTIN_STUDIES = ("rzeszow_plan", "small_plan")


def builtin_study_path(name: str) -> Path:
    if name not in BUILTIN_STUDIES:
        hint = did_you_mean(name, BUILTIN_STUDIES) or f"choose from {', '.join(BUILTIN_STUDIES)}"
        raise InputError.at(f"no built-in plan study {name!r}", hint=hint)
    return Path(str(resources.files("leapsim.planning") / "data" / f"{name}.yaml"))


def load_plan_study(spec: str | os.PathLike[str]) -> PlanStudy:
    """Load and validate a plan study file (or ``builtin:NAME``); raise :class:`InputError`
    listing every problem as ``file:line: field: message (fix)``."""
    text = str(spec)
    path = (
        builtin_study_path(text[len(BUILTIN_PREFIX) :])
        if text.startswith(BUILTIN_PREFIX)
        else Path(text)
    )
    file = str(spec) if not text.startswith(BUILTIN_PREFIX) else str(path)
    data, smap = read_yaml(path)
    study = validate_model(PlanStudyFile, data, smap, file)
    base = _base_scenario(study, smap, path, file)
    catalogue = merge_catalogues(base.catalogue, study.catalogue)
    base = ResolvedScenario(base.scenario, catalogue, base.file)
    resolved = PlanStudy(study, base, file)
    problems = reference_problems(resolved, smap)
    campaign = study.threat.campaign
    if campaign is not None and not problems:
        problems += campaign_problems(resolved, smap)
    if problems:
        raise InputError(problems)
    threat_model_of(resolved)
    from leapsim.planning.prepare import unaffordable  # these modules build on this one
    from leapsim.planning.space import decision_space

    why = unaffordable(resolved, decision_space(resolved))
    if why is not None:
        where, line = smap.locate(("nations",), file)
        hint = "raise the budgets, or offer cheaper purchases"
        raise InputError.at(why, file=where, line=line, field="nations", hint=hint)
    return resolved


def _base_scenario(
    study: PlanStudyFile, smap: SourceMap, path: Path, file: str
) -> ResolvedScenario:
    """The base scenario: ``builtin:NAME``, a path relative to the study file, or a mapping."""
    given = study.scenario
    if isinstance(given, str):
        if given.startswith(BUILTIN_PREFIX):
            return builtin_scenario(given[len(BUILTIN_PREFIX) :])
        target = path.parent / given
        if not target.is_file():
            where, line = smap.locate(("scenario",), file)
            raise InputError.at(
                f"scenario file {given!r} not found",
                file=where,
                line=line,
                field="scenario",
                hint="give a path relative to the study file, or builtin:NAME",
            )
        from leapsim.scenario import load_scenario

        return load_scenario(target)
    data, inner = extend_mapping(given, smap.subtree(("scenario",)), path)
    extra = study.catalogue.model_dump(exclude_defaults=True)  # the study's types, usable here
    if extra:
        own = dict(data.get("catalogue") or {})
        for kind, types in extra.items():
            own[kind] = {**(own.get(kind) or {}), **types}
        data = {**data, "catalogue": own}
    with nested_fields("scenario", file):
        return resolve_scenario_data(data, inner, file)


@contextmanager
def nested_fields(prefix: str, file: str) -> Iterator[None]:
    """Re-raise an :class:`InputError` about a mapping nested at ``prefix`` of ``file`` with
    field paths from the top of the file (problems in other files keep theirs)."""
    try:
        yield
    except InputError as exc:
        raise InputError(
            Problem(
                p.message,
                file=p.file,
                line=p.line,
                field=f"{prefix}.{p.field}" if p.field and p.file == file else p.field,
                hint=p.hint,
            )
            for p in exc.problems
        ) from None


def campaign_problems(study: PlanStudy, smap: SourceMap) -> list[Problem]:
    """The campaign configuration's own checks (munitions of the owned defence) against the
    base scenario, with fields named from the top of the study file."""
    from leapsim.campaign.config import reference_problems as config_problems
    from leapsim.engine import compile_scenario

    campaign = study.spec.threat.campaign
    assert campaign is not None
    prefix = ("threat", "campaign", "config")
    found = config_problems(
        campaign.config, compile_scenario(study.base), smap.subtree(prefix), study.file
    )
    return [
        Problem(p.message, p.file, p.line, f"{'.'.join(prefix)}.{p.field}", p.hint) for p in found
    ]


def coalition_problems(study: PlanStudy) -> list[Problem]:
    """What a coalition study needs beyond a plan study: a campaign, the sustainability target,
    and at least two nations."""
    spec, file = study.spec, study.file
    missing = []
    if spec.threat.campaign is None:
        missing.append(("threat.campaign", "the demand is simulated over a campaign"))
    settings = spec.coalition
    target = settings is not None and None not in (settings.nights, settings.probability)
    if spec.constraints.sustainability is None and not target:
        missing.append(
            (
                "constraints.sustainability",
                "the protection target: H nights, q "
                "(or coalition.nights and coalition.probability)",
            )
        )
    if len(spec.nations.names) < 2:
        missing.append(("nations.names", "a coalition needs two nations or more"))
    return [Problem(f"a coalition study needs {field}", file=file, field=field, hint=why)
            for field, why in missing]  # fmt: skip


def coalition_target(study: PlanStudy) -> tuple[int, float]:
    """(nights, probability) the coalition's stocks must last."""
    settings, sustain = study.spec.coalition, study.spec.constraints.sustainability
    nights = settings.nights if settings is not None else None
    probability = settings.probability if settings is not None else None
    nights = nights if nights is not None else sustain.nights  # type: ignore[union-attr]
    probability = probability if probability is not None else sustain.probability  # type: ignore[union-attr]
    return nights, probability


def threat_model_of(study: PlanStudy):
    """The campaign's threat model (``default``, or a YAML path relative to the study file)."""
    campaign = study.spec.threat.campaign
    if campaign is None:
        return None
    from leapsim.threats import resolve_threat_model

    name = campaign.threat_model
    return resolve_threat_model(name if name == "default" else study.folder / name)


def reference_problems(study: PlanStudy, smap: SourceMap) -> list[Problem]:
    """Names that must exist: effector types, sites, nations, munitions; settings that need a
    campaign; per-type settings that would change owned units."""
    spec, file = study.spec, study.file
    problems: list[Problem] = []
    catalogue = study.base.catalogue
    effectors = catalogue.effector_types
    sites = [s.name for s in study.base.scenario.sites]
    nations = list(spec.nations.names)
    owned_types = {u.type for u in study.base.scenario.fire_units}

    def problem(message: str, loc: tuple, hint: str | None = None) -> None:
        where, line = smap.locate(loc, file)
        problems.append(Problem(message, file=where, line=line, field=format_field(loc), hint=hint))

    def known(name: str, choices: list[str], what: str, loc: tuple) -> bool:
        if name in choices:
            return True
        hint = did_you_mean(name, choices) or f"known {what}s: {', '.join(sorted(choices))}"
        problem(f"unknown {what} {name!r}", loc, hint)
        return False

    for key in ("budget_eur", "keys"):
        for nation in getattr(spec.nations, key) or {}:
            known(nation, nations, "nation", ("nations", key, nation))
    if spec.nations.budget_eur is not None:
        for nation in nations:
            if nation not in spec.nations.budget_eur:
                problem(
                    f"no budget for nation {nation!r}",
                    ("nations", "budget_eur"),
                    f"add {nation}: 0 to budget_eur, or remove it from names",
                )
    if spec.nations.keys is not None and sum(spec.nations.keys.values()) <= 0:
        problem("contribution keys sum to 0", ("nations", "keys"), "give positive keys")
    purchased_types: set[str] = set()
    for i, purchase in enumerate(spec.purchases):
        loc = ("purchases", i)
        if not known(purchase.type, list(effectors), "effector type", (*loc, "type")):
            continue
        purchased_types.add(purchase.type)
        known(study.owner(purchase), nations, "nation", (*loc, "nation"))
        for j, position in enumerate(purchase.positions):
            if position.near_site is not None:
                known(position.near_site, sites, "site", (*loc, "positions", j, "near_site"))
        if purchase.cost_per_round_eur is not None and purchase.type in owned_types:
            problem(
                f"cost_per_round_eur would also change the owned {purchase.type} units",
                (*loc, "cost_per_round_eur"),
                "define a new effector type in the study's catalogue instead",
            )
        etype = effectors[purchase.type]
        if len(purchase.reserve_loads) > 1 and etype.kind in ("laser", "ew"):
            problem(
                f"{purchase.type} is renewable (no rounds), so reserve_loads has no effect",
                (*loc, "reserve_loads"),
                "give one level, [0]",
            )
    campaign = spec.threat.campaign
    if spec.munitions and campaign is None:
        problem(
            "munitions (stocks, production) need a campaign",
            ("munitions",),
            "add threat.campaign, or remove munitions",
        )
    for name in spec.munitions:
        loc = ("munitions", name)
        fielded = purchased_types | owned_types
        if not known(name, sorted(fielded), "munition (effector type of the plan)", loc):
            continue
        if effectors[name].kind in ("laser", "ew"):
            problem(f"{name} is renewable (no stock)", loc, "remove it from munitions")
        if campaign is not None and name in campaign.config.munitions:
            problem(
                f"{name} is set both in munitions and in threat.campaign.config.munitions",
                loc,
                "keep one: the plan's choices here, the owned stock there",
            )
    if spec.constraints.sustainability is not None and campaign is None:
        problem(
            "the sustainability constraint needs a campaign",
            ("constraints", "sustainability"),
            "add threat.campaign",
        )
    if campaign is not None:
        sustain = spec.constraints.sustainability
        if sustain is not None and sustain.nights > campaign.nights:
            problem(
                f"sustainability over {sustain.nights} nights needs a campaign that long",
                ("constraints", "sustainability", "nights"),
                f"raise threat.campaign.nights to {sustain.nights}",
            )
        if campaign.screen_nights is not None and campaign.screen_nights > campaign.nights:
            problem("screen_nights exceeds nights", ("threat", "campaign", "screen_nights"))
    if spec.coalition is not None:
        munitions = list(spec.coalition.munitions or [])
        for k, name in enumerate(munitions):
            known(name, sorted(effectors), "effector type", ("coalition", "munitions", k))
        for name in spec.coalition.line_cost_eur:
            if munitions and name not in munitions:
                problem(
                    f"{name} is not among coalition.munitions",
                    ("coalition", "line_cost_eur", name),
                    "add it there, or remove it here",
                )
    if "value_lost" not in spec.objectives and "leaked" not in spec.objectives:
        problem(
            "objectives need value_lost or leaked",
            ("objectives",),
            "a plan that only minimises cost buys nothing",
        )
    return problems
