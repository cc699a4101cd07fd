"""The deterministic run of a scenario, shaped for people and programs: typed results, frames, JSON."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .engine import Monthly, Params, channel_metrics, cohort_cac, cumulative, params_of, simulate, summarize
from .metrics import CHANNEL_METRICS, INTEGER_METRICS, STRATEGIES, SUMMARY, clean
from .schema import SCHEMA_VERSION, Scenario, scenario_dict
from .strategies import spend_plan, strategy_allocations

# Monthly series of a strategy, in the order of the monthly frame and rows.
MONTHLY_SERIES = (
    "spend", "spend_generate", "spend_buy", "unspent", "refunds", "fixed_costs", "sales_cost", "total_cost",
    "leads", "leads_generate", "leads_buy", "unworked", "customers", "pipeline", "pipeline_leads",
    "pipeline_mql", "pipeline_sql", "revenue", "gross_profit", "cumulative_customers", "cumulative_cost",
    "cumulative_net", "cac_to_date", "cohort_cac",
)  # fmt: skip
CHANNEL_SERIES = ("spend", "leads", "customers", "pipeline")


def _value(name: str, v: Any) -> float | int | None:
    v = clean(v)
    return int(v) if v is not None and name in INTEGER_METRICS else v


def monthly_series(p: Params, m: Monthly, budget: np.ndarray) -> dict[str, np.ndarray]:
    """Every monthly series per allocation: (N, S, T)."""
    se = m.series
    out = {k: se[k] for k in MONTHLY_SERIES if k in se}
    out["unspent"] = np.asarray(budget, float).reshape(-1, 1, 1) - se["spend"]
    out.update(cumulative(m))
    if "eventual_new" in se:  # a run with detail
        out["cohort_cac"] = cohort_cac(m)
    return out


def crossover(gen: np.ndarray, buy: np.ndarray) -> int | None:
    """First month from which gen ≤ buy through the end; NaN (undefined) never counts as ≤."""
    ok = (gen <= buy) & np.isfinite(gen) & np.isfinite(buy)
    if not ok[-1]:
        return None
    bad = np.flatnonzero(~ok)
    return int(bad[-1] + 2) if bad.size else 1


@dataclass(frozen=True)
class Result:
    """Deterministic run of the three strategies for one scenario."""

    scenario: Scenario
    present: dict[str, bool]  # which strategies exist (a kind with no channel has none)
    series: dict[str, np.ndarray]  # (S, T) per monthly series
    channel_series: dict[str, np.ndarray]  # (S, C, T) per channel series
    summary_arrays: dict[str, np.ndarray]  # (S,) per metric
    channel_arrays: dict[str, np.ndarray]  # (S, C) per channel metric

    @property
    def strategies(self) -> list[str]:
        """The strategies that exist in this scenario, in contract order."""
        return [s for s in STRATEGIES if self.present[s]]

    @property
    def channel_ids(self) -> list[str]:
        return list(self.scenario.channel)

    def metric(self, strategy: str, name: str) -> float | int | None:
        """One summary metric of a strategy; None when undefined or the strategy does not exist."""
        if not self.present.get(strategy):
            return None
        return _value(name, self.summary_arrays[name][STRATEGIES.index(strategy)])

    def channel_metric(self, strategy: str, cid: str, name: str) -> float | int | None:
        if not self.present.get(strategy):
            return None
        return _value(name, self.channel_arrays[name][STRATEGIES.index(strategy), self.channel_ids.index(cid)])

    def series_of(self, strategy: str, name: str) -> np.ndarray:
        return self.series[name][STRATEGIES.index(strategy)]

    @cached_property
    def monthly(self) -> pd.DataFrame:
        """Tidy monthly frame: one row per existing strategy and month."""
        T = self.scenario.horizon_months
        frames = []
        for strat in self.strategies:
            i = STRATEGIES.index(strat)
            cols = {"month": np.arange(1, T + 1), "strategy": strat}
            cols.update({k: self.series[k][i] for k in MONTHLY_SERIES})
            frames.append(pd.DataFrame(cols))
        return pd.concat(frames, ignore_index=True)

    @cached_property
    def summary(self) -> pd.DataFrame:
        """One row per existing strategy, one column per metric; NaN where undefined."""
        idx = [STRATEGIES.index(s) for s in self.strategies]
        return pd.DataFrame(
            {k: self.summary_arrays[k][idx] for k in SUMMARY}, index=pd.Index(self.strategies, name="strategy")
        )

    def summary_dict(self) -> dict[str, dict[str, Any] | None]:
        return {s: ({m: self.metric(s, m) for m in SUMMARY} if self.present[s] else None) for s in STRATEGIES}

    def channels_dict(self) -> dict[str, dict[str, dict[str, Any]] | None]:
        return {
            s: (
                {c: {m: self.channel_metric(s, c, m) for m in CHANNEL_METRICS} for c in self.channel_ids}
                if self.present[s]
                else None
            )
            for s in STRATEGIES
        }

    def monthly_dict(self) -> dict[str, list[dict[str, Any]] | None]:
        out: dict[str, list[dict[str, Any]] | None] = {}
        T = self.scenario.horizon_months
        for strat in STRATEGIES:
            if not self.present[strat]:
                out[strat] = None
                continue
            i = STRATEGIES.index(strat)
            rows = []
            for t in range(T):
                row: dict[str, Any] = {"month": t + 1}
                row.update({k: clean(self.series[k][i, t]) for k in MONTHLY_SERIES})
                row["channels"] = {
                    cid: {k: clean(self.channel_series[k][i, c, t]) for k in CHANNEL_SERIES}
                    for c, cid in enumerate(self.channel_ids)
                }
                rows.append(row)
            out[strat] = rows
        return out

    def crossover_month(self) -> int | None:
        """First month from which Generate's cumulative CAC stays ≤ Buy's through the horizon."""
        if not (self.present["generate"] and self.present["buy"]):
            return None
        return crossover(self.series_of("generate", "cac_to_date"), self.series_of("buy", "cac_to_date"))

    def cohort_crossover_month(self) -> int | None:
        """First month from which Generate's cohort CAC stays ≤ Buy's through the horizon."""
        if not (self.present["generate"] and self.present["buy"]):
            return None
        return crossover(self.series_of("generate", "cohort_cac"), self.series_of("buy", "cohort_cac"))

    def to_json(self) -> dict[str, Any]:
        """The contract's `run` document (schema_version 2)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "scenario": scenario_dict(self.scenario),
            "summary": self.summary_dict(),
            "channels": self.channels_dict(),
            "monthly": self.monthly_dict(),
            "crossover_month": self.crossover_month(),
            "cohort_crossover_month": self.cohort_crossover_month(),
        }


