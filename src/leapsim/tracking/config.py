"""Tracker configuration file (YAML) of ``leapsim track``: the :class:`TrackerParams` settings
plus the measurement σ of detections that come without covariances, read with the project's
YAML loader (errors name file, line and field; unknown keys get a did-you-mean hint)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from leapsim.scenario.loader import read_yaml, validate_model
from leapsim.tracking.tracker import TrackerParams


class TrackerConfig(TrackerParams):
    """Settings of ``leapsim track``; see :class:`TrackerParams` for the tracker's. ``dim``
    left out of the file follows the detections (3 with a z column, else 2)."""

    measurement_sigma_m: float = Field(
        10.0, gt=0, description="1σ position error per axis of detections without covariance, m"
    )

    def params(self, dim: int) -> TrackerParams:
        """The tracker settings, with ``dim`` unless the file gave one."""
        data = self.model_dump(exclude={"measurement_sigma_m"})
        if "dim" not in self.model_fields_set:
            data["dim"] = dim
        return TrackerParams.model_validate(data)


def load_tracker_config(path: str | Path) -> TrackerConfig:
    """Read and validate a tracker YAML file, or raise :class:`InputError` naming file:line."""
    data, smap = read_yaml(path)
    return validate_model(TrackerConfig, {} if data is None else data, smap, str(path))
