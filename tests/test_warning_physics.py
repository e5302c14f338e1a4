"""Early warning: coverage, horizon, confirmation and warning time against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from leapsim.sensing import Detections
from leapsim.sensing.radar import EARTH_RADIUS_M, FOUR_THIRDS
from leapsim.tracking import TrackerParams, TrackState, tracker_step
from leapsim.warning.confirmation import ConfirmationChain
from leapsim.warning.cover import PlanningSet, coverage_probability
from leapsim.warning.coverage import network_pd
from leapsim.warning.geography import Sites
from leapsim.warning.incursions import site_arrivals
from leapsim.warning.simulate import simulate_group
from warning_helpers import one_option_model, radar_record, single_sensor, straight_flight

PFA = 1e-6


def horizon_m(antenna_m: float, target_m: float) -> float:
    ka2 = 2.0 * FOUR_THIRDS * EARTH_RADIUS_M
    return float(np.sqrt(ka2 * antenna_m) + np.sqrt(ka2 * target_m))


def test_coverage_of_one_radar_is_the_swerling1_closed_form():
    """One radar, targets within the horizon: Pd = Pfa^(1/(1+SNR)) (Swerling 1, one pulse),
    SNR = SNR90 (σ/σref)(Rref/R)^4, SNR90 from 0.9 = Pfa^(1/(1+SNR90)); R the slant range."""
    r_ref, antenna, altitude, rcs = 40_000.0, 8.0, 500.0, 0.1
    model = one_option_model(radar_record(detection_range_m=r_ref, antenna_height_m=antenna))
    placement = single_sensor(model)
    ground = np.array([1e3, 5e3, 10e3, 15e3, 20e3, 25e3, 30e3, 40e3, 60e3, 79e3])
    assert ground.max() < horizon_m(antenna, altitude)
    pts = np.stack([ground, np.zeros_like(ground), np.full_like(ground, altitude)], axis=-1)
    pd = network_pd(placement, pts, rcs)
    slant = np.hypot(ground, altitude - antenna)
    snr90 = np.log(PFA) / np.log(0.9) - 1.0
    expected = PFA ** (1.0 / (1.0 + snr90 * rcs * (r_ref / slant) ** 4))
    np.testing.assert_allclose(pd, expected, atol=0.02)
    assert pd.max() > 0.99 and pd.min() < 0.1 and ((pd > 0.2) & (pd < 0.8)).sum() >= 2
    ground_ref = np.sqrt(r_ref**2 - (altitude - antenna) ** 2)  # slant range = reference range
    at_reference = network_pd(placement, np.array([[ground_ref, 0.0, altitude]]), 1.0)
    assert at_reference[0] == pytest.approx(0.9, abs=0.01)


def test_a_sensor_beyond_the_horizon_sees_nothing_at_low_altitude():
    model = one_option_model(radar_record(detection_range_m=1e6, antenna_height_m=8.0))
    placement = single_sensor(model)
    edge = horizon_m(8.0, 50.0)  # 40.9 km
    pd = network_pd(placement, np.array([[edge - 1000, 0, 50.0], [edge + 1000, 0, 50.0]]), 0.1)
    assert pd[0] > 0.999 and pd[1] == 0.0
    rng = np.random.default_rng(3)
    low = straight_flight((-100e3, 60e3), (100e3, 60e3), 50.0, 50.0)  # 60 km abeam, 50 m up
    out = simulate_group(model, placement, low, rng)
    assert np.isnan(out.first_detection_s[0]) and np.isnan(out.confirmed_s[0])
    high = straight_flight((-100e3, 60e3), (100e3, 60e3), 50.0, 3000.0)
    assert np.isfinite(simulate_group(model, placement, high, rng).confirmed_s[0])


def _crossing_setup():
    """A drone at 48 m/s, 100 m up, flies straight at a radar whose coverage ends sharply at the
    radio horizon R (Pd ≈ 1 inside: reference range 1,000 km), then on to a site 30 km beyond."""
    antenna, altitude, speed = 10.0, 100.0, 48.0
    radius = horizon_m(antenna, altitude)
    model = one_option_model(
        radar_record(
            detection_range_m=1e6,
            antenna_height_m=antenna,
            range_sigma_m=1.0,
            azimuth_sigma_rad=1e-5,
            elevation_sigma_rad=1e-5,
        )
    )
    sites = Sites(("Site",), ("airport",), np.array([[30e3, 0.0]]), np.array([1000.0]))
    flight = straight_flight((-radius - 20e3, 0.0), (30e3, 0.0), speed, altitude)
    entry = 20e3 / speed  # when the drone crosses the horizon circle
    confirm = np.ceil(entry) + 2.0  # third scan (1 s apart) inside: 3 hits confirm
    arrival = (radius + 20e3 + 30e3 - 1000.0) / speed
    return model, sites, flight, confirm, arrival


def test_warning_time_of_a_straight_crossing_through_a_known_coverage_radius():
    model, sites, flight, confirm, arrival = _crossing_setup()
    placement = single_sensor(model)
    _, when = site_arrivals(flight, sites)
    assert when[0] == pytest.approx(arrival, abs=1e-6)
    out = simulate_group(model, placement, flight, np.random.default_rng(11))
    assert out.confirmed_s[0] == pytest.approx(confirm)
    assert when[0] - out.confirmed_s[0] == pytest.approx(arrival - confirm)  # the warning time


@pytest.mark.parametrize(("deadline_shift", "covered"), [(0.5, True), (-0.5, False)])
def test_planning_coverage_confirms_on_the_third_scan_inside(deadline_shift, covered):
    model, _, flight, confirm, arrival = _crossing_setup()
    pset = PlanningSet(flight, np.zeros(1, np.int64), np.array([arrival]),
                       np.array([confirm + deadline_shift]))  # fmt: skip
    prob = coverage_probability(model, single_sensor(model).items, pset).toarray()[0, 0]
    assert (prob >= 0.99) == covered and (prob <= 0.01) != covered


def _documented_rule(hits: list[bool], m: int, n: int) -> int | None:
    """Index of the scan at which the M-of-N rule of docs/tracking.md confirms a track on one
    target (every scan an opportunity; a tentative track dies after n opportunities or when it
    can no longer reach m hits; a hit with no track starts one). Written independently."""
    track = None  # (opportunities, hits)
    for k, hit in enumerate(hits):
        if track is None:
            if hit:
                track = (1, 1)
                if m == 1:
                    return k
            continue
        o, h = track[0] + 1, track[1] + hit
        if h >= m:
            return k
        track = None if (o >= n or h + n - o < m) else (o, h)
    return None


@pytest.mark.parametrize(("m", "n"), [(3, 4), (2, 3), (1, 1), (4, 6)])
def test_confirmation_chain_enumerates_the_m_of_n_rule(m, n):
    """The chain's P(confirmed by scan k) equals the exact sum over all hit/miss sequences."""
    k = 8
    rng = np.random.default_rng(m * 10 + n)
    pd = rng.uniform(0.0, 1.0, k)
    chain = ConfirmationChain(m, n).confirmed_by(pd[None, :])[0]
    exact = np.zeros(k)
    for code in range(2**k):
        hits = [bool(code >> j & 1) for j in range(k)]
        p = np.prod(np.where(hits, pd, 1.0 - pd))
        first = _documented_rule(hits, m, n)
        if first is not None:
            exact[first:] += p
    np.testing.assert_allclose(chain, exact, atol=1e-12)


