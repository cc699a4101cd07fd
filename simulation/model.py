"""The funnel model as pure array functions: every input may carry a leading draw axis.

Shapes: N draws, S strategies (each a buy share, constant or per month), T months.
Monthly outputs are (N, S, T); summary metrics are (N, S). Undefined metrics are NaN here
and become None at the edges (JSON, UI).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .schema import FIELDS, Scenario, get_field

Params = Mapping[str, np.ndarray]

STRATEGIES = ("generate", "buy", "blend")

MONTHLY = (
    "spend", "spend_generate", "spend_buy", "unspent", "refunds", "fixed_costs", "total_cost",
    "leads", "leads_generate", "leads_buy", "delivered_buy", "invalid_buy",
    "customers", "pipeline", "pipeline_leads", "pipeline_mql", "pipeline_sql",
    "revenue", "gross_profit",
)  # fmt: skip

SUMMARY = (
    "spend", "unspent", "refunds", "fixed_costs", "total_cost", "leads", "mqls", "sqls",
    "customers", "customers_eventual", "cpl", "cac", "cac_eventual", "revenue", "gross_profit",
    "roi", "ltv", "ltv_to_cac", "roi_lifetime", "payback_month", "pipeline_end", "pipeline_peak",
)  # fmt: skip


def params_of(scn: Scenario) -> dict[str, np.ndarray]:
    """The scenario's numeric fields as one-draw arrays (shape (1,))."""
    return {k: np.array([float(get_field(scn, k))]) for k in FIELDS if k != "horizon_months"}


def strategy_shares(p: Params) -> np.ndarray:
    """Buy share of generate, buy and blend for each draw: shape (N, 3, 1)."""
    s = np.asarray(p["budget.buy_share"], float)
    return np.stack([np.zeros_like(s), np.ones_like(s), s], axis=1)[:, :, None]


def ramp(age: np.ndarray, ramp_months: np.ndarray) -> np.ndarray:
    """Share of steady-state lead volume after `age` months of spend: age/(R+1), 1 once age > R."""
    return np.where(age > ramp_months, 1.0, age / (ramp_months + 1.0))


LAG_STAGES = 3  # open lead → MQL → SQL → close: three geometric waits


def _stay(nurture: np.ndarray) -> np.ndarray:
    """Monthly probability of staying in a stage, so that the mean total wait is `nurture`."""
    return nurture / (LAG_STAGES + nurture)


def lag_pmf(k: np.ndarray, nurture: np.ndarray) -> np.ndarray:
    """P(L = k) for the close lag L ~ negative binomial(r=3), mean exactly `nurture`."""
    q = _stay(nurture)
    return (k + 1.0) * (k + 2.0) / 2.0 * (1.0 - q) ** 3 * q**k


def lag_survival(k: np.ndarray, nurture: np.ndarray) -> np.ndarray:
    """P(L > k): share of a month's leads still open k months after they arrived."""
    q = _stay(nurture)
    n = k + 1.0
    return q**n * (1.0 + n * (1.0 - q) + n * (n + 1.0) / 2.0 * (1.0 - q) ** 2)


def _q(p: Params, src: str) -> np.ndarray:
    return _stay(_col(p, f"{src}.nurture_months"))


def _win(p: Params, src: str) -> np.ndarray:
    return _col(p, f"{src}.lead_to_mql") * _col(p, f"{src}.mql_to_sql") * _col(p, f"{src}.sql_to_customer")


def ltv(p: Params) -> np.ndarray:
    """Gross-profit lifetime value of one customer, per draw: (N,)."""
    churn = np.asarray(p["economics.monthly_churn"], float)
    life = np.asarray(p["economics.lifetime_months"], float)
    keep = 1.0 - churn
    with np.errstate(divide="ignore", invalid="ignore"):
        months = np.where(churn > 0, (1.0 - keep**life) / np.where(churn > 0, churn, 1.0), life)
    return p["economics.revenue_per_customer_month"] * p["economics.gross_margin"] * months


def _col(p: Params, key: str) -> np.ndarray:
    return np.asarray(p[key], float)[:, None, None]


