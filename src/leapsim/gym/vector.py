"""Many nights at once: :class:`~leapsim.gym.env.NightEnv` copies behind Gymnasium's vector API.

The scenario is compiled once and shared by the copies. ``reset(seed=S)`` seeds copy ``i``
with ``S + i`` (Gymnasium's rule), so copy ``i`` plays replications 0, 1, … of seed ``S + i``;
finished nights restart automatically (Gymnasium's next-step autoreset).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from gymnasium.vector import AsyncVectorEnv, SyncVectorEnv, VectorEnv

from leapsim.gym.env import NightEnv, ScenarioLike, night_params


def make_vector_env(
    scenario: ScenarioLike, num_envs: int, *, asynchronous: bool = False, **env_kwargs: Any
) -> VectorEnv:
    """``num_envs`` nights of ``scenario`` stepped together: in this process
    (:class:`~gymnasium.vector.SyncVectorEnv`) or one subprocess each (``asynchronous``,
    :class:`~gymnasium.vector.AsyncVectorEnv`). ``env_kwargs`` go to :class:`NightEnv`."""
    if num_envs < 1:
        raise ValueError("num_envs must be >= 1")
    params = night_params(scenario)
    make = partial(NightEnv, params, **env_kwargs)
    fns = [make] * num_envs
    return AsyncVectorEnv(fns) if asynchronous else SyncVectorEnv(fns)
