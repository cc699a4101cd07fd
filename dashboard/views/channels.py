"""Channels: the plan per channel, each channel's response to its own spend, where the next 1,000 does most."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from simulation.metrics import METRICS, fmt, money

from .. import api
from ..charts import channels as charts
from ..contract import ViewContext
from . import parts

PLAN = "blend"  # the plan is the Blend strategy
TABLE = ("spend", "leads", "customers", "cac", "cac_eventual", "unworked")
NEXT_AMOUNT = 1000.0
K_CURVE = "_views.curve_series"
CURVE_CHOICES = {"customers": "Customers, eventually", "leads": "Leads a month",
                 "marginal_cost_per_customer": "Cost of the next customer"}  # fmt: skip


def plan_table(ctx: ViewContext) -> pd.DataFrame:
    """One row per channel: the plan's share and what the plan gets from the channel, formatted."""
    scn, result = ctx.scenario, ctx.result
    cur = scn.currency
    rows = []
    for cid, ch in scn.channel.items():
        row = {"Channel": ch.display_label(cid), "Kind": ch.kind, "Share": f"{ch.share * 100:.1f} %"}
        for m in TABLE:
            row[METRICS[m].label] = fmt(m, result.channel_metric(PLAN, cid, m), cur)
        rows.append(row)
    return pd.DataFrame(rows)


def next_table(ctx: ViewContext) -> pd.DataFrame:
    cur = ctx.scenario.currency
    rows = api.next_budget(ctx.scenario, NEXT_AMOUNT)
    return pd.DataFrame([{
        "Channel": r.label, "Lifetime value added": money(r.extra_npv, cur),
        "Customers added": fmt("customers", r.extra_customers),
        "Cost per added customer": fmt("cac", r.cost_per_extra_customer, cur),
    } for r in rows])  # fmt: skip


@st.fragment
def _curves(ctx: ViewContext) -> None:
    cur = ctx.scenario.currency
    what = st.segmented_control(
        "Show", list(CURVE_CHOICES), format_func=CURVE_CHOICES.get, key=K_CURVE, default="customers",
        help="Each channel alone at each monthly spend, the others at nothing, over the horizon. The dashed line is "
        "today's spend on it in the plan. The cost of the next customer is what one more customer costs at that spend.",
    )  # fmt: skip
    parts.chart(st, charts.response_curves(api.curves(ctx.scenario), what or "customers", cur))
    st.caption("Dashed: today's monthly spend on the channel in the plan.")


def render(ctx: ViewContext) -> None:
    scn = ctx.scenario
    cur = scn.currency
    parts.section("The plan (Blend) per channel")
    st.dataframe(plan_table(ctx), hide_index=True, width="stretch",
                 column_config={"Channel": st.column_config.TextColumn(pinned=True)})  # fmt: skip
    parts.caption(st, f"Over {scn.horizon_months} months. " + " ".join(
        f"{METRICS[m].label}: {METRICS[m].help}" for m in ("cac_eventual", "unworked")))  # fmt: skip
    parts.section(f"Where the next {money(NEXT_AMOUNT, cur)} a month does most")
    rows = api.next_budget(scn, NEXT_AMOUNT)
    parts.chart(st, charts.next_budget_bars(rows, list(scn.channel), cur))
    st.dataframe(next_table(ctx), hide_index=True, width="stretch",
                 column_config={"Channel": st.column_config.TextColumn(pinned=True)})  # fmt: skip
    st.caption("Each channel gets that much more a month on top of the plan, the others unchanged (a vendor's cap "
               "still holds); lifetime value and customers are counted as in the verdict.")  # fmt: skip
    parts.section("Response curves")
    _curves(ctx)
