"""The Sensitivity and Optimize views."""

from __future__ import annotations

import streamlit as st

from simulation import Scenario
from simulation.format import fmt_metric

from . import api, charts_decisions
from .urlstate import int_param, sync_param


def sensitivity_view(scn: Scenario) -> None:
    """Tornado, solved break-even price and the price × conversion heatmap."""
    df = api.sensitivity(scn)
    output = st.selectbox(
        "Outcome", list(charts_decisions.OUTPUT_LABELS), format_func=charts_decisions.OUTPUT_LABELS.get,
        key="_tornado_output",
        help="Each input moves to its low and high (its uncertainty range, or ±20 % without one) while the "
        "others stay; the bars show how far the outcome moves.",
    )  # fmt: skip
    st.plotly_chart(charts_decisions.tornado(df, output), width="stretch")
    be, grid = api.breakeven(scn)
    price = be["buy_cost_per_lead"]
    if price is None:
        st.info(
            "No vendor price makes buying's CAC equal generating's here"
            + (
                " (generating wins no customer)."
                if be["cac_generate"] is None
                else " (vendor fees and the cap keep buying dearer at any price)."
            ),  # fmt: skip
            icon=":material/info:",
        )
    else:
        now = scn.buy.cost_per_lead
        side = "cheaper than" if now < price else "dearer than"
        st.markdown(
            f"**Break-even vendor price: {price:,.2f} per lead.** At that price buying's CAC equals generating's "
            f"({fmt_metric('cac', be['cac_generate'])}). Today's price, {now:,.2f}, is {side} break-even, so "
            f"{'buying' if now < price else 'generating'} is cheaper per customer."
        )
    st.plotly_chart(charts_decisions.breakeven_heatmap(grid, price), width="stretch")


def optimize_view(scn: Scenario) -> None:
    """Best constant buy share, the efficient frontier and the two-phase plan."""
    obj_now = st.query_params.get("objective", "roi")
    st.session_state.setdefault("_objective", obj_now if obj_now in ("roi", "cac") else "roi")
    c1, c2, c3, c4 = st.columns([1.2, 1, 1, 1])
    objective = c1.radio("Objective", ["roi", "cac"], key="_objective", horizontal=True,
                         format_func={"roi": "Highest ROI", "cac": "Lowest CAC"}.get)  # fmt: skip
    floor_n, _ = int_param("min_customers", 0, 0, 10_000_000)
    floor_m, _ = int_param("by_month", scn.horizon_months, 1, scn.horizon_months)
    st.session_state.setdefault("_floor_on", floor_n > 0)
    st.session_state.setdefault("_min_customers", floor_n or 50)
    st.session_state.setdefault("_by_month", floor_m)
    on = c2.toggle("Customer floor", key="_floor_on", help="Only shares that win at least this many customers "
                   "by the end of the chosen month.")  # fmt: skip
    n = c3.number_input("At least (customers)", 0, 10_000_000, step=10, key="_min_customers", disabled=not on)
    m = c4.number_input("By month", 1, scn.horizon_months, step=1, key="_by_month", disabled=not on)
    sync_param("objective", None if objective == "roi" else objective)
    sync_param("min_customers", str(int(n)) if on else None)
    sync_param("by_month", str(int(m)) if on else None)
    best, plan = api.best_mix(scn, objective, (float(n), int(m)) if on else None)
    if best.buy_share is None:
        st.error(best.message, icon=":material/block:")
    else:
        st.success(best.message, icon=":material/target:")
        k1, k2, k3, k4 = st.columns(4)
        k1.metric("Best buy share", f"{best.buy_share:.0%}", help="Share of the monthly budget spent on buying.")
        k2.metric("CAC · best share", fmt_metric("cac", best.summary["cac"]))
        k3.metric("ROI · best share", fmt_metric("roi", best.summary["roi"]))
        k4.metric("Customers · best share", fmt_metric("customers", best.summary["customers"]))
    st.plotly_chart(charts_decisions.frontier(best.frontier, best.buy_share), width="stretch")
    if plan is not None:
        st.subheader("Buy while generation ramps, then shift", anchor=False)
        word = "ROI" if objective == "roi" else "CAC"
        if plan.switch_month is None:
            st.markdown(f"No two-phase plan beats the best constant share of {plan.constant_share:.0%} on {word}.")
        else:
            ours = fmt_metric(objective, plan.summary[objective])
            gain = f"{plan.gain * 100:+.1f} pp" if objective == "roi" else f"{-plan.gain:+,.0f} per customer"
            st.markdown(
                f"**Buy {plan.first_share:.0%} of the budget in months 1–{plan.switch_month - 1}, then "
                f"{plan.second_share:.0%} from month {plan.switch_month}.** {word}: {ours}, against "
                f"{fmt_metric(objective, best.summary[objective])} for the best constant share ({gain})."
            )
        st.plotly_chart(
            charts_decisions.plan_shares(
                plan.first_share, plan.second_share, plan.switch_month, scn.horizon_months, plan.constant_share
            ),  # fmt: skip
            width="stretch",
        )
