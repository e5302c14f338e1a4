"""The Gymnasium environment (:mod:`leapsim.gym`): Gymnasium's checker, exact agreement with the
engine when a built-in policy drives it, observation and mask against the engine's problem,
action decoding, seeding, and the vector form."""

from __future__ import annotations

import math
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

gymnasium = pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env  # noqa: E402

from leapsim.c2.policies import make_policy  # noqa: E402
from leapsim.engine import night_metrics, simulate_night  # noqa: E402
from leapsim.engine.codes import KILL  # noqa: E402
from leapsim.gym import ENV_ID, NightEnv, make_vector_env, night_params  # noqa: E402
from leapsim.gym.encode import HOLD, PAIR_FEATURES, THREAT_FEATURES, UNIT_FEATURES  # noqa: E402
from leapsim.seeds import run_rng  # noqa: E402
from scenario_factory import compile_dict, one_site_scenario  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def small(tmp_path):
    """Twelve drones on one site, two two-channel guns (one forward), cost-aware doctrine."""
    data = one_site_scenario(
        count=12,
        raid={"spread_s": 20},
        gun={"fire_channels": 2, "pk": {"drone": 0.6, "decoy": 0.6}},
        doctrine={"policy": "cost_aware", "max_shots_per_threat": 2},
    )
    data["fire_units"].append({**data["fire_units"][0], "lon": 22.1})
    return compile_dict(tmp_path, data)


def drive(env: NightEnv, policy, seed: int, run: int = 0):
    """One episode with ``policy`` answering the engine's problem through actions."""
    env.reset(seed=seed, options={"run": run})
    total, done, info = 0.0, False, {}
    while not done:
        action = env.action_for(policy(env.problem, env.night_rng))
        _, reward, done, truncated, info = env.step(action)
        assert not truncated and info["threats_cut"] == 0 and info["dropped_shots"] == 0
        total += reward
    return total, info["metrics"]


def same_metrics(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a
    )


def test_gymnasium_env_checker_passes():
    env = NightEnv(EXAMPLES / "gdansk_port.yaml")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env, skip_render_check=True)
    assert not [w for w in caught if "gymnasium" in str(w.filename) or "WARN" in str(w.message)]


@pytest.mark.parametrize("name", ["cost_aware", "max_pk"])
def test_a_built_in_policy_through_the_env_is_the_engine(small, name):
    env = NightEnv(small)
    policy = make_policy(name, small.doctrine)
    for run in range(3):
        total, metrics = drive(env, policy, seed=11, run=run)
        engine = night_metrics(simulate_night(small, run_rng(11, run), policy))
        assert same_metrics(metrics, engine)
        assert metrics["shots"] > 0 and metrics["killed"] > 0
        cost = metrics["value_lost_eur"] + metrics["defender_spend_eur"]
        assert total == pytest.approx(-cost / 1e6, rel=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("scenario", "sensing", "policy", "max_threats"),
    [
        ("builtin:rzeszow_leap", "detection", "cost_aware", 48),
        (str(EXAMPLES / "gdansk_port.yaml"), "tracked", "cost_aware", 64),
    ],
)
def test_a_built_in_policy_through_the_env_is_the_engine_on_real_scenarios(
    scenario, sensing, policy, max_threats
):
    params = replace(night_params(scenario), sensing_mode=sensing)
    env = NightEnv(params, max_threats=max_threats)
    chosen = make_policy(policy, env.params.doctrine)
    total, metrics = drive(env, chosen, seed=3)
    engine = simulate_night(env.params, run_rng(3, 0), chosen)
    assert same_metrics(metrics, night_metrics(engine))
    cost = metrics["value_lost_eur"] + metrics["defender_spend_eur"]
    assert total == pytest.approx(-cost / 1e6, rel=1e-9)
    for name, column in engine.engagements.items():
        np.testing.assert_array_equal(env.outcome().engagements[name], column)


