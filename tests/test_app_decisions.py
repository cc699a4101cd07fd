"""AppTest of the Risk, Sensitivity and Optimize views: the analyses' numbers on screen, no probability claim
without ranges, typical ranges in one click, settings in the link, "Apply to plan"."""

from __future__ import annotations

import html

import numpy as np
import pytest
from test_views import app, arr, figures, link_of, shows, tables, texts, title_of

from dashboard.views.optimize import OBJECTIVE_LABELS
from simulation import load_preset, run, validate_scenario, with_values
from simulation.analyses.breakeven import breakeven
from simulation.analyses.montecarlo import monte_carlo
from simulation.analyses.optimize import Constraint, optimize, widget_shares
from simulation.analyses.sensitivity import sensitivity
from simulation.analyses.typical import typical_ranges
from simulation.metrics import STRATEGIES, fmt, money, money_short
from simulation.narrate import median_notes, uncertainty_sentences, verdict
from simulation.schema import scenario_dict

RANGES = "channel.vendor_shared.cost_per_lead:70:110,channel.content.sql_to_customer:0.15:0.3"
K_FIELDS = "_views.risk.fields"


def with_ranges(ranges: dict[str, list[float]], draws: int = 2000, seed: int = 1, correlations=None):
    """The default preset with these ranges instead of its own."""
    d = scenario_dict(load_preset("default"))
    d["uncertainty"] = {"draws": draws, "seed": seed, "ranges": ranges, "correlations": correlations or {}}
    return validate_scenario(d)


def quantile_cell(mc, s: str, m: str, cur: str = "USD") -> str:
    """'median (P10 – P90)' of a metric, as the Risk view's table shows it."""
    f = (lambda v: money_short(v, cur)) if m == "npv_lifetime" else (lambda v: fmt(m, v, cur))
    return f"{f(mc.quantile(s, m, 'p50'))} ({f(mc.quantile(s, m, 'p10'))} – {f(mc.quantile(s, m, 'p90'))})"


def sentences(at) -> list[str]:
    """The bold sentences of the Risk view, one a line."""
    return [line for t in texts(at) for line in t.split("  \n") if line.startswith("**")]


# ---- Risk ------------------------------------------------------------------------------------------------


def test_risk_view_numbers_are_the_monte_carlo_of_the_links_ranges():
    at = app({"view": "Risk", "ranges": RANGES, "draws": "1500", "seed": "7"})
    scn = with_ranges({"channel.vendor_shared.cost_per_lead": [70.0, 110.0],
                       "channel.content.sql_to_customer": [0.15, 0.3]}, 1500, 7)  # fmt: skip
    mc = monte_carlo(scn)
    assert sentences(at) == [f"**{sentence}**" for sentence in uncertainty_sentences(mc)]
    assert "Buying has the lower CAC in" in uncertainty_sentences(mc)[0]
    (q,) = (d.value for d in at.dataframe)
    assert list(q["Strategy"]) == ["Generate", "Buy", "Blend"]
    for i, s in enumerate(STRATEGIES):
        for m, label in (("npv_lifetime", "Lifetime value created"), ("customers", "Customers won"), ("cac", "CAC")):
            assert q[label][i] == quantile_cell(mc, s, m)
    assert all("." not in v for v in q["Customers won"])  # counts whole
    assert at.multiselect(key=K_FIELDS).value == ["channel.content.sql_to_customer",
                                                  "channel.vendor_shared.cost_per_lead"]  # fmt: skip
    assert set(link_of(at)["ranges"].split(",")) == set(RANGES.split(",")) and link_of(at)["draws"] == "1500"
    fans = figures(at)[:2]
    assert [title_of(f) for f in fans] == ["Customers won to date: median and P10–P90",
                                           "Cumulative net cash: median and P10–P90"]  # fmt: skip
    for fig in fans:  # a band and a median per strategy, never a trace per draw
        assert len(fig["data"]) == 6 and [t["fill"] for t in fig["data"][::2]] == ["toself"] * 3
    qc = mc.monthly_q["cumulative_customers"]
    T = scn.horizon_months
    band = arr(fans[0]["data"][2]["y"])  # Buy's band: P90 forward, then P10 backward
    assert np.allclose(band[:T], qc[2, 1]) and np.allclose(band[T:], qc[0, 1][::-1])
    assert fans[1]["layout"]["yaxis"]["title"]["text"] == "Cumulative net cash ($)"
    dist = figures(at)[2]  # small multiples: one panel per strategy, never piled on one axis
    assert [t["type"] for t in dist["data"]] == ["histogram"] * 3
    assert [t["yaxis"] for t in dist["data"]] == ["y", "y2", "y3"]


