"""AppTest of every view: the numbers on screen are the model's for the same scenario, best marks on the right
strategy, whole counts, money with its currency symbol; the tabs bound to the link; the presenter view."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.contract import VIEW_NAMES, ViewContext
from simulation import load_preset, run, validate_scenario
from simulation.analyses.curves import next_budget
from simulation.analyses.montecarlo import monte_carlo
from simulation.metrics import METRICS, fmt, money
from simulation.narrate import (
    absent_line,
    assumptions_line,
    capacity_sentence,
    comparison,
    crossover_sentence,
    plan_description,
    verdict,
)
from simulation.schema import scenario_dict

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
NBSP = "\u00a0"
BEST = "★"


# ---- helpers (shared with test_app_decisions.py) ---------------------------------------------------------


def app(params: dict[str, str]) -> AppTest:
    """The real app opened on a link, after its first run, without exceptions."""
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def shows(text: str) -> str:
    """Markdown source as people read it: backslash escapes dropped, no-break spaces as spaces."""
    return re.sub(r"\\(.)", r"\1", text).replace(NBSP, " ")


def texts(at: Any) -> list[str]:
    """Every markdown, caption, info, success, warning and error text of the main area, as shown."""
    kinds = (at.markdown, at.caption, at.info, at.success, at.warning, at.error)
    return [shows(e.value) for kind in kinds for e in kind]


def tables(at: Any) -> list[dict[str, dict[str, str]]]:
    """Every Markdown table: row label → {column header → cell}, bold and colour markup left out."""
    out = []
    for md in at.markdown:
        lines = md.value.splitlines()
        if len(lines) < 3 or not lines[1].startswith("|:--|"):
            continue
        split = lambda line: [shows(c).strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]  # noqa: E731
        heads = [re.sub(r":\w+\[\*\*(.*)\*\*\]|\*\*", r"\1", h) for h in split(lines[0])]
        rows = {}
        for line in lines[2:]:
            cells = split(line)
            rows[cells[0]] = dict(zip(heads[1:], cells[1:], strict=True))
        out.append(rows)
    return out


def best_of(cell: str) -> bool:
    return cell.startswith("**") and cell.endswith(f"{BEST}**")


def value_of(cell: str) -> str:
    return cell.replace("**", "").replace(BEST, "").strip()


def figures(at: Any) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def arr(v: Any) -> np.ndarray:
    """A figure's array as JSON holds it: a list, or Plotly's typed array ({"dtype", "bdata"} in base64)."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).reshape(v.get("shape", -1))
    return np.asarray(v)


def title_of(fig: dict) -> str:
    return fig["layout"]["title"]["text"]


def link_of(at: AppTest) -> dict[str, str]:
    return {k: at.query_params[k][-1] if isinstance(at.query_params[k], list) else at.query_params[k]
            for k in at.query_params}  # fmt: skip


def default_with_preset_ranges():
    """The default preset as the app runs it: its own ranges, draws and seed."""
    return load_preset("default")


def generate_only():
    """The default preset without its vendors: there is no Buy strategy."""
    d = scenario_dict(load_preset("default"))
    d["channel"] = {k: v for k, v in d["channel"].items() if v["kind"] == "generate"}
    d.pop("uncertainty")
    d.pop("optimize")
    return validate_scenario(d)


def view_app(scn, view: str, mc: Any = None, presenting: bool = False) -> AppTest:
    """One view drawn alone for a scenario (no page shell): only the views that need no link settings."""

    def script(scn_json: str, view: str, with_mc: bool, presenting: bool) -> None:
        import streamlit as st  # noqa: F401

        from dashboard import views
        from dashboard.contract import ViewContext
        from simulation import loads_scenario, run
        from simulation.analyses.montecarlo import monte_carlo

        scn = loads_scenario(scn_json)
        ctx = ViewContext(None, scn, run(scn), monte_carlo(scn) if with_mc else None, [], presenting, None)
        if presenting:
            views.page(ctx)
        else:
            views.RENDER[view](ctx)

    from simulation import dumps_scenario

    at = AppTest.from_function(script, args=(dumps_scenario(scn), view, mc is not None, presenting),
                               default_timeout=90)  # fmt: skip
    at.run()
    assert not at.exception, at.exception
    return at


# ---- the tabs --------------------------------------------------------------------------------------------


def test_views_are_tabs_bound_to_the_link_and_only_the_open_one_draws():
    at = app({})
    assert [t.label for t in at.tabs] == list(VIEW_NAMES)
    assert [title_of(f) for f in figures(at)] == ["Customers won to date", "CAC to date"]
    cash = app({"view": "Cash"})
    assert [title_of(f) for f in figures(cash)] == ["Cumulative net cash and payback month"]
    assert link_of(cash)["view"] == "Cash"
    pipeline = app({"view": "Pipeline & capacity"})
    assert [title_of(f) for f in figures(pipeline)] == [
        "Leads a month against sales capacity", "Pipeline by stage (open at month end)",
        "Funnel: the horizon's leads, eventually"]  # fmt: skip


