"""``leapsim validate``, ``leapsim run`` and ``leapsim demo``. Heavy modules (engine, numba,
scipy, pyarrow, dask, the experiments layer, the report) are imported inside the functions that
use them, so loading this module is cheap."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leapsim.choices import SensingMode
from leapsim.cli.app import app
from leapsim.cli.console import console, err_console, print_json, print_ok
from leapsim.cli.options import (
    ExecutorOption,
    JobsOption,
    JsonOption,
    ReportOption,
    ResultsOption,
    RunsOption,
    ScenarioArgument,
    SeedOption,
)
from leapsim.cli.study import check_results_folder, execute, remove_partial

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

    from leapsim.experiments import NightTask
    from leapsim.scenario import ResolvedScenario

HEADLINE = (
    ("launched", "threats launched", "{:,.1f}"),
    ("killed", "killed", "{:,.1f}"),
    ("leaked", "leaked", "{:,.1f}"),
    ("value_lost_eur", "value lost (M€)", "M"),
    ("defender_spend_eur", "defender spend (M€)", "M"),
    ("attacker_spend_eur", "attacker spend (M€)", "M"),
    ("cost_exchange_ratio", "cost-exchange ratio", "{:,.3f}"),
    ("cost_per_kill_eur", "cost per kill (k€)", "k"),
)


SensingOption = Annotated[
    SensingMode | None,
    typer.Option("--sensing", help="Override the scenario's sensing mode (docs/engine.md)."),
]


def _fmt(value: float | None, style: str) -> str:
    if value is None:
        return "—"
    if style == "M":
        return f"{value / 1e6:,.2f}"
    if style == "k":
        return f"{value / 1e3:,.1f}"
    return style.format(value)


def _cell(stats: dict, style: str) -> Text:
    """``mean  (low – high)``, the interval dimmed (or a note when there are too few runs)."""
    from rich.text import Text

    if stats["mean"] is not None and stats["ci_low"] is None:
        return Text.assemble(_fmt(stats["mean"], style), ("  (too few runs for a CI)", "dim"))
    interval = f"  ({_fmt(stats['ci_low'], style)} – {_fmt(stats['ci_high'], style)})"
    return Text.assemble(_fmt(stats["mean"], style), (interval, "dim"))


def summary_table(summaries: dict[str, dict]) -> Table:
    """Headline metrics, mean and 95 % CI, one column per study."""
    from rich.table import Table

    table = Table(title="Mean over runs (95 % confidence interval)", title_justify="left")
    table.add_column("metric")
    for name in summaries:
        table.add_column(name, justify="right")
    for key, label, style in HEADLINE:
        table.add_row(label, *(_cell(s["metrics"][key], style) for s in summaries.values()))
    return table


def json_summary(summary: dict) -> dict:
    from leapsim.engine import TOTAL_METRICS

    return {
        "runs": summary["runs"],
        "seed": summary["seed"],
        "metrics": {
            name: {k: summary["metrics"][name][k] for k in ("mean", "ci_low", "ci_high")}
            for name in TOTAL_METRICS
        },
    }


def night_task(resolved: ResolvedScenario, sensing: str | None, events: bool) -> NightTask:
    """The task of a one-night study; ``sensing`` overrides the scenario's sensing mode."""
    from leapsim.engine import compile_scenario
    from leapsim.experiments import NightTask

    params = compile_scenario(resolved)
    if sensing is not None:
        params = params.with_sensing_mode(sensing)
    return NightTask(params, events)


@app.command()
def validate(scenario: ScenarioArgument, as_json: JsonOption = False) -> None:
    """Check a scenario file; exit 0 if it is valid, 2 with file:line messages if not."""
    from leapsim.scenario import load_scenario

    resolved = load_scenario(scenario)
    counts = resolved.counts()
    name = resolved.scenario.name
    if as_json:
        print_json({"file": resolved.file, "scenario": name, **counts})
        return
    print_ok(
        f"{resolved.file}: scenario {name!r}, {counts['threats']} threats in "
        f"{counts['raids']} raids, {counts['fire_units']} fire units of "
        f"{counts['effector_types']} types, {counts['sensors']} sensors, "
        f"{counts['sites']} sites"
    )


