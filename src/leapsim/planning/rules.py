"""Naive plans to beat: simple budget rules a planner might apply without a search.

* ``all_missiles`` — the whole budget on the missile purchases (effector kind ``missile``);
* ``equal_split`` — the budget split equally across the candidate effector types.

Both fill greedily and deterministically: one unit at a time, round-robin over the rule's
(purchase, position) slots, each slot keeping its first reserve level; a unit is added only if
the plan stays within every budget, unit limit and (for ``equal_split``) the type's share of
the total budget. Filling stops when no slot can take another unit.
"""

from __future__ import annotations

from collections.abc import Callable

from leapsim.planning.costs import budgets
from leapsim.planning.prepare import PreparedPlan
from leapsim.planning.space import DecisionSpace

RULES = ("all_missiles", "equal_split")


def _fill(
    space: DecisionSpace,
    prepare: Callable[[tuple[int, ...]], PreparedPlan],
    slots: list[int],
    allowed: Callable[[PreparedPlan], bool],
) -> tuple[int, ...]:
    plan = list(space.zero())
    open_slots = list(slots)
    while open_slots:
        for slot in list(open_slots):
            if plan[slot] >= space.variables[slot].high:
                open_slots.remove(slot)
                continue
            trial = plan.copy()
            trial[slot] += 1
            candidate = prepare(tuple(trial))
            if candidate.feasible and allowed(candidate):
                plan = trial
            else:
                open_slots.remove(slot)
    return tuple(plan)


def rule_plan(
    rule: str,
    study,
    space: DecisionSpace,
    prepare: Callable[[tuple[int, ...]], PreparedPlan],
) -> tuple[int, ...] | None:
    """The plan of ``rule`` (None when the study has nothing the rule could buy)."""
    purchases = study.spec.purchases
    catalogue = study.base.catalogue.effector_types
    unit_slots = [i for i, v in enumerate(space.variables) if v.kind == "units"]
    if rule == "all_missiles":
        slots = [
            i
            for i in unit_slots
            if catalogue[purchases[space.variables[i].purchase].type].kind == "missile"
        ]
        return _fill(space, prepare, slots, lambda plan: True) if slots else None
    if rule == "equal_split":
        types = list(dict.fromkeys(p.type for p in purchases))
        _, total, _ = budgets(study)
        share = total / len(types)

        def within_share(plan: PreparedPlan) -> bool:
            return all(eur <= share * (1 + 1e-9) for eur in plan.cost.by("effector").values())

        return _fill(space, prepare, unit_slots, within_share) if unit_slots else None
    raise ValueError(f"unknown rule {rule!r}")
