"""Acquisition Lab's funnel model: generate vs buy vs blend, month by month."""

from .model import MONTHLY, STRATEGIES, SUMMARY, params_of, simulate, summarize
from .presets import DEFAULT_PRESET, load_preset, preset_names
from .results import Result, run
from .schema import (
    FIELDS,
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
    "DEFAULT_PRESET", "FIELDS", "MONTHLY", "STRATEGIES", "SUMMARY", "Result", "Scenario", "ScenarioError",
    "dumps_scenario", "flatten", "load_preset", "load_scenario", "loads_scenario", "params_of", "preset_names",
    "run", "save_scenario", "simulate", "summarize", "validate_scenario", "with_values",
]  # fmt: skip
