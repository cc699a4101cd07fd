"""Figures overlaying 2–4 scenarios (no Streamlit): one strategy at a time, in its colour, a line style per scenario."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from simulation.compare import Comparison

from .theme import MONTH, STRATEGY_COLORS, figure, layout, merge, money_hover, money_title, strategy_label, text, wrap

# The scenarios keep the strategy's colour (the same colour per strategy everywhere) and differ by line style.
DASHES = ("solid", "dash", "dot", "dashdot")

# series → (title, y axis title or None for money, money?)
SERIES_TITLES = {
    "cumulative_customers": ("Customers won to date", "Customers (cumulative)", False),
    "cac_to_date": ("CAC to date", None, True),
    "cumulative_net": ("Cumulative net cash", None, True),
}


def _y_title(series: str, currency: str) -> str:
    title, y, is_money = SERIES_TITLES[series]
    if not is_money:
        return y or title
    if series == "cac_to_date":
        return money_title("CAC to date", currency, "per customer")
    return money_title("Net cash to date", currency)


def overlay(comparison: Comparison, series: str, strategy: str, *, height: int = 360) -> go.Figure:
    """One monthly series of one strategy, a line per scenario (the first solid); absent strategies left out."""
    per = comparison.series.get(series, {}).get(strategy, ())
    title = f"{SERIES_TITLES[series][0]} · {strategy_label(strategy)}"
    _, _, is_money = SERIES_TITLES[series]
    hover = money_hover(comparison.currency) if is_money else "%{y:,.0f}"
    traces: list[dict[str, Any]] = []
    for i, (label, y) in enumerate(zip(comparison.labels, per, strict=False)):
        if y is None:
            continue
        traces.append({
            "type": "scatter", "x": comparison.months[i], "y": y, "mode": "lines", "name": wrap(text(label), width=28),
            "line": {"color": STRATEGY_COLORS[strategy], "dash": DASHES[i % len(DASHES)], "width": 2.5 if i == 0 else 2},
            "hovertemplate": f"{hover}<extra>{text(label)}</extra>",
        })  # fmt: skip
    horizon = max((len(m) for m in comparison.months), default=1)
    lay = merge(layout(title, MONTH, _y_title(series, comparison.currency), height=height),
                {"xaxis": {"range": [1, horizon]}})  # fmt: skip
    return figure(traces, lay)
