"""What a plan costs, who pays, and whether the budgets allow it.

Cost items (EUR), each owned by one nation:

* **acquisition**: bought fire units × the purchase's acquisition cost per unit (default the
  type's ``unit_cost_eur``);
* **rounds**: the rounds bought units hold when delivered (magazine + reserve) × round cost;
* **depot**: rounds bought for the depots (campaign studies) × round cost;
* **sensors** (reference defences only): sensors beyond the base scenario's;
* **production**: rounds delivered by the production contracts within the campaign's nights, at
  the learning-curve cost of the campaign model (Wright's law, ``leapsim.campaign.production``),
  split over the receiving nations in proportion to their deliveries.

Renewable effectors (lasers, EW) hold no rounds: their round items are 0. What the base scenario
already owns (units, their rounds, the campaign's owned depots) is sunk and costs nothing.

Who pays: with ``budget_eur`` per nation, every item is paid by its owner and each nation's
total must stay within its budget; with ``total_budget_eur`` and ``keys``, the plan's total is
paid by the nations in proportion to their keys and must stay within the total.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leapsim.campaign.plan import CampaignPlan
from leapsim.campaign.production import DAYS_PER_MONTH
from leapsim.planning.build import MunitionStock, is_renewable
from leapsim.planning.space import Decisions
from leapsim.planning.study import PlanStudy

CATEGORIES = ("acquisition", "rounds", "depot", "production", "sensors")


@dataclass(frozen=True)
class CostItem:
    nation: str
    category: str  # one of CATEGORIES
    effector: str
    eur: float


@dataclass(frozen=True)
class PlanCost:
    items: tuple[CostItem, ...]
    pays: dict[str, float]  # per nation, EUR
    budget: dict[str, float]  # per nation, EUR (keys mode: key share of the total budget)
    total_budget_eur: float

    @property
    def total_eur(self) -> float:
        return float(sum(item.eur for item in self.items))

    @property
    def over_budget_eur(self) -> float:
        """The largest excess of a nation's payment over its budget (0 or less: within)."""
        return float(max(self.pays[n] - self.budget[n] for n in self.pays))

    @property
    def within_budget(self) -> bool:
        return bool(self.over_budget_eur <= 1e-6 * max(1.0, self.total_budget_eur))

    def by(self, attribute: str) -> dict[str, float]:
        """Total per nation, category or effector type."""
        out: dict[str, float] = {}
        for item in self.items:
            key = getattr(item, attribute)
            out[key] = out.get(key, 0.0) + item.eur
        return out


def budgets(study: PlanStudy) -> tuple[dict[str, float], float, dict[str, float] | None]:
    """(budget per nation, total budget, contribution shares or None) of the study."""
    nations = study.spec.nations
    if nations.budget_eur is not None:
        per = {n: float(nations.budget_eur.get(n, 0.0)) for n in nations.names}
        return per, float(sum(per.values())), None
    keys = nations.keys or {n: 1.0 for n in nations.names}
    total_key = sum(keys.get(n, 0.0) for n in nations.names)
    shares = {n: keys.get(n, 0.0) / total_key for n in nations.names}
    total = float(nations.total_budget_eur or 0.0)
    return {n: shares[n] * total for n in nations.names}, total, shares


def unit_cost(study: PlanStudy, purchase: int) -> float:
    p = study.spec.purchases[purchase]
    if p.unit_cost_eur is not None:
        return float(p.unit_cost_eur)
    return float(study.base.catalogue.effector_types[p.type].unit_cost_eur)


def round_cost(study: PlanStudy, effector: str) -> float:
    for p in study.spec.purchases:
        if p.type == effector and p.cost_per_round_eur is not None:
            return float(p.cost_per_round_eur)
    return float(study.base.catalogue.effector_types[effector].cost_per_round_eur)


