"""The one cached façade between the UI and the model: keyed on the validated scenario."""

from __future__ import annotations

import streamlit as st

from simulation import Result, Scenario, run


def _key(scn: Scenario) -> str:
    return scn.model_dump_json()


@st.cache_resource(max_entries=256, hash_funcs={Scenario: _key}, show_spinner=False)
def simulate(scn: Scenario) -> Result:
    """Deterministic run of the three strategies, with its frames built once."""
    result = run(scn)
    _ = result.monthly, result.summary  # build the frames inside the cache
    return result
