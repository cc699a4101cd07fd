"""What the page shell (app.py, state.py, widgets.py) and the views (views/, charts/) agree on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulation import Result, Scenario

# The views, in tab order; `?view=<name>` opens one. Names are what the tabs show.
VIEW_NAMES = (
    "Overview",
    "Channels",
    "Cash",
    "Pipeline & capacity",
    "Risk",
    "Sensitivity",
    "Optimize",
    "Compare",
    "Calibrate",
    "Library",
)
DEFAULT_VIEW = VIEW_NAMES[0]


@dataclass(frozen=True)
class ViewContext:
    """Everything a view needs for one run of the page."""

    session: Any  # dashboard.state.Session: the preset, its base scenario and defaults
    scenario: Scenario  # the scenario on screen, with the uncertainty in use
    result: Result  # its deterministic run (cached)
    mc: Any = None  # its Monte Carlo (simulation.analyses.montecarlo.MonteCarlo) when it has ranges, else None
    dropped_ranges: list[str] = field(default_factory=list)  # ranges left out after an edit, one line each
    presenting: bool = False  # the presenter view (?present=1)
    draws_note: str | None = None  # why the draws were capped in the app, when they were
