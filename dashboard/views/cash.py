"""Cash: the J-curve of cumulative net cash per strategy, payback marked; NPV within the horizon and lifetime value."""

from __future__ import annotations

import streamlit as st

from simulation.narrate import comparison

from ..charts import strategies as charts
from ..contract import ViewContext
from . import parts

CASH_METRICS = ("npv", "npv_lifetime", "payback_month", "roi", "unit_payback_months")


def render(ctx: ViewContext) -> None:
    result = ctx.result
    parts.chart(st, charts.cash_curve(result))
    parts.comparison_table(comparison(result, CASH_METRICS), result.strategies)
    parts.caption(st, f"{parts.BEST} the best of each row. NPV (horizon) counts the cash of the horizon's months "
                      "only; lifetime value created also counts every customer's later gross profit, discounted.")  # fmt: skip
