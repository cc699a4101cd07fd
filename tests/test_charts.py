"""Chart builders as pure functions: given a result, the traces, titles, axis titles with units, one colour per
strategy and per channel in every figure, labels that cannot collide, user text shown literally."""

from __future__ import annotations

import html

import numpy as np
import pytest

from dashboard.charts import channels, strategies, theme, uncertainty
from dashboard.charts.theme import CHANNEL_PALETTE, STRATEGY_COLORS, channel_colors
from simulation import load_preset, run, validate_scenario
from simulation.analyses.breakeven import breakeven_grid
from simulation.analyses.curves import curves, next_budget
from simulation.analyses.montecarlo import monte_carlo
from simulation.analyses.sensitivity import sensitivity
from simulation.schema import scenario_dict


@pytest.fixture(scope="module")
def result():
    return run(load_preset("default"))


def without(kind: str, **changes):
    """The default preset without its channels of one kind (that strategy is absent)."""
    d = scenario_dict(load_preset("default"))
    d["channel"] = {k: v for k, v in d["channel"].items() if v["kind"] != kind}
    d.pop("uncertainty")
    d.pop("optimize")
    d.update(changes)
    return validate_scenario(d)


def test_customers_to_date_one_line_per_strategy_in_its_colour(result):
    fig = strategies.customers_to_date(result)
    assert [t.name for t in fig.data] == ["Generate", "Buy", "Blend"]
    assert [t.line.color for t in fig.data] == [STRATEGY_COLORS[s] for s in ("generate", "buy", "blend")]
    assert fig.layout.title.text == "Customers won to date"
    assert fig.layout.xaxis.title.text == "Month" and fig.layout.yaxis.title.text == "Customers (cumulative)"
    # the last point is the customers won over the horizon, the first month 1's customers
    assert fig.data[1].y[-1] == pytest.approx(result.metric("buy", "customers"))
    assert fig.data[0].y[0] == pytest.approx(result.series_of("generate", "customers")[0])
    assert list(fig.layout.xaxis.range) == [1, 24]


def test_legend_sits_under_the_title_and_above_the_plot(result):
    fig = strategies.customers_to_date(result, height=360)
    leg, title = fig.layout.legend, fig.layout.title
    assert leg.orientation == "h" and leg.yref == "container" and leg.yanchor == "top"
    assert title.yref == "container" and title.y == 1.0
    legend_top_px = (1 - leg.y) * 360
    assert legend_top_px == pytest.approx(theme.LEGEND_TOP)  # below the title's 16 px line and its 12 px pad
    assert fig.layout.margin.t >= theme.LEGEND_TOP + 2 * theme.LEGEND_ROW  # two rows of legend fit above the plot
    compact = strategies.customers_to_date(result, height=300, compact=True)
    assert compact.layout.legend.xanchor == "right" and compact.layout.margin.t < fig.layout.margin.t


def test_cac_chart_marks_the_crossover_month_with_the_currency_symbol(result):
    cross = result.crossover_month()
    assert cross == 14  # generating's CAC to date drops below buying's in month 14 for good
    fig = strategies.cac_to_date(result)
    (line,) = [s for s in fig.layout.shapes if s.type == "line"]
    assert line.x0 == line.x1 == 14
    gen, buy = fig.data[0].y, fig.data[1].y
    assert all(gen[i] <= buy[i] for i in range(13, 24)) and gen[12] > buy[12]
    assert fig.layout.annotations[0].text == "Generating cheaper from month 14"
    assert fig.layout.annotations[0].yanchor == "bottom"  # at the foot of the plot, away from the curves' start
    assert fig.layout.yaxis.title.text == "CAC to date ($ per customer)"
    eur = strategies.cac_to_date(run(load_preset("insurance")))
    assert eur.layout.yaxis.title.text == "CAC to date (€ per customer)"


