"""Stop benchmark: how fast ``leapsim run --jobs J`` stops on Ctrl-C, SIGTERM and SIGKILL.

Starts ``leapsim run SCENARIO --runs R --jobs J --out TMP`` (a study of minutes), waits for its
first saved chunk, sends the signal to the parent only (as ``kill`` does; a terminal's Ctrl-C
also reaches the workers, which ignore it), and measures: the time to the ``interrupted:``
message on stderr, the time to exit, the exit status, and the time until every pool worker has
gone (or how many are still alive 30 s later; those are then killed). The target (issue 18):
message and exit within a second or two, no worker left.

Run:  .venv/bin/python bench/stop.py [--scenario builtin:rzeszow_leap] [--runs 300] [--jobs 2]
      [--signals SIGINT SIGTERM SIGKILL]
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil


def stop_once(args: argparse.Namespace, signum: int) -> dict[str, float | int | str]:
    out = Path(tempfile.mkdtemp(prefix="leapsim-stop-")) / "study"
    command = [sys.executable, "-m", "leapsim", "run", args.scenario, "--runs", str(args.runs),
               "--jobs", str(args.jobs), "--out", str(out)]  # fmt: skip
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    lines: list[tuple[float, str]] = []
    reader = threading.Thread(
        target=lambda: [lines.append((time.monotonic(), x)) for x in proc.stderr]
    )
    reader.start()
    while not list((out / ".partial").glob("chunk-*.pkl")):
        time.sleep(0.05)
    workers = psutil.Process(proc.pid).children(recursive=True)
    sent = time.monotonic()
    proc.send_signal(signum)
    proc.wait()
    exited = time.monotonic() - sent
    left = psutil.wait_procs(workers, timeout=30)[1]
    gone = time.monotonic() - sent
    for orphan in left:  # the old behaviour: clean up after measuring it
        orphan.kill()
    reader.join()
    said = [t - sent for t, line in lines if line.startswith("interrupted:")]
    return {
        "signal": signal.Signals(signum).name,
        "message_s": f"{said[0]:.2f}" if said else "—",
        "exit_s": f"{exited:.2f}",
        "status": proc.returncode,
        "workers_gone_s": f"{gone:.2f}" if not left else "—",
        "workers": len(workers),
        "alive_after_30_s": len(left),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="builtin:rzeszow_leap")
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--signals", nargs="+", default=["SIGINT", "SIGTERM", "SIGKILL"])
    args = parser.parse_args()
    rows = [stop_once(args, signal.Signals[name]) for name in args.signals]
    head = list(rows[0])
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(str(row[k]) for k in head) + " |")


if __name__ == "__main__":
    main()