def test_observation_and_mask_show_the_engine_problem(small):
    env = NightEnv(small, max_threats=2)
    obs, info = env.reset(seed=2)
    layout = env.layout
    assert obs["units"].shape == (2, len(UNIT_FEATURES))
    assert obs["pairs"].shape == (2, 2, len(PAIR_FEATURES))
    assert obs["threats"].shape == (2, len(THREAT_FEATURES))
    assert env.action_space.nvec.tolist() == [3] * 4  # 2 units × 2 channels, hold + 2 slots
    policy = make_policy("cost_aware", small.doctrine)
    steps = cut = 0
    done = False
    while not done:
        assert env.observation_space.contains(obs)
        problem, epoch = env.problem, env._run.pending_epoch
        rows = layout.slot_of_unit[epoch.units]
        n = min(problem.n_threats, 2)
        cut += info["threats_cut"]
        assert info["threats_cut"] == problem.n_threats - n
        assert obs["threat_mask"].tolist() == [1] * n + [0] * (2 - n)
        assert set(np.flatnonzero(obs["unit_mask"])) == set(rows)
        pairs = obs["pairs"][rows][:, :n]
        np.testing.assert_array_equal(pairs[..., 0], problem.pk[:, :n].astype(np.float32))
        np.testing.assert_array_equal(pairs[..., 1] == 1, problem.feasible[:, :n])
        assert np.all(pairs[..., 3][problem.feasible[:, :n]] > 0)  # an open window
        np.testing.assert_allclose(obs["threats"][:n, 1], problem.threat_value[:n] / 1e6, rtol=1e-6)
        np.testing.assert_allclose(
            obs["threats"][:n, 0] * 60.0,
            env._run.night.threats.arrival_s[epoch.threats[:n]] - env._run.time_s,
            rtol=1e-5,
        )
        mask = info["action_mask"]
        assert mask[:, HOLD].all() and not mask[:, n + 1 :].any()
        for channel, slot in enumerate(layout.channel_slot):
            allowed = mask[channel, 1 : n + 1]
            free = layout.channel_rank[channel] < obs["units"][slot, 1]
            np.testing.assert_array_equal(allowed, (pairs_of(obs, slot, n) == 1) & free)
        assert np.array_equal(env.action_masks(), mask.reshape(-1))
        chosen = policy(problem, env.night_rng)
        keep = chosen.threat < n
        action = env.action_for(type(chosen)(chosen.unit[keep], chosen.threat[keep]))
        obs, _, done, _, info = env.step(action)
        steps += 1
    assert steps > 5 and cut > 0  # two slots are fewer than the epochs' candidates
    assert env.observation_space.contains(obs) and not obs["threat_mask"].any()


def pairs_of(obs, slot, n):
    return obs["pairs"][slot, :n, 1]


def test_random_actions_keep_the_night_consistent(small):
    """Unmasked random actions: forbidden shots are dropped, never raised; the night's books
    balance and the rewards add up to its cost."""
    env = NightEnv(small, max_threats=3)
    env.action_space.seed(0)
    env.reset(seed=5)
    total, dropped, done = 0.0, 0, False
    while not done:
        _, reward, done, _, info = env.step(env.action_space.sample())
        total += reward
        dropped += info["dropped_shots"]
    m = info["metrics"]
    assert dropped > 0 and m["shots"] > 0
    assert m["launched"] == m["killed"] + m["leaked"] + m["airborne"]
    eng = env.outcome().engagements
    assert m["defender_spend_eur"] == pytest.approx(10.0 * eng["unit"].size)  # 1 round of 10 €
    assert m["killed"] == np.count_nonzero(eng["outcome"] == KILL)
    assert np.all(np.bincount(eng["threat"], minlength=12) <= 2)  # max_shots_per_threat
    assert total == pytest.approx(-(m["value_lost_eur"] + m["defender_spend_eur"]) / 1e6)


