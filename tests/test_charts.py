"""Chart builders and headline cards as plain functions: traces, colours, axis titles, markers, formats."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard import charts, charts_decisions
from dashboard.headline import kpis, value_text
from dashboard.style import COLORS
from simulation import load_preset, run, validate_scenario
from simulation.analyses.montecarlo import monte_carlo
from simulation.analyses.sensitivity import sensitivity
from simulation.schema import scenario_dict


@pytest.fixture(scope="module")
def result():
    return run(load_preset("default"))


def generate_only():
    """The default preset without its vendors: no Buy strategy."""
    d = scenario_dict(load_preset("default"))
    d["channel"] = {k: v for k, v in d["channel"].items() if v["kind"] == "generate"}
    d.pop("uncertainty")
    d.pop("optimize")
    return validate_scenario(d)


def test_cumulative_customers_one_line_per_strategy(result):
    fig = charts.cumulative_customers(result.monthly)
    assert [t.name for t in fig.data] == ["Generate", "Buy", "Blend"]
    assert [t.line.color for t in fig.data] == [COLORS["generate"], COLORS["buy"], COLORS["blend"]]
    assert fig.layout.xaxis.title.text == "Month" and "Customers" in fig.layout.yaxis.title.text
    # last point = customers won over the horizon; the first point = month 1's customers
    assert fig.data[1].y[-1] == pytest.approx(result.metric("buy", "customers"))
    assert fig.data[0].y[0] == pytest.approx(result.series_of("generate", "customers")[0])


def test_absent_strategy_has_no_line_nor_panel():
    r = run(generate_only())
    assert r.strategies == ["generate", "blend"]
    assert [t.name for t in charts.cumulative_customers(r.monthly).data] == ["Generate", "Blend"]
    fig = charts.pipeline_by_stage(r.monthly)
    assert {t.stackgroup for t in fig.data} == {"generate", "blend"} and len(fig.data) == 6
    assert [t.name for t in charts.funnel(r.summary).data] == ["Generate", "Blend"]
    assert r.crossover_month() is None and not charts.cac_to_date(r.monthly, None).layout.shapes


def test_cac_chart_marks_the_crossover_month(result):
    cross = result.crossover_month()
    assert cross == 14  # default preset: generating's CAC to date drops below buying's in month 14 for good
    fig = charts.cac_to_date(result.monthly, cross, "USD")
    (line,) = [s for s in fig.layout.shapes if s.type == "line"]
    assert line.x0 == line.x1 == 14
    gen, buy = fig.data[0].y, fig.data[1].y
    assert all(gen[i] <= buy[i] for i in range(13, len(gen)))  # from month 14 to the end
    assert gen[12] > buy[12]  # month 13
    assert "month 14" in fig.layout.annotations[0].text
    assert fig.layout.yaxis.title.text == "CAC to date (USD per customer)"


def test_pipeline_chart_stacks_three_stages_per_strategy(result):
    fig = charts.pipeline_by_stage(result.monthly)
    assert len(fig.data) == 9
    assert {t.stackgroup for t in fig.data} == {"generate", "buy", "blend"}
    # the stacked top of each panel at the last month is pipeline_end
    buy = [t for t in fig.data if t.stackgroup == "buy"]
    assert sum(t.y[-1] for t in buy) == pytest.approx(result.metric("buy", "pipeline_end"))
    assert fig.layout.yaxis.title.text == "Open leads, MQLs and SQLs"


def test_funnel_bars_are_the_summary_counts(result):
    fig = charts.funnel(result.summary)
    assert list(fig.data[0].x) == ["Leads", "MQLs", "SQLs", "Customers"]
    s = result.summary.loc["generate"]
    assert list(fig.data[0].y) == pytest.approx([s["leads"], s["mqls"], s["sqls"], s["customers_eventual"]])
    assert fig.data[2].marker.color == COLORS["blend"]


def test_j_curve_marks_payback_months(result):
    payback = {s: result.metric(s, "payback_month") for s in result.strategies}
    assert payback == {"generate": 17, "buy": 16, "blend": 17}
    fig = charts.cumulative_net(result.monthly, payback, "USD")
    marks = fig.data[-1]
    assert list(marks.x) == [17, 16, 17]
    # Generate and Blend pay back in the same month: one label names both
    assert marks.text[0] == "Generate & Blend: payback month 17" and marks.text[2] == ""
    # each marker sits where cumulative net first turns non-negative
    for s, m in payback.items():
        net = result.series_of(s, "cumulative_net")
        assert net[m - 1] >= -1e-6 and net[m - 2] < 0
    assert fig.layout.yaxis.title.text == "Cumulative net (USD)"


def test_kpi_labels_formats_and_deltas(result):
    cards = {(k.strategy, k.metric): k for k in kpis(result)}
    assert len(cards) == 15
    cac_buy, cac_gen = result.metric("buy", "cac"), result.metric("generate", "cac")
    assert cards[("buy", "cac")].label == "CAC · Buy"
    assert cards[("buy", "cac")].value == f"{cac_buy:,.0f}"  # money without its code: the caption names it
    assert cards[("buy", "cac")].delta == f"+{cac_buy - cac_gen:,.0f}"
    assert cards[("buy", "cac")].delta_color == "inverse"  # lower is better
    assert cards[("blend", "payback_month")].delta == "±0" and cards[("blend", "payback_month")].delta_color == "off"
    assert cards[("generate", "cac")].delta is None
    npv = result.metric("generate", "npv_lifetime")
    assert cards[("generate", "npv_lifetime")].value == f"{npv / 1e6:,.2f} M"
    npv_d = (result.metric("buy", "npv_lifetime") - npv) / 1e6
    assert npv_d < -1 and cards[("buy", "npv_lifetime")].delta == f"-{-npv_d:,.2f} M"  # an ASCII minus: arrow down
    assert cards[("generate", "customers")].value == f"{result.metric('generate', 'customers'):,.0f}"
    roi_d = (result.metric("buy", "roi") - result.metric("generate", "roi")) * 100
    assert cards[("buy", "roi")].delta == f"{roi_d:+,.1f} pp"


def test_value_text_shortens_millions_only():
    assert value_text("npv_lifetime", -2_345_678.0, "EUR") == "-EUR 2.35 M"
    assert value_text("npv_lifetime", 999_999.0, "EUR") == "€999,999"
    assert value_text("customers", 2_345_678.4, "EUR") == "2,345,678"
    assert value_text("cac", None, "EUR") == "—"


def test_kpis_without_generate_have_no_deltas():
    d = scenario_dict(load_preset("default"))
    d["channel"] = {k: v for k, v in d["channel"].items() if v["kind"] == "buy"}
    d.pop("uncertainty")
    d.pop("optimize")
    r = run(validate_scenario(d))
    cards = kpis(r)
    assert {k.strategy for k in cards} == {"buy", "blend"}
    assert all(k.delta is None and k.delta_color == "off" for k in cards)


def test_fan_bands_are_the_monte_carlo_quantiles():
    mc = monte_carlo(load_preset("default"), draws=300, seed=3)
    fig = charts_decisions.fan(mc, "cumulative_customers", "t", "y")
    assert len(fig.data) == 9  # band low, band high, median per strategy
    q = mc.monthly_q["cumulative_customers"]
    assert np.allclose(fig.data[3].y, q[0, 1]) and np.allclose(fig.data[4].y, q[2, 1])  # Buy's P10 and P90
    assert np.allclose(fig.data[5].y, q[1, 1]) and fig.data[5].name == "Buy"
    assert np.all(q[0] <= q[1]) and np.all(q[1] <= q[2])  # the band holds its median
    assert fig.data[8].line.color == COLORS["blend"]


def test_tornado_orders_by_swing_and_starts_at_the_central_value():
    scn = load_preset("default")
    sens = sensitivity(scn)
    out = "npv_lifetime_generate"
    fig = charts_decisions.tornado(sens, out, top=5, currency="USD")
    ranked = sens.ranked(out)[:5]
    assert list(fig.data[0].y) == [r.label for r in ranked][::-1]  # biggest swing on top
    top = ranked[0]
    assert fig.data[1].base == pytest.approx(sens.central[out])
    assert fig.data[1].x[-1] + fig.data[1].base == pytest.approx(top.at_high[out])
    assert fig.data[0].x[-1] + fig.data[0].base == pytest.approx(top.at_low[out])
    assert charts_decisions.output_label(out) == "Lifetime value created · Generate"
    assert charts_decisions.output_label("cac_gap") == "CAC gap, eventual: Buy − Generate"
