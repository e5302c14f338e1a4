"""Error text reaches the user exactly as the library wrote it: no emoji codes (``:100:``), no
console markup (``[bold]``), control characters escaped, and never a traceback."""

from __future__ import annotations

import io
import sys

from leapsim.cli.console import print_error, printable


def test_errors_print_literally(capsys):
    message = "file.yaml:100: raids[0]: :smile: [bold red]x[/] unknown key '\x1b[31m'"
    print_error(message)
    out = capsys.readouterr().err
    assert "file.yaml:100: raids[0]: :smile: [bold red]x[/]" in out
    assert "\x1b[31m" not in out and "\\x1b[31m" in out
    assert out.startswith("error: ")


def test_printable_escapes_only_what_a_terminal_would_act_on():
    assert printable("Rzeszów 💯 ok") == "Rzeszów 💯 ok"
    assert printable("a\x00b\u202ec\td\ne") == "a\\x00b\\u202ec\td\ne"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_only_the_label_is_coloured_and_only_on_a_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    print_error("scenario.yaml:3: raids: [red]x[/]")
    assert terminal.getvalue() == "\x1b[1;31merror:\x1b[0m scenario.yaml:3: raids: [red]x[/]\n"

    monkeypatch.setenv("NO_COLOR", "1")
    plain = _Terminal()
    monkeypatch.setattr(sys, "stderr", plain)
    print_error("scenario.yaml:3: raids: x")
    assert plain.getvalue() == "error: scenario.yaml:3: raids: x\n"