def test_j_curve_marks_each_payback_on_its_curve_with_one_label_per_month_in_its_own_row(result):
    payback = {s: result.metric(s, "payback_month") for s in result.strategies}
    assert payback == {"generate": 17, "buy": 16, "blend": 17}
    fig = strategies.cash_curve(result)
    marks = fig.data[3]
    assert list(marks.x) == [17, 16, 17]
    for (s, m), y in zip(payback.items(), marks.y, strict=True):  # on the curve where it first turns non-negative
        net = result.series_of(s, "cumulative_net")
        assert y == net[m - 1] and net[m - 1] >= -1e-6 and net[m - 2] < 0
    notes = fig.layout.annotations
    assert [a.text for a in notes] == ["Buy: month 16", "Generate & Blend: month 17"]
    assert fig.layout.title.text == "Cumulative net cash and payback month"
    assert len({a.yshift for a in notes}) == len(notes)  # one row each: labels never overlap
    assert all(a.xanchor == "right" for a in notes)  # right of the middle: the text runs left, inside the plot
    assert fig.layout.yaxis.title.text == "Cumulative net cash ($)"


def test_pipeline_stacks_three_stages_per_strategy_with_one_shared_legend(result):
    fig = strategies.pipeline_by_stage(result)
    stacked = [t for t in fig.data if t.stackgroup]
    assert len(stacked) == 9 and {t.stackgroup for t in stacked} == {"generate", "buy", "blend"}
    assert not any(t.showlegend for t in stacked)
    legend = [t for t in fig.data if not t.stackgroup]
    assert [t.name for t in legend] == ["Open leads", "MQLs", "SQLs"]
    buy = [t for t in stacked if t.stackgroup == "buy"]
    assert sum(t.y[-1] for t in buy) == pytest.approx(result.metric("buy", "pipeline_end"))
    assert [a.text for a in fig.layout.annotations] == ["Generate", "Buy", "Blend"]
    # the panels' titles sit between the legend and the plots
    assert fig.layout.margin.t == theme.LEGEND_TOP + 2 * theme.LEGEND_ROW + 12 + theme.PANEL_TITLE


def test_leads_against_capacity_shows_unworked_leads_only_where_capacity_binds(result):
    fig = strategies.leads_and_capacity(result)
    assert [t.name for t in fig.data] == ["Generate", "Buy", "Blend", "Unworked · Generate", "Sales capacity (520)"]
    assert fig.data[3].y.sum() == pytest.approx(result.metric("generate", "unworked"))
    assert list(fig.data[4].y) == [520, 520]
    free = strategies.leads_and_capacity(run(load_preset("b2b_saas")))  # no capacity limit
    assert [t.name for t in free.data] == ["Generate", "Buy", "Blend"]


def test_funnel_bars_are_the_summary_counts_as_whole_numbers(result):
    fig = strategies.funnel(result)
    assert list(fig.data[0].x) == ["Leads", "MQLs", "SQLs", "Customers"]
    g = [result.metric("generate", m) for m in ("leads", "mqls", "sqls", "customers_eventual")]
    assert list(fig.data[0].y) == pytest.approx(g)
    assert list(fig.data[0].text) == [f"{v:,.0f}" for v in g]
    assert fig.data[2].marker.color == STRATEGY_COLORS["blend"]


def test_absent_strategy_has_no_trace_nor_panel():
    r = run(without("buy"))
    assert r.strategies == ["generate", "blend"]
    assert [t.name for t in strategies.customers_to_date(r).data] == ["Generate", "Blend"]
    assert [t.name for t in strategies.funnel(r).data] == ["Generate", "Blend"]
    fig = strategies.pipeline_by_stage(r)
    assert {t.stackgroup for t in fig.data if t.stackgroup} == {"generate", "blend"}
    assert r.crossover_month() is None and not strategies.cac_to_date(r).layout.shapes


def test_a_channel_has_the_same_colour_in_every_figure():
    scn = load_preset("default")
    ids = list(scn.channel)
    colors = channel_colors(ids)
    assert list(colors.values()) == list(CHANNEL_PALETTE[:4])
    resp = channels.response_curves(curves(scn), "customers", "USD")
    assert [t.line.color for t in resp.data] == [colors[c] for c in ids]
    ranked = next_budget(scn)
    bars = channels.next_budget_bars(ranked, ids, "USD")
    assert list(bars.data[0].marker.color) == [colors[r.channel] for r in ranked][::-1]
    assert [a.font.color for a in resp.layout.annotations] == [colors[c] for c in ids]


