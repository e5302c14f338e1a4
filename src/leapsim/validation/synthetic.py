"""Synthetic report tables from a scenario with known parameters (for recovery tests).

Night ``n`` of ``nights`` from ``start`` gets, for each given weapon component, a Poisson number
of launches, written as one national report row (18:00 to 08:00 the next morning). The
outcomes come from replaying those nights through the scenario with the given parameter values
(:func:`leapsim.validation.replay.replay_night`, night ``n`` on its own stream of ``seed``), so
a calibration of the same scenario on the file should recover the values. Each component must
belong to a different outcome family (one row per family and night).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from leapsim.atomic import write_with_atomic
from leapsim.scenario import ResolvedScenario
from leapsim.seeds import run_rng
from leapsim.threats.families import classify_model
from leapsim.threats.outcomes import OUTCOME_FAMILIES
from leapsim.validation.replay import build_plan, replay_night
from leapsim.validation.window import reported_window

HEADER = ("time_start", "time_end", "model", "launch_place", "target", "launched", "destroyed",
          "not_reach_goal", "is_shahed", "source")  # fmt: skip


def _write(path: Path, rows: list[tuple]) -> None:
    def writer(tmp: Path) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(HEADER)
            out.writerows(rows)

    write_with_atomic(path, writer)


def write_synthetic_reports(
    path: str | os.PathLike[str],
    resolved: ResolvedScenario,
    values: Sequence[float],
    start: dt.date,
    nights: int,
    mean_launches: Mapping[str, float],
    seed: int,
) -> None:
    """Write the synthetic report table (see the module docstring) to ``path``."""
    path = Path(path)
    family = {}
    for component in mean_launches:
        weapon = classify_model(component)
        name = "drone" if weapon and weapon.family == "decoy" else weapon and weapon.family
        if name not in OUTCOME_FAMILIES or name in family.values():
            raise ValueError(f"{component!r}: one component per outcome family is needed")
        family[component] = name
    rng = np.random.default_rng(seed)
    launches = {c: rng.poisson(m, nights) for c, m in mean_launches.items()}
    dates = [start + dt.timedelta(days=n) for n in range(nights)]

    def rows(destroyed: dict[str, np.ndarray]) -> list[tuple]:
        out = []
        for n, day in enumerate(dates):
            for c in mean_launches:
                if launches[c][n] > 0:
                    out.append((f"{day} 18:00", f"{day + dt.timedelta(days=1)} 08:00", c, "",
                                "Ukraine", int(launches[c][n]), int(destroyed[c][n]), 0, "",
                                "kpszsu/synthetic"))  # fmt: skip
        return out

    _write(path, rows({c: np.zeros(nights, np.int64) for c in mean_launches}))
    reported = reported_window(path, np.datetime64(dates[0]), np.datetime64(dates[-1]))
    plan = build_plan(resolved, reported)
    index = {str(d): i for i, d in enumerate(plan.nights)}
    destroyed = {c: np.zeros(nights, np.int64) for c in mean_launches}
    for n, day in enumerate(dates):
        i = index[str(np.datetime64(day))]
        result = replay_night(plan, i, run_rng(seed, n), tuple(values))
        for c, fam in family.items():
            destroyed[c][n] = result[len(OUTCOME_FAMILIES) + OUTCOME_FAMILIES.index(fam)]
    _write(path, rows(destroyed))