def simulate(p: Params, horizon: int, shares: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Monthly figures for each draw and strategy.

    `shares` is the buy share of the budget, broadcastable to (N, S, T); by default the three
    strategies generate (0), buy (1) and blend (budget.buy_share).
    """
    T = int(horizon)
    if shares is None:
        shares = strategy_shares(p)
    n_draws = max(np.asarray(v).shape[0] for v in p.values())
    shares = np.asarray(shares, float)
    if shares.ndim < 3:  # (S,) or (S, T): the same for every draw
        shares = shares.reshape(1, shares.shape[0], -1)
    S = shares.shape[1]

    budget = _col(p, "budget.monthly")
    cpl_g, cpl_b = _col(p, "generate.cost_per_lead"), _col(p, "buy.cost_per_lead")
    cap_leads = _col(p, "buy.max_leads_per_month")
    invalid = _col(p, "buy.invalid_rate")

    # 1. spend and unspent budget; constant shares keep these at one column, not T
    want_buy = budget * shares
    cap = np.where(cap_leads > 0, cap_leads * cpl_b, np.inf)
    spend_buy = np.minimum(want_buy, cap)
    unspent = want_buy - spend_buy
    spend_gen = budget * (1.0 - shares)
    has_gen = spend_gen > 0

    # 2. generated leads ramp with the months the channel has had budget
    age = np.cumsum(has_gen, axis=-1) if shares.shape[-1] > 1 else np.arange(1.0, T + 1.0)
    leads_gen = spend_gen / cpl_g * ramp(age, _col(p, "generate.ramp_months"))

    # 3. bought leads, invalid share, capped refunds
    delivered = spend_buy / cpl_b
    leads_buy = delivered * (1.0 - invalid)
    refunds = spend_buy * np.minimum(invalid, _col(p, "buy.return_cap"))
    fixed = _col(p, "generate.fixed_monthly_cost") * has_gen + _col(p, "buy.fixed_monthly_cost") * (want_buy > 0)

    # 4–6. funnel and revenue as a linear recurrence over the months, vectorised over draws,
    # strategies and both sources at once (axis 0: generate, buy). A lead waits through three
    # stages (open lead, MQL, SQL), each a geometric wait with mean nurture/3, so its time to
    # close is negative binomial (r = 3) with mean exactly `nurture_months`; see docs/MODEL.md.
    def per_source(fn):  # (2, N, 1)
        return np.stack(np.broadcast_arrays(fn("generate"), fn("buy")))[..., 0]

    stay = per_source(lambda src: _q(p, src))
    win = per_source(lambda src: _win(p, src))
    q1 = per_source(lambda src: _col(p, f"{src}.lead_to_mql"))
    not_q1, not_q2 = 1.0 - q1, 1.0 - per_source(lambda src: _col(p, f"{src}.mql_to_sql"))
    q12 = per_source(lambda src: _col(p, f"{src}.lead_to_mql") * _col(p, f"{src}.mql_to_sql"))
    keep = 1.0 - _col(p, "economics.monthly_churn")[..., 0]  # (N, 1)
    gen_t = np.broadcast_to(leads_gen, (n_draws, S, T))
    buy_t = np.broadcast_to(leads_buy, (n_draws, S, leads_buy.shape[-1]))
    buy_col = (lambda t: t) if buy_t.shape[-1] > 1 else (lambda t: 0)

    stage1 = stage2 = stage3 = np.zeros((2, n_draws, S))
    customers, pipe_leads, pipe_mql, pipe_sql, paying = np.empty((5, T, n_draws, S))
    active = np.zeros((n_draws, S))
    for t in range(T):
        inflow = stage1 + np.stack((gen_t[..., t], buy_t[..., buy_col(t)]))
        stage1 = stay * inflow
        inflow = stage2 + (inflow - stage1)
        stage2 = stay * inflow
        inflow = stage3 + (inflow - stage2)
        stage3 = stay * inflow
        won = (win * (inflow - stage3)).sum(axis=0)
        pipe_leads[t] = (stage1 + not_q1 * (stage2 + stage3)).sum(axis=0)
        pipe_mql[t] = (q1 * (stage2 + not_q2 * stage3)).sum(axis=0)
        pipe_sql[t] = (q12 * stage3).sum(axis=0)
        customers[t] = won
        paying[t] = active
        active = keep * active + won

    def months_last(a: np.ndarray) -> np.ndarray:
        return np.moveaxis(a, 0, -1)

    revenue = _col(p, "economics.revenue_per_customer_month") * months_last(paying)
    pipe = {
        "pipeline_leads": months_last(pipe_leads),
        "pipeline_mql": months_last(pipe_mql),
        "pipeline_sql": months_last(pipe_sql),
    }
    # 7. cost = spend − refunds + fixed costs of the channels with budget
    spend = spend_gen + spend_buy
    out = {
        "spend": spend,
        "spend_generate": spend_gen,
        "spend_buy": spend_buy,
        "unspent": unspent,
        "refunds": refunds,
        "fixed_costs": fixed,
        "total_cost": spend - refunds + fixed,
        "leads": leads_gen + leads_buy,
        "leads_generate": leads_gen,
        "leads_buy": leads_buy,
        "delivered_buy": delivered,
        "invalid_buy": delivered * invalid,
        "customers": months_last(customers),
        "pipeline": months_last(pipe_leads + pipe_mql + pipe_sql),
        **pipe,
        "revenue": revenue,
        "gross_profit": revenue * _col(p, "economics.gross_margin"),
    }
    return {key: np.broadcast_to(v, (n_draws, S, T)) for key, v in out.items()}


def cumulative(monthly: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Cumulative customers, cost and net cash, and CAC to date (NaN before the first customer)."""
    cum_cust = np.cumsum(monthly["customers"], axis=-1)
    cum_cost = np.cumsum(monthly["total_cost"], axis=-1)
    return {
        "cumulative_customers": cum_cust,
        "cumulative_cost": cum_cost,
        "cumulative_net": np.cumsum(monthly["gross_profit"], axis=-1) - cum_cost,
        "cac_to_date": _div(cum_cost, cum_cust),
    }


def total(a: np.ndarray) -> np.ndarray:
    """Sum over the months (last axis); cheap for figures that are constant over time."""
    if a.strides[-1] == 0:
        return a[..., 0] * a.shape[-1]
    return a.sum(axis=-1)


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)
    return np.where(np.isfinite(out), out, np.nan)


