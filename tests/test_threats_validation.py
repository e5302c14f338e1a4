"""Validation of the threat model against the real reports (skipped without ../shared/data).

Model fitted on the nights 2025-01-01 .. 2026-06-30 (the data end on 2026-06-06); the model then
replays the same nights (same months, so the same trend) 20 times with a fixed seed.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from leapsim.threats import (
    NIGHTS_PER_MONTH,
    ThreatModel,
    fit_threat_model,
    group_nights,
    read_reports,
)
from leapsim.threats.nights import NightTable
from leapsim.threats.sample import replay_window

SINCE, UNTIL = np.datetime64("2025-01-01"), np.datetime64("2026-06-30")
SEED, RUNS = 20261123, 20


@functools.cache
def _fit(path: Path) -> tuple[ThreatModel, NightTable, dict[str, np.ndarray]]:
    rows = read_reports(path)
    model = fit_threat_model(rows, SINCE, UNTIL)
    table = group_nights(rows, SINCE, UNTIL)
    replay = replay_window(model, np.random.default_rng(SEED), RUNS)
    return model, table, replay


@pytest.fixture
def fitted(shared_data: Path) -> tuple[ThreatModel, NightTable, dict[str, np.ndarray]]:
    return _fit(shared_data / "ukraine" / "missile_attacks_daily.csv")


def _attack_sizes(counts: np.ndarray) -> np.ndarray:
    counts = counts.ravel()
    return counts[counts > 0]


def test_drone_raid_sizes_pass_ks(fitted):
    """Headline: total Shahed-type drones (Shaheds + decoys, as reported) per attack night."""
    _, table, replay = fitted
    observed = _attack_sizes(table.counts["shahed_type"])
    sampled = _attack_sizes(replay["drone"] + replay["decoy"])
    assert observed.size > 500
    result = stats.ks_2samp(sampled, observed)
    assert result.pvalue > 0.05, result


@pytest.mark.parametrize("shift", [-0.15, 0.15])
def test_ks_rejects_a_mis_scaled_model(fitted, shift: float):
    """Control: the same test rejects a model whose raids are 15 % too small or too large."""
    model, table, _ = fitted
    st = model.shahed_type
    routine = st.routine.model_copy(update={"log_mean": st.routine.log_mean + shift})
    massed = st.massed.model_copy(update={"log_mean": st.massed.log_mean + shift})
    wrong = model.model_copy(
        update={"shahed_type": st.model_copy(update={"routine": routine, "massed": massed})}
    )
    replay = replay_window(wrong, np.random.default_rng(SEED), RUNS)
    sampled = _attack_sizes(replay["drone"] + replay["decoy"])
    observed = _attack_sizes(table.counts["shahed_type"])
    assert stats.ks_2samp(sampled, observed).pvalue < 0.01


@pytest.mark.parametrize(
    ("family", "draws"),
    [
        ("shahed_type", ("drone", "decoy")),
        ("cruise_missile", ("cruise_missile",)),
        ("ballistic_missile", ("ballistic_missile",)),
    ],
)
def test_monthly_totals_within_20_percent(fitted, family: str, draws: tuple[str, ...]):
    """Families with meaningful volume (>= 30 a month); 'other' has about 5 and is left out."""
    _, table, replay = fitted
    observed = table.counts[family].mean() * NIGHTS_PER_MONTH
    assert observed >= 30
    sampled = sum(replay[d] for d in draws).mean() * NIGHTS_PER_MONTH
    assert sampled == pytest.approx(observed, rel=0.2)


def test_decoy_share_matches_is_shahed_nights(fitted):
    model, table, replay = fitted
    known = table.decoys_known
    observed = table.decoys[known].sum() / table.counts["shahed_type"][known].sum()
    sampled = replay["decoy"].sum() / (replay["drone"] + replay["decoy"]).sum()
    assert model.decoy.basis == "window" and model.decoy.basis_nights > 200
    assert sampled == pytest.approx(observed, rel=0.05)


def test_missiles_accompany_large_drone_raids(fitted):
    """P(missiles | drone raid in the top 10 %) and on the rest match the reports."""
    _, table, replay = fitted
    observed_drones = table.counts["shahed_type"]
    sampled_drones = (replay["drone"] + replay["decoy"]).ravel()
    cut = np.quantile(observed_drones, 0.9)
    for family in ("cruise_missile", "ballistic_missile"):
        obs, sim = table.counts[family], replay[family].ravel()
        for big in (True, False):
            o = observed_drones >= cut if big else observed_drones < cut
            s = sampled_drones >= cut if big else sampled_drones < cut
            assert (sim[s] > 0).mean() == pytest.approx((obs[o] > 0).mean(), abs=0.1), (
                family,
                big,
            )
