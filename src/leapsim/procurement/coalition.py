"""Joint procurement: what every coalition of nations saves by buying munitions together.

The protection target is the study's sustainability constraint: the defence lasts H nights with
probability q. The model, per standardised munition m and nation j:

1. **Demand.** One campaign study of the defence over H nights with unlimited depots (every
   unit is refilled every night; the campaign's production is left out): in run r nation j
   consumes ``D[r, m, j]`` rounds (fired, or lost with destroyed units) — its holdings at the
   start minus at the end. All runs share the study seed, so the nations' demands are joint
   samples: a raid that drains one nation's guns drains its neighbours' the same night.
2. **Stock to buy.** A group G that pools m (a coalition under shared pooling, or one nation on
   its own) lasts H nights with probability q when its stock covers the q-quantile of its
   demand: ``Q_G = quantile_q(Σ_{j∈G} D[·, m, j])`` (empirical quantile, the smallest value
   covering a fraction q of the runs). Its units already hold ``L_G`` rounds, so it buys
   ``P_G = max(Q_G − L_G, 0)``. Pooling pays because the quantile of a sum is at most the sum of
   the quantiles when demands are not perfectly correlated (risk pooling).
3. **Cost.** Each group that buys opens one production line: a fixed cost
   (``coalition.line_cost_eur``: tooling, qualification, contract) plus the learning-curve cost
   of its ``P_G`` rounds (Wright's law, ``leapsim.campaign.production``, from the munition's
   ``produced_before`` with its first-unit cost and learning rate). A coalition buying together
   has one line, one learning curve and one larger order; alone, every nation has its own.
   Munitions that are not standardised are neither pooled nor shared: each nation buys its own.

The cost game is ``c(S) = Σ_m cost_m(S)``; the saving game ``v(S) = Σ_{j∈S} c({j}) − c(S)``
(the others buy alone either way, so their cost does not change v). Fair shares of the grand
coalition's saving are the Shapley value of v; :mod:`leapsim.procurement.game` also checks the
core. Uncertainty: a bootstrap over the campaign runs (resampling runs, the same resample for
every coalition) gives 95 % percentile intervals of savings and shares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from leapsim.campaign import CampaignJob, compile_plan, wright_batch_cost
from leapsim.campaign.config import CampaignConfig, Munition
from leapsim.engine import NightParams, compile_scenario
from leapsim.experiments import CampaignTask, Executor, Study, StudyResult, nightly, run_study
from leapsim.planning.build import is_renewable
from leapsim.planning.references import load_reference
from leapsim.planning.study import PlanStudy, coalition_target, threat_model_of
from leapsim.procurement.game import (
    coalitions,
    core_violation,
    least_core,
    members,
    players,
    shapley,
)
from leapsim.scenario.resolve import ResolvedScenario

UNLIMITED = 10**9  # depot rounds per nation that no campaign of the model can exhaust
BOOTSTRAP = 400


@dataclass(frozen=True)
class Demand:
    """Joint demand samples: ``rounds[r, m, j]`` consumed in run r; ``held[m, j]`` loaded on the
    units at the start."""

    munitions: tuple[str, ...]
    nations: tuple[str, ...]
    rounds: np.ndarray  # (R, M, J)
    held: np.ndarray  # (M, J)
    nights: int


@dataclass(frozen=True)
class LineCost:
    """What buying ``rounds`` of one munition on one production line costs."""

    line_eur: float
    first_unit_eur: float
    learning_rate: float
    produced_before: int
    standardised: bool

    def cost(self, rounds: np.ndarray | int) -> np.ndarray:
        rounds = np.asarray(rounds, np.int64)
        before = np.full(rounds.shape, self.produced_before, np.int64)
        made = wright_batch_cost(self.first_unit_eur, self.learning_rate, before, before + rounds)
        return np.where(rounds > 0, self.line_eur + made, 0.0)


def defence_of(study: PlanStudy) -> ResolvedScenario:
    """The defence the coalition equips: ``coalition.defence``, the first reference, or the
    study's base scenario."""
    settings = study.spec.coalition
    spec = settings.defence if settings is not None else None
    spec = spec or (study.spec.references[0] if study.spec.references else None)
    return study.base if spec is None else load_reference(study, spec)


