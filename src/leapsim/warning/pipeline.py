"""What ``leapsim warn`` runs, step by step: overrides, the plan (reused when a command
resumes), the studies of each placement on common random numbers, coverage maps and the
frame check."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from leapsim.errors import InputError
from leapsim.experiments import Study, fingerprint
from leapsim.warning.coverage import CoverageGrid, coverage_grid
from leapsim.warning.geography import frame_error
from leapsim.warning.limits import MAX_BUDGET_EUR, MAX_WARNING_MIN
from leapsim.warning.measure import WarningTask
from leapsim.warning.model import WarningModel
from leapsim.warning.placement import Placement, make_placement
from leapsim.warning.planning import plan_placements
from leapsim.warning.results import items_from_document, plan_document

MAP_ALTITUDES_M = (50.0, 300.0, 1500.0)  # coverage maps: low, medium and cruise altitude
MAP_RCS_M2 = 0.1  # a Shahed/Gerbera-class drone (catalogue)
MAIN_SET = "incursions"


def with_overrides(
    model: WarningModel, budget_eur: float | None = None, warning_min: float | None = None
) -> WarningModel:
    """The model with the command line's budget and warning time, checked."""
    update: dict[str, float] = {}
    if budget_eur is not None:
        if not (math.isfinite(budget_eur) and 0 < budget_eur <= MAX_BUDGET_EUR):
            raise InputError.at(
                f"must be a number of euros in (0, {MAX_BUDGET_EUR:g}]", field="--budget"
            )
        update["budget_eur"] = float(budget_eur)
    if warning_min is not None:
        if not (math.isfinite(warning_min) and 0 <= warning_min <= MAX_WARNING_MIN):
            raise InputError.at(f"must be 0 to {MAX_WARNING_MIN:g} minutes", field="--warning-min")
        update["warning_min"] = float(warning_min)
    return replace(model, plan=model.plan.model_copy(update=update)) if update else model


def plan_key(model: WarningModel) -> str:
    """Identity of a plan: the model (budget and W included)."""
    return fingerprint(model)


def load_or_plan(model: WarningModel, out: Path | None) -> dict[str, Any]:
    """``plan.json``'s document: read from ``out`` when it holds the plan of this very model
    (a resumed command), else planned now (MILP, greedy, uniform)."""
    key = plan_key(model)
    if out is not None and (out / "plan.json").is_file():
        try:
            doc = json.loads((out / "plan.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            doc = None
        if isinstance(doc, dict) and doc.get("key") == key:
            return doc
    return plan_document(model, plan_placements(model), key)


def placements_of(model: WarningModel, plan_doc: dict[str, Any]) -> dict[str, Placement]:
    return {
        method: make_placement(model, items_from_document(model, doc["items"]), method)
        for method, doc in plan_doc["methods"].items()
    }


def studies(
    model: WarningModel, placements: dict[str, Placement], runs: int, seed: int
) -> dict[tuple[str, str], Study]:
    """One study per (placement, incursion set), all with the same seed (common random numbers);
    the study's own generator also measures clutter."""
    out = {}
    for method, placement in placements.items():
        out[method, MAIN_SET] = Study(WarningTask(model, placement, -1, True), runs, seed)
        for k, case in enumerate(model.cases):
            out[method, case.name] = Study(WarningTask(model, placement, k, False), runs, seed)
    return out


def coverage_maps(
    model: WarningModel, placements: dict[str, Placement], spacing_m: float = 4000.0
) -> dict[str, list[CoverageGrid]]:
    """Single-scan Pd of each placement at :data:`MAP_ALTITUDES_M` against a 0.1 m² drone
    whose datalink emits."""
    return {
        method: [coverage_grid(model, p, h, MAP_RCS_M2, spacing_m) for h in MAP_ALTITUDES_M]
        for method, p in placements.items()
    }


def frame_check(model: WarningModel) -> dict[str, float]:
    """:func:`frame_error` over the border's vertices and the sites."""
    xy = np.concatenate([model.border.xy, model.sites.xy])
    ll = model.frame.to_latlon(xy)
    return frame_error(model.frame, ll[:, 0], ll[:, 1])
