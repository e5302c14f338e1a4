"""Rich consoles shared by the CLI commands, and the one way to print an error or a JSON result.

Neither console interprets markup (``[bold]``) or emoji codes (``file.yaml:100:`` stays a line
number), so text from a user's files prints as written; styles are given as
:class:`rich.text.Text` spans. Control characters in error text are shown escaped. Output that
goes to a file or a pipe (not a terminal, and no ``COLUMNS`` set) is not wrapped, so tables keep
whole names and numbers.

The one-line messages (``error: …``, ``warning: …``, ``ok …``) are written without rich: only the
label is coloured, with an ANSI code when the stream is a terminal and ``NO_COLOR`` is unset, so
``validate`` and every failing command start without importing rich (about 30 ms).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console

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


#: ANSI select-graphic-rendition codes of the message labels.
_LABEL_COLOUR = {"error:": "1;31", "warning:": "33", "ok": "32"}


def _print_labelled(stream: TextIO, label: str, message: str) -> None:
    """``LABEL MESSAGE`` on ``stream``; the message printed literally, control characters
    escaped; the label coloured on a terminal unless ``NO_COLOR`` is set (no-color.org)."""
    coloured = stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
    shown = f"\x1b[{_LABEL_COLOUR[label]}m{label}\x1b[0m" if coloured else label
    stream.write(f"{shown} {printable(message)}\n")
    stream.flush()


def print_error(message: str) -> None:
    """``error: MESSAGE`` on stderr, the message printed literally (no markup, no emoji)."""
    _print_labelled(sys.stderr, "error:", message)


def print_warning(message: str) -> None:
    """``warning: MESSAGE`` on stderr, printed literally."""
    _print_labelled(sys.stderr, "warning:", message)


def print_ok(message: str) -> None:
    """``ok MESSAGE`` on stdout: the line a successful check prints."""
    _print_labelled(sys.stdout, "ok", message)


def print_json(document: Any) -> None:
    """The ``--json`` result: one strict JSON document on stdout (never ``NaN``/``Infinity``)."""
    import json

    from leapsim.atomic import json_safe  # not at the top: it loads tempfile

    sys.stdout.write(json.dumps(json_safe(document), allow_nan=False) + "\n")
    sys.stdout.flush()
