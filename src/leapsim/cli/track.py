"""``leapsim track`` (detections → tracks) and ``leapsim metrics ospa`` (tracks vs truth)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leapsim.cli.app import app
from leapsim.cli.console import console, print_json
from leapsim.cli.options import JsonOption, finite, metavar
from leapsim.errors import InputError

metrics_app = typer.Typer(help="Score tracker output against truth.", no_args_is_help=True)
app.add_typer(metrics_app, name="metrics")

TRACK_COLUMNS = ("time", "track_id", "x", "y", "z", "vx", "vy", "vz")
#: Valid range of the tables' numbers: positions in local ENU metres within ±1e8 m (far beyond
#: any theatre), times within ±1e10 s (epoch seconds fit).
LIMITS = {"x": 1e8, "y": 1e8, "z": 1e8, "time": 1e10}
#: Valid range of ``metrics ospa``: a cut-off up to 10^6 m and an order up to 20 keep c^p finite.
MAX_CUTOFF_M = 1e6
MAX_ORDER = 20.0


COVARIANCE_COLUMNS = {
    2: ("cov_xx", "cov_xy", "cov_yy"),
    3: ("cov_xx", "cov_xy", "cov_xz", "cov_yy", "cov_yz", "cov_zz"),
}
#: Valid range of a detection covariance entry, m² (a σ of 10^6 m).
MAX_COVARIANCE_M2 = 1e12


def _covariance(path: Path, cols: dict, dim: int, sigma_m: float, k: int):
    """(K, 3, 3) detection covariances: from the cov_ columns when the file has them (all of
    the tracked axes' ones, positive definite), else ``sigma_m``² on the diagonal."""
    import numpy as np

    from leapsim.tables import row_label

    given = [c for c in COVARIANCE_COLUMNS[3] if c in cols]
    if not given:
        return np.broadcast_to(np.eye(3) * sigma_m**2, (k, 3, 3)).copy()
    missing = [c for c in COVARIANCE_COLUMNS[dim] if c not in cols]
    if missing:
        raise InputError.at(
            f"missing column(s) {', '.join(repr(c) for c in missing)}",
            file=str(path),
            line=1,
            field=missing[0],
            hint=f"{dim}-D covariances need {', '.join(COVARIANCE_COLUMNS[dim])} (m²)",
        )
    covariance = np.broadcast_to(np.eye(3), (k, 3, 3)).copy()
    axes = "xyz"
    for name in COVARIANCE_COLUMNS[dim]:
        i, j = axes.index(name[-2]), axes.index(name[-1])
        covariance[:, i, j] = covariance[:, j, i] = cols[name]
    eigen = np.linalg.eigvalsh(covariance[:, :dim, :dim]).min(axis=1)
    bad = np.flatnonzero(~(eigen > 0))
    if bad.size:
        raise InputError.at(
            "the detection's covariance is not positive definite",
            file=str(path),
            line=row_label(path, int(bad[0])),
            field="cov_xx",
            hint=f"{bad.size} such row(s); give variances > 0 and |cov_xy| < √(cov_xx cov_yy)",
        )
    return covariance


@app.command("track")
def track(
    detections: Annotated[
        Path,
        typer.Argument(
            metavar=metavar("detections"),
            help="CSV/Parquet: time (s), x, y[, z] (m, local ENU)[, sensor]"
            "[, cov_xx, cov_xy, … (m²)].",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Output tracks, CSV or Parquet (by suffix).")],
    config: Annotated[
        Path | None, typer.Option("--config", help="Tracker settings (YAML, docs/tracking.md).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Track detections; write every confirmed track's state at every scan time."""
    import numpy as np

    from leapsim.sensing.measurements import Detections
    from leapsim.tables import read_numeric_columns, row_label, write_table
    from leapsim.tracking.config import TrackerConfig
    from leapsim.tracking.tracker import run_tracker
    from leapsim.yaml_files import load_model

    cfg = TrackerConfig() if config is None else load_model(TrackerConfig, config)
    cols = read_numeric_columns(
        detections,
        ["time", "x", "y"],
        ["z", "sensor", *COVARIANCE_COLUMNS[3]],
        integer=["sensor"],
        nondecreasing="time",
        max_abs={**LIMITS, **dict.fromkeys(COVARIANCE_COLUMNS[3], MAX_COVARIANCE_M2)},
    )
    dim = cfg.dim if "dim" in cfg.model_fields_set else (3 if "z" in cols else 2)
    if dim == 3 and "z" not in cols:
        raise InputError.at(
            "missing column 'z'",
            file=str(detections),
            line=1,
            field="z",
            hint="the tracker config asks for dim: 3; add a z column or set dim: 2",
        )
    k = cols["time"].size
    position = np.zeros((k, 3))
    position[:, 0], position[:, 1] = cols["x"], cols["y"]
    if "z" in cols:
        position[:, 2] = cols["z"]
    covariance = _covariance(detections, cols, dim, cfg.measurement_sigma_m, k)
    sensor = cols.get("sensor", np.zeros(k, np.int64))
    if k and sensor.min() < 0:
        row = int(np.argmax(sensor < 0))
        raise InputError.at(
            f"sensor id {int(sensor[row])} is negative",
            file=str(detections),
            line=row_label(detections, row),
            field="sensor",
            hint="sensor ids count from 0",
        )
    params = cfg.params(dim)
    if params.coverage and k and sensor.max() >= len(params.coverage):
        row = int(np.argmax(sensor >= len(params.coverage)))
        raise InputError.at(
            f"sensor {int(sensor[row])} has no coverage entry",
            file=str(detections),
            line=row_label(detections, row),
            field="sensor",
            hint=f"the tracker config's coverage lists {len(params.coverage)} sensors (ids from 0)",
        )
    batch = Detections(cols["time"], sensor, position, covariance, np.full(k, -1, np.int64))
    result = run_tracker(batch, params, with_covariance=False)
    n = result.time.size
    state = np.zeros((n, 6))
    state[:, :dim], state[:, 3 : 3 + dim] = result.state[:, :dim], result.state[:, dim:]
    arrays = [result.time, result.track_id, *(state[:, i] for i in range(6))]
    write_table(out, dict(zip(TRACK_COLUMNS, arrays, strict=True)))
    counts = {
        "detections": k,
        "scans": int(np.unique(cols["time"]).size),
        "tracks": int(np.unique(result.track_id).size),
        "rows": n,
        "out": str(out),
    }
    if as_json:
        print_json(counts)
        return
    console.print(
        f"{k} detections in {counts['scans']} scans -> {counts['tracks']} confirmed tracks; "
        f"wrote {n} rows to {out}"
    )


@metrics_app.command("ospa")
def ospa_command(
    truth: Annotated[
        Path, typer.Option("--truth", help="CSV/Parquet: time, target_id, x, y[, z].")
    ],
    tracks: Annotated[
        Path, typer.Option("--tracks", help="CSV/Parquet: time, track_id, x, y[, z].")
    ],
    c: Annotated[
        float,
        typer.Option(
            "--c", min=0.0, max=MAX_CUTOFF_M, callback=finite, help="Cut-off distance (m), > 0."
        ),
    ] = 100.0,
    p: Annotated[
        float,
        typer.Option("--p", min=1.0, max=MAX_ORDER, callback=finite, help="Order of the metric."),
    ] = 1.0,
    as_json: JsonOption = False,
) -> None:
    """OSPA (and GOSPA, alpha = 2) between truth and tracks at every time, and their means."""
    import numpy as np
    from rich.table import Table

    from leapsim.tables import read_numeric_columns
    from leapsim.tracking.metrics import ospa_gospa_series

    if c == 0:
        raise InputError.at("the cut-off must be > 0", field="--c")
    t_cols, k_cols = (
        read_numeric_columns(
            path,
            ["time", ids, "x", "y"],
            ["z"],
            integer=[ids],
            nondecreasing="time",
            max_abs=LIMITS,
        )
        for path, ids in ((truth, "target_id"), (tracks, "track_id"))
    )
    axes = ["x", "y", "z"] if "z" in t_cols and "z" in k_cols else ["x", "y"]
    series = ospa_gospa_series(
        t_cols["time"],
        np.column_stack([t_cols[a] for a in axes]),
        k_cols["time"],
        np.column_stack([k_cols[a] for a in axes]),
        c,
        p,
    )
    mean_ospa = float(series["ospa"].mean()) if series["time"].size else 0.0
    mean_gospa = float(series["gospa"].mean()) if series["time"].size else 0.0
    if as_json:
        per_time = [
            {
                "time": float(t),
                "ospa": float(o),
                "gospa": float(g),
                "n_truth": int(a),
                "n_tracks": int(b),
            }
            for t, o, g, a, b in zip(
                series["time"],
                series["ospa"],
                series["gospa"],
                series["n_truth"],
                series["n_tracks"],
                strict=True,
            )
        ]
        doc = {
            "c": c,
            "p": p,
            "dimensions": len(axes),
            "ospa_mean": mean_ospa,
            "gospa_mean": mean_gospa,
            "per_time": per_time,
        }
        print_json(doc)
        return
    table = Table(title=f"OSPA / GOSPA (c = {c:g} m, p = {p:g}, {len(axes)}-D)")
    for name in ("times", "mean OSPA (m)", "mean GOSPA (m)", "max OSPA (m)"):
        table.add_column(name, justify="right")
    worst = float(series["ospa"].max()) if series["time"].size else 0.0
    table.add_row(str(series["time"].size), f"{mean_ospa:.3f}", f"{mean_gospa:.3f}", f"{worst:.3f}")
    console.print(table)


__all__ = ["metrics_app", "ospa_command", "track"]
