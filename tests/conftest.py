"""Shared scenario builders for the tests."""

from __future__ import annotations

import copy
import os
import tempfile
from typing import Any

import pytest

from simulation import Scenario, validate_scenario

# The embedded library of every test (and every app process a test starts) lives in a temporary folder, never in
# the person's own ~/.local/share/acquisition-lab; tests that need their own database set ACQLAB_DATABASE_URL.
os.environ["ACQLAB_DATA_DIR"] = tempfile.mkdtemp(prefix="acqlab-test-")
os.environ.pop("ACQLAB_DATABASE_URL", None)

# A version 2 scenario whose numbers are easy to work out by hand: one generate channel `gen` and
# one buy channel `buy`, half the budget each; no ramp, no lag, no churn, no fixed costs, no
# discounting, no sales capacity or cost.
# gen: 500 / 10 = 50 leads a month, p = 0.5·0.4·0.5 = 0.1. buy: 500 / 20 = 25 leads, p = 0.5·0.5·0.4 = 0.1.
HAND: dict[str, Any] = {
    "schema_version": 2,
    "name": "hand",
    "horizon_months": 3,
    "budget": {"monthly": 1000.0},
    "economics": {"revenue_per_customer_month": 100.0, "gross_margin": 0.5, "monthly_churn": 0.0,
                  "lifetime_months": 10, "discount_rate": 0.0},
    "channel": {
        "gen": {"kind": "generate", "share": 0.5, "cost_per_lead": 10.0, "lead_to_mql": 0.5, "mql_to_sql": 0.4,
                "sql_to_customer": 0.5, "nurture_months": 0.0},
        "buy": {"kind": "buy", "share": 0.5, "cost_per_lead": 20.0, "lead_to_mql": 0.5, "mql_to_sql": 0.5,
                "sql_to_customer": 0.4, "nurture_months": 0.0},
    },
}  # fmt: skip


def scenario_dict(**overrides: Any) -> dict[str, Any]:
    """HAND with dotted-name overrides (``**{"channel.buy.invalid_rate": 0.2}``); None removes the field."""
    data = copy.deepcopy(HAND)
    for key, value in overrides.items():
        node = data
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return data


def scenario(**overrides: Any) -> Scenario:
    """The HAND scenario with dotted-name overrides, validated."""
    return validate_scenario(scenario_dict(**overrides))


@pytest.fixture
def hand() -> Scenario:
    return scenario()
