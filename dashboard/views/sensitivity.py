"""Sensitivity: what moves the answer most (the tornado), and each vendor's break-even price with its map."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from simulation.metrics import money

from .. import api
from ..charts import uncertainty as charts
from ..contract import ViewContext
from ..text import plain
from . import parts

K_OUTPUT, K_VENDOR = "_views.tornado_output", "_views.breakeven_vendor"


def outputs_in_order(outputs: list[str], default: str) -> list[str]:
    """The tornado's outcomes: the default (the best strategy's lifetime value) first, then the CAC ones."""
    rank = {"npv": 0, "cac": 1, "roi": 2}
    return sorted(outputs, key=lambda o: (o != default, rank.get(o.split("_")[0], 1), o))


@st.fragment
def tornado(ctx: ViewContext) -> None:
    scn = ctx.scenario
    sens = api.sensitivity(scn)
    options = outputs_in_order(sens.outputs, sens.default_output)
    if st.session_state.get(K_OUTPUT) not in options:
        st.session_state[K_OUTPUT] = sens.default_output
    output = st.selectbox(
        "Outcome", options, key=K_OUTPUT, format_func=charts.output_label,
        help="Each input moves to its low and high (its uncertainty range, or ±20 % without one) while the others "
        "stay; the bars show how far the outcome moves. Ranked by the size of that move.",
    )  # fmt: skip
    parts.chart(st, charts.tornado(sens, output, scn.currency))


def breakeven_table(ctx: ViewContext, prices: dict[str, float | None]) -> pd.DataFrame:
    scn = ctx.scenario
    cur = scn.currency
    return pd.DataFrame([{
        "Vendor": scn.channel[cid].display_label(cid),
        "Price per lead today": money(scn.channel[cid].cost_per_lead, cur, decimals=2),
        "Break-even price": money(price, cur, decimals=2),
    } for cid, price in prices.items()])  # fmt: skip


@st.fragment
def breakeven(ctx: ViewContext) -> None:
    scn = ctx.scenario
    prices = api.breakeven(scn)
    parts.section("Break-even price per vendor")
    if not prices:
        st.info("Break-even prices are for vendors; this scenario has no buy channel.", icon=":material/info:")
        return
    if not scn.channel_ids("generate"):
        st.info("Break-even compares a vendor with generating; this scenario has no generate channel.",
                icon=":material/info:")  # fmt: skip
        return
    st.dataframe(breakeven_table(ctx, prices), hide_index=True, width="stretch")
    st.caption("The price per lead at which putting the whole budget on the vendor costs what the Generate strategy "
               "costs per eventual customer; below it, buying is cheaper. '—': no price does.")  # fmt: skip
    vendors = list(prices)
    if st.session_state.get(K_VENDOR) not in vendors:
        st.session_state[K_VENDOR] = vendors[0]
    vendor = st.selectbox("Vendor on the map", vendors, key=K_VENDOR,
                          format_func=lambda c: scn.channel[c].display_label(c))  # fmt: skip
    parts.chart(st, charts.breakeven_heatmap(api.breakeven_grid(scn, vendor), scn.currency))
    st.caption(plain("Orange: buying from the vendor costs less per eventual customer than generating; green: more. "
                     "The dashed line is the break-even; × is today."))  # fmt: skip


def render(ctx: ViewContext) -> None:
    tornado(ctx)
    breakeven(ctx)
