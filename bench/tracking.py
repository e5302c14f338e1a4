"""Tracking benchmark: leapsim's vectorised tracker against Stone Soup on identical detections.

Scenario (issue 4): N 2-D constant-velocity targets (start uniform in ±5 km, speed 10–40 m/s,
CWNA q = 0.05 m²/s³), 100 scans at 1 s, position noise σ = 10 m, Pd = 0.9, Poisson(5) clutter
points per scan uniform over 12 × 12 km. Both trackers: CV Kalman filter with the true q, gate
at Mahalanobis distance 3, GNN assignment, a new track from each unused detection with zero
velocity and σv = 30 m/s per axis, confirmation after 3 detections, deletion after 3 misses.

Stone Soup: KalmanPredictor/KalmanUpdater, DistanceHypothesiser(Mahalanobis, missed_distance=3),
GNNWith2DAssignment, MultiMeasurementInitiator(min_points=3, holding tracks deleted after 2
steps without update), UpdateTimeStepsDeleter(3). leapsim: M-of-N 3 of 4, max_misses 3.
Scored with the same OSPA (c = 100 m, p = 1) over every scan; ms/scan is tracker time only.

Run:  .venv/bin/python bench/tracking.py [--n 10 50 200 1000] [--scans 100]
      [--stonesoup-scans 100 100 100 10] [--no-stonesoup]
Stone Soup (``pip install stonesoup``) is a bench-only extra and is never imported by leapsim.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
from scipy.stats import chi2

from leapsim.sensing import Detections
from leapsim.tracking import TrackerParams, ospa_gospa_series, run_tracker

SIGMA, PD, CLUTTER, HALF_WIDTH, Q, SPEED_SIGMA = 10.0, 0.9, 5.0, 6000.0, 0.05, 30.0


def scenario(n: int, scans: int, seed: int = 2026):
    """Truth (times, positions) and per-scan detection arrays (times, positions, is_clutter)."""
    rng = np.random.default_rng(seed)
    pos = rng.uniform(-5000.0, 5000.0, (n, 2))
    speed, heading = rng.uniform(10.0, 40.0, n), rng.uniform(0.0, 2 * np.pi, n)
    vel = np.stack([speed * np.cos(heading), speed * np.sin(heading)], axis=1)
    truth_t, truth_p, det_t, det_p, det_c = [], [], [], [], []
    for k in range(scans):
        if k:
            # exact CWNA discretisation over 1 s: per axis [[1/3, 1/2], [1/2, 1]] q
            cov = Q * np.array([[1 / 3, 1 / 2], [1 / 2, 1.0]])
            w = rng.multivariate_normal(np.zeros(2), cov, size=(n, 2))  # (n, axis, [p, v])
            pos = pos + vel + w[..., 0]
            vel = vel + w[..., 1]
        truth_t.append(np.full(n, float(k)))
        truth_p.append(pos.copy())
        hit = rng.random(n) < PD
        z = pos[hit] + rng.normal(0.0, SIGMA, (int(hit.sum()), 2))
        clutter = rng.uniform(-HALF_WIDTH, HALF_WIDTH, (rng.poisson(CLUTTER), 2))
        zz = np.concatenate([z, clutter])
        det_t.append(np.full(len(zz), float(k)))
        det_p.append(zz)
        det_c.append(np.r_[np.zeros(len(z), bool), np.ones(len(clutter), bool)])
    return (
        np.concatenate(truth_t),
        np.concatenate(truth_p),
        np.concatenate(det_t),
        np.concatenate(det_p),
        np.concatenate(det_c),
    )


def run_leapsim(det_t: np.ndarray, det_p: np.ndarray):
    k = len(det_t)
    pos3 = np.zeros((k, 3))
    pos3[:, :2] = det_p
    cov = np.zeros((k, 3, 3))
    cov[:, 0, 0] = cov[:, 1, 1] = SIGMA**2
    cov[:, 2, 2] = 1.0
    dets = Detections(det_t, np.zeros(k, np.int64), pos3, cov, np.full(k, -1, np.int64))
    params = TrackerParams(
        dim=2,
        process_noise=(Q,),
        gate_probability=float(chi2.cdf(9.0, 2)),
        confirm_m=3,
        confirm_n=4,
        max_misses=3,
        initial_speed_sigma_mps=SPEED_SIGMA,
    )
    t0 = time.perf_counter()
    table = run_tracker(dets, params)
    return time.perf_counter() - t0, table.time, table.state[:, :2]


def run_stonesoup(det_t: np.ndarray, det_p: np.ndarray, det_c: np.ndarray):
    from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
    from stonesoup.deleter.time import UpdateTimeStepsDeleter
    from stonesoup.hypothesiser.distance import DistanceHypothesiser
    from stonesoup.initiator.simple import MultiMeasurementInitiator
    from stonesoup.measures import Mahalanobis
    from stonesoup.models.measurement.linear import LinearGaussian
    from stonesoup.models.transition.linear import (
        CombinedLinearGaussianTransitionModel,
        ConstantVelocity,
    )
    from stonesoup.predictor.kalman import KalmanPredictor
    from stonesoup.tracker.simple import MultiTargetTracker
    from stonesoup.types.array import StateVector
    from stonesoup.types.detection import Clutter, Detection
    from stonesoup.types.state import GaussianState
    from stonesoup.updater.kalman import KalmanUpdater

    transition = CombinedLinearGaussianTransitionModel([ConstantVelocity(Q), ConstantVelocity(Q)])
    measurement = LinearGaussian(ndim_state=4, mapping=(0, 2), noise_covar=np.eye(2) * SIGMA**2)
    predictor = KalmanPredictor(transition)
    updater = KalmanUpdater(measurement)
    hypothesiser = DistanceHypothesiser(
        predictor, updater, measure=Mahalanobis(), missed_distance=3
    )
    associator = GNNWith2DAssignment(hypothesiser)
    prior = GaussianState(
        StateVector([0, 0, 0, 0]), np.diag([SIGMA**2, SPEED_SIGMA**2, SIGMA**2, SPEED_SIGMA**2])
    )
    initiator = MultiMeasurementInitiator(
        prior_state=prior,
        measurement_model=measurement,
        deleter=UpdateTimeStepsDeleter(2),
        data_associator=associator,
        updater=updater,
        min_points=3,
    )
    epoch = dt.datetime(2026, 11, 23)
    times = np.unique(det_t)
    lo, hi = np.searchsorted(det_t, times, "left"), np.searchsorted(det_t, times, "right")
    scans = []
    for t, a, b in zip(times, lo, hi, strict=True):
        stamp = epoch + dt.timedelta(seconds=float(t))
        batch = set()
        for z, is_clutter in zip(det_p[a:b], det_c[a:b], strict=True):
            cls = Clutter if is_clutter else Detection
            batch.add(cls(StateVector(z), timestamp=stamp, measurement_model=measurement))
        scans.append((stamp, batch))
    tracker = MultiTargetTracker(
        initiator=initiator,
        deleter=UpdateTimeStepsDeleter(3),
        detector=iter(scans),
        data_associator=associator,
        updater=updater,
    )
    out_t, out_p = [], []
    elapsed = 0.0
    it = iter(tracker)
    for t in times:
        t0 = time.perf_counter()
        _, tracks = next(it)
        elapsed += time.perf_counter() - t0
        for track in tracks:
            out_t.append(float(t))
            out_p.append([float(track.state_vector[0, 0]), float(track.state_vector[2, 0])])
    return elapsed, np.asarray(out_t), np.asarray(out_p).reshape(-1, 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[10, 50, 200, 1000])
    ap.add_argument("--scans", type=int, default=100)
    ap.add_argument(
        "--stonesoup-scans",
        type=int,
        nargs="+",
        default=None,
        help="scans given to Stone Soup for each N (default: all)",
    )
    ap.add_argument("--no-stonesoup", action="store_true")
    args = ap.parse_args()
    ss_scans = args.stonesoup_scans or [args.scans] * len(args.n)
    print(
        "| N | scans | leapsim ms/scan | leapsim OSPA | Stone Soup scans | "
        "Stone Soup ms/scan | Stone Soup OSPA | leapsim OSPA on those scans | speed-up |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    run_leapsim(*scenario(5, 5)[2:4])  # warm-up: loads the compiled kernels from numba's cache
    for n, n_ss in zip(args.n, ss_scans, strict=True):
        truth_t, truth_p, det_t, det_p, det_c = scenario(n, args.scans)
        el, tt, tp = run_leapsim(det_t, det_p)
        ospa = ospa_gospa_series(truth_t, truth_p, tt, tp, 100.0, 1.0)["ospa"]
        row = f"| {n} | {args.scans} | {1000 * el / args.scans:.2f} | {ospa.mean():.2f} |"
        if args.no_stonesoup:
            print(row + " – | – | – | – | – |", flush=True)
            continue
        keep = det_t < n_ss
        el_ss, st, sp = run_stonesoup(det_t[keep], det_p[keep], det_c[keep])
        tk = truth_t < n_ss
        ospa_ss = ospa_gospa_series(truth_t[tk], truth_p[tk], st, sp, 100.0, 1.0)["ospa"]
        ms_ss = 1000 * el_ss / n_ss
        # leapsim on exactly the same prefix of scans, for a like-for-like OSPA and timing
        el_pre, pt, pp = run_leapsim(det_t[keep], det_p[keep])
        ospa_pre = ospa_gospa_series(truth_t[tk], truth_p[tk], pt, pp, 100.0, 1.0)["ospa"]
        speedup = ms_ss / (1000 * el_pre / n_ss)
        print(
            row + f" {n_ss} | {ms_ss:.0f} | {ospa_ss.mean():.2f} | {ospa_pre.mean():.2f} |"
            f" {speedup:.0f}x |",
            flush=True,
        )


if __name__ == "__main__":
    main()
