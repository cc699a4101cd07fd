"""Chart builders for the Risk, Sensitivity and Optimize views (plain functions, no Streamlit)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from simulation.model import STRATEGIES
from simulation.schema import FIELDS
from simulation.uncertainty import MonteCarlo

from .charts import _layout
from .inputs import LABELS
from .style import COLORS, STRATEGY_LABELS, rgba

OUTPUT_LABELS = {
    "cac_gap": "CAC gap: Buy − Generate",
    "cac_generate": "CAC · Generate",
    "cac_buy": "CAC · Buy",
    "cac_blend": "CAC · Blend",
    "roi_generate": "ROI · Generate",
    "roi_buy": "ROI · Buy",
    "roi_blend": "ROI · Blend",
}


def fan(mc: MonteCarlo, series: str, title: str, y_title: str, *, strategies=STRATEGIES) -> go.Figure:
    """P10–P90 band and median per strategy over the months: three traces per strategy."""
    q = mc.monthly_q[series]  # (3, S, T)
    months = np.arange(1, q.shape[-1] + 1)
    fig = go.Figure()
    for s in strategies:
        j = STRATEGIES.index(s)
        lo, med, hi = (np.where(np.isfinite(q[i, j]), q[i, j], np.nan) for i in range(3))
        label = STRATEGY_LABELS[s]
        fig.add_scatter(x=months, y=lo, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip",
                        legendgroup=s)  # fmt: skip
        fig.add_scatter(
            x=months, y=hi, mode="lines", line={"width": 0}, fill="tonexty", fillcolor=rgba(COLORS[s], 0.2),
            name=f"{label} P10–P90", legendgroup=s, hoverinfo="skip", showlegend=False,
        )  # fmt: skip
        fig.add_scatter(
            x=months, y=med, mode="lines", line={"color": COLORS[s], "width": 3}, name=label,
            legendgroup=s, hovertemplate="%{y:,.0f}",
        )  # fmt: skip
    return _layout(fig, title, "Month", y_title)


def cac_distribution(mc: MonteCarlo) -> go.Figure:
    """Histogram of CAC over the simulated futures, one overlaid trace per strategy."""
    cac = mc.samples["cac"]
    finite = cac[np.isfinite(cac)]
    fig = go.Figure()
    if finite.size == 0:
        return _layout(fig, "CAC across simulated futures (no customers in any draw)", "CAC (money per customer)",
                       "Share of simulated futures")  # fmt: skip
    hi = float(np.quantile(finite, 0.99))
    lo = float(finite.min())
    size = max((hi - lo) / 40, 1e-9)
    for j, s in enumerate(STRATEGIES):
        x = cac[:, j][np.isfinite(cac[:, j])]
        fig.add_histogram(
            x=x, name=STRATEGY_LABELS[s], marker_color=COLORS[s], opacity=0.55, histnorm="probability",
            xbins={"start": lo, "end": float(finite.max()) + size, "size": size},
            hovertemplate="CAC %{x:,.0f}: %{y:.1%}",
        )  # fmt: skip
    _layout(fig, f"CAC across {mc.draws:,} simulated futures", "CAC (money per customer)", "Share of simulated futures")
    fig.update_layout(barmode="overlay", hovermode="closest")
    fig.update_xaxes(range=[lo, hi])  # the top 1 % of draws lie beyond the right edge
    fig.update_yaxes(tickformat=".0%")
    return fig


def tornado(df: pd.DataFrame, output: str, top: int = 12) -> go.Figure:
    """Bars from the central value to the output at each input's low and high, biggest swing on top."""
    central = df.attrs["central"][output]
    d = df.assign(swing=df[f"{output}_swing"]).sort_values("swing", ascending=False, kind="stable").head(top)
    d = d.iloc[::-1]  # biggest at the top of a horizontal bar chart
    names = [f"{LABELS[f]} · {f.split('.')[0].capitalize()}" if "." in f else LABELS[f] for f in d["field"]]
    names = [n.replace(" · Budget", "").replace(" · Economics", "") for n in names]
    is_rate = output.startswith("roi")
    fig = go.Figure()
    for side, color in (("low", "#7F7F7F"), ("high", "#2B2B2B")):
        vals = d[f"{output}_{side}"].to_numpy(dtype=float)
        shown = [
            f"{v:.1%}" if FIELDS[f].kind == "rate" else f"{v:,.4g}" for f, v in zip(d["field"], d[side], strict=True)
        ]
        fig.add_bar(
            y=names, x=vals - central, base=central, orientation="h", name=f"input at its {side}",
            marker_color=color, opacity=0.75,
            customdata=np.stack([np.array(shown, dtype=object), vals.astype(object)], axis=-1),
            hovertemplate="input %{customdata[0]} → %{customdata[1]:,.3g}<extra></extra>",
        )  # fmt: skip
    unit = "ROI (share of cost)" if is_rate else "CAC (money per customer)"
    _layout(fig, f"What moves {OUTPUT_LABELS[output]} most", unit, "", height=120 + 32 * len(d))
    fig.update_layout(barmode="overlay", hovermode="closest", margin={"l": 260})
    fig.add_vline(x=central, line={"color": "black", "width": 1})
    if is_rate:
        fig.update_xaxes(tickformat=".0%")
    fig.update_yaxes(rangemode="normal")
    return fig


