"""Fuzzed inputs, zero tracebacks (issue 11 §5): every kind of file leapsim reads, mutated, ends
in a result or in an :class:`InputError` naming the file — never another exception or a hang.

The loaders are driven in-process (the functions the CLI commands call, for speed); a few cases
also go through the ``leapsim`` command as a user runs it. In CI each kind runs a bounded number
of examples (:data:`CI_EXAMPLES`, derandomised); ``bench/fuzz.py`` runs 10,000 per kind with
``LEAPSIM_FUZZ_EXAMPLES=10000`` and random seeds (results in bench/RESULTS.md).
"""

from __future__ import annotations

import contextlib
import json
import shutil
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz_inputs import (
    csv_text,
    dump_yaml,
    examples,
    json_text,
    mutated_bytes,
    mutated_document,
    mutated_rows,
    outcome,
    write,
)
from report_fixtures import make_campaign_folder, make_night_folder

REPO = Path(__file__).resolve().parents[1]
CI_EXAMPLES = {  # about 2,000 cases, within 60 s on the 2-core CI machine
    "scenario": 400,
    "catalogue": 120,
    "campaign": 200,
    "tracker": 120,
    "threat_model": 250,
    "reports": 40,  # each accepted table is fitted (seconds of optimisation)
    "detections": 200,
    "truth": 200,
    "wta": 400,
    "results": 100,
}


