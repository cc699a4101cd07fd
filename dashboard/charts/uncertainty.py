"""Figures of the Monte Carlo and of the sensitivity analyses (no Streamlit)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from simulation.analyses.breakeven import BreakevenGrid
from simulation.analyses.montecarlo import MonteCarlo
from simulation.analyses.sensitivity import Sensitivity
from simulation.metrics import METRICS, STRATEGIES, STRATEGY_LABELS, currency_symbol
from simulation.schema import spec_of

from .theme import (
    INK,
    MONTH,
    STRATEGY_COLORS,
    axes,
    figure,
    layout,
    merge,
    money_hover,
    money_title,
    panels,
    rgba,
    strategy_label,
    text,
    vline,
    wrap,
)

FAN_SERIES = {
    "cumulative_customers": ("Customers won to date", "Customers (cumulative)", False),
    "cumulative_net": ("Cumulative net cash", "Cumulative net cash", True),
    "cac_to_date": ("CAC to date", "CAC to date", True),
}


def fan(mc: MonteCarlo, series: str, currency: str = "", *, height: int = 380) -> go.Figure:
    """Per existing strategy its P10–P90 band (one filled shape) and its median line: two traces per strategy."""
    title, y_title, is_money = FAN_SERIES[series]
    q = mc.monthly_q[series]  # (3 quantiles, S, T); NaN where undefined
    months = np.arange(1, q.shape[-1] + 1)
    hover = money_hover(currency) if is_money else "%{y:,.0f}"
    traces = []
    for s in mc.strategies:
        j = STRATEGIES.index(s)
        lo, med, hi = q[0, j], q[1, j], q[2, j]
        traces.append({
            "type": "scatter", "x": np.concatenate([months, months[::-1]]), "y": np.concatenate([hi, lo[::-1]]),
            "fill": "toself", "fillcolor": rgba(STRATEGY_COLORS[s], 0.16), "line": {"width": 0}, "mode": "lines",
            "hoverinfo": "skip", "name": f"{strategy_label(s)} P10–P90", "legendgroup": s, "showlegend": False,
        })  # fmt: skip
        traces.append({
            "type": "scatter", "x": months, "y": med, "mode": "lines", "line": {"color": STRATEGY_COLORS[s], "width": 3},
            "name": strategy_label(s), "legendgroup": s,
            "hovertemplate": hover + "<extra>" + strategy_label(s) + " (median)</extra>",
        })  # fmt: skip
    lay = layout(f"{title}: median and P10–P90", MONTH, money_title(y_title, currency) if is_money else y_title,
                 height=height)  # fmt: skip
    y_axis: dict = {"tickformat": "~s"} if is_money else {}
    if series == "cac_to_date":  # early CAC to date explodes: show the range from a quarter of the horizon on
        late = q[:, [STRATEGIES.index(s) for s in mc.strategies], q.shape[-1] // 4 :]
        finite = late[np.isfinite(late)]
        if finite.size:
            y_axis["range"] = [0, float(finite.max()) * 1.1]
    return figure(traces, merge(lay, {"xaxis": {"range": [1, int(months[-1])]}, "yaxis": y_axis}))


DISTRIBUTIONS = {"npv_lifetime": "Lifetime value created", "cac": "CAC", "customers": "Customers won"}


def distribution(mc: MonteCarlo, metric: str, currency: str = "", *, height: int | None = None) -> go.Figure:
    """The metric over the simulated futures as small multiples: one histogram panel per strategy on a shared
    axis, its P10, median and P90 marked, so the strategies never pile on each other."""
    shown = mc.strategies
    samples = mc.samples[metric]
    label = METRICS[metric].label
    is_money = METRICS[metric].format == "money"
    grid, refs = panels(len(shown), 1, [strategy_label(s) for s in shown], vspace=0.08, share_x=True)
    for note, s in zip(grid["annotations"], shown, strict=True):
        note["font"] = {"color": STRATEGY_COLORS[s], "size": 13}
    finite = samples[:, [STRATEGIES.index(s) for s in shown]]
    finite = finite[np.isfinite(finite)]
    lo, hi = (float(v) for v in np.quantile(finite, [0.005, 0.995])) if finite.size else (0.0, 1.0)
    size = (hi - lo) / 40 or 1.0
    hover_x = money_hover(currency, "x") if is_money else "%{x:,.0f}"
    traces, shapes = [], []
    for i, ((xa, ya), s) in enumerate(zip(refs, shown, strict=True)):
        x = samples[:, STRATEGIES.index(s)]
        traces.append({
            "type": "histogram", "x": x[np.isfinite(x)], "name": strategy_label(s), "histnorm": "probability",
            "marker": {"color": STRATEGY_COLORS[s]}, "xbins": {"start": lo, "end": hi + size, "size": size},
            "showlegend": False, "xaxis": xa, "yaxis": ya,
            "hovertemplate": hover_x + ": %{y:.1%}<extra>" + strategy_label(s) + "</extra>",
        })  # fmt: skip
        for q, dash in (("p10", "dot"), ("p50", "solid"), ("p90", "dot")):
            v = mc.quantile(s, metric, q)
            if v is not None:
                shapes.append(vline(v, {"color": INK, "dash": dash, "width": 1.5}, panel=i + 1))
    x_title = money_title(label, currency, "per customer" if metric == "cac" else "") if is_money else label
    lay = merge(layout(f"{label} across {mc.draws:,} futures", "", "", height=height or 90 + 130 * len(shown),
                       legend=False, panel_titles=True), grid)  # fmt: skip
    lay = axes(axes(lay, "x", range=[lo, hi], **({"tickformat": "~s"} if is_money else {})), "y", tickformat=".0%")
    last = "xaxis" if len(shown) == 1 else f"xaxis{len(shown)}"
    lay = merge(lay, {last: {"title": {"text": x_title}}, "hovermode": "closest", "bargap": 0.05})
    lay["shapes"] = shapes
    lay["annotations"].append({
        "text": "Lines: P10, median, P90", "xref": "paper", "yref": "paper", "x": 1.0, "y": 1.0, "yshift": 22,
        "xanchor": "right", "yanchor": "bottom", "showarrow": False, "font": {"size": 11, "color": INK},
    })  # fmt: skip
    return figure(traces, lay)


def output_label(output: str) -> str:
    """'Lifetime value created · Blend' for a sensitivity output named metric_strategy; the CAC gap by name."""
    if output == "cac_gap":
        return "CAC gap, eventual: Buy − Generate"
    metric, _, strategy = output.rpartition("_")
    return f"{METRICS[metric].label} · {STRATEGY_LABELS[strategy]}"


def _input_text(field: str, v: float) -> str:
    spec = spec_of(field)
    return f"{v:.1%}" if spec is not None and spec.kind == "rate" else f"{v:,.4g}"


def tornado(sens: Sensitivity, output: str, currency: str = "", top: int = 10) -> go.Figure:
    """Bars from the central value to the output with each input at its low and at its high, biggest swing on top."""
    central = sens.central[output]
    rows = sens.ranked(output)[:top][::-1]  # the biggest at the top of a horizontal bar chart
    names = [wrap(text(r.label), width=16) for r in rows]
    metric = "cac_eventual" if output == "cac_gap" else output.rpartition("_")[0]
    is_rate = METRICS[metric].format == "percent"
    hover_v = "%{customdata[1]:.1%}" if is_rate else f"{currency_symbol(currency)}%{{customdata[1]:,.0f}}"
    traces = []
    for side, color in (("low", "#A6A6A6"), ("high", "#404040")):
        vals = np.array([(r.at_low if side == "low" else r.at_high)[output] for r in rows], dtype=float)
        shown = [_input_text(r.field, r.low if side == "low" else r.high) for r in rows]
        traces.append({
            "type": "bar", "y": names, "x": vals - central, "base": central, "orientation": "h",
            "name": f"Input at its {side}", "marker": {"color": color},
            "customdata": np.stack([np.array(shown, dtype=object), vals.astype(object)], axis=-1),
            "hovertemplate": "input %{customdata[0]} → " + hover_v + "<extra></extra>",
        })  # fmt: skip
    # the outcome's own name (the selector above says whose): short enough for a phone's narrow plot
    what = "CAC gap, eventual" if output == "cac_gap" else METRICS[metric].label
    lay = layout(
        "What moves it most", what if is_rate else money_title(what, currency), "", height=130 + 40 * len(rows)
    )
    lay = merge(lay, {"barmode": "overlay", "hovermode": "closest", "xaxis": {"tickformat": ".0%" if is_rate else "~s"},
                      "yaxis": {"tickfont": {"size": 11}}})  # fmt: skip
    lay["shapes"] = [vline(central, {"color": INK, "width": 1})]
    return figure(traces, lay)


def breakeven_heatmap(grid: BreakevenGrid, currency: str = "") -> go.Figure:
    """Where buying from one vendor beats generating: its eventual CAC − Generate's over price × close rate,
    the break-even line dashed and today marked."""
    gap = np.where(np.isfinite(grid.gap), grid.gap, np.nan)
    lim = float(grid.cac_generate) if grid.cac_generate else 1.0  # colours saturate at ± generating's CAC
    sym = currency_symbol(currency)
    traces = [
        {"type": "heatmap", "x": grid.prices, "y": grid.rates * 100, "z": np.clip(gap, -lim, lim), "zmid": 0,
         "zmin": -lim, "zmax": lim,
         "colorscale": [[0, STRATEGY_COLORS["buy"]], [0.5, "#FFFFFF"], [1, STRATEGY_COLORS["generate"]]],
         "colorbar": {"title": {"text": f"CAC gap ({sym or 'money'})", "side": "right"}, "tickformat": "~s",
                      "thickness": 12, "len": 0.9},
         "customdata": gap,
         "hovertemplate": f"price {sym}%{{x:,.2f}}<br>SQL → customer %{{y:.1f}} %<br>buy − generate "
         f"{sym}%{{customdata:,.0f}}<extra></extra>"},
        {"type": "contour", "x": grid.prices, "y": grid.rates * 100, "z": gap,
         "contours": {"start": 0, "end": 0, "coloring": "none"}, "line": {"color": INK, "width": 2, "dash": "dash"},
         "showscale": False, "name": "Break-even", "hoverinfo": "skip", "showlegend": True},
        {"type": "scatter", "x": [grid.current_price], "y": [grid.current_rate * 100], "mode": "markers",
         "name": "Today", "marker": {"symbol": "x", "size": 13, "color": INK},
         "hovertemplate": f"today: {sym}%{{x:,.2f}}, %{{y:.1f}} %<extra></extra>"},
    ]  # fmt: skip
    lay = layout("Where buying from the vendor wins", money_title("Price per lead", currency), "SQL → customer rate (%)",
                 height=440)  # fmt: skip
    return figure(traces, merge(lay, {"hovermode": "closest"}))
