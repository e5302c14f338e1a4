"""Reading the Ukrainian Air Force daily report table (``missile_attacks_daily.csv``).

Format: one row per weapon type per report, with ``time_start``/``time_end`` (``YYYY-MM-DD`` or
``YYYY-MM-DD HH:MM``), ``model``, ``launched`` and, optionally, ``destroyed``,
``not_reach_goal``, ``is_shahed`` (real Shaheds among ``launched``, from July 2025), ``target``
and ``source`` (the permalink of the report). Source: Air Force Command of the Armed Forces of
Ukraine, digitised by Petro Ivaniuk (Kaggle ``piterfm/massive-missile-attacks-on-ukraine``).

Rows are returned as columns (struct of arrays). A row counts as *national* when its report is
the Air Force Command's (``kpszsu``), the General Staff's or the Commander-in-Chief's, or its
target is all of Ukraine; other rows are regional commands' reports (``PvKPivden``,
``PvkZahid``, …), which overlap the national ones.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from leapsim.errors import InputError, quoted
from leapsim.threats.families import FAMILIES, classify_model

REQUIRED_COLUMNS = ("time_start", "time_end", "model", "launched")
OPTIONAL_NUMBERS = ("destroyed", "not_reach_goal", "is_shahed")
NATIONAL_CHANNELS = frozenset({"kpszsu", "generalstaff.ua", "cincafu"})
_SOCIAL_HOSTS = frozenset({"t.me", "facebook.com", "www.facebook.com", "m.facebook.com"})
#: Report dates must fall in these years (the reports start in 2022); a typo like 0001-01-01
#: would otherwise stretch the fit window over millennia.
REPORT_YEARS = (2000, 2100)
#: Largest count in one report row (the largest raid so far, 810 launched, is far below it).
MAX_COUNT = 100_000
_YEARS = f"{REPORT_YEARS[0]} to {REPORT_YEARS[1]}"
_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


@dataclass(frozen=True)
class ReportRows:
    """Report rows as columns. Times are ``datetime64[m]``; missing numbers are NaN."""

    file: str
    sha256: str
    line: np.ndarray  # int64, file line of the row (header = line 1)
    start: np.ndarray  # datetime64[m]
    end: np.ndarray  # datetime64[m]
    model: np.ndarray  # object (str)
    family: np.ndarray  # int8 index into FAMILIES
    uav: np.ndarray  # bool
    national: np.ndarray  # bool
    launched: np.ndarray  # float64
    destroyed: np.ndarray  # float64
    not_reach_goal: np.ndarray  # float64
    is_shahed: np.ndarray  # float64
    unmapped_models: tuple[str, ...]  # model names not in the family table (counted as "other")
    columns: tuple[str, ...] = ()  # the header of the file

    def __len__(self) -> int:
        return int(self.line.size)


def source_channel(source: str) -> str:
    """The publishing channel of a ``source`` permalink, lower-case.

    ``kpszsu/posts/…`` and ``https://t.me/kpszsu/60825`` both give ``kpszsu``.
    """
    text = re.sub(r"^https?://", "", source.strip())
    parts = [p for p in text.split("/") if p]
    if not parts:
        return ""
    if parts[0].casefold() in _SOCIAL_HOSTS and len(parts) > 1:
        return parts[1].casefold()
    return parts[0].casefold()


def parse_time(text: str) -> np.datetime64 | None:
    """Parse ``YYYY-MM-DD`` or ``YYYY-MM-DD H:MM[:SS]`` to ``datetime64[m]`` (None if invalid or
    outside :data:`REPORT_YEARS`)."""
    m = _TIME.fullmatch(text.strip())
    if m is None:
        return None
    year, month, day, hour, minute, _ = m.groups()
    if not REPORT_YEARS[0] <= int(year) <= REPORT_YEARS[1]:
        return None
    try:
        stamp = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
    except ValueError:
        return None
    return np.datetime64(stamp, "m")


def _number(text: str, *, file: str, line: int, column: str) -> float:
    """A whole count from 0 to :data:`MAX_COUNT` (``12`` or ``12.0``); blank gives NaN."""
    text = text.strip()
    if not text or text.casefold() == "nan":
        return math.nan
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or value != round(value) or value > MAX_COUNT:
        raise InputError.at(
            f"{quoted(text)} is not a count",
            file=file,
            line=line,
            field=column,
            hint=f"give a whole number from 0 to {MAX_COUNT:,}, or leave the cell empty",
        )
    return value


def _records(reader: Iterator[list[str]], file: str) -> Iterator[list[str]]:
    """The rows of ``reader``; a row the csv module cannot split (a field longer than its limit,
    a NUL byte) is an :class:`InputError` naming the line."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError.at(
                f"cannot read the row: {exc}",
                file=file,
                line=getattr(reader, "line_num", 0) or None,
                hint="is this the report table (CSV, UTF-8)?",
            ) from None


