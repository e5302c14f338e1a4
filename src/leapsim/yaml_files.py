"""Reading YAML input files into pydantic models, with errors that name ``file:line``, the field
and the fix. Every YAML file leapsim reads (scenarios, catalogues, campaign, tracker and threat
model files) goes through :func:`read_yaml` and :func:`validate_model` (or :func:`load_model`).

YAML is parsed with the safe loader (libyaml when installed). Before anything is built, one
streaming pass over the parser's events enforces the limits below, so that no file can make the
loader hang or exhaust memory; a parallel walk of the node tree then records the line of every key
and list item, so that pydantic's error locations map back to lines.

Limits (each refusal is an :class:`~leapsim.errors.InputError`, exit 2):

- the file is at most :data:`MAX_BYTES` (checked before reading it);
- at most :data:`MAX_NODES` values and :data:`MAX_DEPTH` levels of nesting;
- aliases (``*name``) may repeat at most :data:`MAX_ALIAS_NODES` values in all, and never the
  node that contains them (a "billion laughs" file or a self-referencing alias is refused);
- numbers are finite (no ``.nan``, ``.inf`` or ``1e999``), and whole numbers fit in 64 bits.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar, Union

import yaml
from pydantic import BaseModel, ValidationError

from leapsim.errors import InputError, Problem, quoted

ModelT = TypeVar("ModelT", bound=BaseModel)
Path_ = tuple[Any, ...]

#: Largest YAML input file, bytes (a scenario is a few kB; the built-in catalogue 20 kB).
MAX_BYTES = 4 * 2**20
#: Most values (scalars, lists, mappings) in one file, counting what aliases repeat.
MAX_NODES = 200_000
#: Deepest nesting of lists and mappings (a scenario needs 6).
MAX_DEPTH = 32
#: Most values that aliases may repeat in one file.
MAX_ALIAS_NODES = 10_000
#: Whole numbers must fit in a signed 64-bit integer (the engine's integer type).
MAX_INT = 2**63 - 1

_Parser: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_COLLECTION_START = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_COLLECTION_END = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


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


class _ValueError(Exception):
    """A value that YAML reads but leapsim refuses, at ``node``."""

    def __init__(self, node: yaml.Node, message: str, hint: str | None = None):
        super().__init__(message)
        self.node, self.message, self.hint = node, message, hint


class _Constructor(_Parser):
    """The safe loader, with numbers checked: finite floats, whole numbers within 64 bits, and
    any value the YAML constructors cannot build (a date like ``2025-13-45``) reported at its
    line instead of escaping as a bare ``ValueError``."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError, TypeError) as exc:
            raise _ValueError(
                node, f"cannot read {_shown(node)}: {exc}", "quote it if it is text"
            ) from None

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        too_large = _ValueError(
            node,
            f"the whole number {_shown(node)} is too large",
            f"whole numbers must lie within ±{MAX_INT:,}",
        )
        if len(node.value) > 40:  # before int(): decimal conversion is quadratic in length
            raise too_large
        value = super().construct_yaml_int(node)
        if abs(value) > MAX_INT:
            raise too_large
        return value

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise _ValueError(
                node, f"{_shown(node)} is not a finite number", "give a finite number"
            )
        return value


_Constructor.add_constructor("tag:yaml.org,2002:int", _Constructor.construct_yaml_int)
_Constructor.add_constructor("tag:yaml.org,2002:float", _Constructor.construct_yaml_float)


def _shown(node: yaml.Node) -> str:
    """A value's text for a message, shortened when long."""
    return quoted(str(node.value)) if isinstance(node, yaml.ScalarNode) else f"this {node.id}"


def _path_to(root: yaml.Node, target: yaml.Node) -> Path_ | None:
    """The data path of ``target`` in the node tree under ``root`` (first occurrence)."""
    stack: list[tuple[yaml.Node, Path_]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                stack += [(key_node, (*path, key)), (value_node, (*path, key))]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(item, (*path, i)) for i, item in enumerate(node.value)]
    return None


class _LimitError(Exception):
    def __init__(self, message: str, mark: yaml.Mark | None, hint: str):
        super().__init__(message)
        self.message, self.mark, self.hint = message, mark, hint


