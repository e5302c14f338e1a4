"""What is bought and where: placement items and the sensors they put down.

An *item* is one purchase: a point option (one sensor at a position) or a fence stretch (nodes
every ``spacing_m`` along the border between two arc lengths, shifted ``offset_m`` inland; the
planner's candidates use the option's ``node_spacing_m``). Costs: a point costs its option's
node cost (catalogue unit cost + siting); a stretch of length L costs ``ceil(L / spacing)``
nodes plus ``L × cost_per_km``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leapsim.sensing import SensorArrays
from leapsim.sensing.sensors import ACOUSTIC, RF
from leapsim.warning.geography import Border
from leapsim.warning.model import SensorOptions, WarningModel


@dataclass(frozen=True)
class Items:
    """I purchases. ``stretch`` (I, 2) arc-length interval of a fence and ``spacing_m`` (I,)
    its node spacing (NaN for a point); ``xy`` (I, 2) the point (a fence: the middle of its
    stretch); ``offset_m`` (I,) inland offset of the candidate line it was placed on (NaN for a
    site candidate)."""

    option: np.ndarray  # (I,) int64
    xy: np.ndarray
    stretch: np.ndarray
    offset_m: np.ndarray
    spacing_m: np.ndarray

    FIELDS = ("option", "xy", "stretch", "offset_m", "spacing_m")

    def __len__(self) -> int:
        return int(self.option.shape[0])

    @classmethod
    def empty(cls) -> Items:
        return cls(
            np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0), np.zeros(0)
        )

    @classmethod
    def concatenate(cls, parts: list[Items]) -> Items:
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.FIELDS))

    def select(self, index: np.ndarray) -> Items:
        return Items(*(getattr(self, f)[index] for f in self.FIELDS))


def points(option: int, xy: np.ndarray, offset_m: np.ndarray | float = 0.0) -> Items:
    """Point items of one option at the given positions."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    n = xy.shape[0]
    return Items(
        np.full(n, option, np.int64),
        xy,
        np.full((n, 2), np.nan),
        np.broadcast_to(np.asarray(offset_m, float), (n,)).copy(),
        np.full(n, np.nan),
    )


def fence_nodes(border: Border, stretch: tuple[float, float], offset_m: float, spacing: float):
    """(N, 2) node positions: every ``spacing`` along the stretch (centred), ``offset_m``
    inland."""
    s0, s1 = stretch
    n = max(1, int(np.ceil((s1 - s0) / spacing - 1e-9)))
    s = s0 + (np.arange(n) + 0.5) * (s1 - s0) / n
    return border.point_at(s) + border.inward_at(s) * offset_m


def stretches(
    option: int, border: Border, bounds: np.ndarray, offset_m: float, spacing_m: float
) -> Items:
    """Fence items of one option over consecutive arc-length intervals ``bounds`` (K+1,)."""
    lo, hi = bounds[:-1], bounds[1:]
    mid = 0.5 * (lo + hi)
    xy = border.point_at(mid) + border.inward_at(mid) * offset_m
    return Items(
        np.full(lo.size, option, np.int64),
        xy,
        np.stack([lo, hi], axis=-1),
        np.full(lo.size, float(offset_m)),
        np.full(lo.size, float(spacing_m)),
    )


def item_nodes(model: WarningModel, items: Items) -> tuple[np.ndarray, np.ndarray]:
    """(N, 2) positions of every sensor the items put down and (N,) the item of each."""
    xy, owner = [], []
    for i in range(len(items)):
        if np.isfinite(items.spacing_m[i]):
            nodes = fence_nodes(
                model.border,
                tuple(items.stretch[i]),
                float(items.offset_m[i]),
                float(items.spacing_m[i]),
            )
        else:
            nodes = items.xy[i : i + 1]
        xy.append(nodes)
        owner.append(np.full(nodes.shape[0], i, np.int64))
    if not xy:
        return np.zeros((0, 2)), np.zeros(0, np.int64)
    return np.concatenate(xy), np.concatenate(owner)


def item_costs(options: SensorOptions, items: Items) -> np.ndarray:
    """(I,) cost of each item, EUR."""
    o = items.option
    length = np.nan_to_num(items.stretch[:, 1] - items.stretch[:, 0])
    return item_node_counts(items) * options.node_cost_eur[o] + length / 1e3 * np.where(
        np.isfinite(items.spacing_m), options.fence_cost_per_km_eur[o], 0.0
    )


def item_node_counts(items: Items) -> np.ndarray:
    """(I,) sensors each item puts down (what ``max_count`` limits)."""
    count = np.ones(len(items))
    fence = np.isfinite(items.spacing_m)
    if fence.any():
        length = items.stretch[fence, 1] - items.stretch[fence, 0]
        count[fence] = np.maximum(1, np.ceil(length / items.spacing_m[fence] - 1e-9))
    return count


def sensor_arrays(model: WarningModel, option: np.ndarray, xy: np.ndarray) -> SensorArrays:
    """Sensors of the given options at ground positions ``xy`` (N, 2)."""
    records = []
    for o, p in zip(option, np.asarray(xy).reshape(-1, 2), strict=True):
        records.append({**model.options.records[int(o)], "position": [p[0], p[1], 0.0]})
    if not records:
        return SensorArrays.from_records([])
    return SensorArrays.from_records(records)


@dataclass(frozen=True)
class Placement:
    """A chosen set of items with its sensors (``sensors[k]`` put down by ``sensor_item[k]``)."""

    label: str
    items: Items
    cost_eur: np.ndarray  # (I,)
    sensors: SensorArrays
    sensor_item: np.ndarray  # (S,)
    sensor_option: np.ndarray  # (S,)

    @property
    def total_cost_eur(self) -> float:
        return float(self.cost_eur.sum())

    @property
    def networked(self) -> np.ndarray:
        """(S,) whether the sensor is a node of a fence (its plots go through a fusion centre)."""
        return np.isfinite(self.items.spacing_m[self.sensor_item])

    @property
    def network(self) -> np.ndarray:
        """(S,) the sensor id the tracker sees: a fence's nodes share their first node's."""
        if self.sensor_item.size == 0:
            return np.zeros(0, np.int64)
        _, first, inverse = np.unique(self.sensor_item, return_index=True, return_inverse=True)
        return np.where(self.networked, first[inverse], np.arange(self.sensor_item.size))


def make_placement(model: WarningModel, items: Items, label: str) -> Placement:
    xy, owner = item_nodes(model, items)
    option = items.option[owner] if owner.size else np.zeros(0, np.int64)
    return Placement(
        label=label,
        items=items,
        cost_eur=item_costs(model.options, items),
        sensors=sensor_arrays(model, option, xy),
        sensor_item=owner,
        sensor_option=option,
    )


def detectable(kind: np.ndarray, emitting: np.ndarray, engine: np.ndarray) -> np.ndarray:
    """(S, N) which sensor kinds can sense which targets at all: passive RF only targets that
    emit, acoustic nodes only engine noise (drones, not birds), radar and EO/IR every target
    given to them (birds are given to radars only, see ``docs/warning.md``)."""
    out = np.ones((kind.size, emitting.size), dtype=bool)
    out[kind == RF] = emitting[None, :]
    out[kind == ACOUSTIC] = engine[None, :]
    return out
