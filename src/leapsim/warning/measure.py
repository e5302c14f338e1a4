"""The Monte Carlo of a placement: one :class:`~leapsim.experiments.Study` task per (placement,
incursion set), compared on common random numbers (``docs/warning.md``, "Measures").

Replication r draws its incursions from stream key ``(0,)`` — the same drones for every
placement run with the same seed — and the scans of group g from key ``(1, g)``; the clutter
run uses key ``(2,)``.

Per drone: detected (a confirmed track held it), first detection, confirmed-track and
classification times, the site it reaches and when, its deadline, *warned in time* (the
planning objective's test, on the confirmed-track time), and the warning time: arrival minus
confirmed-track time for a drone that reaches a site (0 when no confirmed track came before
it arrived; NaN for a drone that reaches none). Per replication: the share detected, the share
warned in time, the mean warning time, the mean time from crossing to confirmed track; with
``clutter``, false tracks and false alerts per day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leapsim.experiments import ItemResult, Replication, row
from leapsim.warning.cover import deadlines
from leapsim.warning.incursions import generate_incursions, site_arrivals
from leapsim.warning.model import WarningModel
from leapsim.warning.placement import Placement
from leapsim.warning.simulate import simulate_clutter, simulate_group

INCURSIONS, GROUP_SCANS, CLUTTER = 0, 1, 2  # stream keys of a replication


def _mean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


@dataclass(frozen=True)
class WarningTask:
    """One replication of a placement against an incursion set (``case`` −1: the study's
    generator, else ``model.cases[case]``), and with ``clutter`` a clutter window."""

    model: WarningModel
    placement: Placement
    case: int = -1
    clutter: bool = False

    def __call__(self, replication: Replication) -> ItemResult:
        model = self.model
        params = model.incursions if self.case < 0 else model.cases[self.case]
        flights = generate_incursions(model, params, replication.rng(INCURSIONS))
        site, arrival = site_arrivals(flights, model.sites)
        n = len(flights)
        first = np.full(n, np.nan)
        confirmed = np.full(n, np.nan)
        classified = np.full(n, np.nan)
        false_tracks = 0
        for g in np.unique(flights.group):
            idx = np.flatnonzero(flights.group == g)
            outcome = simulate_group(
                model, self.placement, flights.select(idx), replication.rng(GROUP_SCANS, int(g))
            )
            first[idx] = outcome.first_detection_s
            confirmed[idx] = outcome.confirmed_s
            classified[idx] = outcome.classified_s
            false_tracks += outcome.false_tracks
        deadline = deadlines(flights, arrival, 60.0 * model.plan.warning_min)
        reaches = np.isfinite(arrival)
        detected = np.isfinite(confirmed)
        warned = detected & (confirmed <= deadline)
        before = detected & (confirmed < arrival)
        warning = np.where(reaches, np.where(before, arrival - confirmed, 0.0), np.nan)
        run = replication.index
        drones = {
            "run": np.full(n, run, np.int64),
            "drone": np.arange(n, dtype=np.int64),
            "group": flights.group,
            "type": flights.type_index,
            "mission": flights.mission,
            "altitude_m": flights.altitude_m,
            "speed_mps": flights.speed_mps,
            "emitting": flights.emitting,
            "crossing_s": flights.crossing_time_s,
            "site": site,
            "arrival_s": arrival,
            "deadline_s": deadline,
            "first_detection_s": first,
            "confirmed_s": confirmed,
            "classified_s": classified,
            "detected": detected,
            "warned": warned,
            "warning_s": warning,
            "crossing_to_track_s": confirmed - flights.crossing_time_s,
        }
        summary = {
            "run": run,
            "drones": n,
            "p_detect": float(detected.mean()) if n else float("nan"),
            "share_warned": float(warned.mean()) if n else float("nan"),
            "warning_min": _mean(warning) / 60.0,
            "crossing_to_track_min": _mean(confirmed - flights.crossing_time_s) / 60.0,
            "p_classified": float(np.isfinite(classified).mean()) if n else float("nan"),
            "incursion_false_tracks": false_tracks,
        }
        if self.clutter:
            clutter = simulate_clutter(model, self.placement, replication.rng(CLUTTER))
            summary.update(
                birds=clutter.birds,
                false_tracks_per_day=clutter.false_tracks_per_day,
                false_alerts_per_day=clutter.false_alerts_per_day,
            )
        return ItemResult({"drones": drones, "runs": row(summary)})