# ---- Overview --------------------------------------------------------------------------------------------


def test_overview_decides_with_the_models_verdict_and_comparison():
    at = app({})
    scn = default_with_preset_ranges()
    result = run(scn)
    v = verdict(result, monte_carlo(scn))
    shown = texts(at)
    assert f"**{v.headline}**  \n{v.reason} {v.tradeoff}" in shown  # the headline bold, then why and the trade-off
    assert v.sureness in shown and "94 %" in v.sureness  # how sure, from the preset's ranges
    assert plan_description(result) in shown
    assert crossover_sentence(result) in shown
    (table,) = tables(at)
    rows = comparison(result)
    assert list(table) == [r.label for r in rows] == ["Lifetime value created", "Customers won", "CAC",
                                                       "Payback month"]  # fmt: skip
    for r in rows:
        cells = table[r.label]
        assert list(cells) == ["Generate", "Buy", "Blend"]
        assert {s.capitalize(): value_of(c) for s, c in zip(r.text, cells.values(), strict=True)} == {
            s.capitalize(): r.text[s] for s in r.text}  # fmt: skip
        assert [s for s, c in zip(r.text, cells.values(), strict=True) if best_of(c)] == list(r.best)
    # worked out from the model's values: the most lifetime value, the most customers, the lowest CAC, the soonest
    npv = {s: result.metric(s, "npv_lifetime") for s in result.strategies}
    assert best_of(table["Lifetime value created"]["Generate"]) and npv["generate"] == max(npv.values())
    cac = {s: result.metric(s, "cac") for s in result.strategies}
    assert best_of(table["CAC"]["Blend"]) and cac["blend"] == min(cac.values())
    assert table["Payback month"]["Buy"] == f"**month 16 {BEST}**"
    # counts whole, money with its symbol
    assert table["Customers won"]["Generate"] == f"{result.metric('generate', 'customers'):,.0f}" == "301"
    assert table["CAC"]["Buy"] == f"${result.metric('buy', 'cac'):,.0f}"
    assert table["Lifetime value created"]["Buy"] == "$4.1 M"


def test_overview_in_euros_for_the_insurance_preset():
    at = app({"preset": "insurance"})
    result = run(load_preset("insurance"))
    (table,) = tables(at)
    assert result.scenario.currency == "EUR"
    assert value_of(table["CAC"]["Buy"]) == fmt("cac", result.metric("buy", "cac"), "EUR")
    assert value_of(table["CAC"]["Buy"]).startswith("€") and "$" not in json.dumps(table)
    cac_fig = figures(at)[1]
    assert cac_fig["layout"]["yaxis"]["title"]["text"] == "CAC to date (€ per customer)"


def test_overview_hides_an_absent_strategy_with_one_line_why():
    scn = generate_only()
    at = view_app(scn, "Overview")
    (table,) = tables(at)
    assert list(table["Customers won"]) == ["Generate", "Blend"]
    line = absent_line(run(scn))
    assert line == "Buy is not shown: this scenario has no buy channel."
    assert any(line in t for t in texts(at))
    assert all(t["name"] != "Buy" for f in figures(at) for t in f["data"])
    assert "No input has a range" in verdict(run(scn)).sureness
    assert not any("simulated futures" in t and "%" in t for t in texts(at))


# ---- Channels --------------------------------------------------------------------------------------------


def test_channels_view_shows_the_plan_per_channel_and_where_the_next_thousand_does_most():
    at = app({"view": "Channels"})
    scn = load_preset("default")
    result = run(scn)
    plan, extra = (d.value for d in at.dataframe)
    assert list(plan["Channel"]) == [ch.display_label(c) for c, ch in scn.channel.items()]
    for i, cid in enumerate(scn.channel):
        for m in ("spend", "leads", "customers", "cac", "cac_eventual", "unworked"):
            assert plan[METRICS[m].label][i] == fmt(m, result.channel_metric("blend", cid, m), "USD")
    assert plan["Share"].tolist() == ["30.0 %", "30.0 %", "20.0 %", "20.0 %"]
    assert plan["Spend"][0] == "$288,000"  # 30 % of $40,000 for 24 months
    assert all("." not in v for v in plan["Customers won"])  # counts whole
    ranked = next_budget(scn, 1000.0)
    assert list(extra["Channel"]) == [r.label for r in ranked]
    assert list(extra["Lifetime value added"]) == [money(r.extra_npv, "USD") for r in ranked]
    assert list(extra["Customers added"]) == [fmt("customers", r.extra_customers) for r in ranked]
    assert [r.extra_npv for r in ranked] == sorted((r.extra_npv for r in ranked), reverse=True)
    assert "**Where the next $1,000 a month does most**" in texts(at)
    bars, curves = figures(at)
    assert list(arr(bars["data"][0]["x"])) == pytest.approx([r.extra_npv for r in ranked][::-1])
    assert len(curves["data"]) == 4 and curves["layout"]["title"]["text"] == "Response to each channel's own spend"
    # today's spend marked on each channel's panel
    today = sorted(s["x0"] for s in curves["layout"]["shapes"])
    assert today == pytest.approx(sorted(ch.share * 40_000 for ch in scn.channel.values()))


