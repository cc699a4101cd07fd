"""Chart builders: plain functions from result frames to Plotly figures (no Streamlit)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simulation.metrics import STRATEGIES

from .style import COLORS, STAGE_SHADES, STRATEGY_LABELS

MONEY_FMT = ",.0f"


def _layout(fig: go.Figure, title: str, x: str, y: str, *, height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left"},
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        hovermode="x unified",
        template="plotly_white",
    )
    fig.update_xaxes(title_text=x)
    fig.update_yaxes(title_text=y, rangemode="tozero")
    return fig


def _series(monthly: pd.DataFrame, strategy: str, column: str) -> pd.Series:
    return monthly[monthly["strategy"] == strategy].set_index("month")[column]


def strategies_in(frame: pd.DataFrame) -> list[str]:
    """The strategies a monthly frame (column `strategy`) or summary frame (index) holds, in contract order."""
    have = set(frame["strategy"]) if "strategy" in frame.columns else set(frame.index)
    return [s for s in STRATEGIES if s in have]


def _strategy_lines(monthly: pd.DataFrame, column: str, hover: str) -> go.Figure:
    """One line per strategy of a monthly column, in the strategy's colour."""
    fig = go.Figure()
    for s in strategies_in(monthly):
        y = _series(monthly, s, column)
        fig.add_scatter(
            x=y.index, y=y.values, name=STRATEGY_LABELS[s], mode="lines", line={"color": COLORS[s], "width": 3},
            hovertemplate=hover,
        )  # fmt: skip
    return fig


def cumulative_customers(monthly: pd.DataFrame) -> go.Figure:
    """Customers won to date per strategy: the sprint against the marathon."""
    fig = _strategy_lines(monthly, "cumulative_customers", "%{y:,.1f}")
    return _layout(fig, "Customers won to date", "Month", "Customers (cumulative)")


def unit(currency: str) -> str:
    """The money unit of axis titles: the scenario's currency code, or "money" without one."""
    return currency or "money"


def cac_to_date(monthly: pd.DataFrame, crossover: int | None, currency: str = "") -> go.Figure:
    """CAC to date per strategy, with the month generating becomes cheaper than buying."""
    fig = _strategy_lines(monthly, "cac_to_date", "%{y:,.0f}")
    title = "CAC to date (cumulative cost ÷ cumulative customers)"
    _layout(fig, title, "Month", f"CAC to date ({unit(currency)} per customer)")
    if crossover is not None:
        fig.add_vline(
            x=crossover, line={"color": COLORS["generate"], "dash": "dash", "width": 2},
            annotation_text=f"Generating cheaper from month {crossover}", annotation_position="top left",
        )  # fmt: skip
    # Early months with a handful of customers make CAC to date explode; show the useful range.
    late = monthly[monthly["month"] > max(1, monthly["month"].max() // 4)]["cac_to_date"].dropna()
    if len(late):
        fig.update_yaxes(range=[0, float(late.max()) * 1.15])
    return fig


def pipeline_by_stage(monthly: pd.DataFrame) -> go.Figure:
    """Open pipeline at each month's end, stacked by stage, one panel per strategy."""
    shown = strategies_in(monthly)
    fig = make_subplots(
        rows=1, cols=len(shown), shared_yaxes=True, subplot_titles=[STRATEGY_LABELS[s] for s in shown],
        horizontal_spacing=0.04,
    )  # fmt: skip
    stages = (("pipeline_leads", "Open leads"), ("pipeline_mql", "MQLs"), ("pipeline_sql", "SQLs"))
    for col, s in enumerate(shown, start=1):
        for (column, label), shade in zip(stages, STAGE_SHADES[s], strict=True):
            y = _series(monthly, s, column)
            fig.add_scatter(
                x=y.index, y=y.values, name=f"{label} · {STRATEGY_LABELS[s]}", stackgroup=s, mode="lines",
                line={"width": 0.5, "color": shade}, fillcolor=shade, row=1, col=col, hovertemplate="%{y:,.0f}",
                legendgroup=s,
            )  # fmt: skip
    _layout(fig, "Pipeline by stage (open at month end)", "", "", height=400)
    for col in range(1, len(shown) + 1):
        fig.update_xaxes(title_text="Month", row=1, col=col)
    fig.update_yaxes(title_text="Open leads, MQLs and SQLs", row=1, col=1)
    fig.update_layout(legend={"orientation": "h", "y": -0.25, "x": 0.0, "xanchor": "left", "yanchor": "top"})
    fig.update_layout(margin={"b": 110})
    return fig


def funnel(summary: pd.DataFrame) -> go.Figure:
    """Leads → MQL → SQL → customers per strategy over the horizon (eventual conversions)."""
    stages = ["Leads", "MQLs", "SQLs", "Customers"]
    fig = go.Figure()
    for s in strategies_in(summary):
        row = summary.loc[s]
        values = [row["leads"], row["mqls"], row["sqls"], row["customers_eventual"]]
        fig.add_bar(
            x=stages, y=values, name=STRATEGY_LABELS[s], marker_color=COLORS[s],
            text=[f"{v:,.0f}" for v in values], textposition="outside", hovertemplate="%{y:,.1f}",
        )  # fmt: skip
    _layout(fig, "Funnel: the horizon's leads and what they eventually become", "Stage", "Count (log scale)")
    fig.update_yaxes(type="log", rangemode="normal")
    fig.update_layout(barmode="group", hovermode="closest")
    return fig


def cumulative_net(monthly: pd.DataFrame, payback: dict[str, int | None], currency: str = "") -> go.Figure:
    """Cumulative gross profit minus cumulative cost (the J-curve), payback months marked."""
    fig = _strategy_lines(monthly, "cumulative_net", "%{y:,.0f}")
    marks = {s: m for s, m in payback.items() if m is not None}
    if marks:
        # one label per payback month, naming every strategy that pays back then
        labels = {}
        for s, m in marks.items():
            labels.setdefault(m, []).append(STRATEGY_LABELS[s])
        first_at = {m: next(s for s in marks if marks[s] == m) for m in labels}
        # neighbouring months' labels alternate above-left and below-right of their markers, so they do not collide
        place = {m: ("top left", "bottom right")[i % 2] for i, m in enumerate(sorted(labels))}
        fig.add_scatter(
            x=list(marks.values()),
            y=[float(_series(monthly, s, "cumulative_net").loc[m]) for s, m in marks.items()],
            mode="markers+text", name="Payback month",
            text=[f"{' & '.join(labels[m])}: payback month {m}" if first_at[m] == s else "" for s, m in marks.items()],
            textposition=[place[m] for m in marks.values()],
            marker={"size": 12, "symbol": "diamond", "color": [COLORS[s] for s in marks],
            "line": {"color": "black", "width": 1}}, hoverinfo="skip",
        )  # fmt: skip
    fig.add_hline(y=0, line={"color": "#555", "width": 1})
    _layout(
        fig, "Cumulative net cash (gross profit − cost): the J-curve", "Month", f"Cumulative net ({unit(currency)})"
    )
    fig.update_yaxes(rangemode="normal", tickformat=MONEY_FMT)
    return fig
