"""Anytime metaheuristic for WTA: greedy start, iterated local search with ruin-and-recreate and
an exact assignment (very large-scale) neighbourhood, polished by a full local search.

Randomness comes only from the seed, through a SplitMix64 generator inside the kernels; with an
iteration budget (``iterations``) the result is bit-identical on any machine. With a time limit
the search runs in chunks of iterations until the clock says stop.
"""

from __future__ import annotations

import time

import numpy as np

from leapsim.c2.wta import _kernels as K
from leapsim.c2.wta.problem import WTAProblem


def build_instance(problem: WTAProblem, n_candidates: int | None) -> tuple:
    """Kernel instance tuple. A pair (i, j) is a candidate when j is among the ``n_candidates``
    best targets of type i by first-shot return ``v_j p_ij`` or by ``p_ij``, or i is among the
    ``n_candidates`` best types of target j by ``p_ij``; None makes every permitted pair with
    p > 0 and v > 0 a candidate. Candidates of a type are listed best ``v_j p_ij`` first."""
    m, n = problem.n_types, problem.n_targets
    v = problem.values
    p = problem.p
    q = np.maximum(1.0 - p, K.QMIN)
    usable = problem.allowed & (p > 0) & (v[None, :] > 0)
    ret = np.where(usable, v[None, :] * p, -np.inf)
    if n_candidates is None or n_candidates >= min(m, n):
        iscand = usable.copy()
    else:
        c = int(n_candidates)
        pk = np.where(usable, p, -np.inf)
        iscand = np.zeros((m, n), dtype=np.bool_)
        rows = np.arange(m)[:, None]
        iscand[rows, np.argpartition(-ret, c - 1, axis=1)[:, :c]] = True
        iscand[rows, np.argpartition(-pk, c - 1, axis=1)[:, :c]] = True
        iscand[np.argpartition(-pk, c - 1, axis=0)[:c, :], np.arange(n)[None, :]] = True
        iscand &= usable
    order = np.argsort(np.where(iscand, -ret, np.inf), axis=1, kind="stable")
    counts = iscand.sum(axis=1)
    cptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    cand = order[np.arange(n)[None, :] < counts[:, None]].astype(np.int64)
    rev_t, rev_j = np.nonzero(iscand.T)
    rptr = np.concatenate([[0], np.cumsum(np.bincount(rev_t, minlength=n))]).astype(np.int64)
    rev = rev_j.astype(np.int64)
    maxs = (
        np.full(n, np.iinfo(np.int64).max, np.int64)
        if problem.max_shots is None
        else problem.max_shots.astype(np.int64)
    )
    tstart = np.concatenate([[0], np.cumsum(problem.availability)]).astype(np.int64)
    ucost = problem.shot_cost.astype(np.float64)
    return (v, p, q, ucost, maxs, cptr, cand, rptr, rev, iscand, tstart)


def units_from_counts(problem: WTAProblem, x: np.ndarray) -> np.ndarray:
    """Target of every unit (units of type i are consecutive; -1 for units not fired)."""
    tgt = np.full(int(problem.availability.sum()), -1, np.int64)
    start = 0
    for i in range(problem.n_types):
        js = np.repeat(np.arange(problem.n_targets), x[i])
        tgt[start : start + js.size] = js
        start += int(problem.availability[i])
    return tgt


def counts_from_units(problem: WTAProblem, tgt: np.ndarray) -> np.ndarray:
    """(m, n) count matrix of a unit assignment."""
    utype = np.repeat(np.arange(problem.n_types), problem.availability)
    x = np.zeros(problem.p.shape, np.int64)
    fired = tgt >= 0
    np.add.at(x, (utype[fired], tgt[fired]), 1)
    return x
