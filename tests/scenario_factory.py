"""Small scenarios for engine tests, written as YAML (the way a user gives them) and compiled.

The test types have round numbers and no range fall-off, so analytic results are exact:
``test_drone`` flies at 50 m/s and 500 m; ``test_gun`` engages it with ``pk`` at any range.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from leapsim.engine import NightParams, compile_scenario
from leapsim.scenario import load_scenario

ORIGIN = {"lat": 50.0, "lon": 22.0}

TEST_DRONE: dict[str, Any] = {
    "family": "drone",
    "unit_cost_eur": 1000,
    "speed_mps": 50,
    "cruise_altitude_m": 500,
    "rcs_m2": 1.0,
    "damage_fraction": 0.1,
    "range_m": 1_000_000,
    "source": "test type",
}

TEST_GUN: dict[str, Any] = {
    "kind": "gun",
    "cost_per_round_eur": 10,
    "unit_cost_eur": 1000,
    "min_range_m": 100,
    "max_range_m": 20_000,
    "min_altitude_m": 0,
    "max_altitude_m": 5000,
    "fire_channels": 1,
    "engagement_time_s": 5,
    "rounds_per_engagement": 1,
    "magazine": 100,
    "reload_time_s": 60,
    "pk": {"drone": 0.5, "decoy": 0.5},
    "pk_range_falloff": 0.0,
    "source": "test type",
}


def one_site_scenario(
    *,
    count: int = 1,
    gun: dict[str, Any] | None = None,
    unit: dict[str, Any] | None = None,
    doctrine: dict[str, Any] | None = None,
    raid: dict[str, Any] | None = None,
    value_eur: float = 1.0e8,
    duration_s: float = 1200.0,
    time_step_s: float = 1.0,
) -> dict[str, Any]:
    """One site at the origin defended by one ``test_gun`` unit on it, a long-range radar there,
    and ``count`` test drones launched together 30 km east (they arrive after 600 s)."""
    return {
        "name": "engine test",
        "origin": dict(ORIGIN),
        "duration_s": duration_s,
        "time_step_s": time_step_s,
        "sites": [{"name": "Depot", **ORIGIN, "value_eur": value_eur, "nation": "PL"}],
        "sensors": [{"type": "long_range_radar", **ORIGIN, "nation": "PL"}],
        "fire_units": [{"type": "test_gun", **ORIGIN, "nation": "PL", **(unit or {})}],
        "raids": [
            {
                "threat": "test_drone",
                "count": count,
                "launch": {"bearing_deg": 90, "distance_m": 30_000},
                **(raid or {}),
            }
        ],
        "doctrine": {"policy": "max_pk", "max_shots_per_threat": 1, **(doctrine or {})},
        "catalogue": {
            "threat_types": {"test_drone": copy.deepcopy(TEST_DRONE)},
            "effector_types": {"test_gun": {**copy.deepcopy(TEST_GUN), **(gun or {})}},
        },
    }


def write_scenario(directory: Path, data: dict[str, Any], name: str = "scenario.yaml") -> Path:
    """Write a scenario dict as YAML; return its path."""
    path = Path(directory) / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def compile_dict(directory: Path, data: dict[str, Any], name: str = "scenario.yaml") -> NightParams:
    """Write, load (with full validation) and compile a scenario dict."""
    return compile_scenario(load_scenario(write_scenario(directory, data, name)))
