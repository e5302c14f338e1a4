"""Detection batches (struct-of-arrays) and the spherical measurement-noise model.

A sensor measures range, azimuth (clockwise from north) and elevation with independent Gaussian
errors; the reported position is the noisy spherical measurement converted to ENU, and its
covariance is the linearised conversion ``J diag(σr², σa², σe²) Jᵀ`` evaluated at the reported
point (Bar-Shalom, Li & Kirubarajan, *Estimation with Applications to Tracking and Navigation*,
Wiley 2001, §10.4.3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np


@dataclass(frozen=True)
class Detections:
    """K detections: parallel arrays, one row per detection (a false alarm has ``target`` −1)."""

    time: np.ndarray  # (K,) s
    sensor: np.ndarray  # (K,) int64 sensor index
    position: np.ndarray  # (K, 3) ENU m
    covariance: np.ndarray  # (K, 3, 3) m²
    target: np.ndarray  # (K,) int64 true target index, −1 for a false alarm or unknown

    def __len__(self) -> int:
        return int(self.time.shape[0])

    @classmethod
    def empty(cls) -> Detections:
        return cls(
            time=np.zeros(0),
            sensor=np.zeros(0, dtype=np.int64),
            position=np.zeros((0, 3)),
            covariance=np.zeros((0, 3, 3)),
            target=np.zeros(0, dtype=np.int64),
        )

    @classmethod
    def concatenate(cls, parts: Sequence[Detections]) -> Detections:
        if not parts:
            return cls.empty()
        return cls(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)}
        )

    def select(self, index: np.ndarray) -> Detections:
        """The detections selected by an index array or boolean mask."""
        return Detections(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


def to_spherical(delta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Range, azimuth (from north, clockwise) and elevation of ENU offsets ``delta`` (..., 3)."""
    e, n, u = delta[..., 0], delta[..., 1], delta[..., 2]
    ground = np.hypot(e, n)
    return np.hypot(ground, u), np.arctan2(e, n), np.arctan2(u, ground)


def from_spherical(rng_m: np.ndarray, az: np.ndarray, el: np.ndarray) -> np.ndarray:
    """ENU offsets (..., 3) of range/azimuth/elevation."""
    ground = rng_m * np.cos(el)
    return np.stack([ground * np.sin(az), ground * np.cos(az), rng_m * np.sin(el)], axis=-1)


def spherical_covariance(
    rng_m: np.ndarray,
    az: np.ndarray,
    el: np.ndarray,
    sigma_r: np.ndarray,
    sigma_az: np.ndarray,
    sigma_el: np.ndarray,
) -> np.ndarray:
    """(..., 3, 3) ENU covariance of a spherical measurement, linearised at (r, az, el)."""
    ca, sa, ce, se = np.cos(az), np.sin(az), np.cos(el), np.sin(el)
    jac = np.empty((*np.shape(rng_m), 3, 3))
    jac[..., 0, 0], jac[..., 0, 1], jac[..., 0, 2] = ce * sa, rng_m * ce * ca, -rng_m * se * sa
    jac[..., 1, 0], jac[..., 1, 1], jac[..., 1, 2] = ce * ca, -rng_m * ce * sa, -rng_m * se * ca
    jac[..., 2, 0], jac[..., 2, 1], jac[..., 2, 2] = se, 0.0, rng_m * ce
    var = np.stack([sigma_r**2, sigma_az**2, sigma_el**2], axis=-1)
    cov = (jac * var[..., None, :]) @ np.swapaxes(jac, -1, -2)
    return 0.5 * (cov + np.swapaxes(cov, -1, -2))


def noisy_measurement(
    delta: np.ndarray,
    sigma_r: np.ndarray,
    sigma_az: np.ndarray,
    sigma_el: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Sample a noisy spherical measurement of true offsets ``delta`` (K, 3).

    Returns the measured ENU offsets (K, 3) and their covariance (K, 3, 3).
    """
    r, az, el = to_spherical(delta)
    k = delta.shape[0]
    r_m = np.abs(r + sigma_r * rng.standard_normal(k))
    az_m = az + sigma_az * rng.standard_normal(k)
    el_m = el + sigma_el * rng.standard_normal(k)
    return from_spherical(r_m, az_m, el_m), spherical_covariance(
        r_m, az_m, el_m, sigma_r, sigma_az, sigma_el
    )
