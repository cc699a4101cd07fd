"""Figures comparing the strategies month by month, from a deterministic Result (no Streamlit)."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from simulation import Result
from simulation.metrics import fmt

from .theme import (
    INK,
    MONTH,
    STAGE_GREYS,
    STAGE_SHADES,
    STRATEGY_COLORS,
    axes,
    figure,
    hline,
    layout,
    merge,
    money_hover,
    money_title,
    panels,
    strategy_label,
    vline,
)


def _months(result: Result) -> np.ndarray:
    return np.arange(1, result.scenario.horizon_months + 1)


def _lines(result: Result, series: str, hover: str) -> list[dict[str, Any]]:
    """One line per existing strategy of a monthly series, in the strategy's colour."""
    x = _months(result)
    return [
        {"type": "scatter", "x": x, "y": result.series_of(s, series), "name": strategy_label(s), "mode": "lines",
         "line": {"color": STRATEGY_COLORS[s], "width": 3},
         "hovertemplate": hover + "<extra>" + strategy_label(s) + "</extra>"}
        for s in result.strategies
    ]  # fmt: skip


def _monthly(result: Result, title: str, y: str, height: int, **kw: Any) -> dict[str, Any]:
    """A layout over months 1 … horizon."""
    return merge(
        layout(title, MONTH, y, height=height, **kw), {"xaxis": {"range": [1, result.scenario.horizon_months]}}
    )


def customers_to_date(result: Result, *, height: int = 360, compact: bool = False) -> go.Figure:
    """Customers won to date per strategy: the sprint against the marathon (`compact`: the legend beside the title,
    for a wide screen)."""
    lay = _monthly(result, "Customers won to date", "Customers (cumulative)", height, compact=compact)
    return figure(_lines(result, "cumulative_customers", "%{y:,.0f}"), lay)