def coalition_munitions(study: PlanStudy, params: NightParams) -> list[str]:
    """The consumable munitions of the defence the coalition buys (``coalition.munitions``, or
    every consumable one fielded)."""
    fielded = list(params.effector_types.names)
    chosen = study.spec.coalition.munitions if study.spec.coalition else None
    chosen = chosen or [m for m in study.spec.munitions if m in fielded] or fielded
    return [m for m in chosen if m in fielded and not is_renewable(study, m)]


def demand_study(study: PlanStudy, defence: ResolvedScenario, runs: int, seed: int) -> Study:
    """The campaign study over the horizon with unlimited depots (no production)."""
    campaign = study.spec.threat.campaign
    assert campaign is not None
    nights, _ = coalition_target(study)
    params = compile_scenario(defence)
    config = campaign.config
    fielding: dict[str, set[str]] = {}
    for e, nation in zip(params.unit_type, params.unit_nation, strict=True):
        fielding.setdefault(params.effector_types.names[e], set()).add(nation)
    munitions = {}
    for name, nations in fielding.items():
        setting = config.munitions.get(name) or Munition()
        munitions[name] = setting.model_copy(
            update={"depot": dict.fromkeys(sorted(nations), UNLIMITED), "production": None}
        )
    unlimited = CampaignConfig(**{**config.model_dump(), "munitions": {}}).model_copy(
        update={"munitions": munitions}
    )
    job = CampaignJob(
        params,
        compile_plan(params, unlimited, nights),
        unlimited,
        threat_model_of(study),
        campaign.threat_scale,
    )
    return Study(CampaignTask(job), runs, seed)


def demand_of(study: PlanStudy, result: StudyResult) -> Demand:
    """Per run, munition and nation: rounds consumed; per munition and nation: rounds loaded."""
    job: CampaignJob = result.study.task.job
    plan, params = job.plan, job.params
    names = coalition_munitions(study, params)
    nations = tuple(study.nations)
    rounds = np.zeros((result.runs, len(names), len(nations)), np.int64)
    held = np.zeros((len(names), len(nations)), np.int64)
    for k, name in enumerate(names):
        m = plan.munitions.index(name)
        for j, nation in enumerate(nations):
            if nation not in plan.nations:
                continue
            jj = plan.nations.index(nation)
            column = f"stock_by_nation.{name}.{nation}"
            if column not in result.tables["nights"]:
                continue
            units = (plan.unit_munition == m) & (plan.unit_nation == jj)
            loaded = int(plan.unit_load[units].sum())
            start = int(plan.depot0[m, jj]) + loaded
            rounds[:, k, j] = start - nightly(result, column)[:, -1]
            held[k, j] = loaded
    return Demand(tuple(names), nations, rounds, held, plan.nights)


def line_costs(study: PlanStudy, demand: Demand) -> list[LineCost]:
    """Per munition: line cost, learning curve and whether it is standardised."""
    settings = study.spec.coalition
    campaign = study.spec.threat.campaign
    out = []
    for name in demand.munitions:
        choice = study.spec.munitions.get(name)
        production = choice.production if choice is not None else None
        rate = production.learning_rate if production else 0.9
        before = production.produced_before if production else 0
        first = production.first_unit_cost_eur if production else None
        if first is None:  # the next unit made costs the catalogue price
            price = study.base.catalogue.effector_types[name].cost_per_round_eur
            first = price * (before + 1) ** -math.log2(rate)
        setting = campaign.config.munitions.get(name) if campaign else None
        out.append(
            LineCost(
                line_eur=float((settings.line_cost_eur if settings else {}).get(name, 0.0)),
                first_unit_eur=float(first),
                learning_rate=float(rate),
                produced_before=int(before),
                standardised=setting.standardised if setting is not None else True,
            )
        )
    return out


def purchases(demand: Demand, probability: float, runs: np.ndarray | None = None) -> np.ndarray:
    """(2^J, M) rounds each coalition buys per munition when it pools (module doc, step 2);
    ``runs`` selects (resampled) runs."""
    rounds = demand.rounds if runs is None else demand.rounds[runs]
    n_j = len(demand.nations)
    out = np.zeros((2**n_j, len(demand.munitions)), np.int64)
    for mask in range(1, 2**n_j):
        group = members(mask, n_j)
        total = rounds[:, :, group].sum(axis=2)  # (R, M)
        need = np.quantile(total, probability, axis=0, method="inverted_cdf")
        out[mask] = np.maximum(
            np.ceil(need).astype(np.int64) - demand.held[:, group].sum(axis=1), 0
        )
    return out


