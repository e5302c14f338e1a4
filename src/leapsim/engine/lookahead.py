"""Per-run inputs of the ``lookahead`` policy (:mod:`leapsim.c2.lookahead`): every target's
engagement opportunities from the engagement windows, and the fire units' round prices from the
scenario's raid as planned (docs/lookahead.md).

An opportunity (*stage*) is a firing time in a (unit, target) engagement window: the window's
``lookahead_stages`` (doctrine) evenly spaced times over its feasible firing times, those at
which an engagement started is feasible by the engine's own geometry (range annulus, altitude
band, intercept before the target leaves range or arrives,
:func:`leapsim.engine.epoch_kernel.intercept`; :func:`_stage_rows`), with the Pk at that range.
Jammers are not allocated and have no stages. In tracked sensing the track-error factor of the
Pk is left out (it is not known before the track exists).
"""

from __future__ import annotations

import weakref

import numpy as np
from numba import njit

from leapsim.c2.lookahead import (
    RoundPrices,
    Stages,
    cost_cap,
    opportunities,
    round_price,
    round_prices,
)
from leapsim.engine.epoch import EW
from leapsim.engine.epoch_kernel import intercept
from leapsim.engine.params import NightParams
from leapsim.engine.raid import EngagementWindows, RaidDraw, engagement_windows, expected_raid
from leapsim.engine.state import Lookahead

PRICE_PASSES = 2
"""Rounds of the round-price computation: the first prices every other unit's rounds at 0,
the second at the first's prices."""


def build_lookahead(params: NightParams, raid: RaidDraw, windows: EngagementWindows) -> Lookahead:
    """The ``lookahead`` policy's view of one drawn night."""
    n_units = params.unit_type.size
    stages = build_stages(params, raid, windows)
    shots = int(params.doctrine.max_shots_per_threat)
    return Lookahead(
        enabled=True,
        stages=stages,
        prices=cached_round_prices(params),
        unit_cost=engagement_cost(params),
        price=np.zeros(n_units),
        price_left=np.full(n_units, -1, np.int64),
        price_s=np.full(n_units, -np.inf),
        version=np.zeros(1, np.int64),
        table=np.empty((stages.unit.size + raid.n, shots + 1)),
        table_value=np.full(raid.n, np.nan),
        table_version=np.full(raid.n, -1, np.int64),
    )


def no_lookahead(n_targets: int, n_units: int) -> Lookahead:
    """The empty :class:`Lookahead` of a night run by another policy."""
    i1, f1 = np.empty(0, np.int64), np.empty(0)
    return Lookahead(
        enabled=False,
        stages=Stages(np.zeros(n_targets + 1, np.int64), i1, f1, f1, i1),
        prices=RoundPrices(np.zeros(n_units + 1, np.int64), f1, f1, f1),
        unit_cost=np.zeros(n_units),
        price=np.zeros(n_units),
        price_left=np.zeros(n_units, np.int64),
        price_s=np.zeros(n_units),
        version=np.zeros(1, np.int64),
        table=np.empty((0, 0)),
        table_value=f1,
        table_version=i1,
    )


def engagement_cost(params: NightParams) -> np.ndarray:
    """(U,) EUR one engagement of each fire unit costs (rounds × cost per round)."""
    et, e = params.effector_types, params.unit_type
    return (et.rounds_per_engagement[e] * et.cost_per_round_eur[e]).astype(float)