@app.command()
def run(
    scenario: ScenarioArgument,
    runs: RunsOption = 100,
    seed: SeedOption = 1,
    jobs: JobsOption = 1,
    executor: ExecutorOption = None,
    out: ResultsOption = None,
    events: Annotated[bool, typer.Option("--events", help="Also write events.parquet.")] = False,
    as_json: JsonOption = False,
    report: ReportOption = False,
    sensing: SensingOption = None,
) -> None:
    """Run a Monte Carlo study of one night of a scenario."""
    from leapsim.scenario import load_scenario

    check_results_folder(out, report)
    resolved = load_scenario(scenario)
    from leapsim.experiments import Study
    from leapsim.experiments.store import night_summary, write_night_results

    started = time.perf_counter()
    task = night_task(resolved, sensing, events)
    [result] = execute(
        {task.params.name: Study(task, runs, seed)},
        jobs=jobs,
        executor=executor,
        out=out,
        quiet=as_json,
    )
    if out is None:
        summary = night_summary(result, resolved.file)
    else:
        summary = write_night_results(out, result, resolved)
        remove_partial(out)
    page = None
    if report and out is not None:
        from leapsim.report import write_report

        page = write_report([out], out / "report.html")
    if as_json:
        if page is not None:
            err_console.print(f"report: {page}", highlight=False)
        print_json(json_summary(summary))
        return
    console.print(summary_table({summary["scenario"]["name"]: summary}))
    where = f"; results in {out}" if out else ""
    where += f"; report: {page}" if page else ""
    console.print(f"{runs} runs in {time.perf_counter() - started:.1f} s{where}", soft_wrap=True)


@app.command()
def demo(
    runs: RunsOption = 200,
    seed: SeedOption = 1,
    jobs: JobsOption = 0,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Where the two results folders (legacy/, leap/) and report.html go.",
        ),
    ] = Path("results/demo"),
    sensing: SensingOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rzeszów hub, one night: legacy missile defence vs the LEAP layered defence.

    With --sensing tracked, fire control engages confirmed tracks (false tracks included)
    instead of detected threats; a tracked night takes far longer (see bench/RESULTS.md).
    """
    check_results_folder(out)
    from leapsim.experiments import Study
    from leapsim.experiments.executors import default_jobs
    from leapsim.experiments.store import write_night_results
    from leapsim.report import write_report
    from leapsim.scenario import builtin_scenario

    jobs = jobs or default_jobs()
    started = time.perf_counter()
    defences = {"legacy": "rzeszow_legacy", "LEAP": "rzeszow_leap"}
    scenarios = {label: builtin_scenario(name) for label, name in defences.items()}
    studies = {
        label: Study(night_task(resolved, sensing, events=False), runs, seed)
        for label, resolved in scenarios.items()
    }
    results = execute(studies, jobs=jobs, executor=None, out=out, quiet=as_json)
    summaries = {
        label: write_night_results(out / label.lower(), result, scenarios[label])
        for label, result in zip(studies, results, strict=True)
    }
    remove_partial(out)
    page = write_report(
        [out / "legacy", out / "leap"],
        out / "report.html",
        labels=list(summaries),
        title="Rzeszów hub, one night: legacy vs LEAP defence",
    )
    if as_json:
        doc = {label: json_summary(summary) for label, summary in summaries.items()}
        print_json({**doc, "report": str(page)})
        return
    console.print(summary_table(summaries))
    console.print(
        f"{runs} runs of each defence in {time.perf_counter() - started:.1f} s on {jobs} "
        f"process(es); results in {out}/legacy and {out}/leap; report: {page}"
    )
