"""Every file in ``tests/bad_scenarios/`` is a scenario with one mistake. Its first line says
where the error must be reported: ``# expect: LINE what is wrong`` (the file itself) or
``# expect: OTHER.yaml:LINE what is wrong`` (a file it extends).

``leapsim validate FILE`` and ``leapsim run FILE`` must exit 2, print no traceback, and name
``FILE:LINE`` on stderr, with the same problems the library reports.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import CliResult, run_cli
from leapsim.errors import InputError
from leapsim.scenario import load_scenario

FOLDER = Path(__file__).parent / "bad_scenarios"
FILES = sorted(FOLDER.glob("*.yaml"))
EXPECT = re.compile(rb"^# expect: (?:(?P<file>[\w.-]+\.yaml):)?(?P<line>\d+) (?P<what>\S.*)$")
# one bad file of each kind also goes through `leapsim run`
RUN_TOO = (
    "unknown_key.yaml",
    "unknown_site_in_targets.yaml",
    "launch_both_ways.yaml",
    "invalid_yaml.yaml",
    "extends_missing_file.yaml",
    "not_utf8.yaml",
)


def expectation(path: Path) -> tuple[str, int]:
    """(file name, line) the error must name, from the file's first line."""
    first = path.read_bytes().splitlines()[0]
    match = EXPECT.match(first)
    assert match, f"{path.name}: first line must be '# expect: LINE what is wrong'"
    name = match["file"].decode() if match["file"] else path.name
    return name, int(match["line"])


@pytest.fixture(scope="module")
def run_out(tmp_path_factory) -> Path:
    """Where ``leapsim run BADFILE --out`` is told to write (nothing must appear)."""
    return tmp_path_factory.mktemp("bad_runs")


@pytest.fixture(scope="module")
def cli_results(run_out) -> dict[tuple[str, str], CliResult]:
    """``leapsim validate`` on every file and ``leapsim run`` on :data:`RUN_TOO`, run in the
    folder as a user would, a few at a time (each start of the CLI costs about a second)."""
    out = run_out
    jobs = [("validate", path.name, ()) for path in FILES]
    jobs += [("run", name, ("--runs", "2", "--out", str(out / name))) for name in RUN_TOO]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        futures = {
            (command, name): pool.submit(run_cli, command, name, *extra, cwd=FOLDER)
            for command, name, extra in jobs
        }
    return {key: future.result() for key, future in futures.items()}


def names_location(stderr: str, name: str, line: int) -> bool:
    return re.search(rf"(^|[\s/]){re.escape(name)}:{line}\b", stderr, re.MULTILINE) is not None


def test_the_folder_covers_every_kind_of_mistake():
    assert len(FILES) >= 25
    for path in FILES:
        expectation(path)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_validate_exits_2_and_names_file_and_line(cli_results, path):
    name, line = expectation(path)
    result = cli_results["validate", path.name]
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert names_location(result.stderr, name, line), result.stderr


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_library_reports_the_same_problems(cli_results, path, monkeypatch):
    """load_scenario raises InputError naming the expected place, and the CLI prints each
    problem verbatim (no text lost to console markup)."""
    name, line = expectation(path)
    monkeypatch.chdir(FOLDER)
    with pytest.raises(InputError) as info:
        load_scenario(path.name)
    problems = info.value.problems
    assert any(Path(p.file or "").name == name and p.line == line for p in problems), [
        str(p) for p in problems
    ]
    for problem in problems:
        assert problem.message and problem.file
    result = cli_results["validate", path.name]
    for problem in problems:
        assert str(problem) in result.stderr, (str(problem), result.stderr)


@pytest.mark.parametrize("name", RUN_TOO)
def test_run_exits_2(cli_results, run_out, name):
    expected_name, line = expectation(FOLDER / name)
    result = cli_results["run", name]
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert names_location(result.stderr, expected_name, line), result.stderr
    assert not (run_out / name).exists()
