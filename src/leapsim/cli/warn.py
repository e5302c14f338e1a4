"""``leapsim warn``: early warning of hybrid drone incursions along a border — plan a sensor
barrier under a budget, measure its warning time and false tracks (``docs/warning.md``).
Heavy modules are imported inside the commands."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from leapsim.choices import PlacementMethod
from leapsim.cli.app import app
from leapsim.cli.console import console, err_console, print_json, print_ok
from leapsim.cli.options import (
    ExecutorOption,
    JobsOption,
    JsonOption,
    ReportOption,
    ResultsOption,
    RunsOption,
    SeedOption,
    finite,
    metavar,
)
from leapsim.cli.study import check_results_folder, execute, remove_partial
from leapsim.errors import InputError
from leapsim.warning.limits import MAX_BUDGET_EUR, MAX_WARNING_MIN

warn_app = typer.Typer(
    help="Early warning: a sensor barrier along a border, its warning time and false tracks.",
    no_args_is_help=True,
)
app.add_typer(warn_app, name="warn")

StudyArg = Annotated[
    str,
    typer.Argument(
        metavar=metavar("study"),
        help="Early-warning study YAML file, or builtin:poland_belarus.",
    ),
]
BudgetOption = Annotated[
    float | None,
    typer.Option(
        "--budget",
        min=0.0,
        max=MAX_BUDGET_EUR,
        callback=finite,
        help="Budget in EUR (default: the study's).",
    ),
]
WarningOption = Annotated[
    float | None,
    typer.Option(
        "--warning-min",
        min=0.0,
        max=MAX_WARNING_MIN,
        callback=finite,
        help="Warning time W in minutes (default: the study's).",
    ),
]


def _model(study: str, budget: float | None, warning_min: float | None):
    from leapsim.warning.config import load_study
    from leapsim.warning.model import compile_study
    from leapsim.warning.pipeline import with_overrides

    return with_overrides(compile_study(load_study(study)), budget, warning_min)


def _plan_rows(plan_doc: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for method, doc in plan_doc["methods"].items():
        rows.append(
            {
                "method": method,
                "cost_eur": doc["cost_eur"],
                "cost_per_border_km_eur": doc.get("cost_per_border_km_eur"),
                "planning_share": doc["planning_share"],
                "bound": doc["bound"],
                "by_option": doc["by_option"],
            }
        )
    return rows


def _print_plan(plan_doc: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(
        title=(
            f"Placements for {plan_doc['budget_eur'] / 1e6:,.2f} M€, W = "
            f"{plan_doc['warning_min']:g} min ({plan_doc['planning_drones']} planning drones, "
            f"{plan_doc['candidates']} candidates)"
        ),
        title_justify="left",
    )
    for col in ("method", "cost (M€)", "k€ / km", "warned in time (plan)", "bound", "bought"):
        table.add_column(col)
    for row in _plan_rows(plan_doc):
        bound = "—" if row["bound"] is None else f"{row['bound']:.3f}"
        bought = ", ".join(f"{n}×{k}" for k, n in row["by_option"].items())
        table.add_row(
            row["method"],
            f"{row['cost_eur'] / 1e6:,.3f}",
            f"{(row['cost_per_border_km_eur'] or 0) / 1e3:,.1f}",
            f"{row['planning_share']:.3f}",
            bound,
            bought,
        )
    console.print(table)


@warn_app.command("validate")
def validate_command(study: StudyArg, as_json: JsonOption = False) -> None:
    """Check a study file; exit 0 if it is valid, 2 with file:line messages if not."""
    model = _model(study, None, None)
    doc = {
        "file": model.file,
        "study": model.name,
        "border": model.border.name,
        "border_km": model.border.length_m / 1e3,
        "sites": len(model.sites),
        "sensor_options": len(model.options),
        "cases": len(model.cases),
    }
    if as_json:
        print_json(doc)
        return
    print_ok(
        f"{model.file}: study {model.name!r}, border {model.border.name} "
        f"({doc['border_km']:,.1f} km), {doc['sites']} sites, "
        f"{doc['sensor_options']} sensor options, {doc['cases']} case(s)"
    )


@warn_app.command("plan")
def plan_command(
    study: StudyArg,
    budget: BudgetOption = None,
    warning_min: WarningOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder to write OUT/plan.json in.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Choose placements under the budget: MILP (with its bound), greedy and uniform spacing."""
    check_results_folder(out)
    from leapsim.atomic import write_json_atomic
    from leapsim.warning.pipeline import load_or_plan

    model = _model(study, budget, warning_min)
    plan_doc = load_or_plan(model, out)
    if out is not None:
        write_json_atomic(out / "plan.json", plan_doc)
    if as_json:
        print_json(
            {k: v for k, v in plan_doc.items() if k != "methods"}
            | {"methods": _plan_rows(plan_doc)}
        )
        return
    _print_plan(plan_doc)


