"""Pipeline & capacity: the open pipeline by stage, leads against the sales team's capacity, the funnel."""

from __future__ import annotations

import streamlit as st

from simulation.narrate import capacity_sentence, comparison

from ..charts import strategies as charts
from ..contract import ViewContext
from . import parts

PIPELINE_METRICS = ("leads", "unworked", "capacity_used", "pipeline_peak", "pipeline_end")


def render(ctx: ViewContext) -> None:
    result = ctx.result
    parts.say(capacity_sentence(result))
    parts.chart(st, charts.leads_and_capacity(result))
    parts.comparison_table(comparison(result, PIPELINE_METRICS), result.strategies)
    parts.chart(st, charts.pipeline_by_stage(result))
    parts.chart(st, charts.funnel(result))
