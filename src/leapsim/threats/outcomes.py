"""What the reports say happened to each night's launches, on the rows the night grouping counts.

:func:`leapsim.threats.group_nights` decides which report rows make up each night (national rows,
regional missile rows only as fill-in); this module reads, from exactly those rows, the reported
outcome of every family and the night's launches per weapon *component* (for replaying a night
type by type).

**Neutralised** is ``destroyed + not_reach_goal``: until July 2025 drones lost to electronic
warfare ("locationally lost") are reported in ``not_reach_goal``, from August 2025 inside
``destroyed`` (``docs/threat_model.md``, "The August 2025 counting change"), so only the sum is
comparable across the window. ``lost`` keeps ``not_reach_goal`` alone. A night-family whose rows
leave ``destroyed`` empty has an unknown outcome (``known`` False); an empty ``not_reach_goal``
counts as 0. These are official Ukrainian claims, not independent measurements.

**Components.** A row's ``model`` may name several weapons with one count ("X-101/X-555 and
Kalibr"). Its count is split evenly over the components of the row's own family, the first ones
taking the remainder (7 over two components: 4 and 3); components of another family get none,
so per-family totals equal :attr:`NightTable.counts`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leapsim.threats.families import FAMILIES, classify_model, split_components
from leapsim.threats.nights import NightTable
from leapsim.threats.reports import ReportRows

#: Outcome families: the reports' Shahed-type count (drones and decoys together) and missiles.
OUTCOME_FAMILIES = ("drone", "cruise_missile", "ballistic_missile")
_COUNT_KEY = {"drone": "shahed_type", "cruise_missile": "cruise_missile",
              "ballistic_missile": "ballistic_missile"}  # fmt: skip


@dataclass(frozen=True)
class FamilyOutcomes:
    """Per night (aligned with :attr:`NightTable.nights`) for one outcome family."""

    launched: np.ndarray  # int64
    neutralised: np.ndarray  # int64, destroyed + not_reach_goal (0 where unknown)
    lost: np.ndarray  # int64, not_reach_goal alone
    known: np.ndarray  # bool: every counted row gives ``destroyed``


@dataclass(frozen=True)
class ReportedNights:
    """A night table with the reported outcomes and the launches per weapon component."""

    table: NightTable
    families: dict[str, FamilyOutcomes]
    components: dict[str, np.ndarray]  # component name -> (N,) int64 launches

    @property
    def nights(self) -> np.ndarray:
        return self.table.nights


def _family_codes(family: str) -> list[int]:
    if family == "drone":
        return [FAMILIES.index("drone"), FAMILIES.index("decoy")]
    return [FAMILIES.index(family)]


def reported_outcomes(rows: ReportRows, table: NightTable) -> ReportedNights:
    """Outcomes and component launches of the nights of ``table`` (grouped from ``rows``)."""
    n = table.nights.size
    used, night = table.used_rows, table.used_night
    launched = np.nan_to_num(rows.launched[used])
    destroyed = rows.destroyed[used]
    lost = np.nan_to_num(rows.not_reach_goal[used])
    family = rows.family[used]

    def per_night(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        total = np.bincount(night[mask], weights=values[mask], minlength=n)[:n]
        return np.rint(total).astype(np.int64)

    families: dict[str, FamilyOutcomes] = {}
    for name in OUTCOME_FAMILIES:
        mask = np.isin(family, _family_codes(name))
        unknown = mask & ~np.isfinite(destroyed)
        known = np.bincount(night[unknown], minlength=n)[:n] == 0
        count = per_night(launched, mask)
        if not np.array_equal(count, table.counts[_COUNT_KEY[name]]):
            raise AssertionError(f"{name}: rows and night table disagree")  # a programming error
        neutral = per_night(np.nan_to_num(destroyed) + lost, mask)
        families[name] = FamilyOutcomes(
            launched=count,
            neutralised=np.where(known, np.minimum(neutral, count), 0),
            lost=np.where(known, np.minimum(per_night(lost, mask), count), 0),
            known=known,
        )

    components: dict[str, np.ndarray] = {}
    for row, (model, total, fam) in enumerate(zip(rows.model[used], launched, family, strict=True)):
        parts = [p for p in split_components(model) if _same_family(p, fam)] or [model]
        share, extra = divmod(round(total), len(parts))
        for i, part in enumerate(parts):
            key = part.casefold()
            counts = components.setdefault(key, np.zeros(n, np.int64))
            counts[night[row]] += share + (1 if i < extra else 0)
    return ReportedNights(table, families, components)


def _same_family(component: str, family_code: int) -> bool:
    weapon = classify_model(component)
    return weapon is not None and FAMILIES.index(weapon.family) == family_code
