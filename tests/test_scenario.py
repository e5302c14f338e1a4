"""Scenario loading: the built-in scenarios and catalogue, ``extends:``, placements, and every
class of bad input giving an :class:`InputError` with the right file, line, field and fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from leapsim.engine import compile_scenario
from leapsim.errors import InputError, Problem
from leapsim.scenario import builtin_catalogue, builtin_scenario, load_catalogue, load_scenario
from leapsim.scenario.models import Scenario
from leapsim.scenario.resolve import BUILTIN_SCENARIOS

BASE = """\
name: probe
duration_s: 3600
sites:
  - {name: Depot, lat: 50.0, lon: 22.0, value_eur: 1.0e8, nation: PL}
  - {name: Yard, lat: 50.02, lon: 22.03, value_eur: 5.0e7, nation: PL}
sensors:
  - {type: short_range_radar, lat: 50.0, lon: 22.0, nation: PL}
fire_units:
  - {type: gepard_35mm, lat: 50.0, lon: 22.0, nation: PL}
raids:
  - threat: shahed_136
    count: 5
    launch: {bearing_deg: 90, distance_m: 50000}
    targets: {Depot: 1}
"""

CUSTOM_GUN = """\
catalogue:
  effector_types:
    cheap_gun:
      kind: gun
      cost_per_round_eur: 10
      unit_cost_eur: 1000
      min_range_m: 100
      max_range_m: 3000
      min_altitude_m: 0
      max_altitude_m: 3000
      fire_channels: 1
      engagement_time_s: 5
      rounds_per_engagement: 10
      magazine: 100
      reload_time_s: 60
      pk: {drone: 0.5}
      source: hypothetical test type
"""


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_scenario(path)
    return info.value.problems


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the ``occurrence``-th line containing ``needle``."""
    hits = [i + 1 for i, line in enumerate(path.read_text().splitlines()) if needle in line]
    return hits[occurrence - 1]


def same_field(got: str | None, expected: str) -> bool:
    """Field paths compare equal up to the ``a.[0]`` / ``a[0]`` spelling of list indices (the
    spelling itself is checked once, in
    test_reference_errors_use_the_same_field_paths_as_validation_errors)."""
    return got is not None and got.replace(".[", "[") == expected


def only(problems: list[Problem], field: str | None = None) -> Problem:
    chosen = [p for p in problems if field is None or p.field == field]
    assert len(chosen) == 1, [str(p) for p in problems]
    return chosen[0]


# --- built-ins ---------------------------------------------------------------------------------


def test_builtin_catalogue_has_the_issue_types_with_sources():
    cat = builtin_catalogue()
    assert {"shahed_136", "gerbera_decoy", "kh_101", "kalibr", "iskander_m"} <= set(
        cat.threat_types
    )
    assert {
        "patriot_pac3_mse", "iris_t_slm", "nasams_amraam", "stinger", "gepard_35mm",
        "skynex_ahead", "interceptor_drone_sting", "apkws_vampire", "laser_dragonfire",
        "ew_jammer", "mobile_fire_group",
    } <= set(cat.effector_types)  # fmt: skip
    assert {"long_range_radar", "short_range_radar", "acoustic_node"} <= set(cat.sensor_types)
    everything = [*cat.threat_types.values(), *cat.effector_types.values(),
                  *cat.sensor_types.values()]  # fmt: skip
    for item in everything:
        assert len(item.source) > 40, item.source
    assert any("estimate" in item.source for item in everything)
    assert cat.threat_types["gerbera_decoy"].appears_as == "shahed_136"
    assert cat.threat_types["gerbera_decoy"].damage_fraction == 0.0
    assert cat.threat_types["iskander_m"].family == "ballistic_missile"
    # the economics the demo is about: a Patriot round costs far more than a Shahed
    patriot = cat.effector_types["patriot_pac3_mse"].cost_per_round_eur
    assert patriot > 50 * cat.threat_types["shahed_136"].unit_cost_eur


@pytest.mark.parametrize("name", [n for n in BUILTIN_SCENARIOS if n.startswith("rzeszow")])
def test_builtin_scenarios_load_and_compile(name):
    resolved = builtin_scenario(name)
    params = compile_scenario(resolved)
    counts = {}
    for raid in resolved.scenario.raids:
        family = resolved.catalogue.threat_types[raid.threat].family
        counts[family] = counts.get(family, 0) + raid.count
    assert counts == {"drone": 300, "decoy": 100, "cruise_missile": 8, "ballistic_missile": 4}
    assert set(params.site_names) == {
        "Jasionka airport", "Rail-logistics terminal", "Power plant", "Fuel depot"
    }  # fmt: skip
    assert params.n_threats == 412


