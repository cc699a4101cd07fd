"""Figures of a calibration: the share of leads still open against the fitted nurture time, and leads per month, a
line per channel in the channel's colour (no Streamlit)."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from .theme import MONTH, PLAN_GREY, axes, figure, layout, text

SURVIVAL_TITLE = "Leads still open, by months since they arrived"
SURVIVAL_X = "Months since the lead arrived"
SURVIVAL_Y = "Share of leads still open (%)"
VOLUME_TITLE = "Leads a month, by channel"
VOLUME_Y = "Leads (a month)"
MODEL_NOTE = "Fitted (dashed)"


@dataclass(frozen=True)
class SurvivalCurve:
    """One channel's curves over months 0…K: the Kaplan–Meier share still open and the fitted model's."""

    label: str
    months: list[int]
    km: list[float]
    model: list[float]


def survival(curves: dict[str, SurvivalCurve], colors: dict[str, str], max_month: int = 24) -> go.Figure:
    """Per channel: the observed share of leads still open k months after arriving (Kaplan–Meier, a solid step line
    with points) and the fitted model's (dashed), in percent; the months cut at `max_month`."""
    traces = []
    for cid, c in curves.items():
        n = min(len(c.months), max_month + 1)
        months = c.months[:n]
        name = text(c.label)
        traces.append({
            "type": "scatter", "x": months, "y": [100 * v for v in c.km[:n]], "mode": "lines+markers",
            "name": name, "legendgroup": cid, "line": {"color": colors[cid], "width": 2.5, "shape": "hv"},
            "marker": {"size": 5}, "hovertemplate": "%{y:.1f} %<extra>" + name + " · data</extra>",
        })  # fmt: skip
        traces.append({
            "type": "scatter", "x": months, "y": [100 * v for v in c.model[:n]], "mode": "lines",
            "name": name + " · model", "legendgroup": cid, "showlegend": False,
            "line": {"color": colors[cid], "width": 2, "dash": "dash"},
            "hovertemplate": "%{y:.1f} %<extra>" + name + " · model</extra>",
        })  # fmt: skip
    traces.append({  # one legend entry for every dashed line
        "type": "scatter", "x": [None], "y": [None], "mode": "lines", "name": MODEL_NOTE, "hoverinfo": "skip",
        "line": {"color": PLAN_GREY, "width": 2, "dash": "dash"},
    })  # fmt: skip
    lay = layout(SURVIVAL_TITLE, SURVIVAL_X, SURVIVAL_Y)
    lay = axes(axes(lay, "y", range=[0, 102], ticksuffix=" %"), "x", dtick=1 if max_month <= 12 else 3,
               rangemode="tozero")  # fmt: skip
    return figure(traces, lay)


def volume(months: list[str], leads: dict[str, tuple[str, list[int]]], colors: dict[str, str]) -> go.Figure:
    """Leads created each calendar month, a line per channel (label, counts); the last month runs to the export
    date, so it is usually partial (an open marker)."""
    traces = []
    last = len(months) - 1
    for cid, (label, counts) in leads.items():
        name = text(label)
        traces.append({
            "type": "scatter", "x": months, "y": counts, "mode": "lines+markers", "name": name,
            "line": {"color": colors[cid], "width": 2.5},
            "marker": {"size": 6, "symbol": ["circle"] * last + ["circle-open"]},
            "hovertemplate": "%{y:,} leads<extra>" + name + "</extra>",
        })  # fmt: skip
    lay = layout(VOLUME_TITLE, MONTH, VOLUME_Y)
    lay = axes(axes(lay, "y", rangemode="tozero", tickformat=",d"), "x", type="category")
    return figure(traces, lay)
