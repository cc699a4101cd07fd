"""The funnel model (contract version 2) as pure array functions over draws, allocations, channels, months.

Shapes: N draws, S allocations ("strategies"), C channels, T months. The caller gives the spend
each channel wants each month, ``plan`` of shape (N|1, S, C) (constant) or (N|1, S, C, T).
Equation numbers in comments are those of docs/MODEL.md.

With ``detail=False`` (Monte Carlo, optimiser batches) the engine keeps only what the metrics
need: per-channel totals (N, S, C) and per-allocation monthly series (N, S, T); with
``detail=True`` it also keeps every channel's monthly figures (N, S, C, T) for charts and JSON.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import Params

LAG_STAGES = 3  # open lead → MQL → SQL → close: three geometric waits
TAIL_MONTHS = 240  # the extended run stops at most this many months after the horizon
RAMP_LEVEL = 0.05  # a stock keeps 5 % of itself after ramp_months: 95 % of steady state
NEGLIGIBLE = 1e-15  # a geometric tail this small no longer changes any sum


def stay_probability(nurture: np.ndarray) -> np.ndarray:
    """Monthly probability of staying in a stage, so that the mean total wait is `nurture`."""
    return nurture / (LAG_STAGES + nurture)


def lag_pmf(k: np.ndarray, nurture: np.ndarray) -> np.ndarray:
    """P(L = k) for the close lag L ~ negative binomial(r=3), mean exactly `nurture`."""
    q = stay_probability(nurture)
    return (k + 1.0) * (k + 2.0) / 2.0 * (1.0 - q) ** 3 * q**k


def _survival(r: int, n: np.ndarray, q: np.ndarray) -> np.ndarray:
    """P(L > n) for a sum of r geometric waits with stay probability q (r = 1, 2, 3)."""
    m = n + 1.0
    poly = 1.0
    if r >= 2:
        poly = poly + m * (1.0 - q)
    if r >= 3:
        poly = poly + m * (m + 1.0) / 2.0 * (1.0 - q) ** 2
    return q**m * poly


def lag_survival(k: np.ndarray, nurture: np.ndarray) -> np.ndarray:
    """P(L > k): share of a month's leads still open k months after they arrived."""
    return _survival(3, np.asarray(k, float), stay_probability(nurture))


def decay(ramp_months: np.ndarray) -> np.ndarray:
    """δ of the lead stock: 0.05^(1/R), 0 when R = 0 (equation 2)."""
    r = np.asarray(ramp_months, float)
    with np.errstate(divide="ignore"):
        return np.where(r > 0, RAMP_LEVEL ** (1.0 / np.where(r > 0, r, 1.0)), 0.0)


def response(e: np.ndarray, cpl: np.ndarray, ref: np.ndarray, elasticity: np.ndarray) -> np.ndarray:
    """Leads from effective spend e: e/cpl · (e/ref)^(elasticity − 1); 0 when e = 0 (equation 2)."""
    e = np.maximum(e, 0.0)
    if np.all(elasticity == 1.0):
        return e / cpl
    ratio = e / ref
    exponent = elasticity - 1.0
    if np.ndim(exponent) == 0 or np.size(exponent) == 1:  # one elasticity for every draw
        exponent = float(np.reshape(exponent, -1)[0])
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        g = np.power(ratio, exponent)
        g *= e
        g /= cpl
    g[~(ratio > 0)] = 0.0  # e/ref underflowing to 0 (e ~ 1e-300) must not give 0^(el−1) = inf
    return g


def baseline_spend(leads: np.ndarray, cpl: np.ndarray, ref: np.ndarray, elasticity: np.ndarray) -> np.ndarray:
    """The effective spend e0 whose leads are `leads`: the inverse of `response`."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        e0 = (leads * cpl * ref ** (elasticity - 1.0)) ** (1.0 / elasticity)
    return np.where(leads > 0, e0, 0.0)


def discounted_ltv(p: Params) -> np.ndarray:
    """ltv_d: one customer's discounted gross profit over its life, valued at the month won (equation 8): (N,)."""
    s = p.scalar
    beta = (1.0 + s["economics.discount_rate"]) ** (-1.0 / 12.0)
    life = s["economics.lifetime_months"]
    # Σ_{t=1}^{life} β·x^(t−1) with x = keep·β, as β(1 − x^life)/(1 − x) through log1p/expm1: 1 − x cancels
    # to a few digits when churn and the discount rate are tiny
    with np.errstate(divide="ignore", invalid="ignore"):
        log_x = np.log1p(-s["economics.monthly_churn"]) - np.log1p(s["economics.discount_rate"]) / 12.0
        months = np.where(log_x < 0, beta * np.expm1(life * log_x) / np.where(log_x < 0, np.expm1(log_x), 1.0), life)
    return s["economics.revenue_per_customer_month"] * s["economics.gross_margin"] * months


