"""Tiny plan studies for tests: one site, a short raid, a few cheap purchases, so that a whole
search (screening, finalists, separation, outputs) takes seconds."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

SITE = {"name": "Depot", "lat": 50.06, "lon": 22.0, "value_eur": 4.0e8, "nation": "PL"}

TINY: dict[str, Any] = {
    "name": "tiny_plan",
    "scenario": {
        "name": "tiny_base",
        "origin": {"lat": 50.06, "lon": 22.0},
        "duration_s": 5400,
        "sites": [SITE],
        "sensors": [{"type": "short_range_radar", "lat": 50.07, "lon": 22.03, "nation": "PL"}],
        "raids": [
            {
                "threat": "shahed_136",
                "count": 12,
                "launch": {"bearing_deg": 90, "distance_m": 40000, "spread_m": 3000},
                "spread_s": 1200,
            },
            {
                "threat": "kalibr",
                "count": 1,
                "launch": {"bearing_deg": 120, "distance_m": 80000, "spread_m": 2000},
                "start_s": 600,
            },
        ],
        "doctrine": {"policy": "cost_aware", "max_shots_per_threat": 3},
    },
    "purchases": [
        {
            "type": "apkws_vampire",
            "nation": "UK",
            "positions": [{"near_site": "Depot", "radius_m": 1200}],
            "max_units": 2,
        },
        {
            "type": "interceptor_drone_sting",
            "nation": "PL",
            "positions": [
                {
                    "name": "east",
                    "lat": 50.10,
                    "lon": 22.10,
                    "line_to": {"lat": 50.02, "lon": 22.10},
                }
            ],
            "max_units": 2,
            "reserve_loads": [0, 1],
        },
        {
            "type": "stinger",
            "nation": "PL",
            "positions": [{"near_site": "Depot", "radius_m": 800}],
            "max_units": 1,
        },
    ],
    "nations": {"budget_eur": {"FR": 0, "DE": 0, "IT": 0, "PL": 3.0e6, "UK": 2.0e6}},
    "search": {
        "evaluations": 8,
        "batch": 4,
        "screen_runs": 4,
        "final_runs": 8,
        "max_final_runs": 16,
        "finalists": 5,
    },
    "baselines": ["all_missiles", "equal_split"],
}

CAMPAIGN = {
    "night": True,
    "campaign": {"nights": 3, "threat_scale": 0.01, "config": {"pooling": "shared"}},
}
MUNITIONS = {
    "interceptor_drone_sting": {
        "depot_loads": [0, 1],
        "production": {"rate_per_month": [0, 60], "lead_time_days": 1, "learning_rate": 0.85},
    }
}


def merged(base: dict, changes: dict) -> dict:
    """``base`` with ``changes`` applied key by key (nested mappings merged, None removes)."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def write_study(folder: Path, changes: dict | None = None, name: str = "study.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(merged(TINY, changes or {}), sort_keys=False))
    return path


def campaign_study(folder: Path, changes: dict | None = None) -> Path:
    base = {"threat": CAMPAIGN, "munitions": MUNITIONS,
            "constraints": {"sustainability": {"nights": 3, "probability": 0.5}}}  # fmt: skip
    return write_study(folder, merged(base, changes or {}))
