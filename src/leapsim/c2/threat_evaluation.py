"""Threat evaluation: what the defence believes a threat is worth stopping.

A defender sees a threat's *perceived* type (a decoy appears as the drone it mimics), so value at
risk and cost rules use the perceived type's damage fraction and unit cost, not the true ones.
Compiled with numba: it is called inside the engine's per-epoch kernel.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def value_at_risk(site_value_left_eur, target, perceived_damage_fraction):
    """Perceived EUR loss if a threat is not stopped: ``V_target,left · d_perceived``, where
    ``V_target,left`` is the value of its target site still standing."""
    return site_value_left_eur[target] * perceived_damage_fraction