def breakeven_heatmap(grid: dict, breakeven_price: float | None) -> go.Figure:
    """Where buying wins: CAC buy − CAC generate over vendor price × buy conversion, current marked."""
    gap = np.where(np.isfinite(grid["gap"]), grid["gap"], np.nan)
    # colours saturate at ± generating's CAC, so both sides of the break-even line stay readable
    lim = float(grid["cac_generate"]) if np.isfinite(grid.get("cac_generate", np.nan)) else 1.0
    fig = go.Figure()
    fig.add_heatmap(
        x=grid["price"], y=grid["conversion"] * 100, z=np.clip(gap, -lim, lim), zmid=0, zmin=-lim, zmax=lim,
        colorscale=[[0, COLORS["buy"]], [0.5, "#FFFFFF"], [1, COLORS["generate"]]],
        colorbar={"title": {"text": "CAC buy − generate"}, "tickformat": ",.0f"}, customdata=gap,
        hovertemplate="price %{x:,.2f}<br>lead→customer %{y:.2f} %<br>gap %{customdata:,.0f}<extra></extra>",
    )  # fmt: skip
    fig.add_contour(
        x=grid["price"], y=grid["conversion"] * 100, z=gap, contours={"start": 0, "end": 0, "coloring": "none"},
        line={"color": "black", "width": 2, "dash": "dash"}, showscale=False, name="break-even", hoverinfo="skip",
    )  # fmt: skip
    px, py = grid["current"]
    fig.add_scatter(
        x=[px], y=[py * 100], mode="markers+text", text=["current"], textposition="top right", name="current scenario",
        marker={"symbol": "x", "size": 14, "color": "black"},
    )  # fmt: skip
    title = "Where buying wins (orange) and where generating wins (green)"
    _layout(fig, title, "Vendor price per lead (money)", "Bought lead → customer rate (%)", height=460)
    fig.update_yaxes(rangemode="normal")
    fig.update_layout(hovermode="closest")
    return fig


def frontier(df: pd.DataFrame, best_share: float | None) -> go.Figure:
    """Customers won against CAC for every buy share: the efficient frontier of the blend."""
    fig = go.Figure()
    ok = df[df["feasible"]]
    no = df[~df["feasible"]]
    fig.add_scatter(
        x=ok["cac"], y=ok["customers"], mode="lines+markers", name="meets the customer floor",
        marker={"color": ok["share"], "colorscale": [[0, COLORS["generate"]], [1, COLORS["buy"]]], "size": 6,
                "colorbar": {"title": {"text": "buy share"}, "tickformat": ".0%"}},
        line={"color": "#999", "width": 1}, customdata=ok["share"],
        hovertemplate="buy share %{customdata:.0%}<br>CAC %{x:,.0f}<br>customers %{y:,.1f}<extra></extra>",
    )  # fmt: skip
    if len(no):
        fig.add_scatter(
            x=no["cac"], y=no["customers"], mode="markers", name="misses the floor",
            marker={"color": "#CCCCCC", "size": 5}, customdata=no["share"],
            hovertemplate="buy share %{customdata:.0%} (misses the floor)<extra></extra>",
        )  # fmt: skip
    if best_share is not None:
        i = int(np.argmin(np.abs(df["share"].to_numpy() - best_share)))
        fig.add_scatter(
            x=[df["cac"].iloc[i]], y=[df["customers"].iloc[i]], mode="markers+text", name="best share",
            text=[f"best: {best_share:.0%} buying"], textposition="middle left",
            marker={"symbol": "star", "size": 16, "color": "black"},
        )  # fmt: skip
    _layout(fig, "Efficient frontier: customers against CAC for every buy share", "CAC (money per customer)",
            "Customers won in the horizon")  # fmt: skip
    fig.add_annotation(text="A blend pays both channels' fixed costs: hence the jumps at 0 % and 100 %.",
                       xref="paper", yref="paper", x=0, y=-0.22, showarrow=False, font={"size": 11, "color": "#666"})  # fmt: skip
    fig.update_yaxes(rangemode="normal")
    fig.update_layout(hovermode="closest")
    return fig


def plan_shares(first: float, second: float, switch: int | None, horizon: int, constant: float | None) -> go.Figure:
    """The buy share month by month: the two-phase plan against the best constant share."""
    months = np.arange(1, horizon + 1)
    fig = go.Figure()
    if constant is not None:
        fig.add_scatter(x=months, y=np.full(horizon, constant), mode="lines", name="best constant share",
                        line={"color": COLORS["blend"], "dash": "dash", "width": 2})  # fmt: skip
    plan = np.where(months < (switch or horizon + 1), first, second)
    fig.add_scatter(x=months, y=plan, mode="lines", line_shape="hv", name="two-phase plan",
                    line={"color": "black", "width": 3})  # fmt: skip
    _layout(fig, "Share of the budget spent on buying, month by month", "Month", "Buy share (%)", height=320)
    fig.update_yaxes(range=[-0.05, 1.05], tickformat=".0%")
    return fig
