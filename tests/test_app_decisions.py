"""AppTest for the Risk, Sensitivity and Optimize views: the numbers of the analyses, the settings in the link."""

from __future__ import annotations

import pytest
from apptest_helpers import app, cards, link_of, unescape

from dashboard.decide import OBJECTIVE_LABELS
from dashboard.headline import value_text
from simulation import load_preset, validate_scenario
from simulation.analyses.breakeven import breakeven
from simulation.analyses.montecarlo import monte_carlo
from simulation.analyses.optimize import Constraint, optimize
from simulation.metrics import fmt, money
from simulation.narrate import uncertainty_sentences, verdict
from simulation.results import run
from simulation.schema import scenario_dict

RANGES = "channel.vendor_shared.cost_per_lead:70:110,channel.content.sql_to_customer:0.15:0.3"


def with_ranges(draws: int, seed: int):
    """The default preset with the link's ranges instead of its own (no correlation: its pair is not ranged)."""
    d = scenario_dict(load_preset("default"))
    d["uncertainty"] = {"draws": draws, "seed": seed, "ranges": {
        "channel.vendor_shared.cost_per_lead": [70.0, 110.0], "channel.content.sql_to_customer": [0.15, 0.3]}}  # fmt: skip
    return validate_scenario(d)


def test_risk_view_numbers_match_the_engine():
    at = app({"view": "Risk", "ranges": RANGES, "draws": "1500", "seed": "7"})
    scn = with_ranges(1500, 7)
    mc = monte_carlo(scn)
    shown = cards(at)
    for s, lab in (("generate", "Generate"), ("buy", "Buy"), ("blend", "Blend")):
        want = value_text("npv_lifetime", mc.quantile(s, "npv_lifetime"), "USD")
        assert shown[f"Lifetime value created · {lab} (median)"] == want
    p10, p90 = (fmt("npv_lifetime", mc.quantile("buy", "npv_lifetime", q), "USD") for q in ("p10", "p90"))
    assert any(unescape(c.value).startswith(f"P10–P90: {p10} – {p90} · CAC ") for c in at.caption)
    md = [unescape(m.value) for m in at.markdown]
    for sentence in uncertainty_sentences(mc):
        assert f"**{sentence}**" in md
    # the verdict says how sure, from the same Monte Carlo
    assert unescape(at.info[0].value) == verdict(run(scn), mc).sentence
    assert at.multiselect(key="_risk.fields").value == ["channel.content.sql_to_customer",
                                                        "channel.vendor_shared.cost_per_lead"]  # fmt: skip
    assert link_of(at)["ranges"] == RANGES and link_of(at)["draws"] == "1500"


def test_preset_ranges_are_used_without_a_ranges_parameter():
    at = app({"view": "Risk", "draws": "300"})
    preset = load_preset("default")
    assert at.multiselect(key="_risk.fields").value == [k for k in
                                                        ("channel.content.nurture_months", "channel.content.ramp_months",
                                                         "channel.vendor_exclusive.cost_per_lead",
                                                         "channel.vendor_exclusive.sql_to_customer")]  # fmt: skip
    d = scenario_dict(preset)
    d["uncertainty"]["draws"] = 300
    mc = monte_carlo(validate_scenario(d))  # with the preset's correlation
    want = value_text("npv_lifetime", mc.quantile("blend", "npv_lifetime"), "USD")
    assert cards(at)["Lifetime value created · Blend (median)"] == want
    assert "ranges" not in link_of(at)


def test_risk_view_without_ranges_makes_no_probability_claim():
    at = app({"view": "Risk", "ranges": "none"})
    assert any("No input has a range" in i.value for i in at.info)
    assert not [m for m in at.markdown if "simulated futures" in m.value]
    assert "No input has a range" in unescape(at.info[0].value)  # the verdict says so too
    assert link_of(at)["ranges"] == "none"


def test_bad_ranges_in_link_warn_and_are_dropped():
    at = app({"view": "Risk", "ranges": "channel.vendor_shared.cost_per_lead:140:90,channel.content.nurture:1:2,"
              "channel.vendor_shared.invalid_rate:0.1:0.3"})  # fmt: skip
    text = unescape(at.warning[0].value)
    assert "ranges: channel.vendor_shared.cost_per_lead: low 140.0 is above high 90.0" in text
    assert "ranges: 'channel.content.nurture' is not an input of this scenario that can have a range" in text
    assert at.multiselect(key="_risk.fields").value == ["channel.vendor_shared.invalid_rate"]
    assert link_of(at)["ranges"] == "channel.vendor_shared.invalid_rate:0.1:0.3"


