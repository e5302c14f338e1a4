"""Small models for the early-warning tests: the shipped small study, and hand-made one-sensor
setups whose answers are known in closed form."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from leapsim.warning.config import load_study
from leapsim.warning.incursions import Flights
from leapsim.warning.model import SensorOptions, WarningModel, compile_study
from leapsim.warning.placement import make_placement, points

DATA = Path(__file__).parent / "warning_data"
SMALL = DATA / "small.yaml"


def small_model() -> WarningModel:
    return compile_study(load_study(SMALL))


def one_option_model(record: dict, node_cost_eur: float = 1.0) -> WarningModel:
    """The small study with a single point sensor option described by ``record`` (the sensing
    fields of :class:`leapsim.sensing.SensorArrays`, with ``kind``)."""
    model = small_model()
    options = SensorOptions(
        names=("probe",),
        types=("probe",),
        records=(record,),
        kind=np.array([["radar", "acoustic", "eo_ir", "rf"].index(record["kind"])], np.int8),
        node_cost_eur=np.array([node_cost_eur]),
        fence_spacing_m=np.zeros(1),
        fence_cost_per_km_eur=np.zeros(1),
        fence_stretch_m=np.zeros(1),
        max_count=np.array([-1]),
    )
    return replace(model, options=options)


def radar_record(**overrides) -> dict:
    record = {
        "kind": "radar",
        "detection_range_m": 40_000.0,
        "reference_rcs_m2": 1.0,
        "scan_period_s": 1.0,
        "range_sigma_m": 10.0,
        "azimuth_sigma_rad": 0.003,
        "elevation_sigma_rad": 0.005,
        "false_alarms_per_scan": 0.0,
        "antenna_height_m": 8.0,
    }
    return record | overrides


def single_sensor(model: WarningModel, xy=(0.0, 0.0)):
    """A placement of the model's first option at ``xy``."""
    return make_placement(model, points(0, np.array([xy])), "probe")


def straight_flight(
    start_xy,
    end_xy,
    speed_mps: float,
    altitude_m: float,
    rcs_m2: float = 0.1,
    emitting: bool = False,
    t0: float = 0.0,
    crossing_s: float = 0.0,
) -> Flights:
    """One drone flying straight from ``start_xy`` to ``end_xy`` from time ``t0``."""
    start, end = np.asarray(start_xy, float), np.asarray(end_xy, float)
    duration = float(np.linalg.norm(end - start)) / speed_mps
    return Flights(
        group=np.zeros(1, np.int64),
        type_index=np.zeros(1, np.int64),
        mission=np.zeros(1, np.int64),
        target_site=np.full(1, -1, np.int64),
        speed_mps=np.array([speed_mps]),
        altitude_m=np.array([altitude_m]),
        rcs_m2=np.array([rcs_m2]),
        emitting=np.array([emitting]),
        crossing_time_s=np.array([crossing_s]),
        offsets=np.array([0, 2], np.int64),
        xy=np.stack([start, end]),
        t=np.array([t0, t0 + duration]),
    )