def fuzz_settings(kind: str):
    """Bounded and derandomised in CI; ``LEAPSIM_FUZZ_EXAMPLES`` cases with random seeds."""
    n = examples()
    return settings(
        max_examples=n or CI_EXAMPLES[kind],
        derandomize=not n,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# --- scenario YAML ----------------------------------------------------------------------------


def _scenario_bases() -> list[dict]:
    data = resources.files("leapsim.scenario") / "data"
    files = sorted((REPO / "examples").glob("*.yaml")) + [
        Path(str(f)) for f in data.iterdir() if f.name.startswith("rzeszow")
    ]
    bases = []
    for path in files:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        base = doc.get("extends")
        if isinstance(base, str) and not base.startswith("builtin:"):
            doc["extends"] = "builtin:" + Path(base).stem
        bases.append(doc)
    return bases


SCENARIO_BASES = _scenario_bases()
EXTENDS = ["case.yaml", "other.yaml", "builtin:rzeszow_base", "builtin:nope", "missing.yaml", 5]


@st.composite
def scenario_files(draw: st.DrawFn) -> tuple[bytes, object]:
    doc = draw(mutated_document(draw(st.sampled_from(SCENARIO_BASES))))
    extends = draw(st.sampled_from([None] * 12 + EXTENDS))
    if extends is not None and isinstance(doc, dict):
        doc["extends"] = extends
    return draw(mutated_bytes(dump_yaml(doc), chance=0.2)), extends


@given(case=scenario_files())
@fuzz_settings("scenario")
def test_fuzz_scenario(work, case):
    """``leapsim validate``/``run``: load, resolve, then compile every scenario accepted."""
    from leapsim.engine import compile_scenario
    from leapsim.scenario import load_scenario

    data, _ = case
    path = write(work / "scen" / "case.yaml", data)
    write(work / "scen" / "other.yaml", "extends: case.yaml\nname: other\n")
    outcome("scenario", lambda: compile_scenario(load_scenario(path)))


# --- catalogue YAML ---------------------------------------------------------------------------

CATALOGUE = yaml.safe_load(
    (resources.files("leapsim.scenario") / "data" / "catalogue.yaml").read_text(encoding="utf-8")
)


@given(data=st.data())
@fuzz_settings("catalogue")
def test_fuzz_catalogue(work, data):
    from leapsim.scenario import load_catalogue

    doc = data.draw(mutated_document(CATALOGUE, max_mutations=4))
    path = write(work / "catalogue.yaml", data.draw(mutated_bytes(dump_yaml(doc))))
    outcome("catalogue", lambda: load_catalogue(path))


# --- campaign config --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def leap_params():
    from leapsim.engine import compile_scenario
    from leapsim.scenario import builtin_scenario

    return compile_scenario(builtin_scenario("rzeszow_leap"))


def campaign_base(params) -> dict:
    """The documented campaign file (docs/campaign.md) for the scenario's first fire unit."""
    munition = params.effector_types.names[int(params.unit_type[0])]
    nation = params.unit_nation[0]
    return {
        "pooling": "shared",
        "start_month_offset": 2,
        "depot_loads": 1.5,
        "site_repair_per_night": 0.1,
        "losses": {"target_fraction": 0.02, "kill_probability": 0.5, "radius_m": 5000},
        "horizon": {"leak_rate": 0.2},
        "munitions": {
            munition: {
                "consumable": True,
                "standardised": True,
                "depot": {nation: 48},
                "production": {
                    "rate_per_month": 40,
                    "initial_rate_per_month": 10,
                    "ramp_up_months": 6,
                    "lead_time_days": 120,
                    "learning_rate": 0.9,
                    "first_unit_cost_eur": 600000,
                    "produced_before": 0,
                    "shares": {nation: 1},
                },
            }
        },
    }


@given(data=st.data())
@fuzz_settings("campaign")
def test_fuzz_campaign(work, leap_params, data):
    """``leapsim campaign --config``: load against the scenario, then compile the plan."""
    from leapsim.campaign import compile_plan, load_campaign_config

    doc = data.draw(mutated_document(campaign_base(leap_params)))
    path = write(work / "campaign.yaml", data.draw(mutated_bytes(dump_yaml(doc))))

    def load_and_plan():
        compile_plan(leap_params, load_campaign_config(path, leap_params), 30)

    outcome("campaign", load_and_plan)


# --- tracker config, detections and truth tables ---------------------------------------------

TRACKER = {
    "dim": 2,
    "measurement_sigma_m": 10.0,
    "process_noise": [0.5, 2.0],
    "model_stay_probability": 0.95,
    "gate_probability": 0.99,
    "confirm_m": 2,
    "confirm_n": 3,
    "max_misses": 3,
    "initial_speed_sigma_mps": 50.0,
}


def scene_rows(targets: int = 3, scans: int = 8, seed: int = 0) -> tuple[list, list]:
    """Detections (time, x, y, z) and truth (time, target_id, x, y, z) rows as text."""
    rng = np.random.default_rng(seed)
    det = [["time", "x", "y", "z"]]
    truth = [["time", "target_id", "x", "y", "z"]]
    for t in range(scans):
        for i in range(targets):
            p = np.array([i * 2000.0, 30.0 * t, 300.0])
            truth.append([str(t), str(i), *(f"{v:.1f}" for v in p)])
            det.append([str(t), *(f"{v:.1f}" for v in p + rng.normal(0, 10, 3))])
    return det, truth


DETECTIONS, TRUTH = scene_rows()


@pytest.fixture(scope="module")
def valid_tables(work) -> dict[str, Path]:
    from leapsim.cli.track import track

    det = write(work / "valid" / "det.csv", csv_text(DETECTIONS))
    truth = write(work / "valid" / "truth.csv", csv_text(TRUTH))
    tracks = work / "valid" / "tracks.csv"
    track(det, tracks, None)
    return {"det": det, "truth": truth, "tracks": tracks}


@given(data=st.data())
@fuzz_settings("tracker")
def test_fuzz_tracker(work, valid_tables, data):
    """``leapsim track --config``: the tracker runs with every accepted setting."""
    from leapsim.cli.track import track

    doc = data.draw(mutated_document(TRACKER))
    path = write(work / "tracker.yaml", data.draw(mutated_bytes(dump_yaml(doc))))
    outcome("tracker", lambda: track(valid_tables["det"], work / "t_out.csv", path))


@given(data=st.data())
@fuzz_settings("detections")
def test_fuzz_detections(work, data):
    """``leapsim track``: read the table, track, write."""
    from leapsim.cli.track import track

    rows = data.draw(mutated_rows(DETECTIONS))
    path = write(work / "det.csv", data.draw(mutated_bytes(csv_text(rows))))
    outcome("detections", lambda: track(path, work / "d_out.csv", None))


@given(data=st.data(), fuzz_truth=st.booleans())
@fuzz_settings("truth")
def test_fuzz_truth(work, valid_tables, data, fuzz_truth):
    """``leapsim metrics ospa``: a damaged truth table, or a damaged tracks table."""
    from leapsim.cli.track import ospa_command

    base = TRUTH if fuzz_truth else [["time", "track_id", "x", "y", "z"], *TRUTH[1:]]
    rows = data.draw(mutated_rows(base))
    path = write(work / "fuzzed.csv", data.draw(mutated_bytes(csv_text(rows))))
    truth, tracks = (path, valid_tables["tracks"]) if fuzz_truth else (valid_tables["truth"], path)
    outcome("truth", lambda: ospa_command(truth, tracks, 100.0, 1.0, True))


# --- threat model YAML and report tables -----------------------------------------------------

THREAT_MODEL = yaml.safe_load(
    (resources.files("leapsim.threats") / "data" / "default_threat_model.yaml").read_text(
        encoding="utf-8"
    )
)


@given(data=st.data())
@fuzz_settings("threat_model")
def test_fuzz_threat_model(work, data):
    """``leapsim threat sample`` / ``campaign --threat-model``: load, then sample nights."""
    from leapsim.threats import load_threat_model, sample_raids

    doc = data.draw(mutated_document(THREAT_MODEL))
    path = write(work / "model.yaml", data.draw(mutated_bytes(dump_yaml(doc))))

    def load_and_sample():
        sample_raids(load_threat_model(path), 5, np.random.default_rng(0))

    outcome("threat_model", load_and_sample)


REPORT_HEADER = [
    "time_start",
    "time_end",
    "model",
    "launch_place",
    "target",
    "launched",
    "destroyed",
    "not_reach_goal",
    "is_shahed",
    "source",
]


def report_rows(nights: int = 40) -> list[list[str]]:
    """A small report table: Shahed-type drones every night, missiles on some."""
    rng = np.random.default_rng(3)
    day0 = np.datetime64("2025-03-01")
    rows = [REPORT_HEADER]
    for k in range(nights):
        when = [f"{day0 + k} 18:00", f"{day0 + k + 1} 08:00"]
        n = int(rng.integers(20, 200))
        rows.append([*when, "Shahed-136/131", "Kursk", "Ukraine", str(n), str(n - 10), "5", ""])
        rows[-1].append("kpszsu/posts/1")
        if k % 5 == 0:
            rows.append([*when, "Kh-101", "Saratov", "Ukraine", "8", "6", "", "", "kpszsu/posts/2"])
    return rows


REPORTS = report_rows()


@given(data=st.data())
@fuzz_settings("reports")
def test_fuzz_reports(work, data):
    """``leapsim threat fit``, then ``threat sample``: read the report rows, fit a model, save
    it, load it back and sample from it."""
    from leapsim.threats import (
        fit_threat_model,
        load_threat_model,
        read_reports,
        sample_raids,
        save_threat_model,
    )

    rows = data.draw(mutated_rows(REPORTS, max_mutations=6))
    path = write(work / "reports.csv", data.draw(mutated_bytes(csv_text(rows))))

    def fit_save_load_sample():
        save_threat_model(fit_threat_model(read_reports(path)), work / "fitted.yaml")
        sample_raids(load_threat_model(work / "fitted.yaml"), 3, np.random.default_rng(0))

    outcome("reports", fit_save_load_sample)


# --- WTA instance files -----------------------------------------------------------------------

WTA = [["2", "3", "2"], ["10"], ["5.5"], ["1"]] + [
    [str(i), str(j), f"{0.1 + 0.1 * (i + j):.2f}"] for i in range(2) for j in range(3)
]
HEADERS = ["100000 100000 3", "3 2 1000000000000", "1 1 0", "0 0 0", "-1 2 3", "2 3", "2 3 1 4"]


@st.composite
def wta_instances(draw: st.DrawFn) -> list[list[str]]:
    """A valid instance of up to 6 types x 6 targets, with edge values (0 and 1) likely."""
    m, n, mu = draw(st.integers(1, 6)), draw(st.integers(1, 6)), draw(st.integers(0, 4))
    value = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0, 1e6))
    pk = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0, 1))
    rows = [[str(m), str(n), str(mu)]] + [[repr(draw(value))] for _ in range(n)]
    return rows + [[str(i), str(j), repr(draw(pk))] for i in range(m) for j in range(n)]


