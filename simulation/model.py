"""The funnel model as pure array functions: every input may carry a leading draw axis.

Shapes: N draws, S strategies (each a buy share, constant or per month), T months.
Monthly outputs are (N, S, T); summary metrics are (N, S). Undefined metrics are NaN here
and become None at the edges (JSON, UI).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.fft as sfft

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


def lag_survival(n: np.ndarray, nurture: np.ndarray) -> np.ndarray:
    """P(L ≥ n) for the close lag L ~ negative binomial(r=2) with mean `nurture`."""
    q = nurture / (2.0 + nurture)
    return q**n * (1.0 + n * (1.0 - q))


def lag_pmf(k: np.ndarray, nurture: np.ndarray) -> np.ndarray:
    """P(L = k) for the close lag: (k+1)(1−q)²q^k with q = μ/(2+μ), mean exactly μ."""
    q = nurture / (2.0 + nurture)
    return (k + 1.0) * (1.0 - q) ** 2 * q**k


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
    n_draws = np.asarray(p["budget.monthly"]).shape[0]
    shares = np.asarray(shares, float)
    S = shares.shape[-2] if shares.ndim >= 2 else shares.shape[0]
    share = np.broadcast_to(shares if shares.ndim >= 2 else shares[:, None], (n_draws, S, T))

    budget = _col(p, "budget.monthly")
    cpl_g, cpl_b = _col(p, "generate.cost_per_lead"), _col(p, "buy.cost_per_lead")
    cap_leads = _col(p, "buy.max_leads_per_month")
    invalid = _col(p, "buy.invalid_rate")

    # 1. spend and unspent budget
    want_buy = budget * share
    cap = np.where(cap_leads > 0, cap_leads * cpl_b, np.inf)
    spend_buy = np.minimum(want_buy, cap)
    unspent = want_buy - spend_buy
    spend_gen = budget * (1.0 - share)

    # 2. generated leads ramp with the months the channel has had budget
    age = np.cumsum(spend_gen > 0, axis=-1)
    leads_gen = spend_gen / cpl_g * ramp(age, _col(p, "generate.ramp_months"))

    # 3. bought leads, invalid share, capped refunds
    delivered = spend_buy / cpl_b
    leads_buy = delivered * (1.0 - invalid)
    refunds = spend_buy * np.minimum(invalid, _col(p, "buy.return_cap"))
    fixed = _col(p, "generate.fixed_monthly_cost") * (spend_gen > 0) + _col(p, "buy.fixed_monthly_cost") * (
        want_buy > 0
    )

    # 4–6. funnel with the nurture lag and revenue with churn: convolutions along the months,
    # done as products of Fourier transforms (linear, so both sources add up before inverting).
    n_fft = sfft.next_fast_len(3 * T, real=True)
    k = np.arange(T, dtype=float)
    won = pipe_leads = pipe_mql = pipe_sql = 0.0
    for src, leads in (("generate", leads_gen), ("buy", leads_buy)):
        mu = _col(p, f"{src}.nurture_months")
        q1, q2 = _col(p, f"{src}.lead_to_mql"), _col(p, f"{src}.mql_to_sql")
        win = q1 * q2 * _col(p, f"{src}.sql_to_customer")
        s_all = lag_survival(k + 1.0, mu)  # P(L > k)
        s_mid = lag_survival(np.floor(1.5 * k) + 1.0, mu)  # P(L > 1.5k)
        s_early = lag_survival(3.0 * k + 1.0, mu)  # P(L > 3k): first third of the time to close
        kern = sfft.rfft(np.stack([lag_pmf(k, mu), s_early, s_mid - s_early, s_all - s_mid]), n_fft, axis=-1)
        x = sfft.rfft(leads, n_fft, axis=-1)
        first, middle, last = x * kern[1], x * kern[2], x * kern[3]
        won = won + (win * x) * kern[0]
        pipe_sql = pipe_sql + (q1 * q2) * last
        pipe_mql = pipe_mql + q1 * (middle + (1.0 - q2) * last)
        pipe_leads = pipe_leads + first + (1.0 - q1) * (middle + last)

    # a customer won in month m pays from m+1 on and is kept with probability (1 − churn) a month
    keep = 1.0 - _col(p, "economics.monthly_churn")
    retention = np.where(k >= 1, keep ** np.maximum(k - 1.0, 0.0), 0.0)
    paying = won * sfft.rfft(retention, n_fft, axis=-1)
    back = sfft.irfft(np.stack(np.broadcast_arrays(won, paying, pipe_leads, pipe_mql, pipe_sql)), n_fft, axis=-1)
    customers, paying_customers, pipe_leads, pipe_mql, pipe_sql = np.maximum(back[..., :T], 0.0)
    revenue = _col(p, "economics.revenue_per_customer_month") * paying_customers
    pipe = {
        "pipeline": pipe_leads + pipe_mql + pipe_sql,
        "pipeline_leads": pipe_leads,
        "pipeline_mql": pipe_mql,
        "pipeline_sql": pipe_sql,
    }

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
        "customers": customers,
        **pipe,
        "revenue": revenue,
        "gross_profit": revenue * _col(p, "economics.gross_margin"),
    }
    return {key: np.broadcast_to(v, (n_draws, S, T)) for key, v in out.items()}


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)
    return np.where(np.isfinite(out), out, np.nan)


def summarize(p: Params, monthly: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Metrics over the horizon for each draw and strategy: (N, S); NaN where undefined."""
    tot = {k: monthly[k].sum(axis=-1) for k in MONTHLY}
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
