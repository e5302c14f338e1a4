"""The package layout follows the kill chain and imports point one way, down it (README, "How it
works"): every subpackage of ``leapsim`` imports only from itself, from the bottom-level modules
(the files directly in ``src/leapsim``: ``errors``, ``atomic``, ``tables``, ``seeds``, ...) and
from subpackages earlier in ``CHAIN``. Checked on the source with ``ast``, so imports inside
functions and under ``TYPE_CHECKING`` count too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "leapsim"

# Bottom first. ``threats`` (the raid model fitted to reports) imports only bottom-level modules
# and is imported by ``campaign`` and ``cli``, so it sits on the threat-model/scenario side, right
# after ``scenario``: nothing between it and ``campaign`` imports it, and it imports nothing from
# sensing, tracking, c2 or engine. The decision layers that run studies sit above experiments:
# ``planning`` (plan search) and, on it, ``procurement`` (requirements, coalitions). ``gym``
# (the engine's decision epochs as a Gymnasium environment) needs only the engine, but sits with
# the research-facing layers so that it may run studies; nothing below report imports it.
CHAIN = (
    "scenario",
    "threats",
    "sensing",
    "tracking",
    "c2",
    "engine",
    "campaign",
    "experiments",
    "validation",
    "planning",
    "procurement",
    "gym",
    "warning",
    "report",
    "cli",
)
ENTRY_POINT = "__main__"  # ``python -m leapsim``: above everything, like cli


def subpackages(root: Path) -> set[str]:
    return {p.name for p in root.iterdir() if (p / "__init__.py").is_file()}


def bottom_modules(root: Path) -> set[str]:
    return {p.stem for p in root.glob("*.py")}


def owner(root: Path, path: Path) -> str:
    """The subpackage, or for a file directly in the package its module name."""
    parts = path.relative_to(root).parts
    return parts[0] if len(parts) > 1 else Path(parts[0]).stem


def _package_of(root: Path, path: Path) -> list[str]:
    """The package a file's relative imports start from (for ``__init__.py``, its own)."""
    return ["leapsim", *path.relative_to(root).parent.parts]


def imported_modules(root: Path, path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every ``leapsim`` module the file imports: ``import a.b``, ``from
    a.b import c`` (as ``a.b.c``, so that ``from leapsim import engine`` is seen), relative
    imports resolved, and ``importlib.import_module`` with a literal or f-string prefix."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = _package_of(root, path)
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
        ):
            arg = node.args[0]
            if isinstance(arg, ast.JoinedStr) and arg.values:
                arg = arg.values[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append((node.lineno, arg.value))
    return [(line, name) for line, name in found if name.split(".")[0] == "leapsim"]


def target(root: Path, name: str) -> str | None:
    """The subpackage or bottom-level module a dotted ``leapsim`` name belongs to; ``None`` for
    the top package itself or a name it defines (``from leapsim import __version__``)."""
    parts = name.split(".")
    if len(parts) < 2:
        return None
    if parts[1] in subpackages(root) or parts[1] in bottom_modules(root):
        return parts[1]
    return None


def violations(root: Path) -> list[str]:
    packages = subpackages(root)
    unplaced = packages - set(CHAIN)
    assert not unplaced, f"place {sorted(unplaced)} in CHAIN in {Path(__file__).name}"
    rank = {name: i for i, name in enumerate(CHAIN)}
    rank[ENTRY_POINT] = len(CHAIN)
    bottom = bottom_modules(root) - {ENTRY_POINT}
    bad = []
    for path in sorted(root.rglob("*.py")):
        source = owner(root, path)
        for line, name in imported_modules(root, path):
            dest = target(root, name)
            if dest is None or dest == source or dest in bottom:
                continue
            if source in bottom or rank[dest] > rank[source]:
                where = "a bottom-level module" if source in bottom else f"below {dest}"
                bad.append(
                    f"{path.relative_to(root.parent)}:{line} imports {name}: {source} is {where}"
                )
    return bad


def test_imports_point_down_the_chain():
    bad = violations(SRC)
    assert not bad, "upward imports (see CHAIN in tests/test_layering.py):\n" + "\n".join(bad)


def test_the_checker_sees_the_real_imports():
    """Guard against a checker that passes because it finds nothing."""
    edges = {
        (owner(SRC, path), target(SRC, name))
        for path in SRC.rglob("*.py")
        for _, name in imported_modules(SRC, path)
    }
    for edge in [("campaign", "engine"), ("campaign", "threats"), ("experiments", "campaign")]:
        assert edge in edges
    assert ("cli", "cli") in edges  # importlib.import_module(f"leapsim.cli.{name}")
    assert ("threats", "yaml_files") in edges  # a bottom-level module


@pytest.mark.parametrize(
    ("file", "code", "expected"),
    [
        ("campaign/x.py", "from leapsim.experiments.store import write_table\n", 1),
        ("campaign/x.py", "import leapsim.report\n", 1),
        ("campaign/x.py", "from leapsim import cli\n", 1),
        ("campaign/x.py", "def f():\n    from ..experiments import store\n", 1),
        ("campaign/__init__.py", "from .x import y\nfrom ..engine import z\n", 0),
        ("engine/x.py", "from . import y\nfrom leapsim.errors import InputError\n", 0),
        ("errors.py", "from leapsim.scenario import load_scenario\n", 1),
        (
            "campaign/x.py",
            "from leapsim import __version__\nfrom leapsim.seeds import run_rng\n",
            0,
        ),
    ],
)
def test_the_checker_catches_upward_imports(tmp_path, file, code, expected):
    root = tmp_path / "leapsim"
    for package in ("scenario", "engine", "campaign", "experiments", "report", "cli"):
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("")
    for module in ("__init__.py", "errors.py", "seeds.py"):
        (root / module).write_text("")
    (root / file).write_text(code)
    assert len(violations(root)) == expected
