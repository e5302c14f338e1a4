"""One plan study from start to finish: screen, measure the finalists, write the results.

``run_plan_study(study, out)`` is what ``leapsim plan`` calls. Everything it computes is kept in
``out`` as it goes (the Optuna journal, every replication), so calling it again on the same
folder resumes: nothing already simulated is simulated again, and the result is the same as an
uninterrupted run's. A folder that holds another study (different file contents or seed) is
refused rather than mixed.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from leapsim.atomic import write_json_atomic
from leapsim.errors import InputError
from leapsim.experiments.executors import Executor
from leapsim.planning.ladder import Ladder, Measured
from leapsim.planning.references import prepare_reference
from leapsim.planning.rules import rule_plan
from leapsim.planning.runner import Replications
from leapsim.planning.search import SearchLog, screen
from leapsim.planning.space import DecisionSpace, decision_space
from leapsim.planning.study import PlanStudy, threat_model_of

MANIFEST = "plan_study.json"
JOURNAL = "optuna.journal"
REPLICATIONS = ".replications"


@dataclass
class PlanOutcome:
    study: PlanStudy
    space: DecisionSpace
    seed: int
    ladder: Ladder
    log: SearchLog
    finalists: list[Measured]
    extras: dict[str, Measured]  # references and baselines by id
    references: dict[str, str]  # reference spec -> id
    baselines: dict[str, str]  # rule -> plan id
    seconds: float

    @property
    def front(self) -> list[Measured]:
        """Front plans, cheapest first."""
        front = [m for m in self.finalists if m.on_front]
        return sorted(front, key=lambda m: (m.cost_eur, m.id))

    def measured(self, plan_id: str) -> Measured:
        for m in self.finalists:
            if m.id == plan_id:
                return m
        return self.extras[plan_id]


def study_identity(study: PlanStudy, seed: int) -> str:
    """Digest of what decides the results: the validated study (minus the number of
    evaluations, which a resumed study may raise) and the seed."""
    spec = study.spec.model_dump(mode="json")
    spec["search"].pop("evaluations")
    spec.pop("coalition")  # joint procurement does not change the plans
    base = study.base.scenario.model_dump(mode="json")
    text = json.dumps({"spec": spec, "base": base, "seed": seed}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def claim_folder(out: Path, identity: str) -> None:
    """Refuse a results folder that holds another study; mark it as this study's."""
    manifest = out / MANIFEST
    if manifest.is_file():
        try:
            held = json.loads(manifest.read_text()).get("identity")
        except (OSError, ValueError):
            held = None
        if held != identity:
            raise InputError.at(
                "the folder holds another plan study (different file or seed)",
                file=str(out),
                field="out",
                hint="give another --out, or delete the folder to start afresh",
            )
        return
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(manifest, {"identity": identity})


def run_plan_study(
    study: PlanStudy,
    out: Path,
    seed: int = 1,
    evaluations: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> PlanOutcome:
    """Screen, measure and separate; return the outcome (results written by the caller with
    :func:`leapsim.planning.store.write_plan_results`)."""
    started = time.perf_counter()
    out = Path(out)
    claim_folder(out, study_identity(study, seed))
    space = decision_space(study)
    runner = Replications(out / REPLICATIONS, seed, executor)
    ladder = Ladder(study, space, seed, runner, threat_model_of(study))
    target = evaluations or study.spec.search.evaluations
    log = screen(ladder, out / JOURNAL, target, progress)
    if not log.plan_ids:
        raise InputError.at(
            f"no feasible plan found in {log.trials} trials",
            file=study.file,
            field="nations",
            hint="raise the budgets or lower the purchases' minimum costs",
        )
    references: dict[str, str] = {}
    for spec in study.spec.references:
        reference = prepare_reference(study, spec)
        ladder.extra[reference.id] = reference
        references[spec] = reference.id
    baselines: dict[str, str] = {}
    for rule in study.spec.baselines:
        plan = rule_plan(rule, study, space, ladder.prepare)
        if plan is not None:
            baselines[rule] = ladder.prepare(plan).id
    extras = list(dict.fromkeys([*references.values(), *baselines.values()]))
    measured = ladder.finalise(log.plan_ids, extras, progress)
    finalists = measured[: len(measured) - len(extras)]
    by_id = dict(zip(extras, measured[len(finalists) :], strict=True))
    return PlanOutcome(
        study, space, seed, ladder, log, finalists, by_id, references, baselines,
        time.perf_counter() - started,
    )  # fmt: skip
