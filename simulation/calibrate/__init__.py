"""Calibration: fit the model's channels to a CRM export (docs/CALIBRATION.md).

The API the command line and the app's Calibrate view use, all pure (bytes and values in, values out)::

    export = read_export(data, "export.csv")          # or read_export_file(path)
    mapping = propose_mapping(export, base)           # or parse_mapping(toml_text)
    calibration = fit(export, mapping, base, spend)   # spend = read_spend(data) or None
    scenario, warnings = apply(base, calibration)
    mapping_toml(mapping)                             # the mapping file's text

Every problem is a CalibrationError whose ``problems`` are one line each.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names, for type checkers and editors
    from .errors import CalibrationError
    from .estimate import (
        RATES,
        Calibration,
        ChannelFit,
        NurtureFit,
        RateFit,
        beta_quantiles,
        fit,
        fit_nurture,
        kaplan_meier,
    )
    from .leads import DAYS_PER_MONTH
    from .mapping import (
        BOUGHT_WORDS,
        KNOWN_COLUMNS,
        KNOWN_LOST,
        KNOWN_WON,
        Mapping,
        Target,
        looks_bought,
        mapping_toml,
        parse_mapping,
        propose_mapping,
        recognise_columns,
        value_counts,
    )
    from .reader import MAX_EXPORT_BYTES, Export, read_export, read_export_file
    from .spend import Spend, read_spend
    from .update import apply, months_range, rate_range

# name → submodule: imported on first use, so `simulation.calibrate.cli` (registered by the command line)
# costs nothing until `calibrate` runs (scipy and the fits load then)
_WHERE = {
    "apply": "update", "months_range": "update", "rate_range": "update",
    "CalibrationError": "errors",
    "RATES": "estimate", "Calibration": "estimate", "ChannelFit": "estimate", "NurtureFit": "estimate",
    "RateFit": "estimate", "beta_quantiles": "estimate", "fit": "estimate", "fit_nurture": "estimate",
    "kaplan_meier": "estimate",
    "DAYS_PER_MONTH": "leads",
    "BOUGHT_WORDS": "mapping", "KNOWN_COLUMNS": "mapping", "KNOWN_LOST": "mapping", "KNOWN_WON": "mapping",
    "Mapping": "mapping", "Target": "mapping", "looks_bought": "mapping", "mapping_toml": "mapping",
    "parse_mapping": "mapping", "propose_mapping": "mapping", "recognise_columns": "mapping",
    "value_counts": "mapping",
    "MAX_EXPORT_BYTES": "reader", "Export": "reader", "read_export": "reader", "read_export_file": "reader",
    "Spend": "spend", "read_spend": "spend",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "BOUGHT_WORDS", "DAYS_PER_MONTH", "KNOWN_COLUMNS", "KNOWN_LOST", "KNOWN_WON", "MAX_EXPORT_BYTES", "RATES",
    "Calibration", "CalibrationError", "ChannelFit", "Export", "Mapping", "NurtureFit", "RateFit", "Spend", "Target",
    "apply", "beta_quantiles", "fit", "fit_nurture", "kaplan_meier", "looks_bought", "mapping_toml", "months_range",
    "parse_mapping", "propose_mapping", "rate_range", "read_export", "read_export_file", "read_spend",
    "recognise_columns", "value_counts",
]  # fmt: skip