def test_legacy_and_leap_defences_differ_as_the_issue_says():
    legacy, leap = builtin_scenario("rzeszow_legacy"), builtin_scenario("rzeszow_leap")
    cat = leap.catalogue
    kinds = {s: {cat.effector_types[u.type].kind for u in r.scenario.fire_units}
             for s, r in (("legacy", legacy), ("leap", leap))}  # fmt: skip
    assert kinds["legacy"] == {"missile"}
    assert {"missile", "gun", "interceptor_drone"} <= kinds["leap"]
    assert legacy.scenario.doctrine.policy == "max_pk"
    assert leap.scenario.doctrine.policy == "cost_aware"
    assert "acoustic_node" in {s.type for s in leap.scenario.sensors}
    assert "mobile_fire_group" in {u.type for u in leap.scenario.fire_units}
    # same raid both ways (both extend rzeszow_base.yaml)
    assert legacy.scenario.raids == leap.scenario.raids
    legacy_types = {u.type for u in legacy.scenario.fire_units}
    assert legacy_types <= {u.type for u in leap.scenario.fire_units}


def test_unknown_builtin_has_a_hint():
    with pytest.raises(InputError) as info:
        builtin_scenario("rzeszow_leep")
    assert "rzeszow_leap" in str(info.value)


# --- extends, catalogue sections, placements ---------------------------------------------------


def test_extends_builtin_replaces_top_level_keys(tmp_path):
    path = write(tmp_path, """\
        # a stricter LEAP doctrine
        extends: builtin:rzeszow_leap
        name: leap_strict
        doctrine: {policy: cost_aware, max_shots_per_threat: 1, shoot_look_shoot: false}
        """)  # fmt: skip
    resolved = load_scenario(path)
    base = builtin_scenario("rzeszow_leap").scenario
    assert resolved.scenario.name == "leap_strict"
    assert resolved.scenario.doctrine.max_shots_per_threat == 1
    assert resolved.scenario.doctrine.cost_rules == []  # the whole key is replaced
    assert resolved.scenario.fire_units == base.fire_units
    assert resolved.scenario.raids == base.raids


def test_extends_relative_chain(tmp_path):
    write(tmp_path, BASE, "base.yaml")
    (tmp_path / "sub").mkdir()
    write(tmp_path, "extends: ../base.yaml\nname: middle\nduration_s: 600\n", "sub/middle.yaml")
    leaf = write(tmp_path, "extends: middle.yaml\nname: leaf\n", "sub/leaf.yaml")
    scenario = load_scenario(leaf).scenario
    assert scenario.name == "leaf"
    assert scenario.duration_s == 600
    assert [s.name for s in scenario.sites] == ["Depot", "Yard"]


def test_errors_in_a_base_file_name_the_base(tmp_path):
    base = write(tmp_path, BASE.replace("count: 5", "count: -5"), "base.yaml")
    child = write(tmp_path, "extends: base.yaml\nname: child\n", "child.yaml")
    problem = only(problems_of(child))
    assert Path(problem.file).name == "base.yaml"
    assert problem.line == line_of(base, "count: -5")
    assert problem.field == "raids[0].count"


def test_errors_in_an_overriding_key_name_the_child(tmp_path):
    write(tmp_path, BASE, "base.yaml")
    child = write(tmp_path, "extends: base.yaml\nname: child\nduration_s: -1\n", "child.yaml")
    problem = only(problems_of(child))
    assert Path(problem.file).name == "child.yaml"
    assert problem.line == 3
    assert problem.field == "duration_s"


def test_catalogue_section_adds_and_replaces_types(tmp_path):
    text = BASE.replace("gepard_35mm", "cheap_gun") + CUSTOM_GUN
    text += """\
  threat_types:
    shahed_136:
      family: drone
      unit_cost_eur: 30000
      speed_mps: 55
      cruise_altitude_m: 1000
      rcs_m2: 0.1
      damage_fraction: 0.01
      range_m: 2000000
      source: a cheaper Shahed (hypothetical)
"""
    resolved = load_scenario(write(tmp_path, text))
    assert resolved.catalogue.effector_types["cheap_gun"].cost_per_round_eur == 10
    assert resolved.catalogue.threat_types["shahed_136"].unit_cost_eur == 30000
    assert builtin_catalogue().threat_types["shahed_136"].unit_cost_eur == 45000
    params = compile_scenario(resolved)
    assert params.effector_types.names == ("cheap_gun",)
    assert params.threat_types.unit_cost_eur.tolist() == [30000.0]