def test_a_range_that_no_longer_contains_its_value_is_left_out_with_a_line():
    at = app({"view": "Risk", "ranges": "channel.content.ramp_months:5:12", "channel.content.ramp_months": "3"})
    assert not at.warning[0].value.startswith("Some values in the link")
    assert "channel.content.ramp_months: the range 5 – 12 does not contain today's value 3" in unescape(
        at.warning[0].value)  # fmt: skip
    assert any("No input has a range" in i.value for i in at.info)


def test_sensitivity_view_states_breakeven_per_vendor():
    at = app({"view": "Sensitivity"})
    scn = load_preset("default")
    prices = breakeven(scn)
    shown = cards(at)
    for cid, price in prices.items():
        assert shown[f"Break-even price · {scn.channel[cid].label}"] == money(price, "USD", decimals=2)
    assert prices["vendor_exclusive"] == pytest.approx(172.35, abs=0.01)
    assert len(at.get("plotly_chart")) == 2
    assert at.selectbox(key="_tornado_output").value == "npv_lifetime_generate"


def test_optimize_view_recommends_the_optimum():
    at = app({"view": "Optimize", "objective": "cac"})
    best = optimize(load_preset("default"), "cac")
    assert at.radio(key="_objective").value == "cac" and OBJECTIVE_LABELS["cac"] == "Lowest eventual CAC"
    assert unescape(at.success[0].value) == best.message
    shown = cards(at)
    assert shown["CAC, eventual · recommended"] == value_text("cac_eventual", best.summary["cac_eventual"], "USD")
    assert shown["Lifetime value created · recommended"] == value_text("npv_lifetime", best.summary["npv_lifetime"],
                                                                       "USD")  # fmt: skip


def test_optimize_view_impossible_floor_says_so():
    at = app({"view": "Optimize", "min_customers": "9000000", "by_month": "6"})
    assert at.toggle(key="_floor_on").value is True
    (err,) = at.error
    want = optimize(load_preset("default"), "npv", Constraint(9_000_000, 6)).message
    assert unescape(err.value) == want
    assert want.startswith("No allocation wins 9,000,000 customers by month 6")
    assert link_of(at)["min_customers"] == "9000000" and link_of(at)["by_month"] == "6"


@pytest.mark.parametrize("view", ["Risk", "Sensitivity", "Optimize"])
@pytest.mark.parametrize("preset", ["industrial_b2b", "home_services"])
def test_views_render_for_other_presets(view, preset):
    at = app({"view": view, "preset": preset})
    assert len(at.get("plotly_chart")) >= 1 and not at.warning


def test_editing_ranges_and_draws_puts_them_in_the_link_and_reruns_the_numbers():
    at = app({"view": "Risk", "ranges": RANGES, "draws": "300"})
    at.multiselect(key="_risk.fields").unselect("channel.content.sql_to_customer").run()
    assert link_of(at)["ranges"] == "channel.vendor_shared.cost_per_lead:70:110"
    at.number_input(key="_risk.draws").set_value(400).run()
    assert link_of(at)["draws"] == "400"
    d = scenario_dict(load_preset("default"))
    d["uncertainty"] = {"draws": 400, "seed": 1, "ranges": {"channel.vendor_shared.cost_per_lead": [70.0, 110.0]}}
    mc = monte_carlo(validate_scenario(d))
    want = value_text("npv_lifetime", mc.quantile("buy", "npv_lifetime"), "USD")
    assert cards(at)["Lifetime value created · Buy (median)"] == want
    at.selectbox(key="_preset").set_value("insurance").run()  # another preset: its own ranges and draws
    assert "ranges" not in link_of(at) and "draws" not in link_of(at)


def test_optimizer_settings_go_in_the_link():
    at = app({"view": "Optimize"})
    at.radio(key="_objective").set_value("customers").run()
    at.toggle(key="_floor_on").set_value(True).run()
    at.number_input(key="_min_customers").set_value(120.0).run()
    at.number_input(key="_by_month").set_value(12).run()
    link = link_of(at)
    assert (link["objective"], link["min_customers"], link["by_month"]) == ("customers", "120", "12")
    best = optimize(load_preset("default"), "customers", Constraint(120.0, 12))
    assert unescape(at.success[0].value) == best.message
    assert cards(at)["Customers by month 12 · recommended"] == fmt("customers", best.customers_by_month)
    again = app(link)  # the link reopens the same settings
    assert again.radio(key="_objective").value == "customers" and again.number_input(key="_by_month").value == 12