@warn_app.command("coverage")
def coverage_command(
    study: StudyArg,
    altitude: Annotated[
        float,
        typer.Option(
            "--altitude",
            min=0.0,
            max=30_000.0,
            callback=finite,
            help="Target height above ground, m.",
        ),
    ] = 100.0,
    rcs: Annotated[
        float,
        typer.Option("--rcs", min=1e-6, max=100.0, callback=finite, help="Target RCS, m²."),
    ] = 0.1,
    method: Annotated[
        PlacementMethod, typer.Option("--method", help="The placement to map.")
    ] = "milp",
    spacing: Annotated[
        float,
        typer.Option(
            "--spacing", min=100.0, max=100_000.0, callback=finite, help="Grid spacing, m."
        ),
    ] = 2000.0,
    plan: Annotated[
        Path | None, typer.Option("--plan", help="plan.json of `warn plan/run` (else plan now).")
    ] = None,
    budget: BudgetOption = None,
    warning_min: WarningOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the grid (a .csv or .parquet file).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Single-scan detection probability of a placement at one altitude over the region."""
    if out is not None and out.suffix not in (".csv", ".parquet"):
        raise InputError.at("use a .csv or .parquet file", field="--out", file=str(out))
    import numpy as np

    from leapsim.warning.coverage import coverage_grid
    from leapsim.warning.pipeline import load_or_plan, placements_of

    model = _model(study, budget, warning_min)
    plan_doc = _read_plan(plan) if plan is not None else load_or_plan(model, None)
    if method not in plan_doc["methods"]:
        raise InputError.at(
            f"the plan has no {method!r} placement",
            file=str(plan),
            field="--method",
            hint=f"use one of: {', '.join(plan_doc['methods'])}",
        )
    placement = placements_of(model, {"methods": {method: plan_doc["methods"][method]}})[method]
    grid = coverage_grid(model, placement, altitude, rcs, spacing)
    gx, gy = np.meshgrid(grid.x, grid.y)
    ll = model.frame.to_latlon(np.stack([gx.ravel(), gy.ravel()], axis=-1))
    columns = {
        "lat": ll[:, 0],
        "lon": ll[:, 1],
        "x_m": gx.ravel(),
        "y_m": gy.ravel(),
        "pd": grid.pd.ravel(),
    }
    if out is not None:
        _write_grid(out, columns)
    stats = {
        "altitude_m": altitude,
        "rcs_m2": rcs,
        "method": method,
        "points": int(grid.pd.size),
        "mean_pd": float(grid.pd.mean()),
        "share_pd_ge_0.5": float((grid.pd >= 0.5).mean()),
        "share_pd_ge_0.9": float((grid.pd >= 0.9).mean()),
    }
    if as_json:
        print_json(stats)
        return
    console.print(
        f"{method} placement at {altitude:g} m, RCS {rcs:g} m²: {stats['points']} points, "
        f"Pd ≥ 0.5 on {100 * stats['share_pd_ge_0.5']:.1f} %, ≥ 0.9 on "
        f"{100 * stats['share_pd_ge_0.9']:.1f} % of the region"
        + (f"; grid in {out}" if out else ""),
        highlight=False,
    )


def _read_plan(path: Path) -> dict[str, Any]:
    from leapsim.report.load import read_json

    doc = read_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("methods"), dict):
        raise InputError.at(
            "not a plan.json of `leapsim warn`",
            file=str(path),
            field="methods",
            hint="give the plan.json that `leapsim warn plan --out` or `warn run --out` wrote",
        )
    return doc


def _write_grid(out: Path, columns: dict) -> None:
    from leapsim.atomic import write_text_atomic
    from leapsim.experiments.store import write_table

    if out.suffix == ".parquet":
        write_table(out, columns)
    elif out.suffix == ".csv":
        names = list(columns)
        lines = [",".join(names)] + [
            ",".join(f"{columns[n][i]:.6g}" for n in names) for i in range(len(columns["lat"]))
        ]
        write_text_atomic(out, "\n".join(lines) + "\n")
    else:
        raise InputError.at("use a .csv or .parquet file", field="--out", file=str(out))


@warn_app.command("run")
def run_command(
    study: StudyArg,
    runs: RunsOption = 20,
    seed: SeedOption = 1,
    jobs: JobsOption = 1,
    executor: ExecutorOption = None,
    budget: BudgetOption = None,
    warning_min: WarningOption = None,
    out: ResultsOption = None,
    as_json: JsonOption = False,
    report: ReportOption = False,
) -> None:
    """Plan the placements, then measure each by Monte Carlo with the tracker."""
    check_results_folder(out, report)
    from leapsim.experiments.store import write_table  # noqa: F401  (pyarrow import up front)
    from leapsim.warning.pipeline import (
        coverage_maps,
        frame_check,
        load_or_plan,
        placements_of,
        studies,
    )
    from leapsim.warning.results import write_results

    started = time.perf_counter()
    model = _model(study, budget, warning_min)
    plan_doc = load_or_plan(model, out)
    if out is not None:
        from leapsim.atomic import write_json_atomic

        write_json_atomic(out / "plan.json", plan_doc)
    placements = placements_of(model, plan_doc)
    batch = studies(model, placements, runs, seed)
    labels = {f"{m} · {s}": key for key, (m, s) in zip(batch, batch, strict=True)}
    done = execute(
        {label: batch[key] for label, key in labels.items()},
        jobs=jobs,
        executor=executor,
        out=out,
        quiet=as_json,
    )
    results = dict(zip(batch, done, strict=True))
    page = None
    if out is not None:
        summary = write_results(
            out,
            model,
            plan_doc,
            results,
            coverage_maps(model, placements),
            frame_check(model),
            runs,
            seed,
        )
        remove_partial(out)
        if report:
            from leapsim.report import write_report

            page = write_report([out], out / "report.html")
    else:
        summary = {
            "budget_eur": plan_doc["budget_eur"],
            "warning_min": plan_doc["warning_min"],
            "measured": _measured(results, model.plan.warning_min),
        }
    if as_json:
        if page is not None:
            err_console.print(f"report: {page}", highlight=False)
        print_json(_json_summary(plan_doc, summary))
        return
    _print_plan(plan_doc)
    _print_measured(summary)
    where = f"; results in {out}" if out else ""
    where += f"; report: {page}" if page else ""
    console.print(
        f"{runs} runs per placement in {time.perf_counter() - started:.1f} s{where}",
        soft_wrap=True,
    )


def _measured(results: dict, warning_min: float) -> dict[str, Any]:
    from leapsim.warning.results import measured_block

    out: dict[str, Any] = {}
    for (method, name), result in results.items():
        out.setdefault(method, {})[name] = measured_block(result, warning_min)
    return out


def _json_summary(plan_doc: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    keep = ("mean", "ci_low", "ci_high")
    measured = {
        m: {
            s: {
                k: {q: v.get(q) for q in keep}
                for k, v in block.items()
                if isinstance(v, dict) and "mean" in v
            }
            | {"warning_time": block["warning_time"]}
            for s, block in sets.items()
        }
        for m, sets in summary["measured"].items()
    }
    return {
        "budget_eur": plan_doc["budget_eur"],
        "warning_min": plan_doc["warning_min"],
        "plan": _plan_rows(plan_doc),
        "measured": measured,
        "paired": summary.get("paired", {}),
    }


def _print_measured(summary: dict[str, Any]) -> None:
    from rich.table import Table

    rows = (
        ("share_warned", "warned in time", "{:.3f}"),
        ("p_detect", "P(confirmed track)", "{:.3f}"),
        ("warning_min", "warning time (min)", "{:.1f}"),
        ("crossing_to_track_min", "crossing → track (min)", "{:.2f}"),
        ("false_tracks_per_day", "false tracks / day", "{:,.0f}"),
        ("false_alerts_per_day", "false alerts / day", "{:,.0f}"),
    )
    for name in dict.fromkeys(s for sets in summary["measured"].values() for s in sets):
        table = Table(title=f"Measured on {name}: mean (95 % CI)", title_justify="left")
        table.add_column("measure")
        methods = [m for m in summary["measured"] if name in summary["measured"][m]]
        for m in methods:
            table.add_column(m, justify="right")
        for key, label, fmt in rows:
            cells = []
            for m in methods:
                s = summary["measured"][m][name].get(key)
                if not s or s.get("mean") is None:
                    cells.append("—")
                    continue
                cells.append(
                    f"{fmt.format(s['mean'])} [dim]({fmt.format(s['ci_low'])} – "
                    f"{fmt.format(s['ci_high'])})[/]"
                )
            if any(c != "—" for c in cells):
                table.add_row(label, *cells)
        console.print(table)