def ltv(p: Params) -> np.ndarray:
    """Undiscounted gross-profit lifetime value of one customer (version 1's `ltv`): (N,)."""
    s = p.scalar
    churn = s["economics.monthly_churn"]
    life = s["economics.lifetime_months"]
    with np.errstate(divide="ignore", invalid="ignore"):  # (1 − keep^life)/churn without cancelling 1 − keep
        months = np.where(churn > 0, -np.expm1(life * np.log1p(-churn)) / np.where(churn > 0, churn, 1.0), life)
    return s["economics.revenue_per_customer_month"] * s["economics.gross_margin"] * months


@dataclass(frozen=True)
class Monthly:
    """What the engine returns.

    ``totals[k]`` (N, S, C) over the horizon: spend, unspent (caps), refunds (credited), fixed_costs,
    sales_cost, leads, worked, customers. ``series[k]`` (N, S, T) per allocation: spend,
    spend_generate, spend_buy, refunds, fixed_costs, sales_cost, total_cost, leads, leads_generate,
    leads_buy, unworked, customers, pipeline, revenue, gross_profit, eventual_new (Σ p·worked new
    leads, for cohort CAC); with detail also pipeline_leads, pipeline_mql, pipeline_sql.
    ``channel[k]`` (N, S, C, T), only with detail: spend, unspent, refunds, fixed_costs, sales_cost,
    leads, worked, customers, pipeline."""

    totals: dict[str, np.ndarray]
    series: dict[str, np.ndarray]
    channel: dict[str, np.ndarray] | None
    win: np.ndarray  # (N, 1, C) probability a worked lead is eventually won
    starting_pipeline: np.ndarray  # (N, 1, C)
    discount: np.ndarray  # (N, 1, T) (1 + r)^(−m/12)
    tail_value: np.ndarray  # (N, S): Σ_{m>H} disc(m)·(customers(m)·ltv_d − cost(m)) (equation 9)
    tail_explicit_months: int = 0  # tail months with binding capacity, run month by month

    def _ch(self, key: str) -> np.ndarray:
        if self.channel is None:
            raise ValueError("per-channel monthly figures need simulate(..., detail=True)")
        return self.channel[key]

    # per-channel monthly arrays (N, S, C, T), detail only
    spend = property(lambda self: self._ch("spend"))
    unspent = property(lambda self: self._ch("unspent"))
    refunds = property(lambda self: self._ch("refunds"))
    fixed_costs = property(lambda self: self._ch("fixed_costs"))
    sales_cost = property(lambda self: self._ch("sales_cost"))
    leads = property(lambda self: self._ch("leads"))
    worked = property(lambda self: self._ch("worked"))
    customers = property(lambda self: self._ch("customers"))
    pipeline = property(lambda self: self._ch("pipeline"))

    @property
    def unworked(self) -> np.ndarray:
        return self.leads - self.worked

    @property
    def total_cost(self) -> np.ndarray:
        """Per channel and month: spend − refunds + fixed costs + sales cost (equation 7)."""
        return self.spend - self.refunds + self.fixed_costs + self.sales_cost

    @property
    def pipeline_leads(self) -> np.ndarray:
        return self.series["pipeline_leads"]

    @property
    def pipeline_mql(self) -> np.ndarray:
        return self.series["pipeline_mql"]

    @property
    def pipeline_sql(self) -> np.ndarray:
        return self.series["pipeline_sql"]

    @property
    def revenue(self) -> np.ndarray:
        return self.series["revenue"]

    @property
    def gross_profit(self) -> np.ndarray:
        return self.series["gross_profit"]

    @property
    def new_leads(self) -> np.ndarray:
        return self.series["leads"]


def _shift(a: np.ndarray, k: int, length: int) -> np.ndarray:
    """a (…, T) moved k months later into an array of `length` months (zeros before)."""
    out = np.zeros((*a.shape[:-1], length))
    n = min(a.shape[-1], length - k)
    if n > 0:
        out[..., k : k + n] = a[..., :n]
    return out