def test_risk_view_without_ranges_claims_nothing_and_adds_typical_ranges_in_one_click():
    at = app({"view": "Risk", "ranges": "none"})
    assert link_of(at)["ranges"] == "none"
    assert [shows(i.value) for i in at.info] == [verdict(run(load_preset("default"))).sureness]
    assert not [t for t in texts(at) if "%" in t]  # no probability of any kind
    assert not figures(at) and not at.dataframe
    at.button(key="_views.risk.typical").click().run()
    assert not at.exception
    preset = load_preset("default")
    typical = typical_ranges(preset)
    link = link_of(at)["ranges"]
    assert {e.rsplit(":", 2)[0] for e in link.split(",")} == set(typical)
    assert "channel.vendor_exclusive.cost_per_lead:136:204" in link
    # the preset's correlation holds between two of the typical ranges
    scn = with_ranges({k: list(v) for k, v in typical.items()},
                      correlations=dict(preset.uncertainty.correlations))  # fmt: skip
    mc = monte_carlo(scn)
    assert sentences(at) == [f"**{sentence}**" for sentence in uncertainty_sentences(mc)]
    (q,) = (d.value for d in at.dataframe)
    assert q["CAC"][1] == quantile_cell(mc, "buy", "cac")
    assert at.multiselect(key=K_FIELDS).value == [k for k in typical]


def test_editing_ranges_and_draws_goes_in_the_link_and_reruns_the_numbers():
    at = app({"view": "Risk", "ranges": RANGES, "draws": "300"})
    at.multiselect(key=K_FIELDS).unselect("channel.content.sql_to_customer").run()
    assert link_of(at)["ranges"] == "channel.vendor_shared.cost_per_lead:70:110"
    at.number_input(key="_views.risk.draws").set_value(400).run()
    assert link_of(at)["draws"] == "400"
    mc = monte_carlo(with_ranges({"channel.vendor_shared.cost_per_lead": [70.0, 110.0]}, 400, 1))
    (q,) = (d.value for d in at.dataframe)
    assert q["Lifetime value created"][1] == quantile_cell(mc, "buy", "npv_lifetime")
    at.number_input(key="_views.risk.range.channel.vendor_shared.cost_per_lead.hi").set_value(120.0).run()
    assert link_of(at)["ranges"] == "channel.vendor_shared.cost_per_lead:70:120"


def test_risk_view_notes_where_the_headline_and_the_median_disagree():
    # today's price sits at the bottom of a lopsided range: most futures pay more, the median is far below
    ranges = "channel.vendor_exclusive.cost_per_lead:170:400,channel.vendor_shared.cost_per_lead:85:200"
    at = app({"view": "Risk", "ranges": ranges})
    scn = with_ranges({"channel.vendor_exclusive.cost_per_lead": [170.0, 400.0],
                       "channel.vendor_shared.cost_per_lead": [85.0, 200.0]})  # fmt: skip
    result, mc = run(scn), monte_carlo(scn)
    notes = median_notes(result, mc)
    assert notes and notes[0].startswith("Buy: the headline lifetime value")
    # the rule, by hand: |headline − P50| beyond the middle half of the futures (P25–P75)
    x = mc.samples["npv_lifetime"][:, STRATEGIES.index("buy")]
    p25, p75 = np.quantile(x, [0.25, 0.75])
    assert abs(result.metric("buy", "npv_lifetime") - mc.quantile("buy", "npv_lifetime")) > p75 - p25
    for note in notes:
        assert note in texts(at)


def test_risk_view_shows_the_apps_note_when_it_caps_the_draws():
    at = app({"view": "Risk", "draws": "100000"})
    notes = [t for t in texts(at) if t.startswith("100,000 simulated futures over 24 months")]
    assert len(notes) == 1  # the page shell's note (ViewContext.draws_note), shown once, in the Risk view
    assert "100,000" not in " ".join(sentences(at))  # the shares are of the futures actually simulated


def test_a_range_that_no_longer_contains_its_value_is_left_out_with_a_line():
    at = app({"view": "Risk", "ranges": "channel.content.ramp_months:5:12", "channel.content.ramp_months": "3"})
    assert any("channel.content.ramp_months" in w and "does not contain" in w for w in texts(at))
    assert [shows(i.value) for i in at.info] == [verdict(run(load_preset("default"))).sureness]


# ---- Sensitivity -----------------------------------------------------------------------------------------


def test_sensitivity_view_ranks_by_lifetime_value_and_states_breakeven_per_vendor():
    at = app({"view": "Sensitivity"})
    scn = load_preset("default")
    sens = sensitivity(scn)
    out = at.selectbox(key="_views.tornado_output")
    assert out.value == sens.default_output == "npv_lifetime_generate"
    assert out.options[0] == "Lifetime value created · Generate"
    tornado, heat = figures(at)
    ranked = sens.ranked(out.value)[:10]
    assert [html.unescape(y.replace("<br>", " ")) for y in tornado["data"][0]["y"]] == [r.label for r in ranked][::-1]
    assert tornado["layout"]["xaxis"]["title"]["text"] == "Lifetime value created ($)"
    (table,) = (d.value for d in at.dataframe)
    prices = breakeven(scn)
    assert list(table["Break-even price"]) == [money(p, "USD", decimals=2) for p in prices.values()]
    assert prices["vendor_exclusive"] == pytest.approx(172.35, abs=0.01)
    assert table["Price per lead today"][0] == "$170.00"
    assert heat["layout"]["xaxis"]["title"]["text"] == "Price per lead ($)"
    at.selectbox(key="_views.tornado_output").set_value("cac_eventual_buy").run()
    tornado = figures(at)[0]
    assert tornado["layout"]["xaxis"]["title"]["text"] == "CAC, eventual ($)"
    assert [html.unescape(y.replace("<br>", " ")) for y in tornado["data"][0]["y"]] == [
        r.label for r in sens.ranked("cac_eventual_buy")[:10]][::-1]  # fmt: skip


