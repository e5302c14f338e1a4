"""The one definition of the codes a night's results use: the fate of every target and the
outcome of every engagement (names index their codes; the compiled loop uses the integers, the
result files the names)."""

from __future__ import annotations

FATES = ("not_launched", "killed", "leaked", "airborne", "false_track")
"""Fate of a target at the end of the night; false tracks keep ``false_track``."""
NOT_LAUNCHED, KILLED, LEAKED, AIRBORNE, FALSE_TRACK = range(len(FATES))

OUTCOMES = ("miss", "kill", "overtaken", "unresolved")
"""Outcome of an engagement: ``overtaken`` when its target was killed by another engagement or
arrived first, ``unresolved`` when it was still in flight at the end of the night."""
MISS, KILL, OVERTAKEN, UNRESOLVED = range(len(OUTCOMES))
PENDING = -1
"""Outcome of an engagement in flight inside the loop (never in results)."""
