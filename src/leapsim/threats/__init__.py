"""Threat model from real attack reports: read, group into nights, fit, save and sample raids.

Data: daily reports of the Air Force Command of the Armed Forces of Ukraine, digitised by
Petro Ivaniuk (Kaggle ``piterfm/massive-missile-attacks-on-ukraine``). See
``docs/threat_model.md`` for the families, the night rule, the model equations and validation.
"""

from leapsim.threats.families import FAMILIES, MISSILE_FAMILIES, Family, classify_model
from leapsim.threats.fit import fit_threat_model
from leapsim.threats.model import (
    ThreatModel,
    load_default_threat_model,
    load_threat_model,
    resolve_threat_model,
    save_threat_model,
)
from leapsim.threats.nights import NIGHTS_PER_MONTH, NightTable, group_nights
from leapsim.threats.reports import ReportRows, read_reports
from leapsim.threats.sample import month_index, sample_raids

__all__ = [
    "FAMILIES",
    "MISSILE_FAMILIES",
    "NIGHTS_PER_MONTH",
    "Family",
    "NightTable",
    "ReportRows",
    "ThreatModel",
    "classify_model",
    "fit_threat_model",
    "group_nights",
    "load_default_threat_model",
    "load_threat_model",
    "month_index",
    "read_reports",
    "resolve_threat_model",
    "sample_raids",
    "save_threat_model",
]