def cac_to_date(result: Result, *, height: int = 360) -> go.Figure:
    """CAC to date per strategy (cumulative cost ÷ cumulative customers), the month generating gets cheaper marked."""
    cur = result.scenario.currency
    T = result.scenario.horizon_months
    lay = _monthly(result, "CAC to date", money_title("CAC to date", cur, "per customer"), height)
    # early months with a handful of customers make CAC to date explode: show the range from a quarter of the horizon
    late = np.concatenate([result.series_of(s, "cac_to_date")[T // 4 :] for s in result.strategies])
    late = late[np.isfinite(late)]
    lay = merge(lay, {"yaxis": {"tickformat": "~s", **({"range": [0, float(late.max()) * 1.15]} if late.size else {})}})
    cross = result.crossover_month()
    if cross is not None:
        color = STRATEGY_COLORS["generate"]
        lay["shapes"] = [vline(cross, {"color": color, "dash": "dash", "width": 2})]
        lay["annotations"] = [{
            "x": cross, "y": 0.0, "yref": "paper", "xanchor": "left" if cross <= T / 2 else "right",
            "yanchor": "bottom", "text": f"Generating cheaper from month {cross}", "showarrow": False,
            "font": {"color": color, "size": 11}, "bgcolor": "rgba(255,255,255,0.8)",
        }]  # fmt: skip
    return figure(_lines(result, "cac_to_date", money_hover(cur)), lay)


def cash_curve(result: Result, *, height: int = 400) -> go.Figure:
    """Cumulative net cash (gross profit − cost) per strategy, the J-curve; each payback month marked on its curve
    and labelled once per month in its own row at the top, so labels never meet."""
    cur = result.scenario.currency
    T = result.scenario.horizon_months
    traces = _lines(result, "cumulative_net", money_hover(cur))
    lay = _monthly(result, "Cumulative net cash and payback month", money_title("Cumulative net cash", cur), height)
    lay = merge(lay, {"yaxis": {"tickformat": "~s"}})
    shapes, notes = [hline(0, {"color": INK, "width": 1})], []
    payback = {s: result.metric(s, "payback_month") for s in result.strategies}
    marks = {s: int(m) for s, m in payback.items() if m is not None}
    if marks:
        traces.append({
            "type": "scatter", "x": list(marks.values()), "mode": "markers", "name": "Payback", "showlegend": False,
            "y": [float(result.series_of(s, "cumulative_net")[m - 1]) for s, m in marks.items()], "hoverinfo": "skip",
            "marker": {"size": 11, "symbol": "diamond", "color": [STRATEGY_COLORS[s] for s in marks],
                       "line": {"color": INK, "width": 1}},
        })  # fmt: skip
        by_month: dict[int, list[str]] = {}
        for s, m in marks.items():
            by_month.setdefault(m, []).append(s)
        for row, (m, names) in enumerate(sorted(by_month.items())):
            color = STRATEGY_COLORS[names[0]]
            shapes.append(vline(m, {"color": color, "dash": "dot", "width": 1}))
            notes.append({
                "x": m, "y": 1.0, "yref": "paper", "yshift": -18 * row, "xanchor": "left" if m <= T / 2 else "right",
                "yanchor": "top", "text": f"{' & '.join(strategy_label(s) for s in names)}: month {m}",
                "showarrow": False, "font": {"size": 11, "color": color}, "bgcolor": "rgba(255,255,255,0.85)",
            })  # fmt: skip
    lay["shapes"], lay["annotations"] = shapes, notes
    return figure(traces, lay)


STAGES = (("pipeline_leads", "Open leads"), ("pipeline_mql", "MQLs"), ("pipeline_sql", "SQLs"))


def pipeline_by_stage(result: Result, *, height: int = 380) -> go.Figure:
    """Open pipeline at each month's end, stacked by stage (light to dark), one panel per strategy."""
    shown = result.strategies
    grid, refs = panels(1, len(shown), [strategy_label(s) for s in shown], hspace=0.03, share_y=True)
    for note, s in zip(grid["annotations"], shown, strict=True):  # panel titles in the strategy's colour
        note["font"] = {"color": STRATEGY_COLORS[s], "size": 13}
    x = _months(result)
    traces = []
    for (xa, ya), s in zip(refs, shown, strict=True):
        for (series, label), shade in zip(STAGES, STAGE_SHADES[s], strict=True):
            traces.append({
                "type": "scatter", "x": x, "y": result.series_of(s, series), "name": label, "stackgroup": s,
                "mode": "lines", "showlegend": False, "line": {"width": 0.5, "color": shade}, "fillcolor": shade,
                "xaxis": xa, "yaxis": ya, "hovertemplate": "%{y:,.0f}<extra>" + f"{label} · {strategy_label(s)}</extra>",
            })  # fmt: skip
    for (_, label), grey in zip(STAGES, STAGE_GREYS, strict=True):  # one legend for the shades of every panel
        traces.append({"type": "scatter", "x": [None], "y": [None], "name": label, "mode": "markers",
                       "marker": {"color": grey, "size": 12, "symbol": "square"}, "hoverinfo": "skip"})  # fmt: skip
    lay = merge(layout("Pipeline by stage (open at month end)", "", "", height=height, panel_titles=True), grid)
    lay = axes(lay, "x", title={"text": MONTH})
    lay = merge(lay, {"yaxis": {"title": {"text": "Open leads, MQLs, SQLs"}}, "hovermode": "closest"})
    return figure(traces, lay)


def leads_and_capacity(result: Result, *, height: int = 380) -> go.Figure:
    """Valid new leads a month per strategy against the sales capacity; the leads left unworked as bars when the
    capacity binds."""
    traces = _lines(result, "leads", "%{y:,.0f}")
    x = _months(result)
    for s in result.strategies:
        unworked = result.series_of(s, "unworked")
        if np.nanmax(unworked) >= 0.5:
            name = f"Unworked · {strategy_label(s)}"
            traces.append({"type": "bar", "x": x, "y": unworked, "name": name, "marker": {"color": STRATEGY_COLORS[s]},
                           "opacity": 0.45, "hovertemplate": "%{y:,.0f}<extra>" + name + "</extra>"})  # fmt: skip
    cap = result.scenario.sales.capacity_leads_per_month
    if cap > 0:  # a trace, not a note on the line: its name goes in the legend and meets no curve
        traces.append({"type": "scatter", "x": [x[0], x[-1]], "y": [cap, cap], "mode": "lines",
                       "name": f"Sales capacity ({fmt('leads', cap)})", "hoverinfo": "skip",
                       "line": {"color": INK, "dash": "dash", "width": 2}})  # fmt: skip
    lay = _monthly(result, "Leads a month against sales capacity", "Valid new leads a month", height)
    return figure(traces, merge(lay, {"barmode": "group"}))


FUNNEL = (("leads", "Leads"), ("mqls", "MQLs"), ("sqls", "SQLs"), ("customers_eventual", "Customers"))


def funnel(result: Result, *, height: int = 380) -> go.Figure:
    """Leads → MQLs → SQLs → customers per strategy: the horizon's leads and what they eventually become."""
    stages = [label for _, label in FUNNEL]
    traces = []
    for s in result.strategies:
        values = [result.metric(s, m) for m, _ in FUNNEL]
        traces.append({
            "type": "bar", "x": stages, "y": values, "name": strategy_label(s), "marker": {"color": STRATEGY_COLORS[s]},
            "text": [fmt(m, v) for (m, _), v in zip(FUNNEL, values, strict=True)], "textposition": "inside",
            "insidetextanchor": "end", "textangle": 0,
            "hovertemplate": "%{y:,.0f}<extra>" + strategy_label(s) + "</extra>",
        })  # fmt: skip
    lay = layout("Funnel: the horizon's leads, eventually", "", "Count (log scale)", height=height)
    lay = merge(lay, {"yaxis": {"type": "log", "dtick": 1, "tickformat": "~s"}, "barmode": "group",
                      "hovermode": "closest", "uniformtext": {"minsize": 9, "mode": "hide"}})  # fmt: skip
    return figure(traces, lay)
