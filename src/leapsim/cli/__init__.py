"""The ``leapsim`` command line: one Typer app, one module per command group.

Every command reports bad input as ``file:line: field: message (fix)`` on stderr and exits 2.
"""

from __future__ import annotations

import importlib
import sys

from rich.markup import escape

from leapsim.cli.app import app
from leapsim.cli.console import err_console
from leapsim.errors import InputError

# Each module registers its commands on ``app`` when imported.
COMMAND_MODULES: tuple[str, ...] = (
    "run",
    "threat",
    "track",
    "report",
    "campaign",
    "wta",
    "plan",
    "requirements",
    "coalition",
    "validation",
    "warn",
)


def load_commands() -> None:
    """Import every command module so that its commands are registered on :data:`app`."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"leapsim.cli.{name}")


def main() -> None:
    """Console-script entry point."""
    load_commands()
    try:
        app()
    except InputError as exc:
        for problem in exc.problems:
            err_console.print(
                f"[bold red]error:[/] {escape(str(problem))}", highlight=False, soft_wrap=True
            )
        sys.exit(2)


__all__ = ["app", "load_commands", "main"]
