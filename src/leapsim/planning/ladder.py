"""The fidelity ladder: screen plans cheaply, then measure the promising ones precisely.

1. **Screening** — every plan the sampler asks for gets ``screen_runs`` replications of the night
   (and ``campaign_screen_runs`` of the campaign over its screening horizon).
2. **Finalists** — the screened feasible plans are sorted into non-dominated fronts on their
   screening means; whole fronts are taken in order up to ``finalists`` plans.
3. **Final measurement** — finalists, reference defences and baseline rules get ``final_runs``
   replications (campaign: the whole campaign, ``campaign_final_runs`` runs), on the same random
   numbers. Constraints are judged again on these runs.
4. **Separation** — along the final front (sorted by cost), each pair of neighbours is compared
   on the noisy objectives with a paired 95 % CI. While some pair's CI includes 0, both plans'
   runs are doubled, up to ``max_final_runs``; pairs still not separated are flagged *within
   noise* in the outputs.

Objectives: ``value_lost`` and ``leaked`` are means over runs of the night (with
``threat.night``) or of the campaign totals; ``cost`` is the plan's cost (no noise). The
sustainability constraint is the fraction of campaign runs whose first horizon event comes after
night H.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from leapsim.experiments.stats import UNIT_INTERVAL, mean_ci, metric_domain
from leapsim.planning.evaluate import first_event_night, per_run, plan_task
from leapsim.planning.front import paired_difference, pareto_mask, select_finalists, separated
from leapsim.planning.prepare import PreparedPlan, prepare_plan
from leapsim.planning.runner import Replications
from leapsim.planning.space import DecisionSpace
from leapsim.planning.study import PlanStudy
from leapsim.threats import ThreatModel

NOISY = ("value_lost", "leaked")
COLUMN = {"value_lost": "value_lost_eur", "leaked": "leaked"}


@dataclass
class Measured:
    """One plan (or reference) measured at the final rung."""

    id: str
    cost_eur: float
    objectives: dict[str, dict]  # mean_ci of each objective ("cost": exact, CI = mean)
    runs: int
    sustained: dict | None = None  # fraction of runs lasting H nights, with its runs
    feasible: bool = True
    on_front: bool = False
    within_noise_of: list[str] = field(default_factory=list)


class Ladder:
    """Prepared plans, their replications, and the rungs of the ladder."""

    def __init__(
        self,
        study: PlanStudy,
        space: DecisionSpace,
        seed: int,
        runner: Replications,
        model: ThreatModel | None,
    ):
        self.study = study
        self.space = space
        self.seed = seed
        self.runner = runner
        self.model = model
        self.prepared: dict[str, PreparedPlan] = {}
        self.extra: dict[str, PreparedPlan] = {}  # references, by name

    # -- plans ---------------------------------------------------------------------------------
    def prepare(self, plan: tuple[int, ...]) -> PreparedPlan:
        prepared = prepare_plan(self.study, self.space, plan)
        return self.prepared.setdefault(prepared.id, prepared)

    def get(self, plan_id: str) -> PreparedPlan:
        return self.prepared.get(plan_id) or self.extra[plan_id]

    # -- rungs ---------------------------------------------------------------------------------
    @property
    def objective_kind(self) -> tuple[str, str]:
        """Evaluation kinds of the noisy objectives at the screening and final rungs."""
        if self.study.spec.threat.night:
            return "night", "night"
        return "campaign_screen", "campaign"

    def _runs(self, kind: str, final: bool) -> int:
        search = self.study.spec.search
        if kind == "night":
            return search.final_runs if final else search.screen_runs
        if final:
            return search.campaign_final_runs or search.final_runs
        return search.campaign_screen_runs or search.screen_runs

    def _kinds(self, final: bool) -> list[str]:
        kinds = []
        if self.study.spec.threat.night:
            kinds.append("night")
        if self.study.spec.threat.campaign is not None:
            kinds.append("campaign" if final else "campaign_screen")
        return kinds

    def fill(
        self,
        plan_ids: Sequence[str],
        runs_of: Callable[[str], int],
        kinds: Sequence[str],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Simulate what is missing of the first ``runs_of(kind)`` runs of each plan, all in
        one parallel batch."""
        requests = [
            (pid, kind, plan_task(self.study, self.get(pid), kind, self.model), runs_of(kind))
            for pid in plan_ids
            for kind in kinds
        ]
        self.runner.fill(requests, progress)

    def screen(self, plan_ids: Sequence[str], progress=None) -> None:
        self.fill(plan_ids, lambda kind: self._runs(kind, False), self._kinds(False), progress)

    def samples(self, plan_id: str, objective: str, final: bool) -> np.ndarray:
        """(runs,) values of a noisy objective over the replications held."""
        kind = self.objective_kind[1 if final else 0]
        return per_run(self.runner.result(plan_id, kind), COLUMN[objective])

    def sustained(self, plan_id: str, final: bool) -> dict | None:
        """Fraction of campaign runs lasting the sustainability horizon (None: no constraint)."""
        sustain = self.study.spec.constraints.sustainability
        if sustain is None:
            return None
        kind = "campaign" if final else "campaign_screen"
        lasted = first_event_night(self.runner.result(plan_id, kind)) > sustain.nights
        return {**mean_ci(lasted.astype(float), UNIT_INTERVAL), "required": sustain.probability}

    def worst(self, objective: str) -> float:
        """The value told for an infeasible plan: all site value, or every threat leaking."""
        params = next(iter(self.prepared.values())).params
        nights = 1
        campaign = self.study.spec.threat.campaign
        if not self.study.spec.threat.night and campaign is not None:
            nights = campaign.nights
        if objective == "value_lost":
            return float(params.site_value_eur.sum()) * nights
        return float(params.raids.count.sum()) * nights * 10.0

    def screen_values(self, plan: PreparedPlan) -> tuple[list[float], list[float]]:
        """Objective values and constraint values (<= 0: met) told to the sampler."""
        budget = max(plan.cost.total_budget_eur, 1.0)
        constraints = [plan.cost.over_budget_eur / budget, float(plan.unit_excess)]
        values = []
        for objective in self.study.spec.objectives:
            if objective == "cost":
                values.append(plan.cost.total_eur)
            elif plan.feasible:
                values.append(float(self.samples(plan.id, objective, False).mean()))
            else:
                values.append(self.worst(objective))
        if self.study.spec.constraints.sustainability is not None:
            if plan.feasible:
                lasted = self.sustained(plan.id, False)
                constraints.append(lasted["required"] - lasted["mean"])
            else:
                constraints.append(1.0)
        return values, constraints

    # -- final rung ----------------------------------------------------------------------------
    def measure(self, plan_id: str) -> Measured:
        """Final-rung statistics of one plan from the runs held."""
        plan = self.get(plan_id)
        objectives = {}
        runs = 0
        for objective in self.study.spec.objectives:
            if objective == "cost":
                c = plan.cost.total_eur
                objectives["cost"] = {"mean": c, "ci_low": c, "ci_high": c, "n": 0}
            else:
                x = self.samples(plan_id, objective, True)
                objectives[objective] = mean_ci(x, metric_domain(COLUMN[objective]))
                runs = x.size
        sustained = self.sustained(plan_id, True)
        feasible = plan.feasible and (
            sustained is None or sustained["mean"] >= sustained["required"]
        )
        return Measured(plan_id, plan.cost.total_eur, objectives, runs, sustained, feasible)

    def finalise(
        self,
        screened: Sequence[str],
        extras: Sequence[str] = (),
        progress: Callable[[int], None] | None = None,
    ) -> list[Measured]:
        """Run the final rung and the separation loop; return the finalists measured (with
        front membership and within-noise flags), followed by ``extras`` measured the same."""
        spec = self.study.spec
        search = spec.search
        objectives = spec.objectives
        screened = list(dict.fromkeys(screened))
        feasible = []
        for pid in screened:
            lasted = self.sustained(pid, False)
            if lasted is None or lasted["mean"] >= lasted["required"]:
                feasible.append(pid)
        candidates = feasible or screened
        values = np.array([self.screen_values(self.get(p))[0] for p in candidates])
        finalists = [candidates[i] for i in select_finalists(values, search.finalists)]
        runs = {kind: self._runs(kind, True) for kind in self._kinds(True)}
        self.fill([*finalists, *extras], lambda kind: runs[kind], self._kinds(True), progress)

        noisy = [o for o in objectives if o in NOISY]
        kind = self.objective_kind[1]
        while True:
            measured = [self.measure(pid) for pid in finalists]
            front = self._mark_front(measured)
            unsettled: set[str] = set()
            for a, b in itertools.pairwise(front):
                differences = [
                    paired_difference(self.samples(a.id, o, True), self.samples(b.id, o, True))
                    for o in noisy
                ]
                if noisy and not any(separated(d) for d in differences):
                    a.within_noise_of.append(b.id)
                    b.within_noise_of.append(a.id)
                    unsettled.update(
                        m.id
                        for m in (a, b)
                        if self.runner.count(m.id, kind) < search.max_final_runs
                    )
            if not unsettled:
                break
            more = {
                pid: min(2 * self.runner.count(pid, kind), search.max_final_runs)
                for pid in sorted(unsettled)
            }
            requests = [
                (pid, kind, plan_task(self.study, self.get(pid), kind, self.model), n)
                for pid, n in more.items()
            ]
            self.runner.fill(requests, progress)
        return measured + [self.measure(pid) for pid in extras]

    def _mark_front(self, measured: list[Measured]) -> list[Measured]:
        """Set ``on_front`` on the feasible non-dominated plans; return them sorted by cost
        (by the first objective when cost is not one)."""
        objectives = self.study.spec.objectives
        feasible = [m for m in measured if m.feasible]
        for m in measured:
            m.on_front = False
            m.within_noise_of = []
        if not feasible:
            return []
        values = np.array([[m.objectives[o]["mean"] for o in objectives] for m in feasible])
        front = [m for m, keep in zip(feasible, pareto_mask(values), strict=True) if keep]
        for m in front:
            m.on_front = True
        key = "cost" if "cost" in objectives else objectives[0]
        return sorted(front, key=lambda m: (m.objectives[key]["mean"], m.id))
