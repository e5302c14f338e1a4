"""Error text reaches the user exactly as the library wrote it: no emoji codes (``:100:``), no
console markup (``[bold]``), control characters escaped, and never a traceback."""

from __future__ import annotations

from leapsim.cli.console import err_console, print_error, printable


def test_errors_print_literally():
    message = "file.yaml:100: raids[0]: :smile: [bold red]x[/] unknown key '\x1b[31m'"
    with err_console.rich.capture() as captured:
        print_error(message)
    out = captured.get()
    assert "file.yaml:100: raids[0]: :smile: [bold red]x[/]" in out
    assert "\x1b[31m" not in out and "\\x1b[31m" in out
    assert out.startswith("error: ")


def test_printable_escapes_only_what_a_terminal_would_act_on():
    assert printable("Rzeszów 💯 ok") == "Rzeszów 💯 ok"
    assert printable("a\x00b\u202ec\td\ne") == "a\\x00b\\u202ec\td\ne"
