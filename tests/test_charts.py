"""Chart builders as plain functions: traces, colours, axis titles, markers."""

from __future__ import annotations

import pytest

from dashboard import charts
from dashboard.headline import kpis, verdict
from dashboard.style import COLORS
from simulation import load_preset, run


@pytest.fixture(scope="module")
def result():
    return run(load_preset("default"))


def test_cumulative_customers_one_line_per_strategy(result):
    fig = charts.cumulative_customers(result.monthly)
    assert [t.name for t in fig.data] == ["Generate", "Buy", "Blend"]
    assert [t.line.color for t in fig.data] == [COLORS["generate"], COLORS["buy"], COLORS["blend"]]
    assert fig.layout.xaxis.title.text == "Month" and "Customers" in fig.layout.yaxis.title.text
    # last point = customers won over the horizon
    assert fig.data[1].y[-1] == pytest.approx(result.metric("buy", "customers"))


def test_cac_chart_marks_the_crossover_month(result):
    cross = result.crossover_month()
    assert cross == 19  # default preset: generating's CAC to date drops below buying's in month 19
    fig = charts.cac_to_date(result.monthly, cross)
    (line,) = [s for s in fig.layout.shapes if s.type == "line"]
    assert line.x0 == line.x1 == 19
    gen, buy = fig.data[0].y, fig.data[1].y
    assert gen[18] <= buy[18] and gen[17] > buy[17]  # months 19 and 18 (0-based index)
    assert "month 19" in fig.layout.annotations[0].text
    assert "money" in fig.layout.yaxis.title.text


def test_cac_chart_without_crossover_has_no_marker(result):
    fig = charts.cac_to_date(result.monthly, None)
    assert not fig.layout.shapes


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
    payback = {s: result.metric(s, "payback_month") for s in ("generate", "buy", "blend")}
    assert payback == {"generate": 19, "buy": 16, "blend": 19}
    fig = charts.cumulative_net(result.monthly, payback)
    marks = fig.data[-1]
    assert list(marks.x) == [19, 16, 19]
    # Generate and Blend pay back in the same month: one label names both
    assert marks.text[0] == "Generate & Blend: payback month 19" and marks.text[2] == ""
    # each marker sits where cumulative net first turns non-negative
    assert all(y >= -1e-6 for y in marks.y)
    assert fig.layout.yaxis.title.text == "Cumulative net (money)"


def test_kpis_labels_and_deltas(result):
    cards = {(k.strategy, k.metric): k for k in kpis(result)}
    assert cards[("buy", "cac")].label == "CAC · Buy"
    assert cards[("buy", "cac")].value == f"{result.metric('buy', 'cac'):,.0f}"
    diff = result.metric("buy", "cac") - result.metric("generate", "cac")
    assert cards[("buy", "cac")].delta == f"{diff:+,.0f}" and cards[("buy", "cac")].delta_color == "inverse"
    assert cards[("blend", "payback_month")].delta == "±0" and cards[("blend", "payback_month")].delta_color == "off"
    assert cards[("generate", "cac")].delta is None


def test_verdict_sentence_for_default(result):
    text = verdict(result)
    assert text.startswith("Generating is cheaper per customer (CAC 4,506 against 4,846 for buying)")
    assert "buying gets customers sooner" in text
    assert "from month 19" in text and "best ROI over 24 months is Buy" in text


def test_verdict_when_nobody_pays_back():
    text = verdict(run(load_preset("insurance")))
    assert "no strategy earns back its cost within 24 months" in text