def test_masked_shots_beyond_a_threats_limit_are_dropped_in_slot_order(small):
    env = NightEnv(small)
    _, info = env.reset(seed=1)
    problem = env.problem
    col = int(np.flatnonzero(problem.feasible.any(axis=0))[0])
    action = np.where(info["action_mask"][:, col + 1], col + 1, HOLD)
    allowed = int(np.count_nonzero(action))
    limit = int(problem.max_new_shots[col])
    _, _, _, _, info = env.step(action)
    assert info["dropped_shots"] == max(0, allowed - limit)
    started = env._run.buffers.log
    assert np.count_nonzero(started.threat[: env._run.clock[0]["n_log"]] >= 0) == min(
        allowed, limit
    )


def test_seeding_is_deterministic_and_follows_the_replications(small):
    a, b = NightEnv(small), NightEnv(small)
    hold = np.zeros(a.layout.n_channels, np.int64)

    def rewards(env, **reset):
        env.reset(**reset)
        out, done = [], False
        while not done:
            _, r, done, _, _ = env.step(hold)
            out.append(r)
        return out

    first = rewards(a, seed=9)
    assert rewards(b, seed=9) == first
    second = rewards(a)  # no seed: the next replication
    assert rewards(b, seed=9, options={"run": 1}) == second
    assert second != first


def test_gymnasium_make_and_the_vector_form(small):
    env = gymnasium.make(ENV_ID, scenario=small, max_threats=4)
    assert env.unwrapped.layout.max_threats == 4
    env.close()
    made = gymnasium.make_vec(ENV_ID, num_envs=2, scenario=small)
    assert made.reset(seed=1)[0]["units"].shape == (2, 2, len(UNIT_FEATURES))
    made.close()
    vec = make_vector_env(small, 3)
    obs, _ = vec.reset(seed=20)
    assert obs["pairs"].shape == (3, 2, 32, len(PAIR_FEATURES))
    hold = np.zeros((3, vec.single_action_space.shape[0]), np.int64)
    totals, finished = np.zeros(3), np.zeros(3, bool)
    while not finished.all():
        _, rewards, done, _, _ = vec.step(hold)
        totals += np.where(finished, 0.0, rewards)
        finished |= done
    vec.close()
    single = NightEnv(small)
    for i in range(3):
        single.reset(seed=20 + i)
        total, done = 0.0, False
        while not done:
            _, r, done, _, _ = single.step(hold[i])
            total += r
        assert totals[i] == pytest.approx(total, rel=1e-12)


def test_a_scenario_without_kinetic_units_is_refused(tmp_path):
    data = one_site_scenario(gun={"kind": "ew", "cost_per_round_eur": 0})
    with pytest.raises(ValueError, match="no kinetic fire unit"):
        NightEnv(compile_dict(tmp_path, data))


def test_the_pettingzoo_parallel_form_passes_its_api_tests_and_shares_the_night(small):
    pytest.importorskip("pettingzoo")
    from pettingzoo.test import parallel_api_test, parallel_seed_test

    from leapsim.gym.multi_agent import NightParallelEnv

    parallel_api_test(NightParallelEnv(small), num_cycles=200)
    parallel_seed_test(lambda: NightParallelEnv(small))
    multi, single = NightParallelEnv(small), NightEnv(small)
    policy = make_policy("cost_aware", small.doctrine)
    multi.reset(seed=4)
    single_total, _ = drive(single, policy, seed=4)
    total, done = 0.0, False
    while not done:
        joint = multi.env.action_for(policy(multi.env.problem, multi.env.night_rng))
        actions = {agent: joint[multi._channels[agent]] for agent in multi.agents}
        _, rewards, terminations, _, _ = multi.step(actions)
        assert len(set(rewards.values())) == 1  # one shared reward
        total += rewards["unit_0"]
        done = all(terminations.values())
    assert total == pytest.approx(single_total, rel=1e-12)
