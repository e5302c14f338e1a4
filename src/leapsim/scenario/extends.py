"""Scenario files that build on others: ``extends: base.yaml`` (a path relative to the file) or
``extends: builtin:NAME`` (a scenario shipped with leapsim). The extending file's top-level keys
replace the base's; chains are followed to the end and a cycle is an error naming the line.
"""

from __future__ import annotations

import os
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from leapsim.errors import InputError
from leapsim.yaml_files import SourceMap, did_you_mean, read_yaml

BUILTIN_PREFIX = "builtin:"
_CATALOGUE_FILE = "catalogue.yaml"


def _data_folder() -> Traversable:
    return resources.files("leapsim.scenario") / "data"


def builtin_names() -> list[str]:
    """Names of the scenarios shipped with leapsim (usable as ``builtin:NAME``)."""
    return sorted(
        f.name.removesuffix(".yaml")
        for f in _data_folder().iterdir()
        if f.name.endswith(".yaml") and f.name != _CATALOGUE_FILE
    )


def builtin_path(name: str) -> Path:
    """The file of the built-in scenario ``name``; :class:`InputError` with a did-you-mean hint
    if there is none."""
    if name not in builtin_names():
        raise InputError.at(f"no built-in scenario {name!r}", hint=_builtin_hint(name))
    return Path(str(_data_folder() / f"{name}.yaml"))


def _builtin_hint(name: str) -> str:
    names = builtin_names()
    close = did_you_mean(name, names)
    return f"{close} (as builtin:NAME)" if close else f"built-in scenarios: {', '.join(names)}"


def scenario_path(spec: str | os.PathLike[str]) -> Path:
    """A scenario file path, or the file of ``builtin:NAME``."""
    text = str(spec)
    if text.startswith(BUILTIN_PREFIX):
        return builtin_path(text[len(BUILTIN_PREFIX) :])
    return Path(spec)


def load_yaml_with_extends(path: str | os.PathLike[str]) -> tuple[dict[str, Any], SourceMap]:
    """Read a YAML mapping, following ``extends:`` chains (child keys replace the base's)."""
    p = Path(path)
    return extend_mapping(*_read_mapping(p), p)


def _read_mapping(path: Path) -> tuple[dict[str, Any], SourceMap]:
    layer, layer_map = read_yaml(path)
    if layer is None:
        layer = {}
    if not isinstance(layer, dict):
        raise InputError.at("expected a mapping of keys to values", file=str(path), line=1)
    return layer, layer_map


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
            raise InputError.at(
                "extends must be a file path or builtin:NAME",
                file=str(p),
                line=line,
                field="extends",
            )
        via = (str(p), line)  # file and line of the extends: being followed
        if base.startswith(BUILTIN_PREFIX):
            name = base[len(BUILTIN_PREFIX) :]
            if name not in builtin_names():
                raise InputError.at(
                    f"extends: no built-in scenario {name!r}",
                    file=via[0],
                    line=line,
                    field="extends",
                    hint=_builtin_hint(name),
                )
            p = builtin_path(name)
        else:
            p = p.parent / base
        try:
            resolved, found = p.resolve(), p.is_file()
        except (OSError, ValueError):  # a name no file system accepts (a NUL byte, too long)
            resolved, found = p, False
        if resolved in seen or not found:
            cycle = resolved in seen
            what = "loops back to a file already in the chain" if cycle else "not found"
            hint = "break the cycle" if cycle else _extends_hint(p)
            raise InputError.at(
                f"extends: {p} {what}", file=via[0], line=via[1], field="extends", hint=hint
            )
        seen.append(resolved)
        layer, layer_map = _read_mapping(p)


def _extends_hint(missing: Path) -> str:
    close = did_you_mean(missing.stem, builtin_names())
    if close:
        return f"{close} (as builtin:NAME)"
    return (
        "give a path relative to the extending file, or builtin:NAME "
        f"({', '.join(builtin_names())})"
    )
