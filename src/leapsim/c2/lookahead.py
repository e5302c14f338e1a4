"""The ``lookahead`` fire-allocation policy: a shot weighed against the threat's later chances
and the magazine's remaining night (model, sources and limits: docs/lookahead.md).

Each threat is a small dynamic programme over its known engagement opportunities (*stages*: a
fire unit, a firing time, a Pk, and when the outcome is seen), with the doctrine's shots left as
its state (Bertsekas 2012, *Dynamic Programming and Optimal Control* I, ch. 4 and 6; the
shoot-look-shoot model of Davis, Robbins, Lunday 2017, *Operations Research Perspectives* 4):

    J[i, s] = J[i+1, s] − α · max(0, J[i+1, s] − (c_i + λ_i + (1 − p_i) · J[next_i, s − 1]))
    J[end, s] = J[i, 0] = V

``V`` the value at risk (EUR), ``c_i`` the engagement's cost (EUR), ``λ_i`` the price of one
engagement of the unit's magazine (EUR, below), ``p_i`` its Pk, ``next_i`` the first stage after
its outcome is known (the look), ``α`` the chance that a later opportunity is really there (the
unit not busy with another threat then). ``J`` is the expected value lost plus spend plus rounds
at their price. The threats share fire units only through ``λ`` and the epoch's assignment: a
price decomposition of the night's coupled programme (Hosein, Athans 1990, MIT LIDS-P-1944 on the
dynamic WTA; Adelman, Mersereau 2008, *Operations Research* 56(3), on weakly coupled programmes).

*Round prices* ``λ_u(t, E)`` are bid prices (Talluri, van Ryzin 2004, *The Theory and Practice
of Revenue Management*, ch. 3): unit ``u``'s expected opportunities over the rest of the night
(from the scenario's raid as planned, not the drawn one), each worth its saving per engagement
``(J without u − J with u) / expected engagements of u``; with ``E`` engagements left, the price is
the worth of the best opportunity that no longer fits (a fractional knapsack's dual), 0 when
every opportunity fits.

At an epoch the engine poses the problem with ``hold_cost`` (the threat's ``J`` from the next
stage on, ``s`` shots left), ``miss_cost`` (``J`` after a miss of that engagement, ``s − 1``)
and ``round_price``. Starting ``u`` on ``t`` gains ``S_t (hold_t − (1 − p) miss_ut) − c_u − λ_u``
(``S_t`` survival of the engagements in flight); the policy starts the set of at most one new
engagement per threat, within each unit's capacity, of greatest total positive gain (an exact
assignment, :func:`leapsim.assignment.sparse_assignment`). Without those fields (a problem
posed from Python) hold and miss costs are the value at risk and prices 0: the myopic
cost-aware assignment.

Hand-written and compiled (numba) because it runs inside the engine's compiled night loop, per
threat and epoch; no library fits a loop there.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from leapsim.assignment import sparse_assignment
from leapsim.c2.allocation import AllocationProblem


class Stages(NamedTuple):
    """The engagement opportunities of N threats, grouped by threat in firing-time order:
    threat k's are ``[ptr[k], ptr[k + 1])``."""

    ptr: np.ndarray  # (N + 1,)
    unit: np.ndarray  # (S,) fire unit
    time_s: np.ndarray  # (S,) firing time
    pk: np.ndarray  # (S,)
    next: np.ndarray  # (S,) first stage of the same threat fired after this one's outcome


class RoundPrices(NamedTuple):
    """Each fire unit's expected opportunities for the rest of the night, best worth first:
    unit u's are ``[ptr[u], ptr[u + 1])``."""

    ptr: np.ndarray  # (U + 1,)
    time_s: np.ndarray  # (O,) when the opportunity comes
    worth: np.ndarray  # (O,) EUR saved per engagement of the unit
    engagements: np.ndarray  # (O,) expected engagements of the unit it takes


@njit(cache=True)
def cost_cap(value: float, threat_cost: float, rule_ratio, rule_threshold) -> float:
    """Most an engagement may cost (EUR) on a threat of this value at risk and unit cost by the
    doctrine's cost rules: every rule whose value threshold the threat does not exceed caps it
    at ``ratio × threat cost``; inf when none applies."""
    cap = np.inf
    for c in range(rule_ratio.size):
        if value <= rule_threshold[c]:
            cap = min(cap, rule_ratio[c] * threat_cost)
    return cap


