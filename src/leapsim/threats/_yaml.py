"""Validating YAML against a pydantic model with errors that give ``file:line`` and the field."""

from __future__ import annotations

from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from leapsim.errors import InputError, Problem

ModelT = TypeVar("ModelT", bound=BaseModel)


def _key_lines(node: yaml.Node | None, path: tuple[Any, ...], out: dict) -> None:
    """Record the 1-based line of every mapping key and list item under ``node``."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, key.value)
            out[child] = key.start_mark.line + 1
            _key_lines(value, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[(*path, i)] = item.start_mark.line + 1
            _key_lines(item, (*path, i), out)


def _line_of(lines: dict, loc: tuple[Any, ...]) -> int:
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def validate_yaml(text: str, model: type[ModelT], file: str) -> ModelT:
    """Parse YAML ``text`` and validate it as ``model``; raise :class:`InputError` on problems."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise InputError.at(
            f"invalid YAML: {exc.problem}",
            file=file,
            line=mark.line + 1 if mark else None,
            hint="check indentation, colons and quotes",
        ) from None
    if not isinstance(data, dict):
        raise InputError.at("expected a mapping of keys to values", file=file, line=1)
    lines: dict[tuple[Any, ...], int] = {}
    _key_lines(node, (), lines)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            field = ".".join(str(p) for p in loc) or None
            if err["type"] == "extra_forbidden":
                message, hint = f"unknown key {loc[-1]!r}", "remove it or check the spelling"
            elif err["type"] == "missing":
                message, hint = "missing", "add this key"
            else:
                message, hint = err["msg"].removeprefix("Value error, "), None
            problems.append(
                Problem(message, file=file, line=_line_of(lines, loc), field=field, hint=hint)
            )
        raise InputError(problems) from None