@given(data=st.data(), how=st.sampled_from(["valid", "valid", "damaged", "header"]))
@fuzz_settings("wta")
def test_fuzz_wta(work, data, how):
    """``leapsim wta solve``: read the instance, then solve it (greedy)."""
    from leapsim.c2.wta import read_instance, solve

    base = data.draw(st.one_of(st.just(WTA), wta_instances()))
    rows = data.draw(mutated_rows(base)) if how == "damaged" else base
    text = "\n".join(" ".join(r) for r in rows) + "\n"
    if how == "header":
        text = data.draw(st.sampled_from(HEADERS)) + "\n" + text.split("\n", 1)[1]
    path = write(work / "wta.txt", data.draw(mutated_bytes(text)))
    outcome("wta", lambda: solve(read_instance(path), method="greedy", time_limit=1.0))


# --- results folders for the report -----------------------------------------------------------


@pytest.fixture(scope="module")
def results_bases(work) -> list[Path]:
    night = make_night_folder(work / "base_night", runs=5, threats=12, points_per_leg=4)
    campaign = make_campaign_folder(work / "base_campaign", runs=4, nights=6)
    return [night, campaign]


def _damage_parquet(path: Path, op: str, column: int) -> None:
    table = pq.read_table(path)
    name = table.column_names[column % table.num_columns]
    if op == "drop":
        table = table.drop_columns([name])
    elif op == "text":
        values = pa.array([str(v) + "x" for v in table.column(name).to_pylist()])
        table = table.set_column(column % table.num_columns, name, values)
    elif op == "null":
        table = table.set_column(
            column % table.num_columns, name, pa.nulls(table.num_rows, table.column(name).type)
        )
    elif op == "empty":
        table = table.slice(0, 0)
    elif op == "nan":
        values = np.full(table.num_rows, np.nan)
        table = table.set_column(column % table.num_columns, name, pa.array(values))
    pq.write_table(table, path)


