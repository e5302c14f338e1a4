"""The root Typer app; command modules attach themselves to it."""

from __future__ import annotations

from typing import Annotated

import typer

from leapsim import __version__

app = typer.Typer(
    name="leapsim",
    help="Simulate, measure and plan cost-effective layered air defence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"leapsim {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Simulate, measure and plan cost-effective layered air defence."""
