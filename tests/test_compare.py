"""The comparison of scenarios (simulation/compare.py), on scenarios worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import scenario

from simulation import run
from simulation.compare import Compared, compare, input_text

# HAND (tests/conftest.py): Generate 100 leads a month at CAC 100 → 10 customers a month, 30 over 3 months.
# With the generate channel at cost per lead 20: 50 leads, 5 customers a month, 15 in all, CAC 200.


def _pair():
    a = run(scenario())
    b = run(scenario(**{"channel.gen.cost_per_lead": 20.0, "name": "dearer"}))
    return compare([Compared("A", a), Compared("B", b)])


def test_headline_differences_against_the_first_by_hand():
    c = _pair()
    row = {(r.strategy, r.metric): r for r in c.headline}
    customers = row[("generate", "customers")]
    assert customers.values == pytest.approx((30, 15))
    assert customers.deltas[0] is None and customers.deltas[1] == pytest.approx(-15)
    assert customers.delta_text == ("", "−15")
    assert customers.better == (False, False)  # fewer customers is worse
    cac = row[("generate", "cac")]
    assert cac.values == pytest.approx((100, 200))
    assert cac.delta_text == ("", "+$100") and cac.better == (False, False)  # a higher CAC is worse
    # Buy is the same in both: 0 difference, shown as ±, neither better nor worse
    buy = row[("buy", "customers")]
    assert buy.deltas[1] == pytest.approx(0) and buy.delta_text[1] == "±0" and buy.better == (False, False)
    # Blend: A wins 5 + 2.5 = 7.5 a month; B 2.5 + 2.5 = 5 a month → −7.5 over 3 months
    assert row[("blend", "customers")].deltas[1] == pytest.approx(-7.5)


def test_improvements_follow_the_registry_direction():
    c = compare([Compared("B", run(scenario(**{"channel.gen.cost_per_lead": 20.0}))), Compared("A", run(scenario()))])
    row = {(r.strategy, r.metric): r for r in c.headline}
    assert row[("generate", "customers")].better == (False, True)  # +15 customers
    assert row[("generate", "cac")].better == (False, True)  # −100 of CAC
    assert row[("generate", "cac")].delta_text[1] == "−$100"


def test_inputs_that_differ_only_those_in_the_first_seen_order():
    c = _pair()
    assert [r.key for r in c.inputs] == ["name", "channel.gen.cost_per_lead"]
    cpl = c.inputs[1]
    assert cpl.label == "gen · Cost per lead" and cpl.values == (10.0, 20.0)
    assert cpl.text == ("$10", "$20")


def test_a_channel_only_one_scenario_has_is_listed_with_a_dash():
    a = run(scenario())
    b = run(scenario(**{"channel.buy": None, "channel.gen.share": 1.0}))
    c = compare([Compared("A", a), Compared("no vendor", b)])
    keys = {r.key: r for r in c.inputs}
    assert keys["channel.buy.cost_per_lead"].text == ("$20", "—")
    # B has no buy strategy: its series is absent, its metrics undefined, their difference "—"
    assert c.series["cumulative_customers"]["buy"][1] is None
    buy = next(r for r in c.headline if r.strategy == "buy" and r.metric == "customers")
    assert buy.values[1] is None and buy.delta_text[1] == "—"


def test_series_are_the_results_own_months():
    c = _pair()
    np.testing.assert_allclose(c.series["cumulative_customers"]["generate"][0], [10, 20, 30])
    np.testing.assert_allclose(c.series["cumulative_customers"]["generate"][1], [5, 10, 15])
    np.testing.assert_allclose(c.months[0], [1, 2, 3])


def test_rates_show_as_percentages_and_counts_whole():
    assert input_text("channel.x.lead_to_mql", 0.023) == "2.3 %"
    assert input_text("channel.x.lead_to_mql", 0.5) == "50 %"
    assert input_text("horizon_months", 36) == "36"
    assert input_text("budget.monthly", 40000.0, "EUR") == "€40,000"


def test_more_than_four_is_refused():
    r = run(scenario())
    with pytest.raises(ValueError, match="1 to 4"):
        compare([Compared(str(i), r) for i in range(5)])
