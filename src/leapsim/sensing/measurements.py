"""Detection batches (struct-of-arrays) and the spherical measurement-noise model.

A sensor measures range, azimuth (clockwise from north) and elevation with independent Gaussian
errors; the reported position is the noisy spherical measurement converted to ENU, and its
covariance is the linearised conversion ``J diag(σr², σa², σe²) Jᵀ`` evaluated at the reported
point (Bar-Shalom, Li & Kirubarajan, *Estimation with Applications to Tracking and Navigation*,
Wiley 2001, §10.4.3).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
from numba import njit


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
    """Range, azimuth (from north, clockwise) and elevation of ENU offsets ``delta`` (K, 3)."""
    return _to_spherical(np.ascontiguousarray(delta, np.float64))


def from_spherical(rng_m: np.ndarray, az: np.ndarray, el: np.ndarray) -> np.ndarray:
    """ENU offsets (K, 3) of range/azimuth/elevation (K,)."""
    out = np.empty((np.size(rng_m), 3))
    _spherical_to_enu(*_columns(rng_m, az, el), out, None)
    return out


def spherical_covariance(
    rng_m: np.ndarray,
    az: np.ndarray,
    el: np.ndarray,
    sigma_r: np.ndarray,
    sigma_az: np.ndarray,
    sigma_el: np.ndarray,
) -> np.ndarray:
    """(K, 3, 3) ENU covariance of spherical measurements (K,), linearised at (r, az, el)."""
    out = np.empty((np.size(rng_m), 3, 3))
    _spherical_to_enu(*_columns(rng_m, az, el, sigma_r, sigma_az, sigma_el), None, out)
    return out


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
    position, covariance = np.empty((k, 3)), np.empty((k, 3, 3))
    _spherical_to_enu(*_columns(r_m, az_m, el_m, sigma_r, sigma_az, sigma_el), position,
                      covariance)  # fmt: skip
    return position, covariance


def _columns(*arrays: np.ndarray | float) -> tuple[np.ndarray, ...]:
    """Equal-length float64 (K,) arrays (scalars broadcast), padded with σ = 0 to six."""
    size = max(np.size(a) for a in arrays)
    out = [np.ascontiguousarray(np.broadcast_to(np.asarray(a, np.float64), size)) for a in arrays]
    return (*out, *[np.zeros(size)] * (6 - len(out)))


@njit(cache=True)
def _to_spherical(delta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k = delta.shape[0]
    r, az, el = np.empty(k), np.empty(k), np.empty(k)
    for i in range(k):
        e, n, u = delta[i, 0], delta[i, 1], delta[i, 2]
        ground = math.hypot(e, n)
        r[i] = math.hypot(ground, u)
        az[i] = math.atan2(e, n)
        el[i] = math.atan2(u, ground)
    return r, az, el


@njit(cache=True)
def _spherical_to_enu(
    rng_m: np.ndarray,
    az: np.ndarray,
    el: np.ndarray,
    sigma_r: np.ndarray,
    sigma_az: np.ndarray,
    sigma_el: np.ndarray,
    position: np.ndarray | None,
    covariance: np.ndarray | None,
) -> None:
    """ENU position of each measurement and/or its covariance ``J diag(σ²) Jᵀ``, J the Jacobian
    of (r, az, el) → (east, north, up) at the measurement."""
    for i in range(rng_m.size):
        ca, sa = math.cos(az[i]), math.sin(az[i])
        ce, se = math.cos(el[i]), math.sin(el[i])
        r = rng_m[i]
        if position is not None:
            position[i, 0] = r * ce * sa
            position[i, 1] = r * ce * ca
            position[i, 2] = r * se
        if covariance is not None:
            # columns of J, each scaled by its σ
            j_r = (ce * sa * sigma_r[i], ce * ca * sigma_r[i], se * sigma_r[i])
            j_az = (r * ce * ca * sigma_az[i], -r * ce * sa * sigma_az[i], 0.0)
            j_el = (-r * se * sa * sigma_el[i], -r * se * ca * sigma_el[i], r * ce * sigma_el[i])
            for a in range(3):
                for b in range(a, 3):
                    v = j_r[a] * j_r[b] + j_az[a] * j_az[b] + j_el[a] * j_el[b]
                    covariance[i, a, b] = v
                    covariance[i, b, a] = v
