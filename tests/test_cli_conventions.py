"""The conventions every command follows (docs/cli.md; issue 18): bounded options, one error
style, ``--json`` where a command yields a result, help for every option, one placeholder style,
one seed default, ``--out`` of the wrong kind, and output that is not cut when piped.

Most cases run the command line in-process (``leapsim.cli.invoke``), as the console script does."""

from __future__ import annotations

import json
import math

import pytest
from typer.main import get_command

from leapsim.cli import app, invoke, load_commands
from leapsim.cli.console import print_json

load_commands()
COMMANDS: dict[str, object] = {}


def _collect(command, path: tuple[str, ...] = ()) -> None:
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        COMMANDS[" ".join(path)] = command
        return
    for name, sub in subcommands.items():
        _collect(sub, (*path, name))


_collect(get_command(app))
#: Commands whose product is a file or folder they write, or a check: all yield a result too.
NO_RESULT: set[str] = set()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = invoke([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def options_of(name: str) -> list:
    return [p for p in COMMANDS[name].params if p.param_type_name == "option"]


def test_every_command_is_seen():
    assert {"run", "validate", "demo", "campaign", "threat fit", "wta solve", "report"} <= set(
        COMMANDS
    )


# --- one consistent CLI ------------------------------------------------------------------------


def test_version(capsys):
    from leapsim import __version__

    assert run(capsys, "--version")[:2] == (0, f"leapsim {__version__}\n")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_and_argument_has_help(name):
    for param in COMMANDS[name].params:
        assert (param.help or "").strip(), f"leapsim {name}: {param.name} has no help"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_one_placeholder_style(name):
    """Arguments are named in capitals; options show typer's placeholder of their type."""
    for param in COMMANDS[name].params:
        if param.param_type_name == "argument":
            assert param.metavar and param.metavar == param.metavar.upper(), (name, param.name)
        else:
            assert param.metavar is None, (name, param.name, param.metavar)


@pytest.mark.parametrize("name", sorted(set(COMMANDS) - NO_RESULT))
def test_every_command_has_json(name):
    assert any("--json" in p.opts for p in options_of(name)), f"leapsim {name} has no --json"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_one_seed_default(name):
    for param in options_of(name):
        if "--seed" in param.opts:
            assert param.default == 1 and param.min == 0, (name, param.default, param.min)


def test_jobs_zero_is_explained():
    for name in COMMANDS:
        for param in options_of(name):
            if "--jobs" in param.opts:
                assert "0: one per CPU core" in param.help and param.min == 0, name


# Minimal command lines that pass every check before the option under test.
BASE = {
    "run": ["run", "builtin:rzeszow_legacy"],
    "demo": ["demo"],
    "campaign": ["campaign", "builtin:rzeszow_legacy", "--nights", "2"],
    "plan": ["plan", "builtin:small_plan"],
    "requirements": ["requirements", "x", "--effector", "e", "--vary", "v", "--out", "o"],
    "coalition": ["coalition", "x", "--out", "o"],
    "threat sample": ["threat", "sample", "default", "--nights", "2"],
    "wta solve": ["wta", "solve", "x.txt"],
    "metrics ospa": ["metrics", "ospa", "--truth", "t.csv", "--tracks", "k.csv"],
    "hindcast": [
        *("hindcast", "x", "--reports", "r", "--since", "a", "--until", "b"),
        *("--runs", "2", "--out", "o"),
    ],
    "calibrate": ["calibrate", "x", "--reports", "r", "--since", "a", "--until", "b", "--out", "o"],
    "warn run": ["warn", "run", "builtin:poland_belarus"],
}


@pytest.mark.parametrize("name", sorted(n for n in COMMANDS if any(
    "--seed" in p.opts for p in options_of(n))))  # fmt: skip
def test_negative_seed_is_refused_everywhere(capsys, name):
    code, out, err = run(capsys, *BASE[name], "--seed", "-1")
    assert code == 2 and err.startswith("error: ") and "--seed" in err, err
    assert out == ""


@pytest.mark.parametrize("name", sorted(n for n in COMMANDS if any(
    "--report" in p.opts for p in options_of(n)) and "--out" not in BASE[n]))  # fmt: skip
def test_report_without_out_is_refused_everywhere(capsys, name):
    code, out, err = run(capsys, *BASE[name], "--report")
    assert code == 2 and err.startswith("error: ") and "--out" in err, err
    assert out == ""


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["run", "builtin:rzeszow_legacy", "--runs", "0"], "--runs"),
        (["run", "builtin:rzeszow_legacy", "--jobs", "-1"], "--jobs"),
        (["run", "builtin:rzeszow_legacy", "--sensing", "radar"], "--sensing"),
        (["threat", "sample", "default", "--nights", "100000000"], "--nights"),
        (["threat", "sample", "default", "--nights", "0"], "--nights"),
        (["threat", "sample", "default", "--nights", "2", "--threat-scale", "1e300"], "--threat"),
        (["threat", "sample", "default", "--nights", "2", "--threat-scale", "inf"], "--threat"),
        (
            ["threat", "sample", "default", "--nights", "2", "--start-month-offset", "nan"],
            "--start",
        ),
        (["wta", "solve", "x.txt", "--time-limit", "inf"], "--time-limit"),
        (["wta", "solve", "x.txt", "--time-limit", "nan"], "--time-limit"),
        (["wta", "solve", "x.txt", "--method", "best"], "--method"),
        (["metrics", "ospa", "--truth", "t", "--tracks", "k", "--p", "inf"], "--p"),
        (["metrics", "ospa", "--truth", "t", "--tracks", "k", "--p", "1000"], "--p"),
        (["metrics", "ospa", "--truth", "t", "--tracks", "k", "--c", "inf"], "--c"),
        (["metrics", "ospa", "--truth", "t", "--tracks", "k", "--c", "0"], "--c"),
        (["campaign", "builtin:rzeszow_legacy", "--nights", "2", "--pooling", "pooled"], "pooled"),
        (["warn", "plan", "builtin:poland_belarus", "--budget", "inf"], "--budget"),
        (["warn", "run", "builtin:poland_belarus", "--warning-min", "nan"], "--warning-min"),
        (["warn", "coverage", "builtin:poland_belarus", "--altitude", "-1"], "--altitude"),
        (["warn", "coverage", "builtin:poland_belarus", "--method", "best"], "--method"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else v,
)
def test_numbers_and_names_out_of_range_exit_2_before_work(capsys, argv, option):
    code, out, err = run(capsys, *argv)
    assert code == 2, err
    assert err.startswith("error: ") and option in err, err
    assert "╭" not in err and "Traceback" not in err  # one error style, no boxed panel
    assert out == ""


def test_unknown_option_and_command_use_the_same_error_style(capsys):
    for argv in (["run", "x", "--bogus"], ["nosuch"], ["run"]):
        code, _, err = run(capsys, *argv)
        assert code == 2 and err.startswith("error: ") and "╭" not in err, err


# --- JSON, piped output -------------------------------------------------------------------------


def test_json_never_holds_nan_or_infinity(capsys):
    print_json({"a": math.nan, "b": [math.inf, -math.inf, 1.5], "c": {"d": math.nan}})
    out = capsys.readouterr().out
    assert json.loads(out, parse_constant=pytest.fail) == {"a": None, "b": [None, None, 1.5],
                                                           "c": {"d": None}}  # fmt: skip


def test_validate_json_and_builtin_names(capsys):
    code, out, _ = run(capsys, "validate", "builtin:rzeszow_base", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["scenario"] == "rzeszow" and doc["fire_units"] == 0
    code, _, err = run(capsys, "validate", "builtin:rzeszow_bse")
    assert code == 2 and "did you mean 'rzeszow_base'?" in err


def test_piped_output_is_not_wrapped_or_cut(capsys):
    """Captured stdout is not a terminal: the validate line stays whole, the table keeps names."""
    code, out, _ = run(capsys, "validate", "examples/gdansk_port.yaml")
    assert code == 0 and len(out.splitlines()) == 1 and len(out) > 100
    code, out, _ = run(capsys, "threat", "sample", "default", "--nights", "2")
    assert "ballistic_missile" in out and "…" not in out


def test_validate_counts_match_the_compiled_scenario():
    from leapsim.engine import compile_scenario
    from leapsim.scenario import load_scenario

    for spec in ("examples/gdansk_port.yaml", "builtin:rzeszow_leap"):
        resolved = load_scenario(spec)
        params = compile_scenario(resolved)
        assert resolved.counts() == {
            "threats": params.n_threats,
            "raids": len(params.raids.count),
            "fire_units": len(params.unit_names),
            "effector_types": len(params.effector_types.names),
            "sensors": len(params.sensors),
            "sites": len(params.site_names),
        }


# --- files and folders --------------------------------------------------------------------------


@pytest.fixture
def inputs(tmp_path):
    wta = tmp_path / "w.txt"
    wta.write_text("1 1 1\n5\n0 0 0.5\n")
    det = tmp_path / "det.csv"
    det.write_text("time,x,y\n" + "".join(f"{t},{10 * t},0\n" for t in range(6)))
    folder = tmp_path / "folder"
    folder.mkdir()
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    return {"wta": wta, "det": det, "folder": folder, "file": a_file}


@pytest.mark.parametrize(
    "argv",
    [
        ["wta", "solve", "{wta}", "--time-limit", "0.1", "--out", "{folder}"],
        ["track", "{det}", "--out", "{folder}"],
        ["threat", "sample", "default", "--nights", "2", "--out", "{folder}"],
        ["run", "builtin:rzeszow_legacy", "--runs", "1", "--out", "{file}"],
        ["run", "builtin:rzeszow_legacy", "--runs", "1", "--out", "{file}/below"],
        ["campaign", "builtin:rzeszow_legacy", "--nights", "1", "--runs", "1", "--out", "{file}"],
        ["warn", "run", "builtin:poland_belarus", "--runs", "1", "--out", "{file}"],
        ["warn", "plan", "builtin:poland_belarus", "--out", "{file}"],
    ],
    ids=lambda v: " ".join(v[:2]),
)
def test_out_of_the_wrong_kind_exits_2(capsys, inputs, argv):
    code, _, err = run(capsys, *(a.format(**inputs) for a in argv))
    assert code == 2 and err.startswith("error: "), err
    assert ("is a folder" in err) or ("is a file" in err) or ("output type" in err), err


def test_binary_table_is_named_not_echoed(capsys, tmp_path):
    binary = tmp_path / "det.csv"
    binary.write_bytes(b"time,x,y\n\x00\x01\x9f\xff,\x1b[31m,2\n")
    code, _, err = run(capsys, "track", binary, "--out", tmp_path / "t.csv")
    assert code == 2 and "binary data" in err and "\x1b" not in err and "\x00" not in err
    text = tmp_path / "short.csv"
    text.write_text("time,x,y\n1,2\n\x1b[31mred,3,4\n")
    code, _, err = run(capsys, "track", text, "--out", tmp_path / "t.csv")
    assert code == 2 and "\x1b" not in err and "red" not in err, err


# --- every problem at once, wording ---------------------------------------------------------


def test_every_problem_of_a_scenario_is_reported_at_once(tmp_path):
    from leapsim.errors import InputError
    from leapsim.scenario import load_scenario

    path = tmp_path / "three.yaml"
    path.write_text(
        "name: three mistakes\n"
        "duraton_s: 600\n"
        "sites:\n  - {name: A, lat: 95, lon: 20, value_eur: 1, nation: PL}\n"
        "fire_units:\n  - {type: gepard_35, lat: 50, lon: 20, nation: PL}\n"
    )
    with pytest.raises(InputError) as info:
        load_scenario(path)
    found = {(p.line, p.field) for p in info.value.problems}
    assert found == {(2, "duraton_s"), (4, "sites[0].lat"), (6, "fire_units[0].type")}


def test_report_rows_cut_short_or_too_long_are_errors(tmp_path):
    from leapsim.errors import InputError
    from leapsim.threats import read_reports

    header = "time_start,time_end,model,launched,destroyed\n"
    for row, fields in (
        ("2025-01-01,2025-01-02,Shahed-136/131\n", 3),
        ("2025-01-01,,x,1,1,1\n", 6),
    ):
        path = tmp_path / "r.csv"
        path.write_text(header + row)
        with pytest.raises(InputError, match=f"the row has {fields} fields, the header 5") as info:
            read_reports(path)
        assert info.value.problems[0].line == 2
    path.write_text(header + "2025-01-01,2025-01-02,Shahed-136/131,1e300,0\n")
    with pytest.raises(InputError, match="is not a count"):
        read_reports(path)
    path.write_text(header + "2025-01-01,2025-01-02," + "x" * 200_000 + ",1,0\n")
    with pytest.raises(InputError, match="cannot read the row"):
        read_reports(path)