@njit(cache=True)
def cost_to_go(
    stages: Stages,
    a: int,
    b: int,
    shots: int,
    value: float,
    max_cost: float,
    unit_cost: np.ndarray,
    unit_price: np.ndarray,
    unit_left: np.ndarray,
    availability: float,
) -> np.ndarray:
    """``J`` (b − a + 1, shots + 1) of the module docstring over stages ``[a, b)`` of one threat:
    row ``i − a`` is stage ``i``, the last row is "no stage left". A stage counts when its unit
    has engagements left (``unit_left``) and an engagement costs at most ``max_cost`` (the
    doctrine's cost rules); ``unit_cost`` and ``unit_price`` are EUR per engagement."""
    shots = max(shots, 0)
    n = b - a
    J = np.empty((n + 1, shots + 1))
    J[:, :] = value
    unit, pk, nxt = stages.unit, stages.pk, stages.next
    for i in range(b - 1, a - 1, -1):
        r = i - a
        u = unit[i]
        usable = unit_left[u] > 0 and unit_cost[u] <= max_cost
        c = unit_cost[u] + unit_price[u]
        q = 1.0 - pk[i]
        after = min(nxt[i], b) - a
        for s in range(1, shots + 1):
            hold = J[r + 1, s]
            if usable:
                fire = c + q * J[after, s - 1]
                if fire < hold:
                    hold -= availability * (hold - fire)
            J[r, s] = hold
    return J


@njit(cache=True)
def expected_engagements(
    stages: Stages,
    a: int,
    b: int,
    shots: int,
    J: np.ndarray,
    max_cost: float,
    unit_cost: np.ndarray,
    unit_price: np.ndarray,
    unit_left: np.ndarray,
    availability: float,
    out: np.ndarray,
) -> None:
    """Add to ``out`` (U,) the expected engagements of each unit on one threat when it is
    engaged by the policy of ``J`` (from :func:`cost_to_go` with the same arguments): a forward
    pass of the probability of reaching each (stage, shots left) alive."""
    n = b - a
    shots = max(shots, 0)
    reach = np.zeros((n + 1, shots + 1))
    reach[0, shots] = 1.0
    unit, pk, nxt = stages.unit, stages.pk, stages.next
    for i in range(a, b):
        r = i - a
        u = unit[i]
        usable = unit_left[u] > 0 and unit_cost[u] <= max_cost
        c = unit_cost[u] + unit_price[u]
        after = min(nxt[i], b) - a
        for s in range(shots + 1):
            p = reach[r, s]
            if p == 0.0:
                continue
            if usable and s > 0 and c + (1.0 - pk[i]) * J[after, s - 1] < J[r + 1, s]:
                out[u] += availability * p
                reach[after, s - 1] += availability * p * (1.0 - pk[i])
                reach[r + 1, s] += (1.0 - availability) * p
            else:
                reach[r + 1, s] += p


@njit(cache=True)
def opportunities(
    stages: Stages,
    shots: int,
    value: np.ndarray,
    max_cost: np.ndarray,
    unit_cost: np.ndarray,
    unit_price: np.ndarray,
    unit_left: np.ndarray,
    availability: float,
) -> tuple:
    """Each (threat, unit) pair's opportunity for the round prices: (unit, time of the unit's
    first stage on the threat, worth per engagement, expected engagements), for every pair
    whose unit saves something. The worth is ``J`` without the unit minus ``J`` with it, with
    the unit's own price set to 0 (its value to this threat), over its expected engagements."""
    n_threats = stages.ptr.size - 1
    n_units = unit_cost.size
    cap = stages.unit.size
    o_unit = np.empty(cap, np.int64)
    o_time = np.empty(cap)
    o_worth = np.empty(cap)
    o_eng = np.empty(cap)
    n = 0
    engaged = np.zeros(n_units)
    seen = np.full(n_units, -1, np.int64)
    for k in range(n_threats):
        a, b = stages.ptr[k], stages.ptr[k + 1]
        if b == a or value[k] <= 0.0:
            continue
        for i in range(a, b):
            u = stages.unit[i]
            if seen[u] == k:
                continue
            seen[u] = k
            price_u = unit_price[u]
            left_u = unit_left[u]
            unit_price[u] = 0.0
            J = cost_to_go(stages, a, b, shots, value[k], max_cost[k], unit_cost, unit_price,
                           unit_left, availability)  # fmt: skip
            engaged[u] = 0.0
            expected_engagements(stages, a, b, shots, J, max_cost[k], unit_cost, unit_price,
                                 unit_left, availability, engaged)  # fmt: skip
            unit_left[u] = 0
            J0 = cost_to_go(stages, a, b, shots, value[k], max_cost[k], unit_cost, unit_price,
                            unit_left, availability)  # fmt: skip
            unit_left[u] = left_u
            unit_price[u] = price_u
            saved = J0[0, shots] - J[0, shots]
            if engaged[u] > 1e-9 and saved > 0.0:
                o_unit[n] = u
                o_time[n] = stages.time_s[i]
                o_worth[n] = saved / engaged[u]
                o_eng[n] = engaged[u]
                n += 1
    return o_unit[:n], o_time[:n], o_worth[:n], o_eng[:n]


