"""Per-night metrics: one flat dict of numbers per run (a row of ``runs.parquet``).

Totals: launched, killed, leaked, airborne, shots, value lost, defender spend (Σ engagements ×
rounds × cost per round), attacker spend (Σ unit cost of launched threats), cost-exchange ratio
(defender / attacker spend), cost per kill, leak rate; in tracked sensing also the false tracks
and the engagements (shots, jamming included) spent on them, which count in shots and defender
spend but not in launched/killed/leaked/airborne. Per threat type ``T``: ``launched.T``,
``killed.T``, ``leaked.T``; per effector type ``E``: ``shots.E``, ``kills.E``, ``spend_eur.E``,
``rounds_left.E``; per site ``S``: ``value_lost_eur.S``.
"""

from __future__ import annotations

import numpy as np

from leapsim.engine.codes import AIRBORNE, KILL, KILLED, LEAKED, NOT_LAUNCHED
from leapsim.engine.night import NightOutcome

TOTAL_METRICS = (
    "launched",
    "killed",
    "leaked",
    "airborne",
    "shots",
    "value_lost_eur",
    "defender_spend_eur",
    "attacker_spend_eur",
    "cost_exchange_ratio",
    "cost_per_kill_eur",
    "leak_rate",
    "false_tracks",
    "shots_at_false_tracks",
)


def night_metrics(outcome: NightOutcome) -> dict[str, float]:
    """The metrics row of one night."""
    params, raid = outcome.params, outcome.raid
    tt, et = params.threat_types, params.effector_types
    n_real = raid.n_real
    fate = outcome.fate[:n_real]
    launched = fate != NOT_LAUNCHED
    eng = outcome.engagements
    unit_etype = params.unit_type[eng["unit"]]
    kills = eng["outcome"] == KILL

    n_types = len(tt.names)
    real_type = raid.type[:n_real]
    launched_by = np.bincount(real_type[launched], minlength=n_types)
    killed_by = np.bincount(real_type[fate == KILLED], minlength=n_types)
    leaked_by = np.bincount(real_type[fate == LEAKED], minlength=n_types)
    n_eff = len(et.names)
    shots_by = np.bincount(unit_etype, minlength=n_eff)
    kills_by = np.bincount(unit_etype[kills], minlength=n_eff)
    spend_by = np.bincount(unit_etype, weights=eng["cost"], minlength=n_eff)
    rounds_by = np.bincount(params.unit_type, weights=outcome.rounds_left, minlength=n_eff)
    lost_by_site = params.site_value_eur - outcome.site_value_left_eur

    defender = float(eng["cost"].sum())
    attacker = float(tt.unit_cost_eur[real_type[launched]].sum())
    n_killed = int((fate == KILLED).sum())
    n_launched = int(launched.sum())
    row: dict[str, float] = {
        "launched": n_launched,
        "killed": n_killed,
        "leaked": int((fate == LEAKED).sum()),
        "airborne": int((fate == AIRBORNE).sum()),
        "shots": int(eng["unit"].size),
        "value_lost_eur": float(lost_by_site.sum()),
        "defender_spend_eur": defender,
        "attacker_spend_eur": attacker,
        "cost_exchange_ratio": defender / attacker if attacker > 0 else float("nan"),
        "cost_per_kill_eur": defender / n_killed if n_killed else float("nan"),
        "leak_rate": int((fate == LEAKED).sum()) / n_launched if n_launched else float("nan"),
        "false_tracks": raid.n_false,
        "shots_at_false_tracks": int((eng["threat"] >= n_real).sum()),
    }
    for i, name in enumerate(tt.names):
        row[f"launched.{name}"] = int(launched_by[i])
        row[f"killed.{name}"] = int(killed_by[i])
        row[f"leaked.{name}"] = int(leaked_by[i])
    for i, name in enumerate(et.names):
        row[f"shots.{name}"] = int(shots_by[i])
        row[f"kills.{name}"] = int(kills_by[i])
        row[f"spend_eur.{name}"] = float(spend_by[i])
        row[f"rounds_left.{name}"] = int(rounds_by[i])
    for i, name in enumerate(params.site_names):
        row[f"value_lost_eur.{name}"] = float(lost_by_site[i])
    return row