def simulate(p: Params, plan: np.ndarray, tail: bool = True, detail: bool = True) -> Monthly:
    """Month-by-month figures for every draw and allocation; `plan` is the spend each channel wants."""
    T = p.horizon
    plan = np.asarray(plan, float)
    varying = plan.ndim == 4 and plan.shape[-1] > 1
    if plan.ndim == 4 and not varying:
        plan = plan[..., 0]
    N = max(p.n_draws, plan.shape[0])
    S, C = plan.shape[1], plan.shape[2]
    ch = {k: v[:, None, :] for k, v in p.chan.items()}  # (N|1, 1, C)
    is_buy = p.is_buy
    gen = ~is_buy
    months = np.arange(1, T + 1, dtype=float)

    # 1. spend: a buy channel spends at most its cap in leads × its price.  Shapes (N|1, S, C[, T])
    cpl = ch["cost_per_lead"]
    cap = np.where(ch["max_leads_per_month"] > 0, ch["max_leads_per_month"] * cpl, np.inf)
    cap = np.where(is_buy, cap, np.inf)
    if varying:
        spend = np.minimum(plan, cap[..., None])
    else:
        spend = np.minimum(plan, cap)
    unspent = plan - spend

    # 2–3. valid new leads, time first: (T, N, S, C); each channel computed in its smallest shape
    leads = np.empty((T, N, S, C))
    for c in np.flatnonzero(gen):
        delta = decay(p.chan["ramp_months"][:, c])[:, None]  # (N|1, 1)
        el, ref, cpl_c = (p.chan[k][:, c][:, None] for k in ("elasticity", "reference_spend", "cost_per_lead"))
        e0 = baseline_spend(p.chan["starting_leads_per_month"][:, c][:, None], cpl_c, ref, el)
        x = spend[:, :, c]  # (N|1, S[, T])
        if not varying:
            if np.all(delta == 0):
                eff = x  # no ramp: effective spend is this month's spend
            else:
                dm = delta[None] ** months[:, None, None]  # (T, N|1, 1)
                eff = x + dm * (e0 - x)  # e(m) = x(1 − δ^m) + δ^m e0
        else:
            xt = np.moveaxis(x, -1, 0)  # (T, N|1, S)
            eff = np.empty(np.broadcast_shapes(xt.shape, (T, *e0.shape)))
            with np.errstate(divide="ignore", invalid="ignore"):
                stock = np.where(delta < 1, e0 / (1.0 - delta), 0.0)
            for t in range(T):
                stock = delta * stock + xt[t]
                eff[t] = (1.0 - delta) * stock
        leads[..., c] = response(eff, cpl_c, ref, el)
    for c in np.flatnonzero(is_buy):
        valid = (1.0 - p.chan["invalid_rate"][:, c]) / p.chan["cost_per_lead"][:, c]  # (N|1,)
        if varying:
            leads[..., c] = np.moveaxis(spend[:, :, c] * valid[:, None, None], -1, 0)
        else:
            leads[..., c] = spend[:, :, c] * valid[:, None]

    # refunds: made with the spend, credited refund_delay_months later (equation 3)
    refund_rate = np.where(is_buy, np.minimum(ch["invalid_rate"], ch["return_cap"]), 0.0)  # (N|1, 1, C)
    delays = p.chan["refund_delay_months"][0].astype(int)
    max_delay = int(delays.max()) if delays.size else 0
    spend_t = spend if varying else spend[..., None]  # (N|1, S, C, T|1)
    refund_made = spend_t * refund_rate[..., None]  # (N|1, S, C, T|1)
    if varying:
        credited = np.stack([_shift(refund_made[..., c, :], int(delays[c]), T + max_delay)
                             for c in range(C)], axis=-2)  # fmt: skip
        refunds_ch = credited[..., :T]  # (N|1, S, C, T)
        refund_tail = credited[..., T:].sum(axis=2) if max_delay else None
    else:  # a constant refund, credited from month d + 1 to month d + T
        m_all = np.arange(1, T + max_delay + 1)
        window = ((m_all[None, :] > delays[:, None]) & (m_all[None, :] <= delays[:, None] + T)).astype(float)
        refunds_ch = refund_made * window[:, :T]  # (N|1, S, C, T)
        refund_tail = refund_made[..., 0] @ window[:, T:] if max_delay else None  # (N|1, S, max_delay)

    # 4. sales capacity: every channel scaled by C/V when valid new leads V exceed C
    capacity = p.scalar["sales.capacity_leads_per_month"][:, None]  # (N|1, 1)
    V = np.einsum("tnsc->tns", leads)  # (T, N, S)
    leads_tot = leads.sum(0)  # (N, S, C)
    last_leads = leads[-1].copy()
    leads_ch = np.moveaxis(leads.copy(), 0, -1) if detail else None
    binding = (capacity > 0) & (V > capacity)
    if binding.any():
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # capacity / a tiny V, masked
            scale = np.where(binding, capacity / V, 1.0)
        leads *= scale[..., None]  # from here on: worked leads
    worked = leads
    cpw = p.scalar["sales.cost_per_worked_lead"][:, None]  # (N|1, 1)

    # 5. funnel: three geometric stages (negative binomial lag, r = 3, mean nurture_months)
    q = stay_probability(ch["nurture_months"])  # (N|1, 1, C)
    q1, q2, q3 = ch["lead_to_mql"], ch["mql_to_sql"], ch["sql_to_customer"]
    win = q1 * q2 * q3
    start = ch["starting_pipeline"]
    s1, s2, s3 = (np.zeros((N, S, C)) for _ in range(3))
    buf = np.empty((N, S, C))
    tmp = np.empty((N, S, C))
    win2 = np.ascontiguousarray(np.broadcast_to(win[:, 0, :], (N, C)))
    won = np.empty((T, N, S))
    pipe = np.empty((T, N, S))
    if detail:
        closed_h, h1, h2, h3 = (np.empty((T, N, S, C)) for _ in range(4))
    flat_win = win.shape[0] == 1
    ones = np.ones(C)
    for t in range(T):
        np.add(s1, worked[t], out=buf)
        if t == 0:
            buf += start
        np.multiply(q, buf, out=s1)
        buf -= s1
        buf += s2
        np.multiply(q, buf, out=s2)
        buf -= s2
        buf += s3
        np.multiply(q, buf, out=s3)
        buf -= s3  # closed this month
        if flat_win:
            won[t] = (buf.reshape(-1, C) @ win[0, 0]).reshape(N, S)
        else:
            np.einsum("nsc,nc->ns", buf, win2, out=won[t])
        np.add(s1, s2, out=tmp)
        tmp += s3
        pipe[t] = (tmp.reshape(-1, C) @ ones).reshape(N, S)
        if detail:
            closed_h[t], h1[t], h2[t], h3[t] = buf, s1, s2, s3

    def per_month(a: np.ndarray) -> np.ndarray:  # (T, N, S) → contiguous (N, S, T)
        return np.ascontiguousarray(np.moveaxis(a, 0, -1))

    customers = per_month(won)

    # 6. revenue: a customer pays from the month after it is won, for at most lifetime_months
    keep = (1.0 - p.scalar["economics.monthly_churn"])[:, None]  # (N|1, 1)
    life = p.scalar["economics.lifetime_months"].astype(int)
    gone = (keep[:, 0] ** life)[:, None]
    exits = T > int(life.min())
    one_life = bool(np.all(life == life[0]))
    paying = np.zeros((T, N, S))
    active = np.zeros((N, S))
    for t in range(T):
        paying[t] = active
        active = keep * active + won[t]
        if exits:  # the customers won lifetime_months ago stop paying
            if one_life:
                if t >= life[0]:
                    active = active - gone * won[t - life[0]]
            else:
                k = t - life  # (N,)
                idx = np.clip(k, 0, None)
                past = np.take_along_axis(won, np.broadcast_to(idx, (N,))[None, :, None], axis=0)[0]
                active = active - np.where((k >= 0)[:, None], gone * past, 0.0)
    revenue = p.scalar["economics.revenue_per_customer_month"][:, None, None] * per_month(paying)
    gross_profit = revenue * p.scalar["economics.gross_margin"][:, None, None]
    r = p.scalar["economics.discount_rate"][:, None, None]
    discount = (1.0 + r) ** (-months / 12.0)  # (N|1, 1, T)

    # 7. costs, per allocation and month
    fixed_rate = ch["fixed_monthly_cost"]
    if varying:
        fixed = np.where(spend > 0, fixed_rate[..., None], 0.0)  # (N|1, S, C, T)
    else:
        fixed = np.where(spend > 0, fixed_rate, 0.0)[..., None]  # (N|1, S, C, 1)
    leads_sum = per_month(V)
    worked_sum = per_month(V * scale) if binding.any() else leads_sum  # (N, S, T)
    refunds_m = refunds_ch.sum(2)
    series = {
        "spend": np.broadcast_to(spend_t.sum(2), (N, S, T)),
        "spend_generate": np.broadcast_to(spend_t[:, :, gen].sum(2), (N, S, T)),
        "spend_buy": np.broadcast_to(spend_t[:, :, is_buy].sum(2), (N, S, T)),
        "refunds": np.broadcast_to(refunds_m, (N, S, T)),
        "fixed_costs": np.broadcast_to(fixed.sum(2), (N, S, T)),
        "sales_cost": cpw[..., None] * worked_sum,
        "leads": leads_sum,
        "unworked": leads_sum - worked_sum,
        "customers": customers,
        "pipeline": per_month(pipe),
        "revenue": revenue,
        "gross_profit": gross_profit,
    }
    series["total_cost"] = series["spend"] - series["refunds"] + series["fixed_costs"] + series["sales_cost"]
    worked_tot = worked.sum(0)  # (N, S, C)
    totals = {
        "spend": np.broadcast_to(spend_t.sum(-1) * (1 if varying else T), (N, S, C)),
        "unspent": np.broadcast_to((unspent.sum(-1) if varying else unspent * T), (N, S, C)),
        "refunds": np.broadcast_to(refunds_ch.sum(-1), (N, S, C)),
        "fixed_costs": np.broadcast_to(fixed.sum(-1) * (1 if varying else T), (N, S, C)),
        "sales_cost": cpw[..., None] * worked_tot,
        "leads": leads_tot,
        "worked": worked_tot,
    }
    channel = None
    if detail:
        series["leads_generate"] = (leads_ch * gen[:, None]).sum(2)
        series["leads_buy"] = (leads_ch * is_buy[:, None]).sum(2)
        series["eventual_new"] = per_month(worked @ win[0, 0] if flat_win else (worked * win).sum(-1))
        st1, st2, st3 = (np.moveaxis(h, 0, -1) for h in (h1, h2, h3))
        w1, w2 = q1[..., None], q2[..., None]
        series["pipeline_leads"] = (st1 + (1.0 - w1) * (st2 + st3)).sum(axis=2)
        series["pipeline_mql"] = (w1 * (st2 + (1.0 - w2) * st3)).sum(axis=2)
        series["pipeline_sql"] = (w1 * w2 * st3).sum(axis=2)
        cust_ch = np.moveaxis(closed_h, 0, -1) * win[..., None]
        worked_ch = np.moveaxis(worked, 0, -1)
        channel = {
            "spend": np.broadcast_to(spend_t, (N, S, C, T)),
            "unspent": np.broadcast_to(unspent if varying else unspent[..., None], (N, S, C, T)),
            "refunds": np.broadcast_to(refunds_ch, (N, S, C, T)),
            "fixed_costs": np.broadcast_to(fixed, (N, S, C, T)),
            "sales_cost": cpw[..., None, None] * worked_ch,
            "leads": leads_ch,
            "worked": worked_ch,
            "customers": cust_ch,
            "pipeline": st1 + st2 + st3,
        }
        totals["customers"] = cust_ch.sum(-1)

    # 9. the extended run: spend stops, stocks fade, the pipeline drains (to H + 240)
    tail_value = np.zeros((N, S))
    explicit = 0
    if tail:
        tail_value, explicit = _tail(p, last_leads, (s1, s2, s3), q, win, refund_tail, max_delay,
                                     discount[..., -1], capacity, cpw)  # fmt: skip
    return Monthly(
        totals=totals,
        series=series,
        channel=channel,
        win=np.broadcast_to(win, (N, 1, C)),
        starting_pipeline=np.broadcast_to(start, (N, 1, C)),
        discount=discount,
        tail_value=tail_value,
        tail_explicit_months=explicit,
    )


