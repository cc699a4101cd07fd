"""One look for every chart: a colour per strategy and per channel, titles, legends, axis units (no Streamlit)."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import plotly.graph_objects as go

from simulation.metrics import STRATEGY_LABELS, currency_symbol

# Okabe–Ito colour-blind-safe: bluish green, vermillion, blue.
STRATEGY_COLORS = {"generate": "#009E73", "buy": "#D55E00", "blend": "#0072B2"}

# Channels, by their place in the scenario (up to 8): hues apart from the strategies' own.
CHANNEL_PALETTE = ("#56B4E9", "#E69F00", "#CC79A7", "#882255", "#44AA99", "#999933", "#332288", "#AA4499")

# Pipeline stages, light to dark (open leads → MQLs → SQLs), in each strategy's hue.
STAGE_SHADES = {
    "generate": ("#B3E2D5", "#4DBF9D", "#00795A"),
    "buy": ("#F2C6A6", "#E58A4D", "#A34600"),
    "blend": ("#B3D4E8", "#4D9CCB", "#005488"),
}
STAGE_GREYS = ("#D9D9D9", "#9E9E9E", "#5A5A5A")  # the stage legend: light to dark in any hue
PLAN_GREY = "#9E9E9E"  # the plan as it stands, against a recommendation
INK = "#31333F"  # Streamlit's text colour: reference lines and markers

# No Plotly template: Streamlit draws charts in its own theme (fonts, grid, background), and a named template
# costs ~10 ms a figure to validate. White background for figures shown elsewhere (exports).
TEMPLATE = {"layout": {"paper_bgcolor": "white", "plot_bgcolor": "white"}}
HEIGHT = 360
TITLE_SIZE = 16
LEGEND_TOP = 40  # pixels from the top: the legend's first row starts under the title
LEGEND_ROW = 22
PANEL_TITLE = 22  # room for small multiples' own titles above the panels
MONTH = "Month"


def strategy_label(s: str) -> str:
    return STRATEGY_LABELS[s]


def channel_colors(channel_ids: Iterable[str]) -> dict[str, str]:
    """A colour per channel, by its place in the scenario: the same channel has the same colour in every figure."""
    return {cid: CHANNEL_PALETTE[i % len(CHANNEL_PALETTE)] for i, cid in enumerate(channel_ids)}


def text(s: str) -> str:
    """User text (a channel's or scenario's name) shown literally: Plotly reads <b>, <a href> and &…; as markup."""
    return html.escape(s, quote=False)


def wrap(s: str, at: str = " · ", width: int = 22) -> str:
    """A label longer than `width` on two lines (at its separator, else at the space nearest its middle), so axis
    labels stay narrow on phones; `s` is already escaped text."""
    if len(s) <= width:
        return s
    if at in s:
        return s.replace(at, at.rstrip() + "<br>", 1)
    spaces = [i for i, c in enumerate(s) if c == " "]
    if not spaces:
        return s
    i = min(spaces, key=lambda k: abs(k - len(s) / 2))
    return s[:i] + "<br>" + s[i + 1 :]


def money_unit(currency: str) -> str:
    """The symbol money axes show: $, €, £, CA$; 'money' when the scenario names no currency."""
    return currency_symbol(currency) or "money"


def money_title(what: str, currency: str, per: str = "") -> str:
    """'Cumulative net cash ($)', 'CAC to date ($ per customer)'."""
    unit = money_unit(currency)
    return f"{what} ({unit} {per})" if per else f"{what} ({unit})"


def money_hover(currency: str, axis: str = "y") -> str:
    """A hover value with its currency symbol: '$%{y:,.0f}'."""
    return f"{currency_symbol(currency)}%{{{axis}:,.0f}}"


def rgba(hex_color: str, alpha: float) -> str:
    """A hex colour with transparency, for bands and fills."""
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def layout(
    title: str, x: str, y: str, *, height: int = HEIGHT, legend: bool = True, panel_titles: bool = False,
    compact: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """A figure's layout: the title top left; the legend in a row right under it, growing down (room for two rows
    on a phone) so it never meets the title, the panels' titles or the axis titles; axis titles with units.

    `compact` (a wide screen, a short title, a few legend entries): the legend on the title's line, at the right."""
    top = (LEGEND_TOP + 2 * LEGEND_ROW + 12 if legend else LEGEND_TOP + 4) + (PANEL_TITLE if panel_titles else 0)
    legend_at = {"x": 0.0, "xanchor": "left", "y": 1 - LEGEND_TOP / height}
    if compact:
        top = LEGEND_TOP + 4
        legend_at = {"x": 1.0, "xanchor": "right", "y": 1 - 12 / height}
    return {
        "title": {"text": title, "x": 0.0, "xanchor": "left", "xref": "container", "y": 1.0, "yanchor": "top",
                  "yref": "container", "pad": {"t": 12, "l": 8}, "font": {"size": TITLE_SIZE}},
        "height": height,
        "margin": {"l": 8, "r": 12, "t": top, "b": 8, "autoexpand": True},
        "showlegend": legend,
        "legend": {"orientation": "h", "xref": "container", "yanchor": "top", "yref": "container",
                   "font": {"size": 12}, "itemsizing": "constant", "traceorder": "normal",
                   "bgcolor": "rgba(255,255,255,0)", **legend_at},
        "hovermode": "x unified",
        "template": TEMPLATE,
        "font": {"family": "sans-serif", "size": 12},
        "xaxis": {"title": {"text": x}, "automargin": True},
        "yaxis": {"title": {"text": y}, "automargin": True},
    }  # fmt: skip


