"""Weapon families: the mapping from report model names to the five threat families.

The Ukrainian Air Force reports (digitised by Petro Ivaniuk, Kaggle
``piterfm/massive-missile-attacks-on-ukraine``) name weapons in a free ``model`` column, sometimes
several at once ("X-101/X-555 and Kalibr"). Each *component* name maps to a family here:

- ``drone``: Shahed/Geran-type one-way attack drones (the report's "Shahed-136/131" rows count
  Shaheds *and* decoys together; :mod:`leapsim.threats.fit` splits them with ``is_shahed``).
- ``decoy``: Gerbera/Parodiya-type decoy drones, when a report names them separately.
- ``cruise_missile``: land-attack cruise and air-to-surface missiles (Kh-101/555, Kalibr,
  Iskander-K, Kh-59/69, Kh-22/32, Zircon, Banderol).
- ``ballistic_missile``: Iskander-M, KN-23, Kinzhal (aeroballistic), S-300/S-400 fired at ground
  targets (ballistic trajectory), intermediate/intercontinental ballistic missiles.
- ``other``: anti-ship (Kh-35, P-800 Oniks) and anti-radiation (Kh-31P) missiles, guided aerial
  bombs, unknown missiles, and reconnaissance or tactical UAVs (Orlan, ZALA, Lancet, …).

A combined name ("A and B") whose components span families goes to the family of its *first*
component: the report gives one count for all of them and lists the main type first. The table
also records whether a component is a UAV: regional UAV counts are never added to the national
ones (see :mod:`leapsim.threats.nights`).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Family = Literal["drone", "decoy", "cruise_missile", "ballistic_missile", "other"]
FAMILIES: tuple[Family, ...] = ("drone", "decoy", "cruise_missile", "ballistic_missile", "other")
MISSILE_FAMILIES: tuple[Family, ...] = ("cruise_missile", "ballistic_missile", "other")


class WeaponClass(NamedTuple):
    family: Family
    uav: bool


_D, _DEC, _CM, _BM, _OT = FAMILIES

# component name (as written in the reports) -> (family, is a UAV)
COMPONENT_TABLE: dict[str, WeaponClass] = {
    # one-way attack drones and their decoys
    "Shahed-136/131": WeaponClass(_D, True),
    "Shahed-136": WeaponClass(_D, True),
    "Shahed-131": WeaponClass(_D, True),
    "Shahed-238": WeaponClass(_D, True),
    "Geran-2": WeaponClass(_D, True),
    "Geran-3": WeaponClass(_D, True),
    "Gerbera": WeaponClass(_DEC, True),
    "Parodiya": WeaponClass(_DEC, True),
    "Decoy UAV": WeaponClass(_DEC, True),
    # cruise and air-to-surface missiles used in strategic raids
    "X-101/X-555": WeaponClass(_CM, False),
    "Kalibr": WeaponClass(_CM, False),
    "Iskander-K": WeaponClass(_CM, False),
    "X-59": WeaponClass(_CM, False),
    "X-69": WeaponClass(_CM, False),
    "X-59/X-69": WeaponClass(_CM, False),
    "X-59MK2": WeaponClass(_CM, False),
    "X-22": WeaponClass(_CM, False),
    "X-32": WeaponClass(_CM, False),
    "3M22 Zircon": WeaponClass(_CM, False),
    "Banderol": WeaponClass(_CM, False),
    # ballistic and aeroballistic missiles, SAMs fired at ground targets
    "Iskander-M": WeaponClass(_BM, False),
    "KN-23": WeaponClass(_BM, False),
    "Iskander-M/KN-23": WeaponClass(_BM, False),
    "X-47 Kinzhal": WeaponClass(_BM, False),
    "Ballistic Missile": WeaponClass(_BM, False),
    "Intercontinental Ballistic Missile": WeaponClass(_BM, False),
    "C-300": WeaponClass(_BM, False),
    "C-400": WeaponClass(_BM, False),
    "C-300/C-400": WeaponClass(_BM, False),
    # other missiles and bombs: anti-ship, anti-radiation, guided bombs, unknown
    "X-35": WeaponClass(_OT, False),
    "P-800 Oniks": WeaponClass(_OT, False),
    "X-31": WeaponClass(_OT, False),
    "X-31P": WeaponClass(_OT, False),
    "X-31PD": WeaponClass(_OT, False),
    "GBU": WeaponClass(_OT, False),
    "Aerial Bomb": WeaponClass(_OT, False),
    "Unknown Missile": WeaponClass(_OT, False),
    # reconnaissance and tactical UAVs (front-line; not part of the long-range raid)
    "Unknown UAV": WeaponClass(_OT, True),
    "Reconnaissance UAV": WeaponClass(_OT, True),
    "Orlan-10": WeaponClass(_OT, True),
    "Orlan-30": WeaponClass(_OT, True),
    "ZALA": WeaponClass(_OT, True),
    "Supercam": WeaponClass(_OT, True),
    "Merlin-VR": WeaponClass(_OT, True),
    "Orion": WeaponClass(_OT, True),
    "Mohajer-6": WeaponClass(_OT, True),
    "Forpost": WeaponClass(_OT, True),
    "Eleron": WeaponClass(_OT, True),
    "Granat-4": WeaponClass(_OT, True),
    "Lancet": WeaponClass(_OT, True),
    "Kub": WeaponClass(_OT, True),
    "Молнія": WeaponClass(_OT, True),
    "Фенікс": WeaponClass(_OT, True),
    "Картограф": WeaponClass(_OT, True),
    "Привет-82": WeaponClass(_OT, True),
}

_INDEX: dict[str, WeaponClass] = {k.casefold(): v for k, v in COMPONENT_TABLE.items()}


def split_components(model: str) -> list[str]:
    """The component names of a report's ``model`` field ("A and B" -> ["A", "B"])."""
    return [part.strip() for part in model.split(" and ") if part.strip()]


def classify_model(model: str) -> WeaponClass | None:
    """Family and UAV flag of a report ``model`` name, or None if a component is unknown.

    Matching is case-insensitive. A combined name maps to its first component's family; it
    counts as a UAV only if every component is one.
    """
    parts = split_components(model)
    if not parts:
        return None
    classes = [_INDEX.get(p.casefold()) for p in parts]
    if any(c is None for c in classes):
        return None
    return WeaponClass(classes[0].family, all(c.uav for c in classes))  # type: ignore[union-attr]
