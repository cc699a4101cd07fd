"""Figures per channel: response curves, where the next slice of budget does most, allocations (no Streamlit)."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from simulation.analyses.curves import Curve, NextBudget
from simulation.metrics import money

from .theme import (
    INK,
    STAGE_SHADES,
    axes,
    channel_colors,
    figure,
    layout,
    merge,
    money_hover,
    money_title,
    panels,
    text,
    vline,
    wrap,
)

CURVE_SERIES = {
    "customers": ("Customers, eventually", "%{y:,.0f}"),
    "leads": ("Valid leads a month", "%{y:,.0f}"),
    "marginal_cost_per_customer": ("Cost of the next customer", None),
}


def response_curves(curves: dict[str, Curve], what: str = "customers", currency: str = "") -> go.Figure:
    """Each channel alone against its own monthly spend (one small panel per channel, in its colour), today's
    spend on the plan marked with a dashed line."""
    ids = list(curves)
    colors = channel_colors(ids)
    cols = 2 if len(ids) > 1 else 1
    rows = math.ceil(len(ids) / cols)
    grid, refs = panels(rows, cols, [text(curves[c].label) for c in ids], hspace=0.12,
                        vspace=min(0.3 / rows + 0.06, 0.25))  # fmt: skip
    for note, cid in zip(grid["annotations"], ids, strict=True):  # panel titles in the channel's colour
        note["font"] = {"color": colors[cid], "size": 13}
    y_title, hover = CURVE_SERIES[what]
    if hover is None:
        hover = money_hover(currency)
        y_title = money_title(y_title, currency)
    traces, shapes = [], []
    for i, ((xa, ya), cid) in enumerate(zip(refs, ids, strict=False)):
        c = curves[cid]
        traces.append({
            "type": "scatter", "x": c.spend, "y": getattr(c, what), "mode": "lines", "name": text(c.label),
            "showlegend": False, "xaxis": xa, "yaxis": ya, "line": {"color": colors[cid], "width": 3},
            "hovertemplate": f"spend {money_hover(currency, 'x')}: {hover}<extra>{text(c.label)}</extra>",
        })  # fmt: skip
        shapes.append(vline(c.today_spend, {"color": INK, "dash": "dash", "width": 1.5}, panel=i + 1))
    lay = merge(layout("Response to each channel's own spend", "", "", height=90 + 230 * rows, legend=False,
                       panel_titles=True), grid)  # fmt: skip
    lay = axes(axes(lay, "x", tickformat="~s"), "y", tickformat="~s", rangemode="tozero")
    bottom = {f"xaxis{'' if i == 0 else i + 1}" for i in range(len(ids)) if i + cols >= len(ids)}
    left = {f"yaxis{'' if i == 0 else i + 1}" for i in range(len(ids)) if i % cols == 0}
    lay = merge(lay, {k: {"title": {"text": money_title("Monthly spend", currency), "font": {"size": 11}}}
                      for k in bottom},
                {k: {"title": {"text": y_title, "font": {"size": 11}}} for k in left})  # fmt: skip
    lay["shapes"] = shapes
    lay["hovermode"] = "closest"
    return figure(traces, lay)


def next_budget_bars(rows: list[NextBudget], channel_ids: list[str], currency: str = "") -> go.Figure:
    """The lifetime value another slice of monthly budget adds on each channel, most first (the channel's colour)."""
    colors = channel_colors(channel_ids)
    shown = rows[::-1]  # most at the top of a horizontal bar chart
    trace = {
        "type": "bar", "orientation": "h", "y": [wrap(text(r.label), ": ") for r in shown],
        "x": [r.extra_npv for r in shown], "marker": {"color": [colors[r.channel] for r in shown]},
        "text": [money(r.extra_npv, currency) for r in shown], "textposition": "auto", "cliponaxis": False,
        "hovertemplate": money_hover(currency, "x") + "<extra></extra>",
    }  # fmt: skip
    amount = money(rows[0].amount, currency) if rows else ""
    lay = layout(f"What {amount} more a month adds", money_title("Lifetime value added", currency), "",
                 height=110 + 44 * len(rows), legend=False)  # fmt: skip
    lay = merge(lay, {"xaxis": {"tickformat": "~s", "zeroline": True, "zerolinecolor": INK}, "hovermode": "closest"})
    return figure([trace], lay)


def _share_bars(names: list[str], series: list[tuple[str, list[float], str]], title: str, height: int) -> go.Figure:
    """Grouped bars of shares of the budget, labelled inside the plot (room above the tallest)."""
    traces = [
        {"type": "bar", "x": names, "y": y, "name": name, "marker": {"color": color}, "texttemplate": "%{y:.0%}",
         "textposition": "outside", "cliponaxis": False, "hovertemplate": "%{y:.1%}<extra>" + name + "</extra>"}
        for name, y, color in series
    ]  # fmt: skip
    top = max([v for _, y, _ in series for v in y] + [0.1])
    lay = layout(title, "", "Share of the budget", height=height)
    lay = merge(lay, {"yaxis": {"tickformat": ".0%", "range": [0, min(1.0, top) * 1.18]}, "barmode": "group",
                      "hovermode": "closest"})  # fmt: skip
    return figure(traces, lay)


def allocation_bars(labels: dict[str, str], plan: dict[str, float], recommended: dict[str, float]) -> go.Figure:
    """The recommended share of the budget per channel against the plan's (Blend)."""
    ids = list(labels)
    light, _, dark = STAGE_SHADES["blend"]
    series: list[tuple[str, list[float], str]] = [
        ("Plan (Blend)", [plan[c] for c in ids], light), ("Recommended", [recommended[c] for c in ids], dark)]  # fmt: skip
    names = [wrap(text(labels[c]), ": ") for c in ids]
    return _share_bars(names, series, "Share of the monthly budget per channel", 380)


def phase_bars(labels: dict[str, str], first: dict[str, float], second: dict[str, float], switch: int) -> go.Figure:
    """The two-phase plan: each channel's share before and after the switch month."""
    ids = list(labels)
    light, _, dark = STAGE_SHADES["blend"]
    before = "Month 1" if switch == 2 else f"Months 1–{switch - 1}"
    series: list[tuple[str, list[float], str]] = [
        (before, [first[c] for c in ids], light), (f"From month {switch}", [second[c] for c in ids], dark)]  # fmt: skip
    names = [wrap(text(labels[c]), ": ") for c in ids]
    return _share_bars(names, series, "Share of the budget before and after the switch", 360)
