"""Metrics over the horizon from the engine's monthly arrays: per allocation (N, S), per channel (N, S, C)."""

from __future__ import annotations

import numpy as np

from .funnel import Monthly, discounted_ltv, ltv
from .params import Params


def div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b where b > 0, NaN elsewhere (and never an infinity)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)
    return np.where(np.isfinite(out), out, np.nan)


def cumulative(m: Monthly) -> dict[str, np.ndarray]:
    """Cumulative customers, cost and net cash, and CAC to date (NaN before the first customer): (N, S, T)."""
    cost = m.total_cost.sum(axis=2)
    cum_cust = np.cumsum(m.customers.sum(axis=2), axis=-1)
    cum_cost = np.cumsum(cost, axis=-1)
    return {
        "cumulative_customers": cum_cust,
        "cumulative_cost": cum_cost,
        "cumulative_net": np.cumsum(m.gross_profit, axis=-1) - cum_cost,
        "cac_to_date": div(cum_cost, cum_cust),
    }


def cohort_cac(m: Monthly) -> np.ndarray:
    """cost(m) / eventual customers from the leads that arrived in month m: (N, S, T)."""
    eventual = (m.worked * m.win[..., None]).sum(axis=2)
    return div(m.total_cost.sum(axis=2), eventual)


def channel_metrics(m: Monthly) -> dict[str, np.ndarray]:
    """Per channel metrics over the horizon: (N, S, C)."""
    spend = m.spend.sum(-1)
    refunds = m.refunds.sum(-1)
    fixed = m.fixed_costs.sum(-1)
    sales = m.sales_cost.sum(-1)
    cost = spend - refunds + fixed + sales
    leads = m.leads.sum(-1)
    worked = m.worked.sum(-1)
    customers = m.customers.sum(-1)
    eventual = (worked + m.starting_pipeline) * m.win
    return {
        "spend": spend,
        "unspent": m.unspent.sum(-1),
        "refunds": refunds,
        "fixed_costs": fixed,
        "sales_cost": sales,
        "total_cost": cost,
        "leads": leads,
        "unworked": leads - worked,
        "customers": customers,
        "customers_eventual": eventual,
        "cpl": div(spend - refunds, leads),
        "cac": div(cost, customers),
        "cac_eventual": div(cost, eventual),
    }


def unit_payback(p: Params, cac_eventual: np.ndarray) -> np.ndarray:
    """Smallest whole n ≤ lifetime whose discounted gross profit of one customer reaches CAC; NaN otherwise."""
    s = p.scalar
    life = int(s["economics.lifetime_months"].max())
    t = np.arange(1, life + 1, dtype=float)
    keep = (1.0 - s["economics.monthly_churn"])[:, None]
    beta = ((1.0 + s["economics.discount_rate"]) ** (-1.0 / 12.0))[:, None]
    per = (s["economics.revenue_per_customer_month"] * s["economics.gross_margin"])[:, None]
    cum = np.cumsum(per * keep ** (t - 1.0) * beta**t, axis=-1)  # (N, life)
    cum = np.where(t <= s["economics.lifetime_months"][:, None], cum, -np.inf)
    cac = cac_eventual  # (N, S)
    reached = cum[:, None, :] >= cac[..., None] * (1 - 1e-12)
    n = np.argmax(reached, axis=-1) + 1.0
    return np.where(reached.any(axis=-1) & np.isfinite(cac), n, np.nan)


def summarize(p: Params, m: Monthly, months_budget: np.ndarray) -> dict[str, np.ndarray]:
    """Metrics per allocation (N, S), NaN where undefined. `months_budget` = B·H per draw (N,) or (N, S)."""
    ch = channel_metrics(m)
    tot = {k: ch[k].sum(-1) for k in ("spend", "refunds", "fixed_costs", "sales_cost", "total_cost", "leads",
                                       "unworked", "customers", "customers_eventual")}  # fmt: skip
    worked_all = m.worked.sum(-1) + m.starting_pipeline
    q1 = p.chan["lead_to_mql"][:, None, :]
    q2 = p.chan["mql_to_sql"][:, None, :]
    mqls = (worked_all * q1).sum(-1)
    sqls = (worked_all * q1 * q2).sum(-1)
    cost = tot["total_cost"]
    cost_m = m.total_cost.sum(axis=2)  # (N, S, T)
    revenue = m.revenue.sum(-1)
    gp = m.gross_profit.sum(-1)
    value = np.broadcast_to(ltv(p)[:, None], cost.shape)
    value_d = np.broadcast_to(discounted_ltv(p)[:, None], cost.shape)

    cum_cost = np.cumsum(cost_m, axis=-1)
    cum_net = np.cumsum(m.gross_profit, axis=-1) - cum_cost
    reached = cum_net >= -1e-9 * np.maximum(1.0, cum_cost)
    payback = np.where(reached.any(axis=-1) & (cost > 0), np.argmax(reached, axis=-1) + 1.0, np.nan)

    customers_m = m.customers.sum(axis=2)
    npv = (m.discount * (m.gross_profit - cost_m)).sum(-1)
    npv_lifetime = (m.discount * (customers_m * value_d[..., None] - cost_m)).sum(-1) + m.tail_value
    cac = div(cost, tot["customers"])
    cac_ev = div(cost, tot["customers_eventual"])
    capacity = p.scalar["sales.capacity_leads_per_month"][:, None]
    peak = m.new_leads.max(axis=-1)
    budget = np.asarray(months_budget, float)
    budget = budget[:, None] if budget.ndim == 1 else budget
    return {
        "spend": tot["spend"],
        "unspent": budget - tot["spend"],
        "refunds": tot["refunds"],
        "fixed_costs": tot["fixed_costs"],
        "sales_cost": tot["sales_cost"],
        "total_cost": cost,
        "leads": tot["leads"],
        "unworked": tot["unworked"],
        "mqls": mqls,
        "sqls": sqls,
        "customers": tot["customers"],
        "customers_eventual": tot["customers_eventual"],
        "cpl": div(tot["spend"] - tot["refunds"], tot["leads"]),
        "cac": cac,
        "cac_eventual": cac_ev,
        "revenue": revenue,
        "gross_profit": gp,
        "roi": div(gp - cost, cost),
        "ltv": value,
        "ltv_discounted": value_d,
        "ltv_to_cac": div(value, cac),
        "roi_lifetime": div(tot["customers_eventual"] * value - cost, cost),
        "payback_month": payback,
        "pipeline_end": m.pipeline.sum(axis=2)[..., -1],
        "pipeline_peak": m.pipeline.sum(axis=2).max(axis=-1),
        "npv": npv,
        "npv_lifetime": npv_lifetime,
        "unit_payback_months": unit_payback(p, cac_ev),
        "capacity_used": np.where(capacity > 0, div(peak, np.broadcast_to(capacity, peak.shape)), np.nan),
    }
