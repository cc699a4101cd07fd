"""The one cached façade between the UI and the model's analyses, keyed on the validated scenario.

Every cache is bounded: at most `max_entries` results each, sized so that the worst case stays small — a Result
is tens of kB; a Monte Carlo keeps at most 10,000 draws of six metrics and of each ranged input (≈ 10 MB with 100
ranged inputs, ≈ 2 MB typically), hence 8 of them; sensitivity, curves and break-even results are a few kB. The
cached objects are shared between sessions: treat them as read-only."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from simulation import Result, Scenario, run
from simulation import compare as _compare
from simulation.analyses import breakeven as _breakeven
from simulation.analyses import curves as _curves
from simulation.analyses import montecarlo as _montecarlo
from simulation.analyses import optimize as _optimize
from simulation.analyses import plan as _plan
from simulation.analyses import sensitivity as _sensitivity


def _key(scn: Scenario) -> str:
    return scn.model_dump_json()


_HASH = {Scenario: _key}


@st.cache_resource(max_entries=256, hash_funcs=_HASH, show_spinner=False)
def simulate(scn: Scenario) -> Result:
    """Deterministic run of the three strategies, with its frames built once."""
    result = run(scn)
    _ = result.monthly, result.summary  # build the frames inside the cache
    return result


@st.cache_resource(max_entries=8, hash_funcs=_HASH, show_spinner=False)
def monte_carlo(scn: Scenario) -> _montecarlo.MonteCarlo:
    """Monte Carlo over the scenario's ranges (its uncertainty block sets draws and seed)."""
    return _montecarlo.monte_carlo(scn)


@st.cache_resource(max_entries=64, hash_funcs=_HASH, show_spinner=False)
def curves(scn: Scenario) -> dict[str, _curves.Curve]:
    """Each channel's response to its own monthly spend."""
    return _curves.curves(scn)


@st.cache_resource(max_entries=64, hash_funcs=_HASH, show_spinner=False)
def next_budget(scn: Scenario, amount: float = 1000.0) -> list[_curves.NextBudget]:
    """Where `amount` more a month does most, best lifetime value first."""
    return _curves.next_budget(scn, amount)


@st.cache_resource(max_entries=64, hash_funcs=_HASH, show_spinner="Swinging every input to its low and high…")
def sensitivity(scn: Scenario) -> _sensitivity.Sensitivity:
    """The tornado over every input."""
    return _sensitivity.sensitivity(scn)


@st.cache_resource(max_entries=64, hash_funcs=_HASH, show_spinner=False)
def breakeven(scn: Scenario) -> dict[str, float | None]:
    """Per buy channel: the price per lead at which buying from it alone costs what generating does per customer."""
    return _breakeven.breakeven(scn)


@st.cache_resource(max_entries=64, hash_funcs=_HASH, show_spinner=False)
def breakeven_grid(scn: Scenario, cid: str) -> _breakeven.BreakevenGrid:
    """The CAC gap over price × close rate of one vendor."""
    return _breakeven.breakeven_grid(scn, cid)


@st.cache_resource(
    max_entries=32, hash_funcs=_HASH, show_spinner="Searching for the best allocation and the best two-phase plan…"
)
def best_mix(
    scn: Scenario, objective: str, floor: tuple[float, int] | None
) -> tuple[_optimize.Optimum, _plan.TwoPhase | None]:
    """Best constant allocation and best two-phase plan for an objective and an optional customer floor
    (at least N customers by month M)."""
    constraint = _optimize.Constraint(*floor) if floor else None
    best = _optimize.optimize(scn, objective, constraint)  # type: ignore[arg-type]
    if best.allocation is None:
        return best, None
    return best, _plan.two_phase(scn, objective, constraint, best_constant=best)  # type: ignore[arg-type]


# ---- the team library, comparison and exports ---------------------------------------------------------------


def library() -> Any:
    """The team library (simulation.library.Library) of this server's database; raises LibraryUnavailable."""
    from simulation.library import open_library

    return open_library()


@st.cache_resource(max_entries=64, show_spinner=False)
def saved(slug: str, version: int) -> Any:
    """A saved version (immutable, so cached for good): simulation.library.Saved."""
    return library().get(slug, version)


@st.cache_resource(max_entries=16, hash_funcs=_HASH, show_spinner=False)
def comparison(items: tuple[tuple[str, Scenario], ...]) -> _compare.Comparison:
    """2–4 scenarios side by side, the first the one the differences are measured against."""
    return _compare.compare([_compare.Compared(label, simulate(scn)) for label, scn in items])


@st.cache_resource(max_entries=8, hash_funcs=_HASH, show_spinner=False)
def export(scn: Scenario, fmt: str, link: str, when: date, paper: str = "A4") -> bytes:
    """The scenario as XLSX, CSV, a one-page HTML report or its PDF (raises ExportUnavailable without a browser)."""
    from simulation import exports

    return exports.export(scn, fmt, link=link, when=when, paper=paper)


@st.cache_resource(max_entries=16, hash_funcs=_HASH, show_spinner=False)
def chart_image(scn: Scenario, chart: str, fmt: str) -> bytes:
    """One of the charts of the scenario's deterministic run as PNG or SVG."""
    from simulation import exports

    from .charts import strategies as charts

    result = simulate(scn)
    fig = getattr(charts, chart)(result)
    return exports.chart_image(fig, fmt=fmt)
