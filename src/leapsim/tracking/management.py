"""Track management, compiled: the initiator (new tentative tracks, M-of-N confirmation) and the
deleter (the rules that end a track), as in Stone Soup's initiator/deleter split.

* **Initiator.** Every detection no track takes starts a tentative track: position from the
  detection (covariance R), zero velocity with per-axis σ ``initial_speed_sigma_mps``, equal
  model probabilities. A sensor scan is an *opportunity* for every track it updates and for
  every track within its coverage; a track is confirmed once it has ``confirm_m`` hits among
  its last ``confirm_n`` opportunities (a bit history of at most 30 opportunities).
* **Deleter.** A confirmed track ends after ``max_misses`` consecutive misses; a tentative track
  ends once its window of ``confirm_n`` opportunities closes unconfirmed or it can no longer
  reach ``confirm_m`` hits in it, or when it is ``max_tentative_age_s`` old; any track ends when
  its RMS position σ exceeds ``max_position_sigma_m`` (Stone Soup's
  ``CovarianceBasedDeleter``: nothing else ends a track that no sensor can deny).
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Tracks are deleted when their RMS position σ exceeds this (m), or twice the distance a new
#: track's velocity σ covers in the slowest sensor's scan period if that is larger.
MIN_DELETE_SIGMA_M = 2000.0


def deletion_sigma_m(initial_speed_sigma_mps: float, slowest_scan_s: float) -> float:
    """RMS position σ (m) beyond which a track is deleted (``max_position_sigma_m``):
    :data:`MIN_DELETE_SIGMA_M`, or twice the spread a new track's velocity σ adds over the
    slowest scan period, so that a new track survives until that sensor scans again."""
    return max(MIN_DELETE_SIGMA_M, 2.0 * initial_speed_sigma_mps * slowest_scan_s)


@njit(cache=True)
def popcount(bits: int) -> int:
    """Number of set bits of a non-negative history word."""
    count = 0
    while bits:
        bits &= bits - 1
        count += 1
    return count


@njit(cache=True)
def initiate(
    x: np.ndarray,
    p: np.ndarray,
    mu: np.ndarray,
    z: np.ndarray,
    r: np.ndarray,
    initial_velocity_var: float,
) -> None:
    """Filter state of a new track from one detection: ``x`` (M, n), ``p`` (M, n, n) and
    ``mu`` (M,) are written in place."""
    m = x.shape[0]
    d = z.size
    x[:] = 0.0
    p[:] = 0.0
    for j in range(m):
        for a in range(d):
            x[j, a] = z[a]
            for b in range(d):
                p[j, a, b] = r[a, b]
            p[j, d + a, d + a] = initial_velocity_var
    mu[:] = 1.0 / m


@njit(cache=True)
def record_scan(
    history: np.ndarray,
    opportunities: np.ndarray,
    misses: np.ndarray,
    confirmed: np.ndarray,
    hit: np.ndarray,
    seen: np.ndarray,
    confirm_m: int,
    confirm_n: int,
) -> None:
    """One sensor scan's outcome for the first ``hit.size`` tracks: each track the scan could
    see (``seen``) records a hit or a miss in its M-of-N window; then every track with
    ``confirm_m`` hits in its window is confirmed."""
    window = (1 << confirm_n) - 1
    for i in range(hit.size):
        if seen[i]:
            history[i] = ((history[i] << 1) | (1 if hit[i] else 0)) & window
            opportunities[i] += 1
            misses[i] = 0 if hit[i] else misses[i] + 1
        if popcount(history[i]) >= confirm_m:
            confirmed[i] = True


@njit(cache=True)
def survives(
    confirmed: bool,
    history: int,
    opportunities: int,
    misses: int,
    position_variance: float,
    age_s: float,
    confirm_m: int,
    confirm_n: int,
    max_misses: int,
    max_position_var: float,
    max_tentative_age_s: float,
) -> bool:
    """Whether a track lives on after a step (see the module docstring for the rules);
    ``position_variance`` is the trace of its position covariance, ``max_position_var`` the
    trace limit (inf: none)."""
    if position_variance > max_position_var:
        return False
    if confirmed:
        return misses < max_misses
    if age_s >= max_tentative_age_s:
        return False
    can_confirm = popcount(history) + (confirm_n - opportunities) >= confirm_m
    return opportunities < confirm_n and can_confirm
