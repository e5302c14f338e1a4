"""The built-in type catalogue (package data) and merging user-defined types into it."""

from __future__ import annotations

import os
from functools import cache
from importlib import resources
from pathlib import Path

from leapsim.scenario.models import Catalogue
from leapsim.yaml_files import load_model

BUILTIN_CATALOGUE_FILE = "catalogue.yaml"


def load_catalogue(path: str | os.PathLike[str]) -> Catalogue:
    """Load a catalogue YAML file (keys ``threat_types``, ``effector_types``, ``sensor_types``)."""
    return load_model(Catalogue, path)


@cache
def builtin_catalogue() -> Catalogue:
    """The catalogue shipped with leapsim (``leapsim/scenario/data/catalogue.yaml``)."""
    ref = resources.files("leapsim.scenario") / "data" / BUILTIN_CATALOGUE_FILE
    with resources.as_file(ref) as path:
        return load_catalogue(Path(path))


def merge_catalogues(base: Catalogue, extra: Catalogue) -> Catalogue:
    """``base`` extended by ``extra``; a type in ``extra`` replaces the one of the same name."""
    return Catalogue(
        threat_types={**base.threat_types, **extra.threat_types},
        effector_types={**base.effector_types, **extra.effector_types},
        sensor_types={**base.sensor_types, **extra.sensor_types},
    )
