"""The main area of the page: the presenter view, or the views as tabs bound to the link (`?view=`).

`app.py` builds a `contract.ViewContext` and calls `page(ctx)` below the title and the link's notices. Only the
open tab computes."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from ..contract import VIEW_NAMES, ViewContext
from . import calibrate, cash, channels, compare, library, optimize, overview, pipeline, presenter, risk, sensitivity

RENDER: dict[str, Callable[[ViewContext], None]] = {
    "Overview": overview.render,
    "Channels": channels.render,
    "Cash": cash.render,
    "Pipeline & capacity": pipeline.render,
    "Risk": risk.render,
    "Sensitivity": sensitivity.render,
    "Optimize": optimize.render,
    "Compare": compare.render,
    "Calibrate": calibrate.render,
    "Library": library.render,
}
assert tuple(RENDER) == VIEW_NAMES

VIEW_KEY = "view"  # the tabs' key and link parameter

# On a phone the strategies' comparison (a label and three values a row) fits the screen with narrower cell padding.
PHONE_CSS = """<style>
@media (max-width: 480px) {
  [data-testid="stMain"] [data-testid="stMarkdown"] table th,
  [data-testid="stMain"] [data-testid="stMarkdown"] table td { padding: 6px 6px; }
}
</style>"""


def page(ctx: ViewContext) -> None:
    """Draw the main area for this run."""
    st.html(PHONE_CSS)
    if ctx.presenting:
        presenter.render(ctx)
        return
    tabs = st.tabs(list(VIEW_NAMES), key=VIEW_KEY, bind="query-params")
    for name, tab in zip(VIEW_NAMES, tabs, strict=True):
        if tab.open:
            with tab:
                RENDER[name](ctx)