def _tail(p, last_leads, state, q, win, refund_tail, max_delay, disc_h, capacity, cpw):
    """Σ_{m=H+1}^{H+240} disc(m)·(customers(m)·ltv_d − cost(m)) after spend stops (equation 9).

    New leads of a generate channel fade geometrically (ratio ρ = δ^elasticity) and the pipeline
    drains through its stages; months in which capacity still binds run month by month, the rest
    is summed in closed form (geometric series and truncated negative binomial sums)."""
    N, S, C = last_leads.shape
    s1, s2, s3 = (a.copy() for a in state)
    ltv_d = discounted_ltv(p)[:, None]  # (N|1, 1)
    beta = ((1.0 + p.scalar["economics.discount_rate"]) ** (-1.0 / 12.0))[:, None]  # (N|1, 1)
    rho = np.where(p.is_buy, 0.0, decay(p.chan["ramp_months"]) ** p.chan["elasticity"])[:, None, :]  # (N|1,1,C)
    new = last_leads * rho  # leads of tail month 1, before capacity
    d = disc_h * beta  # discount of tail month 1: (N|1, 1)
    value = np.zeros((N, S))
    k = 1
    # months in which capacity binds somewhere: month by month
    while k <= TAIL_MONTHS and np.any((capacity > 0) & (new.sum(-1) > capacity)):
        V = new.sum(-1)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # capacity / a tiny V, masked
            scale = np.where((capacity > 0) & (V > capacity), capacity / np.where(V > 0, V, 1.0), 1.0)
        w = new * scale[..., None]
        inflow = s1 + w
        s1 = q * inflow
        inflow = s2 + (inflow - s1)
        s2 = q * inflow
        inflow = s3 + (inflow - s2)
        s3 = q * inflow
        cost = cpw * w.sum(-1)
        if refund_tail is not None and k <= max_delay:
            cost = cost - refund_tail[..., k - 1]
        value += d * (((inflow - s3) * win).sum(-1) * ltv_d - cost)
        new = new * rho
        d = d * beta
        k += 1
    explicit = k - 1
    if k > TAIL_MONTHS:
        return value, explicit
    # the rest in closed form: months k … 240 (n + 1 months), no capacity binding
    n = TAIL_MONTHS - k  # last month is k + n
    b3 = beta[..., None]  # (N|1, 1, 1)
    qb = q * b3  # stay probability with discounting folded in
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(q < 1, (1.0 - q) / (1.0 - qb), 1.0)  # G_1 = ((1−q)/(1−qβ))
    # a unit mass in stage j at the start of month k closes like an arrival in month k with 4 − j waits
    trunc = {r: ratio**r * (1.0 - _survival(r, np.float64(n), qb)) for r in (1, 2, 3)}
    wins_state = s1 * trunc[3] + s2 * trunc[2] + s3 * trunc[1]
    # arrivals new·ρ^j in month k + j, j = 0 … n, each closing over the truncated lag
    x = rho * b3  # (N|1, 1, C)
    arrivals = _geometric_lag_sum(x, qb, n) * ratio**3  # Σ_j x^j · Σ_{L ≤ n−j} β^L pmf(L)
    with np.errstate(divide="ignore", invalid="ignore"):
        geo = np.where(x < 1, (1.0 - x ** (n + 1)) / np.where(x < 1, 1.0 - x, 1.0), n + 1.0)
    wins = ((wins_state + new * arrivals) * win).sum(-1)
    cost = cpw * (new * geo).sum(-1)
    value += d * (wins * ltv_d - cost)
    if refund_tail is not None:  # refunds still due after the month-by-month part
        for j in range(k, max_delay + 1):
            value += disc_h * beta**j * refund_tail[..., j - 1]
    return value, explicit


