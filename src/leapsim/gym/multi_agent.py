"""The same nights as a PettingZoo parallel environment: each kinetic fire unit is an agent, all
share the reward.

Agent ``unit_<i>`` is unit slot ``i`` of :mod:`leapsim.gym.encode` (the ``i``-th kinetic fire unit
of the scenario). Every agent observes the whole epoch (the :class:`~leapsim.gym.env.NightEnv`
observation) plus ``self``, the one-hot of its own unit slot; it acts on its own channel slots
(``MultiDiscrete([K + 1] * fire channels)``, 0 holds fire), with its rows of the action mask in
``infos[agent]["action_mask"]``. The agents' actions are joined into one
:class:`~leapsim.gym.env.NightEnv` step, so rewards, seeding and the rules for dropped shots are
that environment's; every agent gets the step's reward. Needs ``pettingzoo``
(``pip install 'leapsim[gym]'``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from leapsim.gym.env import NightEnv, ScenarioLike


class NightParallelEnv(ParallelEnv):
    """Fire units as agents of one night (see the module docstring); ``env_kwargs`` go to
    :class:`NightEnv`."""

    metadata: ClassVar[dict[str, Any]] = {"name": "leapsim_night_v0", "render_modes": []}

    def __init__(self, scenario: ScenarioLike, **env_kwargs: Any) -> None:
        self.env = NightEnv(scenario, **env_kwargs)
        layout = self.env.layout
        self.possible_agents = [f"unit_{i}" for i in range(layout.n_units)]
        self.agents: list[str] = []
        self._channels = {
            agent: np.flatnonzero(layout.channel_slot == i)
            for i, agent in enumerate(self.possible_agents)
        }
        shared = self.env.observation_space
        n_units = layout.n_units
        self._observation_space = spaces.Dict(
            {**shared.spaces, "self": spaces.MultiBinary(n_units)}
        )
        self._action_spaces = {
            agent: spaces.MultiDiscrete(np.full(channels.size, layout.max_threats + 1, np.int64))
            for agent, channels in self._channels.items()
        }

    def observation_space(self, agent: str) -> spaces.Dict:
        return self._observation_space

    def action_space(self, agent: str) -> spaces.MultiDiscrete:
        return self._action_spaces[agent]

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, dict], dict[str, dict]]:
        obs, info = self.env.reset(seed=seed, options=options)
        self.agents = list(self.possible_agents)
        return self._split(obs, info)

    def step(self, actions: dict[str, np.ndarray]) -> tuple[dict, dict, dict, dict, dict]:
        joint = np.zeros(self.env.layout.n_channels, np.int64)
        for agent, action in actions.items():
            joint[self._channels[agent]] = action
        obs, reward, done, truncated, info = self.env.step(joint)
        observations, infos = self._split(obs, info)
        rewards = {agent: reward for agent in self.agents}
        terminations = {agent: done for agent in self.agents}
        truncations = {agent: truncated for agent in self.agents}
        if done or truncated:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def _split(self, obs: dict, info: dict) -> tuple[dict[str, dict], dict[str, dict]]:
        observations, infos = {}, {}
        for i, agent in enumerate(self.agents):
            own = np.zeros(self.env.layout.n_units, np.int8)
            own[i] = 1
            observations[agent] = {**obs, "self": own}
            infos[agent] = {
                **{k: v for k, v in info.items() if k != "action_mask"},
                "action_mask": info["action_mask"][self._channels[agent]],
            }
        return observations, infos
