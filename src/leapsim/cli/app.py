"""The root Typer app; command modules attach themselves to it."""

import typer

app = typer.Typer(
    name="leapsim",
    help="Simulate, measure and plan cost-effective layered air defence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
