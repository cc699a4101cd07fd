"""Chart builders for the Risk, Sensitivity and Optimize views (plain functions, no Streamlit)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from simulation.analyses.breakeven import BreakevenGrid
from simulation.analyses.montecarlo import MonteCarlo
from simulation.analyses.sensitivity import Sensitivity
from simulation.metrics import METRICS, STRATEGIES, STRATEGY_LABELS
from simulation.schema import spec_of

from .charts import _layout, unit
from .style import COLORS, rgba

CHANNEL_COLORS = ("#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442", "#999999")


def output_label(output: str) -> str:
    """'Lifetime value created · Blend' for a sensitivity output named metric_strategy; the CAC gap by name."""
    if output == "cac_gap":
        return "CAC gap, eventual: Buy − Generate"
    metric, _, strategy = output.rpartition("_")
    return f"{METRICS[metric].label} · {STRATEGY_LABELS[strategy]}"


def fan(mc: MonteCarlo, series: str, title: str, y_title: str, *, clip_early: bool = False) -> go.Figure:
    """P10–P90 band and median per existing strategy over the months: three traces per strategy.

    With `clip_early` the y axis shows the range from a quarter of the horizon on (early CAC to date explodes)."""
    q = mc.monthly_q[series]  # (3, S, T), NaN where undefined
    months = np.arange(1, q.shape[-1] + 1)
    fig = go.Figure()
    for s in mc.strategies:
        j = STRATEGIES.index(s)
        lo, med, hi = q[0, j], q[1, j], q[2, j]
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
    _layout(fig, title, "Month", y_title)
    if clip_early:
        late = q[:, [STRATEGIES.index(s) for s in mc.strategies], q.shape[-1] // 4 :]
        finite = late[np.isfinite(late)]
        if finite.size:
            fig.update_yaxes(range=[0, float(finite.max()) * 1.1])
    return fig


def cac_distribution(mc: MonteCarlo, currency: str = "") -> go.Figure:
    """Histogram of CAC over the simulated futures, one overlaid trace per existing strategy."""
    cac = mc.samples["cac"]
    finite = cac[np.isfinite(cac)]
    fig = go.Figure()
    x_title = f"CAC ({unit(currency)} per customer)"
    if finite.size == 0:
        return _layout(fig, "CAC across simulated futures (no customers in any draw)", x_title,
                       "Share of simulated futures")  # fmt: skip
    hi = float(np.quantile(finite, 0.99))
    lo = float(finite.min())
    size = max((hi - lo) / 40, 1e-9)
    for s in mc.strategies:
        j = STRATEGIES.index(s)
        x = cac[:, j][np.isfinite(cac[:, j])]
        fig.add_histogram(
            x=x, name=STRATEGY_LABELS[s], marker_color=COLORS[s], opacity=0.55, histnorm="probability",
            xbins={"start": lo, "end": float(finite.max()) + size, "size": size},
            hovertemplate="CAC %{x:,.0f}: %{y:.1%}",
        )  # fmt: skip
    _layout(fig, f"CAC across {mc.draws:,} simulated futures", x_title, "Share of simulated futures")
    fig.update_layout(barmode="overlay", hovermode="closest")
    fig.update_xaxes(range=[lo, hi])  # the top 1 % of draws lie beyond the right edge
    fig.update_yaxes(tickformat=".0%")
    return fig


def _input_text(field: str, v: float) -> str:
    spec = spec_of(field)
    return f"{v:.1%}" if spec is not None and spec.kind == "rate" else f"{v:,.4g}"


def tornado(sens: Sensitivity, output: str, top: int = 12, currency: str = "") -> go.Figure:
    """Bars from the central value to the output at each input's low and high, biggest swing on top."""
    central = sens.central[output]
    rows = sens.ranked(output)[:top][::-1]  # biggest at the top of a horizontal bar chart
    names = [r.label for r in rows]
    metric = "cac_eventual" if output == "cac_gap" else output.rpartition("_")[0]
    is_rate = METRICS[metric].format == "percent"
    fig = go.Figure()
    for side, color in (("low", "#7F7F7F"), ("high", "#2B2B2B")):
        vals = np.array([(r.at_low if side == "low" else r.at_high)[output] for r in rows], dtype=float)
        shown = [_input_text(r.field, r.low if side == "low" else r.high) for r in rows]
        fig.add_bar(
            y=names, x=vals - central, base=central, orientation="h", name=f"input at its {side}",
            marker_color=color, opacity=0.75,
            customdata=np.stack([np.array(shown, dtype=object), vals.astype(object)], axis=-1),
            hovertemplate="input %{customdata[0]} → %{customdata[1]:,.3g}<extra></extra>",
        )  # fmt: skip
    x_title = "ROI (share of cost)" if is_rate else f"{output_label(output)} ({unit(currency)})"
    _layout(fig, f"What moves {output_label(output)} most", x_title, "", height=120 + 32 * len(rows))
    fig.update_layout(barmode="overlay", hovermode="closest", margin={"l": 300})
    fig.add_vline(x=central, line={"color": "black", "width": 1})
    if is_rate:
        fig.update_xaxes(tickformat=".0%")
    fig.update_yaxes(rangemode="normal")
    return fig


