"""The one cached façade between the UI and the model's analyses: keyed on the validated scenario."""

from __future__ import annotations

import streamlit as st

from simulation import Result, Scenario, run
from simulation.analyses import breakeven as _breakeven
from simulation.analyses import montecarlo as _montecarlo
from simulation.analyses import optimize as _optimize
from simulation.analyses import plan as _plan


def _key(scn: Scenario) -> str:
    return scn.model_dump_json()


_cache = st.cache_resource(max_entries=64, hash_funcs={Scenario: _key}, show_spinner=False)


@st.cache_resource(max_entries=256, hash_funcs={Scenario: _key}, show_spinner=False)
def simulate(scn: Scenario) -> Result:
    """Deterministic run of the three strategies, with its frames built once."""
    result = run(scn)
    _ = result.monthly, result.summary  # build the frames inside the cache
    return result


@_cache
def monte_carlo(scn: Scenario) -> _montecarlo.MonteCarlo:
    """Monte Carlo over the scenario's ranges (its uncertainty block sets draws and seed)."""
    return _montecarlo.monte_carlo(scn)


@_cache
def sensitivity(scn: Scenario):  # noqa: ANN201  (the analysis' own typed result)
    from simulation.analyses import sensitivity as _sensitivity

    return _sensitivity.sensitivity(scn)


@_cache
def breakeven(scn: Scenario) -> dict[str, float | None]:
    """Per buy channel: the price per lead at which buying from it alone costs what generating does per customer."""
    return _breakeven.breakeven(scn)


@_cache
def breakeven_grid(scn: Scenario, cid: str) -> _breakeven.BreakevenGrid:
    return _breakeven.breakeven_grid(scn, cid)


@_cache
def best_mix(
    scn: Scenario, objective: str, floor: tuple[float, int] | None
) -> tuple[_optimize.Optimum, _plan.TwoPhase | None]:
    """Best constant allocation and best two-phase plan for an objective and an optional customer floor."""
    constraint = _optimize.Constraint(*floor) if floor else None
    best = _optimize.optimize(scn, objective, constraint)  # type: ignore[arg-type]
    plan = _plan.two_phase(scn, objective, constraint, best_constant=best) if best.allocation is not None else None  # type: ignore[arg-type]
    return best, plan
