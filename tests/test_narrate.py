"""The sentences and small tables written once in simulation/ for the CLI and the app."""

from __future__ import annotations

import pytest
from conftest import scenario

from simulation import load_preset, run, validate_scenario
from simulation.analyses.typical import typical_ranges
from simulation.metrics import currency_symbol, fmt, money, money_short
from simulation.narrate import assumptions_line, comparison, probability, verdict
from simulation.schema import scenario_dict


def test_verdict_recommends_the_most_lifetime_value_and_names_the_tradeoff():
    result = run(load_preset("default"))
    values = {s: result.metric(s, "npv_lifetime") for s in result.strategies}
    best = max(values, key=values.get)
    v = verdict(result)
    assert v.best == best
    assert v.headline.startswith(f"Choose {best.capitalize()}")
    # the trade-off names a strategy that wins more customers by month 6 than the best one, with both counts
    early = {s: result.series_of(s, "cumulative_customers")[5] for s in result.strategies}
    faster = max(early, key=early.get)
    assert faster != best
    assert f"wins {early[faster]:,.0f} customers by month 6 against {early[best]:,.0f}" in v.tradeoff
    # no ranges: no probability claim
    assert "%" not in v.sureness and "No input has a range" in v.sureness


def test_verdict_when_everything_loses_money():
    # revenue 0: every strategy destroys value; the verdict says so instead of recommending
    r = run(scenario(**{"economics.revenue_per_customer_month": 0.0}))
    v = verdict(r)
    assert v.headline.startswith("No strategy earns back its cost")


@pytest.mark.parametrize("share, text", [(0.0, "0 %"), (0.004, "under 1 %"), (0.5, "50 %"), (0.996, "over 99 %"),
                                         (1.0, "100 %")])  # fmt: skip
def test_probability_never_rounds_to_certainty(share, text):
    assert probability(share) == text


def test_comparison_marks_the_best_by_the_registry_direction():
    # HAND: Generate 10 customers a month at CAC 100, Buy 5 a month at CAC 200, Blend 7.5 at 133.33
    rows = {r.metric: r for r in comparison(run(scenario()))}
    assert rows["customers"].best == ("generate",)
    assert rows["cac"].best == ("generate",)  # lower is better
    assert rows["customers"].text == {"generate": "30", "buy": "15", "blend": "22"}  # whole numbers (22.5 → 22)
    assert rows["cac"].text["buy"] == "$200"
    assert rows["payback_month"].best == ()  # undefined everywhere: nothing marked


def test_money_uses_the_currency_symbol():
    assert currency_symbol("EUR") == "€" and currency_symbol("GBP") == "£" and currency_symbol("USD") == "$"
    assert money(40000, "USD") == "$40,000"
    assert money(-2850.4, "EUR") == "−€2,850"
    assert money(72.8, "USD") == "$72.80"
    assert money(0, "USD") == "$0"
    assert money_short(6_931_637, "GBP") == "£6.9 M"
    assert money_short(480_000, "USD") == "$480 k"
    assert fmt("customers", 301.6) == "302"
    assert fmt("cac", None, "USD") == "—"


def test_assumptions_line_holds_the_inputs():
    line = assumptions_line(run(load_preset("default")))
    assert line.startswith("$40 k a month for 24 months")
    assert "Vendor: shared leads $85.00/lead" in line and "sales capacity 520 leads/month" in line


@pytest.mark.parametrize("name", ["default", "b2b_saas", "home_services", "insurance", "industrial_b2b"])
def test_typical_ranges_contain_the_values_and_validate(name):
    scn = load_preset(name)
    ranges = typical_ranges(scn)
    assert ranges, "every preset has prices and close rates to range"
    for cid in scn.channel:
        assert f"channel.{cid}.cost_per_lead" in ranges
    data = scenario_dict(scn)
    data["uncertainty"] = {"ranges": {k: list(v) for k, v in ranges.items()}}
    validated = validate_scenario(data)  # contains each value, inside each field's own range
    assert set(validated.uncertainty.ranges) == set(ranges)
    lo, hi = ranges[f"channel.{next(iter(scn.channel))}.cost_per_lead"]
    price = scn.channel[next(iter(scn.channel))].cost_per_lead
    assert lo == pytest.approx(price * 0.8, rel=2e-3) and hi == pytest.approx(price * 1.2, rel=2e-3)
