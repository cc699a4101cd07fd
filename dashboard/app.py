"""Acquisition Lab: generate, buy or blend — `streamlit run dashboard/app.py`."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without install

from dashboard import api, inputs, overview, risk, urlstate  # noqa: E402
from dashboard.text import plain  # noqa: E402
from simulation.schema import SCHEMA_VERSION, Uncertainty  # noqa: E402


def uncertainty_from_url() -> tuple[Uncertainty, list[str]]:
    """Ranges, draws and seed from the link; the problems of what cannot be used."""
    ranges, problems = urlstate.decode_ranges(st.query_params.get("ranges"))
    draws, p1 = urlstate.int_param("draws", risk.DRAWS_DEFAULT, 100, 100_000)
    seed, p2 = urlstate.int_param("seed", risk.SEED_DEFAULT, 0, 2**32 - 1)
    return Uncertainty(draws=draws, seed=seed, ranges=ranges), problems + [p for p in (p1, p2) if p]


def main() -> None:
    presenting = st.session_state.get("_present", inputs.presenting_in_url())
    sidebar = "collapsed" if presenting else "expanded"
    st.set_page_config(page_title="Acquisition Lab", page_icon="📈", layout="wide", initial_sidebar_state=sidebar)
    unc, unc_problems = uncertainty_from_url()
    if "url_problems" not in st.session_state:
        st.session_state["url_problems"], st.session_state["url_bad_fields"] = inputs.url_problems()
        st.session_state["url_problems"] += unc_problems
    _preset, scn, problems = inputs.sidebar_inputs()
    if st.query_params.get("v") != str(SCHEMA_VERSION):
        st.query_params["v"] = str(SCHEMA_VERSION)
    st.set_page_config(page_title=f"{scn.name} · Acquisition Lab", layout="wide", initial_sidebar_state=sidebar)
    presenting = bool(st.session_state.get("_present"))

    st.title(plain(scn.name), anchor=False)
    warn = st.session_state["url_problems"] + problems
    if warn:
        st.warning(
            "Some values in the link could not be used and fell back to the preset: " + plain("; ".join(warn)) + ".",
            icon="⚠️",
        )
    if not presenting:
        st.caption(
            f"Budget {scn.budget.monthly:,.0f} a month over {scn.horizon_months} months, simulated three ways: "
            "**Generate** (all of it on our own leads), **Buy** (all of it on vendor leads) and "
            f"**Blend** ({scn.budget.buy_share:.0%} buying). The address bar is the share link."
        )
    result = api.simulate(scn)
    overview.headline(result)
    overview.charts_area(result, unc, show_table=not presenting)


main()
