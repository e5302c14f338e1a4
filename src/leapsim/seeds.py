"""Random streams: replication ``i`` of a study with seed ``S`` draws from
``SeedSequence(S, spawn_key=(i,))`` — the same stream whichever executor or worker runs it."""

from __future__ import annotations

import numpy as np


def run_seed_sequence(seed: int, run: int) -> np.random.SeedSequence:
    """The seed sequence of replication ``run`` (the ``run``-th of ``SeedSequence(seed).spawn``)."""
    return np.random.SeedSequence(seed, spawn_key=(run,))


def run_rng(seed: int, run: int) -> np.random.Generator:
    """The generator of replication ``run`` of a study seeded with ``seed``."""
    return np.random.Generator(np.random.PCG64(run_seed_sequence(seed, run)))