def test_response_curves_mark_todays_spend_and_name_their_units():
    scn = load_preset("default")
    fig = channels.response_curves(curves(scn), "marginal_cost_per_customer", "EUR")
    assert sorted(s.x0 for s in fig.layout.shapes) == pytest.approx(
        sorted(ch.share * 40_000 for ch in scn.channel.values())
    )
    assert fig.layout.yaxis.title.text == "Cost of the next customer (€)"
    assert fig.layout.xaxis3.title.text == "Monthly spend (€)"  # under the bottom row of panels
    leads = channels.response_curves(curves(scn), "leads", "USD")
    assert leads.layout.yaxis.title.text == "Valid leads a month"


def test_next_budget_bars_rank_channels_by_lifetime_value_added():
    scn = load_preset("default")
    ranked = next_budget(scn, 1000.0)
    fig = channels.next_budget_bars(ranked, list(scn.channel), "USD")
    assert fig.layout.title.text == "What $1,000 more a month adds"
    assert list(fig.data[0].x) == pytest.approx([r.extra_npv for r in ranked][::-1])  # the most on top
    assert fig.data[0].y[-1] == "SEO &amp; content" and ranked[0].label == "SEO & content"
    assert fig.layout.xaxis.title.text == "Lifetime value added ($)"


def test_user_text_in_figures_shows_literally():
    d = scenario_dict(load_preset("default"))
    d["channel"]["paid_search"]["label"] = "<a href='x'>Ads</a> & <b>co</b>"
    d.pop("uncertainty")
    scn = validate_scenario(d)
    fig = channels.response_curves(curves(scn))
    assert fig.layout.annotations[0].text == "&lt;a href='x'&gt;Ads&lt;/a&gt; &amp; &lt;b&gt;co&lt;/b&gt;"
    assert html.unescape(fig.layout.annotations[0].text) == "<a href='x'>Ads</a> & <b>co</b>"
    bars = channels.allocation_bars({"paid_search": scn.channel["paid_search"].label}, {"paid_search": 0.3},
                                    {"paid_search": 0.5})  # fmt: skip
    assert "<a" not in bars.data[0].x[0] and "&lt;a" in bars.data[0].x[0]


def test_allocation_bars_against_the_plan_with_labels_inside_the_plot():
    labels = {"a": "Paid search", "b": "Vendor: exclusive leads"}
    fig = channels.allocation_bars(labels, {"a": 0.3, "b": 0.7}, {"a": 0.0, "b": 1.0})
    assert [t.name for t in fig.data] == ["Plan (Blend)", "Recommended"]
    assert list(fig.data[1].y) == [0.0, 1.0]
    assert fig.data[1].x[1] == "Vendor:<br>exclusive leads"  # long names on two lines
    assert fig.layout.yaxis.range[1] >= 1.15  # room above a 100 % bar for its label
    assert fig.layout.yaxis.tickformat == ".0%"
    phases = channels.phase_bars(labels, {"a": 1.0, "b": 0.0}, {"a": 0.2, "b": 0.8}, 7)
    assert [t.name for t in phases.data] == ["Months 1–6", "From month 7"]


def test_fan_is_a_band_and_a_median_per_strategy():
    mc = monte_carlo(load_preset("default"), draws=300, seed=3)
    fig = uncertainty.fan(mc, "cumulative_customers")
    assert len(fig.data) == 6  # two traces per strategy, never one per draw
    q = mc.monthly_q["cumulative_customers"]
    band, median = fig.data[2], fig.data[3]  # Buy
    assert band.fill == "toself" and np.allclose(band.y[:24], q[2, 1]) and np.allclose(band.y[24:], q[0, 1][::-1])
    assert median.name == "Buy" and np.allclose(median.y, q[1, 1])
    assert np.all(q[0] <= q[1]) and np.all(q[1] <= q[2])
    assert fig.data[5].line.color == STRATEGY_COLORS["blend"]
    cash = uncertainty.fan(mc, "cumulative_net", "GBP")
    assert cash.layout.yaxis.title.text == "Cumulative net cash (£)"


def test_distribution_is_small_multiples_with_the_quantiles_marked():
    mc = monte_carlo(load_preset("default"), draws=300, seed=3)
    fig = uncertainty.distribution(mc, "npv_lifetime", "USD")
    assert [t.name for t in fig.data] == ["Generate", "Buy", "Blend"]
    assert [t.yaxis for t in fig.data] == ["y", "y2", "y3"]  # one panel each
    assert [t.marker.color for t in fig.data] == [STRATEGY_COLORS[s] for s in ("generate", "buy", "blend")]
    lines = [s.x0 for s in fig.layout.shapes]
    assert lines == pytest.approx([mc.quantile(s, "npv_lifetime", q) for s in mc.strategies
                                   for q in ("p10", "p50", "p90")])  # fmt: skip
    assert fig.layout.xaxis3.title.text == "Lifetime value created ($)"
    cac = uncertainty.distribution(mc, "cac", "USD")
    assert cac.layout.xaxis3.title.text == "CAC ($ per customer)"


