"""Sensor parameters as struct-of-arrays, one entry per sensor.

Field names follow the scenario catalogue: ``kind`` (radar | acoustic | eo_ir | rf),
``detection_range_m`` (range at which a single scan detects a ``reference_rcs_m2`` target with
probability 0.9), ``reference_rcs_m2``, ``scan_period_s``, ``range_sigma_m``,
``azimuth_sigma_rad``, ``elevation_sigma_rad``, ``false_alarms_per_scan``, ``antenna_height_m``
and ``position`` (site position, ENU metres; the antenna sits ``antenna_height_m`` above it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

KINDS: tuple[str, ...] = ("radar", "acoustic", "eo_ir", "rf")
RADAR, ACOUSTIC, EO_IR, RF = 0, 1, 2, 3

#: Probability of false alarm per resolution cell assumed when a sensor gives none; it sets the
#: detection threshold in the Pd(SNR) curve (1e-6 is the textbook surveillance-radar value).
DEFAULT_PFA = 1e-6

#: A sensor reports (targets and false alarms) out to this multiple of its detection range. For
#: a radar and its reference target, Pd has fallen to about 0.2 there (SNR 12 dB below reference).
INSTRUMENTED_RANGE_FACTOR = 2.0


@dataclass(frozen=True)
class SensorArrays:
    """S sensors; every attribute is an array with leading dimension S (SI units)."""

    kind: np.ndarray  # (S,) int8 index into KINDS
    position: np.ndarray  # (S, 3) ENU m, site (ground) position
    detection_range_m: np.ndarray
    reference_rcs_m2: np.ndarray
    scan_period_s: np.ndarray
    range_sigma_m: np.ndarray
    azimuth_sigma_rad: np.ndarray
    elevation_sigma_rad: np.ndarray
    false_alarms_per_scan: np.ndarray
    antenna_height_m: np.ndarray
    pfa: np.ndarray  # (S,) false-alarm probability per cell that sets the threshold

    def __post_init__(self) -> None:
        n = self.kind.shape[0]
        for f in fields(self):
            value = getattr(self, f.name)
            if value.shape[0] != n:
                raise ValueError(f"sensor field {f.name} has {value.shape[0]} rows, expected {n}")
        if self.position.shape != (n, 3):
            raise ValueError(f"sensor position must be (S, 3), got {self.position.shape}")
        if np.any(self.detection_range_m <= 0) or np.any(self.reference_rcs_m2 <= 0):
            raise ValueError("detection_range_m and reference_rcs_m2 must be positive")
        if np.any((self.pfa <= 0) | (self.pfa >= 1)):
            raise ValueError("pfa must lie in (0, 1)")

    def __len__(self) -> int:
        return int(self.kind.shape[0])

    @property
    def antenna_position(self) -> np.ndarray:
        """(S, 3) ENU m of the antenna (site position raised by the antenna height)."""
        out = self.position.copy()
        out[:, 2] += self.antenna_height_m
        return out

    @property
    def max_range_m(self) -> np.ndarray:
        """(S,) instrumented range: the sensor reports nothing beyond it."""
        return INSTRUMENTED_RANGE_FACTOR * self.detection_range_m

    @classmethod
    def from_records(cls, records: Sequence[Mapping[str, Any]]) -> SensorArrays:
        """Build from one mapping per sensor (catalogue entry merged with a site position).

        ``pfa`` is optional (default :data:`DEFAULT_PFA`); ``kind`` is a name from :data:`KINDS`.
        """

        def col(name: str, default: float | None = None) -> np.ndarray:
            values = [r.get(name, default) for r in records]
            if any(v is None for v in values):
                raise ValueError(f"every sensor needs {name!r}")
            return np.asarray(values, dtype=np.float64)

        kinds = [r["kind"] for r in records]
        unknown = sorted({k for k in kinds if k not in KINDS})
        if unknown:
            raise ValueError(f"unknown sensor kind(s) {unknown}; expected one of {KINDS}")
        position = np.asarray([r["position"] for r in records], dtype=np.float64).reshape(-1, 3)
        return cls(
            kind=np.asarray([KINDS.index(k) for k in kinds], dtype=np.int8),
            position=position,
            detection_range_m=col("detection_range_m"),
            reference_rcs_m2=col("reference_rcs_m2", 1.0),
            scan_period_s=col("scan_period_s"),
            range_sigma_m=col("range_sigma_m"),
            azimuth_sigma_rad=col("azimuth_sigma_rad"),
            elevation_sigma_rad=col("elevation_sigma_rad"),
            false_alarms_per_scan=col("false_alarms_per_scan", 0.0),
            antenna_height_m=col("antenna_height_m", 0.0),
            pfa=col("pfa", DEFAULT_PFA),
        )

    def subset(self, index: np.ndarray) -> SensorArrays:
        """The sensors selected by an index array or boolean mask."""
        return SensorArrays(**{f.name: getattr(self, f.name)[index] for f in fields(self)})
