"""Loading scenario and catalogue YAML with errors that name ``file:line``, the field and the fix.

YAML is parsed with the safe loader; a parallel walk of the node tree records the line of every
key and list item, so that pydantic's error locations map back to lines. A scenario may start
with ``extends: base.yaml`` (path relative to the file): its top-level keys replace the base's.
"""

from __future__ import annotations

import difflib
import os
import types
import typing
from pathlib import Path
from typing import Any, TypeVar, Union

import yaml
from pydantic import BaseModel, ValidationError

from leapsim.errors import InputError, Problem

ModelT = TypeVar("ModelT", bound=BaseModel)
Path_ = tuple[Any, ...]


class SourceMap:
    """Maps a data path (keys and list indices) to ``(file, line)``."""

    def __init__(self) -> None:
        self._lines: dict[Path_, tuple[str, int]] = {}

    def add(self, path: Path_, file: str, line: int) -> None:
        self._lines[path] = (file, line)

    def locate(self, path: Path_, default_file: str) -> tuple[str, int | None]:
        """The line of the longest prefix of ``path`` that was seen in the YAML."""
        for end in range(len(path), -1, -1):
            hit = self._lines.get(tuple(path[:end]))
            if hit is not None:
                return hit
        return default_file, None

    def without_keys(self, keys: set[str]) -> SourceMap:
        """A copy without the paths under the given top-level keys."""
        out = SourceMap()
        out._lines = {p: v for p, v in self._lines.items() if not (p and p[0] in keys)}
        return out

    def subtree(self, prefix: Path_) -> SourceMap:
        """The paths under ``prefix``, with the prefix removed (a mapping nested in a file)."""
        out = SourceMap()
        n = len(prefix)
        out._lines = {p[n:]: v for p, v in self._lines.items() if p[:n] == tuple(prefix)}
        return out

    def merged(self, other: SourceMap) -> SourceMap:
        out = SourceMap()
        out._lines = {**self._lines, **other._lines}
        return out


def _record_lines(node: yaml.Node, path: Path_, file: str, smap: SourceMap) -> None:
    if isinstance(node, yaml.MappingNode):
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            child = (*path, key_node.value)
            line = key_node.start_mark.line + 1
            if key_node.value in first_line:
                raise InputError.at(
                    f"duplicate key {key_node.value!r}",
                    file=file,
                    line=line,
                    field=format_field(child),
                    hint=f"it is already given on line {first_line[key_node.value]}; keep one",
                )
            first_line[key_node.value] = line
            smap.add(child, file, line)
            _record_lines(value_node, child, file, smap)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            smap.add(child, file, item.start_mark.line + 1)
            _record_lines(item, child, file, smap)


def read_yaml(path: str | os.PathLike[str]) -> tuple[Any, SourceMap]:
    """Parse a YAML file safely; return the data and a :class:`SourceMap` of its lines."""
    p = Path(path)
    file = str(p)
    if not p.is_file():
        raise InputError.at("file not found", file=file)
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError.at(
            "the file is not UTF-8 text",
            file=file,
            line=raw[: exc.start].count(b"\n") + 1,
            hint="save it as UTF-8",
        ) from None
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
    except yaml.YAMLError as exc:
        raise InputError.at(f"invalid YAML: {exc}", file=file) from None
    smap = SourceMap()
    smap.add((), file, 1)
    if node is not None:
        _record_lines(node, (), file, smap)
    return data, smap


