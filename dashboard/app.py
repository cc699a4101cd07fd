"""Acquisition Lab: generate, buy or blend — `streamlit run dashboard/app.py`.

The page shell: page set-up, the sidebar, the title and the link's notices, then the views (`views.page`)."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without install

from dashboard import api, state, widgets  # noqa: E402
from dashboard.contract import ViewContext  # noqa: E402
from dashboard.text import plain  # noqa: E402
from dashboard.views import page  # noqa: E402

UPGRADED = (
    "This link was made for version 1 of the app and has been upgraded: it opens with the two channels version 1 "
    "had, Generate and Buy, and the address bar now holds the version 2 link."
)


def main() -> None:
    presenting = state.presenting()
    # "auto": the inputs open beside the results on a wide screen and start folded away on a phone (one tap opens)
    sidebar = "collapsed" if presenting else "auto"
    st.set_page_config(page_title="Acquisition Lab", page_icon="📈", layout="wide", initial_sidebar_state=sidebar)
    session = state.open_session()
    scn, problems = state.scenario(session)  # edits are callbacks: they ran before this run, not during it
    widgets.sidebar(scn.currency)
    scn_u, dropped, draws_note = state.with_uncertainty(session, scn)
    st.set_page_config(page_title=f"{scn.name} · Acquisition Lab", layout="wide", initial_sidebar_state=sidebar)

    st.title(plain(scn.name), anchor=False)
    notices = state.notices()
    if notices.upgraded:
        st.info(UPGRADED, icon=":material/upgrade:")
    if notices.problems:
        st.warning("Some values in the link could not be used and fell back to the preset: "
                   + plain("; ".join(notices.problems)) + ".", icon=":material/warning:")  # fmt: skip
    if problems:
        st.warning("Some inputs cannot be used as they are; the preset's values are used for them: "
                   + plain("; ".join(problems)) + ".", icon=":material/warning:")  # fmt: skip
    result = api.simulate(scn_u)
    ranged = scn_u.uncertainty is not None and any(lo != hi for lo, hi in scn_u.uncertainty.ranges.values())
    mc = None
    if ranged:
        assert scn_u.uncertainty is not None
        with st.spinner(f"Simulating {scn_u.uncertainty.draws:,} futures…", show_time=True):
            mc = api.monte_carlo(scn_u)
    ctx = ViewContext(session, scn_u, result, mc, dropped, state.presenting(), draws_note)
    page(ctx)
    state.write_link()


main()