def merge(base: dict[str, Any], *more: dict[str, Any]) -> dict[str, Any]:
    """`base` updated by `more`, nested dictionaries merged key by key (a new dictionary)."""
    out = dict(base)
    for m in more:
        for k, v in m.items():
            out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def axes(lay: dict[str, Any], letter: str, **props: Any) -> dict[str, Any]:
    """`lay` with these properties on every x (or y) axis it has."""
    keys = [k for k in lay if k == f"{letter}axis" or (k.startswith(f"{letter}axis") and k[5:].isdigit())]
    return merge(lay, {k: props for k in keys or [f"{letter}axis"]})


def figure(traces: list[dict[str, Any]], lay: dict[str, Any]) -> go.Figure:
    """The figure, built in one go (adding traces and layout piece by piece costs Plotly ~10× the time)."""
    return go.Figure(data=traces, layout=lay)


def panels(
    rows: int, cols: int, titles: list[str], *, hspace: float = 0.04, vspace: float = 0.08, share_x: bool = False,
    share_y: bool = False,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:  # fmt: skip
    """Small multiples, row by row from the top: the axes' layout (with each panel's title above it) and each
    panel's (x axis, y axis) names for its traces. Shared axes match the first panel's; a shared x axis shows its
    numbers on the bottom row only, a shared y axis on the first column only."""
    w = (1 - (cols - 1) * hspace) / cols
    h = (1 - (rows - 1) * vspace) / rows
    lay: dict[str, Any] = {"annotations": []}
    refs = []
    for i in range(rows * cols):
        r, c = divmod(i, cols)
        n = "" if i == 0 else str(i + 1)
        x0, y1 = c * (w + hspace), 1 - r * (h + vspace)
        xa: dict[str, Any] = {"domain": _unit(x0, x0 + w), "anchor": f"y{n}", "automargin": True}
        ya: dict[str, Any] = {"domain": _unit(y1 - h, y1), "anchor": f"x{n}", "automargin": True}
        if share_x and i:
            xa["matches"] = "x"
        if share_x and r < rows - 1:
            xa["showticklabels"] = False
        if share_y and i:
            ya["matches"] = "y"
        if share_y and c:
            ya["showticklabels"] = False
        lay[f"xaxis{n}"], lay[f"yaxis{n}"] = xa, ya
        refs.append((f"x{n}", f"y{n}"))
        if i < len(titles):
            lay["annotations"].append({
                "text": titles[i], "x": x0 + w / 2, "y": y1, "xref": "paper", "yref": "paper", "xanchor": "center",
                "yanchor": "bottom", "showarrow": False, "font": {"size": 13},
            })  # fmt: skip
    return lay, refs


def _unit(lo: float, hi: float) -> list[float]:
    """A domain within [0, 1] (sums of fractions can miss by a rounding error)."""
    return [min(max(round(lo, 9), 0.0), 1.0), min(max(round(hi, 9), 0.0), 1.0)]


def vline(x: float, line: dict[str, Any], panel: int = 1) -> dict[str, Any]:
    """A vertical line across a whole panel (numbered from 1)."""
    n = "" if panel == 1 else str(panel)
    return {"type": "line", "xref": f"x{n}", "yref": f"y{n} domain", "x0": x, "x1": x, "y0": 0, "y1": 1, "line": line}


def hline(y: float, line: dict[str, Any]) -> dict[str, Any]:
    """A horizontal line across the plot."""
    return {"type": "line", "xref": "x domain", "yref": "y", "x0": 0, "x1": 1, "y0": y, "y1": y, "line": line}
