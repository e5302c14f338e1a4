"""Names of the weapon-target assignment solvers a user chooses between (``leapsim wta solve
--method``; :func:`leapsim.c2.wta.solve`). A module of its own, outside ``c2.wta``, so that the
command line can list them without loading the compiled solvers."""

from __future__ import annotations

from typing import Literal, get_args

WTAMethod = Literal["auto", "greedy", "search", "milp"]
WTA_METHODS: tuple[str, ...] = get_args(WTAMethod)
