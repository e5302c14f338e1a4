"""Regenerate the field tables of ``docs/scenario.md`` from the pydantic models and the built-in
catalogue.

The prose of the page is written by hand; the parts between
``<!-- BEGIN GENERATED: NAME -->`` and ``<!-- END GENERATED: NAME -->`` come from here:

* ``field-reference``: one table per model reachable from ``Scenario`` (field, type, unit,
  allowed values, default, meaning), with the constraints pydantic enforces;
* ``builtin-catalogue``: the types shipped in ``leapsim/scenario/data/catalogue.yaml``.

Usage::

    .venv/bin/python scripts/gen_scenario_doc.py          # rewrite docs/scenario.md
    .venv/bin/python scripts/gen_scenario_doc.py --check  # exit 1 if it is out of date

``tests/test_scenario_doc.py`` fails when the committed page differs from what this writes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal, Union

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from leapsim.scenario import builtin_catalogue
from leapsim.scenario.models import Scenario

DOC = Path(__file__).resolve().parents[1] / "docs" / "scenario.md"
BLOCK = re.compile(
    r"(<!-- BEGIN GENERATED: (?P<name>[\w-]+) .*?-->\n).*?(<!-- END GENERATED: (?P=name) -->)",
    re.DOTALL,
)

# Units by field-name suffix (longest first); the models name the unit in every field.
UNITS = (
    ("_mps", "m/s"),
    ("_m2", "m²"),
    ("_eur", "EUR"),
    ("_deg", "°"),
    ("_rad", "rad"),
    ("_m", "m"),
    ("_s", "s"),
)

# Meanings of fields whose model gives no description.
MEANING: dict[tuple[str, str], str] = {
    ("Scenario", "name"): "Name of the scenario; it labels results and reports.",
    ("Scenario", "description"): "Free text shown in reports.",
    ("Scenario", "duration_s"): "Length of the night; threats launched later are not launched.",
    ("Scenario", "sites"): "The defended sites: what leakers aim at and damage.",
    ("Scenario", "sensors"): "Sensor placements.",
    ("Scenario", "fire_units"): "Fire-unit placements.",
    ("Scenario", "raids"): "The night's raids.",
    ("Scenario", "doctrine"): "Fire-allocation policy and rules of engagement.",
    ("Scenario", "sensing"): "How C2 learns about threats.",
    ("GeoPoint", "lat"): "Latitude.",
    ("GeoPoint", "lon"): "Longitude.",
    ("Site", "name"): "Unique site name; raids' `targets` refer to it.",
    ("Site", "lat"): "Latitude of the site.",
    ("Site", "lon"): "Longitude of the site.",
    ("Site", "value_eur"): "Value at stake; a leaker destroys `damage_fraction` of what stands.",
    ("Site", "nation"): 'Owning nation (short code, e.g. PL; quote `"NO"`).',
    ("SensorPlacement", "type"): "Sensor type name from the catalogue.",
    ("SensorPlacement", "lat"): "Latitude (of the first sensor when `line_to` is given).",
    ("SensorPlacement", "lon"): "Longitude (of the first sensor when `line_to` is given).",
    ("SensorPlacement", "nation"): "Operating nation.",
    ("SensorPlacement", "name"): "Label; with `count` > 1 the sensors are `NAME#1`, `NAME#2`, ….",
    ("SensorPlacement", "count"): "Number of sensors placed.",
    ("SensorPlacement", "line_to"): "End point of a line along which `count` sensors are spaced.",
    ("FireUnitPlacement", "type"): "Effector type name from the catalogue.",
    ("FireUnitPlacement", "lat"): "Latitude (of the first unit when `line_to` is given).",
    ("FireUnitPlacement", "lon"): "Longitude (of the first unit when `line_to` is given).",
    ("FireUnitPlacement", "nation"): "Operating nation.",
    ("FireUnitPlacement", "name"): "Label; with `count` > 1 the units are `NAME#1`, `NAME#2`, ….",
    ("FireUnitPlacement", "count"): "Number of identical fire units placed.",
    ("FireUnitPlacement", "line_to"): "End point of a line along which `count` units are spaced.",
    ("FireUnitPlacement", "magazine"): "Ready rounds per unit at dusk; default: the type's.",
    ("Launch", "lat"): "Latitude of the launch point (with `lon`).",
    ("Launch", "lon"): "Longitude of the launch point (with `lat`).",
    ("Launch", "bearing_deg"): "Bearing from the scenario origin, clockwise from north.",
    ("Launch", "distance_m"): "Ground distance from the scenario origin.",
    ("Raid", "threat"): "Threat type name from the catalogue.",
    ("Raid", "count"): "Threats launched.",
    ("Raid", "launch"): "Launch area.",
    ("Raid", "start_s"): "First launch, seconds after the start of the night.",
    ("Raid", "spread_s"): "Launch times are uniform over `[start_s, start_s + spread_s]`.",
    ("Raid", "waypoints"): "Points the threats fly through, in order, before their target.",
    ("CostRule", "max_cost_ratio"): "Largest allowed engagement cost ÷ threat unit cost.",
    ("CostRule", "unless_value_at_risk_above_eur"): (
        "The rule does not apply when the value at risk exceeds this; default: never."
    ),
    ("Doctrine", "policy"): "Fire-allocation policy (see *Doctrine* above).",
    ("Doctrine", "max_shots_per_threat"): "Engagements allowed on one threat (jamming excepted).",
    ("Doctrine", "shoot_look_shoot"): "Wait for each engagement's outcome before the next one.",
    ("Doctrine", "cost_rules"): "Cost rules; an engagement must pass all of them.",
    ("Sensing", "mode"): (
        "`detection`: a threat is known from its first detection on; `tracked`: only while a "
        "confirmed track holds it (see docs/tracking.md)."
    ),
    ("Catalogue", "threat_types"): "Threat types by name.",
    ("Catalogue", "effector_types"): "Effector (fire-unit) types by name.",
    ("Catalogue", "sensor_types"): "Sensor types by name.",
    ("ThreatType", "family"): "Threat family: sets Pk and how the defence sees it.",
    ("EffectorType", "kind"): "Effector kind; `ew` jammers are not allocated (see *Doctrine*).",
    ("EffectorType", "cost_per_round_eur"): "Cost of one round (missile, shell, interceptor).",
    ("EffectorType", "min_range_m"): "Minimum ground range of an engagement.",
    ("EffectorType", "max_range_m"): "Maximum ground range of an engagement.",
    ("EffectorType", "min_altitude_m"): "Lowest target altitude it can engage.",
    ("EffectorType", "max_altitude_m"): "Highest target altitude it can engage.",
    ("EffectorType", "rounds_per_engagement"): "Rounds fired per engagement (a burst, a salvo).",
    ("EffectorType", "source"): "Citation for the numbers; say which ones are estimates.",
    ("SensorType", "kind"): (
        "Sensor kind: radar (R⁻⁴ range law) or passive (R⁻²): acoustic, eo_ir, rf (passive "
        "radio-frequency detection of a drone's datalink; the engine treats every threat as "
        "emitting)."
    ),
    ("SensorType", "detection_range_m"): "Single-scan range at Pd = 0.9 (see the model's note).",
    ("SensorType", "reference_rcs_m2"): "Target RCS at which `detection_range_m` holds (radar).",
    ("SensorType", "scan_period_s"): "Time between scans (revisit time).",
    ("SensorType", "range_sigma_m"): "Range measurement error (1σ).",
    ("SensorType", "azimuth_sigma_rad"): "Azimuth measurement error (1σ).",
    ("SensorType", "elevation_sigma_rad"): "Elevation measurement error (1σ).",
    ("SensorType", "false_alarms_per_scan"): "Mean false detections per scan (tracked mode).",
    ("SensorType", "antenna_height_m"): "Antenna height above ground (radar horizon).",
    ("SensorType", "unit_cost_eur"): "Acquisition cost of one sensor.",
    ("SensorType", "source"): "Citation for the numbers; say which ones are estimates.",
}


def _unwrap(annotation: Any) -> tuple[Any, list[Any], bool]:
    """(bare type, constraint metadata, optional?) of an annotation."""
    metadata: list[Any] = []
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation, *extra = typing.get_args(annotation)
            for item in extra:
                metadata.extend(item.metadata if isinstance(item, FieldInfo) else [item])
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = True
            if len(args) != 1:
                return annotation, metadata, optional
            annotation = args[0]
        else:
            return annotation, metadata, optional


def anchor(model: type[BaseModel]) -> str:
    return f"field-{model.__name__.lower()}"


def type_text(annotation: Any) -> str:
    bare, _, optional = _unwrap(annotation)
    origin, args = typing.get_origin(bare), typing.get_args(bare)
    if origin is Literal:
        text = "one of " + ", ".join(f"`{a}`" for a in args)
    elif origin is dict:
        text = f"mapping: {type_text(args[0])} → {type_text(args[1])}"
    elif origin is list:
        text = f"list of {type_text(args[0])}"
    elif origin is tuple:
        text = f"[{', '.join(type_text(a) for a in args)}]"
    elif isinstance(bare, type) and issubclass(bare, BaseModel):
        text = f"[{bare.__name__}](#{anchor(bare)})"
    else:
        names = {bool: "true/false", int: "integer", float: "number", str: "text",
                 dt.date: "date (YYYY-MM-DD)"}  # fmt: skip
        text = names[bare]
    return f"{text}, or null" if optional else text


def number(x: float) -> str:
    if math.isinf(x):
        return "∞"
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    mantissa, exponent = f"{x:.3g}".split("e") if "e" in f"{x:.3g}" else (f"{x:.3g}", "")
    return f"{mantissa}e{int(exponent)}" if exponent else mantissa


def range_text(field: FieldInfo) -> str:
    bare, inner, _ = _unwrap(field.annotation)
    metadata = [*field.metadata, *inner]
    if typing.get_origin(bare) is dict:  # constraints on the values
        value_meta = _unwrap(typing.get_args(bare)[1])[1]
        text = _bounds(value_meta)
        return f"values {text}" if text else ""
    text = _bounds(metadata)
    lengths = {type(m): m for m in metadata if isinstance(m, (at.MinLen, at.MaxLen))}
    what = "items" if typing.get_origin(bare) is list else "characters"
    low = lengths.get(at.MinLen)
    high = lengths.get(at.MaxLen)
    if low and high:
        text = f"{low.min_length}–{high.max_length} {what}"
    elif low:
        text = f"at least {low.min_length} {what[:-1] if low.min_length == 1 else what}"
    elif high:
        text = f"at most {high.max_length} {what}"
    return text


def _bounds(metadata: list[Any]) -> str:
    low = high = None
    for m in metadata:
        if isinstance(m, at.Ge):
            low = f"{number(m.ge)} ≤"
        elif isinstance(m, at.Gt):
            low = f"{number(m.gt)} <"
        elif isinstance(m, at.Le):
            high = f"≤ {number(m.le)}"
        elif isinstance(m, at.Lt):
            high = f"< {number(m.lt)}"
    if low and high:
        return f"{low} x {high}"
    if low:
        return f"{'≥' if low.endswith('≤') else '>'} {low.split()[0]}"
    return high or ""


def default_text(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "all defaults"
    if isinstance(value, (list, dict)):
        return f"`{value}`"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (int, float)):
        return number(value)
    return f"`{value}`" if value != "" else '`""`'


def unit_text(name: str) -> str:
    if name in ("lat", "lon"):
        return "° WGS84"
    for suffix, unit in UNITS:
        if name.endswith(suffix):
            return unit
    return ""


def meaning_text(model: type[BaseModel], name: str, field: FieldInfo) -> str:
    text = field.description or MEANING.get((model.__name__, name))
    if not text:
        raise SystemExit(
            f"{model.__name__}.{name} has no description: add one to the model (Field("
            f"description=...)) or to MEANING in {Path(__file__).name}"
        )
    return text


def models_from(root: type[BaseModel]) -> list[type[BaseModel]]:
    """``root`` and every model reachable from its fields, depth first, each once."""
    out: list[type[BaseModel]] = []

    def visit(model: type[BaseModel]) -> None:
        if model in out:
            return
        out.append(model)
        for field in model.model_fields.values():
            for found in _models_in(field.annotation):
                visit(found)

    visit(root)
    return out


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    bare, _, _ = _unwrap(annotation)
    if isinstance(bare, type) and issubclass(bare, BaseModel):
        return [bare]
    return [m for arg in typing.get_args(bare) for m in _models_in(arg)]


def model_table(model: type[BaseModel]) -> str:
    doc = " ".join((model.__doc__ or "").strip().split("\n\n")[0].split()).replace("``", "`")
    lines = [f"### {model.__name__}", "", f'<a id="{anchor(model)}"></a>', ""]
    if doc:
        lines += [doc, ""]
    lines += [
        "| field | type | unit | allowed | default | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for name, field in model.model_fields.items():
        cells = [
            f"`{name}`",
            type_text(field.annotation),
            unit_text(name),
            range_text(field),
            default_text(field),
            meaning_text(model, name, field),
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def field_reference() -> str:
    from leapsim.scenario.models import Catalogue

    models = models_from(Scenario)
    models += [m for m in models_from(Catalogue) if m not in models]
    return "\n\n".join(model_table(m) for m in models)


def builtin_tables() -> str:
    cat = builtin_catalogue()
    lines = [
        "Threat types:",
        "",
        "| name | family | unit cost (EUR) | speed (m/s) | altitude (m) | RCS (m²) | damage "
        "fraction | range (km) | appears as |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, t in cat.threat_types.items():
        lines.append(
            f"| `{name}` | {t.family} | {t.unit_cost_eur:,.0f} | {number(t.speed_mps)} | "
            f"{number(t.cruise_altitude_m)} | {t.rcs_m2:g} | {t.damage_fraction:g} | "
            f"{t.range_m / 1000:,.0f} | {t.appears_as or ''} |"
        )
    lines += [
        "",
        "Effector types (Pk at zero range; it falls linearly by `pk_range_falloff` at maximum "
        "range):",
        "",
        "| name | kind | EUR per engagement | range (m) | altitude (m) | channels | "
        "engagement (s) | magazine | reload (s) | Pk |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, e in cat.effector_types.items():
        cost = e.cost_per_round_eur * e.rounds_per_engagement
        rounds = (
            f" ({e.rounds_per_engagement} × {e.cost_per_round_eur:,.0f})"
            if (e.rounds_per_engagement > 1)
            else ""
        )
        pk = ", ".join(f"{family} {p:g}" for family, p in e.pk.items())
        lines.append(
            f"| `{name}` | {e.kind} | {cost:,.0f}{rounds} | {number(e.min_range_m)}–"
            f"{number(e.max_range_m)} | {number(e.min_altitude_m)}–{number(e.max_altitude_m)} | "
            f"{e.fire_channels} | {number(e.engagement_time_s)} | {number(e.magazine)} | "
            f"{number(e.reload_time_s)} | {pk} |"
        )
    lines += [
        "",
        "Sensor types:",
        "",
        "| name | kind | detection range (m) | reference RCS (m²) | scan period (s) | "
        "unit cost (EUR) |",
        "|---|---|---|---|---|---|",
    ]
    for name, s in cat.sensor_types.items():
        lines.append(
            f"| `{name}` | {s.kind} | {number(s.detection_range_m)} | {s.reference_rcs_m2:g} | "
            f"{s.scan_period_s:g} | {s.unit_cost_eur:,.0f} |"
        )
    return "\n".join(lines)


GENERATORS = {"field-reference": field_reference, "builtin-catalogue": builtin_tables}


def render(text: str) -> str:
    """``text`` with every generated block replaced by fresh content."""
    found = set()

    def fill(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in GENERATORS:
            raise SystemExit(f"unknown generated block {name!r}")
        found.add(name)
        return f"{match[1]}\n{GENERATORS[name]()}\n\n{match[3]}"

    out = BLOCK.sub(fill, text)
    missing = set(GENERATORS) - found
    if missing:
        raise SystemExit(f"{DOC} lacks the generated block(s) {', '.join(sorted(missing))}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the doc is out of date")
    args = parser.parse_args()
    text = DOC.read_text(encoding="utf-8")
    fresh = render(text)
    if args.check:
        if fresh != text:
            print(f"{DOC} is out of date: run python scripts/gen_scenario_doc.py", file=sys.stderr)
            sys.exit(1)
        return
    if fresh != text:
        DOC.write_text(fresh, encoding="utf-8")
        print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
