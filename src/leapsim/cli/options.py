"""The options and arguments several commands share: one definition each of the name, the help
text and the valid range (docs/cli.md). Typer checks the range before the command runs; a number
outside it, or one that is not finite, exits 2 with ``error: …``.

Options whose values are fixed names are annotated with the ``typing.Literal`` type that the
library itself uses (``SensingMode``, ``Pooling``, ``WTAMethod``): typer lists the names in
``--help`` and refuses any other.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

#: Largest seed: ``numpy.random.SeedSequence`` takes any integer >= 0; 2^63 - 1 keeps it a
#: JSON-safe 64-bit integer in every results file.
MAX_SEED = 2**63 - 1
#: Most Monte Carlo replications of one study (a night study of 10^6 runs is hours on a laptop).
MAX_RUNS = 1_000_000
#: Most local worker processes.
MAX_JOBS = 1024
#: Longest campaign or sampled raid sequence, nights (ten years).
MAX_NIGHTS = 3650
#: Largest multiplier of the threat model's raids: 100 times the theatre it was fitted on keeps
#: the largest nights within the engine's 100,000 threats per raid.
MAX_THREAT_SCALE = 100.0
DEFAULT_SEED = 1


def finite(value: float | None) -> float | None:
    """Typer callback: refuse ``nan`` and ``inf`` (range checks let NaN through)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number")
    return value


def metavar(name: str) -> str:
    """One placeholder style: arguments are named in capitals (``SCENARIO``, ``FILE``); options
    keep typer's placeholder of their type (``<int range>``, ``<path>``)."""
    return name.upper()


ScenarioArgument = Annotated[
    str,
    typer.Argument(metavar=metavar("scenario"), help="Scenario YAML file, or builtin:NAME."),
]
StudyArgument = Annotated[
    str, typer.Argument(metavar=metavar("study"), help="Plan study YAML file, or builtin:NAME.")
]
SeedOption = Annotated[
    int,
    typer.Option(
        "--seed",
        min=0,
        max=MAX_SEED,
        help="Study seed; run i draws from SeedSequence(seed, (i,)).",
    ),
]
RunsOption = Annotated[
    int, typer.Option("--runs", "-n", min=1, max=MAX_RUNS, help="Monte Carlo replications.")
]
JobsOption = Annotated[
    int,
    typer.Option(
        "--jobs",
        "-j",
        min=0,
        max=MAX_JOBS,
        help="Local worker processes; 0: one per CPU core.",
    ),
]
ExecutorOption = Annotated[
    str | None,
    typer.Option(
        help="local (default) or dask://HOST:PORT of a Dask scheduler; ?wait=SECONDS: how long "
        "it may have no worker (default 30; docs/experiments.md).",
    ),
]
RESULTS_HELP = "Results folder (docs/results.md); an interrupted study there resumes."
ResultsOption = Annotated[Path | None, typer.Option("--out", help=RESULTS_HELP)]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the result as one JSON document on stdout.")
]
ReportOption = Annotated[bool, typer.Option("--report", help="Also write OUT/report.html.")]
NightsOption = Annotated[
    int, typer.Option("--nights", min=1, max=MAX_NIGHTS, help="Nights, numbered from 1.")
]
ThreatScaleOption = Annotated[
    float,
    typer.Option(
        "--threat-scale",
        min=0.0,
        max=MAX_THREAT_SCALE,
        callback=finite,
        help="Multiplies every raid of the threat model (another theatre, a share of it).",
    ),
]