@pytest.mark.slow
def test_confirmation_chain_matches_the_tracker():
    """Monte Carlo of the real tracker on one target seen with Pd 0.55 by one sensor (a far
    false alarm every scan makes each scan an opportunity): the share confirmed by each scan
    agrees with the chain within 4 binomial standard errors."""
    pd, scans, trials = 0.55, 8, 400
    params = TrackerParams(confirm_m=3, confirm_n=4)
    rng = np.random.default_rng(5)
    confirmed_at = np.full(trials, scans)
    cov = np.eye(3) * 25.0
    for trial in range(trials):
        state = TrackState.empty(params)
        for k in range(scans):
            z = [[1e5 + 1e4 * rng.random(), 0.0, 0.0]]  # the far false alarm
            if rng.random() < pd:
                z.append(rng.normal(0.0, 5.0, 3))
            z = np.asarray(z)
            dets = Detections(
                np.full(len(z), float(k)),
                np.zeros(len(z), np.int64),
                z,
                np.repeat(cov[None], len(z), axis=0),
                np.arange(len(z)) - 1,
            )
            state, _ = tracker_step(state, dets, params)
            near = np.linalg.norm(state.estimate()[0][:, :3], axis=1) < 1e3
            if (state.confirmed & near).any():
                confirmed_at[trial] = k
                break
    chain = ConfirmationChain(3, 4).confirmed_by(np.full((1, scans), pd))[0]
    for k in range(scans):
        share = (confirmed_at <= k).mean()
        se = np.sqrt(max(chain[k] * (1 - chain[k]), 1e-4) / trials)
        assert abs(share - chain[k]) <= 4 * se, (k, share, chain[k])
