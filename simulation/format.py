"""Number formatting shared by the CLI table and the dashboard."""

from __future__ import annotations

from typing import Any

DASH = "—"

# metric → how to show it
MONEY = {"spend", "unspent", "refunds", "fixed_costs", "total_cost", "cpl", "cac", "cac_eventual",
         "revenue", "gross_profit", "ltv"}  # fmt: skip
PERCENT = {"roi", "roi_lifetime"}
RATIO = {"ltv_to_cac"}
MONTH = {"payback_month"}


def fmt_metric(name: str, v: Any) -> str:
    """A metric as people read it: money with thousands separators, percentages, '—' if undefined."""
    if v is None:
        return DASH
    if name in MONEY:
        return f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"
    if name in PERCENT:
        return f"{v * 100:,.1f} %"
    if name in RATIO:
        return f"{v:,.2f}×"
    if name in MONTH:
        return f"month {int(v)}"
    return f"{v:,.1f}"
