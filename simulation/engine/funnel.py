"""The funnel model (contract version 2) as pure array functions over draws, strategies, channels, months.

Shapes: N draws, S allocations ("strategies"), C channels, T months. The caller gives the spend
each channel wants each month, ``plan`` of shape (N|1, S, C) (constant) or (N|1, S, C, T).
Equation numbers in comments are those of docs/MODEL.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .params import Params

LAG_STAGES = 3  # open lead → MQL → SQL → close: three geometric waits
TAIL_MONTHS = 240  # the extended run stops at most this many months after the horizon
TAIL_EPS = 1e-9  # … or once new leads and the open pipeline are below this many leads
RAMP_LEVEL = 0.05  # a stock keeps 5 % of itself after ramp_months: 95 % of steady state


def stay_probability(nurture: np.ndarray) -> np.ndarray:
    """Monthly probability of staying in a stage, so that the mean total wait is `nurture`."""
    return nurture / (LAG_STAGES + nurture)


def lag_pmf(k: np.ndarray, nurture: np.ndarray) -> np.ndarray:
    """P(L = k) for the close lag L ~ negative binomial(r=3), mean exactly `nurture`."""
    q = stay_probability(nurture)
    return (k + 1.0) * (k + 2.0) / 2.0 * (1.0 - q) ** 3 * q**k


def lag_survival(k: np.ndarray, nurture: np.ndarray) -> np.ndarray:
    """P(L > k): share of a month's leads still open k months after they arrived."""
    q = stay_probability(nurture)
    n = k + 1.0
    return q**n * (1.0 + n * (1.0 - q) + n * (n + 1.0) / 2.0 * (1.0 - q) ** 2)


def decay(ramp_months: np.ndarray) -> np.ndarray:
    """δ of the lead stock: 0.05^(1/R), 0 when R = 0 (equation 2)."""
    r = np.asarray(ramp_months, float)
    with np.errstate(divide="ignore"):
        return np.where(r > 0, RAMP_LEVEL ** (1.0 / np.where(r > 0, r, 1.0)), 0.0)


