"""Acquisition Lab's funnel model: generate or buy leads, and in which mix across channels, month by month."""

from .engine import Monthly, Params, params_of, simulate, summarize
from .metrics import METRICS, STRATEGIES, SUMMARY
from .presets import DEFAULT_PRESET, load_preset, preset_names
from .results import Result, run
from .schema import (
    CHANNEL_FIELDS,
    SCALAR_FIELDS,
    Scenario,
    ScenarioError,
    dumps_scenario,
    flatten,
    load_scenario,
    loads_scenario,
    save_scenario,
    validate_scenario,
    with_values,
)

__all__ = [
    "CHANNEL_FIELDS", "DEFAULT_PRESET", "METRICS", "Monthly", "Params", "Result", "SCALAR_FIELDS", "STRATEGIES",
    "SUMMARY", "Scenario", "ScenarioError", "dumps_scenario", "flatten", "load_preset", "load_scenario",
    "loads_scenario", "params_of", "preset_names", "run", "save_scenario", "simulate", "summarize",
    "validate_scenario", "with_values",
]  # fmt: skip
