"""Sensor physics: Pd against closed forms and Albersheim, range law, horizon, noise, clutter."""

from __future__ import annotations

import numpy as np
import pytest

from leapsim.sensing import SensorArrays, detection_probability, sample_scan, scans_due
from leapsim.sensing.measurements import noisy_measurement, spherical_covariance, to_spherical
from leapsim.sensing.radar import (
    pd_steady,
    pd_swerling1,
    radar_horizon_m,
    snr_steady,
    snr_swerling1,
)


def albersheim_snr_db(pd: float, pfa: float, n: int = 1) -> float:
    """Albersheim (1981) required SNR (dB), steady target, N pulses: the literature reference."""
    a = np.log(0.62 / pfa)
    b = np.log(pd / (1.0 - pd))
    return -5 * np.log10(n) + (6.2 + 4.54 / np.sqrt(n + 0.44)) * np.log10(
        a + 0.12 * a * b + 1.7 * b
    )


def sensor(kind: str = "radar", **over) -> dict:
    base = dict(
        kind=kind,
        position=[0.0, 0.0, 0.0],
        detection_range_m=20_000.0,
        reference_rcs_m2=0.1,
        scan_period_s=2.0,
        range_sigma_m=20.0,
        azimuth_sigma_rad=0.005,
        elevation_sigma_rad=0.01,
        false_alarms_per_scan=0.0,
        antenna_height_m=10.0,
    )
    base.update(over)
    return base


@pytest.mark.parametrize("pd", [0.5, 0.7, 0.9])
@pytest.mark.parametrize("pfa", [1e-3, 1e-5, 1e-7])
def test_steady_target_snr_matches_albersheim(pd, pfa):
    ours = 10 * np.log10(snr_steady(pd, pfa))
    assert ours == pytest.approx(albersheim_snr_db(pd, pfa), abs=0.15)
    assert pd_steady(snr_steady(pd, pfa), pfa) == pytest.approx(pd, abs=1e-9)


def test_known_single_pulse_values():
    # classical figures: Pd 0.9 at Pfa 1e-6 needs ~13.2 dB steady and ~21.1 dB Swerling 1
    assert 10 * np.log10(snr_steady(0.9, 1e-6)) == pytest.approx(13.2, abs=0.1)
    assert 10 * np.log10(snr_swerling1(0.9, 1e-6)) == pytest.approx(21.14, abs=0.05)


@pytest.mark.parametrize("pfa", [1e-4, 1e-6, 1e-8])
def test_swerling1_average_matches_exact_closed_form(pfa):
    snr = 10 ** (np.linspace(-5, 40, 300) / 10)
    exact = pfa ** (1.0 / (1.0 + snr))  # Swerling case 1, one pulse, square-law detector
    assert np.max(np.abs(pd_swerling1(snr, pfa) - exact)) < 0.005


def test_pd_monotone_and_reference_point():
    sensors = SensorArrays.from_records([sensor("radar"), sensor("eo_ir"), sensor("acoustic")])
    ranges = np.linspace(100.0, 39_000.0, 400)
    targets = np.column_stack([ranges, np.zeros_like(ranges), np.full_like(ranges, 500.0)])
    pd = detection_probability(sensors, targets, np.full(ranges.size, 0.1))
    assert np.all(np.diff(pd, axis=1) <= 1e-12)
    at_ref = np.array([[20_000.0, 0.0, 10.0]])  # same height as the antenna: slant = ground
    assert detection_probability(sensors, at_ref, np.array([0.1]))[:, 0] == pytest.approx(0.9, 1e-6)


def test_radar_range_equation_fourth_power_and_passive_square_law():
    sensors = SensorArrays.from_records([sensor("radar"), sensor("acoustic")])
    near = np.array([[5_000.0, 0.0, 10.0]])
    far = np.array([[10_000.0, 0.0, 10.0]])
    pd_near = detection_probability(sensors, near, np.array([0.1]))[:, 0]
    pd_far_big = detection_probability(sensors, far, np.array([1.6]))[:, 0]  # 16 x RCS at 2 R
    assert pd_far_big[0] == pytest.approx(pd_near[0], abs=1e-9)
    assert pd_far_big[1] < pd_near[1]  # acoustic ignores RCS
    pfa = sensors.pfa[1]
    expected = pd_steady(snr_steady(0.9, pfa) * (20_000 / 10_000) ** 2, pfa)
    assert pd_far_big[1] == pytest.approx(expected, abs=1e-12)


