"""The field registry: every numeric scenario field once, with label, unit, bounds, group, help and format.

Channel fields are declared once for all channels (``channel.*.cost_per_lead``); the dotted
name of one channel's field is ``channel.<id>.<field>``. Widgets, links, docs tables, tornado
labels and error messages are all derived from here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Kind = Literal["rate", "money", "count", "months", "integer"]
ChannelKind = Literal["generate", "buy"]

# Engineering upper bounds where the contract only says "≥ 0": large enough for any real
# business, small enough that no sum overflows or loses precision.
MAX_MONEY = 1e9
MAX_PRICE = 1e6
MAX_COUNT = 1e7


@dataclass(frozen=True)
class FieldSpec:
    """One numeric field: where it lives, what it means, which values it takes."""

    key: str  # "budget.monthly", or the channel field's leaf ("cost_per_lead") for channel fields
    label: str
    kind: Kind
    unit: str
    help: str
    lo: float
    hi: float
    lo_open: bool = False
    default: float | None = None  # None = required
    group: str = ""
    only: ChannelKind | None = None  # channel fields that belong to one kind of channel
    rangeable: bool = True

    @property
    def is_int(self) -> bool:
        return self.kind == "integer"

    def contains(self, v: float) -> bool:
        """Whether v is a finite value inside the field's own range."""
        if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
            return False
        above = v > self.lo if self.lo_open else v >= self.lo
        return above and v <= self.hi

    def range_text(self) -> str:
        left = "(" if self.lo_open else "["
        return f"{left}{num(self.lo)}, {num(self.hi)}]"


def num(v: float) -> str:
    """A bound as people read it: 0.1, 60, 1,000,000,000."""
    return f"{v:g}" if abs(v) < 1e6 else f"{v:,.0f}"


def _s(key, label, kind, unit, help, lo, hi, *, lo_open=False, default=None, group="", only=None, rangeable=True):
    return FieldSpec(key, label, kind, unit, help, float(lo), float(hi), lo_open, default, group, only, rangeable)


SCALAR_FIELDS: dict[str, FieldSpec] = {
    s.key: s
    for s in [
        _s("horizon_months", "Horizon", "integer", "months", "Months simulated.", 1, 120, default=24,
           group="Budget & horizon", rangeable=False),
        _s("budget.monthly", "Monthly budget", "money", "per month",
           "What every strategy allocates across the channels each month (media plus purchased leads). "
           "Fixed costs and sales costs come on top.", 0, MAX_MONEY, group="Budget & horizon"),
        _s("economics.revenue_per_customer_month", "Revenue per customer per month", "money",
           "per customer per month", "Revenue a customer pays each month, from the month after the deal is won.",
           0, MAX_PRICE, group="Economics"),
        _s("economics.gross_margin", "Gross margin", "rate", "of revenue",
           "Share of revenue left after the cost of serving the customer.", 0, 1, group="Economics"),
        _s("economics.monthly_churn", "Monthly churn", "rate", "per month",
           "Share of customers lost each month.", 0, 1, group="Economics"),
        _s("economics.lifetime_months", "Customer lifetime cap", "integer", "months",
           "Longest a customer pays, in months; lifetime value counts at most this many months.", 1, 240,
           default=60, group="Economics"),
        _s("economics.discount_rate", "Discount rate (a year)", "rate", "a year",
           "What money a year from now is worth less than money today (cost of capital). 0 = no discounting.",
           0, 1, default=0.0, group="Economics"),
        _s("sales.capacity_leads_per_month", "Sales capacity", "count", "leads per month",
           "Valid new leads the sales team can work a month; leads above it are never contacted. 0 = no limit.",
           0, MAX_COUNT, default=0.0, group="Sales"),
        _s("sales.cost_per_worked_lead", "Sales cost per worked lead", "money", "per lead",
           "Sales effort spent on each lead the team works, part of acquisition cost.", 0, MAX_PRICE,
           default=0.0, group="Sales"),
    ]
}  # fmt: skip