def _check_shape(text: str) -> None:
    """Stream the parser's events once and refuse a file beyond the limits of this module.

    Each open collection tracks its size and height counting what aliases expand to, so that a
    "billion laughs" file is refused after a few thousand events, before any node is built."""
    stack: list[list[Any]] = []  # per open collection: [anchor, size, height]
    anchors: dict[str, tuple[int, int]] = {}  # anchor -> (size, height) of its node
    nodes = repeated = 0

    def close(size: int, height: int) -> None:
        nonlocal nodes
        nodes += size
        if nodes > MAX_NODES:
            raise _LimitError(
                f"more than {MAX_NODES:,} values", mark, "split the file or remove repetition"
            )
        if len(stack) + height > MAX_DEPTH:
            raise _LimitError(
                f"nested more than {MAX_DEPTH} levels deep", mark, "flatten the structure"
            )
        if stack:
            stack[-1][1] += size
            stack[-1][2] = max(stack[-1][2], height + 1)

    for event in yaml.parse(text, Loader=_Parser):
        mark = event.start_mark
        if isinstance(event, _COLLECTION_START):
            if len(stack) >= MAX_DEPTH:
                raise _LimitError(
                    f"nested more than {MAX_DEPTH} levels deep", mark, "flatten the structure"
                )
            stack.append([event.anchor, 1, 1])
        elif isinstance(event, _COLLECTION_END):
            anchor, size, height = stack.pop()
            if anchor is not None:
                anchors[anchor] = (size, height)
            close(size, height)
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                anchors[event.anchor] = (1, 0)
            close(1, 0)
        elif isinstance(event, yaml.AliasEvent):
            if any(entry[0] == event.anchor for entry in stack):
                raise _LimitError(
                    f"the alias *{event.anchor} refers to a node that contains it",
                    mark,
                    "an alias may only repeat a node defined before it, outside it",
                )
            size, height = anchors.get(event.anchor, (1, 0))  # undefined: the composer says so
            repeated += size
            if repeated > MAX_ALIAS_NODES:
                raise _LimitError(
                    f"aliases repeat more than {MAX_ALIAS_NODES:,} values",
                    mark,
                    "write the values out, or use fewer nested aliases",
                )
            close(size, height)


def _record_lines(node: yaml.Node, path: Path_, file: str, smap: SourceMap, seen: set) -> None:
    """Record the line of every key and list item under ``node``; a node reached again through
    an alias is not walked again (its paths fall back to the alias's line)."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else id(key_node)
            child = (*path, key)
            line = key_node.start_mark.line + 1
            if key in first_line and key != "<<":
                raise InputError.at(
                    f"duplicate key {key!r}",
                    file=file,
                    line=line,
                    field=format_field(child),
                    hint=f"it is already given on line {first_line[key]}; keep one",
                )
            first_line[key] = line
            smap.add(child, file, line)
            _record_lines(value_node, child, file, smap, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            smap.add(child, file, item.start_mark.line + 1)
            _record_lines(item, child, file, smap, seen)


def _line_of(text: str, position: int | None) -> int | None:
    return None if position is None else text.count("\n", 0, position) + 1


def read_yaml(path: str | os.PathLike[str]) -> tuple[Any, SourceMap]:
    """Parse a YAML file safely within this module's limits; return the data and a
    :class:`SourceMap` of its lines, or raise :class:`InputError` naming file and line."""
    p = Path(path)
    file = str(p)
    if p.is_dir():
        raise InputError.at("is a folder, not a file", file=file, hint="give a YAML file")
    if not p.is_file():
        raise InputError.at("file not found", file=file)
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise InputError.at(
                f"the file is {size / 2**20:.1f} MiB; YAML input files may be at most "
                f"{MAX_BYTES // 2**20} MiB",
                file=file,
                hint="is this the right file?",
            )
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError.at(f"cannot read the file: {exc.strerror}", file=file) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError.at(
            "the file is not UTF-8 text",
            file=file,
            line=raw[: exc.start].count(b"\n") + 1,
            hint="save it as UTF-8",
        ) from None
    node: yaml.Node | None = None
    try:
        _check_shape(text)
        loader = _Constructor(text)
        try:
            node = loader.get_single_node()
            data = None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except _LimitError as exc:
        line = exc.mark.line + 1 if exc.mark else None
        raise InputError.at(exc.message, file=file, line=line, hint=exc.hint) from None
    except _ValueError as exc:
        where = _path_to(node, exc.node) if node is not None else None
        raise InputError.at(
            exc.message,
            file=file,
            line=exc.node.start_mark.line + 1,
            field=format_field(where) if where else None,
            hint=exc.hint,
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InputError.at(
            f"invalid YAML: {exc.problem}",
            file=file,
            line=mark.line + 1 if mark else None,
            hint="check indentation, colons and quotes",
        ) from None
    except yaml.reader.ReaderError as exc:
        raise InputError.at(
            f"invalid YAML: character {exc.character!r} is not allowed",
            file=file,
            line=_line_of(text, exc.position),
            hint="remove control characters",
        ) from None
    except yaml.YAMLError as exc:
        raise InputError.at(f"invalid YAML: {exc}", file=file) from None
    smap = SourceMap()
    smap.add((), file, 1)
    if node is not None:
        _record_lines(node, (), file, smap, set())
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


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
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
            data_loc = _named_field(model, data_loc, message)
            where, line = smap.locate(data_loc, file)
        problems.append(
            Problem(message, file=where, line=line, field=format_field(data_loc) or None, hint=hint)
        )
    return problems


def _named_field(model: type[BaseModel], loc: Path_, message: str) -> Path_:
    """A check of a whole model whose message starts with one of its fields (``confirm_m must
    not exceed confirm_n``) is reported at that field."""
    owner = _model_at(model, loc)
    subject = re.match(r"\w+", message)
    if owner is not None and subject is not None and subject[0] in owner.model_fields:
        return (*loc, subject[0])
    return loc


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


def load_model(model: type[ModelT], path: str | os.PathLike[str]) -> ModelT:
    """Read a YAML file and validate it against ``model`` (an empty file is an empty mapping)."""
    data, smap = read_yaml(path)
    return validate_model(model, {} if data is None else data, smap, str(path))
