"""Pieces several views show: the verdict, a strategies' comparison table, a chart, a caption (literal text)."""

from __future__ import annotations

import re
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from simulation import Result
from simulation.analyses.montecarlo import MonteCarlo
from simulation.metrics import STRATEGY_LABELS
from simulation.narrate import ComparisonRow, verdict

from ..text import plain

# Streamlit's named colours nearest to each strategy's chart colour, for table headers.
HEADER_COLORS = {"generate": "green", "buy": "orange", "blend": "blue"}
BEST = "★"
NBSP = "\u00a0"
_UNIT = re.compile(r"(?<=\d) (?=%|M\b|k\b)")  # 94 %, 6.9 M, 480 k
CHART_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}


def literal(text: str) -> str:
    """Text from the model as Markdown that shows it literally, a number and its unit kept on one line."""
    return _UNIT.sub(NBSP, plain(text))


def verdict_box(result: Result, mc: MonteCarlo | None, *, compact: bool = False) -> None:
    """The answer first: the headline in bold, then why, the trade-off and how sure (all shown literally);
    `compact` puts how sure in the same paragraph."""
    v = verdict(result, mc)
    rest = " ".join(p for p in (v.reason, v.tradeoff, v.sureness if compact else None) if p)
    with st.container(border=True, key="verdict"):
        st.markdown(f"**{literal(v.headline)}**  \n{literal(rest)}")
        if v.sureness and not compact:
            st.caption(literal(v.sureness))


def comparison_table(rows: list[ComparisonRow], strategies: list[str], *, best: bool = True) -> None:
    """Metrics down, strategies across, each row's best value in bold with a star."""
    head = "| | " + " | ".join(f":{HEADER_COLORS[s]}[**{STRATEGY_LABELS[s]}**]" for s in strategies) + " |"
    lines = [head, "|:--|" + "--:|" * len(strategies)]
    for r in rows:
        cells = []
        for s in strategies:
            cell = plain(r.text[s]).replace(" ", NBSP)  # a value and its star on one line, also on a phone
            cells.append(f"**{cell}{NBSP}{BEST}**" if best and s in r.best else cell)
        lines.append(f"| {plain(r.label)} | " + " | ".join(cells) + " |")
    helps = "\n\n".join(f"**{plain(r.label)}**: {plain(r.help)}" for r in rows)
    st.markdown("\n".join(lines), help=helps)


def chart(container: Any, fig: go.Figure, key: str | None = None) -> None:
    """A figure the width of its column, without Plotly's logo and selection tools."""
    container.plotly_chart(fig, width="stretch", config=CHART_CONFIG, key=key)


def section(title: str) -> None:
    """A section's title within a view: bold text, smaller than the page's headings (shown literally)."""
    st.markdown(f"**{plain(title)}**")


def say(text: str | None) -> None:
    """A sentence from the model as body text, shown literally."""
    if text:
        st.markdown(literal(text))


def caption(container: Any, text: str | None) -> None:
    """A sentence from the model, shown literally."""
    if text:
        container.caption(literal(text))
