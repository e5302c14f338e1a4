"""Tracked sensing in the engine: fire on confirmed tracks only, false tracks draw fire, track
error beyond the acquisition basket lowers Pk, invariants over real threats, determinism.

The scenarios are :func:`scenario_factory.one_site_scenario` (test drones 30 km east of a site
defended by one ``test_gun`` with Pk 0.5 at any range) seen by one test radar at the site.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from leapsim.engine import night_metrics, simulate_night
from leapsim.engine.codes import FATES, OUTCOMES
from leapsim.engine.epoch_kernel import held_error
from leapsim.engine.params import DEFAULT_ACQUISITION_BASKET_M
from leapsim.engine.raid import draw_raid
from leapsim.engine.replay import EVENT_KINDS, event_log, replay
from leapsim.engine.tracked import _track, scan_night, track_owners, tracker_params
from leapsim.errors import InputError
from leapsim.scenario import load_scenario
from leapsim.seeds import run_rng
from scenario_factory import ORIGIN, compile_dict, one_site_scenario, write_scenario

KILL = OUTCOMES.index("kill")
NOT_LAUNCHED, KILLED, LEAKED, AIRBORNE, FALSE_TRACK = (
    FATES.index(f) for f in ("not_launched", "killed", "leaked", "airborne", "false_track")
)
GOOD = (5.0, 0.001, 0.001)  # range (m), azimuth and elevation (rad) σ of a clean radar
NOISY = (500.0, 0.05, 0.05)


def radar_scenario(
    *,
    count: int = 10,
    false_alarms: float = 0.0,
    noise: tuple[float, float, float] = GOOD,
    detection_range_m: float = 40_000.0,
    basket_m: float | None = None,
    mode: str = "tracked",
    step_s: float = 5.0,
) -> dict:
    """``count`` drones launched over 200 s from 30 km east; one radar scanning every step."""
    launch = {"bearing_deg": 90, "distance_m": 30_000, "spread_m": 2000}
    data = one_site_scenario(
        count=count, time_step_s=step_s, raid={"spread_s": 200, "launch": launch}
    )
    sigma_r, sigma_az, sigma_el = noise
    data["catalogue"]["sensor_types"] = {
        "test_radar": {
            "kind": "radar",
            "detection_range_m": detection_range_m,
            "scan_period_s": step_s,
            "range_sigma_m": sigma_r,
            "azimuth_sigma_rad": sigma_az,
            "elevation_sigma_rad": sigma_el,
            "false_alarms_per_scan": false_alarms,
            "unit_cost_eur": 1,
            "source": "test type",
        }
    }
    data["sensors"] = [{"type": "test_radar", **ORIGIN, "nation": "PL"}]
    data["sensing"] = {"mode": mode}
    if basket_m is not None:
        data["catalogue"]["effector_types"]["test_gun"]["acquisition_basket_m"] = basket_m
    return data


CLUTTER = {"false_alarms": 30.0, "noise": (300.0, 0.03, 0.03), "detection_range_m": 15_000.0}


def check_tracked_invariants(outcome) -> None:
    """Conservation over real threats only; false tracks are targets that never die or leak."""
    params, raid, eng, picture = outcome.params, outcome.raid, outcome.engagements, outcome.tracks
    m = night_metrics(outcome)
    n = raid.n_real
    fate = outcome.fate
    assert raid.n_false == picture.n_false == m["false_tracks"]
    assert np.all(fate[n:] == FALSE_TRACK) and not np.any(fate[:n] == FALSE_TRACK)
    assert m["launched"] == m["killed"] + m["leaked"] + m["airborne"]
    assert m["launched"] == np.count_nonzero(raid.paths.launch_s[:n] <= params.duration_s)
    assert m["shots"] == eng["unit"].size
    on_false = eng["threat"] >= n
    assert m["shots_at_false_tracks"] == np.count_nonzero(on_false)
    assert not np.any(eng["outcome"][on_false] == KILL), "a false track was killed"
    assert m["killed"] == np.count_nonzero(eng["outcome"] == KILL)
    gone = raid.paths.arrival_s[n:] <= params.duration_s
    np.testing.assert_array_equal(outcome.end_s[n:][gone], raid.paths.arrival_s[n:][gone])
    cost = params.threat_types.unit_cost_eur[raid.type[:n]][fate[:n] != NOT_LAUNCHED]
    assert m["attacker_spend_eur"] == pytest.approx(cost.sum())
    assert m["defender_spend_eur"] == pytest.approx(eng["cost"].sum())
    # only real leakers destroy value
    left = params.site_value_eur.copy()
    for k in np.flatnonzero(fate == LEAKED):
        left[raid.target[k]] *= 1.0 - params.threat_types.damage_fraction[raid.type[k]]
    np.testing.assert_allclose(outcome.site_value_left_eur, left, rtol=1e-12)
    # every engagement starts on a target a confirmed track holds, with Pk scaled by its error
    basket = params.effector_types.acquisition_basket_m[params.unit_type[eng["unit"]]]
    for row, (k, t) in enumerate(zip(eng["threat"], eng["t_start"], strict=True)):
        error = held_error(picture.held_ptr, picture.held_s, picture.error_m,
                           0.5 * picture.step_s, int(k), float(t))  # fmt: skip
        assert error >= 0.0, f"engagement {row} on target {k} without a track at {t}"
        assert t >= outcome.detect_s[k] == picture.first_held_s[k]
        expected = 0.5 * math.exp(-0.5 * (error / basket[row]) ** 2)
        assert eng["pk"][row] == pytest.approx(expected, rel=1e-12)
    # the views keep false tracks apart
    doc = replay(outcome)
    assert len(doc["threats"]["fate"]) == n
    assert len(doc["false_tracks"]["path"]) == raid.n_false
    assert (
        len(doc["engagements"]["unit"]) + len(doc["false_tracks"]["engagements"]["unit"])
        == (m["shots"])
    )
    events = event_log(outcome)
    kinds = events["kind"]
    assert np.count_nonzero(kinds == EVENT_KINDS.index("false_track")) == raid.n_false
    assert np.count_nonzero(kinds == EVENT_KINDS.index("launch")) == m["launched"]


def test_clean_radar_tracks_every_threat_and_fires_only_on_tracks(tmp_path):
    params = compile_dict(tmp_path, radar_scenario())
    outcome = simulate_night(params, run_rng(5, 0))
    picture = outcome.tracks
    m = night_metrics(outcome)
    assert m["false_tracks"] == 0 and m["shots"] > 0
    assert np.all(np.isfinite(picture.first_held_s))  # every drone was tracked
    # errors of a clean radar's tracks stay far below the gun's default basket
    assert np.median(picture.error_m) < 50.0
    check_tracked_invariants(outcome)


def test_without_a_sensor_nothing_is_engaged(tmp_path):
    data = radar_scenario()
    data["sensors"] = []
    outcome = simulate_night(compile_dict(tmp_path, data), run_rng(5, 0))
    assert outcome.engagements["unit"].size == 0
    assert night_metrics(outcome)["leaked"] == 10


def test_clutter_makes_false_tracks_that_draw_fire(tmp_path):
    params = compile_dict(tmp_path, radar_scenario(**CLUTTER))
    rows = []
    for run in range(2):
        outcome = simulate_night(params, run_rng(2, run))
        check_tracked_invariants(outcome)
        rows.append(night_metrics(outcome))
    assert sum(r["false_tracks"] for r in rows) > 0
    assert sum(r["shots_at_false_tracks"] for r in rows) > 0
    # rounds spent on false tracks count as shots and spend, never as kills
    assert all(r["shots"] >= r["shots_at_false_tracks"] for r in rows)


def test_same_seed_same_tracked_night(tmp_path):
    params = compile_dict(tmp_path, radar_scenario(**CLUTTER))
    a, b = (simulate_night(params, run_rng(9, 1)) for _ in range(2))
    ma, mb = night_metrics(a), night_metrics(b)
    assert ma.keys() == mb.keys()
    assert all(ma[k] == mb[k] or (math.isnan(ma[k]) and math.isnan(mb[k])) for k in ma)
    for key in a.engagements:
        np.testing.assert_array_equal(a.engagements[key], b.engagements[key])
    np.testing.assert_array_equal(a.tracks.held_s, b.tracks.held_s)
    np.testing.assert_array_equal(a.tracks.error_m, b.tracks.error_m)
    np.testing.assert_array_equal(a.raid.paths.points, b.raid.paths.points)
    c = simulate_night(params, run_rng(9, 2))
    assert not np.array_equal(a.tracks.error_m, c.tracks.error_m)


def test_track_error_beyond_the_basket_lowers_kills(tmp_path):
    """A noisy radar (hundreds of metres of track error): a 50 m basket all but stops kills; a
    basket far larger than the error gives the nominal Pk. The tracks are the same (same runs).
    (Engagements of false tracks keep the nominal Pk: they cannot kill anyway.)"""
    kills = {}
    for basket in (50.0, 100_000.0):
        params = compile_dict(tmp_path, radar_scenario(noise=NOISY, basket_m=basket))
        kills[basket] = 0
        for run in range(4):
            outcome = simulate_night(params, run_rng(4, run))
            check_tracked_invariants(outcome)
            kills[basket] += night_metrics(outcome)["killed"]
            if basket == 50.0:
                real = outcome.engagements["threat"] < outcome.raid.n_real
                assert np.all(outcome.engagements["pk"][real] < 0.05)
    assert kills[100_000.0] >= 10  # about 4 runs x 10 drones x Pk 0.5
    assert kills[50.0] <= 1


@pytest.mark.slow
def test_clean_tracking_kills_like_detection_mode(tmp_path):
    """No false alarms, an accurate radar and a basket far above its error: tracks exist
    wherever detections would, so mean kills agree with detection mode within 3 standard
    errors (two-sample)."""
    runs = 30
    kills = {}
    for mode in ("detection", "tracked"):
        params = compile_dict(tmp_path, radar_scenario(count=20, mode=mode, basket_m=100_000.0))
        kills[mode] = np.array(
            [night_metrics(simulate_night(params, run_rng(6, r)))["killed"] for r in range(runs)]
        )
    diff = kills["tracked"].mean() - kills["detection"].mean()
    se = math.sqrt((kills["tracked"].var(ddof=1) + kills["detection"].var(ddof=1)) / runs)
    assert abs(diff) <= 3.0 * se + 0.25, (kills, diff, se)
    assert kills["detection"].mean() > 5.0  # the comparison is not between two empty nights


def test_detection_mode_has_no_tracks_and_modes_are_checked(tmp_path):
    params = compile_dict(tmp_path, radar_scenario(mode="detection", **CLUTTER))
    outcome = simulate_night(params, run_rng(2, 0))
    m = night_metrics(outcome)
    assert outcome.tracks is None and outcome.raid.n_false == 0
    assert m["false_tracks"] == 0 and m["shots_at_false_tracks"] == 0
    assert "false_tracks" not in replay(outcome)
    assert params.with_sensing_mode("tracked").sensing_mode == "tracked"
    with pytest.raises(ValueError, match="unknown sensing mode"):
        params.with_sensing_mode("radar")


def test_acquisition_basket_defaults_to_its_kind(tmp_path):
    default = compile_dict(tmp_path, radar_scenario())
    assert default.effector_types.acquisition_basket_m[0] == DEFAULT_ACQUISITION_BASKET_M["gun"]
    given = compile_dict(tmp_path, radar_scenario(basket_m=123.0))
    assert given.effector_types.acquisition_basket_m[0] == 123.0


def test_bad_basket_is_an_input_error(tmp_path):
    path = write_scenario(tmp_path, radar_scenario(basket_m=-5.0))
    with pytest.raises(InputError) as err:
        load_scenario(path)
    (problem,) = err.value.problems
    assert problem.file == str(path) and problem.line is not None
    assert problem.field.endswith("acquisition_basket_m")


def test_run_sensing_override(tmp_path, cli):
    """``leapsim run --sensing tracked`` on a detection-mode file writes the new columns and the
    false tracks of run 0's replay; an unknown mode exits 2 naming the option."""
    path = write_scenario(tmp_path, radar_scenario(mode="detection", **CLUTTER))
    out = tmp_path / "study"
    result = cli("run", path, "--runs", 2, "--seed", 3, "--out", out, "--sensing", "tracked")
    assert result.exit_code == 0, result.stderr
    runs = pq.read_table(out / "runs.parquet").to_pydict()
    assert runs["false_tracks"] and all(v >= 0 for v in runs["false_tracks"])
    assert "false_tracks" in json.loads((out / "replay.json").read_text())
    bad = cli("run", path, "--runs", 1, "--sensing", "radar")
    assert bad.exit_code == 2
    assert "sensing" in bad.stderr and "tracked" in bad.stderr


