"""``leapsim wta``: solve static weapon-target assignment instances from the benchmark format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from leapsim.c2.wta_methods import WTAMethod
from leapsim.cli.app import app
from leapsim.cli.console import console

wta_app = typer.Typer(
    help="Weapon-target assignment: solve benchmark-format instances.", no_args_is_help=True
)
app.add_typer(wta_app, name="wta")


@wta_app.command("solve")
def solve_command(
    file: Annotated[Path, typer.Argument(help="Instance: 'm n mu', n values, m x n 'i j p'.")],
    time_limit: Annotated[float, typer.Option("--time-limit", min=0.0, help="Seconds.")] = 10.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the search.")] = 0,
    method: Annotated[WTAMethod, typer.Option("--method", help="Solver (docs/wta.md).")] = "auto",
    workers: Annotated[int, typer.Option("--workers", min=1, help="Search threads.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the solution as JSON.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Also write the JSON here.")] = None,
) -> None:
    """Solve FILE and report objective, lower bound, time and the assignment."""
    from rich.markup import escape
    from rich.table import Table

    from leapsim.c2.wta import read_instance, solution_dict, solve, write_solution

    problem = read_instance(file)
    solution = solve(problem, method=method, time_limit=time_limit, seed=seed, workers=workers)
    if out is not None:
        write_solution(solution, out)
    if as_json:
        typer.echo(json.dumps(solution_dict(solution)))
        return
    table = Table(
        title=f"WTA {escape(file.name)}: {problem.n_types} types x {problem.n_targets} targets"
    )
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
