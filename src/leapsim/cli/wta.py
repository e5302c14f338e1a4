"""``leapsim wta``: solve static weapon-target assignment instances from the benchmark format."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leapsim.choices import WTAMethod
from leapsim.cli.app import app
from leapsim.cli.console import console, print_json
from leapsim.cli.options import JsonOption, SeedOption, finite, metavar

wta_app = typer.Typer(
    help="Weapon-target assignment: solve benchmark-format instances.", no_args_is_help=True
)
app.add_typer(wta_app, name="wta")


@wta_app.command("solve")
def solve_command(
    file: Annotated[
        Path,
        typer.Argument(
            metavar=metavar("file"), help="Instance: 'm n mu', n values, m x n 'i j p'."
        ),
    ],
    time_limit: Annotated[
        float,
        typer.Option(
            "--time-limit", min=0.0, max=86_400.0, callback=finite, help="Seconds (up to a day)."
        ),
    ] = 10.0,
    seed: SeedOption = 1,
    method: Annotated[WTAMethod, typer.Option("--method", help="Solver (docs/wta.md).")] = "auto",
    workers: Annotated[int, typer.Option("--workers", min=1, max=256, help="Search threads.")] = 1,
    as_json: JsonOption = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write the solution JSON to this file.")
    ] = None,
) -> None:
    """Solve FILE and report objective, lower bound, time and the assignment."""
    from rich.table import Table

    from leapsim.c2.wta import read_instance, solution_dict, solve, write_solution

    problem = read_instance(file)
    solution = solve(problem, method=method, time_limit=time_limit, seed=seed, workers=workers)
    if out is not None:
        write_solution(solution, out)
    if as_json:
        print_json(solution_dict(solution))
        return
    table = Table(title=f"WTA {file.name}: {problem.n_types} types x {problem.n_targets} targets")
    table.add_column("field")
    table.add_column("value", justify="right")
    table.add_row("method", solution.method)
    table.add_row("objective", f"{solution.objective:.6f}")
    lb = solution.lower_bound
    table.add_row("lower bound", "-" if lb is None else f"{lb:.6f}")
    gap = solution.gap
    table.add_row("gap", "-" if gap is None else f"{100 * gap:.3f} %")
    table.add_row("time", f"{solution.time_s:.2f} s")
    table.add_row("shots", str(int(solution.counts.sum())))
    table.add_row("targets engaged", str(int((solution.counts.sum(axis=0) > 0).sum())))
    console.print(table)
