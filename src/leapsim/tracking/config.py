"""Tracker configuration file (YAML) of ``leapsim track``: the :class:`TrackerParams` settings
plus the measurement σ of detections that come without covariances. The file is read with
:func:`leapsim.yaml_files.load_model` (errors name file, line and field)."""

from __future__ import annotations

from pydantic import Field

from leapsim.tracking.tracker import TrackerParams


class TrackerConfig(TrackerParams):
    """Settings of ``leapsim track``; see :class:`TrackerParams` for the tracker's. ``dim``
    left out of the file follows the detections (3 with a z column, else 2)."""

    measurement_sigma_m: float = Field(
        10.0,
        gt=0,
        le=1e6,
        description="1σ position error per axis of detections without covariance, m",
    )

    def params(self, dim: int) -> TrackerParams:
        """The tracker settings, with ``dim`` unless the file gave one."""
        data = self.model_dump(exclude={"measurement_sigma_m"})
        if "dim" not in self.model_fields_set:
            data["dim"] = dim
        return TrackerParams.model_validate(data)
