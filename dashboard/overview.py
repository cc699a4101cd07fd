"""The Overview: the verdict, the headline cards, and the views as tabs bound to the link."""

from __future__ import annotations

import streamlit as st

from simulation import Result
from simulation.analyses.montecarlo import MonteCarlo
from simulation.metrics import STRATEGY_LABELS
from simulation.narrate import verdict

from . import charts, decide, risk, state
from .headline import HEADLINE, absent, kpis
from .text import plain


def headline(result: Result, mc: MonteCarlo | None) -> None:
    """The verdict (written by the model), a line per strategy that cannot exist here, then the KPI cards."""
    st.info(plain(verdict(result, mc).sentence), icon=":material/explore:")
    for s in absent(result):
        st.caption(f"{STRATEGY_LABELS[s]} is not shown: this scenario has no {s} channel.")
    cards = kpis(result)
    for s in result.strategies:
        cols = st.columns(len(HEADLINE), gap="small")
        for col, k in zip(cols, (c for c in cards if c.strategy == s), strict=True):
            col.metric(k.label, k.value, k.delta, delta_color=k.delta_color, help=k.help)  # type: ignore[arg-type]
    note = f"Money in {plain(result.scenario.currency)}."
    if result.present["generate"] and len(result.strategies) > 1:
        note += " Arrows compare with Generate; green is better."
    st.caption(note)


def views(
    session: state.Session, result: Result, mc: MonteCarlo | None, dropped: list[str], *, presenting: bool
) -> None:
    """The views as tabs bound to the link (?view=…); only the open one is computed."""
    monthly, summary = result.monthly, result.summary
    scn = result.scenario
    cur = scn.currency
    names = [v for v in state.VIEWS if not presenting or v != "Table"]
    tabs = dict(zip(names, st.tabs(names, key=state.P_VIEW, bind="query-params"), strict=True))
    if tabs["Customers & CAC"].open:
        with tabs["Customers & CAC"]:
            left, right = st.columns(2)
            left.plotly_chart(charts.cumulative_customers(monthly), width="stretch")
            right.plotly_chart(charts.cac_to_date(monthly, result.crossover_month(), cur), width="stretch")
    if tabs["Cash"].open:
        with tabs["Cash"]:
            payback = {s: result.metric(s, "payback_month") for s in result.strategies}
            st.plotly_chart(charts.cumulative_net(monthly, payback, cur), width="stretch")  # type: ignore[arg-type]
    if tabs["Pipeline & funnel"].open:
        with tabs["Pipeline & funnel"]:
            st.plotly_chart(charts.pipeline_by_stage(monthly), width="stretch")
            st.plotly_chart(charts.funnel(summary), width="stretch")
    if tabs["Risk"].open:
        with tabs["Risk"]:
            risk.view(session, scn, mc, dropped)
    if tabs["Sensitivity"].open:
        with tabs["Sensitivity"]:
            decide.sensitivity_view(scn)
    if tabs["Optimize"].open:
        with tabs["Optimize"]:
            decide.optimize_view(scn)
    if "Table" in tabs and tabs["Table"].open:
        with tabs["Table"]:
            table(result)


def table(result: Result) -> None:
    df = result.monthly
    st.dataframe(df, hide_index=True, width="stretch", height=420,
                 column_config={c: st.column_config.NumberColumn(format="localized") for c in df.columns
                                if c not in ("month", "strategy")})  # fmt: skip
    st.download_button(
        "Download the monthly table (CSV)", df.to_csv(index=False).encode(), file_name="acquisition_lab_monthly.csv",
        mime="text/csv",
    )  # fmt: skip
