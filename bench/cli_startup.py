"""CLI start-up benchmark (issue 11 §4): wall and CPU time of a few ``leapsim`` commands.

Each command runs ``--repeat`` times in a fresh process, exactly as a user types it (the
``leapsim`` console script of this checkout's virtual environment); the table gives the median and
the minimum wall time, and the median and minimum CPU time (user + system) of the child process,
which load from other processes disturbs less than wall time.

Commands: ``python -c pass`` (the interpreter alone), ``leapsim --help``, ``leapsim validate
examples/gdansk_port.yaml``, ``leapsim track --help`` and ``leapsim track`` on 80 constant-velocity
targets × 60 scans (4,800 detections, written to a temporary CSV), whose time should be its work,
not its start-up. Targets: ``--help`` and ``validate`` <= 0.3 s wall on the 2-core sandbox.

The commands run as on a user's machine, with Python's bytecode cache on: the sandbox exports
``PYTHONDONTWRITEBYTECODE=1``, under which every start compiles leapsim's own modules from
source again (pip compiles the installed libraries, not an editable checkout); the untimed first
run of each command writes the cache. ``--no-bytecode-cache`` keeps the variable, to show that cost.

Run:  .venv/bin/python bench/cli_startup.py [--repeat 7] [--no-bytecode-cache]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
LEAPSIM = Path(sys.executable).with_name("leapsim")


def write_detections(path: Path, targets: int = 80, scans: int = 60, seed: int = 11) -> None:
    """Detections of ``targets`` constant-velocity targets over ``scans`` 1-s scans, σ = 10 m."""
    rng = np.random.default_rng(seed)
    start = rng.uniform(-20_000.0, 20_000.0, (targets, 2))
    velocity = rng.uniform(-40.0, 40.0, (targets, 2))
    rows = []
    for k in range(scans):
        position = start + k * velocity + rng.normal(0.0, 10.0, (targets, 2))
        rows += [f"{k},{x:.2f},{y:.2f}" for x, y in position]
    path.write_text("time,x,y\n" + "\n".join(rows) + "\n")


def measure(
    command: list[str], repeat: int, env: dict[str, str]
) -> tuple[float, float, float, float]:
    """(median wall s, min wall s, median CPU s, min CPU s) over ``repeat`` fresh processes."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, cwd=REPO, env=env)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{proc.stderr.decode()}")
    return statistics.median(walls), min(walls), statistics.median(cpus), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE from the environment (every start compiles leapsim)",
    )
    args = parser.parse_args()
    env = dict(os.environ)
    if not args.no_bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    cache = "off" if env.get("PYTHONDONTWRITEBYTECODE") else "on"
    with tempfile.TemporaryDirectory() as tmp:
        detections = Path(tmp) / "detections.csv"
        write_detections(detections)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "leapsim --help": [str(LEAPSIM), "--help"],
            "leapsim validate examples/gdansk_port.yaml": [
                str(LEAPSIM),
                "validate",
                "examples/gdansk_port.yaml",
            ],
            "leapsim track --help": [str(LEAPSIM), "track", "--help"],
            "leapsim track (80 targets x 60 scans)": [
                str(LEAPSIM),
                "track",
                str(detections),
                "--out",
                str(Path(tmp) / "tracks.csv"),
            ],
        }
        # one untimed run each: warm the file cache and numba's on-disk cache
        for command in commands.values():
            subprocess.run(command, capture_output=True, cwd=REPO, env=env)
        print(
            f"{args.repeat} runs each; bytecode cache {cache}; "
            f"load average {os.getloadavg()[0]:.2f} at start\n"
        )
        print(
            "| command | median wall s | min wall s | median CPU s | min CPU s |\n"
            "|---|---|---|---|---|"
        )
        for name, command in commands.items():
            wall, best, cpu, least = measure(command, args.repeat, env)
            print(f"| `{name}` | {wall:.3f} | {best:.3f} | {cpu:.3f} | {least:.3f} |")
        print(f"\nload average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
