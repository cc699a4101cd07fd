"""The Sensitivity and Optimize views."""

from __future__ import annotations

import streamlit as st

from simulation import Scenario
from simulation.analyses.optimize import OBJECTIVES
from simulation.metrics import METRICS, fmt, money

from . import api, charts_decisions, state
from .headline import value_text
from .text import channel_label, label_text, plain

OBJECTIVE_LABELS = {
    "npv": "Most lifetime value",
    "customers": "Most customers",
    "cac": "Lowest eventual CAC",
    "roi": "Highest ROI (horizon)",
}
K_OUTPUT, K_VENDOR = "_tornado_output", "_breakeven_vendor"
K_OBJECTIVE, K_FLOOR_ON, K_MIN, K_BY = "_objective", "_floor_on", "_min_customers", "_by_month"
RESULT_CARDS = ("npv_lifetime", "customers", "cac_eventual", "roi")


def sensitivity_view(scn: Scenario) -> None:
    """Tornado over every input, break-even price per vendor and the price × close-rate map of one vendor."""
    cur = scn.currency
    sens = api.sensitivity(scn)
    if st.session_state.get(K_OUTPUT) not in sens.outputs:
        st.session_state[K_OUTPUT] = sens.default_output
    output = st.selectbox(
        "Outcome", sens.outputs, key=K_OUTPUT, format_func=charts_decisions.output_label,
        help="Each input moves to its low and high (its uncertainty range, or ±20 % without one) while the "
        "others stay; the bars show how far the outcome moves.",
    )  # fmt: skip
    st.plotly_chart(charts_decisions.tornado(sens, output, currency=cur), width="stretch")

    prices = api.breakeven(scn)
    if not prices:
        st.info("Break-even prices are for vendors; this scenario has no buy channel.", icon=":material/info:")
        return
    if not scn.channel_ids("generate"):
        st.info("Break-even compares a vendor with generating; this scenario has no generate channel.",
                icon=":material/info:")  # fmt: skip
        return
    cols = st.columns(len(prices))
    for col, (cid, price) in zip(cols, prices.items(), strict=True):
        col.metric(
            f"Break-even price · {label_text(channel_label(scn, cid))}", money(price, cur, decimals=2),
            help="The price per lead at which putting the whole budget on this vendor costs what the Generate "
            "strategy costs per eventual customer. '—': no price does.",
        )  # fmt: skip
        col.caption(f"Today: {plain(money(scn.channel[cid].cost_per_lead, cur, decimals=2))} per lead")
    vendors = list(prices)
    if st.session_state.get(K_VENDOR) not in vendors:
        st.session_state[K_VENDOR] = vendors[0]
    vendor = st.selectbox("Vendor on the map", vendors, key=K_VENDOR, format_func=lambda c: channel_label(scn, c))
    st.plotly_chart(charts_decisions.breakeven_heatmap(api.breakeven_grid(scn, vendor), cur), width="stretch")


def optimize_view(scn: Scenario) -> None:
    """The best constant allocation against the plan, and the best two-phase plan."""
    H, cur = scn.horizon_months, scn.currency
    n0, m0 = state.floor(H)
    st.session_state.setdefault(K_OBJECTIVE, state.objective())
    st.session_state.setdefault(K_FLOOR_ON, n0 is not None)
    st.session_state.setdefault(K_MIN, n0 if n0 is not None else 50.0)
    st.session_state.setdefault(K_BY, m0 or H)
    if st.session_state[K_BY] > H:  # the horizon got shorter
        st.session_state[K_BY] = H
    c1, c2, c3, c4 = st.columns([1.6, 0.8, 1, 1])
    objective = c1.radio("Objective", OBJECTIVES, key=K_OBJECTIVE, horizontal=True, format_func=OBJECTIVE_LABELS.get,
                         help="Lifetime value counts every customer the plan wins, also after the horizon; ROI over "
                         "the horizon favours whatever pays back soonest.")  # fmt: skip
    on = c2.toggle("Customer floor", key=K_FLOOR_ON,
                   help="Only allocations that win at least this many customers by the end of the chosen month.")  # fmt: skip
    n = c3.number_input("At least (customers)", 0.0, 1e9, step=10.0, format="%.0f", key=K_MIN, disabled=not on)
    m = c4.number_input("By month", 1, H, step=1, key=K_BY, disabled=not on)
    state.set_optimizer(objective, on, float(n), int(m), H)
    best, plan = api.best_mix(scn, objective, (float(n), int(m)) if on else None)
    if best.allocation is None or best.summary is None:
        st.error(plain(best.message), icon=":material/block:")
        return
    st.success(plain(best.message), icon=":material/target:")
    cols = st.columns(len(RESULT_CARDS) + (1 if on else 0))
    for col, name in zip(cols, RESULT_CARDS, strict=False):
        col.metric(f"{METRICS[name].label} · recommended", value_text(name, best.summary[name], cur),
                   help=METRICS[name].help)  # fmt: skip
    if on:
        cols[-1].metric(f"Customers by month {best.by_month} · recommended", fmt("customers", best.customers_by_month),
                        help="Customers won by the end of the floor's month.")  # fmt: skip
    labels = {cid: channel_label(scn, cid) for cid in scn.channel}
    plan_shares = {cid: ch.share for cid, ch in scn.channel.items()}
    st.plotly_chart(charts_decisions.allocation_bars(labels, best.allocation, plan_shares), width="stretch")
    if plan is not None:
        st.subheader("One allocation, then another", anchor=False)
        st.markdown(plain(plan.message))
        shares = plan.shares_by_month(H)
        if plan.switch_month is not None and shares is not None:
            st.plotly_chart(charts_decisions.plan_shares(labels, shares, plan.switch_month), width="stretch")