@given(data=st.data())
@fuzz_settings("results")
def test_fuzz_results(work, results_bases, data):
    """``leapsim report``: a results folder with a file missing, cut short, damaged, or holding
    wrong values, renders or names the file at fault."""
    from leapsim.report import build_report

    base = data.draw(st.sampled_from(results_bases))
    folder = work / "case_results"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(base, folder)
    for _ in range(data.draw(st.integers(1, 2))):
        files = sorted(p for p in folder.iterdir() if p.is_file())
        if not files:
            break
        target = data.draw(st.sampled_from(files))
        op = data.draw(st.sampled_from(["delete", "truncate", "bytes", "values", "values"]))
        raw = target.read_bytes()
        if op == "delete":
            target.unlink()
        elif op == "truncate":
            target.write_bytes(raw[: data.draw(st.integers(0, max(0, len(raw) - 1)))])
        elif op == "bytes":
            target.write_bytes(data.draw(mutated_bytes(raw.decode("latin-1"), chance=1.0)))
        elif target.suffix == ".json":
            try:
                doc = json.loads(raw)
            except ValueError:
                continue  # damaged by the first change
            doc = data.draw(mutated_document(doc, max_mutations=4))
            target.write_text(json_text(doc), encoding="utf-8")
        else:
            parquet_op = data.draw(st.sampled_from(["drop", "text", "null", "empty", "nan"]))
            with contextlib.suppress(pa.ArrowInvalid, OSError):  # damaged by the first change
                _damage_parquet(target, parquet_op, data.draw(st.integers(0, 50)))
    outcome("results", lambda: build_report([folder]))


# --- through the command line -----------------------------------------------------------------


def test_cli_cases_exit_2_with_file_and_line(cli, tmp_path):
    """A few fuzz findings, as a user meets them: exit 2, ``file:line:`` and no traceback."""
    cases = {
        "huge.yaml": "name: x\nsites:\n  - {name: a, lat: 50, lon: 20, value_eur: 9"
        + "9" * 5000
        + ", nation: PL}\n",
        "laughs.yaml": "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n"
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "self.yaml": "name: &n [1, *n]\n",
    }
    for name, text in cases.items():
        path = write(tmp_path / name, text)
        result = cli("validate", path)
        assert result.exit_code == 2, (name, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert f"{path}:" in result.stderr, result.stderr
    # sizes the file does not hold are refused before the 80 GB matrix would be made
    wta = write(tmp_path / "big.txt", "100000 100000 3\n" + "1\n" * 100_000)
    result = cli("wta", "solve", wta)
    assert result.exit_code == 2 and f"{wta}:100002: probabilities:" in result.stderr
    wta = write(tmp_path / "many.txt", "3 2 1000000000000\n")
    result = cli("wta", "solve", wta)
    assert result.exit_code == 2 and f"{wta}:1: mu:" in result.stderr, result.stderr
