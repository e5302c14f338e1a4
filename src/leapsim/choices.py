"""Names a user chooses between, where the file formats (pydantic models) and the command line
(typer options) both take them: one ``typing.Literal`` each, and its values as a tuple. A module
of its own at the bottom of the package, so that ``leapsim --help`` lists the names without
loading the engine, the solvers or the campaign model."""

from __future__ import annotations

from typing import Literal, get_args

#: How fire control sees threats (``sensing.mode`` in a scenario; ``--sensing``; docs/engine.md).
SensingMode = Literal["detection", "tracked"]
SENSING_MODES: tuple[str, ...] = get_args(SensingMode)

#: Whether nations lend standardised munitions (``pooling`` in a campaign file; ``--pooling``).
Pooling = Literal["national", "shared"]
POOLINGS: tuple[str, ...] = get_args(Pooling)

#: The weapon-target assignment solvers (``leapsim wta solve --method``; docs/wta.md).
WTAMethod = Literal["auto", "greedy", "search", "milp"]
WTA_METHODS: tuple[str, ...] = get_args(WTAMethod)

#: Sensor placements of early warning (``leapsim warn coverage --method``; docs/warning.md).
PlacementMethod = Literal["milp", "greedy", "uniform"]
PLACEMENT_METHODS: tuple[str, ...] = get_args(PlacementMethod)
