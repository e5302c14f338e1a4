"""Compiled inner loop of a decision epoch: capacity, feasible engagements (in tracked sensing
only on targets a confirmed track holds, with Pk scaled by the track error), jamming, and the
dense fire-allocation problem. Model: :mod:`leapsim.engine.epoch` and
:mod:`leapsim.engine.tracked`.

Numba, because the test is a dozen conditions per (unit, threat) pair evaluated thousands of
times a night; numpy's per-call overhead dominated the night when it was written with arrays.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from leapsim.c2.threat_evaluation import value_at_risk


@njit(cache=True)
def position_nb(points, cumulative, length, altitude, ballistic, k, arc):
    """Position (x, y, z) of threat ``k`` at arc length ``arc`` (see kinematics.position_at_arc)."""
    s = min(max(arc, 0.0), length[k])
    n_seg = cumulative.shape[1] - 1
    seg = 0
    while seg < n_seg - 1 and cumulative[k, seg + 1] < s:
        seg += 1
    seg_len = cumulative[k, seg + 1] - cumulative[k, seg]
    frac = (s - cumulative[k, seg]) / seg_len if seg_len > 0 else 0.0
    x = points[k, seg, 0] + frac * (points[k, seg + 1, 0] - points[k, seg, 0])
    y = points[k, seg, 1] + frac * (points[k, seg + 1, 1] - points[k, seg, 1])
    if ballistic[k]:
        u = s / length[k]
        z = 4.0 * altitude[k] * u * (1.0 - u)
    else:
        z = altitude[k]
    return x, y, z


@njit(cache=True)
def held_error(held_ptr, held_s, held_err, k, t, half_step):
    """Position error of target ``k``'s best confirmed track at the step of time ``t`` (tracked
    sensing; see :class:`leapsim.engine.tracked.TrackPicture`), or −1 when no track holds it."""
    a = held_ptr[k]
    b = held_ptr[k + 1]
    if a == b:
        return -1.0
    i = a + np.searchsorted(held_s[a:b], t + half_step, side="right") - 1
    if i < a or held_s[i] <= t - half_step:
        return -1.0
    return held_err[i]


@njit(cache=True)
def epoch_problem(
    t, open_pairs, w_unit, w_threat, w_tout,
    p_unit, p_threat, p_pk,
    ready, reloading, detect_s, alive, shots_on, max_shots, shoot_look_shoot,
    tracked, held_ptr, held_s, held_err, half_step,
    unit_xy, unit_type,
    e_kind, e_channels, e_rounds, e_min_r, e_max_r, e_min_alt, e_max_alt, e_time, e_speed,
    e_pk, e_falloff, e_cost, e_basket,
    points, cumulative, length, speed, launch, altitude, ballistic, arrival,
    family, ttype, target, perceived, damage_fraction, unit_cost, site_left,
    rule_ratio, rule_threshold, ew_kind,
    later_keys, later_cost, group_end, time_key,
):  # fmt: skip
    n_units = unit_type.size
    n_threats = alive.size
    # state of engagements in flight
    busy = np.zeros(n_units, np.int64)
    in_flight = np.zeros(n_threats, np.int64)
    jammed = np.zeros(n_threats, np.bool_)
    survival = np.ones(n_threats)
    for i in range(p_unit.size):
        u = p_unit[i]
        k = p_threat[i]
        busy[u] += 1
        if e_kind[unit_type[u]] == ew_kind:
            jammed[k] = True
        else:
            in_flight[k] += 1
            survival[k] *= 1.0 - p_pk[i]
    capacity = np.zeros(n_units, np.int64)
    for u in range(n_units):
        e = unit_type[u]
        if not reloading[u]:
            capacity[u] = max(0, min(e_channels[e] - busy[u], ready[u] // e_rounds[e]))

    # feasible (unit, threat) engagements among the open windows
    n_open = open_pairs.size
    c_u = np.empty(n_open, np.int64)
    c_k = np.empty(n_open, np.int64)
    c_pk = np.empty(n_open)
    c_end = np.empty(n_open)
    c_var = np.empty(n_open)
    c_tcost = np.empty(n_open)
    c_ew = np.empty(n_open, np.bool_)
    nc = 0
    for i in range(n_open):
        w = open_pairs[i]
        u = w_unit[w]
        k = w_threat[w]
        e = unit_type[u]
        if not alive[k] or detect_s[k] > t or capacity[u] <= 0:
            continue
        track_err = 0.0
        if tracked:
            track_err = held_error(held_ptr, held_s, held_err, k, t, half_step)
            if track_err < 0.0:
                continue
        is_ew = e_kind[e] == ew_kind
        if is_ew:
            if jammed[k]:
                continue
        else:
            allowed = max_shots - shots_on[k]
            if shoot_look_shoot:
                allowed = 0 if in_flight[k] > 0 else min(allowed, 1)
            if allowed <= 0:
                continue
        arc = (t - launch[k]) * speed[k]
        x, y, z = position_nb(points, cumulative, length, altitude, ballistic, k, arc)
        dx = x - unit_xy[u, 0]
        dy = y - unit_xy[u, 1]
        r = np.sqrt(dx * dx + dy * dy)
        if r < e_min_r[e] or r > e_max_r[e] or z < e_min_alt[e] or z > e_max_alt[e]:
            continue
        x1, y1, z1 = position_nb(points, cumulative, length, altitude, ballistic, k, arc + speed[k])
        slant = np.sqrt(r * r + z * z)
        dx1 = x1 - unit_xy[u, 0]
        dy1 = y1 - unit_xy[u, 1]
        closing = max(slant - np.sqrt(dx1 * dx1 + dy1 * dy1 + z1 * z1), 0.0)
        t_end = t + e_time[e] + slant / (e_speed[e] + closing)
        if t_end >= arrival[k] or t_end > w_tout[w]:
            continue
        pk = e_pk[e, family[k]] * (1.0 - e_falloff[e] * r / e_max_r[e])
        if tracked:
            pk *= np.exp(-0.5 * (track_err / e_basket[e]) ** 2)
        if pk <= 0.0:
            continue
        p = perceived[ttype[k]]
        var = value_at_risk(site_left, target[k], damage_fraction[p])
        tcost = unit_cost[p]
        passes = True
        for c in range(rule_ratio.size):
            if e_cost[e] > rule_ratio[c] * tcost and var <= rule_threshold[c]:
                passes = False
        if not passes:
            continue
        c_u[nc] = u
        c_k[nc] = k
        c_pk[nc] = pk
        c_end[nc] = t_end
        c_var[nc] = var
        c_tcost[nc] = tcost
        c_ew[nc] = is_ew
        nc += 1

    # jammers take every reachable threat no one jams yet, most urgent first
    ew_rows = np.empty(nc, np.int64)
    n_ew = 0
    for i in range(nc):
        if c_ew[i]:
            ew_rows[n_ew] = i
            n_ew += 1
    ew_rows = ew_rows[:n_ew]
    ew_rows = ew_rows[np.argsort(arrival[c_k[ew_rows]], kind="mergesort")]
    jam = np.empty(n_ew, np.int64)
    n_jam = 0
    for i in ew_rows:
        u = c_u[i]
        k = c_k[i]
        if not jammed[k] and capacity[u] > 0:
            jammed[k] = True
            capacity[u] -= 1
            jam[n_jam] = i
            n_jam += 1
    jam = jam[:n_jam]

    # dense problem over the kinetic candidates: unit rows, threat columns by arrival
    unit_row = -np.ones(n_units, np.int64)
    threat_col = -np.ones(n_threats, np.int64)
    units = np.empty(nc, np.int64)
    threats = np.empty(nc, np.int64)
    nu = 0
    nt = 0
    for i in range(nc):
        if c_ew[i] or capacity[c_u[i]] <= 0:
            continue
        if unit_row[c_u[i]] < 0:
            unit_row[c_u[i]] = nu
            units[nu] = c_u[i]
            nu += 1
        if threat_col[c_k[i]] < 0:
            threat_col[c_k[i]] = nt
            threats[nt] = c_k[i]
            nt += 1
    units = np.sort(units[:nu])
    for j in range(nu):
        unit_row[units[j]] = j
    threats = threats[:nt]
    threats = threats[np.argsort(arrival[threats], kind="mergesort")]
    for j in range(nt):
        threat_col[threats[j]] = j
    pk_m = np.zeros((nu, nt))
    feasible = np.zeros((nu, nt), np.bool_)
    t_end_m = np.full((nu, nt), np.inf)
    value = np.zeros(nt)
    threat_cost = np.zeros(nt)
    for i in range(nc):
        if c_ew[i] or capacity[c_u[i]] <= 0:
            continue
        r = unit_row[c_u[i]]
        c = threat_col[c_k[i]]
        pk_m[r, c] = c_pk[i]
        feasible[r, c] = True
        t_end_m[r, c] = c_end[i]
        value[c] = c_var[i]
        threat_cost[c] = c_tcost[i]
    engagement_cost = np.empty(nu)
    unit_capacity = np.empty(nu, np.int64)
    for j in range(nu):
        engagement_cost[j] = e_cost[unit_type[units[j]]]
        unit_capacity[j] = capacity[units[j]]
    max_new = np.empty(nt, np.int64)
    later = np.full(nt, np.inf)
    threat_survival = np.empty(nt)
    for j in range(nt):
        k = threats[j]
        allowed = max_shots - shots_on[k]
        if shoot_look_shoot:
            allowed = 0 if in_flight[k] > 0 else min(allowed, 1)
        max_new[j] = allowed
        threat_survival[j] = survival[k]
        idx = np.searchsorted(later_keys, k * time_key + t, side="right")
        if idx < group_end[k]:
            later[j] = later_cost[idx]
    return (
        c_u[jam], c_k[jam], c_end[jam], c_pk[jam],
        units, threats, pk_m, feasible, t_end_m, engagement_cost, unit_capacity,
        value, threat_cost, threat_survival, max_new, later,
    )  # fmt: skip
