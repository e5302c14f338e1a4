"""One night of a scenario as a Gymnasium environment: a step is a decision epoch.

An episode is one night (:class:`leapsim.engine.night.NightRun`, the engine's external-policy
path: the compiled loop runs resolve, leak, reload and jamming by itself and stops at each
epoch that has a fire-allocation problem). The observation and action arrays are described in
:mod:`leapsim.gym.encode` and docs/gym.md.

* Reward: minus the cost that accrued since the previous step (the first step: since dusk),
  value lost at the sites plus defender spend (every engagement started, jamming included), in
  units of ``cost_scale_eur``;
  an episode's rewards add up to ``-(value_lost_eur + defender_spend_eur) / cost_scale_eur``
  of :func:`leapsim.engine.metrics.night_metrics`.
* Termination: after the night's last decision epoch (the rest of the night runs inside that
  step); never truncated. A night with no decision at all starts with an all-padding observation
  and ends at the first step.
* Seeding: ``reset(seed=S)`` starts the environment's sequence of nights at replication 0 of
  seed ``S``; later resets without a seed take replications 1, 2, … Replication ``r`` draws
  from :func:`leapsim.seeds.run_rng` ``(S, r)``, exactly as ``leapsim run --seed S`` and the
  engine do, so a policy driven through the environment meets the same raids and engagement
  draws. ``options={"run": r}`` picks the replication; an environment never seeded plays seed 0.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

import gymnasium
import numpy as np
from gymnasium import spaces

from leapsim.c2.allocation import AllocationProblem, Assignment
from leapsim.engine.metrics import night_metrics
from leapsim.engine.night import NightOutcome, NightRun
from leapsim.engine.params import NightParams, compile_scenario
from leapsim.gym.encode import (
    NIGHT_FEATURES,
    PAIR_FEATURES,
    THREAT_FEATURES,
    UNIT_FEATURES,
    Layout,
    action_mask,
    decode,
    encode,
    make_layout,
    observe,
)
from leapsim.scenario import ResolvedScenario, load_scenario
from leapsim.seeds import run_rng

ScenarioLike = str | os.PathLike[str] | ResolvedScenario | NightParams


def night_params(scenario: ScenarioLike) -> NightParams:
    """Compiled parameters of a scenario file, ``builtin:NAME``, a loaded scenario or (as is)
    compiled parameters."""
    if isinstance(scenario, NightParams):
        return scenario
    if not isinstance(scenario, ResolvedScenario):
        scenario = load_scenario(scenario)
    return compile_scenario(scenario)


class NightEnv(gymnasium.Env):
    """The decision epochs of one night of ``scenario`` (see the module docstring).

    Args:
        scenario: a scenario file, ``builtin:NAME``, a loaded scenario or compiled parameters.
        max_threats: threat slots ``K`` of the observation and action.
        cost_scale_eur: EUR per unit of reward and of the cost features.
        time_scale_s: seconds per unit of the time features.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}

    def __init__(
        self,
        scenario: ScenarioLike,
        *,
        max_threats: int = 32,
        cost_scale_eur: float = 1.0e6,
        time_scale_s: float = 60.0,
    ) -> None:
        self.params = night_params(scenario)
        self.layout: Layout = make_layout(self.params, max_threats, cost_scale_eur, time_scale_s)
        u, k, c = self.layout.n_units, self.layout.max_threats, self.layout.n_channels
        if u == 0:
            raise ValueError("the scenario has no kinetic fire unit to allocate")
        top = float(np.finfo(np.float32).max)  # features are finite; -1 marks "none"
        self.observation_space = spaces.Dict(
            {
                "night": spaces.Box(0.0, 1.0, (len(NIGHT_FEATURES),), np.float32),
                "units": spaces.Box(-1.0, top, (u, len(UNIT_FEATURES)), np.float32),
                "threats": spaces.Box(-1.0, top, (k, len(THREAT_FEATURES)), np.float32),
                "pairs": spaces.Box(-1.0, top, (u, k, len(PAIR_FEATURES)), np.float32),
                "unit_mask": spaces.MultiBinary(u),
                "threat_mask": spaces.MultiBinary(k),
            }
        )
        self.action_space = spaces.MultiDiscrete(np.full(c, k + 1, np.int64))
        self._seed = 0  # a first reset() without a seed plays seed 0
        self._next_run = 0
        self.replication = 0  # the replication of the night being played
        self._run: NightRun | None = None
        self._cost = 0.0
        self._mask_of: object = None
        self._mask_cache: np.ndarray | None = None

    # -- Gymnasium API -------------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        if seed is not None:
            self._seed, self._next_run = int(seed), 0
        if options and "run" in options:
            self._next_run = int(options["run"])
        self.replication = self._next_run
        self._next_run += 1
        self._run = NightRun(self.params, run_rng(self._seed, self.replication))
        self._run.next_decision()
        self._cost = 0.0  # what accrues before the first decision is in the first step's reward
        return self._observation(), self._info(dropped=0)

    def step(
        self, action: np.ndarray
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        run = self._night()
        if run.done:  # a night with no decision epoch at all
            chosen, dropped = Assignment.empty(), int(np.count_nonzero(action))
        else:
            chosen, dropped = decode(self.layout, run.pending_epoch, action, self._mask())
            run.decide(chosen)
            run.next_decision()
        cost = self._accrued_cost()
        reward = -(cost - self._cost) / self.layout.cost_scale_eur
        self._cost = cost
        info = self._info(dropped)
        if run.done:
            info["metrics"] = night_metrics(run.outcome())
        return self._observation(), float(reward), run.done, False, info

    def action_masks(self) -> np.ndarray:
        """The flat action mask (C · (K + 1) booleans, channel slot by channel slot), as
        ``sb3_contrib``'s maskable policies ask for it."""
        return self._mask().reshape(-1)

    # -- for policies that read the engine's problem -------------------------------------------

    @property
    def problem(self) -> AllocationProblem | None:
        """The pending epoch's allocation problem, in EUR, all of its candidates (None after
        the night): what the engine's built-in policies see."""
        epoch = self._night().pending_epoch
        return None if epoch is None else epoch.allocation

    @property
    def night_rng(self) -> np.random.Generator:
        """The night's generator (the one the engine hands a policy at each epoch)."""
        return self._night().rng

    def action_for(self, chosen: Assignment) -> np.ndarray:
        """The action starting ``chosen`` (rows and columns of :attr:`problem`)."""
        epoch = self._night().pending_epoch
        if epoch is None:
            return np.zeros(self.layout.n_channels, np.int64)
        return encode(self.layout, epoch, chosen)

    def outcome(self) -> NightOutcome:
        """What happened in the night (once the episode has terminated)."""
        return self._night().outcome()

    # -- helpers -------------------------------------------------------------------------------

    def _night(self) -> NightRun:
        if self._run is None:
            raise RuntimeError("call reset() before stepping the environment")
        return self._run

    def _accrued_cost(self) -> float:
        run = self._night()
        lost = self.params.site_value_eur.sum() - run.state.site_value_left_eur.sum()
        spend = run.buffers.log.cost[: run.clock[0]["n_log"]].sum()
        return float(lost + spend)

    def _mask(self) -> np.ndarray:
        """The pending epoch's action mask, computed once per epoch."""
        epoch = self._night().pending_epoch
        if self._mask_of is not epoch or self._mask_cache is None:
            self._mask_of, self._mask_cache = epoch, action_mask(self.layout, epoch)
        return self._mask_cache

    def _observation(self) -> dict[str, np.ndarray]:
        run = self._night()
        return observe(self.layout, run, run.pending_epoch)

    def _info(self, dropped: int) -> dict[str, Any]:
        epoch = self._night().pending_epoch
        cut = 0 if epoch is None else max(0, epoch.threats.size - self.layout.max_threats)
        return {
            "time_s": self._night().time_s,
            "action_mask": self._mask(),
            "threats_cut": cut,
            "dropped_shots": dropped,
        }
