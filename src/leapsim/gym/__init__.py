"""The engine's decision epochs as a Gymnasium environment, for learning fire control
(optional extra: ``pip install 'leapsim[gym]'``; docs/gym.md).

* :class:`NightEnv`: one night per episode, one decision epoch per step; registered as
  ``leapsim/Night-v0`` for ``gymnasium.make`` and ``gymnasium.make_vec``.
* :func:`make_vector_env`: many nights at once through Gymnasium's vector API.
* :class:`leapsim.gym.multi_agent.NightParallelEnv`: the fire units as PettingZoo agents with a
  shared reward (imported from its module: it needs ``pettingzoo``).
"""

from __future__ import annotations

try:
    import gymnasium
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError("leapsim.gym needs Gymnasium: pip install 'leapsim[gym]'") from exc

from leapsim.gym.env import NightEnv, night_params
from leapsim.gym.vector import make_vector_env

ENV_ID = "leapsim/Night-v0"

if ENV_ID not in gymnasium.registry:
    gymnasium.register(id=ENV_ID, entry_point="leapsim.gym.env:NightEnv")

__all__ = ["ENV_ID", "NightEnv", "make_vector_env", "night_params"]
