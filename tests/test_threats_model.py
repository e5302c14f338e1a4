"""Threat-model fitting, YAML round trip and bad YAML (leapsim.threats)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from leapsim.errors import InputError
from leapsim.threats import (
    NIGHTS_PER_MONTH,
    ThreatModel,
    fit_threat_model,
    load_default_threat_model,
    load_threat_model,
    read_reports,
    resolve_threat_model,
    sample_raids,
    save_threat_model,
)
from leapsim.threats.model import threat_model_yaml
from leapsim.threats.sample import replay_window

WEAPON_NAMES = {
    "cruise_missile": "X-101/X-555",
    "ballistic_missile": "Iskander-M",
    "other": "X-31P",
}


def write_synthetic_reports(path: Path, raids: dict[str, np.ndarray], start: dt.date) -> None:
    """Write sampled raids in the Air Force report format, one night per 18:00-08:00 report.

    ``is_shahed`` is filled from 2025-07-14 on only, as in the real reports.
    """
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(
            ["time_start", "time_end", "model", "target", "launched", "is_shahed", "source"]
        )
        for i in range(raids["drone"].size):
            day = start + dt.timedelta(days=i)
            span = [f"{day} 18:00", f"{day + dt.timedelta(days=1)} 08:00"]
            shahed = int(raids["drone"][i] + raids["decoy"][i])
            real = int(raids["drone"][i]) if day >= dt.date(2025, 7, 14) else ""
            if shahed:
                out.writerow([*span, "Shahed-136/131", "Ukraine", shahed, real, "kpszsu/posts/s"])
            for family, name in WEAPON_NAMES.items():
                if raids[family][i]:
                    out.writerow([*span, name, "Ukraine", int(raids[family][i]), "", "kpszsu/p"])


@pytest.fixture(scope="module")
def default_model() -> ThreatModel:
    return load_default_threat_model()


@pytest.fixture(scope="module")
def refitted(default_model: ThreatModel, tmp_path_factory) -> ThreatModel:
    """A model fitted to one synthetic replay of the default model's window."""
    raids = sample_raids(
        default_model,
        default_model.fit.nights,
        np.random.default_rng(20261123),
        start_month_offset=-default_model.months,
    )
    path = tmp_path_factory.mktemp("synthetic") / "reports.csv"
    write_synthetic_reports(path, raids, default_model.fit.window_start)
    return fit_threat_model(read_reports(path))


def test_default_model_is_attributed_and_complete(default_model: ThreatModel):
    assert "Petro Ivaniuk" in default_model.source.digitised_by
    assert "Air Force" in default_model.source.publisher
    assert "piterfm/massive-missile-attacks-on-ukraine" in default_model.source.url
    assert default_model.fit.window_start == dt.date(2025, 1, 1)
    assert default_model.fit.window_end >= dt.date(2026, 6, 1)
    assert default_model.shahed_type.massed is not None
    assert default_model.cruise_missile is not None
    assert default_model.ballistic_missile is not None
    assert resolve_threat_model("default") == default_model


def test_fit_recovers_the_generating_model(default_model: ThreatModel, refitted: ThreatModel):
    truth, fit = default_model.shahed_type, refitted.shahed_type
    assert refitted.fit.nights == default_model.fit.nights
    assert fit.attack_probability == pytest.approx(truth.attack_probability, abs=0.02)
    assert fit.log_mean_per_month == pytest.approx(truth.log_mean_per_month, abs=0.02)
    assert fit.massed is not None  # BIC keeps the two-component mixture
    assert fit.routine.log_mean == pytest.approx(truth.routine.log_mean, abs=0.25)
    assert fit.massed.log_mean == pytest.approx(truth.massed.log_mean, abs=0.3)
    assert refitted.decoy.basis == "window"
    assert refitted.decoy.basis_start == dt.date(2025, 7, 14)
    assert refitted.decoy.mean == pytest.approx(default_model.decoy.mean, abs=0.01)
    # cruise missiles follow massed drone raids, in the refit as in the truth
    assert refitted.cruise_missile.presence.massed > 2.0
    for family in ("shahed_type", "cruise_missile", "ballistic_missile"):
        observed = getattr(refitted.observed, family).monthly_total
        expected = getattr(default_model.observed, family).monthly_total
        assert observed == pytest.approx(expected, rel=0.25), family