CHANNEL_FIELDS: dict[str, FieldSpec] = {
    s.key: s
    for s in [
        _s("cost_per_lead", "Cost per lead", "money", "per lead",
           "Generate: cost per lead at steady state, at the reference spend. Buy: the vendor's price per "
           "delivered lead.", 0, MAX_PRICE, lo_open=True),
        _s("share", "Share of budget (plan)", "rate", "of budget",
           "Share of the monthly budget this channel gets in the plan (the Blend strategy).", 0, 1, default=0.0,
           rangeable=False),
        _s("fixed_monthly_cost", "Fixed cost per month", "money", "per month",
           "Team, tools or platform fees, charged every month the channel has spend.", 0, MAX_MONEY, default=0.0),
        _s("lead_to_mql", "Lead → MQL", "rate", "of leads",
           "Share of leads that become marketing-qualified leads (MQL).", 0, 1),
        _s("mql_to_sql", "MQL → SQL", "rate", "of MQLs",
           "Share of MQLs that become sales-qualified leads (SQL).", 0, 1),
        _s("sql_to_customer", "SQL → customer", "rate", "of SQLs",
           "Share of SQLs that become paying customers (win rate).", 0, 1),
        _s("nurture_months", "Nurture time", "months", "months",
           "Average months from a lead's arrival to its close, won or lost.", 0, 36),
        _s("ramp_months", "Ramp-up", "months", "months",
           "Months until a steady spend reaches 95 % of its lead volume; when spend stops, leads fade at the "
           "same pace. 0 = no ramp, no fade.", 0, 60, default=0.0, only="generate"),
        _s("elasticity", "Elasticity", "rate", "",
           "How lead volume grows with spend: doubling spend multiplies leads by 2^elasticity. "
           "1 = no diminishing returns.", 0.1, 1, default=1.0, only="generate"),
        _s("reference_spend", "Reference spend", "money", "per month",
           "The monthly spend at which the cost per lead holds; needed when elasticity is below 1.",
           0, MAX_MONEY, lo_open=True, only="generate"),
        _s("starting_leads_per_month", "Leads today without spend", "count", "leads per month",
           "What past work yields today with no new spend (needs a ramp-up above 0).", 0, MAX_COUNT,
           default=0.0, only="generate"),
        _s("starting_pipeline", "Open leads on day one", "count", "leads",
           "This channel's leads already in flight on day one; they close over the nurture time.", 0, MAX_COUNT,
           default=0.0),
        _s("max_leads_per_month", "Vendor cap", "count", "leads per month",
           "Most leads the vendor can deliver a month; 0 = no cap. Budget above the cap stays unspent.",
           0, MAX_COUNT, default=0.0, only="buy"),
        _s("invalid_rate", "Invalid leads", "rate", "of delivered leads",
           "Share of delivered leads that are unusable (wrong contact, duplicate, no intent).", 0, 1,
           default=0.0, only="buy"),
        _s("return_cap", "Refund cap", "rate", "of delivered leads",
           "Most of the delivered leads the vendor refunds as invalid returns.", 0, 1, default=0.0, only="buy"),
        _s("refund_delay_months", "Refund delay", "integer", "months",
           "Months until a refund is credited.", 0, 6, default=0, only="buy", rangeable=False),
    ]
}  # fmt: skip

# Order of a channel's fields on screen and in files: cost per lead first.
CHANNEL_ORDER = list(CHANNEL_FIELDS)


def channel_field_names(kind: ChannelKind) -> list[str]:
    """The channel fields that a channel of this kind has, in display order."""
    return [k for k, s in CHANNEL_FIELDS.items() if s.only in (None, kind)]


def spec_of(name: str) -> FieldSpec | None:
    """The spec of a dotted name: a scalar field, or ``channel.<id>.<field>``."""
    if name in SCALAR_FIELDS:
        return SCALAR_FIELDS[name]
    parts = name.split(".")
    if len(parts) == 3 and parts[0] == "channel":
        return CHANNEL_FIELDS.get(parts[2])
    return None


def channel_key(cid: str, field: str) -> str:
    return f"channel.{cid}.{field}"
