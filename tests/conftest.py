"""Shared scenario builders for the tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from simulation import Scenario, validate_scenario

# A scenario whose numbers are easy to work out by hand: no ramp, no lag, no churn, no fixed costs.
HAND: dict[str, Any] = {
    "name": "hand",
    "horizon_months": 3,
    "budget": {"monthly": 1000.0, "buy_share": 0.5},
    "economics": {"revenue_per_customer_month": 100.0, "gross_margin": 0.5, "monthly_churn": 0.0, "lifetime_months": 10},
    "generate": {
        "cost_per_lead": 10.0, "ramp_months": 0.0, "fixed_monthly_cost": 0.0,
        "lead_to_mql": 0.5, "mql_to_sql": 0.4, "sql_to_customer": 0.5, "nurture_months": 0.0,
    },
    "buy": {
        "cost_per_lead": 20.0, "max_leads_per_month": 0.0, "invalid_rate": 0.0, "return_cap": 0.0,
        "fixed_monthly_cost": 0.0, "lead_to_mql": 0.5, "mql_to_sql": 0.5, "sql_to_customer": 0.4, "nurture_months": 0.0,
    },
}  # fmt: skip


def scenario(**overrides: Any) -> Scenario:
    """The HAND scenario with dotted-name overrides, e.g. scenario(**{"buy.invalid_rate": 0.2})."""
    data = copy.deepcopy(HAND)
    for key, value in overrides.items():
        node = data
        *parents, leaf = key.split(".")
        for part in parents:
            node = node[part]
        node[leaf] = value
    return validate_scenario(data)


@pytest.fixture
def hand() -> Scenario:
    return scenario()