def evaluate(
    p: Params, allocation: np.ndarray, budget: np.ndarray | None = None, tail: bool = True, detail: bool = False
) -> tuple[Monthly, dict[str, np.ndarray]]:
    """Engine run of allocations (S, C[, T]) at budget B (default the scenario's): (Monthly, summary).

    Without `detail` the engine keeps no per-channel monthly figures (fast, for batches)."""
    b = p.scalar["budget.monthly"] if budget is None else np.asarray(budget, float)
    m = simulate(p, spend_plan(b, allocation), tail=tail, detail=detail)
    return m, summarize(p, m, b * p.horizon)


def run(scn: Scenario) -> Result:
    """Simulate Generate, Buy and Blend for a validated scenario."""
    p = params_of(scn)
    alloc, present = strategy_allocations(scn)
    m, summary = evaluate(p, alloc, detail=True)
    series = monthly_series(p, m, p.scalar["budget.monthly"])
    chan_series = {k: m.channel[k][0] for k in CHANNEL_SERIES}
    return Result(
        scenario=scn,
        present=present,
        series={k: np.asarray(v[0]) for k, v in series.items()},
        channel_series=chan_series,
        summary_arrays={k: np.asarray(v[0]) for k, v in summary.items()},
        channel_arrays={k: np.asarray(v[0]) for k, v in channel_metrics(m).items()},
    )