def _model_at(model: Any, loc: Path_) -> type[BaseModel] | None:
    """The pydantic model class that holds the field at ``loc`` (for did-you-mean hints)."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        else:
            origin = typing.get_origin(current)
            args = typing.get_args(current)
            if origin in (list, tuple) and args:
                current = args[0]
            elif origin is dict and len(args) == 2:
                current = args[1]
            else:
                return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Strip Optional/Annotated wrappers."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def did_you_mean(word: str, choices: typing.Iterable[str]) -> str | None:
    """A 'did you mean …?' hint for a misspelt name, or None."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def format_field(loc: Path_) -> str:
    """A data path as users write it: ``fire_units[0].type``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


_FIX_BY_TYPE = {
    "missing": "add this field",
    "float_parsing": "give a plain number in the SI unit named by the field (m, s, m/s, m², EUR)",
    "int_parsing": "give a whole number",
    "bool_parsing": "use true or false",
    "greater_than": "the value is out of range",
    "greater_than_equal": "the value is out of range",
    "less_than": "the value is out of range; check the unit named by the field",
    "less_than_equal": "the value is out of range; check the unit named by the field",
    "literal_error": None,
    "string_type": "give text; quote it (YAML reads NO, yes, on and off as true/false)",
}


def validation_problems(
    exc: ValidationError, model: type[BaseModel], smap: SourceMap, file: str
) -> list[Problem]:
    """Turn pydantic errors into :class:`Problem` s with file, line, field path and fix."""
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        # pydantic appends the failing union member / validator name to some locations
        data_loc = tuple(
            p
            for p in loc
            if not (isinstance(p, str) and (p.startswith("function-") or p == "[key]"))
        )
        where, line = smap.locate(data_loc, file)
        kind = err["type"]
        hint = _FIX_BY_TYPE.get(kind)
        message = err["msg"]
        if kind == "extra_forbidden":
            message = f"unknown key {data_loc[-1]!r}"
            owner = _model_at(model, data_loc[:-1])
            allowed = list(owner.model_fields) if owner else []
            hint = did_you_mean(str(data_loc[-1]), allowed) or (
                f"allowed keys: {', '.join(allowed)}" if allowed else "remove it"
            )
        elif kind == "value_error":
            message = message.removeprefix("Value error, ")
        problems.append(
            Problem(message, file=where, line=line, field=format_field(data_loc) or None, hint=hint)
        )
    return problems


def validate_model(model: type[ModelT], data: Any, smap: SourceMap, file: str) -> ModelT:
    """Validate ``data`` against ``model``; raise :class:`InputError` with every problem."""
    if not isinstance(data, dict):
        raise InputError.at(
            "expected a mapping of keys to values at the top level", file=file, line=1
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(exc, model, smap, file)) from None


BUILTIN_PREFIX = "builtin:"


def resolve_extends(path: Path, base: str) -> Path:
    """``builtin:NAME`` names a scenario shipped in the package; anything else is a path relative
    to the file that extends it."""
    if base.startswith(BUILTIN_PREFIX):
        from importlib import resources

        ref = resources.files("leapsim.scenario") / "data" / f"{base[len(BUILTIN_PREFIX) :]}.yaml"
        return Path(str(ref))
    return path.parent / base


def _extends_hint(missing: Path) -> str:
    from importlib import resources

    builtins = sorted(
        f.name.removesuffix(".yaml")
        for f in (resources.files("leapsim.scenario") / "data").iterdir()
        if f.name.endswith(".yaml") and f.name != "catalogue.yaml"
    )
    close = did_you_mean(missing.stem, builtins)
    return (f"{close} (as builtin:NAME)" if close else "") or (
        f"give a path relative to the extending file, or builtin:NAME ({', '.join(builtins)})"
    )


def load_yaml_with_extends(path: str | os.PathLike[str]) -> tuple[dict[str, Any], SourceMap]:
    """Read a YAML mapping, following ``extends:`` chains (child keys replace the base's)."""
    p = Path(path)
    layer, layer_map = read_yaml(p)
    if layer is None:
        layer = {}
    if not isinstance(layer, dict):
        raise InputError.at("expected a mapping of keys to values", file=str(p), line=1)
    return extend_mapping(layer, layer_map, p)


def extend_mapping(
    layer: dict[str, Any], layer_map: SourceMap, path: Path
) -> tuple[dict[str, Any], SourceMap]:
    """Follow the ``extends:`` chain of a mapping read from ``path`` (a whole file, or a mapping
    inside one such as a plan study's inline scenario): the mapping's keys replace the base's,
    and ``extends`` is relative to ``path``'s folder (or ``builtin:NAME``)."""
    p = path
    seen: list[Path] = [p.resolve()]
    data: dict[str, Any] = {}
    smap = SourceMap()
    layer = dict(layer)
    while True:
        base = layer.pop("extends", None)
        overridden = set(data)
        for key, value in layer.items():
            if key not in overridden:
                data[key] = value
        smap = layer_map.without_keys(overridden).merged(smap)
        if base is None:
            return data, smap
        line = layer_map.locate(("extends",), str(p))[1]
        if not isinstance(base, str):
            raise InputError.at("extends must be a file path", file=str(p), line=line)
        via = (str(p), line)  # file and line of the extends: being followed
        p = resolve_extends(p, base)
        resolved = p.resolve()
        if resolved in seen or not p.is_file():
            what = "loops back to a file already in the chain" if resolved in seen else "not found"
            hint = "break the cycle" if resolved in seen else _extends_hint(p)
            raise InputError.at(
                f"extends: {p} {what}", file=via[0], line=via[1], field="extends", hint=hint
            )
        seen.append(resolved)
        layer, layer_map = read_yaml(p)
        if layer is None:
            layer = {}
        if not isinstance(layer, dict):
            raise InputError.at("expected a mapping of keys to values", file=str(p), line=1)
