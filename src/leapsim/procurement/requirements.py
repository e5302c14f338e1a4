"""Effector requirements: where in its design space a new effector starts to pay.

A designer varies some fields of an effector type (``--vary pk=0.3:0.95 --vary
cost_per_round_eur=1e3:1e6``); each point θ of that space is a *candidate* type. The candidate is
offered to the incumbent defence by a documented substitute rule (cheaper than re-optimising the
plan at every point):

* **Substitution for incumbent type X**: every fire unit of type X in the incumbent defence is
  replaced by a candidate unit at the same place, for the same nation, holding the same number
  of magazines in reserve. The offer costs ``Δ total = Δ defender spend + Δ value lost``
  (rounds fired at their cost, plus damage; the issue's "spend + value lost") against the
  incumbent defence, on common random numbers (the same seed, so the same raids). Acquisition
  (Δ of the units' purchase cost) is reported beside it, not added: it is paid once, while spend
  and losses recur every night of the threat.
* The candidate **pays against X** at θ when the offer's Δ total is negative and its protection
  is not worse (the paired 95 % CI of Δ value lost does not lie above 0); it **dominates X** when
  the Δ total CI lies below 0 as well. It **enters the mix** when it pays against some X; how
  much: the number of X units it replaces.

The **break-even frontier** against X is where Δ total crosses 0. It is located along the last
``--vary`` axis: on every line of the design grid along that axis, between adjacent points whose
mean Δ total changes sign, by linear interpolation (in the axis's scale); its Monte Carlo band is
where the CI bounds of Δ total cross 0 on the same line.

**Adaptive sampling.** The design space starts as a grid of ``grid`` values per axis (log scale
for an axis spanning 100× or more); then, for ``rounds`` rounds, every pair of sampled
neighbours whose mean Δ total changes sign for some incumbent gets its midpoint sampled, along
the last axis (where the frontier is located) — bisection concentrates the points
near the frontiers. Hand-written because no library
fits: python-adaptive's learners assume a deterministic function sampled a point at a time,
while here every point is a Monte Carlo batch on common random numbers, sampled round by round,
resumable, and what matters is the sign of a paired difference.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from pydantic import ValidationError

from leapsim.engine import compile_scenario
from leapsim.errors import InputError
from leapsim.experiments import Checkpoint, Executor, NightTask, Study
from leapsim.experiments.stats import mean_ci
from leapsim.planning.evaluate import per_run
from leapsim.planning.front import paired_difference
from leapsim.planning.references import load_reference
from leapsim.planning.runner import run_counted
from leapsim.planning.study import PlanStudy
from leapsim.scenario.catalogue import merge_catalogues
from leapsim.scenario.models import THREAT_FAMILIES, Catalogue, EffectorType
from leapsim.scenario.resolve import ResolvedScenario
from leapsim.yaml_files import did_you_mean

INTEGER_FIELDS = ("fire_channels", "rounds_per_engagement", "magazine")
FLOAT_FIELDS = (
    "cost_per_round_eur", "unit_cost_eur", "min_range_m", "max_range_m", "min_altitude_m",
    "max_altitude_m", "engagement_time_s", "interceptor_speed_mps", "reload_time_s",
    "pk_range_falloff", "acquisition_basket_m",
)  # fmt: skip
PK_FIELDS = ("pk", *(f"pk.{f}" for f in THREAT_FAMILIES))
FIELDS = (*PK_FIELDS, *FLOAT_FIELDS, *INTEGER_FIELDS)


@dataclass(frozen=True)
class Axis:
    """One varied field: ``low`` to ``high``, on a log scale or a linear one."""

    field: str
    low: float
    high: float
    log: bool

    def value(self, fraction: float) -> float:
        if self.log:
            v = math.exp(math.log(self.low) + fraction * (math.log(self.high) - math.log(self.low)))
        else:
            v = self.low + fraction * (self.high - self.low)
        return float(round(v)) if self.field in INTEGER_FIELDS else v

    def scaled(self, value: float) -> float:
        """Where ``value`` lies on the axis's scale (inverse of :meth:`value`, unrounded)."""
        if self.log:
            return (math.log(value) - math.log(self.low)) / (
                math.log(self.high) - math.log(self.low)
            )
        return (value - self.low) / (self.high - self.low)


