"""Detection physics: Pd from SNR (North's approximation, Swerling 1), range scaling, horizon.

Models and sources:

* Steady (non-fluctuating) target, single pulse, envelope detector — North's approximation
  ``Pd = ½ erfc(√(ln 1/Pfa) − √(SNR + ½))`` (D. O. North, 1943; as given in D. K. Barton,
  *Radar System Analysis and Modeling*, Artech House 2005, and Barton & Leonov, *Radar Technology
  Encyclopedia*, 1997, table D5). For Pd ≥ 0.5 and 1e-7 ≤ Pfa ≤ 1e-3 it is within 0.1 dB of
  Albersheim's equation (W. J. Albersheim, Proc. IEEE 69, 1981); it is pessimistic at low Pd.
* Swerling case 1 (exponentially distributed RCS, scan-to-scan fluctuation): the steady-target Pd
  averaged over the exponential RCS density, ``Pd₁(S̄) = ∫ Pd₀(S̄x) e^(−x) dx`` (P. Swerling,
  IRE Trans. IT-6, 1960), tabulated once per Pfa by quadrature in ln x. For one pulse the exact
  result is ``Pfa^(1/(1+S̄))``, which the table reproduces to within 0.02.
* SNR scaled from the reference detection range by the radar range equation,
  ``SNR = SNR_ref · (σ/σ_ref) · (R_ref/R)⁴`` (Skolnik, *Introduction to Radar Systems*, 3rd ed.,
  2001, eq. 1.18), with ``SNR_ref`` the SNR giving Pd = 0.9. Passive sensors (acoustic, EO/IR)
  receive one-way spherical spreading, ``SNR ∝ R⁻²``, from a steady source.
* Horizon with standard refraction, effective earth radius ``k·a`` with k = 4/3:
  ``d = √(2kah_a) + √(2kah_t)`` (Skolnik 2001, §8.5).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.integrate import trapezoid
from scipy.special import erfc, erfcinv

EARTH_RADIUS_M = 6_371_000.0
FOUR_THIRDS = 4.0 / 3.0
REFERENCE_PD = 0.9

_SNR_DB_GRID = np.linspace(-30.0, 80.0, 2201)


def pd_steady(snr: np.ndarray | float, pfa: np.ndarray | float) -> np.ndarray:
    """Single-pulse Pd of a steady target at linear SNR (North's approximation)."""
    snr = np.maximum(np.asarray(snr, dtype=np.float64), 0.0)
    return 0.5 * erfc(np.sqrt(-np.log(pfa)) - np.sqrt(snr + 0.5))


def snr_steady(pd: np.ndarray | float, pfa: np.ndarray | float) -> np.ndarray:
    """Linear SNR a steady target needs for ``pd`` at ``pfa`` (inverse of :func:`pd_steady`)."""
    root = np.sqrt(-np.log(pfa)) - erfcinv(2.0 * np.asarray(pd, dtype=np.float64))
    return root**2 - 0.5


@lru_cache(maxsize=32)
def _swerling1_table(pfa: float) -> np.ndarray:
    """Swerling-1 Pd on :data:`_SNR_DB_GRID` for one Pfa (trapezoid rule in u = ln x)."""
    u = np.linspace(-25.0, 4.6, 1500)
    x = np.exp(u)
    weight = np.exp(-x) * x  # e^(−x) dx = e^(−x) x du
    snr = 10.0 ** (_SNR_DB_GRID / 10.0)
    pd = pd_steady(snr[:, None] * x[None, :], pfa)
    table = trapezoid(pd * weight[None, :], u, axis=1)
    table = np.maximum.accumulate(np.clip(table, 0.0, 1.0))
    table.setflags(write=False)
    return table


def pd_swerling1(snr: np.ndarray | float, pfa: float) -> np.ndarray:
    """Single-scan Pd of a Swerling-1 target at mean linear SNR ``snr`` (see module notes)."""
    snr = np.asarray(snr, dtype=np.float64)
    snr_db = 10.0 * np.log10(np.maximum(snr, 1e-300))
    return np.interp(snr_db, _SNR_DB_GRID, _swerling1_table(float(pfa)), left=0.0)


def snr_swerling1(pd: float, pfa: float) -> float:
    """Mean linear SNR for which a Swerling-1 target reaches ``pd`` at ``pfa``."""
    table = _swerling1_table(float(pfa))
    return float(10.0 ** (np.interp(pd, table, _SNR_DB_GRID) / 10.0))


def radar_horizon_m(
    antenna_height_m: np.ndarray | float,
    target_altitude_m: np.ndarray | float,
    k: float = FOUR_THIRDS,
) -> np.ndarray:
    """Ground distance (m) to the radio horizon for an antenna and a target (effective earth k·a).

    Heights are above the local ground (negative values count as 0).
    """
    ka2 = 2.0 * k * EARTH_RADIUS_M
    ha = np.maximum(np.asarray(antenna_height_m, dtype=np.float64), 0.0)
    ht = np.maximum(np.asarray(target_altitude_m, dtype=np.float64), 0.0)
    return np.sqrt(ka2 * ha) + np.sqrt(ka2 * ht)