def engagements_left(params: NightParams) -> np.ndarray:
    """(U,) engagements each fire unit's rounds (ready and reserve) feed at the start."""
    rounds = params.effector_types.rounds_per_engagement[params.unit_type]
    return ((params.unit_magazine + params.unit_reserve) // rounds).astype(np.int64)


def build_stages(params: NightParams, raid: RaidDraw, windows: EngagementWindows) -> Stages:
    """Every target's engagement opportunities (module docstring), grouped by target in time
    order, each with the first later stage of its target fired after its outcome."""
    et = params.effector_types
    per_window = int(params.doctrine.lookahead_stages)
    kinetic = et.kind[params.unit_type[windows.unit]] != EW
    w_unit, w_threat = windows.unit[kinetic], windows.threat[kinetic]
    w_in, w_out = windows.t_in[kinetic], windows.t_out[kinetic]
    p = raid.paths
    threat, unit, time_s, pk, look_s = _stage_rows(
        w_unit, w_threat, w_in, w_out, per_window,
        p.points, p.cumulative_m, p.length_m, p.altitude_m, p.ballistic, p.launch_s,
        p.speed_mps, p.arrival_s, raid.family, params.unit_xy, params.unit_type,
        et.min_range_m, et.max_range_m, et.min_altitude_m, et.max_altitude_m,
        et.engagement_time_s, et.interceptor_speed_mps, et.pk, et.pk_range_falloff,
    )  # fmt: skip
    order = np.lexsort((time_s, threat))
    threat, unit, time_s, pk, look_s = (a[order] for a in (threat, unit, time_s, pk, look_s))
    ptr = np.searchsorted(threat, np.arange(raid.n + 1)).astype(np.int64)
    nxt = _next_after_look(ptr, threat, time_s, look_s)
    return Stages(ptr, unit, time_s, pk, nxt)


@njit(cache=True)
def _stage_rows(
    w_unit, w_threat, w_in, w_out, per_window, points, cumulative, length, altitude, ballistic,
    launch, speed, arrival, family, unit_xy, unit_type, min_r, max_r, min_alt, max_alt,
    t_engage, v_int, e_pk, falloff,
):  # fmt: skip
    """(threat, unit, firing time, Pk, intercept time) of each feasible stage. A window whose
    ``per_window`` evenly spaced times are all feasible has them as stages; otherwise its
    feasible firing times are found (on a grid :data:`SPAN_REFINE` times finer when none of the
    even times is feasible), their ends refined by :data:`SPAN_BISECTIONS` bisections, and the
    stages spread over them (a fast threat's window may be feasible only in its first
    seconds)."""
    cap = w_unit.size * per_window
    threat = np.empty(cap, np.int64)
    unit = np.empty(cap, np.int64)
    time_s = np.empty(cap)
    pk = np.empty(cap)
    look = np.empty(cap)
    n = 0
    for w in range(w_unit.size):
        u = w_unit[w]
        k = w_threat[w]
        e = unit_type[u]
        ux, uy = unit_xy[u, 0], unit_xy[u, 1]
        end = min(w_out[w], arrival[k])
        lo, hi = w_in[w], w_out[w]
        grid = per_window
        first, last = _feasible_run(lo, hi, grid, end, points, cumulative, length, altitude,
                                    ballistic, launch, speed, k, ux, uy, min_r[e], max_r[e],
                                    min_alt[e], max_alt[e], t_engage[e], v_int[e])  # fmt: skip
        if first < 0:
            grid = per_window * SPAN_REFINE
            first, last = _feasible_run(lo, hi, grid, end, points, cumulative, length, altitude,
                                        ballistic, launch, speed, k, ux, uy, min_r[e], max_r[e],
                                        min_alt[e], max_alt[e], t_engage[e],
                                        v_int[e])  # fmt: skip
            if first < 0:
                continue
        if first > 0 or last < grid - 1:
            step = (hi - lo) / grid
            good_lo, good_hi = lo + (first + 0.5) * step, lo + (last + 0.5) * step
            lo = _span_end(good_lo, good_lo - step, end, points, cumulative, length, altitude,
                           ballistic, launch, speed, k, ux, uy, min_r[e], max_r[e], min_alt[e],
                           max_alt[e], t_engage[e], v_int[e])  # fmt: skip
            hi = _span_end(good_hi, good_hi + step, end, points, cumulative, length, altitude,
                           ballistic, launch, speed, k, ux, uy, min_r[e], max_r[e], min_alt[e],
                           max_alt[e], t_engage[e], v_int[e])  # fmt: skip
        span = (hi - lo) / per_window
        for j in range(per_window):
            t = lo + (j + 0.5) * span
            r, t_end = intercept(
                points, cumulative, length, altitude, ballistic, launch, speed, k, t,
                ux, uy, min_r[e], max_r[e], min_alt[e], max_alt[e], t_engage[e], v_int[e],
            )  # fmt: skip
            if r < 0.0 or t_end >= end:
                continue
            p = e_pk[e, family[k]] * (1.0 - falloff[e] * r / max_r[e])
            if p <= 0.0:
                continue
            threat[n] = k
            unit[n] = u
            time_s[n] = t
            pk[n] = p
            look[n] = t_end
            n += 1
    return threat[:n], unit[:n], time_s[:n], pk[:n], look[:n]


@njit(cache=True, inline="always")
def _feasible_run(
    lo, hi, grid, end, points, cumulative, length, altitude, ballistic, launch, speed, k, ux, uy,
    min_r, max_r, min_alt, max_alt, t_engage, v_int,
):  # fmt: skip
    """First and last point (−1, −1 if none) of the first run of feasible firing times among
    ``grid`` evenly spaced ones in ``[lo, hi]``."""
    step = (hi - lo) / grid
    first = -1
    last = -1
    for j in range(grid):
        r, t_end = intercept(
            points, cumulative, length, altitude, ballistic, launch, speed, k,
            lo + (j + 0.5) * step, ux, uy, min_r, max_r, min_alt, max_alt, t_engage, v_int,
        )  # fmt: skip
        if r >= 0.0 and t_end < end:
            if first < 0:
                first = j
            last = j
        elif first >= 0:
            break
    return first, last


@njit(cache=True, inline="always")
def _span_end(
    good, bad, end, points, cumulative, length, altitude, ballistic, launch, speed, k, ux, uy,
    min_r, max_r, min_alt, max_alt, t_engage, v_int,
):  # fmt: skip
    """The feasible firing time nearest the boundary between ``good`` (feasible) and ``bad``,
    by :data:`SPAN_BISECTIONS` bisections."""
    for _ in range(SPAN_BISECTIONS):
        mid = 0.5 * (good + bad)
        r, t_end = intercept(
            points, cumulative, length, altitude, ballistic, launch, speed, k, mid, ux, uy,
            min_r, max_r, min_alt, max_alt, t_engage, v_int,
        )  # fmt: skip
        if r >= 0.0 and t_end < end:
            good = mid
        else:
            bad = mid
    return good


SPAN_REFINE = 4
"""How much finer the grid a window is searched on when none of its even stage times is
feasible."""
SPAN_BISECTIONS = 6
"""Bisections refining each end of a window's feasible firing times."""


@njit(cache=True)
def _next_after_look(ptr, threat, time_s, look_s):
    """Per stage, the first stage of its target fired at or after its intercept time."""
    nxt = np.empty(threat.size, np.int64)
    for i in range(threat.size):
        a, b = ptr[threat[i]], ptr[threat[i] + 1]
        nxt[i] = a + np.searchsorted(time_s[a:b], look_s[i])
    return nxt


def target_values(params: NightParams, raid: RaidDraw) -> tuple[np.ndarray, np.ndarray]:
    """(value at risk, most an engagement may cost by the doctrine's cost rules), EUR, of each
    target at full site values, as the defence perceives its type."""
    tt, d = params.threat_types, params.doctrine
    perceived = tt.perceived[raid.type]
    value = params.site_value_eur[raid.target] * tt.damage_fraction[perceived]
    return value, max_allowed_cost(
        value, tt.unit_cost_eur[perceived], d.cost_rule_ratio, d.cost_rule_value_threshold_eur
    )


@njit(cache=True)
def max_allowed_cost(value, threat_cost, rule_ratio, rule_threshold):
    """:func:`~leapsim.c2.lookahead.cost_cap` of each target."""
    out = np.empty(value.size)
    for k in range(value.size):
        out[k] = cost_cap(value[k], threat_cost[k], rule_ratio, rule_threshold)
    return out


_PRICE_CACHE: dict[int, tuple[weakref.ref, RoundPrices]] = {}
_PRICE_CACHE_SIZE = 8


def cached_round_prices(params: NightParams) -> RoundPrices:
    """:func:`expected_round_prices` of ``params``, computed once per ``params`` object (they
    depend on the scenario only, not on the night's draw; a study runs many nights of one)."""
    key = id(params)
    hit = _PRICE_CACHE.get(key)
    if hit is not None and hit[0]() is params:
        return hit[1]
    prices = expected_round_prices(params)
    if len(_PRICE_CACHE) >= _PRICE_CACHE_SIZE:
        _PRICE_CACHE.clear()
    _PRICE_CACHE[key] = (weakref.ref(params), prices)
    return prices


def expected_round_prices(params: NightParams) -> RoundPrices:
    """Each unit's opportunities over the raid as planned (:func:`leapsim.engine.raid.
    expected_raid`), best worth first, in :data:`PRICE_PASSES` rounds."""
    n_units = params.unit_type.size
    raid = expected_raid(params)
    stages = build_stages(params, raid, engagement_windows(params, raid))
    value, max_cost = target_values(params, raid)
    unit_cost = engagement_cost(params)
    left = engagements_left(params)
    price = np.zeros(n_units)
    shots = int(params.doctrine.max_shots_per_threat)
    availability = float(params.doctrine.lookahead_availability)
    prices = round_prices(n_units, *(np.empty(0, t) for t in (np.int64, float, float, float)))
    for _ in range(PRICE_PASSES):
        found = opportunities(stages, shots, value, max_cost, unit_cost, price.copy(), left.copy(),
                              availability)  # fmt: skip
        prices = round_prices(n_units, *found)
        price = np.array([round_price(prices, u, 0.0, left[u]) for u in range(n_units)])
        price[~np.isfinite(price)] = 0.0
    return prices
