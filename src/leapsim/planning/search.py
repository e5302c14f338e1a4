"""The screening search: Optuna's multi-objective samplers over the decision vector.

Every trial is a decision vector (one ``IntDistribution`` per variable). A plan that breaks a
budget or a unit limit is never simulated: it is told with its cost and the worst objective
values, and a positive constraint value, so the samplers' constraint handling ranks it below
every feasible plan. A plan already simulated is told its known values again (no new
simulation). Every other plan is simulated with the screening runs, in batches of
``search.batch`` plans that run in parallel.

Warm start: a new study's first trials are the plans of the study's naive rules
(:mod:`leapsim.planning.rules`, Optuna's ``enqueue_trial``), so the sampler's model starts from
two sensible budget splits rather than from random plans alone. TPE runs with Optuna's
``constant_liar``: the plans of a batch are asked before any of them is told, and the liar
keeps the later asks of a batch away from the earlier ones instead of asking near-duplicates.

Determinism and resumption: the study lives in an Optuna journal file (``OUT/optuna.journal``,
append-only, safe to kill at any point). The sampler is rebuilt before each batch with a seed
derived from the study seed and the batch number, so the plans asked depend only on what the
journal holds: a study killed during a batch finishes that batch's plans on restart (their
replications are on disk too) and then asks exactly what the uninterrupted study would have.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from leapsim.planning.ladder import Ladder
from leapsim.planning.rules import rule_plan
from leapsim.planning.space import DecisionSpace

STUDY_NAME = "plan"
CONSTRAINTS = "constraints"
PLAN = "plan_id"
SIMULATED = "simulated"
CONSTRAINT_NAMES = ("budget", "units", "sustainability")


@dataclass
class SearchLog:
    """What the screening did: trials told, plans simulated, plans skipped as infeasible."""

    trials: int = 0
    simulated: int = 0
    infeasible: int = 0
    repeated: int = 0
    plan_ids: list[str] = field(default_factory=list)  # simulated plans, in order


def constraints_of(trial) -> list[float]:
    """The constraint values stored with a trial (<= 0: satisfied)."""
    return list(trial.user_attrs.get(CONSTRAINTS, [0.0]))


def make_sampler(kind: str, seed: int, batch: int, evaluations: int):
    import optuna

    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if kind == "nsga2":
        return optuna.samplers.NSGAIISampler(population_size=max(batch, 4), seed=seed)
    return optuna.samplers.TPESampler(
        seed=seed,
        multivariate=True,
        constant_liar=True,
        n_startup_trials=max(4, min(10, evaluations // 4)),
    )


def batch_seed(seed: int, batch: int) -> int:
    """The sampler seed of batch ``batch`` of a study seeded ``seed``."""
    return int(np.random.SeedSequence(seed, spawn_key=(0x5EA2C4, batch)).generate_state(1)[0])


def open_study(path: Path, n_objectives: int):
    """The Optuna study in the journal file ``path`` (created if absent)."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    path.parent.mkdir(parents=True, exist_ok=True)
    storage = JournalStorage(JournalFileBackend(str(path)))
    return optuna.create_study(
        study_name=STUDY_NAME,
        storage=storage,
        directions=["minimize"] * n_objectives,
        load_if_exists=True,
    )


def screen(
    ladder: Ladder,
    journal: Path,
    evaluations: int,
    progress: Callable[[int], None] | None = None,
) -> SearchLog:
    """Ask, simulate and tell until ``evaluations`` distinct feasible plans have been
    simulated (or the trial cap, 20 × evaluations + 200, is reached)."""
    import optuna
    from optuna.distributions import IntDistribution
    from optuna.trial import TrialState

    study_spec = ladder.study.spec
    search = study_spec.search
    space: DecisionSpace = ladder.space
    distributions = {v.key: IntDistribution(0, v.high) for v in space.variables}
    optuna_study = open_study(journal, len(study_spec.objectives))
    log = SearchLog()
    if not optuna_study.get_trials(deepcopy=False):  # a new study: warm start from the rules
        for rule in study_spec.baselines:
            plan = rule_plan(rule, ladder.study, space, ladder.prepare)
            if plan is not None:
                optuna_study.enqueue_trial(dict(zip(space.keys, plan, strict=True)))

    def plan_of(trial) -> tuple[int, ...]:
        return tuple(int(trial.params[key]) for key in space.keys)

    def finish(trials: list) -> None:
        """Simulate the new feasible plans of ``trials`` together, then tell every trial."""
        prepared = [ladder.prepare(plan_of(t)) for t in trials]
        todo = [p for p in prepared if p.feasible]
        ladder.screen([p.id for p in todo], progress)
        for trial, plan in zip(trials, prepared, strict=True):
            values, constraints = ladder.screen_values(plan)
            trial.set_user_attr(PLAN, plan.id)
            constraints = [float(c) for c in constraints]
            trial.set_user_attr(CONSTRAINTS, constraints)
            for name, value in zip(CONSTRAINT_NAMES, constraints, strict=False):
                trial.set_constraint(name, value)
            first = plan.feasible and plan.id not in log.plan_ids
            trial.set_user_attr(SIMULATED, first)
            optuna_study.tell(trial, [float(v) for v in values])
            log.trials += 1
            if first:
                log.simulated += 1
                log.plan_ids.append(plan.id)
            elif plan.feasible:
                log.repeated += 1
            else:
                log.infeasible += 1

    # replay the journal: what was told, and trials asked by a killed run
    running = []
    for frozen in optuna_study.get_trials(deepcopy=False):
        if frozen.state == TrialState.COMPLETE:
            log.trials += 1
            if frozen.user_attrs.get(SIMULATED):
                log.simulated += 1
                log.plan_ids.append(ladder.prepare(plan_of(frozen)).id)
            elif constraints_of(frozen) and max(constraints_of(frozen)) > 0:
                log.infeasible += 1
            else:
                log.repeated += 1
        elif frozen.state == TrialState.RUNNING:
            running.append(frozen)
    ladder.screen(log.plan_ids, progress)  # from the checkpoint: nothing is simulated again
    if running:
        optuna_study.sampler = make_sampler(search.sampler, 0, search.batch, evaluations)
        finish([optuna.trial.Trial(optuna_study, t._trial_id) for t in running])

    cap = 20 * evaluations + 200
    while log.simulated < evaluations and log.trials < cap:
        number = len(optuna_study.get_trials(deepcopy=False))
        batch = number // search.batch
        optuna_study.sampler = make_sampler(
            search.sampler, batch_seed(ladder.seed, batch), search.batch, evaluations
        )
        size = min(search.batch, evaluations - log.simulated)
        finish([optuna_study.ask(distributions) for _ in range(size)])
    return log