def round_prices(
    n_units: int, unit: np.ndarray, time_s: np.ndarray, worth: np.ndarray, engagements: np.ndarray
) -> RoundPrices:
    """The :class:`RoundPrices` of the opportunities from :func:`opportunities`."""
    order = np.lexsort((-worth, unit))
    ptr = np.searchsorted(unit[order], np.arange(n_units + 1)).astype(np.int64)
    return RoundPrices(ptr, time_s[order], worth[order], engagements[order])


@njit(cache=True)
def round_price(prices: RoundPrices, u: int, t: float, left: float) -> float:
    """``λ_u(t, E)``: the worth of unit ``u``'s best opportunity from time ``t`` on that no longer
    fits in its ``left`` engagements (best first); 0 when all fit, inf with none left."""
    if left <= 0:
        return np.inf
    used = 0.0
    for i in range(prices.ptr[u], prices.ptr[u + 1]):
        if prices.time_s[i] < t:
            continue
        used += prices.engagements[i]
        if used > left:
            return prices.worth[i]
    return 0.0


@njit(cache=True)
def shot_gains(problem: AllocationProblem) -> np.ndarray:
    """(U, T) EUR gained by starting each feasible engagement now rather than holding fire
    (module docstring); −inf where it cannot start."""
    pk, feasible = problem.pk, problem.feasible
    n_units, n_threats = pk.shape
    hold, miss, price = problem.hold_cost, problem.miss_cost, problem.round_price
    looked = hold.size == n_threats and price.size == n_units and miss.shape == pk.shape
    gain = np.full((n_units, n_threats), -np.inf)
    for u in range(n_units):
        if problem.capacity[u] <= 0:
            continue
        c = problem.engagement_cost[u] + (price[u] if looked else 0.0)
        for t in range(n_threats):
            if not feasible[u, t] or pk[u, t] <= 0.0 or problem.max_new_shots[t] <= 0:
                continue
            p = min(pk[u, t], 1.0)
            saved = hold[t] - (1.0 - p) * miss[u, t] if looked else p * problem.threat_value[t]
            gain[u, t] = problem.survival_in_flight[t] * saved - c
    return gain


@njit(cache=True)
def lookahead_allocation(problem: AllocationProblem) -> tuple:
    """The engagements the ``lookahead`` policy starts: (unit rows, threat columns) of the
    assignment of greatest total positive :func:`shot_gains`, at most one per threat and
    ``capacity`` per unit."""
    gain = shot_gains(problem)
    n_units, n_threats = gain.shape
    # one row per unit slot that could be used; each row also has a private "hold" column
    slots = np.zeros(n_units, np.int64)
    for u in range(n_units):
        n_pos = 0
        for t in range(n_threats):
            if gain[u, t] > 0.0:
                n_pos += 1
        slots[u] = min(problem.capacity[u], n_pos)
    n_rows = slots.sum()
    if n_rows == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if n_rows == 1:  # one usable channel (most epochs): its best threat
        u = np.argmax(slots)
        return np.array([u], np.int64), np.array([np.argmax(gain[u])], np.int64)
    row_unit = np.empty(n_rows, np.int64)
    ptr = np.zeros(n_rows + 1, np.int64)
    col = np.empty(n_rows * (n_threats + 1), np.int64)
    cost = np.empty(n_rows * (n_threats + 1))
    r = 0
    e = 0
    for u in range(n_units):
        for _ in range(slots[u]):
            row_unit[r] = u
            for t in range(n_threats):
                if gain[u, t] > 0.0:
                    col[e] = t
                    cost[e] = -gain[u, t]
                    e += 1
            col[e] = n_threats + r
            cost[e] = 0.0
            e += 1
            r += 1
            ptr[r] = e
    assigned = sparse_assignment(ptr, col[:e], cost[:e], n_threats + n_rows)
    out_u = np.empty(n_rows, np.int64)
    out_t = np.empty(n_rows, np.int64)
    n = 0
    for r in range(n_rows):
        t = assigned[r]
        if 0 <= t < n_threats:
            out_u[n] = row_unit[r]
            out_t[n] = t
            n += 1
    return out_u[:n], out_t[:n]
