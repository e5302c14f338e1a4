"""The reported nights of a hindcast or calibration window, checked for what validation needs.

Reads the report table (:func:`leapsim.threats.read_reports`), groups it into nights
(:func:`leapsim.threats.group_nights`: the evening's date, national rows with regional missile
fill-in) and reads the reported outcomes (:func:`leapsim.threats.outcomes.reported_outcomes`).
Validation compares outcomes, so the file must have the ``destroyed`` column besides the ones
every report table needs, and the window must hold at least one night with launches.
"""

from __future__ import annotations

import os

import numpy as np

from leapsim.errors import InputError
from leapsim.threats import group_nights, read_reports
from leapsim.threats.outcomes import ReportedNights, reported_outcomes

OUTCOME_COLUMNS = ("destroyed",)


def reported_window(
    path: str | os.PathLike[str], since: np.datetime64 | None, until: np.datetime64 | None
) -> ReportedNights:
    """The nights ``since..until`` (inclusive) of a report file with their reported outcomes."""
    rows = read_reports(path)
    missing = [c for c in OUTCOME_COLUMNS if c not in rows.columns]
    if missing:
        raise InputError.at(
            f"missing column(s) {', '.join(repr(c) for c in missing)}",
            file=rows.file,
            line=1,
            field=missing[0],
            hint="validation compares reported outcomes: the table needs destroyed "
            "(and not_reach_goal where drones were lost to EW)",
        )
    reported = reported_outcomes(rows, group_nights(rows, since, until))
    if not any(f.launched.sum() for f in reported.families.values()):
        first, last = reported.nights[0], reported.nights[-1]
        raise InputError.at(
            f"no night from {first} to {last} reports drones or missiles",
            file=rows.file,
            field="--since/--until",
            hint="choose a window with reported attacks",
        )
    return reported
