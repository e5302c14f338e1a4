"""Scenario side of validation: dated timelines, calibration parameters, the theatre frame and
the built-in Ukraine theatre."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod

from leapsim.engine import compile_scenario
from leapsim.errors import InputError
from leapsim.scenario import builtin_scenario, load_scenario
from leapsim.scenario.geo import LocalFrame
from leapsim.scenario.parameters import parameter_names, with_parameters
from leapsim.scenario.timeline import fire_units_on, scenario_on, timeline_state

SMALL = Path(__file__).parent / "validation" / "small_theatre.yaml"

TIMELINE = """\
name: timeline
sites: [{name: A, lat: 50.0, lon: 30.0, value_eur: 1.0e9, nation: UA}]
fire_units:
  - {type: mobile_fire_group, name: MFG, lat: 50.0, lon: 30.1, count: 3, nation: UA}
  - {type: ew_jammer, name: EW, lat: 50.0, lon: 30.0, nation: UA}
timeline:
  - date: 2025-03-01
    source: test
    fire_units: {MFG: {count: 5, reserve_rounds: 100}}
    add_fire_units: [{type: interceptor_drone_sting, name: ID, lat: 50.1, lon: 30.0, nation: UA}]
  - date: 2025-06-01
    source: test
    fire_units: {ID: {count: 4}, EW: {count: 0}}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


def _units(scenario, date) -> dict[str, int]:
    return {u.name: u.count for u in fire_units_on(scenario, date)}


def test_timeline_applies_changes_in_date_order(tmp_path):
    scenario = load_scenario(_write(tmp_path, TIMELINE)).scenario
    assert _units(scenario, dt.date(2025, 2, 28)) == {"MFG": 3, "EW": 1}
    assert _units(scenario, dt.date(2025, 3, 1)) == {"MFG": 5, "EW": 1, "ID": 1}
    assert _units(scenario, dt.date(2025, 6, 1)) == {"MFG": 5, "ID": 4}  # count 0 withdraws
    mfg = next(u for u in fire_units_on(scenario, dt.date(2025, 7, 1)) if u.name == "MFG")
    assert mfg.reserve_rounds == 100
    nights = np.array(["2025-02-28", "2025-03-01", "2025-05-31", "2025-06-01"], "datetime64[D]")
    assert timeline_state(scenario, nights).tolist() == [0, 1, 1, 2]


def test_timeline_changes_the_compiled_defence(tmp_path):
    resolved = load_scenario(_write(tmp_path, TIMELINE))
    before = compile_scenario(scenario_on(resolved, dt.date(2025, 1, 1)))
    after = compile_scenario(scenario_on(resolved, dt.date(2025, 6, 2)))
    assert before.unit_type.size == 4 and after.unit_type.size == 9
    assert "interceptor_drone_sting" in after.effector_types.names


def test_timeline_naming_an_unknown_placement_is_an_error_at_its_line(tmp_path):
    text = TIMELINE.replace("fire_units: {ID: {count: 4}", "fire_units: {Idd: {count: 4}")
    with pytest.raises(InputError) as err:
        load_scenario(_write(tmp_path, text))
    problem = err.value.problems[0]
    assert problem.line == 13 and "Idd" in problem.message and "timeline[1]" in problem.field


def test_parameters_write_into_the_catalogue_fields():
    resolved = load_scenario(SMALL)
    assert parameter_names(resolved) == ["mfg_pk", "patriot_pk_ballistic"]
    changed = with_parameters(resolved, [0.42, 0.77])
    params = compile_scenario(changed)
    et = params.effector_types
    mfg = et.names.index("mobile_fire_group")
    patriot = et.names.index("test_patriot")
    assert et.pk[mfg, 0] == 0.42 and et.pk[mfg, 1] == 0.42  # drone, decoy
    assert et.pk[patriot, 3] == 0.77  # ballistic
    # the built-in type is copied into the scenario's own catalogue, so it saves self-contained
    assert changed.scenario.catalogue.effector_types["mobile_fire_group"].pk["drone"] == 0.42
    assert resolved.catalogue.effector_types["mobile_fire_group"].pk["drone"] == 0.3


def test_a_parameter_path_that_names_no_number_is_an_error(tmp_path):
    text = SMALL.read_text().replace(
        "effector_types.test_patriot.pk.ballistic_missile", "effector_types.test_patriot.pk_max"
    )
    with pytest.raises(InputError) as err:
        load_scenario(_write(tmp_path, text))
    assert "pk_max" in str(err.value) and "calibration.parameters[1].sets[0]" in str(err.value)


def test_a_scenario_without_parameters_says_so():
    with pytest.raises(InputError, match="declares no calibration parameters"):
        parameter_names(builtin_scenario("rzeszow_leap"))


def test_prior_must_be_an_interval(tmp_path):
    text = SMALL.read_text().replace("prior: [0.05, 0.7]", "prior: [0.7, 0.05]")
    with pytest.raises(InputError, match="low < high"):
        load_scenario(_write(tmp_path, text))


def test_azimuthal_equidistant_frame_keeps_distances_from_the_origin():
    geod = Geod(ellps="WGS84")
    frame = LocalFrame(48.8, 31.5, "azimuthal_equidistant")
    lat = np.array([44.4, 51.4, 54.35, 49.84, 43.5])
    lon = np.array([36.9, 46.0, 32.47, 24.03, 49.0])
    _, _, dist = geod.inv(np.full(5, 31.5), np.full(5, 48.8), lon, lat)
    xy = frame.to_enu(lat, lon)[:, :2]
    assert np.allclose(np.hypot(xy[:, 0], xy[:, 1]), dist, rtol=0, atol=0.01)
    back = frame.to_geodetic(frame.to_enu(lat, lon, 1500.0))
    assert np.allclose(back[:, 0], lat) and np.allclose(back[:, 1], lon)
    assert np.allclose(back[:, 2], 1500.0)


def test_default_frame_is_the_tangent_plane():
    params = compile_scenario(builtin_scenario("rzeszow_leap"))
    assert params.projection == "tangent_plane" and params.frame.projection == "tangent_plane"


def test_ukraine_theatre_loads_with_its_timeline():
    resolved = builtin_scenario("ukraine_2025")
    scenario = resolved.scenario
    assert scenario.frame == "azimuthal_equidistant"
    assert len(scenario.calibration.parameters) <= 8
    assert all(len(entry.source) > 20 for entry in scenario.timeline)
    before = compile_scenario(scenario_on(resolved, dt.date(2025, 6, 30)))
    after = compile_scenario(scenario_on(resolved, dt.date(2026, 2, 1)))
    kind = "ua_interceptor_drone"
    assert kind not in before.effector_types.names
    index = after.effector_types.names.index(kind)
    assert int((after.unit_type == index).sum()) == 24
    # every raid the replay names exists; every Shahed launch area has a weight
    names = {r.name for r in scenario.raids}
    for stream in scenario.replay.streams:
        assert set(stream.raids) <= names and set(stream.decoy_raids) <= names
