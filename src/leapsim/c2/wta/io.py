"""Reading and writing WTA instances (the benchmark text format) and solutions (JSON).

Instance format (Andersen, Pavlikov, Toffolo 2022; github.com/tuliotoffolo/wta, data/): the first
line is ``m n mu`` (weapon types, targets, units of every type); then n lines with one target
value each; then m x n lines ``i j p`` (0-based type and target, kill probability). Blank lines
and lines starting with ``#`` are ignored. Every error names the file and line. Sizes are checked
against the file's length and :data:`MAX_UNITS` before anything is allocated.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from leapsim.atomic import write_json_atomic, write_text_atomic
from leapsim.c2.wta.problem import Solution, WTAProblem
from leapsim.errors import InputError, quoted

#: Most weapons in all (``m x mu``): the search keeps a few numbers per weapon.
MAX_UNITS = 10_000_000

#: Best-known objectives of the 18 benchmark instances in ``../shared/data/wta`` (Andersen,
#: Pavlikov, Toffolo 2022, Annals of Operations Research, doi:10.1007/s10479-022-04525-6; CPLEX,
#: up to 2 h each), keyed ``MxNxMU`` as in the file names ``wta_MxNxMU.txt``.
BEST_KNOWN = {
    "50x100x1": 1734.302257, "50x100x2": 123.838359, "50x100x3": 20.589861,
    "100x200x1": 2862.302609, "100x200x2": 116.057161, "100x200x3": 14.579133,
    "150x300x1": 3740.417450, "150x300x2": 103.150726, "150x300x3": 11.429016,
    "200x400x1": 4970.363244, "200x400x2": 115.447021, "200x400x3": 10.577367,
    "250x500x1": 6689.827836, "250x500x2": 114.350685, "250x500x3": 10.959830,
    "300x600x1": 8136.875861, "300x600x2": 118.543307, "300x600x3": 13.100070,
}  # fmt: skip


def read_instance(path: str | os.PathLike[str]) -> WTAProblem:
    """Read a benchmark instance file, or raise :class:`InputError` naming file and line."""
    p = Path(path)
    if not p.is_file():
        raise InputError.at("file not found", file=str(p))
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.at(f"cannot read file: {exc}", file=str(p)) from None
    lines = [
        (no, line.split())
        for no, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    f = str(p)
    if not lines:
        raise InputError.at("empty file", file=f, line=1, hint="first line must be 'm n mu'")
    no, head = lines[0]
    if len(head) != 3:
        raise InputError.at(
            f"header has {len(head)} fields",
            file=f,
            line=no,
            field="header",
            hint="first line must be 'm n mu': weapon types, targets, units per type",
        )
    m, n, mu = (_int(tok, f, no, name) for tok, name in zip(head, ("m", "n", "mu"), strict=True))
    if m < 1 or n < 1:
        raise InputError.at("m and n must be at least 1", file=f, line=no, field="header")
    if m * mu > MAX_UNITS:
        raise InputError.at(
            f"{m} types x {mu} units = {m * mu:,} weapons, more than {MAX_UNITS:,}",
            file=f,
            line=no,
            field="mu",
            hint="is the header 'm n mu' in that order?",
        )
    body = lines[1:]
    if len(body) < n:
        last = body[-1][0] if body else no
        raise InputError.at(
            f"expected {n} target values, found {len(body)}",
            file=f,
            line=last + 1,
            field="values",
            hint="one value per line after the header",
        )
    values = np.empty(n)
    for k in range(n):
        lno, toks = body[k]
        if len(toks) != 1:
            raise InputError.at(
                f"expected one target value, found {len(toks)} fields",
                file=f,
                line=lno,
                field=f"value of target {k}",
                hint=f"the {n} lines after the header hold one value each",
            )
        values[k] = _number(toks[0], f, lno, f"value of target {k}")
        if values[k] < 0:
            raise InputError.at(
                f"negative target value {values[k]:g}",
                file=f,
                line=lno,
                field=f"value of target {k}",
                hint="values must be >= 0",
            )
    pairs = body[n:]
    if len(pairs) > m * n:
        raise InputError.at(
            f"more than m x n = {m * n} probability lines",
            file=f,
            line=pairs[m * n][0],
            field="probabilities",
            hint="remove the extra lines",
        )
    given: dict[tuple[int, int], float] = {}  # the m x n matrix is made once all lines are read
    for lno, toks in pairs:
        if len(toks) != 3:
            raise InputError.at(
                f"expected 'i j p', found {len(toks)} fields",
                file=f,
                line=lno,
                field="probabilities",
            )
        i = _int(toks[0], f, lno, "i")
        j = _int(toks[1], f, lno, "j")
        if not 0 <= i < m:
            raise InputError.at(
                f"weapon type {i} out of range",
                file=f,
                line=lno,
                field="i",
                hint=f"0-based, 0 <= i < {m}",
            )
        if not 0 <= j < n:
            raise InputError.at(
                f"target {j} out of range",
                file=f,
                line=lno,
                field="j",
                hint=f"0-based, 0 <= j < {n}",
            )
        pk = _number(toks[2], f, lno, "p")
        if not 0.0 <= pk <= 1.0:
            raise InputError.at(
                f"probability {pk:g} outside [0, 1]",
                file=f,
                line=lno,
                field="p",
            )
        if (i, j) in given:
            raise InputError.at(
                f"pair ({i}, {j}) given twice",
                file=f,
                line=lno,
                field="probabilities",
            )
        given[i, j] = pk
    if len(pairs) < m * n:
        raise InputError.at(
            f"expected m x n = {m * n} probability lines 'i j p', found {len(pairs)}",
            file=f,
            line=(pairs[-1][0] if pairs else body[n - 1][0]) + 1,
            field="probabilities",
        )
    prob = np.empty((m, n))
    rows, cols = zip(*given, strict=True)
    prob[list(rows), list(cols)] = list(given.values())
    return WTAProblem(values=values, p=prob, availability=np.full(m, mu, dtype=np.int64))


def _int(tok: str, file: str, line: int, field: str) -> int:
    try:
        value = int(tok)
    except ValueError:
        raise InputError.at(
            f"{quoted(tok)} is not an integer", file=file, line=line, field=field
        ) from None
    if value < 0:
        raise InputError.at(f"negative value {value}", file=file, line=line, field=field)
    return value


def _number(tok: str, file: str, line: int, field: str) -> float:
    try:
        value = float(tok)
    except ValueError:
        raise InputError.at(
            f"{quoted(tok)} is not a number", file=file, line=line, field=field
        ) from None
    if not math.isfinite(value):
        raise InputError.at(
            f"{quoted(tok)} is not a finite number", file=file, line=line, field=field
        )
    return value


def write_instance(problem: WTAProblem, path: str | os.PathLike[str]) -> None:
    """Write ``problem`` in the benchmark format (needs equal availability of every type and no
    costs, shot limits or mask, which the format cannot hold)."""
    mu = np.unique(problem.availability)
    if mu.size != 1 or problem.max_shots is not None or problem.mask is not None:
        raise ValueError("the benchmark format holds one availability for all types, no limits")
    if np.any(problem.cost > 0):
        raise ValueError("the benchmark format cannot hold shot costs")
    m, n = problem.p.shape
    out = [f"{m} {n} {int(mu[0])}"]
    out += [repr(float(x)) for x in problem.values]
    out += [f"{i} {j} {float(problem.p[i, j])!r}" for i in range(m) for j in range(n)]
    write_text_atomic(path, "\n".join(out) + "\n")


def solution_dict(solution: Solution) -> dict:
    """The JSON form: objective, lower_bound (or None), time_s, method, assignment triples."""
    return {
        "objective": float(solution.objective),
        "lower_bound": None if solution.lower_bound is None else float(solution.lower_bound),
        "time_s": float(solution.time_s),
        "method": solution.method,
        "assignment": solution.triples(),
    }


def write_solution(solution: Solution, path: str | os.PathLike[str]) -> None:
    """Write the JSON form of ``solution`` atomically."""
    write_json_atomic(path, solution_dict(solution))
