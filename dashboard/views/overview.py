"""Overview: the verdict, the strategies side by side (best of each row marked), what Blend is, customers and CAC."""

from __future__ import annotations

import streamlit as st

from simulation.narrate import absent_line, comparison, crossover_sentence, plan_description

from ..charts import strategies as charts
from ..contract import ViewContext
from . import parts


def render(ctx: ViewContext) -> None:
    result = ctx.result
    parts.verdict_box(result, ctx.mc)
    table, notes = st.columns([3, 2], vertical_alignment="center")  # on a phone, one under the other
    with table:
        parts.comparison_table(comparison(result), result.strategies)
    parts.caption(notes, " ".join(x for x in (f"{parts.BEST} the best of each row.", absent_line(result)) if x))
    parts.caption(notes, plan_description(result))
    left, right = st.columns(2)
    parts.chart(left, charts.customers_to_date(result))
    parts.chart(right, charts.cac_to_date(result))
    parts.caption(st, crossover_sentence(result))