def test_line_to_spreads_units_evenly_and_count_stacks_them(tmp_path):
    text = BASE.replace(
        "  - {type: gepard_35mm, lat: 50.0, lon: 22.0, nation: PL}",
        "  - {type: gepard_35mm, lat: 50.0, lon: 22.0, nation: PL, count: 5,"
        " line_to: {lat: 50.04, lon: 22.0}, name: Line}\n"
        "  - {type: stinger, lat: 50.01, lon: 22.01, nation: PL, count: 3, magazine: 2,"
        " reserve_rounds: 7}",
    )
    params = compile_scenario(load_scenario(write(tmp_path, text)))
    assert params.unit_names[:5] == tuple(f"Line#{i}" for i in range(1, 6))
    line = params.unit_xy[:5]
    np.testing.assert_allclose(line[:, 0], line[0, 0], atol=1.0)  # due north: same easting
    spacing = np.diff(line[:, 1])
    np.testing.assert_allclose(spacing, spacing.mean(), rtol=1e-3)
    assert spacing.mean() == pytest.approx(0.01 * 111_200, rel=0.01)  # 0.01° latitude
    stacked = params.unit_xy[5:]
    assert stacked.shape == (3, 2) and np.ptp(stacked, axis=0).max() == 0.0
    assert params.unit_magazine[5:].tolist() == [2, 2, 2]
    assert params.unit_reserve[5:].tolist() == [7, 7, 7]
    assert params.unit_magazine[:5].tolist() == [640] * 5  # the type's magazine


def test_catalogue_file_loads(tmp_path):
    path = write(tmp_path, CUSTOM_GUN.replace("catalogue:\n", "").replace("\n  ", "\n")[2:])
    cat = load_catalogue(path)
    assert set(cat.effector_types) == {"cheap_gun"}


def test_scenario_model_defaults():
    scenario = Scenario.model_validate(
        {"name": "x", "sites": [{"name": "A", "lat": 0, "lon": 0, "value_eur": 1, "nation": "PL"}]}
    )
    assert scenario.duration_s == 8 * 3600
    assert scenario.doctrine.policy == "cost_aware"
    assert scenario.doctrine.shoot_look_shoot is True


# --- bad input ---------------------------------------------------------------------------------


def test_unknown_key_with_did_you_mean(tmp_path):
    path = write(tmp_path, BASE.replace("duration_s", "duraton_s"))
    problem = only(problems_of(path))
    assert (problem.line, problem.field) == (2, "duraton_s")
    assert "unknown key" in problem.message
    assert "did you mean 'duration_s'" in problem.hint
    assert Path(problem.file) == path


def test_nested_unknown_key_with_did_you_mean(tmp_path):
    path = write(tmp_path, BASE + "doctrine:\n  max_shots_per_threat: 2\n  shoot_look_shot: true\n")
    problem = only(problems_of(path))
    assert (problem.line, problem.field) == (line_of(path, "shoot_look_shot"),
                                             "doctrine.shoot_look_shot")  # fmt: skip
    assert "shoot_look_shoot" in problem.hint


def test_unknown_key_inside_a_list_item(tmp_path):
    path = write(
        tmp_path, BASE.replace("targets: {Depot: 1}", "targets: {Depot: 1}\n    wayponts: []")
    )
    problem = only(problems_of(path))
    assert (problem.line, problem.field) == (line_of(path, "wayponts"), "raids[0].wayponts")
    assert "waypoints" in problem.hint


def test_wrong_type(tmp_path):
    path = write(tmp_path, BASE.replace("count: 5", "count: many"))
    problem = only(problems_of(path))
    assert (problem.line, problem.field) == (line_of(path, "count: many"), "raids[0].count")
    assert "whole number" in problem.hint


def test_wrong_unit_text_in_a_number(tmp_path):
    path = write(tmp_path, BASE.replace("distance_m: 50000", "distance_m: 50 km"))
    problem = only(problems_of(path))
    assert problem.field == "raids[0].launch.distance_m"
    assert problem.line == line_of(path, "50 km")
    assert "SI unit" in problem.hint


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("lat: 50.0, lon: 22.0, value_eur", "lat: 95.0, lon: 22.0, value_eur", "sites[0].lat"),
        ("duration_s: 3600", "duration_s: -3600", "duration_s"),
        ("value_eur: 1.0e8", "value_eur: -1.0", "sites[0].value_eur"),
        ("bearing_deg: 90", "bearing_deg: 360", "raids[0].launch.bearing_deg"),
        ("count: 5", "count: -5", "raids[0].count"),
    ],
)
def test_out_of_range_value(tmp_path, old, new, field):
    path = write(tmp_path, BASE.replace(old, new))
    problem = only(problems_of(path))
    assert (problem.line, problem.field) == (line_of(path, new), field)
    assert "range" in problem.hint


