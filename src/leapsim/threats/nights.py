"""Grouping report rows into attack nights, without double counting.

**Night rule.** A report belongs to the night whose noon-to-noon window holds the *midpoint* of
its period ``[time_start, time_end]``; the night is labelled by the date of its evening. Overnight
reports (typically 18:00-09:00) have midpoints around 01:00, so raids that start early (16:00,
17:00) or end late stay in their own night, which a plain "start in the same 18:00-to-18:00
window" rule would merge into the previous night. Daytime waves join the adjacent night, so a
"night" is an attack day of 24 hours. A date-only report of day D (a morning report) has its
midpoint at D 00:00 and so belongs to the night D-1 -> D that it describes.

**Double counting.** National reports (see :mod:`leapsim.threats.reports`) count every
long-range weapon over Ukraine; regional commands report the part in their zone. Hence:

- UAV rows from regional reports are never used: their Shahed/"unknown UAV" counts are inside the
  national totals and cannot be separated from tactical UAVs;
- a regional missile or bomb row is used only if no national row reports the same family on that
  night (e.g. single Iskander-M strikes on Odesa that the national summary leaves out).

Rows with an empty ``launched`` are skipped and counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leapsim.errors import InputError
from leapsim.threats.families import FAMILIES, MISSILE_FAMILIES
from leapsim.threats.reports import ReportRows

NIGHTS_PER_MONTH = 365.25 / 12.0
COUNTING_CHANGE = np.datetime64("2025-08-01", "D")
COUNT_KEYS = ("shahed_type", *MISSILE_FAMILIES)

_HALF_DAY = np.timedelta64(12 * 60, "m")


def night_of(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Night label (``datetime64[D]``, the evening's date) of report periods ``[start, end]``."""
    start = np.asarray(start, dtype="datetime64[m]")
    end = np.asarray(end, dtype="datetime64[m]")
    mid = start + (end - start) // 2
    return (mid - _HALF_DAY).astype("datetime64[D]")


@dataclass(frozen=True)
class DroneOutcomes:
    """Reported outcomes of national Shahed-type rows over a period (sums over rows)."""

    launched: float
    destroyed: float
    not_reach_goal: float


@dataclass(frozen=True)
class NightTable:
    """Per-night counts over a window of consecutive nights.

    ``counts`` holds ``shahed_type`` (Shaheds and decoys together, as reported), and the missile
    families. ``decoys`` is the number of decoys on nights where it is known (``decoys_known``).
    """

    nights: np.ndarray  # datetime64[D], consecutive
    counts: dict[str, np.ndarray]  # int64 per night
    decoys: np.ndarray  # int64 per night (0 where unknown)
    decoys_known: np.ndarray  # bool per night
    rows_national: int
    rows_regional_used: int
    used_rows: np.ndarray  # int64 index (into the report rows) of every row counted above
    used_night: np.ndarray  # int64 night index of each of those rows
    rows_regional_dropped: int
    rows_without_launched: int
    outcomes_before_change: DroneOutcomes
    outcomes_after_change: DroneOutcomes

    @property
    def month(self) -> np.ndarray:
        """Month index of each night: months since the window start, at mid-night."""
        return (np.arange(self.nights.size) + 0.5) / NIGHTS_PER_MONTH

    @property
    def months(self) -> float:
        """Length of the window in months."""
        return self.nights.size / NIGHTS_PER_MONTH


def _sum_by_night(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    return np.bincount(index, weights=values, minlength=size)[:size]


def _window(since: np.datetime64 | None, until: np.datetime64 | None) -> str:
    """``from 2030-01-01``, ``until 2022-01-31`` or ``between A and B``, as given."""
    if since is not None and until is not None:
        return f"between {since} and {until}"
    return f"from {since}" if since is not None else f"until {until}"


def group_nights(
    rows: ReportRows,
    since: np.datetime64 | None = None,
    until: np.datetime64 | None = None,
) -> NightTable:
    """Group report rows into the nights ``since..until`` (inclusive, clipped to the data)."""
    has_count = np.isfinite(rows.launched)
    night = night_of(rows.start, rows.end)
    if not has_count.any():
        raise InputError.at("no row has a launched count", file=rows.file, field="launched")
    first, last = night[has_count].min(), night[has_count].max()
    start = first if since is None else max(np.datetime64(since, "D"), first)
    end = last if until is None else min(np.datetime64(until, "D"), last)
    if end < start:
        raise InputError.at(
            f"no reports {_window(since, until)}; the file covers nights {first} to {last}",
            file=rows.file,
            hint="choose --since/--until inside the data",
        )
    nights = np.arange(start, end + np.timedelta64(1, "D"), dtype="datetime64[D]")
    n = nights.size
    inside = has_count & (night >= start) & (night <= end)
    idx = (night - start).astype(np.int64)
    launched = np.where(has_count, rows.launched, 0.0)

    fam = rows.family
    national = inside & rows.national
    shahed_rows = national & np.isin(fam, [FAMILIES.index("drone"), FAMILIES.index("decoy")])
    counts = {"shahed_type": _sum_by_night(idx[shahed_rows], launched[shahed_rows], n)}
    regional_used = 0
    used = shahed_rows.copy()
    regional_candidates = inside & ~rows.national & ~rows.uav
    for key in MISSILE_FAMILIES:
        code = FAMILIES.index(key)
        nat = national & (fam == code)
        total = _sum_by_night(idx[nat], launched[nat], n)
        has_national = np.bincount(idx[nat], minlength=n)[:n] > 0
        reg = regional_candidates & (fam == code)
        reg &= ~has_national[np.clip(idx, 0, n - 1)]
        regional_used += int(reg.sum())
        used |= nat | reg
        counts[key] = total + _sum_by_night(idx[reg], launched[reg], n)
    counts = {k: np.rint(v).astype(np.int64) for k, v in counts.items()}

    # decoys where known: every Shahed row of the night carries is_shahed
    drone_rows = national & (fam == FAMILIES.index("drone"))
    decoy_rows = national & (fam == FAMILIES.index("decoy"))
    unknown = drone_rows & ~np.isfinite(rows.is_shahed)
    decoy_count = np.where(drone_rows & ~unknown, launched - np.nan_to_num(rows.is_shahed), 0.0)
    decoy_count = np.where(decoy_rows, launched, decoy_count)
    decoys = np.rint(_sum_by_night(idx[national], decoy_count[national], n)).astype(np.int64)
    known = (np.bincount(idx[unknown], minlength=n)[:n] == 0) & (counts["shahed_type"] > 0)

    def outcomes(mask: np.ndarray) -> DroneOutcomes:
        sel = shahed_rows & mask
        return DroneOutcomes(
            launched=float(launched[sel].sum()),
            destroyed=float(np.nansum(rows.destroyed[sel])),
            not_reach_goal=float(np.nansum(rows.not_reach_goal[sel])),
        )

    regional_in_window = inside & ~rows.national
    return NightTable(
        nights=nights,
        counts=counts,
        decoys=np.where(known, decoys, 0),
        decoys_known=known,
        rows_national=int(national.sum()),
        rows_regional_used=regional_used,
        used_rows=np.flatnonzero(used),
        used_night=idx[used],
        rows_regional_dropped=int(regional_in_window.sum()) - regional_used,
        rows_without_launched=int((~has_count & (night >= start) & (night <= end)).sum()),
        outcomes_before_change=outcomes(night < COUNTING_CHANGE),
        outcomes_after_change=outcomes(night >= COUNTING_CHANGE),
    )
