"""User tables (CSV or Parquet, by the file's suffix): reading them into column arrays, with
errors that name column and row, and writing columns atomically.

Row numbers in messages are 1-based file lines for CSV (the header is line 1) and 1-based row
positions for Parquet.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from leapsim.atomic import write_with_atomic
from leapsim.errors import InputError

_PARQUET_SUFFIXES = {".parquet", ".pq"}
#: Largest whole number a column may hold: every integer up to it is exact in float64.
MAX_WHOLE = 2**53


def row_label(path: Path, index: int) -> int:
    """File line (CSV) or 1-based row (Parquet) of the 0-based data row ``index``."""
    return index + 2 if path.suffix.lower() not in _PARQUET_SUFFIXES else index + 1


def read_arrow_table(path: str | os.PathLike[str]) -> pa.Table:
    """Read a CSV or Parquet file into an Arrow table, or raise :class:`InputError`. Messages
    never quote the file's bytes (a binary file given as CSV is named as such)."""
    p = Path(path)
    if not p.is_file():
        raise InputError.at("file not found", file=str(p))
    parquet = p.suffix.lower() in _PARQUET_SUFFIXES
    if not parquet:
        with open(p, "rb") as fh:
            if b"\x00" in fh.read(8192):
                raise InputError.at(
                    "binary data, not a CSV text file", file=str(p), hint="give CSV or Parquet"
                )
    try:
        table = pq.read_table(p) if parquet else pacsv.read_csv(p)
        table.column_names  # noqa: B018 - decoded lazily: a non-UTF-8 header fails here
        return table
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError.at(
            f"cannot read table: {_without_content(str(exc))}",
            file=str(p),
            hint="expected CSV with a header, or Parquet",
        ) from None
    except UnicodeDecodeError:
        raise InputError.at(
            "cannot read table: the header is not UTF-8 text", file=str(p), line=1
        ) from None


def _without_content(message: str) -> str:
    """An Arrow error message without the row or value it quotes (``CSV parse error: Expected
    3 columns, got 2: <row>`` keeps the part before the row)."""
    first = message.splitlines()[0] if message else "unknown error"
    return ": ".join(first.split(": ")[:2])


def read_numeric_columns(
    path: str | os.PathLike[str],
    required: Sequence[str],
    optional: Sequence[str] = (),
    *,
    integer: Sequence[str] = (),
    nondecreasing: str | None = None,
    max_abs: Mapping[str, float] | None = None,
) -> dict[str, np.ndarray]:
    """Read numeric columns from a CSV/Parquet file and validate them.

    Returns a dict of float64 arrays (int64 for columns listed in ``integer``); optional columns
    that are absent are left out. Raises :class:`InputError` naming the column and row for a
    repeated or missing required column, a non-numeric or NaN value, a value beyond
    ``max_abs[column]`` in size, or (``nondecreasing``) a time column that goes backwards.
    """
    p = Path(path)
    table = read_arrow_table(p)
    names = set(table.column_names)
    repeated = sorted({c for c in table.column_names if table.column_names.count(c) > 1})
    if repeated:
        raise InputError.at(
            f"column(s) {', '.join(repr(c) for c in repeated)} given more than once",
            file=str(p),
            line=1,
            hint="keep one column of each name",
        )
    missing = [c for c in required if c not in names]
    if missing:
        raise InputError.at(
            f"missing column(s) {', '.join(repr(c) for c in missing)}",
            file=str(p),
            line=1,
            hint=f"needed: {', '.join(required)}; found: {', '.join(table.column_names)}",
        )
    out: dict[str, np.ndarray] = {}
    for name in [*required, *[c for c in optional if c in names]]:
        column = table.column(name)
        try:
            values = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise InputError.at(
                f"column {name!r} is not numeric", file=str(p), field=name, hint="use plain numbers"
            ) from None
        values = np.asarray(values, dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise InputError.at(
                f"column {name!r} has a missing or non-finite value",
                file=str(p),
                line=row_label(p, int(bad[0])),
                field=name,
                hint=f"{bad.size} bad row(s) in all; every row needs a finite number",
            )
        limit = (max_abs or {}).get(name)
        if limit is not None and np.any(np.abs(values) > limit):
            row = int(np.flatnonzero(np.abs(values) > limit)[0])
            raise InputError.at(
                f"column {name!r} holds {values[row]:g}, beyond ±{limit:g}",
                file=str(p),
                line=row_label(p, row),
                field=name,
                hint="check the unit",
            )
        if name in integer:
            wrong = np.flatnonzero((values != np.round(values)) | (np.abs(values) > MAX_WHOLE))
            if wrong.size:
                raise InputError.at(
                    f"column {name!r} must hold whole numbers within ±{MAX_WHOLE:,}",
                    file=str(p),
                    line=row_label(p, int(wrong[0])),
                    field=name,
                )
            values = values.astype(np.int64)
        out[name] = values
    if nondecreasing is not None and nondecreasing in out:
        steps = np.diff(out[nondecreasing])
        back = np.flatnonzero(steps < 0)
        if back.size:
            row = int(back[0]) + 1
            raise InputError.at(
                f"column {nondecreasing!r} goes backwards "
                f"({out[nondecreasing][row - 1]} then {out[nondecreasing][row]})",
                file=str(p),
                line=row_label(p, row),
                field=nondecreasing,
                hint="sort the rows by time",
            )
    return out


def write_table(path: str | os.PathLike[str], columns: Mapping[str, np.ndarray]) -> None:
    """Write ``columns`` to ``path`` atomically: Parquet for ``.parquet``/``.pq``, else ``.csv``;
    any other suffix is an :class:`InputError` naming ``--out``."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (*_PARQUET_SUFFIXES, ".csv"):
        raise InputError.at(
            f"unknown output type {suffix or '(none)'!r}",
            file=str(p),
            field="--out",
            hint="name the file .csv or .parquet",
        )
    table = pa.table(dict(columns))
    if suffix in _PARQUET_SUFFIXES:
        write_with_atomic(p, lambda tmp: pq.write_table(table, tmp))
    else:
        write_with_atomic(p, lambda tmp: pacsv.write_csv(table, tmp))
