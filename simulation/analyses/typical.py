"""Typical uncertainty ranges: a starting point for someone who has none (the Risk view's one click)."""

from __future__ import annotations

import math

from ..schema import CHANNEL_FIELDS, Scenario, channel_key, numeric_fields, spec_of

# Relative half-widths of a typical P10–P90 range, by channel field: prices are known within a fifth,
# close rates within a quarter, nurture time and ramp-up are the least known.
TYPICAL_SPREAD = {
    "cost_per_lead": 0.2,
    "sql_to_customer": 0.25,
    "nurture_months": 0.35,
    "ramp_months": 0.4,
}


def typical_ranges(scn: Scenario) -> dict[str, tuple[float, float]]:
    """P10/P90 ranges for each channel's price, close rate, nurture time and ramp-up, around today's values.

    Each range contains its field's value and stays valid for its distribution (rates strictly inside
    (0, 1), other fields above 0); a field at 0 gets no range."""
    out: dict[str, tuple[float, float]] = {}
    values = numeric_fields(scn)
    for cid, ch in scn.channel.items():
        for field, spread in TYPICAL_SPREAD.items():
            spec = CHANNEL_FIELDS[field]
            if spec.only not in (None, ch.kind):
                continue
            key = channel_key(cid, field)
            v = values.get(key)
            if v is None or v <= 0:
                continue
            lo, hi = v * (1 - spread), v * (1 + spread)
            if spec.kind == "rate":
                if v >= 1:
                    continue
                hi = min(hi, (1 + v) / 2)  # below 1, half way from the value
            hi = min(hi, spec.hi)
            lo = max(lo, spec.lo if not spec.lo_open else math.nextafter(spec.lo, math.inf))
            if spec_of(key) is not None and lo < v < hi:
                out[key] = (_round(lo), _round(hi))
    return {k: v for k, v in out.items() if v[0] <= values[k] <= v[1] and v[0] < v[1]}


def _round(x: float) -> float:
    """Three significant figures: ranges people can read back."""
    if x == 0:
        return 0.0
    return float(f"{x:.3g}")
