"""Acquisition Lab: generate, buy or blend — `streamlit run dashboard/app.py`."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without install

from dashboard import api, overview, state, widgets  # noqa: E402
from dashboard.text import plain  # noqa: E402
from simulation.metrics import fmt  # noqa: E402
from simulation.narrate import plan_description  # noqa: E402

UPGRADED = (
    "This link was made for version 1 of the app and has been upgraded: it opens with the two channels version 1 "
    "had, Generate and Buy, and the address bar now holds the version 2 link."
)


def main() -> None:
    presenting = state.presenting()
    sidebar = "collapsed" if presenting else "expanded"
    st.set_page_config(page_title="Acquisition Lab", page_icon="📈", layout="wide", initial_sidebar_state=sidebar)
    session = state.open_session()
    values = widgets.sidebar(session)
    scn, problems = state.scenario(session, values)
    scn_u, dropped = state.with_uncertainty(session, scn)
    presenting = state.presenting()
    st.set_page_config(page_title=f"{scn.name} · Acquisition Lab", layout="wide", initial_sidebar_state=sidebar)

    st.title(plain(scn.name), anchor=False)
    notices = state.notices()
    if notices.upgraded:
        st.info(UPGRADED, icon=":material/upgrade:")
    if notices.problems:
        st.warning("Some values in the link could not be used and fell back to the preset: "
                   + plain("; ".join(notices.problems)) + ".", icon="⚠️")  # fmt: skip
    if problems:
        st.warning("These inputs cannot be used together; the preset's values are used for them: "
                   + plain("; ".join(problems)) + ".", icon="⚠️")  # fmt: skip
    result = api.simulate(scn_u)
    ranged = scn_u.uncertainty is not None and any(lo != hi for lo, hi in scn_u.uncertainty.ranges.values())
    mc = api.monte_carlo(scn_u) if ranged else None
    if not presenting:
        st.caption(
            f"Budget {plain(fmt('spend', scn.budget.monthly, scn.currency))} a month over {scn.horizon_months} "
            f"months, {len(scn.channel)} channels, simulated three ways: **Generate** (the whole budget on our own "
            "channels), **Buy** (the whole budget on the vendors) and **Blend** (the plan). "
            + plain(plan_description(result)) + " The address bar is the share link."
        )  # fmt: skip
    overview.headline(result, mc)
    overview.views(session, result, mc, dropped, presenting=presenting)


main()
