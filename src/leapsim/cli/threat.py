"""``leapsim threat``: fit a threat model to attack reports, and sample raids from one."""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leapsim.cli.app import app
from leapsim.cli.console import console, print_json, print_warning
from leapsim.cli.options import (
    JsonOption,
    NightsOption,
    SeedOption,
    ThreatScaleOption,
    finite,
    metavar,
)
from leapsim.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    from rich.table import Table

    from leapsim.threats import ThreatModel

threat_app = typer.Typer(
    name="threat",
    help="Threat model from Ukrainian Air Force attack reports: fit it, sample raids from it.",
    no_args_is_help=True,
)
app.add_typer(threat_app, name="threat")

_SUMMARY_RUNS = 100


def _parse_date(text: str | None, option: str, *, end: bool) -> np.datetime64 | None:
    """``YYYY-MM-DD`` or ``YYYY-MM`` (a month: its first day, or its last for ``end``)."""
    if text is None:
        return None
    import numpy as np

    try:
        if len(text.strip()) == 7:
            year, month = (int(p) for p in text.strip().split("-"))
            day = calendar.monthrange(year, month)[1] if end else 1
            return np.datetime64(dt.date(year, month, day), "D")
        return np.datetime64(dt.date.fromisoformat(text.strip()), "D")
    except ValueError:
        raise InputError.at(
            f"cannot read the date {text!r}", field=option, hint="use YYYY-MM-DD or YYYY-MM"
        ) from None


def _summary(model: ThreatModel) -> Table:
    """Observed vs simulated per-family statistics over the fit window."""
    import numpy as np
    from rich.table import Table

    from leapsim.threats import NIGHTS_PER_MONTH
    from leapsim.threats.sample import replay_window

    sim = replay_window(model, np.random.default_rng(0), _SUMMARY_RUNS)
    sim_families = {
        "shahed_type": sim["drone"] + sim["decoy"],
        "cruise_missile": sim["cruise_missile"],
        "ballistic_missile": sim["ballistic_missile"],
        "other": sim["other"],
    }
    table = Table(
        title=f"threat model {model.name}: {model.fit.window_start} .. "
        f"{model.fit.window_end} ({model.fit.nights} nights)"
    )
    for column in (
        "family",
        "attack nights obs",
        "attack nights model",
        "mean size obs",
        "mean size model",
        "per month obs",
        "per month model",
    ):
        table.add_column(column, justify="left" if column == "family" else "right")
    for family, counts in sim_families.items():
        obs = getattr(model.observed, family)
        pos = counts > 0
        table.add_row(
            family,
            f"{obs.attack_night_fraction:.1%}",
            f"{pos.mean():.1%}",
            f"{obs.mean_on_attack_nights:.1f}",
            f"{counts[pos].mean() if pos.any() else 0.0:.1f}",
            f"{obs.monthly_total:.0f}",
            f"{counts.mean() * NIGHTS_PER_MONTH:.0f}",
        )
    return table


@threat_app.command("fit")
def fit_command(
    csv: Annotated[
        Path,
        typer.Argument(
            metavar=metavar("csv"), help="Report table, e.g. missile_attacks_daily.csv."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Model YAML file to write.")],
    since: Annotated[
        str | None, typer.Option("--since", help="First night, YYYY-MM-DD or YYYY-MM.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Last night, YYYY-MM-DD or YYYY-MM.")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Model name (default: from the window).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Fit a threat model to Ukrainian Air Force reports and save it as YAML."""
    from leapsim.threats import fit_threat_model, read_reports, save_threat_model

    start = _parse_date(since, "--since", end=False)
    stop = _parse_date(until, "--until", end=True)
    rows = read_reports(csv)
    model = fit_threat_model(rows, start, stop, name=name)
    save_threat_model(model, out)
    if rows.unmapped_models:
        print_warning(
            "model names not in the family table, counted as 'other': "
            + ", ".join(rows.unmapped_models)
        )
    if as_json:
        print_json(
            {
                "out": str(out),
                "name": model.name,
                "fit": model.fit.model_dump(mode="json"),
                "unmapped_models": list(rows.unmapped_models),
            }
        )
        return
    console.print(_summary(model))
    st, decoy, cc = model.shahed_type, model.decoy, model.counting_change
    console.print(
        f"Shahed-type trend {st.log_mean_per_month:+.2%} per month"
        + (" (routine + massed mixture)" if st.massed else " (single component)")
        + f"; decoy share {decoy.mean:.1%} from {decoy.basis_nights} nights ({decoy.basis})"
        + f"; rows: {model.fit.rows_national} national, {model.fit.rows_regional_used} regional"
        f" used, {model.fit.rows_regional_dropped} regional dropped",
        highlight=False,
    )
    if cc.destroyed_share_before is not None and cc.destroyed_share_after is not None:
        console.print(
            f"counting change {cc.date}: destroyed share {cc.destroyed_share_before:.1%} -> "
            f"{cc.destroyed_share_after:.1%}; harmonised (destroyed + lost) "
            f"{cc.harmonised_share_before:.1%} -> {cc.harmonised_share_after:.1%}",
            highlight=False,
        )
    console.print(f"wrote {out}", highlight=False)


@threat_app.command("sample")
def sample_command(
    model_name: Annotated[
        str, typer.Argument(metavar=metavar("model"), help="Model YAML, or the word default.")
    ],
    nights: NightsOption,
    seed: SeedOption = 1,
    out: Annotated[
        Path | None, typer.Option("--out", help="CSV or Parquet file to write (by suffix).")
    ] = None,
    start_month_offset: Annotated[
        float,
        typer.Option(
            "--start-month-offset",
            min=-600.0,
            max=600.0,
            callback=finite,
            help="Months after the end of the model's fit window.",
        ),
    ] = 0.0,
    threat_scale: ThreatScaleOption = 1.0,
    as_json: JsonOption = False,
) -> None:
    """Sample one raid per night from a threat model; nights are numbered from 1."""
    import numpy as np
    from rich.table import Table

    from leapsim.tables import write_table
    from leapsim.threats import FAMILIES, resolve_threat_model, sample_raids

    model = resolve_threat_model(model_name)
    raids = sample_raids(
        model,
        nights,
        np.random.default_rng(seed),
        start_month_offset=start_month_offset,
        threat_scale=threat_scale,
    )
    columns = {"night": np.arange(1, nights + 1, dtype=np.int64), **raids}
    if out is not None:
        write_table(out, columns)
    if as_json:
        rows = [{c: int(columns[c][i]) for c in columns} for i in range(nights)]
        total = {f: int(raids[f].sum()) for f in FAMILIES}
        print_json({"model": model.name, "seed": seed, "nights": rows, "total": total})
        return
    if out is not None:
        console.print(f"wrote {nights} nights to {out}", highlight=False)
        return
    table = Table(title=f"{nights} nights from {model.name} (seed {seed})")
    for name in columns:
        table.add_column(name, justify="right")
    for i in range(nights):
        table.add_row(*(str(int(columns[c][i])) for c in columns))
    table.add_row("total", *(str(int(raids[f].sum())) for f in FAMILIES), style="bold")
    console.print(table)