def response(e: np.ndarray, cpl: np.ndarray, ref: np.ndarray, elasticity: np.ndarray) -> np.ndarray:
    """Leads from effective spend e: e/cpl · (e/ref)^(elasticity − 1); 0 when e = 0 (equation 2)."""
    e = np.maximum(e, 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        g = e / cpl * np.where(elasticity == 1.0, 1.0, (e / ref) ** (elasticity - 1.0))
    return np.where(e > 0, g, 0.0)


def baseline_spend(leads: np.ndarray, cpl: np.ndarray, ref: np.ndarray, elasticity: np.ndarray) -> np.ndarray:
    """The effective spend e0 whose leads are `leads`: the inverse of `response`."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        e0 = (leads * cpl * ref ** (elasticity - 1.0)) ** (1.0 / elasticity)
    return np.where(leads > 0, e0, 0.0)


def discounted_ltv(p: Params) -> np.ndarray:
    """ltv_d: one customer's discounted gross profit over its life, valued at the month won (equation 8): (N,)."""
    s = p.scalar
    keep = 1.0 - s["economics.monthly_churn"]
    beta = (1.0 + s["economics.discount_rate"]) ** (-1.0 / 12.0)
    life = s["economics.lifetime_months"]
    x = keep * beta
    with np.errstate(divide="ignore", invalid="ignore"):
        months = np.where(x < 1.0, beta * (1.0 - x**life) / np.where(x < 1.0, 1.0 - x, 1.0), life)
    return s["economics.revenue_per_customer_month"] * s["economics.gross_margin"] * months


def ltv(p: Params) -> np.ndarray:
    """Undiscounted gross-profit lifetime value of one customer (version 1's `ltv`): (N,)."""
    s = p.scalar
    churn = s["economics.monthly_churn"]
    life = s["economics.lifetime_months"]
    keep = 1.0 - churn
    with np.errstate(divide="ignore", invalid="ignore"):
        months = np.where(churn > 0, (1.0 - keep**life) / np.where(churn > 0, churn, 1.0), life)
    return s["economics.revenue_per_customer_month"] * s["economics.gross_margin"] * months


@dataclass(frozen=True)
class Monthly:
    """What the engine returns: per channel (N, S, C, T), per allocation (N, S, T), tail sums (N, S)."""

    # per channel
    spend: np.ndarray
    unspent: np.ndarray  # budget a cap left unspent
    refunds: np.ndarray  # refunds credited in the month
    fixed_costs: np.ndarray
    sales_cost: np.ndarray
    leads: np.ndarray  # valid new leads, baselines included
    worked: np.ndarray
    customers: np.ndarray
    pipeline: np.ndarray
    win: np.ndarray  # (N, 1, C) probability a worked lead is eventually won
    starting_pipeline: np.ndarray  # (N, 1, C)
    # per allocation
    pipeline_leads: np.ndarray
    pipeline_mql: np.ndarray
    pipeline_sql: np.ndarray
    revenue: np.ndarray
    gross_profit: np.ndarray
    new_leads: np.ndarray  # V(m): all valid new leads
    discount: np.ndarray  # (N, 1, T) (1 + r)^(−m/12)
    # the extended run after the horizon (equation 9)
    tail_value: np.ndarray  # Σ_{m>H} disc(m)·(customers(m)·ltv_d − cost(m))
    tail_months: int
    extra: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def unworked(self) -> np.ndarray:
        return self.leads - self.worked

    @property
    def total_cost(self) -> np.ndarray:
        """Per channel: spend − refunds + fixed costs + sales cost (equation 7)."""
        return self.spend - self.refunds + self.fixed_costs + self.sales_cost


def _refund_schedule(refund: np.ndarray, delay: np.ndarray, extra: int) -> np.ndarray:
    """Refunds moved `delay` months later: (N, S, C, T + extra)."""
    *lead, C, T = refund.shape
    out = np.zeros((*lead, C, T + extra))
    d = np.broadcast_to(delay, (delay.shape[0], C))
    if d.shape[0] != 1 and np.any(d != d[:1]):
        raise ValueError("refund delays must be the same in every draw")
    for c in range(C):
        k = int(d[0, c])
        out[..., c, k : k + T] = refund[..., c, :]
    return out


def simulate(p: Params, plan: np.ndarray, tail: bool = True) -> Monthly:
    """Month-by-month figures for every draw and allocation; `plan` is the spend each channel wants."""
    T = p.horizon
    plan = np.asarray(plan, float)
    varying = plan.ndim == 4
    if plan.ndim == 3:
        plan = plan[..., None]
    N = max(p.n_draws, plan.shape[0])
    S, C = plan.shape[1], plan.shape[2]
    ch = {k: v[:, None, :, None] for k, v in p.chan.items()}  # (N|1, 1, C, 1)
    sc = {k: v[:, None, None] for k, v in p.scalar.items()}  # (N|1, 1, 1)
    is_buy = p.is_buy[None, None, :, None]
    cpl = ch["cost_per_lead"]

    # 1. spend: a buy channel spends at most its cap in leads × its price
    cap = np.where(ch["max_leads_per_month"] > 0, ch["max_leads_per_month"] * cpl, np.inf)
    spend = np.where(is_buy, np.minimum(plan, cap), plan)
    unspent = plan - spend

    # 2. generated leads: a stock that builds and fades; effective spend e = (1 − δ)·S
    delta = decay(ch["ramp_months"])
    el, ref = ch["elasticity"], ch["reference_spend"]
    e0 = baseline_spend(ch["starting_leads_per_month"], cpl, ref, el)
    months = np.arange(1, T + 1, dtype=float)
    if not varying:
        dm = delta**months
        eff = spend * (1.0 - dm) + dm * e0
    else:
        eff = np.empty(np.broadcast_shapes(spend.shape, e0.shape, (1, 1, 1, T)))
        stock = np.where(delta < 1, e0 / (1.0 - delta), 0.0)[..., 0]
        for t in range(T):
            stock = delta[..., 0] * stock + spend[..., t]
            eff[..., t] = (1.0 - delta[..., 0]) * stock
    gen_leads = response(eff, cpl, ref, el)

    # 3. bought leads: valid share of delivered; refunds capped, credited later
    invalid = ch["invalid_rate"]
    buy_leads = spend / cpl * (1.0 - invalid)
    leads = np.broadcast_to(np.where(is_buy, buy_leads, gen_leads), (N, S, C, T))
    refund_made = np.where(is_buy, spend * np.minimum(invalid, ch["return_cap"]), 0.0)
    refund_made = np.broadcast_to(refund_made, (N, S, C, T))
    delays = p.chan["refund_delay_months"]
    max_delay = int(delays.max()) if delays.size else 0
    credited = _refund_schedule(refund_made, delays, max_delay) if max_delay else refund_made

    # 4. sales capacity: every channel scaled by C/V when valid new leads V exceed C
    capacity = sc["sales.capacity_leads_per_month"][..., None]  # (N|1,1,1,1)
    V = leads.sum(axis=2, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where((capacity > 0) & (V > capacity), capacity / np.where(V > 0, V, 1.0), 1.0)
    worked = leads * scale
    cpw = sc["sales.cost_per_worked_lead"][..., None]
    sales_cost = cpw * worked
    fixed = np.where(spend > 0, ch["fixed_monthly_cost"], 0.0)
    fixed = np.broadcast_to(fixed, (N, S, C, T))

    # 5. funnel: three geometric stages (negative binomial lag, r = 3, mean nurture_months)
    q = stay_probability(p.chan["nurture_months"])[:, None, :]  # (N|1, 1, C)
    q1, q2, q3 = (p.chan[f][:, None, :] for f in ("lead_to_mql", "mql_to_sql", "sql_to_customer"))
    win = q1 * q2 * q3
    start = p.chan["starting_pipeline"][:, None, :]
    s1 = np.zeros((N, S, C))
    s2 = np.zeros((N, S, C))
    s3 = np.zeros((N, S, C))
    closed = np.empty((T, N, S, C))
    h1 = np.empty((T, N, S, C))
    h2 = np.empty((T, N, S, C))
    h3 = np.empty((T, N, S, C))
    arrivals = np.moveaxis(worked, -1, 0)
    for t in range(T):
        inflow = s1 + arrivals[t]
        if t == 0:
            inflow = inflow + start
        np.multiply(q, inflow, out=s1)
        out = inflow - s1
        inflow = s2 + out
        np.multiply(q, inflow, out=s2)
        out = inflow - s2
        inflow = s3 + out
        np.multiply(q, inflow, out=s3)
        closed[t] = inflow - s3
        h1[t], h2[t], h3[t] = s1, s2, s3

    def last(a: np.ndarray) -> np.ndarray:
        return np.moveaxis(a, 0, -1)

    customers = last(closed) * win[..., None]
    st1, st2, st3 = last(h1), last(h2), last(h3)
    w1, w2 = q1[..., None], q2[..., None]
    pipe_leads = (st1 + (1.0 - w1) * (st2 + st3)).sum(axis=2)
    pipe_mql = (w1 * (st2 + (1.0 - w2) * st3)).sum(axis=2)
    pipe_sql = (w1 * w2 * st3).sum(axis=2)

    # 6. revenue: a customer pays from the month after it is won, for at most lifetime_months
    total_customers = customers.sum(axis=2)  # (N, S, T)
    keep = (1.0 - p.scalar["economics.monthly_churn"])[:, None]
    life = p.scalar["economics.lifetime_months"].astype(int)  # (N|1,)
    gone = keep[:, 0] ** life  # weight of a customer when its lifetime ends
    exits = T > int(life.min())
    if exits:
        lmax = int(life.max())
        padded = np.concatenate([np.zeros((N, S, lmax)), total_customers], axis=-1)
        rows = np.arange(N)[:, None]
        cols = np.arange(S)[None, :]
    paying = np.zeros((N, S, T))
    active = np.zeros((N, S))
    for t in range(T):
        paying[..., t] = active
        active = keep * active + total_customers[..., t]
        if exits:  # the customers won lifetime_months ago stop paying
            idx = np.broadcast_to(t + lmax - life, (N,))[:, None]
            active = active - gone[:, None] * padded[rows, cols, idx]
    revenue = p.scalar["economics.revenue_per_customer_month"][:, None, None] * paying
    gross_profit = revenue * p.scalar["economics.gross_margin"][:, None, None]
    r = p.scalar["economics.discount_rate"][:, None, None]
    discount = (1.0 + r) ** (-months / 12.0)

    # 9. the extended run: spend stops, stocks fade, the pipeline drains
    tail_value = np.zeros((N, S))
    tail_months = 0
    if tail:
        ltv_d = discounted_ltv(p)[:, None]
        rho = np.where(p.is_buy[None, :], 0.0, decay(p.chan["ramp_months"]) ** p.chan["elasticity"])[:, None, :]
        new = leads[..., -1] * rho
        cap2 = capacity[..., 0, 0]
        cpw2 = cpw[..., 0, 0]
        refund_tail = credited[..., T:].sum(axis=2) if max_delay else None  # (N, S, max_delay)
        beta = (1.0 + p.scalar["economics.discount_rate"][:, None]) ** (-1.0 / 12.0)
        d = discount[..., -1]
        tail_value = np.zeros((N, S))
        for k in range(1, TAIL_MONTHS + 1):
            d = d * beta
            Vk = new.sum(axis=-1)
            with np.errstate(divide="ignore", invalid="ignore"):
                sk = np.where((cap2 > 0) & (Vk > cap2), cap2 / np.where(Vk > 0, Vk, 1.0), 1.0)
            wk = new * sk[..., None]
            inflow = s1 + wk
            s1 = q * inflow
            inflow = s2 + (inflow - s1)
            s2 = q * inflow
            inflow = s3 + (inflow - s2)
            s3 = q * inflow
            won = ((inflow - s3) * win).sum(axis=-1)
            cost = cpw2 * wk.sum(axis=-1)
            if refund_tail is not None and k <= max_delay:
                cost = cost - refund_tail[..., k - 1]
            tail_value += d * (won * ltv_d - cost)
            new = new * rho
            tail_months = k
            if k >= max_delay and (k % 6 == 0 or k == TAIL_MONTHS):
                if Vk.max() < TAIL_EPS and (s1 + s2 + s3).sum(axis=-1).max() < TAIL_EPS:
                    break

    return Monthly(
        spend=np.broadcast_to(spend, (N, S, C, T)),
        unspent=np.broadcast_to(unspent, (N, S, C, T)),
        refunds=credited[..., :T],
        fixed_costs=fixed,
        sales_cost=sales_cost,
        leads=leads,
        worked=worked,
        customers=customers,
        pipeline=st1 + st2 + st3,
        win=np.broadcast_to(win, (N, 1, C)),
        starting_pipeline=np.broadcast_to(start, (N, 1, C)),
        pipeline_leads=pipe_leads,
        pipeline_mql=pipe_mql,
        pipeline_sql=pipe_sql,
        revenue=revenue,
        gross_profit=gross_profit,
        new_leads=V[:, :, 0, :],
        discount=discount,
        tail_value=tail_value,
        tail_months=tail_months,
    )