def test_radar_horizon_values():
    # the 4/3-earth rule of thumb: d_km = 4.12 (sqrt(h_a m) + sqrt(h_t m))
    assert radar_horizon_m(10.0, 100.0) / 1e3 == pytest.approx(4.12 * (10**0.5 + 10), rel=2e-3)
    assert radar_horizon_m(10.0, 0.0) == pytest.approx(np.sqrt(2 * 4 / 3 * 6_371_000 * 10))
    assert radar_horizon_m(0.0, 0.0) == 0.0


def test_horizon_masks_low_targets_but_not_acoustic():
    long = dict(detection_range_m=200_000.0)
    sensors = SensorArrays.from_records([sensor("radar", **long), sensor("acoustic", **long)])
    horizon = radar_horizon_m(10.0, 50.0)
    targets = np.array([[horizon + 500.0, 0.0, 50.0], [horizon + 500.0, 0.0, 500.0]])
    pd = detection_probability(sensors, targets, np.array([1.0, 1.0]))
    assert pd[0, 0] == 0.0 and pd[0, 1] > 0.5
    assert pd[1, 0] > 0.0


def test_measurement_noise_matches_reported_covariance():
    rng = np.random.default_rng(7)
    delta = np.tile([[6_000.0, 8_000.0, 1_500.0]], (40_000, 1))
    k = delta.shape[0]
    sr, sa, se = np.full(k, 30.0), np.full(k, 0.004), np.full(k, 0.006)
    z, cov = noisy_measurement(delta, sr, sa, se, rng)
    r, az, el = to_spherical(delta[:1])
    truth_cov = spherical_covariance(r, az, el, sr[:1], sa[:1], se[:1])[0]
    sample = np.cov((z - delta).T)
    assert np.allclose(sample, truth_cov, rtol=0.05, atol=0.05 * np.abs(truth_cov).max())
    assert np.all(np.linalg.eigvalsh(cov) > 0)
    assert np.allclose(np.mean(z - delta, axis=0), 0.0, atol=2.0)


def test_false_alarms_poisson_and_inside_coverage():
    sensors = SensorArrays.from_records(
        [sensor("radar", false_alarms_per_scan=3.0, position=[1_000.0, -2_000.0, 0.0])]
    )
    rng = np.random.default_rng(11)
    counts, ground = [], []
    for t in range(2_000):
        d = sample_scan(sensors, float(t), np.zeros((0, 3)), np.zeros(0), rng)
        assert np.all(d.target == -1)
        counts.append(len(d))
        ground.append(np.hypot(d.position[:, 0] - 1_000.0, d.position[:, 1] + 2_000.0))
    assert np.mean(counts) == pytest.approx(3.0, abs=0.15)
    assert np.var(counts) == pytest.approx(3.0, rel=0.15)
    assert np.concatenate(ground).max() <= sensors.max_range_m[0] + 1e-6


def test_sample_scan_detection_rate_and_determinism():
    sensors = SensorArrays.from_records(
        [sensor("radar", false_alarms_per_scan=2.0), sensor("eo_ir")]
    )
    targets = np.array([[18_000.0, 3_000.0, 300.0], [5_000.0, -1_000.0, 100.0]])
    rcs = np.array([0.1, 0.1])
    pd = detection_probability(sensors, targets, rcs)
    rng = np.random.default_rng(3)
    hits = np.zeros_like(pd)
    for _ in range(3_000):
        d = sample_scan(sensors, 0.0, targets, rcs, rng)
        real = d.target >= 0
        np.add.at(hits, (d.sensor[real], d.target[real]), 1)
    assert np.allclose(hits / 3_000, pd, atol=0.03)
    a = sample_scan(sensors, 1.0, targets, rcs, np.random.default_rng(5))
    b = sample_scan(sensors, 1.0, targets, rcs, np.random.default_rng(5))
    for name in ("time", "sensor", "position", "covariance", "target"):
        assert np.array_equal(getattr(a, name), getattr(b, name))


