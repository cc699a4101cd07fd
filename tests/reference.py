"""A deliberately naive reference implementation of the version 2 model contract, for the tests.

Written from the contract text in PRODUCT.md only (never from ``simulation/engine``): one strategy
at a time, month by month, channel by channel, in plain Python loops and floats, with the
negative-binomial lag as an explicit convolution. It is slow on purpose; the engine must agree
with it on random scenarios. Undefined values are None.
"""

from __future__ import annotations

import math
from typing import Any

from simulation.schema import Scenario

EPS_LEADS = 1e-9  # the extended run stops when V and the open pipeline are below this many leads
MAX_TAIL = 240  # … or this many months after the horizon

SERIES = (
    "spend", "spend_generate", "spend_buy", "unspent", "refunds", "fixed_costs", "sales_cost", "total_cost",
    "leads", "leads_generate", "leads_buy", "unworked", "customers", "pipeline", "pipeline_leads",
    "pipeline_mql", "pipeline_sql", "revenue", "gross_profit", "cumulative_customers", "cumulative_cost",
    "cumulative_net", "cac_to_date", "cohort_cac",
)  # fmt: skip
CHANNEL_TOTALS = ("spend", "unspent", "refunds", "fixed_costs", "sales_cost", "total_cost", "leads", "unworked",
                  "customers", "customers_eventual")  # fmt: skip


def div(a: float, b: float) -> float | None:
    """a / b, or None (undefined) when b is 0 or the quotient is not finite."""
    if b == 0:
        return None
    q = a / b
    return q if math.isfinite(q) else None


def lag_pmf(k: int, q: float) -> float:
    """P(L = k) of the negative binomial with r = 3 and stay probability q."""
    return (k + 1) * (k + 2) / 2 * (1 - q) ** 3 * q**k


def stage_occupancy(k: int, q: float) -> tuple[float, float, float]:
    """Probability that a lead of age k (months since it arrived) is still in its first, second, third wait.

    L is the sum of three geometric waits (each stays with probability q a month)."""
    s1 = q ** (k + 1)  # first wait longer than k
    s2 = (k + 1) * (1 - q) * q ** (k + 1)  # first wait ended at i ≤ k, second wait longer than k − i
    s3 = (k + 1) * (k + 2) / 2 * (1 - q) ** 2 * q ** (k + 1)
    return s1, s2, s3


def lag_survival(k: int, q: float) -> float:
    """P(L > k): the lead is still open at age k."""
    return sum(stage_occupancy(k, q))


def leads_of(e: float, ch: Any) -> float:
    """Generated leads g(e) from effective spend e."""
    if e <= 0:
        return 0.0
    if ch.elasticity == 1:
        return e / ch.cost_per_lead
    ratio = e / ch.reference_spend
    if ratio == 0:  # e so small that e / reference_spend underflows: no lead either
        return 0.0
    return e / ch.cost_per_lead * ratio ** (ch.elasticity - 1)


def baseline_effective_spend(ch: Any) -> float:
    """e0 with g(e0) = starting_leads_per_month."""
    L0 = ch.starting_leads_per_month
    if L0 <= 0:
        return 0.0
    if ch.elasticity == 1:
        return L0 * ch.cost_per_lead
    return ch.reference_spend * (L0 * ch.cost_per_lead / ch.reference_spend) ** (1 / ch.elasticity)


def decay(ch: Any) -> float:
    """δ = 0.05^(1/R), 0 without a ramp."""
    return 0.05 ** (1 / ch.ramp_months) if ch.ramp_months > 0 else 0.0


def ltv_discounted(scn: Scenario) -> float:
    ec = scn.economics
    return sum(
        ec.revenue_per_customer_month * ec.gross_margin * (1 - ec.monthly_churn) ** (t - 1)
        * (1 + ec.discount_rate) ** (-t / 12)
        for t in range(1, ec.lifetime_months + 1)
    )  # fmt: skip


def ltv_undiscounted(scn: Scenario) -> float:
    ec = scn.economics
    return sum(
        ec.revenue_per_customer_month * ec.gross_margin * (1 - ec.monthly_churn) ** t for t in range(ec.lifetime_months)
    )


def allocation_of(scn: Scenario, strategy: str) -> list[float] | None:
    """Generate / Buy: B over that kind's channels by their shares (equally when all 0); Blend: own shares."""
    chans = list(scn.channel.values())
    if strategy == "blend":
        return [c.share for c in chans]
    mask = [c.kind == strategy for c in chans]
    if not any(mask):
        return None
    total = sum(c.share for c, k in zip(chans, mask, strict=True) if k)
    if total > 0:
        return [c.share / total if k else 0.0 for c, k in zip(chans, mask, strict=True)]
    n = sum(mask)
    return [1.0 / n if k else 0.0 for k in mask]


