"""Rich consoles shared by the CLI commands, and the one way to print an error or a JSON result.

Neither console interprets markup (``[bold]``) or emoji codes (``file.yaml:100:`` stays a line
number), so text from a user's files prints as written; styles are given as
:class:`rich.text.Text` spans. Control characters in error text are shown escaped. Output that
goes to a file or a pipe (not a terminal, and no ``COLUMNS`` set) is not wrapped, so tables keep
whole names and numbers.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

_UNWRAPPED = 100_000  # columns of a console that writes to a file or a pipe


class LazyConsole:
    """A rich console for stdout or stderr, built on first use: importing rich costs about
    30 ms that ``--help`` and ``validate`` need not pay."""

    def __init__(self, stderr: bool):
        self._stderr = stderr
        self._console: Console | None = None

    @property
    def rich(self) -> Console:
        """The rich :class:`~rich.console.Console` itself (e.g. for a progress bar)."""
        if self._console is None:
            from rich.console import Console

            stream = sys.stderr if self._stderr else sys.stdout
            piped = not stream.isatty() and "COLUMNS" not in os.environ
            self._console = Console(
                stderr=self._stderr,
                markup=False,
                emoji=False,
                width=_UNWRAPPED if piped else None,
            )
        return self._console

    def print(self, *objects: Any, **options: Any) -> None:
        self.rich.print(*objects, **options)


console = LazyConsole(stderr=False)
err_console = LazyConsole(stderr=True)


def printable(text: str) -> str:
    """``text`` with control and other non-printing characters escaped (``\\x1b``)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in "\n\t" else ascii(c)[1:-1] for c in text)


def _print_labelled(label: str, style: str, message: str) -> None:
    from rich.text import Text

    err_console.print(
        Text.assemble((label, style), " ", printable(message)), highlight=False, soft_wrap=True
    )


def print_error(message: str) -> None:
    """``error: MESSAGE`` on stderr, the message printed literally (no markup, no emoji)."""
    _print_labelled("error:", "bold red", message)


def print_warning(message: str) -> None:
    """``warning: MESSAGE`` on stderr, printed literally."""
    _print_labelled("warning:", "yellow", message)


def print_json(document: Any) -> None:
    """The ``--json`` result: one strict JSON document on stdout (never ``NaN``/``Infinity``)."""
    from leapsim.atomic import json_safe  # not at the top: it loads tempfile

    sys.stdout.write(json.dumps(json_safe(document), allow_nan=False) + "\n")
    sys.stdout.flush()


def ok_line(text: str) -> Text:
    """``ok …``: the line a successful check prints."""
    from rich.text import Text

    return Text.assemble(("ok", "green"), " ", text)
