"""Early warning: study files and their errors, geography and frame, the incursion generator,
placement under a budget, determinism and common random numbers."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from conftest import run_cli
from leapsim.errors import InputError
from leapsim.experiments import Replication
from leapsim.warning.config import load_study
from leapsim.warning.cover import coverage, planning_set, warned_share
from leapsim.warning.incursions import TRANSIT, generate_incursions, site_arrivals
from leapsim.warning.measure import WarningTask
from leapsim.warning.model import compile_study
from leapsim.warning.pipeline import frame_check
from leapsim.warning.placement import item_costs, item_node_counts, make_placement
from leapsim.warning.planning import candidate_coverage, plan_placements
from warning_helpers import DATA, small_model

BAD = sorted((DATA / "bad").glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (?P<text>.+)$")


def expected(path: Path) -> str:
    match = EXPECT.match(path.read_text(encoding="utf-8").splitlines()[0])
    assert match, f"{path.name}: first line must be '# expect: FILE:LINE: FIELD: MESSAGE'"
    return match["text"]


@pytest.mark.parametrize("path", BAD, ids=[p.name for p in BAD])
def test_bad_study_files_name_file_line_and_field(path, monkeypatch):
    monkeypatch.chdir(path.parent)
    with pytest.raises(InputError) as err:
        compile_study(load_study(path.name))
    assert expected(path) in str(err.value)


CLI_BAD = ("unknown_key.yaml", "geojson_latitude.yaml", "crossing_beyond_border.yaml")


@pytest.mark.slow
def test_the_cli_reports_bad_input_with_exit_2_and_no_traceback():
    """A few of the bad files through ``leapsim warn validate`` (the library test above covers
    them all), and bad options."""
    folder = DATA / "bad"
    files = [p for p in BAD if p.name in CLI_BAD]
    jobs = [("warn", "validate", p.name) for p in files]
    jobs += [
        ("warn", "plan", "../small.yaml", "--budget", "0"),
        ("warn", "run", "../small.yaml", "--warning-min", "-3", "--runs", "1"),
        ("warn", "run", "../small.yaml", "--runs", "0"),
        ("warn", "validate", "builtin:poland_belarusx"),
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda job: run_cli(*job, cwd=folder), jobs))
    for job, result in zip(jobs, results, strict=True):
        assert result.exit_code == 2, (job, result.stderr)
        assert "Traceback" not in result.stderr, job
    for path, result in zip(files, results, strict=False):
        assert expected(path) in " ".join(result.stderr.split()), (path.name, result.stderr)
    assert "--budget" in results[len(files)].stderr
    assert "--warning-min" in results[len(files) + 1].stderr
    assert "did you mean 'poland_belarus'" in results[-1].stderr


def test_builtin_border_runs_with_poland_on_the_left_and_the_frame_is_accurate():
    model = compile_study(load_study("builtin:poland_belarus"))
    frame = model.frame
    warsaw, minsk = frame.to_xy(52.23, 21.01), frame.to_xy(53.90, 27.56)
    side = model.border.signed_distance(np.stack([warsaw, minsk]))
    assert side[0] > 100e3 and side[1] < -100e3
    assert 300e3 < model.border.length_m < 330e3  # 316.6 km on the 1:50m line
    error = frame_check(model)
    assert error["max_distance_m"] > 400e3
    assert error["max_relative_error"] < 1e-3  # orthographic plane: d³/(6R²) at most
    ll = frame.to_latlon(model.sites.xy)
    back = frame.to_xy(ll[:, 0], ll[:, 1])
    np.testing.assert_allclose(back, model.sites.xy, atol=1e-3)


def test_the_generator_draws_what_its_parameters_say():
    model = small_model()
    flights = generate_incursions(model, model.incursions, np.random.default_rng(4), groups=400)
    sizes = np.bincount(np.bincount(flights.group))
    assert set(np.flatnonzero(sizes)) <= {1, 3}
    share_of_threes = sizes[3] / sizes[1:].sum()
    assert share_of_threes == pytest.approx(0.3, abs=0.07)
    groups = np.unique(flights.group, return_index=True)[1]
    transit = (flights.mission[groups] == TRANSIT).mean()
    assert transit == pytest.approx(0.5 / 1.5, abs=0.07)
    # every drone launches outside and its second waypoint lies on the border (the leader's;
    # a follower is offset by its group offset)
    start = flights.xy[flights.offsets[:-1]]
    assert (model.border.signed_distance(start) < 0).all()
    leaders = flights.offsets[:-1][groups] + 1
    assert np.abs(model.border.signed_distance(flights.xy[leaders])).max() < 1e-6
    again = generate_incursions(model, model.incursions, np.random.default_rng(4), groups=400)
    np.testing.assert_array_equal(flights.xy, again.xy)
    np.testing.assert_array_equal(flights.emitting, again.emitting)


def test_the_september_2025_case_is_19_transit_drones_crossing_the_south():
    model = compile_study(load_study("builtin:poland_belarus"))
    (case,) = model.cases
    assert case.name == "september_2025"
    flights = generate_incursions(model, case, np.random.default_rng(1))
    assert len(flights) == 19 and (flights.mission == TRANSIT).all()
    cross = flights.xy[flights.offsets[:-1] + 1]
    s = np.array([np.argmin(np.hypot(*(model.border.point_at(np.arange(0, 316e3, 500)) - c).T))
                  for c in cross]) * 500.0  # fmt: skip
    assert s.max() <= 110e3 + 500
    assert flights.crossing_time_s.max() - flights.crossing_time_s.min() < 26_100


def test_site_arrival_of_an_attack_is_where_its_last_leg_enters_the_site_radius():
    model = small_model()
    flights = generate_incursions(model, model.incursions, np.random.default_rng(9), groups=60)
    site, when = site_arrivals(flights, model.sites)
    attacks = np.flatnonzero(flights.mission == 0)
    assert attacks.size
    for d in attacks:
        xy, t = flights.waypoints(d)
        target = flights.target_site[d]
        assert site[d] >= 0
        if site[d] == target:  # reached its own target first: on the last leg, by sampling
            u = np.linspace(0.0, 1.0, 200_001)
            p = xy[-2] + u[:, None] * (xy[-1] - xy[-2])
            inside = np.hypot(*(p - model.sites.xy[target]).T) <= model.sites.radius_m[target]
            first = t[-2] + u[np.argmax(inside)] * (t[-1] - t[-2])
            assert inside.any() and when[d] == pytest.approx(first, abs=(t[-1] - t[-2]) / 2e5)


@pytest.fixture(scope="module")
def small_plan():
    model = small_model()
    return model, candidate_coverage(model)


@pytest.mark.parametrize("budget", [20_000.0, 130_000.0, 400_000.0, 1_500_000.0])
def test_no_placement_exceeds_the_budget_or_an_option_limit(small_plan, budget):
    model, cc = small_plan
    plan = plan_placements(model, budget, cc)
    for method, choice in plan.choices.items():
        cost = item_costs(model.options, choice.items)
        assert cost.sum() <= budget + 1e-6, method
        assert choice.cost_eur == pytest.approx(cost.sum())
        eo = model.options.names.index("eo")
        assert item_node_counts(choice.items)[choice.items.option == eo].sum() <= 2, method
    milp = plan.choices["milp"]
    assert milp.bound >= milp.share - 1e-9
    for other in ("greedy", "uniform"):  # the uniform layouts are MILP candidates too
        assert milp.share >= plan.choices[other].share - 1e-9, other


def test_milp_coverage_matches_a_recount(small_plan):
    model, cc = small_plan
    plan = plan_placements(model, 400_000.0, cc)
    choice = plan.choices["milp"]
    recount = warned_share(coverage(model, choice.items, cc.pset), np.arange(len(choice.items)))
    assert recount == pytest.approx(choice.share)


@pytest.mark.slow
def test_replications_are_deterministic_and_share_their_incursions(small_plan):
    """Same seed and replication: identical tables; two placements see the same drones."""
    model, cc = small_plan
    plan = plan_placements(model, 150_000.0, cc)
    a = make_placement(model, plan.choices["milp"].items, "milp")
    b = make_placement(model, plan.choices["uniform"].items, "uniform")
    model = replace(model, measure=model.measure.model_copy(update={"clutter_window_s": 60.0}))
    rep = Replication(seed=3, index=1)
    first = WarningTask(model, a, -1, True)(rep)
    second = WarningTask(model, a, -1, True)(rep)
    for name, table in first.tables.items():
        for column, values in table.items():
            np.testing.assert_array_equal(values, second.tables[name][column], err_msg=column)
    other = WarningTask(model, b, -1, False)(rep)
    for column in ("crossing_s", "arrival_s", "altitude_m", "emitting"):
        np.testing.assert_array_equal(first.tables["drones"][column],
                                      other.tables["drones"][column])  # fmt: skip


def test_planning_set_is_fixed_by_the_planning_seed():
    model = small_model()
    a, b = planning_set(model), planning_set(model)
    np.testing.assert_array_equal(a.deadline_s, b.deadline_s)
    other = replace(model, plan=model.plan.model_copy(update={"planning_seed": 1}))
    assert not np.array_equal(planning_set(other).deadline_s[:5], a.deadline_s[:5])
