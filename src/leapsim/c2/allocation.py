"""The fire-allocation problem posed at one decision epoch, and the policy interface.

At each epoch the engine collects the fire units that can start an engagement now and the threats
they can reach, and asks an :data:`AllocationPolicy` which (unit, threat) engagements to start.
Everything is arrays; nothing here knows about pydantic models or the time loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


class AllocationProblem(NamedTuple):
    """Candidate engagements at one decision epoch (U fire units × T threats); a named tuple, so
    that compiled policies take it as it is.

    Attributes:
        pk: (U, T) kill probability of one engagement of unit u on threat t (all its rounds);
            0 where infeasible.
        feasible: (U, T) True where unit u can start an engagement on threat t now (in envelope,
            detected, passes the doctrine's cost rule).
        engagement_cost: (U,) EUR spent by one engagement of unit u (rounds × cost per round).
        capacity: (U,) engagements unit u can start now (free fire channels, limited by rounds).
        threat_value: (T,) EUR expected damage if threat t is not killed (site value × damage
            fraction; 0 for decoys, which the defence may not be able to tell apart).
        threat_cost: (T,) EUR unit cost of threat t (for cost-exchange rules).
        survival_in_flight: (T,) probability that t survives engagements already in flight.
        max_new_shots: (T,) engagements that may still be started on threat t (doctrine).
        later_cost_per_kill: (T,) EUR per expected kill of the cheapest unit that will still get
            a full engagement on t later in its flight (inf if none); lets a policy hold fire for a
            cheaper layer. Optional; policies must work without it.
        hold_cost: (T,) EUR expected cost (value lost, spend, rounds at their price) of threat t
            from its next engagement opportunity on if no engagement starts on it now; the
            ``lookahead`` policy's model (:mod:`leapsim.c2.lookahead`). Optional, like the next
            two: the engine fills them when asked to (``NightRun(..., lookahead=True)`` or the
            ``lookahead`` policy), else they are empty.
        miss_cost: (U, T) EUR expected cost of threat t after an engagement of unit u started
            now misses (its later opportunities, one shot fewer).
        round_price: (U,) EUR price of one engagement of unit u's rounds (their worth over the
            rest of the night; inf when it has none left).
    """

    pk: np.ndarray
    feasible: np.ndarray
    engagement_cost: np.ndarray
    capacity: np.ndarray
    threat_value: np.ndarray
    threat_cost: np.ndarray
    survival_in_flight: np.ndarray
    max_new_shots: np.ndarray
    later_cost_per_kill: np.ndarray | None = None
    hold_cost: np.ndarray | None = None
    miss_cost: np.ndarray | None = None
    round_price: np.ndarray | None = None

    @property
    def n_units(self) -> int:
        return int(self.pk.shape[0])

    @property
    def n_threats(self) -> int:
        return int(self.pk.shape[1])

    def normalized(self) -> AllocationProblem:
        """The same problem with the dtypes compiled policies take (C-contiguous float64, bool
        and int64 arrays; no ``later_cost_per_kill`` becomes inf everywhere, no lookahead
        field an empty array)."""
        later = self.later_cost_per_kill

        def optional(a: np.ndarray | None, ndim: int) -> np.ndarray:
            if a is None:
                return np.empty((0,) * ndim)
            return np.ascontiguousarray(a, dtype=np.float64)

        return AllocationProblem(
            pk=np.ascontiguousarray(self.pk, dtype=np.float64),
            feasible=np.ascontiguousarray(self.feasible, dtype=np.bool_),
            engagement_cost=np.ascontiguousarray(self.engagement_cost, dtype=np.float64),
            capacity=np.ascontiguousarray(self.capacity, dtype=np.int64),
            threat_value=np.ascontiguousarray(self.threat_value, dtype=np.float64),
            threat_cost=np.ascontiguousarray(self.threat_cost, dtype=np.float64),
            survival_in_flight=np.ascontiguousarray(self.survival_in_flight, dtype=np.float64),
            max_new_shots=np.ascontiguousarray(self.max_new_shots, dtype=np.int64),
            later_cost_per_kill=np.full(self.n_threats, np.inf)
            if later is None
            else np.ascontiguousarray(later, dtype=np.float64),
            hold_cost=optional(self.hold_cost, 1),
            miss_cost=optional(self.miss_cost, 2),
            round_price=optional(self.round_price, 1),
        )


@dataclass(frozen=True)
class Assignment:
    """Engagements to start now: parallel arrays of unit and threat indices (one row per shot)."""

    unit: np.ndarray
    threat: np.ndarray

    @classmethod
    def empty(cls) -> Assignment:
        return cls(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))

    def __len__(self) -> int:
        return int(self.unit.size)


AllocationPolicy = Callable[[AllocationProblem, np.random.Generator], Assignment]
"""A pure function from the epoch's problem and a seeded generator to the engagements to start."""
