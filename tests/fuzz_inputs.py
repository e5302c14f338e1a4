"""Structure-aware fuzzing of every kind of input file leapsim reads (issue 11 §5).

Each kind starts from real, valid content (the examples and built-in scenarios, the built-in
catalogue, the default threat model, documented campaign and tracker settings, small valid
detection tables, report rows, WTA instances and results folders) and mutates it the way users
and broken tools do: values of the wrong type, missing and extra keys, extreme and huge numbers,
NaN and infinities, unicode and control characters, deep nesting, aliases, ``extends`` cycles;
then, on the text or bytes, truncation, inserted and deleted lines, invalid UTF-8, NUL bytes.

:func:`outcome` runs the function the CLI calls and classifies the result: ``"ok"`` or
``"input error"`` (an :class:`InputError` whose every problem names its file). Anything else —
another exception, a case running past :data:`CASE_SECONDS` — fails the test with a traceback.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import csv
import io
import json
import math
import os
import signal
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from leapsim.errors import InputError

CASE_SECONDS = 20.0  # a case running longer than this is a hang


class Hang(Exception):
    """A case ran past :data:`CASE_SECONDS`."""


@contextlib.contextmanager
def time_limit(seconds: float = CASE_SECONDS) -> Iterator[None]:
    def expire(signum, frame):
        raise Hang(f"the case ran past {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


#: Outcomes per input kind in this process; written as JSON at exit to the file named by
#: ``LEAPSIM_FUZZ_COUNTS`` (``bench/fuzz.py`` reads it).
COUNTS: dict[str, Counter] = defaultdict(Counter)


def outcome(kind: str, call: Callable[[], Any]) -> str:
    """Run ``call``: ``"ok"``, or ``"input error"`` for an :class:`InputError` whose problems
    each name a file and say what is wrong; any other exception propagates."""
    try:
        with time_limit():
            call()
    except InputError as exc:
        assert exc.problems, "an InputError without a problem"
        for problem in exc.problems:
            assert problem.file, f"a problem without a file: {problem}"
            assert problem.message.strip(), f"a problem without a message: {problem!r}"
            text = str(problem)
            assert text.startswith(problem.file), text
        result = "input error"
    else:
        result = "ok"
    COUNTS[kind][result] += 1
    return result


def _write_counts() -> None:
    target = os.environ.get("LEAPSIM_FUZZ_COUNTS")
    if target:
        Path(target).write_text(json.dumps(COUNTS))


atexit.register(_write_counts)


# --- values and snippets that break things ---------------------------------------------------

HUGE_DIGITS = "9" * 5000


class Raw(str):
    """Text pasted verbatim into a YAML document where a value goes."""


RAW_VALUES = [
    HUGE_DIGITS,
    "-" + "9" * 40,
    "0x" + "f" * 100,
    "1e999",
    "-1e999",
    ".nan",
    ".inf",
    "-.inf",
    "*undefined_alias",
    "!!python/object/apply:os.system ['true']",
    "!!binary AAAA",
    "!!set {a, b}",
    "!!timestamp 2025-13-45",
    "2025-02-30",
    "0b",
    "0_8",
    "1:70:99",
    "&self [*self]",
    "[" * 60 + "]" * 60,
    "{a: 1, a: 2}",
    "{[1, 2]: 3}",
    "'\\x00'",
    '"\\x1b[31mred"',
    "~",
    "-",
    "? complex\n: key",
]

SCALARS = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2**31,
    2**63 - 1,
    2**63,
    -(2**63) - 1,
    10**18,
    10**30,
    0.0,
    -0.0,
    1e-320,
    1e308,
    -1e308,
    1e300,
    3.5,
    -7.25,
    "",
    " ",
    "NO",
    "yes",
    "on",
    "null",
    "1e6",
    ":100:",
    ":smile:",
    "[bold red]x[/]",
    "[/]",
    "💯",
    "é\u0301",
    "\u202eevil",
    "\x1b[31m",
    "\t",
    "builtin:rzeszow_leap",
    "builtin:rzeszow_base",
    "builtin:nope",
    "../etc/passwd",
    "x" * 10_000,
]


def scalar_values() -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from(SCALARS),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
        st.sampled_from(RAW_VALUES).map(Raw),
    )


def weird_values() -> st.SearchStrategy:
    """Values of any type, including nested and deeply nested ones."""
    nested = st.recursive(
        scalar_values(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.text(max_size=8), inner, max_size=4),
        ),
        max_leaves=8,
    )
    deep = st.integers(min_value=1, max_value=80).map(lambda d: _nest(d))
    return st.one_of(nested, deep)


def _nest(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


# --- structure-aware mutation of parsed documents --------------------------------------------


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(obj, dict):
        for key, value in obj.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            out += _paths(value, (*prefix, i))
    return out


def _get(obj: Any, path: tuple) -> Any:
    for part in path:
        obj = obj[part]
    return obj


def nudged(value: Any) -> st.SearchStrategy:
    """A plausible replacement for a number: same type, mostly within twice its size, sometimes
    at an edge (0, one past, ten times)."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        near = st.integers(0, max(2 * abs(value), 10))
        edge = st.sampled_from([0, 1, value - 1, value + 1, 10 * value])
    else:
        near = st.floats(min_value=abs(value) / 2, max_value=2 * abs(value))
        edge = st.sampled_from([0.0, 1e-9, value / 10, value * (1 + 1e-9), 10 * value])
    return st.sampled_from([near, near, near, edge]).flatmap(lambda s: s)


