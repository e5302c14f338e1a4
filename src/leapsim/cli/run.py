"""``leapsim validate``, ``leapsim run`` and ``leapsim demo``. Heavy modules (engine, numba,
scipy, pyarrow, dask, the experiments layer, the report) are imported inside the functions that
use them, so loading this module is cheap."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leapsim.cli.app import app
from leapsim.cli.console import console, err_console
from leapsim.cli.study import check_runs, execute, remove_partial
from leapsim.errors import InputError

if TYPE_CHECKING:
    from rich.table import Table

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


def resolve_scenario(spec: str) -> ResolvedScenario:
    """A scenario file path, or ``builtin:NAME`` for one shipped with leapsim."""
    from leapsim.scenario import builtin_scenario, load_scenario
    from leapsim.scenario.loader import BUILTIN_PREFIX

    if spec.startswith(BUILTIN_PREFIX):
        return builtin_scenario(spec[len(BUILTIN_PREFIX) :])
    return load_scenario(spec)


SensingOption = Annotated[
    str | None,
    typer.Option(
        "--sensing",
        help="Override the scenario's sensing mode: detection or tracked (see docs/engine.md).",
    ),
]


def check_sensing(sensing: str | None) -> None:
    from leapsim.engine.params import SENSING_MODES

    if sensing is not None and sensing not in SENSING_MODES:
        raise InputError.at(
            f"unknown sensing mode {sensing!r}",
            field="sensing",
            hint=f"use one of: {', '.join(SENSING_MODES)}",
        )


def _fmt(value: float | None, style: str) -> str:
    if value is None:
        return "—"
    if style == "M":
        return f"{value / 1e6:,.2f}"
    if style == "k":
        return f"{value / 1e3:,.1f}"
    return style.format(value)


def _cell(stats: dict, style: str) -> str:
    if stats["mean"] is not None and stats["ci_low"] is None:
        return f"{_fmt(stats['mean'], style)}  [dim](too few runs for a CI)[/]"
    return (
        f"{_fmt(stats['mean'], style)}  [dim]({_fmt(stats['ci_low'], style)} – "
        f"{_fmt(stats['ci_high'], style)})[/]"
    )


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
def validate(
    scenario: Annotated[str, typer.Argument(help="Scenario YAML file (or builtin:NAME).")],
) -> None:
    """Check a scenario file; exit 0 if it is valid, 2 with file:line messages if not."""
    from leapsim.engine import compile_scenario

    resolved = resolve_scenario(scenario)
    params = compile_scenario(resolved)
    console.print(
        f"[green]ok[/] {resolved.file}: scenario {params.name!r}, {params.n_threats} threats in "
        f"{len(params.raids.count)} raids, {len(params.unit_names)} fire units of "
        f"{len(params.effector_types.names)} types, {len(params.sensors)} sensors, "
        f"{len(params.site_names)} sites"
    )


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="Scenario YAML file (or builtin:NAME).")],
    runs: Annotated[int, typer.Option("--runs", "-n", help="Monte Carlo replications.")] = 100,
    seed: Annotated[int, typer.Option(help="Study seed; run i uses SeedSequence(seed, (i,)).")] = 1,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Local worker processes.")] = 1,
    executor: Annotated[
        str | None,
        typer.Option(
            help="local (default) or dask://HOST:PORT of a Dask scheduler; ?wait=SECONDS: how long "
            "it may have no worker (default 30; docs/experiments.md)."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Results folder (runs.parquet, summary.json, …).")
    ] = None,
    events: Annotated[bool, typer.Option("--events", help="Also write events.parquet.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    report: Annotated[bool, typer.Option("--report", help="Also write OUT/report.html.")] = False,
    sensing: SensingOption = None,
) -> None:
    """Run a Monte Carlo study of one night of a scenario."""
    check_sensing(sensing)
    resolved = resolve_scenario(scenario)
    if report and out is None:
        raise InputError.at("--report needs --out DIR", field="report")
    check_runs(runs)
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
        print(json.dumps(json_summary(summary)))
        return
    console.print(summary_table({summary["scenario"]["name"]: summary}))
    where = f"; results in {out}" if out else ""
    where += f"; report: {page}" if page else ""
    console.print(f"{runs} runs in {time.perf_counter() - started:.1f} s{where}", soft_wrap=True)


@app.command()
def demo(
    runs: Annotated[int, typer.Option("--runs", "-n")] = 200,
    seed: Annotated[int, typer.Option()] = 1,
    jobs: Annotated[int, typer.Option("--jobs", "-j")] = 0,
    out: Annotated[Path, typer.Option(help="Where the two results folders go.")] = Path(
        "results/demo"
    ),
    sensing: SensingOption = None,
) -> None:
    """Rzeszów hub, one night: legacy missile defence vs the LEAP layered defence.

    With --sensing tracked, fire control engages confirmed tracks (false tracks included)
    instead of detected threats; a tracked night takes far longer (see bench/RESULTS.md).
    """
    check_sensing(sensing)
    check_runs(runs)
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
    results = execute(studies, jobs=jobs, executor=None, out=out, quiet=False)
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
    console.print(summary_table(summaries))
    console.print(
        f"{runs} runs of each defence in {time.perf_counter() - started:.1f} s on {jobs} "
        f"process(es); results in {out}/legacy and {out}/leap; report: {page}"
    )
