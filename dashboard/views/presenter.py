"""The presenter view (?present=1): the assumptions in one line, the verdict and one chart, for a 1280×720 screen."""

from __future__ import annotations

import streamlit as st

from simulation.narrate import assumptions_line

from ..charts import strategies as charts
from ..contract import ViewContext
from . import parts

CHART_HEIGHT = 300


def render(ctx: ViewContext) -> None:
    result = ctx.result
    parts.caption(st, assumptions_line(result))
    parts.verdict_box(result, ctx.mc, compact=True)
    parts.chart(st, charts.customers_to_date(result, height=CHART_HEIGHT, compact=True), key="presenter_chart")