def parse_vary(text: str) -> Axis:
    """``FIELD=LOW:HIGH`` (optionally ``:log`` or ``:lin``); log by default when HIGH/LOW ≥ 100."""
    name, _, spec = text.partition("=")
    name = name.strip()
    if name not in FIELDS:
        hint = did_you_mean(name, FIELDS) or f"fields: {', '.join(FIELDS)}"
        raise InputError.at(f"cannot vary {name!r}", field="vary", hint=hint)
    parts = spec.split(":")
    scale = parts.pop() if len(parts) == 3 else None
    try:
        low, high = (float(p) for p in parts)
    except ValueError:
        raise InputError.at(
            f"--vary {text!r}: expected {name}=LOW:HIGH", field="vary", hint="e.g. pk=0.3:0.95"
        ) from None
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise InputError.at(
            f"--vary {text!r}: the range is empty", field="vary", hint="give LOW < HIGH, finite"
        )
    if scale not in (None, "log", "lin"):
        raise InputError.at(f"--vary {text!r}: unknown scale {scale!r}", field="vary",
                            hint="end with :log or :lin, or leave it out")  # fmt: skip
    log = scale == "log" or (scale is None and low > 0 and high / low >= 100)
    if log and low <= 0:
        raise InputError.at(f"--vary {text!r}: a log scale needs LOW > 0", field="vary")
    return Axis(name, low, high, log)


def candidate_type(
    base: EffectorType, axes: Sequence[Axis], values: Sequence[float]
) -> EffectorType:
    """``base`` with the varied fields set (``pk``: every family it engages)."""
    data = base.model_dump()
    for axis, value in zip(axes, values, strict=True):
        if axis.field == "pk":
            data["pk"] = dict.fromkeys(data["pk"], value)
        elif axis.field.startswith("pk."):
            data["pk"] = {**data["pk"], axis.field[3:]: value}
        else:
            data[axis.field] = value
    try:
        return EffectorType.model_validate(data)
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InputError.at(
            f"the candidate is not a valid effector type at {dict(zip([a.field for a in axes], values, strict=True))}: {detail}",  # noqa: E501
            field="vary",
            hint="narrow the --vary ranges to valid values",
        ) from None


def offer(
    incumbent: ResolvedScenario, replaced: str, name: str, candidate: EffectorType
) -> ResolvedScenario:
    """The incumbent defence with every ``replaced`` unit swapped for a ``name`` unit (same
    place, nation and reserve in magazines)."""
    old = incumbent.catalogue.effector_types[replaced]
    units = []
    for placement in incumbent.scenario.fire_units:
        if placement.type == replaced:
            magazines = placement.reserve_rounds / old.magazine
            placement = placement.model_copy(
                update={"type": name, "magazine": None,
                        "reserve_rounds": round(magazines * candidate.magazine)}
            )  # fmt: skip
        units.append(placement)
    extra = Catalogue(effector_types={name: candidate})
    scenario = incumbent.scenario.model_copy(
        update={"fire_units": units,
                "catalogue": merge_catalogues(incumbent.scenario.catalogue, extra)}
    )  # fmt: skip
    return ResolvedScenario(scenario, merge_catalogues(incumbent.catalogue, extra), incumbent.file)


@dataclass
class Point:
    """One design point and its offers' paired differences against the incumbent defence."""

    coords: tuple[int, ...]  # on the finest lattice
    values: tuple[float, ...]
    round: int
    total: dict[str, dict] = field(default_factory=dict)  # per incumbent: Δ spend + value lost
    value_lost: dict[str, dict] = field(default_factory=dict)
    spend: dict[str, dict] = field(default_factory=dict)
    acquisition: dict[str, float] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)

    def pays(self, x: str) -> bool:
        worse = (self.value_lost[x]["ci_low"] or 0.0) > 0
        return self.total[x]["mean"] < 0 and not worse

    def dominates(self, x: str) -> bool:
        return self.pays(x) and (self.total[x]["ci_high"] or 0.0) < 0


@dataclass(frozen=True)
class RequirementsSetup:
    study: PlanStudy
    effector: str  # the varied base type
    name: str  # the candidate's type name in the offers
    base: EffectorType
    axes: tuple[Axis, ...]
    incumbent: ResolvedScenario
    incumbents: tuple[str, ...]  # types replaced, one offer each
    grid: int
    rounds: int
    runs: int
    seed: int

    @property
    def span(self) -> int:
        """Lattice steps between the first and last value of an axis."""
        return (self.grid - 1) * 2**self.rounds