def cost_game(demand: Demand, lines: list[LineCost], bought: np.ndarray) -> np.ndarray:
    """(2^J,) cost of each coalition buying together (the empty coalition: 0)."""
    n_j = len(demand.nations)
    singles = [1 << j for j in range(n_j)]
    cost = np.zeros(2**n_j)
    for m, line in enumerate(lines):
        each = line.cost(bought[:, m])
        for mask in range(1, 2**n_j):
            if line.standardised:
                cost[mask] += each[mask]
            else:
                cost[mask] += sum(each[singles[j]] for j in members(mask, n_j))
    return cost


def saving_game(cost: np.ndarray) -> np.ndarray:
    """v(S) = Σ_{j∈S} c({j}) − c(S)."""
    n_j = players(cost)
    alone = np.array([cost[1 << j] for j in range(n_j)])
    return np.array([alone[members(s, n_j)].sum() - cost[s] for s in range(cost.size)])


@dataclass
class CoalitionOutcome:
    demand: Demand
    lines: list[LineCost]
    probability: float
    bought: np.ndarray  # (2^J, M)
    cost: np.ndarray  # (2^J,)
    saving: np.ndarray  # (2^J,)
    shapley: np.ndarray  # (J,)
    shapley_ci: np.ndarray  # (J, 2)
    saving_ci: np.ndarray  # (2^J, 2)
    core_violation: float
    least_core_epsilon: float

    @property
    def nations(self) -> tuple[str, ...]:
        return self.demand.nations


def analyse(
    demand: Demand, lines: list[LineCost], probability: float, seed: int
) -> CoalitionOutcome:
    """The games, the Shapley shares and their bootstrap intervals."""
    bought = purchases(demand, probability)
    cost = cost_game(demand, lines, bought)
    saving = saving_game(cost)
    phi = shapley(saving)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(0xC0A1,))))
    runs = demand.rounds.shape[0]
    phis, savings = [], []
    for _ in range(BOOTSTRAP):
        pick = rng.integers(0, runs, runs)
        boot = saving_game(cost_game(demand, lines, purchases(demand, probability, pick)))
        savings.append(boot)
        phis.append(shapley(boot))
    epsilon, _ = least_core(saving)
    return CoalitionOutcome(
        demand, lines, probability, bought, cost, saving, phi,
        np.percentile(phis, [2.5, 97.5], axis=0).T, np.percentile(savings, [2.5, 97.5], axis=0).T,
        core_violation(saving, phi), epsilon,
    )  # fmt: skip


def run_coalition_study(
    study: PlanStudy, runs: int, seed: int, executor: Executor | None = None, checkpoint=None,
    progress=None,
) -> CoalitionOutcome:  # fmt: skip
    """Simulate the demand and analyse every coalition."""
    defence = defence_of(study)
    result = run_study(demand_study(study, defence, runs, seed), executor, checkpoint, progress)
    demand = demand_of(study, result)
    return analyse(demand, line_costs(study, demand), coalition_target(study)[1], seed)


def coalition_rows(outcome: CoalitionOutcome) -> dict[str, np.ndarray]:
    """One row per non-empty coalition: members, cost together, saving (95 % CI), rounds bought."""
    n_j = len(outcome.nations)
    masks = coalitions(n_j)
    columns: dict[str, list] = {
        "coalition": ["+".join(outcome.nations[j] for j in members(s, n_j)) for s in masks],
        "size": [bin(s).count("1") for s in masks],
        "cost_eur": [outcome.cost[s] for s in masks],
        "alone_cost_eur": [outcome.cost[s] + outcome.saving[s] for s in masks],
        "saving_eur": [outcome.saving[s] for s in masks],
        "saving_ci_low_eur": [outcome.saving_ci[s, 0] for s in masks],
        "saving_ci_high_eur": [outcome.saving_ci[s, 1] for s in masks],
    }
    for m, name in enumerate(outcome.demand.munitions):
        columns[f"bought.{name}"] = [outcome.bought[s, m] for s in masks]
    return {k: np.array(v) for k, v in columns.items()}