# ---- Optimize --------------------------------------------------------------------------------------------


def test_optimize_view_recommends_the_optimum_against_the_plan():
    at = app({"view": "Optimize"})
    scn = load_preset("default")
    best = optimize(scn, "npv")
    assert [shows(s.value) for s in at.success] == [best.message]
    (table,) = tables(at)
    assert table["Lifetime value created"] == {"Plan (Blend)": money_short(best.plan_summary["npv_lifetime"], "USD"),
                                               "Recommended": f"**{money_short(best.summary['npv_lifetime'], 'USD')}**"}  # fmt: skip
    assert table["Customers won"]["Plan (Blend)"] == fmt("customers", run(scn).metric("blend", "customers"))
    bars = figures(at)[0]
    assert [t["name"] for t in bars["data"]] == ["Plan (Blend)", "Recommended"]
    assert list(bars["data"][1]["y"]) == pytest.approx(list(best.allocation.values()))


def test_optimize_floor_shows_customers_by_its_month_not_the_horizon_total():
    at = app({"view": "Optimize", "min_customers": "100", "by_month": "12"})
    assert at.toggle(key="_views.opt.floor_on").value is True
    best = optimize(load_preset("default"), "npv", Constraint(100.0, 12))
    (table,) = tables(at)
    assert "Customers won" not in table
    row = table["Customers won by month 12"]
    assert row == {"Plan (Blend)": fmt("customers", best.plan_customers_by_month),
                   "Recommended": f"**{fmt('customers', best.customers_by_month)}**"}  # fmt: skip
    assert best.customers_by_month >= 100 - 1e-6
    assert best.customers_by_month < best.summary["customers"]  # by month 12, fewer than over 24 months


def test_optimize_impossible_floor_says_so():
    at = app({"view": "Optimize", "min_customers": "9000000", "by_month": "6"})
    want = optimize(load_preset("default"), "npv", Constraint(9_000_000, 6)).message
    assert [shows(e.value) for e in at.error] == [want]
    assert want.startswith("No allocation wins 9,000,000 customers by month 6")


def test_optimizer_settings_go_in_the_link_and_reopen():
    at = app({"view": "Optimize"})
    at.radio(key="_views.opt.objective").set_value("customers").run()
    at.toggle(key="_views.opt.floor_on").set_value(True).run()
    at.number_input(key="_views.opt.min").set_value(120.0).run()
    at.number_input(key="_views.opt.by").set_value(12).run()
    link = link_of(at)
    assert (link["objective"], link["min_customers"], link["by_month"]) == ("customers", "120", "12")
    best = optimize(load_preset("default"), "customers", Constraint(120.0, 12))
    assert [shows(s.value) for s in at.success] == [best.message]
    assert OBJECTIVE_LABELS["customers"] == "Most customers"
    again = app({"view": "Optimize", **{k: v for k, v in link.items() if k != "view"}})
    assert again.radio(key="_views.opt.objective").value == "customers"
    assert again.number_input(key="_views.opt.by").value == 12


def test_apply_to_plan_sets_the_shares_and_every_number_follows():
    at = app({"view": "Optimize"})
    scn = load_preset("default")
    best = optimize(scn, "npv")
    shares = widget_shares(best.allocation)
    assert shares == {"paid_search": 0.086, "content": 0.6, "vendor_exclusive": 0.314, "vendor_shared": 0.0}
    at.button(key="_views.opt.apply").click().run()
    assert not at.exception
    link = link_of(at)
    for cid, s in shares.items():
        assert float(link[f"channel.{cid}.share"]) == pytest.approx(s)
    applied = with_values(scn, {f"channel.{c}.share": s for c, s in shares.items()})
    (table,) = tables(at)  # the plan is now the recommendation (on the inputs' 0.1 % step)
    assert table["Lifetime value created"]["Plan (Blend)"] == money_short(run(applied).metric("blend", "npv_lifetime"),
                                                                          "USD")  # fmt: skip
    assert table["Lifetime value created"]["Plan (Blend)"] == "$7.8 M"
    assert at.button(key="_views.opt.apply").disabled  # nothing left to apply
    overview = app({k: v for k, v in link.items() if k != "view"})
    (cmp,) = tables(overview)
    assert cmp["Customers won"]["Blend"].replace("**", "").replace("★", "").strip() == fmt(
        "customers", run(applied).metric("blend", "customers"))  # fmt: skip


@pytest.mark.parametrize("view", ["Risk", "Sensitivity", "Optimize"])
@pytest.mark.parametrize("preset", ["industrial_b2b", "home_services"])
def test_views_render_for_other_presets(view, preset):
    at = app({"view": view, "preset": preset})
    assert figures(at) and not at.warning
