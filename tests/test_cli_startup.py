"""The CLI starts instantly (issue 11 §4): asking for help, or the version, imports no heavy
library. Checked on ``sys.modules`` in a fresh interpreter, not by timing (``bench/cli_startup.py``
measures the time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("numpy", "numba", "scipy", "pyarrow", "pyproj", "dask", "optuna", "leapsim.engine")
PROBE = """
import json, sys
from leapsim.cli import main
args, heavy = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.argv = ["leapsim", *args]
try:
    main()
except SystemExit:
    pass
print("HEAVY=" + json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


def heavy_modules_after(*args: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    """The modules of ``heavy`` loaded by ``leapsim ARGS`` in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(heavy)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = next(x for x in proc.stdout.splitlines()[::-1] if x.startswith("HEAVY="))
    return json.loads(line.removeprefix("HEAVY="))


@pytest.mark.parametrize(
    "args",
    [
        ("--version",),
        ("track", "--help"),
        ("metrics", "ospa", "--help"),
        ("threat", "fit", "--help"),
        ("threat", "sample", "--help"),
        ("report", "--help"),
        ("wta", "solve", "--help"),
        ("--help",),
        ("validate", "--help"),
        ("run", "--help"),
        ("demo", "--help"),
        ("campaign", "--help"),
        ("plan", "--help"),
        ("requirements", "--help"),
        ("coalition", "--help"),
        ("warn", "--help"),
        ("warn", "run", "--help"),
    ],
    ids=" ".join,
)
def test_help_imports_no_heavy_library(args):
    assert heavy_modules_after(*args) == []


def test_validate_imports_no_heavy_library():
    """``validate`` loads and checks the scenario without the engine (issue 11 §4), and prints
    its ``ok`` line, or its errors, without rich."""
    example = Path(__file__).resolve().parents[1] / "examples" / "gdansk_port.yaml"
    assert heavy_modules_after("validate", str(example), heavy=(*HEAVY, "rich")) == []
    assert heavy_modules_after("validate", "/nonexistent.yaml", heavy=(*HEAVY, "rich")) == []


def test_the_probe_sees_heavy_imports():
    """Guard against a probe that passes because it sees nothing."""
    assert "numpy" in heavy_modules_after("wta", "solve", "/nonexistent/instance.txt")
