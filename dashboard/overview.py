"""The Overview page body: headline cards, verdict and charts."""

from __future__ import annotations

import streamlit as st

from simulation import Result
from simulation.model import STRATEGIES
from simulation.schema import Uncertainty

from . import charts, decide, risk
from .headline import HEADLINE, kpis, verdict


def headline(result: Result) -> None:
    """The verdict sentence, then one row of KPI cards per strategy."""
    st.info(verdict(result), icon=":material/explore:")
    cards = kpis(result)
    for s in STRATEGIES:
        cols = st.columns(len(HEADLINE), gap="small")
        for col, k in zip(cols, (c for c in cards if c.strategy == s), strict=True):
            col.metric(k.label, k.value, k.delta, delta_color=k.delta_color, help=k.help)
    st.caption("Arrows compare Buy and Blend with Generate; green is better.")


VIEWS = ("Customers & CAC", "Cash", "Pipeline & funnel", "Risk", "Sensitivity", "Optimize", "Table")


def charts_area(result: Result, unc: Uncertainty, *, show_table: bool) -> None:
    """The views as tabs bound to the URL (?view=…); only the open one is computed."""
    monthly, summary = result.monthly, result.summary
    views = [v for v in VIEWS if show_table or v != "Table"]
    tabs = dict(zip(views, st.tabs(views, key="view", bind="query-params"), strict=True))
    if tabs["Customers & CAC"].open:
        with tabs["Customers & CAC"]:
            left, right = st.columns(2)
            left.plotly_chart(charts.cumulative_customers(monthly), width="stretch")
            right.plotly_chart(charts.cac_to_date(monthly, result.crossover_month()), width="stretch")
    if tabs["Cash"].open:
        with tabs["Cash"]:
            payback = {s: result.metric(s, "payback_month") for s in STRATEGIES}
            st.plotly_chart(charts.cumulative_net(monthly, payback), width="stretch")
    if tabs["Pipeline & funnel"].open:
        with tabs["Pipeline & funnel"]:
            st.plotly_chart(charts.pipeline_by_stage(monthly), width="stretch")
            st.plotly_chart(charts.funnel(summary), width="stretch")
    scn = result.scenario
    if tabs["Risk"].open:
        with tabs["Risk"]:
            risk.view(scn, unc)
    sens_scn = scn.model_copy(update={"uncertainty": unc})
    if tabs["Sensitivity"].open:
        with tabs["Sensitivity"]:
            decide.sensitivity_view(sens_scn)
    if tabs["Optimize"].open:
        with tabs["Optimize"]:
            decide.optimize_view(scn)
    if show_table and tabs["Table"].open:
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