def simulate(scn: Scenario, allocation: list[float] | list[list[float]]) -> dict[str, Any]:
    """One strategy: `allocation` is a share of B per channel, or per channel a list of H monthly shares.

    Returns {"summary": {metric: value}, "channels": {id: {metric: value}}, "monthly": {series: [H values]},
    "channel_monthly": {id: {spend, leads, customers, pipeline: [H values]}}, "months_run": months simulated}."""
    ids = list(scn.channel)
    chans = [scn.channel[c] for c in ids]
    C = len(chans)
    H = scn.horizon_months
    B = scn.budget.monthly
    ec = scn.economics
    cap_total = scn.sales.capacity_leads_per_month
    cpw = scn.sales.cost_per_worked_lead

    def wanted(c: int, m: int) -> float:
        if m > H:
            return 0.0
        a = allocation[c]
        share = a[m - 1] if isinstance(a, list | tuple) else a
        return share * B

    deltas = [decay(ch) for ch in chans]
    stock = [
        baseline_effective_spend(ch) / (1 - deltas[i]) if ch.kind == "generate" else 0.0 for i, ch in enumerate(chans)
    ]
    qs = [ch.nurture_months / (3 + ch.nurture_months) for ch in chans]
    ps = [ch.lead_to_mql * ch.mql_to_sql * ch.sql_to_customer for ch in chans]
    refund_due: dict[tuple[int, int], float] = {}  # (channel, month) → amount credited then

    rows: list[dict[str, Any]] = []  # one per month, per-channel lists inside
    inflow: list[list[float]] = [[] for _ in range(C)]  # worked leads entering the funnel (starting pipeline too)
    last = H + MAX_TAIL
    for m in range(1, last + 1):
        spend, unspent, leads, worked, refunds, fixed, sales, customers, pipeline = ([0.0] * C for _ in range(9))
        stages = [0.0, 0.0, 0.0]  # open leads, MQL, SQL
        for c, ch in enumerate(chans):
            x = wanted(c, m)
            if ch.kind == "generate":
                d = deltas[c]
                stock[c] = d * stock[c] + x
                spend[c] = x
                leads[c] = leads_of((1 - d) * stock[c], ch)
            else:
                cap = ch.max_leads_per_month * ch.cost_per_lead if ch.max_leads_per_month > 0 else math.inf
                spend[c] = min(x, cap)
                unspent[c] = x - spend[c]
                leads[c] = spend[c] / ch.cost_per_lead * (1 - ch.invalid_rate)
                refund = spend[c] * min(ch.invalid_rate, ch.return_cap)
                if refund > 0:
                    key = (c, m + ch.refund_delay_months)
                    refund_due[key] = refund_due.get(key, 0.0) + refund
        V = sum(leads)
        scale = cap_total / V if cap_total > 0 and V > cap_total else 1.0
        for c, ch in enumerate(chans):
            worked[c] = leads[c] * scale
            inflow[c].append(worked[c] + (ch.starting_pipeline if m == 1 else 0.0))
            refunds[c] = refund_due.pop((c, m), 0.0)
            fixed[c] = ch.fixed_monthly_cost if (m <= H and spend[c] > 0) else 0.0
            sales[c] = cpw * worked[c]
            q = qs[c]
            won = 0.0
            for j in range(1, m + 1):  # arrival month j, age m − j
                n = inflow[c][j - 1]
                if n == 0:
                    continue
                won += n * lag_pmf(m - j, q)
                s1, s2, s3 = stage_occupancy(m - j, q)
                pipeline[c] += n * (s1 + s2 + s3)
                a, b = ch.lead_to_mql, ch.mql_to_sql
                stages[0] += n * (s1 + (1 - a) * s2 + (1 - a) * s3)
                stages[1] += n * (a * s2 + a * (1 - b) * s3)
                stages[2] += n * (a * b * s3)
            customers[c] = ps[c] * won
        total_cost = [spend[c] - refunds[c] + fixed[c] + sales[c] for c in range(C)]
        rows.append(dict(spend=spend, unspent=unspent, leads=leads, worked=worked, refunds=refunds, fixed=fixed,
                         sales=sales, customers=customers, pipeline=pipeline, cost=total_cost, stages=stages,
                         V=V, want=sum(wanted(c, m) for c in range(C))))  # fmt: skip
        if m > H and V < EPS_LEADS and sum(pipeline) < EPS_LEADS and not refund_due:
            break

    # ---- within the horizon -----------------------------------------------------------------------
    hz = rows[:H]
    churn = ec.monthly_churn
    cust_h = [sum(r["customers"]) for r in hz]
    revenue = []
    for t in range(1, H + 1):
        paying = sum(cust_h[m - 1] * (1 - churn) ** (t - m - 1) for m in range(1, t) if t - m <= ec.lifetime_months)
        revenue.append(ec.revenue_per_customer_month * paying)
    gross = [r * ec.gross_margin for r in revenue]
    disc = [(1 + ec.discount_rate) ** (-m / 12) for m in range(1, len(rows) + 1)]

    monthly: dict[str, list[float | None]] = {k: [] for k in SERIES}
    cum_cust = cum_cost = cum_gp = 0.0
    for t, r in enumerate(hz):
        is_buy = [ch.kind == "buy" for ch in chans]
        cost = sum(r["cost"])
        cum_cust += sum(r["customers"])
        cum_cost += cost
        cum_gp += gross[t]
        cohort = sum(ps[c] * r["worked"][c] for c in range(C))
        vals = {
            "spend": sum(r["spend"]),
            "spend_generate": sum(s for s, b in zip(r["spend"], is_buy, strict=True) if not b),
            "spend_buy": sum(s for s, b in zip(r["spend"], is_buy, strict=True) if b),
            "unspent": B - sum(r["spend"]),
            "refunds": sum(r["refunds"]),
            "fixed_costs": sum(r["fixed"]),
            "sales_cost": sum(r["sales"]),
            "total_cost": cost,
            "leads": sum(r["leads"]),
            "leads_generate": sum(x for x, b in zip(r["leads"], is_buy, strict=True) if not b),
            "leads_buy": sum(x for x, b in zip(r["leads"], is_buy, strict=True) if b),
            "unworked": sum(r["leads"]) - sum(r["worked"]),
            "customers": sum(r["customers"]),
            "pipeline": sum(r["pipeline"]),
            "pipeline_leads": r["stages"][0],
            "pipeline_mql": r["stages"][1],
            "pipeline_sql": r["stages"][2],
            "revenue": revenue[t],
            "gross_profit": gross[t],
            "cumulative_customers": cum_cust,
            "cumulative_cost": cum_cost,
            "cumulative_net": cum_gp - cum_cost,
            "cac_to_date": div(cum_cost, cum_cust),
            "cohort_cac": div(cost, cohort),
        }
        for k in SERIES:
            monthly[k].append(vals[k])

    channels: dict[str, dict[str, float | None]] = {}
    channel_monthly: dict[str, dict[str, list[float]]] = {}
    for c, (cid, ch) in enumerate(zip(ids, chans, strict=True)):
        tot = {
            "spend": sum(r["spend"][c] for r in hz),
            "unspent": sum(r["unspent"][c] for r in hz),
            "refunds": sum(r["refunds"][c] for r in hz),
            "fixed_costs": sum(r["fixed"][c] for r in hz),
            "sales_cost": sum(r["sales"][c] for r in hz),
            "leads": sum(r["leads"][c] for r in hz),
            "unworked": sum(r["leads"][c] - r["worked"][c] for r in hz),
            "customers": sum(r["customers"][c] for r in hz),
            "worked": sum(r["worked"][c] for r in hz),
        }
        tot["total_cost"] = tot["spend"] - tot["refunds"] + tot["fixed_costs"] + tot["sales_cost"]
        tot["customers_eventual"] = ps[c] * (tot["worked"] + ch.starting_pipeline)
        tot["cpl"] = div(tot["spend"] - tot["refunds"], tot["leads"])
        tot["cac"] = div(tot["total_cost"], tot["customers"])
        tot["cac_eventual"] = div(tot["total_cost"], tot["customers_eventual"])
        # Eventual MQLs / SQLs of everything that entered the funnel (worked leads and the starting pipeline,
        # like customers_eventual).
        tot["mqls"] = ch.lead_to_mql * (tot["worked"] + ch.starting_pipeline)
        tot["sqls"] = ch.lead_to_mql * ch.mql_to_sql * (tot["worked"] + ch.starting_pipeline)
        tot["pipeline_end"] = hz[-1]["pipeline"][c]
        channels[cid] = tot
        channel_monthly[cid] = {
            "spend": [r["spend"][c] for r in hz],
            "leads": [r["leads"][c] for r in hz],
            "customers": [r["customers"][c] for r in hz],
            "pipeline": [r["pipeline"][c] for r in hz],
        }

    def total(k: str) -> float:
        return sum(channels[cid][k] for cid in ids)

    s: dict[str, Any] = {k: total(k) for k in CHANNEL_TOTALS}
    s["unspent"] = B * H - s["spend"]
    s["mqls"] = total("mqls")
    s["sqls"] = total("sqls")
    s["cpl"] = div(s["spend"] - s["refunds"], s["leads"])
    s["cac"] = div(s["total_cost"], s["customers"])
    s["cac_eventual"] = div(s["total_cost"], s["customers_eventual"])
    s["revenue"] = sum(revenue)
    s["gross_profit"] = sum(gross)
    s["roi"] = div(s["gross_profit"] - s["total_cost"], s["total_cost"])
    s["ltv"] = ltv_undiscounted(scn)
    s["ltv_discounted"] = ltv_d = ltv_discounted(scn)
    s["ltv_to_cac"] = div(s["ltv"], s["cac"]) if s["cac"] is not None else None
    s["roi_lifetime"] = div(s["customers_eventual"] * s["ltv"] - s["total_cost"], s["total_cost"])
    s["payback_month"] = None
    if s["total_cost"] != 0:
        for t in range(H):
            if monthly["cumulative_net"][t] >= 0:
                s["payback_month"] = t + 1
                break
    s["pipeline_end"] = monthly["pipeline"][-1]
    s["pipeline_peak"] = max(monthly["pipeline"])
    s["npv"] = sum(disc[t] * (gross[t] - monthly["total_cost"][t]) for t in range(H))
    s["npv_lifetime"] = sum(disc[t] * (sum(r["customers"]) * ltv_d - sum(r["cost"])) for t, r in enumerate(rows))
    s["unit_payback_months"] = None
    if s["cac_eventual"] is not None:
        acc = 0.0
        for n in range(1, ec.lifetime_months + 1):
            acc += (ec.revenue_per_customer_month * ec.gross_margin * (1 - churn) ** (n - 1)
                    * (1 + ec.discount_rate) ** (-n / 12))  # fmt: skip
            if acc >= s["cac_eventual"]:
                s["unit_payback_months"] = n
                break
    s["capacity_used"] = max(r["V"] for r in hz) / cap_total if cap_total > 0 else None
    for cid in ids:
        for k in ("mqls", "sqls", "worked", "pipeline_end"):
            channels[cid].pop(k)
    ltv_scale = max(s["ltv"], ltv_d, 0.0)
    scales = {  # magnitudes for absolute tolerances where values can cancel to about 0
        "count": sum(r["V"] for r in rows) + sum(ch.starting_pipeline for ch in chans),
        "money": sum(sum(r["spend"]) + sum(r["refunds"]) + sum(r["fixed"]) + sum(r["sales"])
                     + sum(r["customers"]) * ltv_scale for r in rows) + sum(gross) + sum(revenue),
    }  # fmt: skip
    return {
        "scales": scales,
        "summary": s,
        "channels": channels,
        "monthly": monthly,
        "channel_monthly": channel_monthly,
        "months_run": len(rows),
    }


def crossover(gen: list[float | None], buy: list[float | None]) -> int | None:
    """First month from which gen ≤ buy in every month through the end; an undefined value never counts."""
    first = None
    for t, (g, b) in enumerate(zip(gen, buy, strict=True)):
        ok = g is not None and b is not None and g <= b
        if ok and first is None:
            first = t + 1
        elif not ok:
            first = None
    return first


def run(scn: Scenario) -> dict[str, Any]:
    """All three strategies: {"strategies": {name: result or None}, "crossover_month", "cohort_crossover_month"}."""
    out: dict[str, Any] = {}
    for name in ("generate", "buy", "blend"):
        alloc = allocation_of(scn, name)
        out[name] = None if alloc is None else simulate(scn, alloc)
    cross = cohort = None
    if out["generate"] is not None and out["buy"] is not None:
        g, b = out["generate"]["monthly"], out["buy"]["monthly"]
        cross = crossover(g["cac_to_date"], b["cac_to_date"])
        cohort = crossover(g["cohort_cac"], b["cohort_cac"])
    return {"strategies": out, "crossover_month": cross, "cohort_crossover_month": cohort}
