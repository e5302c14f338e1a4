"""Report benchmark: file size and build time of `leapsim report` against result size.

Results folders are the synthetic ones of ``tests/report_fixtures.py`` (a toy model with the
contract's layout): 1,000 runs, N threats, paths of P points (two legs of (P - 1) / 2 points);
"weaving" adds 300 m Gaussian noise to every inner point, so simplification cannot remove them and
the 200,000-point budget has to. Build time is ``build_report`` (read, check, prepare, render)
without writing; "page" is the part of it spent in ``render_html`` (data island preparation and
templates, not reading); the page size is the UTF-8 length of the HTML.

Run:  .venv/bin/python bench/report.py [--threats 100 800 3000] [--points 41 601]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import leapsim.report
from leapsim.report import build_report
from report_fixtures import make_night_folder

PAGE_SECONDS: list[float] = []


def _timed_render_html(*args, _render=leapsim.report.render_html, **kwargs) -> str:
    """``render_html`` as ``build_report`` calls it, recording its wall time."""
    start = time.perf_counter()
    page = _render(*args, **kwargs)
    PAGE_SECONDS.append(time.perf_counter() - start)
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threats", type=int, nargs="+", default=[100, 800, 3000])
    parser.add_argument("--points", type=int, nargs="+", default=[41, 601])
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    leapsim.report.render_html = _timed_render_html
    print(
        "| threats | points/path | paths | replay.json (MB) | build (s) | page (s) | report (MB) |"
    )
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.threats:
            for pts in args.points:
                for jitter in (0.0, 300.0):
                    folder = make_night_folder(
                        Path(tmp) / f"r{n}_{pts}_{jitter:g}",
                        runs=args.runs,
                        threats=n,
                        points_per_leg=(pts - 1) // 2,
                        jitter_m=jitter,
                    )
                    start = time.perf_counter()
                    page = build_report([folder])
                    took = time.perf_counter() - start
                    replay_mb = (folder / "replay.json").stat().st_size / 1e6
                    kind = "weaving" if jitter else "straight"
                    print(
                        f"| {n} | {pts} | {kind} | {replay_mb:.1f} | {took:.2f} | "
                        f"{PAGE_SECONDS[-1]:.2f} | {len(page.encode()) / 1e6:.2f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
