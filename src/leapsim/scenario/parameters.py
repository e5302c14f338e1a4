"""Calibration parameters: write one value into the catalogue fields a parameter ``sets``.

A scenario's ``calibration.parameters`` declares at most 8 free parameters, each with a uniform
prior range and the catalogue fields it sets, as paths
``effector_types.NAME.FIELD`` or ``effector_types.NAME.pk.FAMILY`` (likewise ``threat_types`` and
``sensor_types``). :func:`with_parameters` returns the scenario with the values written in, both
into the catalogue the engine compiles and into the scenario's own ``catalogue:`` section (a
built-in type is copied there), so a calibrated scenario saves as a self-contained file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from leapsim.errors import InputError, Problem
from leapsim.scenario.models import Catalogue, EffectorType, SensorType, ThreatType

if TYPE_CHECKING:
    from leapsim.scenario.resolve import ResolvedScenario

_SECTIONS = {"effector_types": EffectorType, "threat_types": ThreatType, "sensor_types": SensorType}


def _split(path: str) -> tuple[str, str, tuple[str, ...]]:
    section, _, rest = path.partition(".")
    name, _, field = rest.partition(".")
    return section, name, tuple(field.split(".")) if field else ()


def path_problem(path: str, catalogue: Catalogue) -> str | None:
    """Why ``path`` names no numeric catalogue field (None if it does)."""
    section, name, field = _split(path)
    if section not in _SECTIONS:
        return f"{path!r} must start with one of {', '.join(_SECTIONS)}"
    types = getattr(catalogue, section)
    if name not in types:
        return f"no {section[:-1].replace('_', ' ')} {name!r} in the catalogue"
    value: Any = types[name].model_dump()
    for key in field:
        if not isinstance(value, dict) or key not in value:
            return f"{name!r} has no field {'.'.join(field)!r}"
        value = value[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{path!r} is not a number"
    return None


def parameter_problems(resolved: ResolvedScenario, locate) -> list[Problem]:
    """Every ``sets`` path of the scenario's calibration parameters that names no number."""
    calibration = resolved.scenario.calibration
    problems: list[Problem] = []
    if calibration is None:
        return problems
    for i, parameter in enumerate(calibration.parameters):
        for j, path in enumerate(parameter.sets):
            message = path_problem(path, resolved.catalogue)
            if message:
                file, line = locate(("calibration", "parameters", i, "sets", j))
                problems.append(
                    Problem(message, file=file, line=line,
                            field=f"calibration.parameters[{i}].sets[{j}]",
                            hint="use effector_types.NAME.pk.FAMILY or effector_types.NAME.FIELD")
                )  # fmt: skip
    return problems


def parameter_names(resolved: ResolvedScenario) -> list[str]:
    """The declared parameter names; an :class:`InputError` if the scenario declares none."""
    calibration = resolved.scenario.calibration
    if calibration is None:
        raise InputError.at(
            f"scenario {resolved.scenario.name!r} declares no calibration parameters",
            file=resolved.file,
            field="calibration",
            hint="add calibration: {parameters: [{name, prior: [low, high], sets: [...], "
            "source}]} (docs/validation.md)",
        )
    return [p.name for p in calibration.parameters]


def with_parameters(
    resolved: ResolvedScenario, values: Mapping[str, float] | Sequence[float]
) -> ResolvedScenario:
    """The scenario with each declared parameter's value written into the fields it sets."""
    names = parameter_names(resolved)
    if not isinstance(values, Mapping):
        values = dict(zip(names, values, strict=True))
    merged = resolved.catalogue.model_dump()
    own = resolved.scenario.catalogue.model_dump()
    assert resolved.scenario.calibration is not None
    for parameter in resolved.scenario.calibration.parameters:
        value = float(values[parameter.name])
        for path in parameter.sets:
            section, name, field = _split(path)
            for target in (merged, own):
                entry = target[section].setdefault(name, merged[section][name])
                for key in field[:-1]:
                    entry = entry[key]
                entry[field[-1]] = value
    try:
        merged_catalogue = Catalogue.model_validate(merged)
        own_catalogue = Catalogue.model_validate(own)
    except ValidationError as exc:
        raise InputError.at(
            f"parameter values {dict(values)} give an invalid catalogue: {exc.errors()[0]['msg']}",
            file=resolved.file,
            field="calibration.parameters",
            hint="keep the prior ranges inside the fields' allowed ranges",
        ) from None
    scenario = resolved.scenario.model_copy(update={"catalogue": own_catalogue})
    return replace(resolved, scenario=scenario, catalogue=merged_catalogue)
