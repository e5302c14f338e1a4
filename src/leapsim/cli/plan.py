"""``leapsim plan``: search what to buy, where to put it and what to produce, under a budget.

Heavy modules (the engine, Optuna, pyarrow) are imported inside the command, so that the CLI
starts at once.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from leapsim.cli.app import app
from leapsim.cli.console import console, print_ok
from leapsim.cli.options import (
    ExecutorOption,
    JobsOption,
    JsonOption,
    ReportOption,
    ResultsOption,
    SeedOption,
    StudyArgument,
)
from leapsim.cli.study import check_results_folder, counting, finish, local_or_dask
from leapsim.errors import InputError

MILLION = 1e6


def _m(value: float | None) -> str:
    return "—" if value is None else f"{value / MILLION:,.2f}"


def _ci(stats: dict) -> Text:
    interval = f" ({_m(stats['ci_low'])} – {_m(stats['ci_high'])})"
    return Text.assemble(_m(stats["mean"]), (interval, "dim"))


def front_table(summary: dict) -> Table:
    """The front, cheapest first: cost, each noisy objective with its CI, runs, noise flags."""
    noisy = [o for o in summary["objectives"] if o != "cost"]
    table = Table(
        title=f"Pareto front of {summary['study']['name']} (mean, 95 % CI; M€)",
        title_justify="left",
    )
    for column in ("plan", "cost", *noisy, "runs", "lasts", "within noise of"):
        table.add_column(
            column, justify="left" if column in ("plan", "within noise of") else "right"
        )
    for plan in summary["front"]:
        marker = " *" if plan["id"] == summary["chosen"] else ""
        sustained = plan.get("sustained")
        table.add_row(
            plan["id"] + marker,
            _m(plan["cost_eur"]),
            *(_ci(plan["objectives"][o]) if o != "leaked" else
              f"{plan['objectives'][o]['mean']:,.1f}" for o in noisy),
            str(plan["runs"]),
            "—" if sustained is None else f"{100 * sustained['mean']:.0f} %",
            ", ".join(plan.get("within_noise_of", [])),
        )  # fmt: skip
    return table


def comparisons_table(summary: dict) -> Table:
    noisy = next((o for o in summary["objectives"] if o != "cost"), None)
    table = Table(title="Against references and naive rules", title_justify="left")
    for column in ("defence", "cost", noisy or "", "best plan at its cost", "difference (CI)", ""):
        table.add_column(column, justify="left" if column in ("defence", "") else "right")
    rows = [(f"reference {r['scenario']}", r) for r in summary["references"]]
    rows += [(f"rule {b['rule']}", b) for b in summary["baselines"]]
    for label, doc in rows:
        best = doc["best_plan_at_its_cost"]
        if best.get("plan") is None or noisy is None:
            table.add_row(label, _m(doc["cost_eur"]), "", "—", "", best.get("note", ""))
            continue
        d = best["difference"][noisy]
        verdict = "better, separated" if best["better_separated"] else (
            "within noise" if best["within_noise"] else "worse")  # fmt: skip
        table.add_row(
            label,
            _m(doc["cost_eur"]),
            _ci(doc["objectives"][noisy]),
            f"{best['plan']} ({_m(best['plan_cost_eur'])})",
            _ci(d),
            verdict,
        )
    return table


@app.command()
def plan(
    study: StudyArgument,
    out: ResultsOption = None,
    evaluations: Annotated[
        int | None,
        typer.Option(help="Plans to simulate (default: the study's search.evaluations)."),
    ] = None,
    seed: SeedOption = 1,
    jobs: JobsOption = 1,
    executor: ExecutorOption = None,
    as_json: JsonOption = False,
    report: ReportOption = False,
    check: Annotated[
        bool, typer.Option("--check", help="Only validate the study and describe its plan space.")
    ] = False,
) -> None:
    """Search the plans of a study: a Pareto front of cost against value lost, with 95 % CIs."""
    from leapsim.planning.study import load_plan_study

    resolved = load_plan_study(study)
    if evaluations is not None and not 1 <= evaluations <= 100_000:
        raise InputError.at("--evaluations must be 1 to 100000", field="evaluations")
    if check:
        from leapsim.planning.space import decision_space

        space = decision_space(resolved)
        print_ok(
            f"{resolved.file}: plan study {resolved.spec.name!r}, "
            f"{len(space.variables)} decision variables, {space.size:,} plans"
        )
        return
    if out is None:
        raise InputError.at("--out DIR is required", field="--out", hint="a results folder")
    check_results_folder(out)
    from leapsim.planning.run import run_plan_study
    from leapsim.planning.store import write_plan_results

    with counting(resolved.spec.name, as_json) as progress:
        outcome = run_plan_study(
            resolved, out, seed, evaluations, local_or_dask(executor, jobs), progress
        )
    summary = write_plan_results(outcome, out)
    keys = ("study", "seed", "objectives", "front", "chosen", "references", "baselines",
            "throughput")  # fmt: skip
    if finish(out, {k: summary[k] for k in keys}, report, as_json):
        return
    console.print(front_table(summary))
    if summary["references"] or summary["baselines"]:
        console.print(comparisons_table(summary))
    search, rate = summary["search"], summary["throughput"]["night_replications_per_s"]
    console.print(
        f"{search['simulated']} plans simulated of {search['trials']} asked "
        f"({search['infeasible']} over budget or limits, {search['repeated']} repeats; "
        f"{search['space_size']:,} possible) in {summary['seconds']:.0f} s"
        + (f", {rate:,.1f} night-replications/s" if rate else "")
        + f"; results in {out}"
    )
