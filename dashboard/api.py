"""The one cached façade between the UI and the model: keyed on the validated scenario."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from simulation import Result, Scenario, decisions, load_preset, run, uncertainty
from simulation.decisions import BestMix, TwoPhase
from simulation.uncertainty import MonteCarlo


def _key(scn: Scenario) -> str:
    return scn.model_dump_json()


@st.cache_resource(max_entries=256, hash_funcs={Scenario: _key}, show_spinner=False)
def simulate(scn: Scenario) -> Result:
    """Deterministic run of the three strategies, with its frames built once."""
    result = run(scn)
    _ = result.monthly, result.summary  # build the frames inside the cache
    return result


@st.cache_resource(max_entries=64, hash_funcs={Scenario: _key}, show_spinner=False)
def monte_carlo(scn: Scenario) -> MonteCarlo:
    """Monte Carlo over the scenario's ranges (its uncertainty block sets draws and seed)."""
    return uncertainty.monte_carlo(scn)


@st.cache_resource(max_entries=64, hash_funcs={Scenario: _key}, show_spinner=False)
def sensitivity(scn: Scenario) -> pd.DataFrame:
    return decisions.sensitivity(scn)


@st.cache_resource(max_entries=64, hash_funcs={Scenario: _key}, show_spinner=False)
def breakeven(scn: Scenario) -> tuple[dict, dict]:
    """The solved break-even vendor price and the CPL × conversion grid."""
    return decisions.breakeven(scn), decisions.breakeven_grid(scn)


@st.cache_resource(max_entries=64, hash_funcs={Scenario: _key}, show_spinner=False)
def best_mix(scn: Scenario, objective: str, floor: tuple[float, int] | None) -> tuple[BestMix, TwoPhase | None]:
    """Best constant share and best two-phase plan for an objective and optional customer floor."""
    constraint = decisions.Constraint(*floor) if floor else None
    best = decisions.optimize_share(scn, objective, constraint)  # type: ignore[arg-type]
    plan = decisions.two_phase(scn, objective, constraint, best_constant=best) if best.buy_share is not None else None  # type: ignore[arg-type]
    return best, plan


@st.cache_resource(show_spinner=False)
def preset(name: str) -> Scenario:
    """A preset, read and validated once per server process (treat as read-only)."""
    return load_preset(name)
