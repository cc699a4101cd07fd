"""Optimize: the best allocation for an objective (optionally with a customer floor) against the plan, with the
constraint's own figure, "Apply to plan", and the best two-phase plan."""

from __future__ import annotations

import streamlit as st

from simulation import Scenario
from simulation.analyses.optimize import OBJECTIVES, Optimum, widget_shares
from simulation.metrics import METRICS, fmt, money_short

from .. import api, state
from ..charts import channels as charts
from ..contract import ViewContext
from ..text import plain
from . import parts

OBJECTIVE_LABELS = {
    "npv": "Most lifetime value",
    "customers": "Most customers",
    "cac": "Lowest eventual CAC",
    "roi": "Highest ROI (horizon)",
}
PREFIX = "_views.opt."
K_OBJECTIVE, K_FLOOR_ON, K_MIN, K_BY, K_SYNC = (PREFIX + k for k in ("objective", "floor_on", "min", "by", "synced"))
K_APPLY = PREFIX + "apply"
RESULT_ROWS = ("npv_lifetime", "customers", "cac_eventual", "roi", "payback_month")
DEFAULT_MIN = 50.0


def _link(horizon: int) -> tuple[str, float | None, int | None]:
    n, m = state.floor(horizon)
    return state.objective(), n, m


def _sync(horizon: int) -> None:
    """Put the widgets to the link's objective and floor whenever those changed elsewhere (a link, undo)."""
    sig = _link(horizon)
    if st.session_state.get(K_SYNC) == sig:
        return
    obj, n, m = sig
    st.session_state[K_OBJECTIVE] = obj
    st.session_state[K_FLOOR_ON] = n is not None
    st.session_state[K_MIN] = n if n is not None else st.session_state.get(K_MIN, DEFAULT_MIN)
    st.session_state[K_BY] = m or horizon
    st.session_state[K_SYNC] = sig


def settings(horizon: int) -> tuple[str, tuple[float, int] | None]:
    """The objective and the customer floor, kept in the link."""
    _sync(horizon)
    if st.session_state[K_BY] > horizon:  # the horizon got shorter
        st.session_state[K_BY] = horizon
    objective = st.radio(
        "Objective", OBJECTIVES, key=K_OBJECTIVE, horizontal=True, format_func=OBJECTIVE_LABELS.get,
        help="Lifetime value counts every customer the plan wins, also after the horizon; ROI over the horizon "
        "favours whatever pays back soonest.",
    )  # fmt: skip
    with st.container(horizontal=True, vertical_alignment="bottom"):
        on = st.toggle("Customer floor", key=K_FLOOR_ON,
                       help="Only allocations that win at least this many customers by the end of the chosen month.")  # fmt: skip
        n = st.number_input("At least (customers)", 0.0, 1e9, step=10.0, format="%.0f", key=K_MIN, disabled=not on,
                            width=180)  # fmt: skip
        m = st.number_input("By month", 1, horizon, step=1, key=K_BY, disabled=not on, width=140)
    state.set_optimizer(objective, on, float(n), int(m), horizon)
    st.session_state[K_SYNC] = _link(horizon)
    return objective, ((float(n), int(m)) if on else None)


def result_rows(best: Optimum, currency: str, floor_set: bool) -> list[tuple[str, str, str]]:
    """(label, plan, recommended) per row; customers by the floor's month when a floor is set or customers are
    the objective, else over the horizon."""
    assert best.summary is not None
    rows = []
    for name in RESULT_ROWS:
        if name == "customers" and (floor_set or best.objective == "customers"):
            label = f"Customers won by month {best.by_month}"
            rows.append((label, fmt("customers", best.plan_customers_by_month),
                         fmt("customers", best.customers_by_month)))  # fmt: skip
            continue
        f = (lambda v: money_short(v, currency)) if name == "npv_lifetime" else (lambda v, k=name: fmt(k, v, currency))
        rows.append((METRICS[name].label, f(best.plan_summary.get(name)), f(best.summary.get(name))))
    return rows


def _table(rows: list[tuple[str, str, str]]) -> None:
    lines = ["| | Plan (Blend) | **Recommended** |", "|:--|--:|--:|"]
    nb = parts.NBSP
    lines += [f"| {plain(label)} | {plain(plan).replace(' ', nb)} | **{plain(rec).replace(' ', nb)}** |"
              for label, plan, rec in rows]  # fmt: skip
    st.markdown("\n".join(lines))


def apply_values(scn: Scenario, allocation: dict[str, float]) -> dict[str, float]:
    """The plan's share inputs set to the recommendation (on the inputs' 0.1 % step)."""
    return {f"channel.{cid}.share": v for cid, v in widget_shares(allocation).items() if cid in scn.channel}


def body(ctx: ViewContext) -> None:
    """Not a fragment: the settings go in the link and the undo history, which a whole run writes. The search runs
    under a spinner (the cache's) while the inputs stay usable."""
    scn = ctx.scenario
    H, cur = scn.horizon_months, scn.currency
    objective, floor = settings(H)
    best, plan = api.best_mix(scn, objective, floor)
    if best.allocation is None or best.summary is None:
        st.error(plain(best.message), icon=":material/block:")
        return
    st.success(plain(best.message), icon=":material/target:")
    labels = {cid: ch.display_label(cid) for cid, ch in scn.channel.items()}
    plan_shares = {cid: ch.share for cid, ch in scn.channel.items()}
    values = apply_values(scn, best.allocation)
    same = all(abs(plan_shares[k.split(".")[1]] - v) < 5e-4 for k, v in values.items())
    table, action = st.columns([3, 2], vertical_alignment="center")  # on a phone, one under the other
    with table:
        _table(result_rows(best, cur, floor is not None))
    # the click reruns the page after the callback: the inputs and every number follow the new plan
    action.button("Apply to plan", key=K_APPLY, type="primary", on_click=state.set_values, args=(values,),
                  disabled=same, help="Set the plan's channel shares (Blend) to the recommendation.")  # fmt: skip
    action.caption("Sets each channel's share of the budget in the plan to the recommendation (on the inputs' "
                   "0.1 % step); Undo goes back." if not same else "The plan is the recommendation.")  # fmt: skip
    parts.chart(st, charts.allocation_bars(labels, plan_shares, best.allocation))
    if plan is not None:
        parts.section("One allocation, then another")
        st.markdown(plain(plan.message))
        if plan.switch_month is not None and plan.first is not None and plan.second is not None:
            parts.chart(st, charts.phase_bars(labels, plan.first, plan.second, plan.switch_month))


def render(ctx: ViewContext) -> None:
    body(ctx)
