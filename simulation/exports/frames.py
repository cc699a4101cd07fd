"""Readable labels and formats of the monthly series, and the monthly CSV."""

from __future__ import annotations

import csv
import io
import math
from typing import TYPE_CHECKING, Any

from ..metrics import METRICS, STRATEGY_LABELS, currency_symbol
from ..results import MONTHLY_SERIES

if TYPE_CHECKING:  # pragma: no cover
    from ..results import Result

# Monthly series → (label, format); labels of the series the registry also has come from it.
_SERIES: dict[str, tuple[str, str]] = {
    "spend": (METRICS["spend"].label, "money"),
    "spend_generate": ("Spend on generate channels", "money"),
    "spend_buy": ("Spend on vendors", "money"),
    "unspent": (METRICS["unspent"].label, "money"),
    "refunds": (METRICS["refunds"].label, "money"),
    "fixed_costs": (METRICS["fixed_costs"].label, "money"),
    "sales_cost": (METRICS["sales_cost"].label, "money"),
    "total_cost": (METRICS["total_cost"].label, "money"),
    "leads": (METRICS["leads"].label, "count"),
    "leads_generate": ("Leads from generate channels", "count"),
    "leads_buy": ("Leads from vendors", "count"),
    "unworked": (METRICS["unworked"].label, "count"),
    "customers": (METRICS["customers"].label, "count"),
    "pipeline": ("Open pipeline (all stages)", "count"),
    "pipeline_leads": ("Open leads (before MQL)", "count"),
    "pipeline_mql": ("Open MQLs", "count"),
    "pipeline_sql": ("Open SQLs", "count"),
    "revenue": (METRICS["revenue"].label, "money"),
    "gross_profit": (METRICS["gross_profit"].label, "money"),
    "cumulative_customers": ("Customers won to date", "count"),
    "cumulative_cost": ("Acquisition cost to date", "money"),
    "cumulative_net": ("Net cash to date", "money"),
    "cac_to_date": ("CAC to date", "unit_money"),
    "cohort_cac": ("Cohort CAC (month's cost ÷ its leads' eventual customers)", "unit_money"),
}
SERIES_LABELS = {k: v[0] for k, v in _SERIES.items()}
SERIES_FORMATS = {k: v[1] for k, v in _SERIES.items()}
# Flows add up over the months (a total row); stocks, running totals and ratios do not.
FLOWS = (
    "spend", "spend_generate", "spend_buy", "unspent", "refunds", "fixed_costs", "sales_cost", "total_cost", "leads",
    "leads_generate", "leads_buy", "unworked", "customers", "revenue", "gross_profit",
)  # fmt: skip
assert set(_SERIES) == set(MONTHLY_SERIES), "every monthly series needs a label"


def series_header(name: str, currency: str) -> str:
    """'Spend ($)', 'Customers won': money series carry the currency symbol."""
    label = SERIES_LABELS[name]
    if SERIES_FORMATS[name] in ("money", "unit_money"):
        return f"{label} ({currency_symbol(currency) or 'money'})"
    return label


def number(v: Any) -> float | int | None:
    """A finite number, else None (undefined: an empty cell)."""
    if v is None:
        return None
    f = float(v)
    if not math.isfinite(f):
        return None
    return int(v) if isinstance(v, int) else f


def monthly_csv(result: Result) -> str:
    """The monthly frame of every strategy as CSV: readable headers, strategies by name, undefined as empty."""
    cur = result.scenario.currency
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["Month", "Strategy", *(series_header(k, cur) for k in MONTHLY_SERIES)])
    T = result.scenario.horizon_months
    for s in result.strategies:
        cols = [result.series_of(s, k) for k in MONTHLY_SERIES]
        for t in range(T):
            w.writerow([t + 1, STRATEGY_LABELS[s], *("" if (v := number(c[t])) is None else repr(v) for c in cols)])
    return out.getvalue()
