"""When does one sensor confirm a track? The tracker's M-of-N rule as an exact Markov chain.

The planning model asks, for one sensor (or one fence, whose nodes report through one fusion
centre) and one drone, for the probability that a confirmed track exists by a deadline, given
the single-scan detection probabilities ``p_1 … p_K`` of the sensor's scans. With independent
scans and every detection of the drone associated with its track, the track-management rules of
:func:`leapsim.tracking.tracker_step` form a Markov chain whose state is "no track" or a
tentative track with ``o`` opportunities and ``h`` hits:

* no track: a hit starts a track (o = 1, h = 1); a miss leaves no track;
* a hit or miss is an opportunity; a track is confirmed when h ≥ ``confirm_m``, and deleted
  when it has had ``confirm_n`` opportunities unconfirmed or can no longer reach ``confirm_m``
  in them (h + n − o < m). Confirmation is absorbing.

Fusion with other sensors only adds hits, so the single-sensor probability is a lower bound on
what the network's tracker achieves (the Monte Carlo measures that).
"""

from __future__ import annotations

import numpy as np


def _states(m: int, n: int) -> list[tuple[int, int]]:
    """Tentative states (o, h) that can still confirm."""
    return [(o, h) for o in range(1, n) for h in range(1, o + 1) if h < m and h + n - o >= m]


class ConfirmationChain:
    """The chain of the M-of-N rule, stepped over many independent (sensor, drone) pairs."""

    def __init__(self, confirm_m: int, confirm_n: int):
        if not 1 <= confirm_m <= confirm_n:
            raise ValueError("need 1 <= confirm_m <= confirm_n")
        self.m, self.n = confirm_m, confirm_n
        self.states = _states(confirm_m, confirm_n)
        index = {s: i + 1 for i, s in enumerate(self.states)}  # 0: no track
        size = len(self.states) + 2  # last: confirmed
        self.confirmed = size - 1
        hit, miss = np.zeros(size, np.int64), np.zeros(size, np.int64)
        hit[0] = self.confirmed if confirm_m == 1 else index[(1, 1)]
        miss[0] = 0
        for (o, h), i in index.items():
            hit[i] = self._next(o + 1, h + 1, index)
            miss[i] = self._next(o + 1, h, index)
        hit[self.confirmed] = miss[self.confirmed] = self.confirmed
        self.size = size
        self.hit_to, self.miss_to = hit, miss
        self.hit = np.zeros((size, size))  # transition matrices, row: from, column: to
        self.miss = np.zeros((size, size))
        self.hit[np.arange(size), hit] = 1.0
        self.miss[np.arange(size), miss] = 1.0

    def _next(self, o: int, h: int, index: dict[tuple[int, int], int]) -> int:
        if h >= self.m:
            return self.confirmed
        return index.get((o, h), 0)  # deleted (window over, or m out of reach): no track

    def start(self, pairs: int) -> np.ndarray:
        """(pairs, states) distribution: no track."""
        dist = np.zeros((pairs, self.size))
        dist[:, 0] = 1.0
        return dist

    def step(self, dist: np.ndarray, pd: np.ndarray) -> np.ndarray:
        """One scan of every pair with single-scan detection probability ``pd`` (pairs,)."""
        p = pd[:, None]
        return (dist * p) @ self.hit + (dist * (1.0 - p)) @ self.miss

    def confirmed_by(self, pd: np.ndarray) -> np.ndarray:
        """(P, K) probability of a confirmed track by each scan, for pd (P, K)."""
        pd = np.asarray(pd, dtype=np.float64)
        dist = self.start(pd.shape[0])
        out = np.empty(pd.shape)
        for k in range(pd.shape[1]):
            dist = self.step(dist, pd[:, k])
            out[:, k] = dist[:, self.confirmed]
        return out
