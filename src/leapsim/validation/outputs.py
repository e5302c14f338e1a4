"""Results folders of ``leapsim hindcast`` and ``leapsim calibrate`` (written atomically).

Hindcast: ``nights.parquet`` (columns ``night``, ``family``, ``launched``,
``neutralised_reported`` — null where the reports give no outcome —, ``neutralised_sim_mean``,
``neutralised_sim_p05``, ``neutralised_sim_p95``), ``summary.json`` (``kind: hindcast``) and
``scenario.json`` (the defence on the window's last night, for the report's map).

Calibration: ``calibrated.yaml`` (the scenario with the posterior medians and a posterior sample;
loads like any scenario), ``calibration.json`` (values, 90 % intervals, fit statistics,
diagnostics), ``design.parquet`` (each design point's parameters and simulated window shares),
and for ``leapsim report`` a short ``summary.json`` (``kind: calibration``) and ``scenario.json``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from leapsim.atomic import write_json_atomic, write_text_atomic, write_with_atomic
from leapsim.experiments.store import scenario_geometry
from leapsim.scenario import ResolvedScenario
from leapsim.threats.outcomes import OUTCOME_FAMILIES
from leapsim.validation.calibration import Calibration, calibrated_scenario
from leapsim.validation.hindcast import Hindcast
from leapsim.validation.replay import ReplayPlan, night_params

NIGHTS_FILE = "nights.parquet"
SUMMARY_FILE = "summary.json"
CALIBRATED_FILE = "calibrated.yaml"
CALIBRATION_FILE = "calibration.json"
DESIGN_FILE = "design.parquet"


def write_hindcast(out: Path, result: Hindcast) -> None:
    out.mkdir(parents=True, exist_ok=True)
    columns = dict(result.nights)
    reported = columns["neutralised_reported"]
    columns["neutralised_reported"] = pa.array(reported, mask=reported < 0, type=pa.int64())
    columns["night"] = pa.array(list(columns["night"]), type=pa.string())
    columns["family"] = pa.array(list(columns["family"]), type=pa.string())
    table = pa.table(columns)
    write_with_atomic(out / NIGHTS_FILE, lambda tmp: pq.write_table(table, tmp))
    write_json_atomic(out / SUMMARY_FILE, result.summary)
    _write_geometry(out, result.plan)


def _write_geometry(out: Path, plan: ReplayPlan) -> None:
    """``scenario.json`` of the defence on the window's last night (the report's map)."""
    from leapsim.scenario.timeline import scenario_on

    last = plan.n_nights - 1
    resolved = scenario_on(plan.resolved, plan.state_date[plan.state[last]])
    geometry = scenario_geometry(resolved, night_params(plan, last))
    write_json_atomic(out / "scenario.json", geometry)


def scenario_yaml(resolved: ResolvedScenario, comment: str) -> str:
    """The scenario as a self-contained YAML file (defaults left out)."""
    data = resolved.scenario.model_dump(mode="json", exclude_defaults=True)
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return "".join(f"# {line}\n" for line in comment.splitlines()) + body


def write_calibration(
    out: Path, resolved: ResolvedScenario, plan: ReplayPlan, result: Calibration, seed: int
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    calibrated = calibrated_scenario(resolved, result)
    window = result.report["window"]
    comment = (
        f"{resolved.scenario.name} calibrated by `leapsim calibrate` on "
        f"{dt.date.today().isoformat()}\nagainst the reported nights {window['first_night']} .. "
        f"{window['last_night']} (official Ukrainian claims, not independent measurements).\n"
        "Parameter values are posterior medians; calibration.posterior holds posterior draws."
    )
    write_text_atomic(out / CALIBRATED_FILE, scenario_yaml(calibrated, comment))
    write_json_atomic(out / CALIBRATION_FILE, result.report)
    write_json_atomic(out / SUMMARY_FILE, {
        "kind": "calibration", "runs": int(result.design.shape[0]), "seed": seed,
        "scenario": {"name": resolved.scenario.name, "file": resolved.file},
        "parameters": {n: p["value"] for n, p in result.report["parameters"].items()},
    })  # fmt: skip
    _write_geometry(out, plan)
    design = {name: result.design[:, j] for j, name in enumerate(result.prior.names)}
    for f, family in enumerate(OUTCOME_FAMILIES):
        launched = result.launched_known[:, f]
        if launched.sum():
            used = result.simulated[:, :, f] * (launched > 0)
            design[f"share.{family}"] = used.sum(axis=1) / launched.sum()
    table = pa.table({k: np.asarray(v) for k, v in design.items()})
    write_with_atomic(out / DESIGN_FILE, lambda tmp: pq.write_table(table, tmp))
