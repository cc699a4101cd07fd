"""Metrics over the horizon from the engine's output: per allocation (N, S), per channel (N, S, C)."""

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
    cum_cust = np.cumsum(m.series["customers"], axis=-1)
    cum_cost = np.cumsum(m.series["total_cost"], axis=-1)
    return {
        "cumulative_customers": cum_cust,
        "cumulative_cost": cum_cost,
        "cumulative_net": np.cumsum(m.series["gross_profit"], axis=-1) - cum_cost,
        "cac_to_date": div(cum_cost, cum_cust),
    }


def cohort_cac(m: Monthly) -> np.ndarray:
    """cost(m) / eventual customers from the leads that arrived in month m: (N, S, T)."""
    return div(m.series["total_cost"], m.series["eventual_new"])


def channel_metrics(m: Monthly) -> dict[str, np.ndarray]:
    """Per channel metrics over the horizon: (N, S, C) (customers need a run with detail)."""
    t = m.totals
    cost = t["spend"] - t["refunds"] + t["fixed_costs"] + t["sales_cost"]
    eventual = (t["worked"] + m.starting_pipeline) * m.win
    out = {
        "spend": t["spend"],
        "unspent": t["unspent"],
        "refunds": t["refunds"],
        "fixed_costs": t["fixed_costs"],
        "sales_cost": t["sales_cost"],
        "total_cost": cost,
        "leads": t["leads"],
        "unworked": t["leads"] - t["worked"],
        "customers_eventual": eventual,
        "cpl": div(t["spend"] - t["refunds"], t["leads"]),
        "cac_eventual": div(cost, eventual),
    }
    if t.get("customers") is not None:
        out["customers"] = t["customers"]
        out["cac"] = div(cost, t["customers"])
    return out


def unit_payback(p: Params, cac_eventual: np.ndarray) -> np.ndarray:
    """Smallest whole n ≤ lifetime whose discounted gross profit of one customer reaches CAC; NaN otherwise."""
    s = p.scalar
    life = int(s["economics.lifetime_months"].max())
    t = np.arange(1, life + 1, dtype=float)
    keep = (1.0 - s["economics.monthly_churn"])[:, None]
    beta = ((1.0 + s["economics.discount_rate"]) ** (-1.0 / 12.0))[:, None]
    per = (s["economics.revenue_per_customer_month"] * s["economics.gross_margin"])[:, None]
    cum = np.cumsum(per * keep ** (t - 1.0) * beta**t, axis=-1)  # (N|1, life)
    cum = np.where(t <= s["economics.lifetime_months"][:, None], cum, -np.inf)
    cac = np.asarray(cac_eventual, float)
    target = np.where(np.isfinite(cac), cac * (1 - 1e-12), np.inf)
    if cum.shape[0] == 1:  # one lifetime: the cumulative sum is sorted
        idx = np.searchsorted(cum[0], target, side="left")
    else:
        reached = cum[:, None, :] >= target[..., None]
        idx = np.where(reached.any(-1), np.argmax(reached, -1), life)
    return np.where(idx < life, idx + 1.0, np.nan)


def summarize(p: Params, m: Monthly, months_budget: np.ndarray) -> dict[str, np.ndarray]:
    """Metrics per allocation (N, S), NaN where undefined. `months_budget` = B·H per draw (N,) or (N, S)."""
    t = m.totals
    se = m.series
    spend = se["spend"].sum(-1)
    refunds = se["refunds"].sum(-1)
    cost_m = se["total_cost"]
    cost = cost_m.sum(-1)
    leads = se["leads"].sum(-1)
    customers = se["customers"].sum(-1)
    worked_all = t["worked"] + m.starting_pipeline
    q1 = p.chan["lead_to_mql"][:, None, :]
    q2 = p.chan["mql_to_sql"][:, None, :]
    mqls = (worked_all * q1).sum(-1)
    sqls = (worked_all * q1 * q2).sum(-1)
    eventual = (worked_all * m.win).sum(-1)
    gp_m = se["gross_profit"]
    revenue = se["revenue"].sum(-1)
    gp = gp_m.sum(-1)
    value = np.broadcast_to(ltv(p)[:, None], cost.shape)
    value_d = np.broadcast_to(discounted_ltv(p)[:, None], cost.shape)

    cum_cost = np.cumsum(cost_m, axis=-1)
    cum_net = np.cumsum(gp_m, axis=-1) - cum_cost
    reached = cum_net >= -1e-9 * np.maximum(1.0, cum_cost)
    payback = np.where(reached.any(axis=-1) & (cost > 0), np.argmax(reached, axis=-1) + 1.0, np.nan)

    npv = (m.discount * (gp_m - cost_m)).sum(-1)
    npv_lifetime = (m.discount * (se["customers"] * value_d[..., None] - cost_m)).sum(-1) + m.tail_value
    cac = div(cost, customers)
    cac_ev = div(cost, eventual)
    capacity = p.scalar["sales.capacity_leads_per_month"][:, None]
    peak = se["leads"].max(axis=-1)
    budget = np.asarray(months_budget, float)
    budget = budget[:, None] if budget.ndim == 1 else budget
    pipeline = se["pipeline"]
    return {
        "spend": spend,
        "unspent": budget - spend,
        "refunds": refunds,
        "fixed_costs": se["fixed_costs"].sum(-1),
        "sales_cost": se["sales_cost"].sum(-1),
        "total_cost": cost,
        "leads": leads,
        "unworked": se["unworked"].sum(-1),
        "mqls": mqls,
        "sqls": sqls,
        "customers": customers,
        "customers_eventual": eventual,
        "cpl": div(spend - refunds, leads),
        "cac": cac,
        "cac_eventual": cac_ev,
        "revenue": revenue,
        "gross_profit": gp,
        "roi": div(gp - cost, cost),
        "ltv": value,
        "ltv_discounted": value_d,
        "ltv_to_cac": div(value, cac),
        "roi_lifetime": div(eventual * value - cost, cost),
        "payback_month": payback,
        "pipeline_end": pipeline[..., -1],
        "pipeline_peak": pipeline.max(axis=-1),
        "npv": npv,
        "npv_lifetime": npv_lifetime,
        "unit_payback_months": unit_payback(p, cac_ev),
        "capacity_used": np.where(capacity > 0, div(peak, np.broadcast_to(capacity, peak.shape)), np.nan),
    }
