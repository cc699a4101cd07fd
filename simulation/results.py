"""Run a validated scenario and shape the answer: tidy frames, JSON, a people's table."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .model import STRATEGIES, SUMMARY, cumulative, params_of, simulate, summarize
from .schema import SCHEMA_VERSION, Scenario

LABELS = {"generate": "Generate", "buy": "Buy", "blend": "Blend"}

# Summary metrics that are counts of months rather than money or ratios.
INTEGER_METRICS = {"payback_month"}


def clean(v: Any) -> Any:
    """A JSON-safe scalar: NaN and infinities become None, numpy scalars plain Python."""
    if v is None:
        return None
    if isinstance(v, (np.integer, int)) and not isinstance(v, bool):
        return int(v)
    f = float(v)
    if not math.isfinite(f):
        return None
    return f


@dataclass(frozen=True)
class Result:
    """Deterministic run of the three strategies for one scenario."""

    scenario: Scenario
    monthly_arrays: dict[str, np.ndarray]  # (S, T) per monthly figure
    summary_arrays: dict[str, np.ndarray]  # (S,) per metric

    @cached_property
    def monthly(self) -> pd.DataFrame:
        """Tidy monthly frame: one row per strategy and month."""
        T = self.scenario.horizon_months
        series = {**self.monthly_arrays, **cumulative(self.monthly_arrays)}
        frames = [
            pd.DataFrame({"month": np.arange(1, T + 1), "strategy": strat, **{k: v[i] for k, v in series.items()}})
            for i, strat in enumerate(STRATEGIES)
        ]
        return pd.concat(frames, ignore_index=True)

    @cached_property
    def summary(self) -> pd.DataFrame:
        """One row per strategy, one column per metric; NaN where undefined."""
        return pd.DataFrame({k: self.summary_arrays[k] for k in SUMMARY}, index=pd.Index(STRATEGIES, name="strategy"))

    def metric(self, strategy: str, name: str) -> float | int | None:
        """One summary metric, None when undefined."""
        v = clean(self.summary.at[strategy, name])
        return int(v) if v is not None and name in INTEGER_METRICS else v

    def summary_dict(self) -> dict[str, dict[str, Any]]:
        return {s: {m: self.metric(s, m) for m in SUMMARY} for s in STRATEGIES}

    def monthly_dict(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        df = self.monthly
        for strat in STRATEGIES:
            rows = df[df["strategy"] == strat].drop(columns="strategy").to_dict(orient="records")
            out[strat] = [{k: (int(v) if k == "month" else clean(v)) for k, v in r.items()} for r in rows]
        return out

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON document (schema_version 1)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "scenario": self.scenario.model_dump(exclude_none=True),
            "summary": self.summary_dict(),
            "monthly": self.monthly_dict(),
        }

    def crossover_month(self) -> int | None:
        """First month from which generating's CAC to date stays at or below buying's."""
        return crossover_month(self.monthly)


def crossover_month(monthly: pd.DataFrame) -> int | None:
    """First month from which generate's CAC to date is ≤ buy's for every later month."""
    g = monthly[monthly["strategy"] == "generate"].set_index("month")["cac_to_date"]
    b = monthly[monthly["strategy"] == "buy"].set_index("month")["cac_to_date"]
    cheaper = (g <= b) & g.notna() & b.notna()
    if not cheaper.iloc[-1]:
        return None
    not_cheaper = ~cheaper
    if not not_cheaper.any():
        return int(cheaper.index[0])
    last_bad = not_cheaper[not_cheaper].index.max()
    return int(last_bad + 1)


def run(scn: Scenario) -> Result:
    """Simulate generate, buy and blend for a validated scenario."""
    p = params_of(scn)
    monthly = simulate(p, scn.horizon_months)
    summary = summarize(p, monthly)
    return Result(
        scenario=scn,
        monthly_arrays={k: np.asarray(v[0]) for k, v in monthly.items()},
        summary_arrays={k: np.asarray(v[0]) for k, v in summary.items()},
    )