def setup(
    study: PlanStudy,
    effector: str,
    vary: Sequence[str],
    incumbent: str | None = None,
    incumbents: Sequence[str] | None = None,
    grid: int = 5,
    rounds: int = 3,
    runs: int = 32,
    seed: int = 1,
) -> RequirementsSetup:
    """Check the options and resolve the incumbent defence (``incumbent``: a scenario path or
    builtin:NAME; default the study's first reference, else its base scenario)."""
    catalogue = study.base.catalogue.effector_types
    if effector not in catalogue:
        hint = did_you_mean(effector, catalogue) or f"known: {', '.join(sorted(catalogue))}"
        raise InputError.at(f"unknown effector type {effector!r}", field="effector", hint=hint)
    if not vary:
        raise InputError.at("give at least one --vary FIELD=LOW:HIGH", field="vary")
    if not study.spec.threat.night:
        raise InputError.at(
            "requirements are measured on the study's night", file=study.file,
            field="threat.night", hint="set threat.night: true",
        )  # fmt: skip
    axes = tuple(parse_vary(v) for v in vary)
    if len({a.field for a in axes}) != len(axes):
        raise InputError.at("each field can be varied once", field="vary")
    if any(a.field == "pk" for a in axes) and not catalogue[effector].pk:
        raise InputError.at(f"{effector} engages no threat family, so pk cannot vary",
                            field="vary", hint="vary pk.FAMILY instead")  # fmt: skip
    for name, low, high in (("grid", 2, 33), ("rounds", 0, 8), ("runs", 2, 100_000)):
        value = {"grid": grid, "rounds": rounds, "runs": runs}[name]
        if not low <= value <= high:
            raise InputError.at(f"--{name} must be {low} to {high}", field=name)
    spec = incumbent or (study.spec.references[0] if study.spec.references else None)
    defence = study.base if spec is None else load_reference(study, spec)
    fielded = list(dict.fromkeys(u.type for u in defence.scenario.fire_units))
    if incumbents:
        for x in incumbents:
            if x not in fielded:
                hint = (
                    did_you_mean(x, fielded)
                    or f"the incumbent defence fields: {', '.join(fielded)}"
                )
                raise InputError.at(f"the incumbent defence has no {x!r} unit", field="incumbents",
                                    hint=hint)  # fmt: skip
        chosen = tuple(incumbents)
    else:
        purchasable = {p.type for p in study.spec.purchases}
        chosen = tuple(x for x in fielded if x in purchasable) or tuple(fielded)
    if not chosen:
        raise InputError.at("the incumbent defence has no fire unit to replace", field="incumbent")
    for axis in axes:  # the range's ends must make valid types
        candidate_type(catalogue[effector], [axis], [axis.low])
        candidate_type(catalogue[effector], [axis], [axis.high])
    return RequirementsSetup(
        study, effector, f"{effector}_candidate", catalogue[effector], axes, defence, chosen,
        grid, rounds, runs, seed,
    )  # fmt: skip


def lattice_values(s: RequirementsSetup, coords: tuple[int, ...]) -> tuple[float, ...]:
    return tuple(a.value(c / s.span) for a, c in zip(s.axes, coords, strict=True))


def initial_points(s: RequirementsSetup) -> list[tuple[int, ...]]:
    ticks = [k * 2**s.rounds for k in range(s.grid)]
    return list(itertools.product(*[ticks] * len(s.axes)))


def refine(
    s: RequirementsSetup, points: dict[tuple[int, ...], Point], level: int
) -> list[tuple[int, ...]]:
    """Midpoints of neighbour pairs (spacing ``2^(rounds − level + 1)``) along the last axis
    whose mean Δ total changes sign for some incumbent (bisection towards the frontiers)."""
    h = 2 ** (s.rounds - level + 1)
    new = []
    for coords, p in points.items():
        for d in (len(s.axes) - 1,):
            other = list(coords)
            other[d] += h
            q = points.get(tuple(other))
            if q is None:
                continue
            if any((p.total[x]["mean"] < 0) != (q.total[x]["mean"] < 0) for x in s.incumbents):
                mid = list(coords)
                mid[d] += h // 2
                if tuple(mid) not in points:
                    new.append(tuple(mid))
    return sorted(set(new))


