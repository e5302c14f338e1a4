"""Steps per second of the Gymnasium environment (:mod:`leapsim.gym`).

One step is one decision epoch. Rows: one environment driven by hold-fire actions, by random
actions among those the mask allows, and by ``cost_aware`` through :meth:`NightEnv.action_for`
(the exactness path of tests/test_gym.py); a :class:`gymnasium.vector.SyncVectorEnv` of
``--envs`` copies with random masked actions; and, for scale, the engine alone running
``cost_aware`` compiled (decision epochs per second of :func:`simulate_night`).

Usage: python bench/gym_env.py [--scenario builtin:rzeszow_leap] [--nights 2] [--envs 4]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from rich.console import Console
from rich.table import Table

from leapsim.c2.policies import make_policy
from leapsim.engine import simulate_night
from leapsim.gym import NightEnv, make_vector_env
from leapsim.seeds import run_rng


def masked_random(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per channel slot, a uniform choice among the actions ``mask`` allows (last axis)."""
    return np.argmax(rng.random(mask.shape) * mask, axis=-1)


def single(env: NightEnv, nights: int, how: str) -> tuple[int, float]:
    rng = np.random.default_rng(0)
    policy = make_policy("cost_aware", env.params.doctrine)
    steps, start = 0, time.perf_counter()
    for night in range(nights):
        _, info = env.reset(seed=1, options={"run": night})
        done = False
        while not done:
            if how == "hold":
                action = np.zeros(env.layout.n_channels, np.int64)
            elif how == "random":
                action = masked_random(info["action_mask"], rng)
            else:
                action = env.action_for(policy(env.problem, env.night_rng))
            _, _, done, _, info = env.step(action)
            steps += 1
    return steps, time.perf_counter() - start


def vector(scenario: str, n_envs: int, nights: int) -> tuple[int, float]:
    """Random masked actions until ``nights`` nights have ended across the copies."""
    vec = make_vector_env(scenario, n_envs)
    rng = np.random.default_rng(0)
    _, info = vec.reset(seed=1)
    steps, ended, start = 0, 0, time.perf_counter()
    while ended < nights:
        _, _, done, _, info = vec.step(masked_random(info["action_mask"], rng))
        steps += n_envs
        ended += int(done.sum())
    vec.close()
    return steps, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="builtin:rzeszow_leap")
    parser.add_argument("--nights", type=int, default=2)
    parser.add_argument("--envs", type=int, default=4)
    args = parser.parse_args()
    env = NightEnv(args.scenario)
    single(env, 1, "cost_aware")  # warm up: load or compile the engine
    table = Table(title=f"{args.scenario}: steps (decision epochs) per second")
    for col in ("driver", "steps", "s", "steps / s"):
        table.add_column(col, justify="right")
    rows = [(f"NightEnv, {how}", *single(env, args.nights, how))
            for how in ("hold", "random", "cost_aware")]  # fmt: skip
    rows.append((f"SyncVectorEnv × {args.envs}, random", *vector(args.scenario, args.envs,
                                                                args.nights)))  # fmt: skip
    policy = make_policy("cost_aware", env.params.doctrine)
    start = time.perf_counter()
    for night in range(args.nights):
        simulate_night(env.params, run_rng(1, night), policy)
    engine_s = time.perf_counter() - start
    epochs = rows[2][1]  # cost_aware through the env visits the same epochs
    rows.append(("engine alone, cost_aware compiled", epochs, engine_s))
    for name, steps, seconds in rows:
        table.add_row(name, f"{steps:,}", f"{seconds:.2f}", f"{steps / seconds:,.0f}")
    Console(width=110).print(table)


if __name__ == "__main__":
    main()
