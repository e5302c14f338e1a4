"""One campaign run: nights in sequence against the one-night engine, stocks carried over.

Each night, in this order:

1. deliveries from production arrive in the nations' depots; sites recover
   ``site_repair_per_night`` of their lost value;
2. living fire units are topped up to their scenario load from the depots
   (:func:`leapsim.campaign.stocks.refill`, national or shared pooling);
3. the night's raid is the threat model's draw for that night, each family's count spread over
   the scenario's raids of that family in proportion to their configured counts (families the
   scenario has no raid for are counted as *unmodelled*), and the one-night engine runs it with
   the units' rounds and the sites' remaining value;
4. rounds fired are gone; each damaging leaker is aimed at a fire unit near its target site with
   probability ``losses.target_fraction`` and destroys it with ``losses.kill_probability``; a
   destroyed unit's rounds are lost with it.

Random streams (the same whatever executor runs which run): the raids of run ``r`` come from
``run_rng(seed, r)``; night ``n``'s engine and loss draws from ``SeedSequence(seed,
spawn_key=(r, n)).spawn(2)``, so they do not depend on what happened on earlier nights and two
configurations on the same seed see the same raids and the same streams (common random numbers).
Loss draws are keyed per threat.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from leapsim.campaign.config import CampaignConfig
from leapsim.campaign.plan import CampaignPlan
from leapsim.campaign.stocks import apportion, layer_dry, refill
from leapsim.engine import TOTAL_METRICS, NightParams, night_metrics, simulate_night
from leapsim.engine.codes import LEAKED
from leapsim.engine.night import NightOutcome
from leapsim.seeds import run_rng
from leapsim.threats import FAMILIES, ThreatModel, sample_raids

LEAKAGE = "leakage_threshold"


@dataclass(frozen=True)
class CampaignJob:
    """What every worker needs to simulate any run of a campaign study (the seed is the
    study's)."""

    params: NightParams
    plan: CampaignPlan
    config: CampaignConfig
    model: ThreatModel
    threat_scale: float


@dataclass(frozen=True)
class CampaignRun:
    """One run: per-night columns (N,) and the night (1-based) each horizon event first happens,
    ``nights + 1`` if it never does."""

    columns: dict[str, np.ndarray]
    horizon: dict[str, int]


def night_rngs(seed: int, run: int, night: int) -> tuple[np.random.Generator, np.random.Generator]:
    """The engine and loss generators of night ``night`` (0-based) of run ``run``."""
    engine, losses = np.random.SeedSequence(seed, spawn_key=(run, night)).spawn(2)
    return np.random.Generator(np.random.PCG64(engine)), np.random.Generator(
        np.random.PCG64(losses)
    )


def scenario_raid_counts(
    plan: CampaignPlan, configured: np.ndarray, draws: dict[str, np.ndarray]
) -> np.ndarray:
    """(N, R) threats per scenario raid: each family's nightly draw apportioned over the
    scenario's raids of that family in proportion to their configured ``counts``."""
    counts = np.zeros((plan.nights, configured.size), np.int64)
    for family in plan.modelled:
        raids = np.array([r for r, f in enumerate(plan.raid_family) if f == family])
        weights = configured[raids]
        for n, total in enumerate(draws[family]):
            counts[n, raids] = apportion(total, weights)
    return counts


def unit_losses(
    outcome: NightOutcome,
    plan: CampaignPlan,
    alive: np.ndarray,
    config: CampaignConfig,
    rng: np.random.Generator,
) -> np.ndarray:
    """(U,) bool: fire units destroyed by tonight's damaging leakers (model in the module doc)."""
    raid, n = outcome.raid, outcome.raid.n_real  # false tracks (tracked sensing) come last
    u = rng.random((3, n))  # aim, choice, kill: one triple per threat
    leak = (outcome.fate[:n] == LEAKED) & plan.damaging[raid.type[:n]]
    lost = np.zeros(alive.size, bool)
    for i in np.flatnonzero(leak & (u[0] < config.losses.target_fraction)):
        candidates = np.flatnonzero(plan.near_site[raid.target[i]] & alive)
        if candidates.size and u[2, i] < config.losses.kill_probability:
            lost[candidates[int(u[1, i] * candidates.size)]] = True
    return lost


def stock_row(
    plan: CampaignPlan,
    night: int,
    depot: np.ndarray,
    rounds: np.ndarray,
    alive: np.ndarray,
    fired: np.ndarray,
    lost_rounds: np.ndarray,
) -> dict[str, int]:
    """Per munition: rounds held after the night (depots plus living units), delivered, fired,
    lost with destroyed units; and the rounds held per nation."""
    stocked = plan.unit_munition >= 0
    m_idx, j_idx = plan.unit_munition[stocked], plan.unit_nation[stocked]
    n_m = depot.shape[0]
    held = depot.copy()
    np.add.at(held, (m_idx, j_idx), rounds[stocked] * alive[stocked])
    fired_m = np.bincount(m_idx, weights=fired[stocked], minlength=n_m)
    lost_m = np.bincount(m_idx, weights=lost_rounds[stocked], minlength=n_m)
    row: dict[str, int] = {}
    for m, name in enumerate(plan.munitions):
        row[f"stock.{name}"] = int(held[m].sum())
        row[f"delivered.{name}"] = int(plan.deliveries[night, m].sum())
        row[f"fired.{name}"] = int(fired_m[m])
        row[f"lost.{name}"] = int(lost_m[m])
        for j, nation in enumerate(plan.nations):
            if plan.holds[m, j]:
                row[f"stock_by_nation.{name}.{nation}"] = int(held[m, j])
    return row


def simulate_campaign_run(job: CampaignJob, seed: int, run: int) -> CampaignRun:
    """Simulate run ``run`` of the campaign ``job`` in a study seeded with ``seed`` (all
    nights)."""
    params, plan, config = job.params, job.plan, job.config
    nights = plan.nights
    draws = sample_raids(
        job.model, nights, run_rng(seed, run), config.start_month_offset, job.threat_scale
    )
    counts = scenario_raid_counts(plan, params.raids.count, draws)
    stocked = plan.unit_munition >= 0
    n_m = len(plan.munitions)
    rounds = plan.unit_load.copy()
    alive = np.ones(rounds.size, bool)
    depot = plan.depot0.copy()
    full_value = params.site_value_eur.astype(float)
    site_value = full_value.copy()
    rows: dict[str, list] = {}
    dry_night = np.full(n_m, nights + 1)
    leak_night = nights + 1

    def record(name: str, value) -> None:
        rows.setdefault(name, []).append(value)

    for n in range(nights):
        depot += plan.deliveries[n]
        site_value += config.site_repair_per_night * (full_value - site_value)
        need = np.where(alive & stocked, plan.unit_load - rounds, 0)
        rounds = rounds + refill(need, plan.unit_munition, plan.unit_nation, depot, plan.lend)
        onsite = np.where(stocked, rounds, plan.unit_load) * alive
        ready = np.minimum(onsite, params.unit_magazine)
        night = replace(
            params.with_raid_counts(counts[n]).with_stocks(ready, onsite - ready),
            site_value_eur=site_value,
        )
        engine_rng, loss_rng = night_rngs(seed, run, n)
        outcome = simulate_night(night, engine_rng)
        metrics = night_metrics(outcome)
        fired = np.where(stocked, onsite - outcome.rounds_left, 0)
        rounds = np.where(stocked, outcome.rounds_left, rounds)
        lost = unit_losses(outcome, plan, alive, config, loss_rng)
        lost_rounds = np.where(lost & stocked, rounds, 0)
        rounds[lost] = 0
        alive &= ~lost
        site_value = outcome.site_value_left_eur.astype(float)

        record("raid_size", int(sum(int(draws[f][n]) for f in FAMILIES)))
        for family in plan.modelled:
            record(f"launched.{family}", int(draws[family][n]))
        for family in plan.unmodelled:
            record(f"unmodelled.{family}", int(draws[family][n]))
        for name in TOTAL_METRICS:
            record(name, metrics[name])
        record("site_value_left_eur", float(site_value.sum()))
        record("units_alive", int(alive.sum()))
        record("units_lost", int(lost.sum()))
        record("production_spend_eur", float(plan.production_cost_eur[n].sum()))
        for name, value in stock_row(plan, n, depot, rounds, alive, fired, lost_rounds).items():
            record(name, value)

        dry = layer_dry(
            rounds,
            alive,
            plan.unit_munition,
            plan.unit_nation,
            depot,
            plan.lend,
            plan.rounds_per_engagement,
        )
        dry_night = np.where(dry & (dry_night > nights), n + 1, dry_night)
        if leak_night > nights and metrics["leak_rate"] > config.horizon.leak_rate:
            leak_night = n + 1

    columns = {name: np.asarray(values) for name, values in rows.items()}
    defender = np.cumsum(columns["defender_spend_eur"])
    attacker = np.cumsum(columns["attacker_spend_eur"])
    with np.errstate(invalid="ignore", divide="ignore"):
        columns["cumulative_cost_exchange_ratio"] = np.where(
            attacker > 0, defender / attacker, np.nan
        )
    horizon = {name: int(dry_night[m]) for m, name in enumerate(plan.munitions)}
    horizon[LEAKAGE] = int(leak_night)
    return CampaignRun(columns, horizon)
