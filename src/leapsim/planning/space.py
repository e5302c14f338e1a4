"""The decision vector of a plan study: one integer per choice.

* ``units.I.P`` — fire units of purchase ``I`` at its position ``P`` (0 … ``max_units``);
* ``reserve.I`` — index into purchase ``I``'s ``reserve_loads`` (only with two or more levels);
* ``depot.M`` — index into munition ``M``'s ``depot_loads`` (only with two or more levels);
* ``rate.M`` — index into munition ``M``'s production ``rate_per_month`` levels.

Levels are ordered as written in the study file, so every variable is an ordinal integer (what
the samplers model best). A plan is a tuple of these integers; its id is a digest of the tuple,
the same in every run, on every executor.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass

from leapsim.planning.study import PlanStudy


@dataclass(frozen=True)
class Variable:
    """One integer choice in ``[0, high]``."""

    key: str  # units.I.P, reserve.I, depot.M or rate.M
    label: str  # what a person reads: "gepard_35mm near Jasionka airport"
    high: int
    kind: str  # units | reserve | depot | rate
    purchase: int = -1
    position: int = -1
    munition: str = ""


@dataclass(frozen=True)
class DecisionSpace:
    variables: tuple[Variable, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(v.key for v in self.variables)

    @property
    def size(self) -> int:
        """Number of decision vectors (feasible or not)."""
        return math.prod(v.high + 1 for v in self.variables)

    def index(self, key: str) -> int:
        return self.keys.index(key)

    def zero(self) -> tuple[int, ...]:
        return tuple(0 for _ in self.variables)

    def all_plans(self) -> Iterator[tuple[int, ...]]:
        """Every decision vector, in lexicographic order (small spaces only)."""
        return itertools.product(*(range(v.high + 1) for v in self.variables))

    def check(self, plan: tuple[int, ...]) -> tuple[int, ...]:
        """``plan`` as a tuple of ints inside the bounds (ValueError otherwise)."""
        plan = tuple(int(x) for x in plan)
        if len(plan) != len(self.variables):
            raise ValueError(f"a plan has {len(self.variables)} entries, got {len(plan)}")
        for value, var in zip(plan, self.variables, strict=True):
            if not 0 <= value <= var.high:
                raise ValueError(f"{var.key} = {value} outside 0..{var.high}")
        return plan


def position_label(study: PlanStudy, purchase: int, position: int) -> str:
    p = study.spec.purchases[purchase].positions[position]
    if p.name:
        return p.name
    if p.near_site is not None:
        return f"near {p.near_site}"
    if p.line_to is not None:
        return f"line {p.lat:.3f},{p.lon:.3f}-{p.line_to.lat:.3f},{p.line_to.lon:.3f}"
    return f"{p.lat:.3f},{p.lon:.3f}"


def decision_space(study: PlanStudy) -> DecisionSpace:
    """The variables of ``study`` in a fixed order: units, reserves, depots, rates."""
    spec = study.spec
    variables: list[Variable] = []
    for i, purchase in enumerate(spec.purchases):
        for j in range(len(purchase.positions)):
            label = f"{purchase.type} {position_label(study, i, j)}"
            variables.append(Variable(f"units.{i}.{j}", label, purchase.max_units, "units", i, j))
    for i, purchase in enumerate(spec.purchases):
        if len(purchase.reserve_loads) > 1:
            label = f"{purchase.type} reserve (magazines per unit)"
            high = len(purchase.reserve_loads) - 1
            variables.append(Variable(f"reserve.{i}", label, high, "reserve", purchase=i))
    if spec.threat.campaign is not None:
        for name, choice in spec.munitions.items():
            if len(choice.depot_loads) > 1:
                high = len(choice.depot_loads) - 1
                variables.append(
                    Variable(f"depot.{name}", f"{name} depot (loads)", high, "depot", munition=name)
                )
            production = choice.production
            if production is not None and len(production.rate_per_month) > 1:
                high = len(production.rate_per_month) - 1
                label = f"{name} production (rounds/month)"
                variables.append(Variable(f"rate.{name}", label, high, "rate", munition=name))
    return DecisionSpace(tuple(variables))


def canonical(study: PlanStudy, space: DecisionSpace, plan: tuple[int, ...]) -> tuple[int, ...]:
    """``plan`` with the choices that cannot matter set to 0: the reserve level of a purchase
    that buys no unit, the depot and production of a munition no unit of the plan fires. Two
    vectors that build the same defence then have one id and are simulated once."""
    plan = space.check(plan)
    units = [0] * len(study.spec.purchases)
    for value, var in zip(plan, space.variables, strict=True):
        if var.kind == "units":
            units[var.purchase] += value
    fielded = {u.type for u in study.base.scenario.fire_units}
    fielded |= {p.type for p, n in zip(study.spec.purchases, units, strict=True) if n}

    def matters(var: Variable) -> bool:
        if var.kind == "reserve":
            return units[var.purchase] > 0
        return var.kind == "units" or var.munition in fielded

    return tuple(v if matters(var) else 0 for v, var in zip(plan, space.variables, strict=True))


def plan_id(plan: tuple[int, ...]) -> str:
    """A short stable name of a decision vector (digest of its integers)."""
    return hashlib.sha256(",".join(map(str, plan)).encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Decisions:
    """A decision vector read back: units per (purchase, position), and the chosen levels."""

    units: tuple[tuple[int, ...], ...]  # [purchase][position]
    reserve_loads: tuple[float, ...]  # per purchase, magazines
    depot_loads: dict[str, float]  # per munition in the study's munitions
    rate_per_month: dict[str, float]  # per munition with production (0: none contracted)

    def total_units(self, purchase: int) -> int:
        return sum(self.units[purchase])


def decode(study: PlanStudy, space: DecisionSpace, plan: tuple[int, ...]) -> Decisions:
    """What ``plan`` decides, in the study's units."""
    plan = space.check(plan)
    value = dict(zip(space.keys, plan, strict=True))
    spec = study.spec
    units = tuple(
        tuple(value[f"units.{i}.{j}"] for j in range(len(p.positions)))
        for i, p in enumerate(spec.purchases)
    )
    reserve = tuple(
        p.reserve_loads[value.get(f"reserve.{i}", 0)] for i, p in enumerate(spec.purchases)
    )
    depot: dict[str, float] = {}
    rate: dict[str, float] = {}
    if spec.threat.campaign is not None:
        for name, choice in spec.munitions.items():
            depot[name] = choice.depot_loads[value.get(f"depot.{name}", 0)]
            if choice.production is not None:
                rate[name] = choice.production.rate_per_month[value.get(f"rate.{name}", 0)]
    return Decisions(units, reserve, depot, rate)


def encode(study: PlanStudy, space: DecisionSpace, decisions: Decisions) -> tuple[int, ...]:
    """The decision vector of ``decisions`` (levels must be among the study's)."""
    spec = study.spec
    out = []
    for var in space.variables:
        if var.kind == "units":
            out.append(decisions.units[var.purchase][var.position])
        elif var.kind == "reserve":
            levels = spec.purchases[var.purchase].reserve_loads
            out.append(levels.index(decisions.reserve_loads[var.purchase]))
        elif var.kind == "depot":
            out.append(
                spec.munitions[var.munition].depot_loads.index(decisions.depot_loads[var.munition])
            )
        else:
            production = spec.munitions[var.munition].production
            assert production is not None
            out.append(production.rate_per_month.index(decisions.rate_per_month[var.munition]))
    return space.check(tuple(out))
