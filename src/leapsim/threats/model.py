"""The fitted threat model: parameters, attribution and fit window, saved as YAML.

Only fitted parameters and summary statistics are stored, never report rows. The equations
behind the parameters are in :mod:`leapsim.threats.fit` and ``docs/threat_model.md``.
Month indices ``t`` count months (of 365.25/12 nights) from the start of the fit window.
"""

from __future__ import annotations

import datetime as dt
import os
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from leapsim.atomic import write_text_atomic
from leapsim.errors import InputError
from leapsim.threats.nights import NIGHTS_PER_MONTH
from leapsim.yaml_files import load_model

Probability = float


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceInfo(_Strict):
    """Where the fitted data came from, and whom to credit."""

    dataset: str
    url: str
    publisher: str
    digitised_by: str
    file: str
    file_sha256: str
    licence: str
    caveat: str


class FitInfo(_Strict):
    """The fit window and how the rows were used."""

    window_start: dt.date
    window_end: dt.date
    nights: int = Field(ge=1)
    shahed_attack_nights: int = Field(ge=0)
    rows_national: int = Field(ge=0)
    rows_regional_used: int = Field(ge=0)
    rows_regional_dropped: int = Field(ge=0)
    rows_without_launched: int = Field(ge=0)
    unmapped_models: list[str] = Field(default_factory=list)
    night_rule: str
    regional_rule: str
    leapsim_version: str

    @model_validator(mode="after")
    def _window(self) -> FitInfo:
        if self.window_end < self.window_start:
            raise ValueError("window_end is before window_start")
        return self


class CountingChange(_Strict):
    """The August 2025 change: "locationally lost" drones moved into ``destroyed``.

    Shares are of launched Shahed-type drones in the fit window, before and from ``date``; the
    harmonised share (destroyed + not_reach_goal) is comparable across the change. They describe
    Ukrainian claims and are not used by the sampler.
    """

    date: dt.date
    treatment: str
    destroyed_share_before: Probability | None = Field(default=None, ge=0, le=1)
    harmonised_share_before: Probability | None = Field(default=None, ge=0, le=1)
    destroyed_share_after: Probability | None = Field(default=None, ge=0, le=1)
    harmonised_share_after: Probability | None = Field(default=None, ge=0, le=1)


class NBComponent(_Strict):
    """A negative-binomial component: log mean at t = 0 and dispersion r."""

    log_mean: float
    dispersion: float = Field(gt=0)


class Logistic(_Strict):
    """logit p(t) = intercept + per_month * t."""

    intercept: float
    per_month: float


class ShahedTypeModel(_Strict):
    """Shahed-type drones per night (real Shaheds and decoys together).

    P(attack) = attack_probability; on an attack night the count is ZTNB(mu_1(t), r_1) ("routine")
    or, with probability w(t), ZTNB(mu_2(t), r_2) ("massed"), with
    log mu_k(t) = log_mean_k + log_mean_per_month * t and logit w(t) = a + b t.
    """

    attack_probability: Probability = Field(ge=0, le=1)
    log_mean_per_month: float
    routine: NBComponent
    massed: NBComponent | None = None
    massed_weight: Logistic | None = None

    @model_validator(mode="after")
    def _mixture(self) -> ShahedTypeModel:
        if (self.massed is None) != (self.massed_weight is None):
            raise ValueError("give both massed and massed_weight, or neither")
        if self.massed is not None and self.massed.log_mean <= self.routine.log_mean:
            raise ValueError("the massed component must have a larger log_mean than routine")
        return self


class DecoyShare(_Strict):
    """Decoy share per night q ~ Beta(mean * k, (1 - mean) * k), decoys ~ Binomial(n, q)."""

    mean: Probability = Field(ge=0, lt=1)
    concentration: float = Field(gt=0)
    basis: Literal["window", "file", "none"]
    basis_nights: int = Field(ge=0)
    basis_start: dt.date | None = None
    basis_end: dt.date | None = None


class Presence(_Strict):
    """logit P(family present) = intercept + drone_z * z + massed * pi + per_month * t."""

    intercept: float
    drone_z: float
    massed: float
    per_month: float


class Size(_Strict):
    """Count when present ~ ZTNB(mu, r), log mu = log_mean + drone_z z + massed pi + per_month t."""

    log_mean: float
    drone_z: float
    massed: float
    per_month: float
    dispersion: float = Field(gt=0)


class FamilyModel(_Strict):
    """A missile family conditioned on the night's drone raid: its quantile z and the
    probability pi that it is a massed raid."""

    presence: Presence
    size: Size


class ObservedFamily(_Strict):
    """Summary of the fitted nights (not used by the sampler)."""

    attack_night_fraction: Probability = Field(ge=0, le=1)
    mean_on_attack_nights: float = Field(ge=0)
    monthly_total: float = Field(ge=0)


class Observed(_Strict):
    shahed_type: ObservedFamily
    cruise_missile: ObservedFamily
    ballistic_missile: ObservedFamily
    other: ObservedFamily
    decoy_share: Probability | None = Field(default=None, ge=0, le=1)


class ThreatModel(_Strict):
    """A fitted raid model: frequencies, sizes with trend, missile coupling and decoy share."""

    format: Literal["leapsim-threat-model"] = "leapsim-threat-model"
    format_version: Literal[1] = 1
    name: str
    description: str
    source: SourceInfo
    fit: FitInfo
    counting_change: CountingChange
    max_extrapolation_months: float = Field(ge=0)
    shahed_type: ShahedTypeModel
    decoy: DecoyShare
    cruise_missile: FamilyModel | None
    ballistic_missile: FamilyModel | None
    other: FamilyModel | None
    observed: Observed

    @property
    def months(self) -> float:
        """Length of the fit window in months."""
        return self.fit.nights / NIGHTS_PER_MONTH


_HEADER = (
    "# leapsim threat model: fitted parameters only, no report rows.\n"
    "# Data: Air Force Command of the Armed Forces of Ukraine daily reports, digitised by\n"
    "# Petro Ivaniuk (Kaggle piterfm/massive-missile-attacks-on-ukraine). Credit both.\n"
    "# Equations: docs/threat_model.md\n"
)


def threat_model_yaml(model: ThreatModel) -> str:
    """The YAML text of ``model`` (with an attribution header)."""
    body = yaml.safe_dump(
        model.model_dump(mode="json"), sort_keys=False, allow_unicode=True, width=100
    )
    return _HEADER + body


def save_threat_model(model: ThreatModel, path: str | os.PathLike[str]) -> None:
    """Write ``model`` to ``path`` as YAML, atomically."""
    write_text_atomic(path, threat_model_yaml(model))


def load_threat_model(path: str | os.PathLike[str]) -> ThreatModel:
    """Read a threat-model YAML; unknown keys and bad values raise :class:`InputError`."""
    p = Path(path)
    if not p.is_file():
        raise InputError.at(
            "file not found", file=str(p), hint="give a model YAML or the word 'default'"
        )
    return load_model(ThreatModel, p)


def load_default_threat_model() -> ThreatModel:
    """The packaged model fitted on recent reports (see ``docs/threat_model.md``)."""
    ref = resources.files("leapsim.threats").joinpath("data", "default_threat_model.yaml")
    with resources.as_file(ref) as path:
        return load_threat_model(path)


def resolve_threat_model(name: str | os.PathLike[str]) -> ThreatModel:
    """``"default"`` gives the packaged model; anything else is a YAML path."""
    if str(name) == "default":
        return load_default_threat_model()
    return load_threat_model(name)
