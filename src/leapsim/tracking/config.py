"""Tracker configuration file (YAML), validated with pydantic; errors name file, line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from leapsim.errors import InputError, Problem
from leapsim.tracking.tracker import TrackerParams


class TrackerConfig(BaseModel):
    """Settings of ``leapsim track``; see :class:`TrackerParams` for their meaning."""

    model_config = ConfigDict(extra="forbid")

    dim: Literal[2, 3] | None = Field(
        None, description="2 or 3; default: 3 when the detections have a z column, else 2"
    )
    measurement_sigma_m: float = Field(10.0, gt=0, description="1σ position error per axis (m)")
    process_noise: list[Annotated[float, Field(ge=0)]] = Field(
        default_factory=lambda: list(TrackerParams().process_noise), min_length=1
    )
    model_stay_probability: float = Field(0.95, gt=0, le=1)
    gate_probability: float = Field(0.99, gt=0, lt=1)
    confirm_m: int = Field(3, ge=1)
    confirm_n: int = Field(4, ge=1, le=30)
    max_misses: int = Field(3, ge=1)
    initial_speed_sigma_mps: float = Field(50.0, gt=0)

    @model_validator(mode="after")
    def _check(self) -> TrackerConfig:
        if self.confirm_m > self.confirm_n:
            raise ValueError("confirm_m must not exceed confirm_n")
        return self

    def params(self, dim: int) -> TrackerParams:
        return TrackerParams(
            dim=dim,
            process_noise=tuple(self.process_noise),
            model_stay_probability=self.model_stay_probability,
            gate_probability=self.gate_probability,
            confirm_m=self.confirm_m,
            confirm_n=self.confirm_n,
            max_misses=self.max_misses,
            initial_speed_sigma_mps=self.initial_speed_sigma_mps,
        )


def load_tracker_config(path: str | Path) -> TrackerConfig:
    """Read and validate a tracker YAML file, or raise :class:`InputError` naming file:line."""
    p = Path(path)
    if not p.is_file():
        raise InputError.at("file not found", file=str(p))
    text = p.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError.at(
            f"invalid YAML: {getattr(exc, 'problem', exc)}",
            file=str(p),
            line=mark.line + 1 if mark else None,
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError.at("the tracker config must be a mapping of settings", file=str(p), line=1)
    lines = {}
    if isinstance(node, yaml.MappingNode):
        lines = {k.value: k.start_mark.line + 1 for k, _ in node.value}
    try:
        return TrackerConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            # the only model-level check compares confirm_m with confirm_n
            key = str(err["loc"][0]) if err["loc"] else "confirm_m"
            if err["type"] == "extra_forbidden":
                message = "unknown setting"
                hint = f"known settings: {', '.join(TrackerConfig.model_fields)}"
            else:
                message, hint = err["msg"], None
            problems.append(
                Problem(message, file=str(p), line=lines.get(key), field=key, hint=hint)
            )
        raise InputError(problems) from None
