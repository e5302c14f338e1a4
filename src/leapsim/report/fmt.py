"""Number formatting shared by the report's tiles and tables (``report.js`` mirrors it).

Values are shown to three significant digits (at most two decimals for counts and percentages);
euros with k / M / bn suffixes. ``None`` (NaN in the results) is shown as "n/a".
"""

from __future__ import annotations

import math

EUR_SUFFIXES = ((1e9, "bn"), (1e6, "M"), (1e3, "k"))


def sig3(x: float, max_decimals: int = 6) -> str:
    """``x`` with three significant digits, no exponent, at most ``max_decimals`` decimals."""
    if x == 0:
        return "0"
    decimals = max(0, min(max_decimals, 2 - math.floor(math.log10(abs(x)))))
    return f"{x:,.{decimals}f}"


def fmt_value(value: float | None, unit: str) -> str:
    """Format a statistic: ``unit`` is eur, count, ratio, pct or nights."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if unit == "eur":
        for base, suffix in EUR_SUFFIXES:
            if abs(value) >= base:
                return f"€{sig3(value / base)} {suffix}"
        return f"€{sig3(value, 0)}"
    if unit == "pct":
        return f"{sig3(100 * value, 2)} %"
    if unit == "ratio":
        return sig3(value)
    if unit == "nights":
        return sig3(value, 1)
    return sig3(value, 2)


def fmt_ci(stats: dict, unit: str) -> str:
    """'95 % CI low – high' of a summary statistic (none below two runs)."""
    if stats.get("ci_low") is None or stats.get("ci_high") is None:
        return "95 % CI: too few runs"
    return (
        f"95 % CI {fmt_value(stats.get('ci_low'), unit)} – {fmt_value(stats.get('ci_high'), unit)}"
    )