def test_only_active_sensors_report_and_scans_due():
    sensors = SensorArrays.from_records(
        [sensor("radar", scan_period_s=2.0), sensor("radar", scan_period_s=5.0)]
    )
    assert scans_due(sensors, 0.5, 2.0).tolist() == [True, False]
    assert scans_due(sensors, 4.5, 5.0).tolist() == [False, True]
    targets = np.array([[1_000.0, 0.0, 100.0]])
    d = sample_scan(
        sensors,
        5.0,
        targets,
        np.array([1.0]),
        np.random.default_rng(0),
        active=np.array([False, True]),
    )
    assert set(d.sensor.tolist()) == {1}


def test_bad_sensor_records_rejected():
    with pytest.raises(ValueError, match="unknown sensor kind"):
        SensorArrays.from_records([sensor("sonar")])
    with pytest.raises(ValueError, match="positive"):
        SensorArrays.from_records([sensor("radar", detection_range_m=0.0)])


def test_network_fusion_merges_gating_plots_of_different_nodes():
    """Plots of two nodes of one network that gate together become their information-weighted
    mean with the most informative plot's origin; two plots of one node stay apart, as do a
    far plot and a sensor outside any network; output sorted by time, then sensor id."""
    from leapsim.sensing.measurements import Detections
    from leapsim.sensing.networks import fuse_networks

    eye = np.eye(3)
    rows = [  # time, sensor, position, variance, origin
        (0.0, 1, [0.0, 0.0, 0.0], 100.0, 7),
        (0.0, 2, [10.0, 0.0, 0.0], 25.0, 8),  # gates with the plot above: merged
        (0.0, 1, [5000.0, 0.0, 0.0], 100.0, 9),  # far: alone
        (0.0, 0, [0.0, 0.0, 0.0], 100.0, -1),  # sensor 0 reports alone
        (1.0, 1, [0.0, 0.0, 0.0], 100.0, 3),  # one node, two plots that gate with a third
        (1.0, 1, [5.0, 0.0, 0.0], 100.0, 4),
        (1.0, 2, [2.0, 0.0, 0.0], 100.0, 5),
    ]
    dets = Detections(
        time=np.array([r[0] for r in rows]),
        sensor=np.array([r[1] for r in rows], np.int64),
        position=np.array([r[2] for r in rows], float),
        covariance=np.array([r[3] * eye for r in rows]),
        target=np.array([r[4] for r in rows], np.int64),
    )
    network = np.array([-1, 1, 1])  # sensors 1 and 2 are nodes of network 1
    out = fuse_networks(dets, network, gate=11.34)  # χ²₃ 99 %
    assert np.all(np.diff(out.time) >= 0)
    assert np.all((np.diff(out.time) > 0) | (np.diff(out.sensor) >= 0))
    assert set(out.sensor.tolist()) == {0, 1}
    first = out.select(out.time == 0.0)
    assert len(first) == 3  # sensor 0's plot, the merged plot, the far plot
    merged = first.select((first.sensor == 1) & (first.position[:, 0] < 100.0))
    info = 1 / 100.0 + 1 / 25.0
    np.testing.assert_allclose(merged.position[0], [(10.0 / 25.0) / info, 0.0, 0.0])
    np.testing.assert_allclose(merged.covariance[0], eye / info)
    assert merged.target[0] == 8  # the plot of smaller det R
    # at t = 1 the group holds two plots of node 1: all three stay apart
    second = out.select(out.time == 1.0)
    assert sorted(second.target.tolist()) == [3, 4, 5]
    # nothing to merge: every plot passes, under its network's id
    alone = fuse_networks(dets.select(np.array([2, 3])), network, gate=11.34)
    assert sorted(alone.sensor.tolist()) == [0, 1] and len(alone) == 2
    # everything merged: one plot
    one = fuse_networks(dets.select(np.array([0, 1])), network, gate=11.34)
    assert len(one) == 1 and one.target[0] == 8