@st.composite
def mutated_document(draw: st.DrawFn, base: Any, max_mutations: int = 3) -> Any:
    """``base`` (a parsed YAML/JSON document) with 1 to ``max_mutations`` random changes: half
    the time only numbers nudged (most such documents stay valid and reach the code behind the
    loader), else anything changed (types, keys, structure)."""
    doc = copy.deepcopy(base)
    mild = draw(st.booleans())
    for _ in range(draw(st.integers(1, max_mutations))):
        paths = _paths(doc)
        if mild:
            numbers = [
                p for p in paths if p and isinstance(_get(doc, p), int | float) and _get(doc, p)
            ]
            if numbers:
                path = draw(st.sampled_from(numbers))
                _get(doc, path[:-1])[path[-1]] = draw(nudged(_get(doc, path)))
            continue
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["replace", "replace", "delete", "add", "wrap", "copy"]))
        if not path:
            if op == "replace":
                doc = draw(weird_values())
            continue
        parent, key = _get(doc, path[:-1]), path[-1]
        if op == "replace":
            parent[key] = draw(weird_values())
        elif op == "delete":
            del parent[key]
        elif op == "add":
            target = parent[key]
            if isinstance(target, dict):
                target[draw(st.text(max_size=12))] = draw(weird_values())
            elif isinstance(target, list):
                target.append(draw(weird_values()))
            else:
                parent[key] = [target, draw(weird_values())]
        elif op == "wrap":
            parent[key] = draw(st.sampled_from([[parent[key]], {"value": parent[key]}]))
        elif op == "copy" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
    return doc