def summarize(p: Params, monthly: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Metrics over the horizon for each draw and strategy: (N, S); NaN where undefined."""
    tot = {k: total(monthly[k]) for k in MONTHLY}
    wins = {
        src: tuple(
            np.asarray(p[f"{src}.{f}"], float)[:, None] for f in ("lead_to_mql", "mql_to_sql", "sql_to_customer")
        )
        for src in ("generate", "buy")
    }
    lg, lb = tot["leads_generate"], tot["leads_buy"]
    (g1, g2, g3), (b1, b2, b3) = wins["generate"], wins["buy"]
    mqls = lg * g1 + lb * b1
    sqls = lg * g1 * g2 + lb * b1 * b2
    eventual = lg * g1 * g2 * g3 + lb * b1 * b2 * b3
    cost = tot["total_cost"]
    value = ltv(p)[:, None]

    cum_net = np.cumsum(monthly["gross_profit"] - monthly["total_cost"], axis=-1)
    reached = cum_net >= -1e-9 * np.maximum(1.0, np.cumsum(monthly["total_cost"], axis=-1))
    first = np.argmax(reached, axis=-1)
    payback = np.where(reached.any(axis=-1) & (cost > 0), first + 1.0, np.nan)

    cac = _div(cost, tot["customers"])
    return {
        "spend": tot["spend"],
        "unspent": tot["unspent"],
        "refunds": tot["refunds"],
        "fixed_costs": tot["fixed_costs"],
        "total_cost": cost,
        "leads": tot["leads"],
        "mqls": mqls,
        "sqls": sqls,
        "customers": tot["customers"],
        "customers_eventual": eventual,
        "cpl": _div(tot["spend"] - tot["refunds"], tot["leads"]),
        "cac": cac,
        "cac_eventual": _div(cost, eventual),
        "revenue": tot["revenue"],
        "gross_profit": tot["gross_profit"],
        "roi": _div(tot["gross_profit"] - cost, cost),
        "ltv": np.broadcast_to(value, cost.shape),
        "ltv_to_cac": _div(np.broadcast_to(value, cost.shape), cac),
        "roi_lifetime": _div(eventual * value - cost, cost),
        "payback_month": payback,
        "pipeline_end": monthly["pipeline"][..., -1],
        "pipeline_peak": monthly["pipeline"].max(axis=-1),
    }
