"""The ``leapsim`` command line: one Typer app, one module per command group.

Every command reports bad input as ``file:line: field: message (fix)`` on stderr and exits 2.
Command modules import heavy libraries (the engine, numba, scipy, pyarrow, dask) inside the
command functions, so that ``leapsim --help`` and ``leapsim validate`` start at once; a command
line that names a command imports only the module that defines it.

Options whose values are fixed names are annotated with the ``typing.Literal`` type that the
library itself uses for that value (``SensingMode``, ``WTAMethod``, …): typer lists the names in
``--help`` and refuses any other with exit 2, and there is one definition of the names.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys

from leapsim.cli.app import app
from leapsim.cli.console import print_error
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
#: The module of each command (group) name, so that ``leapsim track …`` imports only one module.
MODULE_OF_COMMAND = {
    "validate": "run",
    "run": "run",
    "demo": "run",
    "threat": "threat",
    "track": "track",
    "metrics": "track",
    "report": "report",
    "campaign": "campaign",
    "wta": "wta",
    "plan": "plan",
    "requirements": "requirements",
    "coalition": "coalition",
    "hindcast": "validation",
    "calibrate": "validation",
    "warn": "warn",
}


def load_commands(argv: list[str] | None = None) -> None:
    """Register the commands on :data:`app`: only the module of the command that ``argv`` names
    (its first word), none for ``--version``, else every module (``--help``, an unknown word)."""
    first = argv[0] if argv else None
    if first == "--version":
        names: tuple[str, ...] = ()
    elif first in MODULE_OF_COMMAND:
        names = (MODULE_OF_COMMAND[first],)
    else:
        names = COMMAND_MODULES
    for name in names:
        importlib.import_module(f"leapsim.cli.{name}")


def main() -> None:
    """Console-script entry point: one error style for every failure a user can cause, bad
    options included (``error: …`` on stderr, exit 2), never a traceback for bad input."""
    # leapsim uses no pydantic plugin; looking for them scans every installed package's metadata
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    argv = sys.argv[1:]
    load_commands(argv)
    code = invoke(argv)
    # The interpreter's exit collects the whole heap that typer and pydantic built (40-60 ms
    # of every command); frozen objects are skipped and the operating system frees them.
    # Results are already closed and renamed into place, and atexit handlers still run.
    gc.freeze()
    sys.exit(code)


def invoke(argv: list[str]) -> int:
    """Run the command line ``argv`` (commands already loaded) and return its exit status."""
    from typer import Abort
    from typer._click.exceptions import ClickException, NoArgsIsHelpError

    try:
        code = app(args=argv, standalone_mode=False)
    except NoArgsIsHelpError:
        app(args=[*argv, "--help"], standalone_mode=False)
        return 2
    except InputError as exc:
        for problem in exc.problems:
            print_error(str(problem))
        return 2
    except ClickException as exc:
        command = exc.ctx.command_path if getattr(exc, "ctx", None) else "leapsim"
        message = exc.format_message().replace("Value error, ", "")
        print_error(f"{message} (see {command} --help)")
        return exc.exit_code
    except Abort:
        print_error("aborted")
        return 1
    return code if isinstance(code, int) else 0


__all__ = ["app", "invoke", "load_commands", "main"]
