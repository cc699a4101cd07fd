"""AppTest for the Risk, Sensitivity and Optimize views."""

from __future__ import annotations

import pytest
from apptest_helpers import app

from simulation import load_preset, validate_scenario
from simulation.decisions import Constraint, breakeven, optimize_share
from simulation.format import fmt_metric
from simulation.uncertainty import monte_carlo

RANGES = "buy.cost_per_lead:90:140,generate.sql_to_customer:0.15:0.3,generate.nurture_months:2:6"


def scenario_with_ranges(draws=2000, seed=1):
    d = load_preset("default").model_dump()
    d["uncertainty"] = {"draws": draws, "seed": seed, "ranges": {"buy.cost_per_lead": [90.0, 140.0],
                        "generate.sql_to_customer": [0.15, 0.3], "generate.nurture_months": [2.0, 6.0]}}  # fmt: skip
    return validate_scenario(d)


def test_risk_view_numbers_match_the_engine():
    at = app({"view": "Risk", "ranges": RANGES, "draws": "1500", "seed": "7"})
    mc = monte_carlo(scenario_with_ranges(1500, 7))
    q = mc.quantiles_dict()
    shown = {m.label: m.value for m in at.metric}
    assert shown["CAC · Buy (median)"] == fmt_metric("cac", q["buy"]["cac"]["p50"])
    caption = next(c.value for c in at.caption if c.value.startswith("P10–P90: ") and
                   fmt_metric("cac", q["generate"]["cac"]["p10"]) in c.value)  # fmt: skip
    assert fmt_metric("cac", q["generate"]["cac"]["p90"]) in caption
    p = mc.probabilities["buy_beats_generate_cac"]
    sentence = (f"In {p:.0%} of simulated futures, buying has the lower CAC." if p >= 0.5
                else f"In {1 - p:.0%} of simulated futures, generating has the lower CAC.")  # fmt: skip
    assert any(sentence in m.value for m in at.markdown)
    assert at.multiselect(key="_unc_fields").value == ["generate.sql_to_customer", "generate.nurture_months",
                                                       "buy.cost_per_lead"]  # fmt: skip


def test_risk_view_without_ranges_invites_to_add_one():
    at = app({"view": "Risk"})
    assert any("Add an uncertain input" in i.value for i in at.info)


def test_bad_ranges_in_link_warn_and_are_dropped():
    at = app({"view": "Risk", "ranges": "buy.cost_per_lead:140:90,generate.nurture:1:2,buy.invalid_rate:0.1:0.3"})
    text = at.warning[0].value.replace("\\", "")
    assert "buy.cost_per_lead: low 140.0 is above high 90.0" in text
    assert "'generate.nurture' is not an input that can have a range" in text
    assert at.multiselect(key="_unc_fields").value == ["buy.invalid_rate"]


def test_sensitivity_view_states_breakeven():
    at = app({"view": "Sensitivity"})
    price = breakeven(load_preset("default"))["buy_cost_per_lead"]
    assert any(f"Break-even vendor price: {price:,.2f} per lead." in m.value for m in at.markdown)
    assert len(at.get("plotly_chart")) == 2


def test_optimize_view_best_share_and_plan():
    at = app({"view": "Optimize", "objective": "cac"})
    best = optimize_share(load_preset("default"), "cac")
    shown = {m.label: m.value for m in at.metric}
    assert shown["Best buy share"] == f"{best.buy_share:.0%}"
    assert shown["CAC · best share"] == fmt_metric("cac", best.summary["cac"])


def test_optimize_view_impossible_floor_says_so():
    at = app({"view": "Optimize", "min_customers": "9000000", "by_month": "6"})
    assert at.toggle(key="_floor_on").value is True
    (err,) = at.error
    assert err.value == optimize_share(load_preset("default"), "roi", Constraint(9_000_000, 6)).message
    assert err.value.startswith("No buy share reaches 9,000,000 customers by month 6")


@pytest.mark.parametrize("view", ["Risk", "Sensitivity", "Optimize"])
def test_views_render_for_every_preset_kind(view):
    at = app({"view": view, "preset": "industrial_b2b", "ranges": "buy.cost_per_lead:250:400"})
    assert len(at.get("plotly_chart")) >= 1