@pytest.mark.parametrize(
    ("old", "new", "field", "suggestion"),
    [
        ("type: gepard_35mm", "type: gepard_35", "fire_units[0].type", "gepard_35mm"),
        (
            "type: short_range_radar",
            "type: short_range_rader",
            "sensors[0].type",
            "short_range_radar",
        ),
        ("threat: shahed_136", "threat: shahed136", "raids[0].threat", "shahed_136"),
    ],
)
def test_unknown_type_name_with_did_you_mean(tmp_path, old, new, field, suggestion):
    path = write(tmp_path, BASE.replace(old, new))
    problem = only(problems_of(path))
    assert problem.line == line_of(path, new)
    assert f"did you mean {suggestion!r}" in problem.hint
    assert "unknown" in problem.message
    assert same_field(problem.field, field)


def test_unknown_site_in_targets(tmp_path):
    path = write(tmp_path, BASE.replace("targets: {Depot: 1}", "targets: {Depo: 1}"))
    problem = only(problems_of(path))
    assert problem.line == line_of(path, "Depo: 1")
    assert same_field(problem.field, "raids[0].targets.Depo")
    assert "did you mean 'Depot'" in problem.hint


def test_unknown_appears_as(tmp_path):
    text = (
        BASE
        + """\
catalogue:
  threat_types:
    foam_decoy: {family: decoy, unit_cost_eur: 1, speed_mps: 40, cruise_altitude_m: 100,
                 rcs_m2: 0.1, damage_fraction: 0, range_m: 100000, appears_as: shahed,
                 source: hypothetical}
"""
    )
    path = write(tmp_path, text)
    problem = only(problems_of(path))
    assert problem.line == line_of(path, "appears_as")
    assert problem.field == "catalogue.threat_types.foam_decoy.appears_as"
    assert "shahed_136" in problem.hint


@pytest.mark.parametrize(
    "launch",
    [
        "{bearing_deg: 90, distance_m: 50000, lat: 50.0, lon: 23.0}",
        "{bearing_deg: 90}",
        "{lat: 50.0}",
        "{}",
    ],
)
def test_launch_must_be_given_exactly_one_way(tmp_path, launch):
    path = write(tmp_path, BASE.replace("{bearing_deg: 90, distance_m: 50000}", launch))
    problem = only(problems_of(path))
    assert problem.line == line_of(path, "launch:")
    assert problem.field == "raids[0].launch"
    assert "either lat and lon, or bearing_deg and distance_m" in problem.message


@pytest.mark.parametrize(
    ("old", "new", "what"),
    [
        ("min_range_m: 100", "min_range_m: 3000", "min_range_m must be smaller than max_range_m"),
        ("min_range_m: 100", "min_range_m: 5000", "min_range_m must be smaller than max_range_m"),
        (
            "min_altitude_m: 0",
            "min_altitude_m: 3000",
            "min_altitude_m must be smaller than max_altitude_m",
        ),
        ("magazine: 100", "magazine: 5", "rounds_per_engagement cannot exceed the magazine"),
    ],
)
def test_inconsistent_effector_type(tmp_path, old, new, what):
    path = write(tmp_path, BASE.replace("gepard_35mm", "cheap_gun") + CUSTOM_GUN.replace(old, new))
    problem = only(problems_of(path))
    assert problem.message == what
    assert problem.field.startswith("catalogue.effector_types.cheap_gun")
    # the type's own line, or the line of one of the fields in conflict
    block = range(line_of(path, "cheap_gun:"), line_of(path, "source: hypothetical") + 1)
    assert problem.line in block


def test_unknown_policy_lists_the_choices(tmp_path):
    path = write(tmp_path, BASE + "doctrine: {policy: max_pkk}\n")
    problem = only(problems_of(path))
    assert (problem.line, problem.field) == (line_of(path, "max_pkk"), "doctrine.policy")
    assert "'cost_aware'" in problem.message and "'max_pk'" in problem.message


def test_unknown_threat_family_in_pk(tmp_path):
    text = BASE.replace("gepard_35mm", "cheap_gun") + CUSTOM_GUN.replace(
        "pk: {drone: 0.5}", "pk: {drones: 0.5}"
    )
    path = write(tmp_path, text)
    problem = only(problems_of(path))
    assert problem.line == line_of(path, "drones: 0.5")
    assert "'drone'" in problem.message
    assert problem.field == "catalogue.effector_types.cheap_gun.pk.drones"


