"""A decision vector made ready to simulate: its scenario compiled, its campaign configured,
its cost counted and its feasibility (budgets, unit limits) decided before any simulation."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from leapsim.campaign import CampaignConfig, CampaignPlan, compile_plan
from leapsim.engine import NightParams, compile_scenario
from leapsim.planning.build import munition_stocks, plan_campaign_config, plan_scenario
from leapsim.planning.costs import PlanCost, plan_cost
from leapsim.planning.space import Decisions, DecisionSpace, canonical, decode, plan_id
from leapsim.planning.study import PlanStudy
from leapsim.scenario.resolve import ResolvedScenario


@dataclass(frozen=True)
class PreparedPlan:
    plan: tuple[int, ...]
    id: str
    decisions: Decisions | None  # None for a reference defence
    scenario: ResolvedScenario
    params: NightParams
    config: CampaignConfig | None
    campaign_plan: CampaignPlan | None  # full horizon
    cost: PlanCost
    unit_excess: int  # units over the purchases' max_total_units (0: within)

    @property
    def feasible(self) -> bool:
        return self.cost.within_budget and self.unit_excess <= 0

    @cached_property
    def violations(self) -> list[str]:
        out = []
        if not self.cost.within_budget:
            over = {n: p - self.cost.budget[n] for n, p in self.cost.pays.items()}
            worst = max(over, key=over.__getitem__)
            out.append(f"{worst} pays {over[worst]:,.0f} EUR over its budget")
        if self.unit_excess > 0:
            out.append(f"{self.unit_excess} units over a purchase's max_total_units")
        return out


def unit_excess(study: PlanStudy, decisions: Decisions) -> int:
    """Units bought beyond each purchase's ``max_total_units``, summed."""
    excess = 0
    for i, purchase in enumerate(study.spec.purchases):
        if purchase.max_total_units is not None:
            excess += max(0, decisions.total_units(i) - purchase.max_total_units)
    return excess


def prepare_plan(study: PlanStudy, space: DecisionSpace, plan: tuple[int, ...]) -> PreparedPlan:
    """Build, compile and cost ``plan`` (no simulation; its canonical form, see
    :func:`~leapsim.planning.space.canonical`)."""
    plan = canonical(study, space, plan)
    decisions = decode(study, space, plan)
    name = plan_id(plan)
    resolved = plan_scenario(study, decisions, f"{study.spec.name}-{name}")
    params = compile_scenario(resolved)
    config = campaign_plan = stocks = None
    campaign = study.spec.threat.campaign
    if campaign is not None:
        stocks = munition_stocks(study, decisions, resolved)
        config = plan_campaign_config(study, stocks)
        campaign_plan = compile_plan(params, config, campaign.nights)
    cost = plan_cost(study, decisions, stocks, campaign_plan)
    return PreparedPlan(
        plan, name, decisions, resolved, params, config, campaign_plan, cost,
        unit_excess(study, decisions),
    )  # fmt: skip


def unaffordable(study: PlanStudy, space: DecisionSpace) -> str | None:
    """Why the budgets allow no purchase at all (every single fire unit, with its lowest
    reserve level, costs more than its payer's budget), or None when some unit fits."""
    cheapest: tuple[float, str] | None = None
    for k, var in enumerate(space.variables):
        if var.kind != "units":
            continue
        plan = [0] * len(space.variables)
        plan[k] = 1
        for j, other in enumerate(space.variables):  # the lowest reserve level of the purchase
            if other.kind == "reserve" and other.purchase == var.purchase:
                levels = study.spec.purchases[var.purchase].reserve_loads
                plan[j] = levels.index(min(levels))
        prepared = prepare_plan(study, space, tuple(plan))
        if prepared.cost.within_budget:
            return None
        if cheapest is None or prepared.cost.total_eur < cheapest[0]:
            cheapest = (prepared.cost.total_eur, var.label)
    assert cheapest is not None
    return (
        f"the budgets allow no purchase: the cheapest, one {cheapest[1]}, costs "
        f"{cheapest[0]:,.0f} EUR with its rounds"
    )
