"""Train a small fire-control policy on leapsim's Gymnasium environment and compare its cost per
night with the built-in allocation policies.

The learner is ``MaskablePPO`` from ``sb3-contrib`` (Stable-Baselines3's contributions): PPO
with invalid actions masked out, which fits the environment's action mask (channel slots that
have no free channel or no feasible target may only hold fire). It trains on nights of seed
``--seed`` and is evaluated, like ``max_pk``, ``cost_aware`` and ``wta``, on the same held-out
nights (seed ``--seed + 1``, common random numbers): mean cost per night (value lost + defender
spend) with 95 % intervals, and its paired difference to ``cost_aware``.

Optional, not run in CI, nothing downloaded at run time. Install a CPU build of PyTorch, then
the extra (docs/gym.md)::

    .venv/bin/python -m pip install torch==2.13.0   # or any CPU build of torch >= 2.3
    .venv/bin/python -m pip install -e '.[rl]'
    .venv/bin/python examples/train_gym_policy.py --timesteps 8192 --eval-nights 5

A few tens of thousands of steps (a handful of nights: one night is thousands of decision
epochs) is enough to see the pipeline work, not to beat the hand-built rules; docs/gym.md
records what a run gave.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from leapsim.c2.policies import make_policy
from leapsim.engine import night_metrics, simulate_night
from leapsim.experiments.stats import mean_ci
from leapsim.gym import NightEnv
from leapsim.seeds import run_rng

try:
    import torch
    from sb3_contrib import MaskablePPO
    from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize
except ImportError as exc:  # pragma: no cover - optional extra
    raise SystemExit(
        "this example needs the optional extra: pip install -e '.[rl]' (docs/gym.md)"
    ) from exc

BUILT_IN = ("max_pk", "cost_aware", "wta")


def night_cost(metrics: dict[str, float]) -> float:
    """Value lost + defender spend, M€."""
    return (metrics["value_lost_eur"] + metrics["defender_spend_eur"]) / 1e6


def train(args: argparse.Namespace) -> MaskablePPO:
    def make() -> NightEnv:
        env = NightEnv(args.scenario, max_threats=args.max_threats)
        env.reset(seed=args.seed)
        return env

    # rewards are -M€ per epoch; nights cost hundreds of M€, so returns are normalised for PPO
    venv = VecNormalize(DummyVecEnv([make]), norm_obs=False, norm_reward=True)
    venv.seed(args.seed)
    model = MaskablePPO(
        "MultiInputPolicy",
        venv,
        n_steps=1024,
        batch_size=256,
        learning_rate=3e-4,
        gamma=0.999,
        seed=args.seed,
        verbose=0,
    )
    start = time.perf_counter()
    model.learn(total_timesteps=args.timesteps)
    print(f"trained {args.timesteps:,} steps in {time.perf_counter() - start:.0f} s")
    return model


def evaluate_learned(model: MaskablePPO, args: argparse.Namespace) -> list[float]:
    env = NightEnv(args.scenario, max_threats=args.max_threats)
    costs = []
    for run in range(args.eval_nights):
        obs, _ = env.reset(seed=args.seed + 1, options={"run": run})
        done, info = False, {}
        while not done:
            action, _ = model.predict(obs, action_masks=env.action_masks(), deterministic=True)
            obs, _, done, _, info = env.step(action)
        costs.append(night_cost(info["metrics"]))
    return costs


def evaluate_built_in(name: str, args: argparse.Namespace, params) -> list[float]:
    """The engine's own night (exactly what the environment gives, tests/test_gym.py)."""
    policy = make_policy(name, params.doctrine)
    return [
        night_cost(night_metrics(simulate_night(params, run_rng(args.seed + 1, run), policy)))
        for run in range(args.eval_nights)
    ]


def interval(values) -> str:
    s = mean_ci(np.asarray(values, float))
    return f"{s['mean']:10.1f}  ({s['ci_low']:.1f} – {s['ci_high']:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="examples/gdansk_port.yaml")
    parser.add_argument("--timesteps", type=int, default=8192)
    parser.add_argument("--eval-nights", type=int, default=5)
    parser.add_argument("--max-threats", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    # one masked categorical per channel slot: argument checks and thread hand-offs cost more
    # than the small network itself
    torch.distributions.Distribution.set_default_validate_args(False)
    torch.set_num_threads(1)
    model = train(args)
    params = NightEnv(args.scenario).params
    costs = {"learned (MaskablePPO)": evaluate_learned(model, args)}
    for name in BUILT_IN:
        costs[name] = evaluate_built_in(name, args, params)
    print(f"\n{args.scenario}: cost per night, M€ (value lost + defender spend), "
          f"{args.eval_nights} held-out nights, same seeds for every policy")  # fmt: skip
    print(f"{'policy':24s} {'mean (95 % CI)':>30s} {'minus cost_aware (95 % CI)':>34s}")
    base = np.asarray(costs["cost_aware"])
    for name, values in costs.items():
        paired = interval(np.asarray(values) - base)
        print(f"{name:24s} {interval(values):>30s} {paired:>34s}")


if __name__ == "__main__":
    main()