def test_tornado_orders_by_swing_and_starts_at_the_central_value():
    sens = sensitivity(load_preset("default"))
    out = "npv_lifetime_generate"
    fig = uncertainty.tornado(sens, out, "USD", top=5)
    ranked = sens.ranked(out)[:5]
    assert [html.unescape(y.replace("<br>", " ")) for y in fig.data[0].y] == [r.label for r in ranked][::-1]
    top = ranked[0]
    assert fig.data[1].base == pytest.approx(sens.central[out])
    assert fig.data[1].x[-1] + fig.data[1].base == pytest.approx(top.at_high[out])
    assert fig.data[0].x[-1] + fig.data[0].base == pytest.approx(top.at_low[out])
    assert fig.layout.xaxis.title.text == "Lifetime value created ($)"
    roi = uncertainty.tornado(sens, "roi_blend", "USD")
    assert roi.layout.xaxis.title.text == "ROI (horizon)" and roi.layout.xaxis.tickformat == ".0%"
    assert uncertainty.output_label("cac_gap") == "CAC gap, eventual: Buy − Generate"


def test_breakeven_map_marks_today_and_the_breakeven_line():
    scn = load_preset("default")
    grid = breakeven_grid(scn, "vendor_exclusive", n=9)
    fig = uncertainty.breakeven_heatmap(grid, "USD")
    heat, contour, today = fig.data
    assert heat.type == "heatmap" and contour.contours.start == contour.contours.end == 0
    assert list(today.x) == [170.0] and list(today.y) == pytest.approx([25.0])
    assert fig.layout.xaxis.title.text == "Price per lead ($)"
    assert fig.layout.yaxis.title.text == "SQL → customer rate (%)"
    # buying is cheaper (negative gap, orange) at a low price and a high close rate
    assert grid.gap[-1, 0] < 0 < grid.gap[0, -1]
    assert heat.colorscale[0][1] == STRATEGY_COLORS["buy"] and heat.colorscale[-1][1] == STRATEGY_COLORS["generate"]


def eight_channels():
    """Eight channels, the most a scenario has: four generate, four buy."""
    chans = {}
    for i in range(8):
        common = {"share": 0.12, "lead_to_mql": 0.3, "mql_to_sql": 0.3, "nurture_months": 2.0}
        if i % 2 == 0:
            chans[f"g{i}"] = {"kind": "generate", "cost_per_lead": 80.0 + i, "sql_to_customer": 0.25, **common}
        else:
            chans[f"b{i}"] = {"kind": "buy", "cost_per_lead": 100.0 + i, "max_leads_per_month": 300.0,
                              "sql_to_customer": 0.2, **common}  # fmt: skip
    return validate_scenario({
        "schema_version": 2, "name": "eight", "horizon_months": 24, "budget": {"monthly": 50000.0},
        "economics": {"revenue_per_customer_month": 1000.0, "gross_margin": 0.7, "monthly_churn": 0.02},
        "channel": chans,
    })  # fmt: skip


def test_eight_channels_get_eight_colours_and_panels_inside_the_figure():
    scn = eight_channels()
    fig = channels.response_curves(curves(scn), "customers", scn.currency)
    assert len({t.line.color for t in fig.data}) == 8
    domains = [fig.layout[f"{a}axis{n}"].domain for a in "xy" for n in ("", *range(2, 9))]
    assert all(0 <= lo < hi <= 1 for lo, hi in domains)  # 4 rows × 2 columns, rounding kept inside [0, 1]
    assert [fig.layout[f"yaxis{n}"].title.text for n in ("", 3, 5, 7)] == ["Customers, eventually"] * 4
    assert fig.layout.xaxis7.title.text == fig.layout.xaxis8.title.text == "Monthly spend ($)"
    assert not fig.layout.xaxis.title.text  # only the bottom row names the spend axis
