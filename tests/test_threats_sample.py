"""The raid sampler: shape, determinism, scaling, trend handling (leapsim.threats)."""

from __future__ import annotations

import numpy as np
import pytest

from leapsim.threats import (
    FAMILIES,
    NIGHTS_PER_MONTH,
    ThreatModel,
    load_default_threat_model,
    month_index,
    sample_raids,
)
from leapsim.threats.distributions import sample_ztnb, stochastic_round, ztnb_cdf, ztnb_logpmf


@pytest.fixture(scope="module")
def model() -> ThreatModel:
    return load_default_threat_model()


def test_shape_dtype_and_determinism(model: ThreatModel):
    a = sample_raids(model, 90, np.random.default_rng(7))
    b = sample_raids(model, 90, np.random.default_rng(7))
    c = sample_raids(model, 90, np.random.default_rng(8))
    assert tuple(a) == FAMILIES
    for family in FAMILIES:
        assert a[family].shape == (90,) and a[family].dtype == np.int64
        assert (a[family] >= 0).all()
        np.testing.assert_array_equal(a[family], b[family])
    assert any((a[f] != c[f]).any() for f in FAMILIES)
    empty = sample_raids(model, 0, np.random.default_rng(7))
    assert all(v.shape == (0,) for v in empty.values())


def test_invalid_arguments(model: ThreatModel):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="nights"):
        sample_raids(model, -1, rng)
    with pytest.raises(ValueError, match="nights"):
        sample_raids(model, 2.5, rng)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="threat_scale"):
        sample_raids(model, 3, rng, threat_scale=-0.1)
    with pytest.raises(ValueError, match="threat_scale"):
        sample_raids(model, 3, rng, threat_scale=float("nan"))


def test_threat_scale_is_coupled_and_exact_in_mean(model: ThreatModel):
    full = sample_raids(model, 2000, np.random.default_rng(11))
    half = sample_raids(model, 2000, np.random.default_rng(11), threat_scale=0.5)
    none = sample_raids(model, 2000, np.random.default_rng(11), threat_scale=0.0)
    for family in FAMILIES:
        # same draws up to the final stochastic rounding: within one of half the count
        assert np.all(np.abs(half[family] - 0.5 * full[family]) < 1.0)
        assert not none[family].any()
    total_full = sum(full[f].sum() for f in FAMILIES)
    total_half = sum(half[f].sum() for f in FAMILIES)
    assert total_half / total_full == pytest.approx(0.5, abs=0.005)


def test_month_index_and_trend_cap(model: ThreatModel):
    t = month_index(model, 3, start_month_offset=-model.months)
    np.testing.assert_allclose(t, (np.arange(3) + 0.5) / NIGHTS_PER_MONTH)
    cap = model.months + model.max_extrapolation_months
    assert month_index(model, 5, start_month_offset=100.0) == pytest.approx(np.full(5, cap))
    # beyond the cap the raids no longer depend on the offset
    far = sample_raids(model, 50, np.random.default_rng(2), start_month_offset=100.0)
    farther = sample_raids(model, 50, np.random.default_rng(2), start_month_offset=200.0)
    for family in FAMILIES:
        np.testing.assert_array_equal(far[family], farther[family])


def test_trend_raises_recent_raids(model: ThreatModel):
    assert model.shahed_type.log_mean_per_month > 0
    rng = np.random.default_rng(4)

    def month_mean(offset: float) -> float:
        runs = [sample_raids(model, 30, rng, start_month_offset=offset) for _ in range(100)]
        return float(np.mean([r["drone"] + r["decoy"] for r in runs]))

    # the first month of the window against the first month after it
    assert month_mean(0.0) > 1.5 * month_mean(-model.months)


def test_decoy_share_and_missile_coupling(model: ThreatModel):
    raids = sample_raids(model, 20_000, np.random.default_rng(5), start_month_offset=-model.months)
    shahed = raids["drone"] + raids["decoy"]
    assert raids["decoy"].sum() / shahed.sum() == pytest.approx(model.decoy.mean, abs=0.005)
    big = shahed >= np.quantile(shahed, 0.9)
    small = shahed <= np.quantile(shahed, 0.5)
    for family in ("cruise_missile", "ballistic_missile"):
        assert (raids[family][big] > 0).mean() > 2 * (raids[family][small] > 0).mean()


def test_absent_family_and_no_decoys(model: ThreatModel):
    decoy = model.decoy.model_copy(update={"mean": 0.0})
    bare = model.model_copy(update={"cruise_missile": None, "decoy": decoy})
    raids = sample_raids(bare, 500, np.random.default_rng(6))
    assert not raids["cruise_missile"].any() and not raids["decoy"].any()
    assert raids["drone"].sum() > 0 and raids["ballistic_missile"].sum() > 0


def test_ztnb_helpers_agree():
    rng = np.random.default_rng(9)
    mu, r = np.full(200_000, 3.0), np.full(200_000, 1.5)
    draws = sample_ztnb(rng, mu, r)
    assert draws.min() >= 1
    k = np.arange(1, 40, dtype=np.float64)
    pmf = np.exp(ztnb_logpmf(k, 3.0, 1.5))
    np.testing.assert_allclose(np.cumsum(pmf), ztnb_cdf(k, 3.0, 1.5), rtol=1e-9)
    assert ztnb_cdf(0.0, 3.0, 1.5) == 0.0
    # ZTNB mean = mu / (1 - P0), P0 = (r / (r + mu))^r
    p0 = (1.5 / 4.5) ** 1.5
    assert draws.mean() == pytest.approx(3.0 / (1 - p0), rel=0.01)
    rounded = stochastic_round(rng, np.full(100_000, 2.3))
    assert set(np.unique(rounded)) == {2, 3}
    assert rounded.mean() == pytest.approx(2.3, abs=0.01)
