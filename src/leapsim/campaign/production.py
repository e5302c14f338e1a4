"""Industrial resupply: production rate with ramp-up, order-to-delivery lead time, and unit cost
on a learning curve.

Learning curve (Wright, T. P. 1936, "Factors affecting the cost of airplanes", *Journal of the
Aeronautical Sciences* 3(4), 122-128): every doubling of cumulative output multiplies cost by the
learning rate ``LR``. In the unit form used here the cost of the n-th unit is

    c(n) = c(1) · n^b,   b = log2(LR)

(Wright stated it for the cumulative average; the unit form is the one most cost analysts use and
the one asked for in issue 5). Production starts when the campaign starts: the rate (rounds per
month) rises linearly from ``initial_rate`` to ``rate`` over ``ramp_up`` months, and a round
produced at time t is delivered at t + lead time.
"""

from __future__ import annotations

import math

import numpy as np

DAYS_PER_MONTH = 365.25 / 12.0
_EXACT_TERMS = 1024  # below this, power sums are summed term by term; above, Euler-Maclaurin
_DIRECT_BATCH = 100_000
_EXACT_TABLE: dict[float, np.ndarray] = {}


def wright_unit_cost(first_unit_cost_eur: float, learning_rate: float, n: np.ndarray) -> np.ndarray:
    """Cost of the ``n``-th unit (n >= 1): ``c1 · n^log2(LR)`` (Wright 1936), EUR."""
    return first_unit_cost_eur * np.asarray(n, dtype=float) ** math.log2(learning_rate)


def power_sum(k: np.ndarray, exponent: float) -> np.ndarray:
    """``S(k) = Σ_{n=1..k} n^exponent`` for integer ``k >= 0`` (exponent in [-1, 0]).

    Exact summation up to 1024 terms, then the Euler-Maclaurin formula with terms to the third
    derivative (relative error below 1e-15 for this range of exponents).
    """
    k = np.asarray(k, dtype=np.int64)
    table = _EXACT_TABLE.get(exponent)
    if table is None:
        terms = np.arange(1, _EXACT_TERMS + 1, dtype=float) ** exponent
        table = np.concatenate([[0.0], np.cumsum(terms)])
        _EXACT_TABLE[exponent] = table
    out = np.array(table[np.minimum(k, _EXACT_TERMS)], dtype=float, ndmin=1)
    big = np.atleast_1d(k > _EXACT_TERMS)
    if np.any(big):
        m, x, s = float(_EXACT_TERMS), np.atleast_1d(k)[big].astype(float), exponent
        a, log_ratio = s + 1.0, np.log(x / m)
        # ∫_m^x t^s dt = m^a (e^{a ln(x/m)} - 1) / a, written to stay exact as a -> 0
        integral = log_ratio if a == 0 else m**a * np.expm1(a * log_ratio) / a

        def d1(t):
            return s * t ** (s - 1)

        def d3(t):
            return s * (s - 1) * (s - 2) * t ** (s - 3)

        tail = integral + (x**s - m**s) / 2 + (d1(x) - d1(m)) / 12 - (d3(x) - d3(m)) / 720
        out[big] = table[_EXACT_TERMS] + tail
    return out.reshape(k.shape)


def wright_batch_cost(
    first_unit_cost_eur: float, learning_rate: float, before: np.ndarray, after: np.ndarray
) -> np.ndarray:
    """Total cost of units ``before+1 .. after`` on the learning curve, EUR.

    Batches of up to 100,000 units are summed term by term (no cancellation between two large
    power sums); longer ones as the difference of :func:`power_sum`.
    """
    b = math.log2(learning_rate)
    lo, hi = np.broadcast_arrays(np.asarray(before, np.int64), np.asarray(after, np.int64))
    shape = lo.shape
    lo, hi = lo.reshape(-1), hi.reshape(-1)
    total = power_sum(hi, b) - power_sum(lo, b)
    for i in np.flatnonzero(hi - lo <= _DIRECT_BATCH):
        total[i] = np.sum(np.arange(lo[i] + 1, hi[i] + 1, dtype=float) ** b)
    return first_unit_cost_eur * total.reshape(shape)


def cumulative_output(
    t_days: np.ndarray, rate: float, initial_rate: float, ramp_up_months: float
) -> np.ndarray:
    """Rounds produced by ``t_days`` after the start: the integral of a rate that rises linearly
    from ``initial_rate`` to ``rate`` (rounds/month) over ``ramp_up_months``, then stays."""
    tau = np.maximum(np.asarray(t_days, dtype=float), 0.0) / DAYS_PER_MONTH
    if ramp_up_months <= 0:
        return rate * tau
    ramp = np.minimum(tau, ramp_up_months)
    during = initial_rate * ramp + (rate - initial_rate) * ramp**2 / (2 * ramp_up_months)
    return during + rate * np.maximum(tau - ramp_up_months, 0.0)


def deliveries_per_night(
    nights: int,
    rate: float,
    initial_rate: float,
    ramp_up_months: float,
    lead_time_days: float,
    shares: np.ndarray,
) -> np.ndarray:
    """Rounds arriving before each night, per receiving nation: ``(nights, len(shares))`` ints.

    Night ``n`` (1-based) starts ``n - 1`` days after the order; nation ``j`` has received
    ``floor(share_j · P(t - lead))`` rounds by time ``t`` (P: :func:`cumulative_output`).
    """
    t = np.arange(-1, nights, dtype=float)  # start of night 0 (nothing), 1, ..., nights
    produced = cumulative_output(t - lead_time_days, rate, initial_rate, ramp_up_months)
    received = np.floor(produced[:, None] * np.asarray(shares, float)[None, :] + 1e-9)
    return np.diff(received.astype(np.int64), axis=0)
