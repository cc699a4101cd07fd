"""The metric registry: every result's label, help, format and which direction is better, once.

The CLI table, the app and the exports all label and format through here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

Format = Literal["money", "count", "percent", "ratio", "month", "months", "share"]
Better = Literal["higher", "lower"] | None

DASH = "—"


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    help: str
    format: Format
    better: Better = None
    per_channel: bool = False


def _m(name, label, fmt, better, help, per_channel=False) -> Metric:
    return Metric(name, label, help, fmt, better, per_channel)


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        _m("spend", "Spend", "money", None, "Budget spent on channels (media and purchased leads).", True),
        _m("unspent", "Unspent budget", "money", None,
           "Budget not spent: vendor caps, plus any part of the budget no channel's share allocates.", True),
        _m("refunds", "Vendor refunds", "money", None,
           "Refunds for invalid bought leads credited within the horizon (at most the return cap).", True),
        _m("fixed_costs", "Fixed costs", "money", None,
           "Fixed monthly costs of the channels in the months they have spend.", True),
        _m("sales_cost", "Sales cost", "money", None, "Sales effort: cost per worked lead × leads worked.", True),
        _m("total_cost", "Total acquisition cost", "money", "lower",
           "Spend − refunds + fixed costs + sales cost.", True),
        _m("leads", "Leads", "count", "higher",
           "Valid new leads within the horizon (leads already in flight on day one not included).", True),
        _m("unworked", "Unworked leads", "count", "lower",
           "Leads the sales team had no capacity to contact: never won, not in the pipeline.", True),
        _m("mqls", "MQLs", "count", "higher", "Marketing-qualified leads the worked leads eventually become."),
        _m("sqls", "SQLs", "count", "higher", "Sales-qualified leads the worked leads eventually become."),
        _m("customers", "Customers won", "count", "higher", "Customers won within the horizon.", True),
        _m("customers_eventual", "Customers, eventually", "count", "higher",
           "Customers won within the horizon plus the expected wins still in the pipeline at its end.", True),
        _m("cpl", "Cost per lead (CPL)", "money", "lower", "(Spend − refunds) ÷ valid leads.", True),
        _m("cac", "CAC", "money", "lower",
           "Customer acquisition cost: total acquisition cost ÷ customers won within the horizon.", True),
        _m("cac_eventual", "CAC, eventual", "money", "lower",
           "Total acquisition cost ÷ customers eventually won from the horizon's leads.", True),
        _m("revenue", "Revenue", "money", "higher", "Revenue from the customers won, within the horizon."),
        _m("gross_profit", "Gross profit", "money", "higher", "Revenue × gross margin, within the horizon."),
        _m("roi", "ROI (horizon)", "percent", "higher",
           "Return within the horizon: (gross profit − total cost) ÷ total cost. Favours what pays back soonest."),
        _m("ltv", "Lifetime value (LTV)", "money", "higher",
           "Gross profit one customer brings over its life, undiscounted."),
        _m("ltv_discounted", "LTV, discounted", "money", "higher",
           "Gross profit one customer brings over its life, each month discounted to the month it was won."),
        _m("ltv_to_cac", "LTV : CAC", "ratio", "higher", "Lifetime value ÷ CAC."),
        _m("roi_lifetime", "ROI (lifetime)", "percent", "higher",
           "(Eventual customers × LTV − total cost) ÷ total cost."),
        _m("payback_month", "Payback month", "month", "lower",
           "First month in which cumulative gross profit catches up with cumulative cost; '—' = not within "
           "the horizon."),
        _m("pipeline_end", "Pipeline at the end", "count", None,
           "Leads still open (not yet won or lost) at the end of the horizon."),
        _m("pipeline_peak", "Pipeline at its peak", "count", None, "Most leads open at the end of any month."),
        _m("npv", "NPV (horizon)", "money", "higher",
           "Discounted gross profit − discounted cost, within the horizon."),
        _m("npv_lifetime", "Lifetime value created", "money", "higher",
           "Net present value of the plan: it runs for the horizon, then spend stops; every customer it wins, "
           "also later from content still yielding and deals still open, counts at its discounted lifetime value, "
           "less every cost, discounted to today."),
        _m("unit_payback_months", "Months to earn back CAC", "months", "lower",
           "Months until one customer's discounted gross profit covers the eventual CAC; '—' = not within its "
           "lifetime."),
        _m("capacity_used", "Sales capacity used (peak)", "percent", None,
           "Peak valid new leads in a month ÷ sales capacity; above 100 % some leads go unworked."),
    ]
}  # fmt: skip

SUMMARY = tuple(METRICS)
CHANNEL_METRICS = tuple(k for k, m in METRICS.items() if m.per_channel)
INTEGER_METRICS = {"payback_month", "unit_payback_months"}

# Monte Carlo: an undefined value of these means "infinitely bad or late", of these "zero".
INFINITE_WHEN_UNDEFINED = {"cac", "cac_eventual", "cpl", "payback_month", "unit_payback_months"}
ZERO_WHEN_UNDEFINED = {"ltv_to_cac"}

STRATEGIES = ("generate", "buy", "blend")
STRATEGY_LABELS = {"generate": "Generate", "buy": "Buy", "blend": "Blend"}
STRATEGY_HELP = {
    "generate": "The whole budget on the generate channels (own marketing), split by their plan shares.",
    "buy": "The whole budget on the vendors, split by their plan shares.",
    "blend": "The plan: each channel gets its own share of the budget.",
}


def clean(v: Any) -> Any:
    """A JSON-safe scalar: NaN and infinities become None, numpy scalars plain Python."""
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int) or (hasattr(v, "dtype") and getattr(v.dtype, "kind", "") in "iu"):
        return int(v)
    f = float(v)
    return f if math.isfinite(f) else None


@lru_cache(maxsize=256)
def currency_symbol(currency: str) -> str:
    """The symbol people read for an ISO 4217 code: $, €, £, CA$; the code itself when there is none."""
    if not currency:
        return ""
    from babel.numbers import get_currency_symbol

    try:
        return get_currency_symbol(currency, locale="en")
    except Exception:  # an unknown code shows as itself
        return currency


def money(v: float | None, currency: str = "", decimals: int | None = None) -> str:
    """Money with its currency symbol and thousands separators: $40,000, −€2,850, $72.80; '—' when undefined."""
    if v is None or not math.isfinite(v):
        return DASH
    if decimals is None:
        decimals = 2 if 0 < abs(v) < 100 else 0
    text = f"{abs(v):,.{decimals}f}"
    sign = "−" if v < 0 and float(text.replace(",", "")) != 0 else ""
    return f"{sign}{currency_symbol(currency)}{text}"


def money_short(v: float | None, currency: str = "") -> str:
    """Money for a sentence or a card: $6.9 M, €480 k, $950; '—' when undefined."""
    if v is None or not math.isfinite(v):
        return DASH
    a = abs(v)
    sign = "−" if v < 0 else ""
    sym = currency_symbol(currency)
    if a >= 1e6:
        return f"{sign}{sym}{a / 1e6:,.1f} M"
    if a >= 1e4:
        return f"{sign}{sym}{a / 1e3:,.0f} k"
    return f"{sign}{money(a, currency)}"


def fmt(name: str, v: Any, currency: str = "") -> str:
    """A metric as people read it: money, whole counts, percentages, months; '—' if undefined."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return DASH
    kind = METRICS[name].format if name in METRICS else "count"
    if kind == "money":
        return money(v, currency)
    if kind == "percent":
        return f"{v * 100:,.1f} %"
    if kind == "ratio":
        return f"{v:,.2f}×"
    if kind == "month":
        return f"month {int(v)}"
    if kind == "months":
        return f"{int(v)} months" if int(v) != 1 else "1 month"
    if kind == "share":
        return f"{v * 100:,.1f} %"
    return f"{v:,.0f}"