def read_reports(path: str | os.PathLike[str]) -> ReportRows:
    """Read a report CSV; raise :class:`InputError` naming file line and column on bad data.

    Rows with an empty ``launched`` are kept with NaN (the night grouping skips them).
    """
    p = Path(path)
    file = str(p)
    if not p.is_file():
        raise InputError.at("file not found", file=file)
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError.at(f"not UTF-8 text ({exc.reason})", file=file) from None
    reader = csv.reader(text.splitlines(keepends=True))
    records = _records(reader, file)
    try:
        header = [h.strip() for h in next(records)]
    except StopIteration:
        raise InputError.at("empty file", file=file, hint="expected a CSV with a header") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError.at(
            f"missing column(s) {', '.join(repr(c) for c in missing)}",
            file=file,
            line=1,
            field=missing[0],
            hint=f"a report table needs the columns {', '.join(REQUIRED_COLUMNS)}",
        )
    col = {name: header.index(name) for name in header}
    has_channel = "source" in col or "target" in col

    lines: list[int] = []
    starts: list[np.datetime64] = []
    ends: list[np.datetime64] = []
    models: list[str] = []
    families: list[int] = []
    uavs: list[bool] = []
    nationals: list[bool] = []
    numbers: dict[str, list[float]] = {c: [] for c in ("launched", *OPTIONAL_NUMBERS)}
    unmapped: set[str] = set()
    previous_end = reader.line_num
    for record in records:
        line = previous_end + 1
        previous_end = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            raise InputError.at(
                f"the row has {len(record)} fields, the header {len(header)}",
                file=file,
                line=line,
                hint="a row cut short or with an unquoted comma; quote cells that hold commas",
            )

        def cell(name: str, record: list[str] = record) -> str:
            index = col.get(name)
            return record[index] if index is not None and index < len(record) else ""

        start = parse_time(cell("time_start"))
        if start is None:
            raise InputError.at(
                f"cannot read the date {quoted(cell('time_start'))}",
                file=file,
                line=line,
                field="time_start",
                hint=f"use YYYY-MM-DD or YYYY-MM-DD HH:MM, years {_YEARS}",
            )
        end_text = cell("time_end")
        end = parse_time(end_text) if end_text.strip() else start
        if end is None:
            raise InputError.at(
                f"cannot read the date {quoted(end_text)}",
                file=file,
                line=line,
                field="time_end",
                hint=f"use YYYY-MM-DD or YYYY-MM-DD HH:MM, years {_YEARS}, or leave it empty",
            )
        if end < start:
            raise InputError.at(
                f"the report ends ({end_text.strip()}) before it starts "
                f"({cell('time_start').strip()})",
                file=file,
                line=line,
                field="time_end",
            )
        model = cell("model").strip()
        if not model:
            raise InputError.at(
                "empty weapon model", file=file, line=line, field="model", hint="name the weapon"
            )
        weapon = classify_model(model)
        if weapon is None:
            unmapped.add(model)
            family, uav = FAMILIES.index("other"), False
        else:
            family, uav = FAMILIES.index(weapon.family), weapon.uav
        for name, values in numbers.items():
            values.append(_number(cell(name), file=file, line=line, column=name))
        launched, shahed = numbers["launched"][-1], numbers["is_shahed"][-1]
        if shahed > launched:
            raise InputError.at(
                f"is_shahed ({shahed:.0f}) exceeds launched ({launched:.0f})",
                file=file,
                line=line,
                field="is_shahed",
                hint="is_shahed counts the real Shaheds among the launched drones",
            )
        national = (
            not has_channel
            or source_channel(cell("source")) in NATIONAL_CHANNELS
            or cell("target").strip().casefold() == "ukraine"
        )
        lines.append(line)
        starts.append(start)
        ends.append(end)
        models.append(model)
        families.append(family)
        uavs.append(uav)
        nationals.append(national)

    return ReportRows(
        file=file,
        sha256=hashlib.sha256(raw).hexdigest(),
        line=np.asarray(lines, dtype=np.int64),
        start=np.asarray(starts, dtype="datetime64[m]"),
        end=np.asarray(ends, dtype="datetime64[m]"),
        model=np.asarray(models, dtype=object),
        family=np.asarray(families, dtype=np.int8),
        uav=np.asarray(uavs, dtype=bool),
        national=np.asarray(nationals, dtype=bool),
        launched=np.asarray(numbers["launched"], dtype=np.float64),
        destroyed=np.asarray(numbers["destroyed"], dtype=np.float64),
        not_reach_goal=np.asarray(numbers["not_reach_goal"], dtype=np.float64),
        is_shahed=np.asarray(numbers["is_shahed"], dtype=np.float64),
        unmapped_models=tuple(sorted(unmapped)),
        columns=tuple(header),
    )
