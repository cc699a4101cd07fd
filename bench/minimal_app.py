"""The yardstick for browser timings: the smallest Streamlit app with a bound number box, one
metric and one Plotly chart. `bench/bench_app.py` runs it side by side with the dashboard in the
same run and reports the dashboard's time as a multiple of this app's. (A copy of the team's
yardstick, kept here so that the repository stands alone; keep the two identical in behaviour.)

    streamlit run bench/minimal_app.py --server.port 8599
    open http://localhost:8599/?gs=40000&gcpl=80 ; change "CPL" and wait for "Leads" to change
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="minimal", layout="wide")
spend = st.sidebar.slider("Monthly spend", 0, 100000, 20000, step=1000, key="gs", bind="query-params")
cpl = st.sidebar.number_input("CPL", 1.0, 1000.0, 50.0, key="gcpl", bind="query-params")
leads = spend / cpl
st.metric("Leads", f"{leads:,.0f}")
st.plotly_chart(go.Figure(go.Scatter(y=np.cumsum(np.full(24, leads)))))