def plan_cost(
    study: PlanStudy,
    decisions: Decisions,
    stocks: dict[str, MunitionStock] | None = None,
    campaign_plan: CampaignPlan | None = None,
) -> PlanCost:
    """The cost items of a plan and who pays them (``stocks`` and ``campaign_plan``: campaign
    studies only, from :func:`leapsim.planning.build.munition_stocks` and ``compile_plan``)."""
    items: list[CostItem] = []
    catalogue = study.base.catalogue.effector_types
    for i, purchase in enumerate(study.spec.purchases):
        n = decisions.total_units(i)
        if n == 0:
            continue
        owner = study.owner(purchase)
        items.append(CostItem(owner, "acquisition", purchase.type, n * unit_cost(study, i)))
        if not is_renewable(study, purchase.type):
            magazine = catalogue[purchase.type].magazine
            rounds = n * (magazine + round(decisions.reserve_loads[i] * magazine))
            items.append(
                CostItem(owner, "rounds", purchase.type, rounds * round_cost(study, purchase.type))
            )
    for name, stock in (stocks or {}).items():
        for nation, rounds in stock.bought_depot.items():
            if rounds:
                items.append(CostItem(nation, "depot", name, rounds * round_cost(study, name)))
    if campaign_plan is not None:  # the plan's contracts; the campaign config's are sunk
        for m, name in enumerate(campaign_plan.munitions):
            if name not in study.spec.munitions:
                continue
            delivered = campaign_plan.deliveries[:, m, :]  # (N, J)
            for n_night in np.flatnonzero(delivered.sum(axis=1)):
                cost = float(campaign_plan.production_cost_eur[n_night, m])
                share = delivered[n_night] / delivered[n_night].sum()
                for j, nation in enumerate(campaign_plan.nations):
                    if share[j] > 0:
                        items.append(CostItem(nation, "production", name, cost * share[j]))
    return account(study, items)


def account(study: PlanStudy, items: list[CostItem]) -> PlanCost:
    """Who pays ``items`` under the study's budgets (module doc)."""
    items = _merged(items)
    budget, total_budget, shares = budgets(study)
    if shares is None:
        pays = {n: 0.0 for n in budget}
        for item in items:
            pays[item.nation] = pays.get(item.nation, 0.0) + item.eur
    else:
        total = sum(item.eur for item in items)
        pays = {n: shares[n] * total for n in budget}
    return PlanCost(tuple(items), pays, budget, total_budget)


def _merged(items: list[CostItem]) -> list[CostItem]:
    """One item per (nation, category, effector), in first-seen order."""
    total: dict[tuple[str, str, str], float] = {}
    for item in items:
        key = (item.nation, item.category, item.effector)
        total[key] = total.get(key, 0.0) + item.eur
    return [CostItem(*key, eur) for key, eur in total.items()]


def month_of_night(nights: int) -> np.ndarray:
    """Month index (0-based, months of 365.25/12 days) of each night 1..N (night n starts
    n − 1 days after the campaign starts, as in the production model)."""
    return np.floor(np.arange(nights) / DAYS_PER_MONTH).astype(np.int64)


def production_schedule(campaign_plan: CampaignPlan) -> list[dict]:
    """Per munition, nation and month: rounds delivered and their learning-curve cost."""
    rows = []
    month = month_of_night(campaign_plan.nights)
    for m, name in enumerate(campaign_plan.munitions):
        delivered = campaign_plan.deliveries[:, m, :]
        totals = delivered.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            unit = np.where(totals > 0, campaign_plan.production_cost_eur[:, m] / totals, 0.0)
        for j, nation in enumerate(campaign_plan.nations):
            for k in range(int(month.max()) + 1 if month.size else 0):
                nights = month == k
                rounds = int(delivered[nights, j].sum())
                if rounds:
                    rows.append(
                        {
                            "munition": name,
                            "nation": nation,
                            "month": k + 1,
                            "delivered_rounds": rounds,
                            "production_cost_eur": float(
                                (delivered[nights, j] * unit[nights]).sum()
                            ),
                        }
                    )
    return rows
