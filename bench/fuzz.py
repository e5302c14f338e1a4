"""Fuzz every input kind with many cases (issue 11 §5): ``tests/test_fuzz_inputs.py`` with
``LEAPSIM_FUZZ_EXAMPLES`` cases per kind and fresh random seeds (CI runs a few hundred per kind,
derandomised).

Each kind runs in its own pytest process under a memory limit (``--memory-gib``, address space),
so that an input that makes a loader allocate without bound shows up as a failure instead of
swapping; a case running past 20 s fails as a hang (``tests/fuzz_inputs.py``). The table gives,
per kind, the cases run, how they ended (a result, or an input error naming the file), whether
hypothesis found a failing case, and the wall time.

Run:  .venv/bin/python bench/fuzz.py [--examples 10000] [--jobs 2] [--kinds scenario wta ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KINDS = (
    "scenario",
    "catalogue",
    "campaign",
    "tracker",
    "threat_model",
    "reports",
    "detections",
    "truth",
    "wta",
    "results",
)


def run_kind(kind: str, examples: int, memory_gib: float) -> dict:
    limit = int(memory_gib * 2**30)

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    with tempfile.TemporaryDirectory() as tmp:
        counts_file = Path(tmp) / "counts.json"
        env = {
            **os.environ,
            "LEAPSIM_FUZZ_EXAMPLES": str(examples),
            "LEAPSIM_FUZZ_COUNTS": str(counts_file),
        }
        command = [
            sys.executable,
            "-m",
            "pytest",
            f"tests/test_fuzz_inputs.py::test_fuzz_{kind}",
            "-q",
            "-p",
            "no:cacheprovider",
            "--tb=short",
        ]
        started = time.perf_counter()
        proc = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, preexec_fn=cap_memory
        )
        elapsed = time.perf_counter() - started
        counts = json.loads(counts_file.read_text()).get(kind, {}) if counts_file.exists() else {}
    return {
        "kind": kind,
        "passed": proc.returncode == 0,
        "ok": counts.get("ok", 0),
        "input_error": counts.get("input error", 0),
        "seconds": elapsed,
        "output": failure_lines(proc.stdout + proc.stderr),
    }


def failure_lines(output: str, limit: int = 80) -> str:
    """What a failing pytest run says about its failure (the error, the falsifying draws and
    the traceback's file lines), without the commands' own output around it."""
    keep = re.compile(r"^(E |FAILED|Falsifying|Draw \d|[\w./-]+\.py:\d+)")
    lines = [line for line in output.splitlines() if keep.match(line)]
    return "\n".join(lines[-limit:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--memory-gib", type=float, default=8.0)
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    args = parser.parse_args()
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda k: run_kind(k, args.examples, args.memory_gib), args.kinds))
    print(f"{args.examples} examples per kind, memory limit {args.memory_gib:g} GiB per process\n")
    print("| input kind | cases run | result | input error (exit 2) | failures | wall s |")
    print("|---|---|---|---|---|---|")
    for r in results:
        runs = r["ok"] + r["input_error"]
        failures = "none" if r["passed"] else "**FAILED**"
        print(
            f"| {r['kind']} | {runs:,} | {r['ok']:,} | {r['input_error']:,} | {failures} "
            f"| {r['seconds']:.0f} |"
        )
    for r in results:
        if not r["passed"]:
            print(f"\n--- {r['kind']} ---\n{r['output']}")
    sys.exit(0 if all(r["passed"] for r in results) else 1)


if __name__ == "__main__":
    main()
