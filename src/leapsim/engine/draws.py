"""Engagement outcome draws on common random numbers: a counter-based uniform per engagement.

The uniform an engagement's outcome is drawn with (kill when it is below Pk) depends only on
(the run's key, the target, the lane, the engagement's index among those of its lane started on
that target) — not on how many engagements started before it elsewhere. Two defences of the same
scenario run on the same seed therefore draw the same uniform for "the second kinetic engagement
on threat 17" whatever else they did, so paired differences between them are far less noisy than
with one stream consumed in the order engagements start (``bench/crn.py``).

Lanes keep kinetic engagements and jamming apart: adding a jammer does not move the kinetic
engagements' draws. False tracks (targets from ``n_real`` on) get draws like any target; they are
never killed.

Hand-written because it runs inside the compiled loop (numba), where numpy's generators cannot
be indexed by a counter. The mixer is SplitMix64's output function (Steele, Lea & Flood, "Fast
splittable pseudorandom number generators", OOPSLA 2014; constants of Stafford's "Mix13",
as in Vigna's reference ``splitmix64.c``, https://prng.di.unimi.it/splitmix64.c), applied twice,
γ = 0x9E3779B97F4A7C15: the target's key is the mixed ``key + (target + 1)·γ`` (element
``target`` of the SplitMix64 sequence seeded with the run's key), and the uniform is the top 53
bits of the mixed ``target key + (m + 1)·γ`` with counter ``m = 2·index + lane`` (element ``m`` of
the sequence seeded with the target's key), times 2⁻⁵³.
"""

from __future__ import annotations

import numpy as np
from numba import njit

GAMMA = np.uint64(0x9E3779B97F4A7C15)  # SplitMix64's increment, 2^64 / golden ratio, odd
_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TWO_M53 = 2.0**-53

KINETIC, JAMMING = 0, 1
"""Lanes: an engagement's index counts only the engagements of its lane on its target."""
_LANES = 2


@njit(cache=True, inline="always")
def mix64(z: np.uint64) -> np.uint64:
    """SplitMix64's output function (a bijection of 64-bit words with full avalanche)."""
    z = (z ^ (z >> _S30)) * _MUL1
    z = (z ^ (z >> _S27)) * _MUL2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def engagement_uniform(key: np.uint64, target: int, lane: int, index: int) -> float:
    """The uniform in [0, 1) (53 bits) of engagement ``index`` (0, 1, …) of ``lane`` on
    ``target`` in the run keyed ``key``."""
    target_key = mix64(key + np.uint64(target + 1) * GAMMA)
    n = np.uint64(index * _LANES + lane + 1)
    return float(mix64(target_key + n * GAMMA) >> _S11) * _TWO_M53


def draw_key(rng: np.random.Generator) -> np.uint64:
    """The run's 64-bit key for engagement outcomes (one draw from the run's generator)."""
    return rng.integers(0, 2**64, dtype=np.uint64)