def test_engine_and_track_cli_run_the_same_tracker(tmp_path, cli):
    """The engine's scans of a cluttered two-radar night, written as a detections file with
    their covariances and the engine's tracker settings as a tracker config: ``leapsim track``
    gives exactly the engine's confirmed tracks (ids, times, estimates)."""
    data = radar_scenario(**CLUTTER)
    data["sensors"].append({"type": "test_radar", "lat": 50.05, "lon": 22.05, "nation": "PL"})
    params = compile_dict(tmp_path, data)
    rng = run_rng(2, 0)
    raid = draw_raid(params, rng)
    scans = scan_night(params, raid, rng)
    assert len(scans.stretches) == 1  # one tracker run, as ``leapsim track`` makes
    dets = scans.detections
    assert np.array_equal(np.unique(dets.time), scans.step_s)  # every step has detections
    assert np.unique(dets.sensor).size == 2
    rows, _ = _track(params, raid, scans)
    columns = {"time": dets.time, "sensor": dets.sensor}
    for i, axis in enumerate("xyz"):
        columns[axis] = dets.position[:, i]
    for i, j in ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)):
        columns[f"cov_{'xyz'[i]}{'xyz'[j]}"] = dets.covariance[:, i, j]
    pq.write_table(pa.table(columns), tmp_path / "detections.parquet")
    config = tracker_params(params, raid).model_dump(mode="json")
    (tmp_path / "tracker.yaml").write_text(yaml.safe_dump(config))
    result = cli("track", tmp_path / "detections.parquet", "--out", tmp_path / "tracks.parquet",
                 "--config", tmp_path / "tracker.yaml")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    out = pq.read_table(tmp_path / "tracks.parquet").to_pydict()
    assert len(out["time"]) == rows["time"].size > 100
    np.testing.assert_array_equal(out["time"], rows["time"])
    np.testing.assert_array_equal(out["track_id"], rows["track"])
    position = np.column_stack([out["x"], out["y"], out["z"]])
    np.testing.assert_array_equal(position, rows["position"])


def test_track_owner_is_the_origin_of_most_of_its_detections():
    # track 0: 3 of 4 from threat 7; track 1: 3 of 4 real, threat 4 most often; track 2: 2 of 4
    # real (false alarms are not outnumbered: false); track 3: tie between threats 5 and 3 (the
    # lower wins); track 4: no association
    track = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3])
    origin = np.array([7, 7, -1, 7, 4, 2, 4, -1, 6, -1, -1, 6, 5, 3])
    assert track_owners(5, track, origin).tolist() == [7, 4, -1, 3, -1]