def test_every_problem_is_reported_at_once(tmp_path):
    text = BASE.replace("duration_s", "duraton_s").replace("count: 5", "count: many")
    problems = problems_of(write(tmp_path, text))
    assert {p.field for p in problems} == {"duraton_s", "raids[0].count"}


def test_duplicate_site_names(tmp_path):
    path = write(tmp_path, BASE.replace("name: Yard", "name: Depot"))
    problem = only(problems_of(path))
    assert problem.field == "sites"
    assert problem.line == line_of(path, "sites:")


def test_missing_required_field(tmp_path):
    path = write(tmp_path, "name: nothing here\n")
    problem = only(problems_of(path))
    assert (problem.field, problem.line) == ("sites", 1)
    assert "add this field" in problem.hint


def test_invalid_yaml_syntax(tmp_path):
    path = write(tmp_path, BASE.replace("targets: {Depot: 1}", "targets: {Depot: 1"))
    problem = only(problems_of(path))
    assert "invalid YAML" in problem.message
    assert problem.line is not None and problem.line >= line_of(path, "targets:")
    assert problem.file == str(path)


def test_top_level_must_be_a_mapping(tmp_path):
    problem = only(problems_of(write(tmp_path, "- a\n- b\n")))
    assert problem.line == 1 and "mapping" in problem.message


def test_missing_file(tmp_path):
    problem = only(problems_of(tmp_path / "nope.yaml"))
    assert "not found" in problem.message


def test_extends_must_be_a_path(tmp_path):
    path = write(tmp_path, "name: x\nextends: 5\n")
    problem = only(problems_of(path))
    assert problem.line == 2 and "extends" in problem.message


# Bugs found while writing these tests (leapsim/yaml_files.py and leapsim/scenario/); see the
# report. Each test states the behaviour the issue asks for.


def test_extends_loop_names_the_extends_line(tmp_path):
    """A loop is reported at the ``extends:`` line that closes it (file and line)."""
    a = write(tmp_path, "name: a\nextends: b.yaml\n", "a.yaml")
    write(tmp_path, "# b goes back to a\nextends: a.yaml\nname: b\n", "b.yaml")
    problem = only(problems_of(a))
    assert "loop" in problem.message
    assert (Path(problem.file).name, problem.line) in {("a.yaml", 2), ("b.yaml", 2)}
    assert problem.field == "extends"
    self_loop = write(tmp_path, "# me again\nextends: self.yaml\nname: s\n", "self.yaml")
    problem = only(problems_of(self_loop))
    assert (Path(problem.file).name, problem.line) == ("self.yaml", 2)


def test_extends_missing_file_names_the_extends_line(tmp_path):
    """The error points at the ``extends:`` line of the file that names the missing base."""
    path = write(tmp_path, "# child\nextends: nothere.yaml\nname: a\n")
    problem = only(problems_of(path))
    assert (problem.file, problem.line, problem.field) == (str(path), 2, "extends")
    assert "nothere.yaml" in str(problem)


def test_extends_unknown_builtin_names_the_extends_line(tmp_path):
    path = write(tmp_path, "# child\nextends: builtin:rzeszow_leep\nname: a\n")
    problem = only(problems_of(path))
    assert (problem.file, problem.line) == (str(path), 2)
    assert "rzeszow_leap" in str(problem)  # did you mean


def test_reference_errors_use_the_same_field_paths_as_validation_errors(tmp_path):
    """``fire_units[0].type``, as pydantic errors print it, not ``fire_units.[0].type``."""
    path = write(tmp_path, BASE.replace("type: gepard_35mm", "type: gepard_35"))
    assert only(problems_of(path)).field == "fire_units[0].type"


def test_file_that_is_not_utf8_is_an_input_error(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"# saved in Latin-1\nname: Rzesz\xf3w\nsites: []\n")
    problem = only(problems_of(path))
    assert problem.file == str(path)
    assert problem.line == 2
    assert "UTF-8" in str(problem)


def test_duplicate_keys_are_rejected(tmp_path):
    """YAML mappings must not repeat a key; PyYAML silently keeps the last one, so a second
    ``doctrine:`` block would quietly replace the first."""
    path = write(tmp_path, BASE + "doctrine: {policy: max_pk}\ndoctrine: {policy: cost_aware}\n")
    problem = only(problems_of(path))
    assert problem.line == line_of(path, "doctrine:", 2)
    assert "doctrine" in str(problem) and "duplicate" in problem.message