def _geometric_lag_sum(x: np.ndarray, qb: np.ndarray, n: int) -> np.ndarray:
    """Σ_{j=0}^{n} x^j · (1 − P(L' > n − j)), L' negative binomial (r = 3) with stay probability qb.

    Term j of the truncation, x^j·P(L' > n − j), is at most (n + 2)²·max(x, qb)^n, so the truncation
    is summed term by term only for the elements where n + 1 such terms can matter."""
    shape = np.broadcast_shapes(x.shape, qb.shape)
    x = np.broadcast_to(x, shape)
    qb = np.broadcast_to(qb, shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        full = np.where(x < 1, (1.0 - x ** (n + 1)) / np.where(x < 1, 1.0 - x, 1.0), n + 1.0)
    out = full - _survival(3, np.float64(n), qb)  # the j = 0 term, always kept
    bound = (n + 1.0) * (n + 2.0) ** 2 * np.maximum(x, qb) ** n
    sizeable = (bound > NEGLIGIBLE * 1e-1) & (x > 0)
    if sizeable.any():
        j = np.arange(1, n + 1, dtype=float)
        xs, qs = x[sizeable][:, None], qb[sizeable][:, None]
        out[sizeable] -= (xs**j * _survival(3, n - j, qs)).sum(-1)
    return out
