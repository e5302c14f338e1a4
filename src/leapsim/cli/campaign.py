"""``leapsim campaign``: nights of raids from the threat model against one defence, with stocks,
resupply and losses carried from night to night."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leapsim.choices import Pooling
from leapsim.cli.app import app
from leapsim.cli.console import console, err_console, print_json
from leapsim.cli.options import (
    ExecutorOption,
    JobsOption,
    JsonOption,
    NightsOption,
    ReportOption,
    ResultsOption,
    RunsOption,
    ScenarioArgument,
    SeedOption,
    ThreatScaleOption,
)
from leapsim.cli.run import _cell, json_summary, summary_table
from leapsim.cli.study import check_results_folder, execute, remove_partial

if TYPE_CHECKING:
    from rich.table import Table

CAMPAIGN_ROWS = (
    ("raid_size", "threats drawn (all families)", "{:,.0f}"),
    ("unmodelled", "  of which unmodelled", "{:,.0f}"),
    ("units_lost", "fire units lost", "{:,.1f}"),
    ("production_spend_eur", "production spend (M€)", "M"),
)


def horizon_table(summary: dict) -> Table:
    """Night on which each layer runs dry and leakage passes the threshold (mean, 95 % CI)."""
    from rich.table import Table

    nights = summary["nights"]
    horizon = summary["horizon"]
    table = Table(
        title=f"Sustainability horizon: night of first event (count {nights + 1} if none)",
        title_justify="left",
    )
    for column in ("event", "night", "runs reaching it"):
        table.add_column(column, justify="left" if column == "event" else "right")
    rows = [(f"{m} exhausted", s) for m, s in horizon["layer_exhausted"].items()]
    rows.append((f"leak rate > {horizon['leak_rate_threshold']:g}", horizon["leakage_threshold"]))
    rows.append(("first of these", horizon["sustainability"]))
    for label, stats in rows:
        table.add_row(label, _cell(stats, "{:,.1f}"), f"{100 * stats['reached']:.0f} %")
    return table


def campaign_json(summary: dict) -> dict:
    """The ``--json`` document: ``leapsim run``'s, plus the horizon and campaign totals."""

    def short(stats: dict) -> dict:
        return {k: stats[k] for k in ("mean", "ci_low", "ci_high", "reached") if k in stats}

    horizon = summary["horizon"]
    return {
        **json_summary(summary),
        "nights": summary["nights"],
        "pooling": summary["pooling"],
        "threat_model": summary["threat_model"],
        "campaign": {key: short(summary["metrics"][key]) for key, _, _ in CAMPAIGN_ROWS},
        "horizon": {
            "layer_exhausted": {m: short(s) for m, s in horizon["layer_exhausted"].items()},
            "leakage_threshold": short(horizon["leakage_threshold"]),
            "sustainability": short(horizon["sustainability"]),
        },
        "unmodelled_families": summary["families"]["unmodelled"],
    }


@app.command()
def campaign(
    scenario: ScenarioArgument,
    nights: NightsOption,
    runs: RunsOption = 20,
    seed: SeedOption = 1,
    threat_model: Annotated[
        str,
        typer.Option(help="Threat model YAML from `leapsim threat fit`, or default."),
    ] = "default",
    threat_scale: ThreatScaleOption = 1.0,
    config: Annotated[
        Path | None,
        typer.Option(help="Campaign YAML: stocks, production, pooling (docs/campaign.md)."),
    ] = None,
    pooling: Annotated[
        Pooling | None, typer.Option(help="Overrides the campaign file's pooling.")
    ] = None,
    jobs: JobsOption = 1,
    executor: ExecutorOption = None,
    out: ResultsOption = None,
    as_json: JsonOption = False,
    report: ReportOption = False,
) -> None:
    """Run a campaign: each night a raid from the threat model; stocks, resupply and losses carry
    over; reports per-night series, cumulative cost exchange and the sustainability horizon."""
    check_results_folder(out, report)
    from leapsim.campaign import CampaignConfig, CampaignJob, compile_plan, load_campaign_config
    from leapsim.engine import compile_scenario
    from leapsim.experiments import CampaignTask, Study
    from leapsim.experiments.campaign_store import campaign_summary, write_campaign_results
    from leapsim.scenario import load_scenario
    from leapsim.threats import resolve_threat_model

    resolved = load_scenario(scenario)
    params = compile_scenario(resolved)
    settings = CampaignConfig() if config is None else load_campaign_config(config, params)
    if pooling is not None:
        settings = settings.model_copy(update={"pooling": pooling})
    model = resolve_threat_model(threat_model)
    job = CampaignJob(params, compile_plan(params, settings, nights), settings, model, threat_scale)

    started = time.perf_counter()
    [result] = execute(
        {f"{params.name} {nights} nights": Study(CampaignTask(job), runs, seed)},
        jobs=jobs,
        executor=executor,
        out=out,
        quiet=as_json,
    )
    config_file = None if config is None else str(config)
    if out is None:
        summary = campaign_summary(result, resolved.file, config_file)
    else:
        summary = write_campaign_results(out, result, resolved, config_file)
        remove_partial(out)
    page = None
    if report and out is not None:
        from leapsim.report import write_report

        page = write_report([out], out / "report.html")
    if as_json:
        if page is not None:
            err_console.print(f"report: {page}", highlight=False)
        print_json(campaign_json(summary))
        return
    console.print(summary_table({f"{params.name} ({settings.pooling} pooling)": summary}))
    from rich.table import Table

    extra = Table(show_header=False, box=None)
    for key, label, style in CAMPAIGN_ROWS:
        extra.add_row(label, _cell(summary["metrics"][key], style))
    console.print(extra)
    console.print(horizon_table(summary))
    if summary["families"]["unmodelled"]:
        console.print(
            "unmodelled families (the scenario has no raid of them): "
            + ", ".join(summary["families"]["unmodelled"])
        )
    where = f"; results in {out}" if out else ""
    where += f"; report: {page}" if page else ""
    elapsed = time.perf_counter() - started
    console.print(f"{runs} runs × {nights} nights in {elapsed:.1f} s{where}", soft_wrap=True)