class Requirements:
    """The design points sampled so far and their studies (one checkpoint for all)."""

    def __init__(self, s: RequirementsSetup, executor: Executor | None, checkpoint: Checkpoint):
        self.s = s
        self.executor = executor
        self.checkpoint = checkpoint
        self.points: dict[tuple[int, ...], Point] = {}
        self.simulated = 0  # night-replications simulated (not reused from the checkpoint)
        self.seconds = 0.0
        self.baseline = self._run({"incumbent": compile_scenario(s.incumbent)})["incumbent"]

    def _run(self, params_by_key: dict, progress: Callable[[int], None] | None = None) -> dict:
        """One study per offer (night of the study's threat, the search seed), in one pass."""
        studies = [
            Study(NightTask(p, replay=False), self.s.runs, self.s.seed)
            for p in params_by_key.values()
        ]
        results, new, seconds = run_counted(studies, self.executor, self.checkpoint, progress)
        self.simulated += new
        self.seconds += seconds
        return dict(zip(params_by_key, results, strict=True))

    def sample(self, coords_list: Sequence[tuple[int, ...]], level: int, progress=None) -> None:
        s = self.s
        jobs = {}
        for coords in coords_list:
            values = lattice_values(s, coords)
            candidate = candidate_type(s.base, s.axes, values)
            for x in s.incumbents:
                jobs[(coords, x)] = compile_scenario(offer(s.incumbent, x, s.name, candidate))
        results = self._run(jobs, progress)
        base = self.baseline
        base_lost = per_run(base, "value_lost_eur")
        base_spend = per_run(base, "defender_spend_eur")
        for coords in coords_list:
            values = lattice_values(s, coords)
            candidate = candidate_type(s.base, s.axes, values)
            point = Point(coords, values, level)
            for x in s.incumbents:
                result = results[(coords, x)]
                lost = per_run(result, "value_lost_eur")
                spend = per_run(result, "defender_spend_eur")
                point.value_lost[x] = paired_difference(lost, base_lost)
                point.spend[x] = paired_difference(spend, base_spend)
                point.total[x] = mean_ci((lost + spend) - (base_lost + base_spend))
                n = sum(u.count for u in s.incumbent.scenario.fire_units if u.type == x)
                old = s.incumbent.catalogue.effector_types[x].unit_cost_eur
                point.acquisition[x] = n * (candidate.unit_cost_eur - old)
                point.units[x] = n
            self.points[coords] = point

    def run(self, progress=None) -> None:
        self.sample(initial_points(self.s), 0, progress)
        for level in range(1, self.s.rounds + 1):
            new = refine(self.s, self.points, level)
            if not new:
                break
            self.sample(new, level, progress)


def crossing(xs: np.ndarray, ys: np.ndarray) -> list[float]:
    """Where the piecewise-linear ``ys(xs)`` crosses 0 from one sample to the next."""
    out = []
    for k in range(len(xs) - 1):
        a, b = ys[k], ys[k + 1]
        if a == 0:
            out.append(float(xs[k]))
        elif (a < 0) != (b < 0) and b != 0:
            out.append(float(xs[k] + (xs[k + 1] - xs[k]) * a / (a - b)))
    return out


def frontier(req: Requirements, x: str | None) -> list[dict]:
    """Break-even points against incumbent ``x`` (None: the best offer at each point), on every
    grid line along the last axis; the band from the CI bounds."""
    s = req.s
    last = s.axes[-1]
    lines: dict[tuple[int, ...], list[Point]] = {}
    step = 2**s.rounds
    for coords, p in req.points.items():
        if all(c % step == 0 for c in coords[:-1]):
            lines.setdefault(coords[:-1], []).append(p)
    out = []
    for key, line in sorted(lines.items()):
        line.sort(key=lambda p: p.coords[-1])
        fractions = np.array([p.coords[-1] / s.span for p in line])

        def series(stat: str, line: list[Point] = line) -> np.ndarray:
            if x is not None:
                return np.array([p.total[x][stat] for p in line])
            return np.array([min(p.total[i][stat] for i in s.incumbents) for p in line])

        means = crossing(fractions, series("mean"))
        lows, highs = crossing(fractions, series("ci_low")), crossing(fractions, series("ci_high"))
        for f in means:
            band = [b for b in lows + highs]
            low = min([b for b in band if b <= f], default=None, key=lambda b: f - b)
            high = min([b for b in band if b >= f], default=None, key=lambda b: b - f)
            out.append({
                "incumbent": x or "any",
                **{a.field: a.value(c / s.span) for a, c in zip(s.axes[:-1], key, strict=True)},
                last.field: last.value(f),
                f"{last.field}_band_low": None if low is None else last.value(low),
                f"{last.field}_band_high": None if high is None else last.value(high),
            })  # fmt: skip
    return out
