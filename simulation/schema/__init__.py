"""Scenario schema, version 2: the field registry, the pydantic models, files, links and migration."""

from .fields import CHANNEL_FIELDS, MAX_COUNT, MAX_MONEY, MAX_PRICE, SCALAR_FIELDS, FieldSpec, channel_key, spec_of
from .io import (
    ScenarioError,
    dumps_scenario,
    flatten,
    load_scenario,
    load_with_warnings,
    loads_scenario,
    migrate_v1,
    parse_toml,
    save_scenario,
    scenario_dict,
    validate_scenario,
    validate_with_warnings,
    with_values,
)
from .scenario import (
    SCHEMA_VERSION,
    Channel,
    Scenario,
    Uncertainty,
    did_you_mean,
    get_value,
    numeric_fields,
    range_problems,
)

__all__ = [
    "CHANNEL_FIELDS", "MAX_COUNT", "MAX_MONEY", "MAX_PRICE", "SCALAR_FIELDS", "SCHEMA_VERSION", "Channel",
    "FieldSpec", "Scenario", "ScenarioError", "Uncertainty", "channel_key", "did_you_mean", "dumps_scenario",
    "flatten", "get_value", "load_scenario", "load_with_warnings", "loads_scenario", "migrate_v1",
    "numeric_fields", "parse_toml", "range_problems", "save_scenario", "scenario_dict", "spec_of",
    "validate_scenario", "validate_with_warnings", "with_values",
]  # fmt: skip
