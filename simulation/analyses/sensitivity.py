"""One-at-a-time sensitivity (the tornado): every rangeable numeric field of the scenario swung to its low and its
high, all in one engine call, with the effect on each strategy's lifetime value, CAC and ROI."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine import params_of, simulate, summarize
from ..metrics import STRATEGIES
from ..schema import Scenario, numeric_fields, spec_of
from ..strategies import spend_plan, strategy_allocations

SWING = 0.2  # without a range of its own, a field moves ±20 % (within its own bounds)
OUTPUT_METRICS = ("npv_lifetime", "cac_eventual", "cac", "roi")


@dataclass(frozen=True)
class SensitivityRow:
    """One input swung to `low` and `high`: each output's value there and the swing |at high − at low| (NaN when
    either is undefined)."""

    field: str
    label: str
    low: float
    high: float
    at_low: dict[str, float]
    at_high: dict[str, float]
    swing: dict[str, float]


@dataclass(frozen=True)
class Sensitivity:
    """The tornado over every input. Outputs are named metric_strategy (``npv_lifetime_blend``) for each existing
    strategy, plus ``cac_gap`` = Buy's eventual CAC − Generate's (when both exist)."""

    rows: list[SensitivityRow]
    central: dict[str, float]
    outputs: list[str]
    best_strategy: str  # the strategy with the highest lifetime value at the central values

    @property
    def default_output(self) -> str:
        """What the tornado ranks by unless told: the best strategy's lifetime value."""
        return f"npv_lifetime_{self.best_strategy}"

    def ranked(self, output: str | None = None) -> list[SensitivityRow]:
        """Rows by decreasing swing of `output` (default: the best strategy's lifetime value); NaN swings last."""
        out = output or self.default_output
        if out not in self.outputs:
            raise ValueError(f"output: {out!r} is not one of {', '.join(self.outputs)}")

        def key(r: SensitivityRow) -> float:
            v = r.swing[out]
            return -v if math.isfinite(v) else math.inf

        return sorted(self.rows, key=key)

    def to_frame(self, output: str | None = None) -> pd.DataFrame:
        """field, label, low, high, then {output}_low, {output}_high, {output}_swing per output; ranked rows."""
        records = []
        for r in self.ranked(output):
            rec: dict[str, object] = {"field": r.field, "label": r.label, "low": r.low, "high": r.high}
            for o in self.outputs:
                rec[f"{o}_low"], rec[f"{o}_high"], rec[f"{o}_swing"] = r.at_low[o], r.at_high[o], r.swing[o]
            records.append(rec)
        return pd.DataFrame.from_records(records)


def field_label(scn: Scenario, dotted: str) -> str:
    """'Vendor A · Cost per lead' for a channel field, the registry's label for a scalar field."""
    spec = spec_of(dotted)
    label = spec.label if spec is not None else dotted
    parts = dotted.split(".")
    if parts[0] == "channel" and len(parts) == 3 and parts[1] in scn.channel:
        return f"{scn.channel[parts[1]].display_label(parts[1])} · {label}"
    return label


def swing_values(scn: Scenario, dotted: str, value: float) -> tuple[float, float]:
    """The low and high of one input: its uncertainty range if it has one, else ±20 % within its own bounds
    (integer fields rounded)."""
    ranges = scn.uncertainty.ranges if scn.uncertainty is not None else {}
    if dotted in ranges:
        lo, hi = ranges[dotted]
        return float(lo), float(hi)
    spec = spec_of(dotted)
    assert spec is not None
    lo, hi = value * (1 - SWING), value * (1 + SWING)
    if spec.is_int:
        lo, hi = float(math.floor(lo)), float(math.ceil(hi))
    floor = float(np.nextafter(spec.lo, np.inf)) if spec.lo_open else spec.lo
    return float(np.clip(lo, floor, spec.hi)), float(np.clip(hi, floor, spec.hi))


def sensitivity(scn: Scenario) -> Sensitivity:
    """Swing every rangeable numeric field (scalars and every channel's fields) to its low and high, one at a time,
    on the three strategies, in one engine call."""
    fields = numeric_fields(scn)
    names = list(fields)
    lows, highs = [], []
    for name in names:
        lo, hi = swing_values(scn, name, fields[name])
        lows.append(lo)
        highs.append(hi)
    n = 1 + 2 * len(names)
    p = params_of(scn)
    batch = p
    for i, name in enumerate(names):
        vals = np.full(n, fields[name])
        vals[1 + 2 * i], vals[2 + 2 * i] = lows[i], highs[i]
        batch = batch.set(name, vals)
        leaf = name.split(".")[-1]
        if leaf == "elasticity" and scn.channel[name.split(".")[1]].reference_spend is None:
            # a channel with no diminishing returns has no reference spend: its cost per lead holds at today's
            # plan spend (or at B when the plan gives it nothing)
            cid = name.split(".")[1]
            ch = scn.channel[cid]
            ref = ch.share * scn.budget.monthly or scn.budget.monthly or 1.0
            batch = batch.set(f"channel.{cid}.reference_spend", np.full(n, ref))
    alloc, present = strategy_allocations(scn)
    budget = batch.scalar["budget.monthly"]
    m = simulate(batch, spend_plan(budget, alloc), tail=True, detail=False)
    s = summarize(batch, m, np.broadcast_to(budget * scn.horizon_months, (n,)))
    values: dict[str, np.ndarray] = {}
    strategies = [k for k in STRATEGIES if present[k]]
    for metric in OUTPUT_METRICS:
        for strat in strategies:
            values[f"{metric}_{strat}"] = s[metric][:, STRATEGIES.index(strat)]
    if present["generate"] and present["buy"]:
        cac = s["cac_eventual"]
        values["cac_gap"] = cac[:, STRATEGIES.index("buy")] - cac[:, STRATEGIES.index("generate")]
    outputs = list(values)
    rows = []
    for i, name in enumerate(names):
        at_low = {o: float(values[o][1 + 2 * i]) for o in outputs}
        at_high = {o: float(values[o][2 + 2 * i]) for o in outputs}
        swing = {o: abs(at_high[o] - at_low[o]) for o in outputs}  # NaN when either is undefined
        rows.append(SensitivityRow(name, field_label(scn, name), lows[i], highs[i], at_low, at_high, swing))
    central = {o: float(values[o][0]) for o in outputs}
    npv = {k: central[f"npv_lifetime_{k}"] for k in strategies}
    best = max(strategies, key=lambda k: npv[k] if math.isfinite(npv[k]) else -math.inf)
    return Sensitivity(rows, central, outputs, best)