def test_short_window_fits_no_trend(refitted: ThreatModel, tmp_path: Path):
    raids = sample_raids(refitted, 60, np.random.default_rng(3))
    path = tmp_path / "short.csv"
    write_synthetic_reports(path, raids, dt.date(2026, 1, 1))
    short = fit_threat_model(read_reports(path))
    assert short.fit.nights == 60
    assert short.shahed_type.log_mean_per_month == 0.0
    assert short.max_extrapolation_months == pytest.approx(30 / NIGHTS_PER_MONTH, rel=1e-5)
    replay = replay_window(short, np.random.default_rng(1), runs=200)
    simulated = (replay["drone"] + replay["decoy"]).mean() * NIGHTS_PER_MONTH
    assert simulated == pytest.approx(short.observed.shahed_type.monthly_total, rel=0.1)


def test_too_few_drone_nights_is_an_input_error(tmp_path: Path):
    path = tmp_path / "few.csv"
    path.write_text(
        "time_start,time_end,model,launched\n2025-01-01 18:00,2025-01-02 08:00,Kalibr,5\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="Shahed-type"):
        fit_threat_model(read_reports(path))


def test_yaml_round_trip(refitted: ThreatModel, tmp_path: Path):
    path = tmp_path / "model.yaml"
    save_threat_model(refitted, path)
    loaded = load_threat_model(path)
    assert loaded == refitted
    assert threat_model_yaml(loaded) == path.read_text(encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    assert "Petro Ivaniuk" in text.splitlines()[2]


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_bad_yaml_names_file_line_and_field(default_model: ThreatModel, tmp_path: Path):
    good = threat_model_yaml(default_model)
    path = tmp_path / "bad.yaml"

    def problems(text: str):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InputError) as info:
            load_threat_model(path)
        return info.value.problems

    # unknown key, nested
    text = good.replace("  attack_probability:", "  attack_probabilty:", 1)
    found = problems(text)
    unknown = next(p for p in found if "unknown key" in p.message)
    assert unknown.line == _line_of(text, "attack_probabilty")
    assert unknown.field == "shahed_type.attack_probabilty"
    assert unknown.file == str(path)
    # wrong value
    text = good.replace("    dispersion: ", "    dispersion: -", 1)
    (bad,) = problems(text)
    assert bad.field == "shahed_type.routine.dispersion"
    assert bad.line == _line_of(text, "dispersion: -")
    # a structural rule
    text = good.replace("  massed_weight:", "  unused_weight:", 1)
    assert any(p.field == "shahed_type.unused_weight" for p in problems(text))
    # broken YAML syntax
    text = good.replace("decoy:\n", "decoy: [\n", 1)
    (syntax,) = problems(text)
    assert "invalid YAML" in syntax.message and syntax.line is not None
    # not a mapping
    assert "mapping" in problems("- 1\n- 2\n")[0].message
    with pytest.raises(InputError, match="file not found"):
        load_threat_model(tmp_path / "missing.yaml")


def test_default_model_matches_a_fresh_fit(shared_data: Path, default_model: ThreatModel):
    """The shipped default is exactly what `leapsim threat fit` gives on the real file."""
    rows = read_reports(shared_data / "ukraine" / "missile_attacks_daily.csv")
    if rows.sha256 != default_model.source.file_sha256:
        pytest.skip("the shared report file differs from the one the default was fitted on")
    fresh = fit_threat_model(
        rows, np.datetime64("2025-01-01"), np.datetime64("2026-06-30"), name=default_model.name
    )
    a = fresh.model_dump(exclude={"fit": {"leapsim_version"}})
    b = default_model.model_dump(exclude={"fit": {"leapsim_version"}})
    np.testing.assert_equal(a.keys(), b.keys())
    for key in ("shahed_type", "decoy", "cruise_missile", "ballistic_missile", "observed"):
        _assert_close(a[key], b[key], key)


def _assert_close(a, b, where: str) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _assert_close(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, float):
        assert a == pytest.approx(b, rel=1e-3, abs=1e-4), where
    else:
        assert a == b, where