def test_channels_curve_selector_switches_the_series():
    at = app({"view": "Channels"})
    at.get("button_group")[0].set_value("marginal_cost_per_customer").run()
    assert not at.exception
    curves = figures(at)[1]
    assert curves["layout"]["yaxis"]["title"]["text"] == "Cost of the next customer ($)"


# ---- Cash ------------------------------------------------------------------------------------------------


def test_cash_view_marks_payback_and_compares_npv_and_lifetime_value():
    at = app({"view": "Cash"})
    result = run(load_preset("default"))
    (fig,) = figures(at)
    assert fig["layout"]["yaxis"]["title"]["text"] == "Cumulative net cash ($)"
    notes = [a["text"] for a in fig["layout"]["annotations"]]
    assert notes == ["Buy: month 16", "Generate & Blend: month 17"]
    assert len({a["yshift"] for a in fig["layout"]["annotations"]}) == 2  # one row each: the labels never meet
    (table,) = tables(at)
    assert list(table) == ["NPV (horizon)", "Lifetime value created", "Payback month", "ROI (horizon)",
                           "Months to earn back CAC"]  # fmt: skip
    for s in result.strategies:
        assert value_of(table["NPV (horizon)"][s.capitalize()]) == fmt("npv", result.metric(s, "npv"), "USD")
    npv = {s: result.metric(s, "npv") for s in result.strategies}
    assert best_of(table["NPV (horizon)"]["Blend"]) and npv["blend"] == max(npv.values())


# ---- Pipeline & capacity ---------------------------------------------------------------------------------


def test_pipeline_view_shows_unworked_leads_when_capacity_binds():
    at = app({"view": "Pipeline & capacity"})
    result = run(load_preset("default"))
    sentence = capacity_sentence(result)
    assert sentence == ("Sales capacity (520 leads a month) binds: over 24 months Generate leaves 938 leads unworked "
                        "(never contacted, so never won).")  # fmt: skip
    assert sentence in texts(at)
    (table,) = tables(at)
    assert table["Unworked leads"] == {"Generate": "938", "Buy": f"**0 {BEST}**", "Blend": f"**0 {BEST}**"}
    assert value_of(table["Leads"]["Generate"]) == fmt("leads", result.metric("generate", "leads"))
    capacity = figures(at)[0]
    names = [t["name"] for t in capacity["data"]]
    assert names == ["Generate", "Buy", "Blend", "Unworked · Generate", "Sales capacity (520)"]
    assert arr(capacity["data"][3]["y"]).sum() == pytest.approx(result.metric("generate", "unworked"))


def test_pipeline_view_without_a_capacity_limit_says_so():
    at = app({"view": "Pipeline & capacity", "preset": "b2b_saas"})
    assert "Sales capacity has no limit in this scenario: every valid lead is worked." in texts(at)
    names = [t["name"] for t in figures(at)[0]["data"]]
    assert names == ["Generate", "Buy", "Blend"]


# ---- the presenter view -------------------------------------------------------------------------------------


def test_presenter_view_shows_assumptions_verdict_and_one_chart_without_tabs_or_tables():
    at = app({"present": "1"})
    scn = load_preset("default")
    result = run(scn)
    assert not at.tabs and not at.dataframe and not tables(at)
    shown = texts(at)
    assert assumptions_line(result) in shown
    v = verdict(result, monte_carlo(scn))
    assert f"**{v.headline}**  \n{v.reason} {v.tradeoff} {v.sureness}" in shown
    (fig,) = figures(at)
    assert title_of(fig) == "Customers won to date" and fig["layout"]["height"] <= 330


def test_views_render_for_every_preset_and_an_absent_strategy():
    for preset in ("b2b_saas", "home_services", "industrial_b2b", "insurance"):
        for view in ("Overview", "Channels", "Cash", "Pipeline & capacity"):
            at = app({"preset": preset, "view": view})
            assert figures(at), (preset, view)
    scn = generate_only()
    for view in ("Channels", "Cash", "Pipeline & capacity"):
        at = view_app(scn, view)
        assert figures(at) and all(t.get("name") != "Buy" for f in figures(at) for t in f["data"])


def test_context_is_the_contract():
    assert ViewContext.__dataclass_fields__.keys() >= {"session", "scenario", "result", "mc", "presenting"}