def dump_yaml(doc: Any) -> str:
    """YAML text of ``doc``; :class:`Raw` values are pasted in verbatim."""
    raws: list[str] = []

    def swap(value: Any) -> Any:
        if isinstance(value, Raw):
            raws.append(str(value))
            return f"RAWTOKEN{len(raws) - 1}X"
        if isinstance(value, dict):
            return {swap(k) if isinstance(k, Raw) else k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**4000:
            return swap(Raw(str(value)))
        return value

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(swap(doc), Dumper=dumper, sort_keys=False, allow_unicode=True, width=10**6)
    for i, raw in enumerate(raws):
        text = text.replace(f"RAWTOKEN{i}X", raw)
    return text


TEXT_SNIPPETS = [
    "\n",
    ":",
    ": ",
    "- ",
    "\t",
    "[",
    "]",
    "{",
    "'",
    '"',
    "#",
    "&a ",
    "*a",
    "!!python/object:os.system ",
    "<<: *a\n",
    "\x00",
    "\x07",
    "\ufeff",
    "\u2028",
    "💯",
    "%YAML 1.1\n---\n",
    "---\n",
    "...\n",
    HUGE_DIGITS,
    "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
]


@st.composite
def mutated_bytes(draw: st.DrawFn, text: str, chance: float = 0.35) -> bytes:
    """``text`` as UTF-8, sometimes damaged: truncated, a snippet inserted, a line deleted or
    repeated, indentation shifted, invalid UTF-8 or a BOM added."""
    data = text.encode("utf-8")
    if not draw(st.floats(0, 1)) < chance:
        return data
    for _ in range(draw(st.integers(1, 3))):
        op = draw(
            st.sampled_from(["truncate", "insert", "delete", "repeat", "indent", "bytes", "bom"])
        )
        lines = data.split(b"\n")
        if op == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif op == "insert":
            where = draw(st.integers(0, len(data)))
            snippet = draw(st.one_of(st.sampled_from(TEXT_SNIPPETS), st.text(max_size=8)))
            data = data[:where] + snippet.encode("utf-8", "surrogatepass") + data[where:]
        elif op in ("delete", "repeat", "indent") and lines:
            i = draw(st.integers(0, len(lines) - 1))
            if op == "delete":
                del lines[i]
            elif op == "repeat":
                lines.insert(i, lines[i])
            else:
                lines[i] = b" " + lines[i]
            data = b"\n".join(lines)
        elif op == "bytes":
            where = draw(st.integers(0, len(data)))
            data = (
                data[:where]
                + draw(st.sampled_from([b"\xff", b"\xc3", b"\x00", b"\xed\xa0\x80"]))
                + data[where:]
            )
        elif op == "bom":
            data = b"\xef\xbb\xbf" + data
    return data


# --- tables ----------------------------------------------------------------------------------

CELL_VALUES = [
    "",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e300",
    "-1e300",
    "1e-320",
    "9" * 400,
    "-1",
    "0",
    "1.5",
    "abc",
    '"quoted, comma"',
    '"unterminated',
    "\x00",
    "💯",
    "2025-13-45",
    "2025-01-01 25:61",
    "9999-12-31",
    "0001-01-01",
    "true",
]


def cell_values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(CELL_VALUES),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(min_value=-(2**80), max_value=2**80).map(str),
        st.text(max_size=10),
    )


@st.composite
def mutated_rows(draw: st.DrawFn, rows: list[list[str]], max_mutations: int = 4) -> list[list[str]]:
    """A table (header first) with cells replaced, cells added or cut (short and long rows),
    rows deleted or repeated, header names replaced or repeated."""
    rows = [list(r) for r in rows]
    for _ in range(draw(st.integers(1, max_mutations))):
        op = draw(
            st.sampled_from(["cell", "cell", "cell", "cut", "extend", "drop", "repeat", "header"])
        )
        i = draw(st.integers(0, len(rows) - 1)) if rows else 0
        if not rows:
            rows.append([draw(cell_values())])
        elif op == "cell" and rows[i]:
            j = draw(st.integers(0, len(rows[i]) - 1))
            rows[i][j] = draw(cell_values())
        elif op == "cut":
            rows[i] = rows[i][: draw(st.integers(0, len(rows[i])))]
        elif op == "extend":
            rows[i] = rows[i] + [draw(cell_values())]
        elif op == "drop":
            del rows[i]
        elif op == "repeat":
            rows.insert(i, list(rows[i]))
        elif op == "header" and rows[0]:
            j = draw(st.integers(0, len(rows[0]) - 1))
            rows[0][j] = draw(st.one_of(st.sampled_from(rows[0]), st.text(max_size=6)))
    return rows


def csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def finite(x: float) -> bool:
    return isinstance(x, float) and math.isfinite(x)


def json_text(doc: Any) -> str:
    """JSON as Python writes it (NaN and Infinity allowed, as a broken writer might)."""
    return json.dumps(doc, allow_nan=True, default=str)


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    path.write_bytes(data)
    return path


def examples() -> int:
    """Examples per fuzz test: ``LEAPSIM_FUZZ_EXAMPLES``, else the bounded CI number."""
    return int(os.environ.get("LEAPSIM_FUZZ_EXAMPLES", "0"))