def breakeven_heatmap(grid: BreakevenGrid, currency: str = "") -> go.Figure:
    """Where buying from one vendor wins: its eventual CAC − Generate's over price × close rate, today marked."""
    gap = np.where(np.isfinite(grid.gap), grid.gap, np.nan)
    # colours saturate at ± generating's CAC, so both sides of the break-even line stay readable
    lim = float(grid.cac_generate) if grid.cac_generate else 1.0
    fig = go.Figure()
    fig.add_heatmap(
        x=grid.prices, y=grid.rates * 100, z=np.clip(gap, -lim, lim), zmid=0, zmin=-lim, zmax=lim,
        colorscale=[[0, COLORS["buy"]], [0.5, "#FFFFFF"], [1, COLORS["generate"]]],
        colorbar={"title": {"text": "CAC buy − generate"}, "tickformat": ",.0f"}, customdata=gap,
        hovertemplate="price %{x:,.2f}<br>SQL → customer %{y:.1f} %<br>gap %{customdata:,.0f}<extra></extra>",
    )  # fmt: skip
    fig.add_contour(
        x=grid.prices, y=grid.rates * 100, z=gap, contours={"start": 0, "end": 0, "coloring": "none"},
        line={"color": "black", "width": 2, "dash": "dash"}, showscale=False, name="break-even", hoverinfo="skip",
    )  # fmt: skip
    fig.add_scatter(
        x=[grid.current_price], y=[grid.current_rate * 100], mode="markers+text", text=["today"],
        textposition="top right", name="today", marker={"symbol": "x", "size": 14, "color": "black"},
    )  # fmt: skip
    title = f"{grid.label}: where buying wins (orange) and where generating wins (green)"
    _layout(fig, title, f"Price per lead ({unit(currency)})", "SQL → customer rate (%)", height=460)
    fig.update_yaxes(rangemode="normal")
    fig.update_layout(hovermode="closest")
    return fig


def allocation_bars(labels: dict[str, str], best: dict[str, float], plan: dict[str, float]) -> go.Figure:
    """The recommended share of the budget per channel against the plan's."""
    names = list(labels.values())
    fig = go.Figure()
    fig.add_bar(x=names, y=[plan[c] for c in labels], name="the plan (Blend)", marker_color="#BBBBBB",
                texttemplate="%{y:.0%}", textposition="outside")  # fmt: skip
    fig.add_bar(x=names, y=[best[c] for c in labels], name="recommended", marker_color=COLORS["blend"],
                texttemplate="%{y:.0%}", textposition="outside")  # fmt: skip
    _layout(fig, "Share of the monthly budget per channel", "", "Share of the budget", height=360)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.1])
    fig.update_layout(barmode="group", hovermode="closest")
    return fig


def plan_shares(labels: dict[str, str], shares: dict[str, list[float]], switch: int | None) -> go.Figure:
    """The two-phase plan month by month: each channel's share of the budget, stacked."""
    fig = go.Figure()
    for i, (cid, name) in enumerate(labels.items()):
        y = shares[cid]
        color = CHANNEL_COLORS[i % len(CHANNEL_COLORS)]
        fig.add_scatter(x=np.arange(1, len(y) + 1), y=y, name=name, stackgroup="plan", mode="lines", line_shape="hv",
                        line={"width": 0.5, "color": color}, fillcolor=color, hovertemplate="%{y:.0%}")  # fmt: skip
    if switch is not None:
        fig.add_vline(x=switch - 0.5, line={"color": "black", "dash": "dash", "width": 2},
                      annotation_text=f"switch in month {switch}", annotation_position="top right")  # fmt: skip
    _layout(fig, "Share of the budget per channel, month by month", "Month", "Share of the budget", height=340)
    fig.update_yaxes(range=[0, 1.15], tickformat=".0%", tickvals=[0, 0.2, 0.4, 0.6, 0.8, 1.0])  # room for the note
    return fig
