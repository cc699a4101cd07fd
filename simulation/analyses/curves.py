"""Response curves: each channel's leads, customers and marginal cost per customer against its monthly spend; and
where the next slice of budget does most."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine import div, params_of, simulate, summarize
from ..schema import Scenario
from ..strategies import plan_allocation


@dataclass(frozen=True)
class Curve:
    """One channel alone at each monthly spend of a grid (the others at 0), over the horizon.

    `leads`: average valid leads a month (its baseline included); `customers`: customers eventually won from the
    horizon's worked leads; `marginal_cost_per_customer[i]`: Δ total cost / Δ customers from grid point i − 1 to i
    (NaN at i = 0 and where customers do not grow, e.g. above a vendor's cap)."""

    channel: str
    label: str
    kind: str
    spend: np.ndarray
    leads: np.ndarray
    customers: np.ndarray
    marginal_cost_per_customer: np.ndarray
    today_spend: float


def spend_grid(scn: Scenario, cid: str, points: int) -> np.ndarray:
    """0 to 2.5 × max(today's plan spend on the channel, B / number of channels)."""
    ch = scn.channel[cid]
    B = scn.budget.monthly
    top = 2.5 * max(ch.share * B, B / len(scn.channel))
    if top <= 0:  # no budget at all: about a hundred leads a month at the list price
        top = 2.5 * 100 * ch.cost_per_lead
    return np.linspace(0.0, top, points)


def curves(scn: Scenario, points: int = 25) -> dict[str, Curve]:
    """Per channel, its response to its own monthly spend; every channel in one engine call."""
    if points < 2:
        raise ValueError(f"points: {points!r} is not allowed; allowed at least 2")
    p = params_of(scn)
    ids = list(scn.channel)
    C = len(ids)
    grids = np.array([spend_grid(scn, cid, points) for cid in ids])  # (C, P)
    plan = np.zeros((C, points, C))
    plan[np.arange(C), :, np.arange(C)] = grids
    m = simulate(p, plan.reshape(1, C * points, C), tail=False, detail=False)
    own = np.arange(C).repeat(points)
    rows = np.arange(C * points)
    t = {k: v[0, rows, own].reshape(C, points) for k, v in m.totals.items()}
    leads = t["leads"] / p.horizon
    customers = t["worked"] * m.win[0, 0, :, None]
    cost = t["spend"] - t["refunds"] + t["fixed_costs"] + t["sales_cost"]
    d_cust = np.diff(customers, axis=1)
    d_cost = np.diff(cost, axis=1)
    grows = d_cust > 1e-12 * np.maximum(np.abs(customers[:, 1:]), 1.0)
    marginal = np.where(grows, div(d_cost, np.where(grows, d_cust, 1.0)), np.nan)
    marginal = np.concatenate([np.full((C, 1), np.nan), marginal], axis=1)
    B = scn.budget.monthly
    return {
        cid: Curve(
            channel=cid,
            label=ch.display_label(cid),
            kind=ch.kind,
            spend=grids[c],
            leads=leads[c],
            customers=customers[c],
            marginal_cost_per_customer=marginal[c],
            today_spend=float(ch.share * B),
        )  # fmt: skip
        for c, (cid, ch) in enumerate(scn.channel.items())
    }


@dataclass(frozen=True)
class NextBudget:
    """What `amount` more a month on one channel adds to the plan (the Blend allocation), others unchanged."""

    channel: str
    label: str
    kind: str
    amount: float
    extra_customers: float  # customers_eventual
    extra_npv: float  # npv_lifetime
    extra_cost: float  # total cost over the horizon
    cost_per_extra_customer: float | None  # extra cost ÷ extra customers; None when customers do not grow


def next_budget(scn: Scenario, amount: float = 1000.0) -> list[NextBudget]:
    """Where `amount` more of monthly spend does most: per channel, the plan with that channel's spend raised by
    `amount` (beyond B if need be; a vendor's cap still holds), best lifetime value first."""
    p = params_of(scn)
    ids = list(scn.channel)
    C = len(ids)
    B = scn.budget.monthly
    base = plan_allocation(scn) * B
    plans = np.repeat(base[None], C + 1, axis=0)
    plans[np.arange(1, C + 1), np.arange(C)] += amount
    m = simulate(p, plans[None], tail=True, detail=False)
    s = summarize(p, m, np.array([B * p.horizon]))
    cust = s["customers_eventual"][0]
    npv = s["npv_lifetime"][0]
    cost = s["total_cost"][0]
    out = []
    for c, (cid, ch) in enumerate(scn.channel.items()):
        dc, dv, dk = cust[c + 1] - cust[0], npv[c + 1] - npv[0], cost[c + 1] - cost[0]
        out.append(NextBudget(
            channel=cid, label=ch.display_label(cid), kind=ch.kind, amount=float(amount), extra_customers=float(dc),
            extra_npv=float(dv), extra_cost=float(dk),
            cost_per_extra_customer=float(dk / dc) if dc > 1e-12 * max(abs(cust[0]), 1.0) else None,
        ))  # fmt: skip
    out.sort(key=lambda x: (-x.extra_npv if np.isfinite(x.extra_npv) else np.inf, -x.extra_customers))
    return out
