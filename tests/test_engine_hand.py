"""Hand-computed cases, one or more per equation of the version 2 model contract.

Every expected number is worked out in the comments from HAND (tests/conftest.py): B = 1000 a
month, H = 3; channel `gen` (generate, CPL 10, p = 0.5·0.4·0.5 = 0.1) and `buy` (buy, CPL 20,
p = 0.5·0.5·0.4 = 0.1), shares 0.5 each; no ramp, lag, churn, fixed or sales cost, discounting.
Revenue 100 a customer-month at margin 0.5 (50 gross profit), lifetime 10 months.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import scenario

from simulation import params_of, run
from simulation.engine import lag_pmf, lag_survival
from simulation.metrics import STRATEGIES
from simulation.results import evaluate

SQRT_005 = 0.05**0.5  # δ of a 2-month ramp: 0.2236067977…


def chan(r, strategy: str, cid: str, name: str) -> np.ndarray:
    return r.channel_series[name][STRATEGIES.index(strategy), r.channel_ids.index(cid)]


def by_month(scn, alloc):
    """Engine run of one month-by-month allocation (C lists of H shares): (per-channel leads (C, T), summary)."""
    m, summary = evaluate(params_of(scn), np.array(alloc, float)[None], detail=True)
    return m.leads[0, 0], {k: v[0, 0] for k, v in summary.items()}


def test_generate_buy_and_blend_by_hand():
    # Generate: 1000/10 = 100 leads a month, p = 0.1 → 10 customers a month, CAC 100, CPL 10.
    # Revenue: the customers won before month m pay 100 each → 0, 1000, 2000; gross profit half of it.
    r = run(scenario())
    assert r.series_of("generate", "leads") == pytest.approx([100, 100, 100])
    assert r.series_of("generate", "customers") == pytest.approx([10, 10, 10])
    assert r.series_of("generate", "revenue") == pytest.approx([0, 1000, 2000])
    assert r.series_of("generate", "gross_profit") == pytest.approx([0, 500, 1000])
    assert r.series_of("generate", "cumulative_net") == pytest.approx([-1000, -1500, -1500])
    assert r.series_of("generate", "pipeline") == pytest.approx([0, 0, 0], abs=1e-9)
    assert r.metric("generate", "cac") == pytest.approx(100) and r.metric("generate", "cpl") == pytest.approx(10)
    # Buy: 1000/20 = 50 leads, p = 0.1 → 5 customers a month, CAC 200.
    assert r.series_of("buy", "customers") == pytest.approx([5, 5, 5])
    assert r.metric("buy", "cac") == pytest.approx(200)
    # Blend (0.5 each): 500 → 50 generated (5 customers) + 500 → 25 bought (2.5 customers); CAC 3000/22.5.
    assert r.series_of("blend", "leads_generate") == pytest.approx([50, 50, 50])
    assert r.series_of("blend", "leads_buy") == pytest.approx([25, 25, 25])
    assert chan(r, "blend", "buy", "customers") == pytest.approx([2.5, 2.5, 2.5])
    assert r.series_of("blend", "customers") == pytest.approx([7.5, 7.5, 7.5])
    assert r.metric("blend", "cac") == pytest.approx(3000 / 22.5)
    # MQLs and SQLs the worked leads become: Blend 150·0.5 + 75·0.5 = 112.5 MQLs; 150·0.2 + 75·0.25 = 48.75 SQLs.
    assert r.metric("blend", "mqls") == pytest.approx(112.5) and r.metric("blend", "sqls") == pytest.approx(48.75)


# ---- 1. spend, caps, unspent ------------------------------------------------------------------------


def test_vendor_cap_leaves_budget_unspent_on_the_channel_and_the_strategy():
    # Cap 30 leads at CPL 20 → the Buy strategy (all 1000 on `buy`) spends 600 a month; 400 unspent.
    r = run(scenario(**{"channel.buy.max_leads_per_month": 30.0}))
    assert r.series_of("buy", "spend") == pytest.approx([600, 600, 600])
    assert r.series_of("buy", "unspent") == pytest.approx([400, 400, 400])
    assert r.metric("buy", "unspent") == pytest.approx(1200)
    assert r.channel_metric("buy", "buy", "unspent") == pytest.approx(1200)
    # Blend buys 500 → 25 leads, under the cap: nothing unspent.
    assert r.metric("blend", "unspent") == pytest.approx(0)
    assert r.channel_metric("blend", "buy", "unspent") == pytest.approx(0)


def test_shares_below_one_leave_the_rest_unspent_but_not_on_a_channel():
    # Blend: gen 0.1 → 100 a month; buy 0.9 → wants 900 but the cap (30 × 20 = 600) binds.
    # Strategy unspent = B·H − spend = 3000 − 3·700 = 900; buy's own unspent = its cap only = 3·300 = 900;
    # gen's unspent = 0.
    r = run(scenario(**{"channel.gen.share": 0.1, "channel.buy.share": 0.9, "channel.buy.max_leads_per_month": 30.0}))
    assert r.metric("blend", "spend") == pytest.approx(2100)
    assert r.metric("blend", "unspent") == pytest.approx(900)
    assert r.channel_metric("blend", "buy", "unspent") == pytest.approx(900)
    assert r.channel_metric("blend", "gen", "unspent") == pytest.approx(0)
    # Shares 0.2 + 0.3, no cap: the Blend spends 500 a month; 1500 unspent, none of it on a channel.
    r = run(scenario(**{"channel.gen.share": 0.2, "channel.buy.share": 0.3}))
    assert r.metric("blend", "spend") == pytest.approx(1500)
    assert r.metric("blend", "unspent") == pytest.approx(1500)
    assert r.series_of("blend", "unspent") == pytest.approx([500, 500, 500])
    assert r.channel_metric("blend", "gen", "unspent") == 0 and r.channel_metric("blend", "buy", "unspent") == 0
    # Generate and Buy still put the whole budget on their kind.
    assert r.metric("generate", "spend") == pytest.approx(3000) and r.metric("buy", "spend") == pytest.approx(3000)


def test_kind_shares_split_the_budget_and_all_zero_shares_split_it_equally():
    gen2 = {"kind": "generate", "cost_per_lead": 20.0, "lead_to_mql": 0.5, "mql_to_sql": 0.4,
            "sql_to_customer": 0.5, "nurture_months": 0.0}  # fmt: skip
    # gen 0 and gen2 0: Generate splits 1000 equally → gen 500/10 = 50 leads, gen2 500/20 = 25 leads.
    r = run(scenario(**{"channel.gen.share": 0.0, "channel.gen2": {**gen2, "share": 0.0}}))
    assert chan(r, "generate", "gen", "spend") == pytest.approx([500] * 3)
    assert chan(r, "generate", "gen2", "leads") == pytest.approx([25] * 3)
    assert chan(r, "generate", "buy", "spend") == pytest.approx([0] * 3)
    # The Blend gives each channel its own share: gen and gen2 nothing, buy 500 → 500 unspent a month.
    assert r.metric("blend", "spend") == pytest.approx(1500)
    # gen 0.1, gen2 0.3: Generate gives them 1000·0.1/0.4 = 250 and 750.
    r = run(scenario(**{"channel.gen.share": 0.1, "channel.gen2": {**gen2, "share": 0.3}, "channel.buy.share": 0.6}))
    assert chan(r, "generate", "gen", "spend") == pytest.approx([250] * 3)
    assert chan(r, "generate", "gen2", "spend") == pytest.approx([750] * 3)
    assert chan(r, "buy", "buy", "spend") == pytest.approx([1000] * 3)


def test_fixed_costs_only_in_months_with_spend():
    # gen 300 and buy 70 a month when they spend; the Blend with gen's share 0 pays only buy's 70.
    r = run(scenario(**{"channel.gen.fixed_monthly_cost": 300.0, "channel.buy.fixed_monthly_cost": 70.0}))
    assert r.series_of("generate", "fixed_costs") == pytest.approx([300, 300, 300])
    assert r.series_of("buy", "fixed_costs") == pytest.approx([70, 70, 70])
    assert r.series_of("blend", "fixed_costs") == pytest.approx([370, 370, 370])
    assert r.metric("generate", "total_cost") == pytest.approx(3 * 1300)
    only_buy = run(scenario(**{"channel.gen.share": 0.0, "channel.gen.fixed_monthly_cost": 300.0}))
    assert only_buy.metric("blend", "fixed_costs") == pytest.approx(0)


# ---- 2. generated leads: a stock that builds and fades ---------------------------------------------


def test_stock_ramp_builds_to_95_percent_after_R_months():
    # R = 2: δ = 0.05^(1/2) = 0.2236…; constant spend x = 1000 (Generate): e(m) = x(1 − δ^m), so
    # e = 776.39, 950, 988.82, 997.5 → leads (CPL 10) 77.639, 95, 98.882, 99.75:
    # month 1 = 77.6 % of steady state, month 2 = 95 %.
    r = run(scenario(**{"channel.gen.ramp_months": 2.0, "horizon_months": 4}))
    assert r.series_of("generate", "leads") == pytest.approx([77.63932022500211, 95.0, 98.8819660112501, 99.75])
    # Buy channels have no stock: the Buy strategy's 50 leads a month from month 1.
    assert r.series_of("buy", "leads") == pytest.approx([50, 50, 50, 50])


def test_leads_fade_by_delta_when_spend_stops():
    # R = 2, spend 1000 in months 1–3, nothing in 4–6: leads(3) = 100(1 − δ³) = 98.882, then
    # leads(4) = δ·98.882 = 22.111, leads(5) = δ²·98.882 = 4.9441, leads(6) = δ³·98.882 = 1.1055.
    scn = scenario(**{"channel.gen.ramp_months": 2.0, "horizon_months": 6})
    leads, s = by_month(scn, [[1, 1, 1, 0, 0, 0], [0] * 6])
    l3 = 100 * (1 - SQRT_005**3)
    assert leads[0] == pytest.approx([100 * (1 - SQRT_005), 95.0, l3, SQRT_005 * l3, 0.05 * l3, SQRT_005**3 * l3])
    assert s["spend"] == pytest.approx(3000)
    # Paid media (R = 0) stops at once.
    leads, _ = by_month(scenario(**{"horizon_months": 6}), [[1, 1, 1, 0, 0, 0], [0] * 6])
    assert leads[0] == pytest.approx([100, 100, 100, 0, 0, 0])


def test_token_spend_builds_almost_nothing():
    # R = 6: δ = 0.05^(1/6) = 0.60696. Spend 4 a month for 12 months, then 1000 in month 13:
    # e(13) = (1 − δ)·S(13) = 4δ(1 − δ¹²) + 1000(1 − δ) = 2.4217 + 393.04 = 395.46 → 39.546 leads,
    # about the R = 6 ramp's first month (39.304), nowhere near the steady 100.
    scn = scenario(**{"channel.gen.ramp_months": 6.0, "horizon_months": 13})
    leads, _ = by_month(scn, [[0.004] * 12 + [1.0], [0.0] * 13])
    assert leads[0, 12] == pytest.approx(39.54595482987844)
    assert leads[0, 12] < 0.41 * 100
    assert leads[0, 11] == pytest.approx(0.4 * (1 - 0.05**2))  # 12 months of spend 4: steady 0.4 leads, 99.75 %


def test_elasticity_doubling_spend_multiplies_leads_by_two_to_the_elasticity():
    # elasticity 0.5, reference spend 250, CPL 10, no ramp; Generate spends all of B on gen.
    # B = 250 (reference): 25 leads, CPL 10 holds. B = 1000: 100 · (1000/250)^(−0.5) = 50 leads (CPL 20).
    # B = 2000: 200 · 8^(−0.5) = 70.711 = 50 · 2^0.5.
    base = {"channel.gen.elasticity": 0.5, "channel.gen.reference_spend": 250.0}
    at_ref = run(scenario(**base, **{"budget.monthly": 250.0}))
    assert at_ref.series_of("generate", "leads") == pytest.approx([25, 25, 25])
    assert at_ref.metric("generate", "cpl") == pytest.approx(10)
    one = run(scenario(**base))
    two = run(scenario(**base, **{"budget.monthly": 2000.0}))
    assert one.series_of("generate", "leads") == pytest.approx([50, 50, 50])
    assert two.series_of("generate", "leads") == pytest.approx([50 * 2**0.5] * 3)


def test_ramp_with_elasticity_reaches_095_to_the_elasticity():
    # R = 2, elasticity 0.5, reference 1000 = B: e(2) = 0.95·1000 → leads 100 · 0.95^0.5 = 97.468.
    r = run(scenario(**{"channel.gen.ramp_months": 2.0, "channel.gen.elasticity": 0.5,
                        "channel.gen.reference_spend": 1000.0}))  # fmt: skip
    assert r.series_of("generate", "leads")[1] == pytest.approx(100 * 0.95**0.5)


def test_baseline_without_spend_fades_and_pays_no_fixed_cost():
    # L0 = 100, R = 2, elasticity 0.5 (reference 250), B = 0: leads(m) = δ^(m·0.5)·100, δ^0.5 = 0.05^(1/4)
    # = 0.47287 → 47.287, 22.361, 10.574. No spend, so gen's fixed cost (300) is never charged.
    r = run(scenario(**{"budget.monthly": 0.0, "channel.gen.ramp_months": 2.0, "channel.gen.elasticity": 0.5,
                        "channel.gen.reference_spend": 250.0, "channel.gen.starting_leads_per_month": 100.0,
                        "channel.gen.fixed_monthly_cost": 300.0}))  # fmt: skip
    f = 0.05**0.25
    for strat in ("generate", "buy", "blend"):  # a baseline yields in every strategy
        assert chan(r, strat, "gen", "leads") == pytest.approx([100 * f, 100 * f**2, 100 * f**3])
        assert r.metric(strat, "fixed_costs") == 0
        assert r.metric(strat, "spend") == 0
    # customers = p·leads = 0.1·leads; nothing spent, so no cost per lead
    assert r.metric("generate", "customers") == pytest.approx(10 * (f + f**2 + f**3))
    assert r.metric("generate", "cpl") == 0


def test_baseline_alone_is_worth_its_fading_stock_in_npv_lifetime():
    # L0 = 100, R = 2, elasticity 1, B = 0, no discounting: leads(m) = 100·δ^m for every m ≥ 1 (the
    # extended run keeps them after H), customers 10·δ^m, each worth ltv_d = 10 × 50 = 500:
    # npv_lifetime = 5000 · Σ_{m≥1} δ^m = 5000 · δ/(1 − δ) = 1440.0358. No cost at all (fixed cost needs spend).
    r = run(scenario(**{"budget.monthly": 0.0, "channel.gen.ramp_months": 2.0, "channel.gen.fixed_monthly_cost": 300.0,
                        "channel.gen.starting_leads_per_month": 100.0}))  # fmt: skip
    want = 5000 * SQRT_005 / (1 - SQRT_005)
    for strat in ("generate", "buy", "blend"):
        assert r.metric(strat, "npv_lifetime") == pytest.approx(want, rel=1e-9)
        assert r.metric(strat, "total_cost") == 0


# ---- 3. bought leads: invalid leads, refunds and their delay ---------------------------------------


def test_invalid_leads_and_refunds_capped_at_return_cap():
    # Buy: 50 delivered, 20 % invalid → 40 valid; refund min(0.2, 0.1) · 1000 = 100 a month.
    r = run(scenario(**{"channel.buy.invalid_rate": 0.2, "channel.buy.return_cap": 0.1}))
    assert r.series_of("buy", "leads") == pytest.approx([40, 40, 40])
    assert r.series_of("buy", "refunds") == pytest.approx([100, 100, 100])
    assert r.series_of("buy", "total_cost") == pytest.approx([900, 900, 900])
    assert r.metric("buy", "cpl") == pytest.approx(900 / 40)
    # A return cap above the invalid rate: only the invalid ones come back, 200 a month.
    r2 = run(scenario(**{"channel.buy.invalid_rate": 0.2, "channel.buy.return_cap": 0.5}))
    assert r2.series_of("buy", "refunds") == pytest.approx([200, 200, 200])


def test_refund_delay_moves_refunds_out_of_the_horizon_but_not_out_of_lifetime_value():
    # Buy with 20 % invalid, cap 0.1, delay 2: refunds of 100 for months 1–3 arrive in months 3, 4, 5.
    # Within H = 3 only month 3's: refunds 100, total cost 3000 − 100 = 2900.
    # Valid leads 40 a month → 4 customers a month, 12 in all, each ltv_d = 500 (no discounting).
    # npv_lifetime = 12·500 − (3000 − 300) = 3300: the two refunds after H count, as with no delay.
    # npv (horizon): gross profit 4·50 in month 2 and 8·50 in month 3 = 600 → 600 − 2900 = −2300.
    base = {"channel.buy.invalid_rate": 0.2, "channel.buy.return_cap": 0.1}
    late = run(scenario(**base, **{"channel.buy.refund_delay_months": 2}))
    now = run(scenario(**base))
    assert late.series_of("buy", "refunds") == pytest.approx([0, 0, 100])
    assert late.metric("buy", "refunds") == pytest.approx(100)
    assert late.metric("buy", "total_cost") == pytest.approx(2900)
    assert late.metric("buy", "npv") == pytest.approx(-2300)
    assert now.metric("buy", "npv") == pytest.approx(-2100)
    assert late.metric("buy", "npv_lifetime") == pytest.approx(3300)
    assert now.metric("buy", "npv_lifetime") == pytest.approx(3300)


# ---- 4. sales capacity and sales cost --------------------------------------------------------------


def test_capacity_scales_every_channel_and_counts_unworked():
    # Blend: V = 50 (gen) + 25 (buy) = 75 > C = 60 → each scaled by 60/75 = 0.8: gen works 40, buy 20;
    # 15 unworked a month (gen 10, buy 5); customers 0.1·60 = 6 a month; capacity used = 75/60 = 1.25.
    # Sales cost 2 per worked lead: 120 a month. starting_pipeline 100 on buy: not capacity-limited,
    # not in leads or sales cost; it closes in month 1 (no lag): 0.1·100 = 10 more customers.
    r = run(scenario(**{"sales.capacity_leads_per_month": 60.0, "sales.cost_per_worked_lead": 2.0,
                        "channel.buy.starting_pipeline": 100.0}))  # fmt: skip
    assert r.series_of("blend", "leads") == pytest.approx([75, 75, 75])
    assert r.series_of("blend", "unworked") == pytest.approx([15, 15, 15])
    assert r.channel_metric("blend", "gen", "unworked") == pytest.approx(30)
    assert r.channel_metric("blend", "buy", "unworked") == pytest.approx(15)
    assert r.series_of("blend", "customers") == pytest.approx([16, 6, 6])
    assert r.series_of("blend", "sales_cost") == pytest.approx([120, 120, 120])
    assert r.metric("blend", "capacity_used") == pytest.approx(1.25)
    assert r.channel_metric("blend", "buy", "leads") == pytest.approx(75)  # starting pipeline not in leads
    assert r.channel_metric("blend", "buy", "customers_eventual") == pytest.approx(0.1 * (60 + 100))
    # channel CAC: its own spend + sales cost of its worked leads: buy (1500 + 2·60) / (0.1·60 + 10)
    assert r.channel_metric("blend", "buy", "cac") == pytest.approx(1620 / 16)
    # Generate: V = 100 → 60 worked, 40 unworked a month, capacity used 100/60.
    assert r.series_of("generate", "unworked") == pytest.approx([40, 40, 40])
    assert r.metric("generate", "capacity_used") == pytest.approx(100 / 60)
    # No capacity: capacity_used is undefined.
    assert run(scenario()).metric("blend", "capacity_used") is None


def test_sales_cost_is_cost_per_worked_lead_times_worked_leads():
    # No capacity: Blend works all 75 leads → sales cost 2·75 = 150 a month, total cost 1150 a month.
    r = run(scenario(**{"sales.cost_per_worked_lead": 2.0}))
    assert r.series_of("blend", "sales_cost") == pytest.approx([150, 150, 150])
    assert r.metric("blend", "total_cost") == pytest.approx(3 * 1150)
    assert r.channel_metric("blend", "gen", "sales_cost") == pytest.approx(300)
    assert r.channel_metric("blend", "buy", "sales_cost") == pytest.approx(150)


# ---- 5. funnel: the negative binomial lag ----------------------------------------------------------


def test_lag_distribution_by_hand():
    # nurture 1 → stay q = 1/(3+1) = 1/4: P(0) = (3/4)³ = 27/64, P(1) = 3·(3/4)³·(1/4) = 81/256,
    # P(L > 0) = 37/64, P(L > 1) = 1 − 27/64 − 81/256 = 67/256.
    mu = np.float64(1.0)
    assert lag_pmf(np.array([0.0, 1.0]), mu) == pytest.approx([27 / 64, 81 / 256])
    assert lag_survival(np.array([0.0, 1.0]), mu) == pytest.approx([37 / 64, 67 / 256])
    k = np.arange(2000, dtype=float)
    for m in (0.0, 0.3, 3.0, 12.0, 36.0):
        pmf = lag_pmf(k, np.float64(m))
        assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
        assert (k * pmf).sum() == pytest.approx(m, abs=1e-6)
        assert lag_survival(k[:50], np.float64(m)) == pytest.approx(1 - np.cumsum(pmf[:50]), abs=1e-12)


def test_lagged_customers_and_pipeline_stages_by_hand():
    # Generate, nurture 1: 100 leads a month, p = 0.1: customers(1) = 10·27/64,
    # customers(2) = 10·(27/64 + 81/256); pipeline(1) = 100·37/64, pipeline(2) = 100·(37/64 + 67/256).
    r = run(scenario(**{"channel.gen.nurture_months": 1.0}))
    assert r.series_of("generate", "customers")[:2] == pytest.approx([270 / 64, 10 * (27 / 64 + 81 / 256)])
    assert r.series_of("generate", "pipeline")[:2] == pytest.approx([3700 / 64, 100 * (37 / 64 + 67 / 256)])
    # Stages after month 1 (q = 1/4): first wait holds 100·q = 25, second 75·q = 18.75, third 56.25·q =
    # 14.0625. lead→MQL 0.5, MQL→SQL 0.4: SQL = 0.5·0.4·14.0625 = 2.8125; MQL = 0.5·(18.75 + 0.6·14.0625)
    # = 13.59375; open leads = 25 + 0.5·(18.75 + 14.0625) = 41.40625.
    assert r.series_of("generate", "pipeline_sql")[0] == pytest.approx(2.8125)
    assert r.series_of("generate", "pipeline_mql")[0] == pytest.approx(13.59375)
    assert r.series_of("generate", "pipeline_leads")[0] == pytest.approx(41.40625)


def test_starting_pipeline_arrives_in_month_one_with_the_full_lag():
    # gen.starting_pipeline = 64, nurture 1, B = 0: customers(1) = 0.1·64·27/64 = 2.7,
    # customers(2) = 0.1·64·81/256 = 2.025; it is in the pipeline (64·37/64 = 37), not in leads.
    r = run(scenario(**{"budget.monthly": 0.0, "channel.gen.nurture_months": 1.0,
                        "channel.gen.starting_pipeline": 64.0}))  # fmt: skip
    for strat in ("generate", "buy", "blend"):
        assert r.series_of(strat, "customers")[:2] == pytest.approx([2.7, 2.025])
        assert r.series_of(strat, "pipeline")[0] == pytest.approx(37)
        assert r.metric(strat, "leads") == 0
        assert r.metric(strat, "customers_eventual") == pytest.approx(6.4)


def test_little_law_in_a_long_constant_run():
    """In steady state, pipeline / monthly leads = mean months to close."""
    for nurture in (0.5, 3.0, 8.0):
        r = run(scenario(**{"channel.gen.nurture_months": nurture, "horizon_months": 120}))
        assert r.series_of("generate", "pipeline")[-1] / 100 == pytest.approx(nurture, rel=0.01)


# ---- 6. revenue ----------------------------------------------------------------------------------------


def test_revenue_with_churn():
    # churn 0.5: month 2 pays 10·100; month 3 (10·0.5 + 10)·100 = 1500; month 4 (2.5 + 5 + 10)·100 = 1750.
    r = run(scenario(**{"economics.monthly_churn": 0.5, "horizon_months": 4}))
    assert r.series_of("generate", "revenue") == pytest.approx([0, 1000, 1500, 1750])
    # LTV = 100 · 0.5 · Σ_{t<10} 0.5^t = 50 · (1 − 0.5^10) / 0.5
    assert r.metric("generate", "ltv") == pytest.approx(50 * (1 - 0.5**10) / 0.5)


def test_revenue_stops_after_the_lifetime_within_the_horizon():
    # lifetime 2: a customer won in month m pays in months m+1 and m+2 only. 10 customers a month:
    # revenue = 0, 10·100, 20·100, 20·100 (month 1's customers stopped after month 3).
    r = run(scenario(**{"economics.lifetime_months": 2, "horizon_months": 4}))
    assert r.series_of("generate", "revenue") == pytest.approx([0, 1000, 2000, 2000])
    # with churn 0.5: month 3 = (10·0.5 + 10)·100, month 4 = (10·0.5 + 10)·100 (won in 2 and 3)
    r = run(scenario(**{"economics.lifetime_months": 2, "horizon_months": 4, "economics.monthly_churn": 0.5}))
    assert r.series_of("generate", "revenue") == pytest.approx([0, 1000, 1500, 1500])


def test_ltv_ltv_to_cac_and_lifetime_roi():
    r = run(scenario())
    assert r.metric("buy", "ltv") == pytest.approx(100 * 0.5 * 10)
    # Buy: 15 customers for 3000 → CAC 200; LTV:CAC = 500 / 200; lifetime ROI = (15 · 500 − 3000) / 3000
    assert r.metric("buy", "cac") == pytest.approx(200)
    assert r.metric("buy", "ltv_to_cac") == pytest.approx(2.5)
    assert r.metric("buy", "roi_lifetime") == pytest.approx((15 * 500 - 3000) / 3000)
    # Generate: 30 customers, revenue 0, 1000, 2000 → gross profit 1500; ROI = (1500 − 3000) / 3000
    assert r.metric("generate", "customers") == pytest.approx(30)
    assert r.metric("generate", "roi") == pytest.approx(-0.5)
    assert r.metric("generate", "payback_month") is None


def test_payback_month():
    # Revenue 400, margin 0.5: gross profit 0, 2000, 4000 against cost 1000 a month → net −1000, 0, 3000.
    r = run(scenario(**{"economics.revenue_per_customer_month": 400.0}))
    assert r.series_of("generate", "cumulative_net") == pytest.approx([-1000, 0, 3000])
    assert r.metric("generate", "payback_month") == 2


# ---- 8. discounting -------------------------------------------------------------------------------


def test_ltv_discounted_closed_form():
    # r = 0.1 a year → β = 1.1^(−1/12) = 0.992089 a month. churn 0.5, lifetime 3:
    # ltv_d = 50·(β + 0.5·β² + 0.25·β³) = 50·(0.992089 + 0.492120 + 0.244114) = 86.416;
    # undiscounted ltv = 50·(1 + 0.5 + 0.25) = 87.5.
    b = 1.1 ** (-1 / 12)
    r = run(scenario(**{"economics.discount_rate": 0.1, "economics.monthly_churn": 0.5,
                        "economics.lifetime_months": 3}))  # fmt: skip
    assert r.metric("blend", "ltv_discounted") == pytest.approx(50 * (b + 0.5 * b**2 + 0.25 * b**3))
    assert r.metric("blend", "ltv_discounted") == pytest.approx(86.4161, abs=1e-4)
    assert r.metric("blend", "ltv") == pytest.approx(87.5)
    # churn 0, lifetime 10: a geometric sum 50·β(1 − β¹⁰)/(1 − β)
    r = run(scenario(**{"economics.discount_rate": 0.1}))
    assert r.metric("blend", "ltv_discounted") == pytest.approx(50 * b * (1 - b**10) / (1 - b))


def test_npv_within_the_horizon():
    # Generate, r = 0.1: cost 1000 a month, gross profit 0, 500, 1000 → net −1000, −500, 0:
    # npv = −1000·β − 500·β² = −992.089 − 492.120 = −1484.209.
    b = 1.1 ** (-1 / 12)
    r = run(scenario(**{"economics.discount_rate": 0.1}))
    assert r.metric("generate", "npv") == pytest.approx(-1000 * b - 500 * b**2)
    assert r.metric("generate", "npv") == pytest.approx(-1484.209, abs=1e-3)
    assert run(scenario()).metric("generate", "npv") == pytest.approx(-1500)  # no discounting: 1500 − 3000


# ---- 9. lifetime value of the plan ------------------------------------------------------------------


def test_npv_lifetime_by_hand():
    # Generate, no lag, no ramp, no discounting: nothing happens after H. 30 customers × ltv_d 500 − 3000.
    assert run(scenario()).metric("generate", "npv_lifetime") == pytest.approx(12000)
    # r = 0.1: Σ_{m=1..3} β^m · (10·ltv_d − 1000) with ltv_d = 50·β(1 − β¹⁰)/(1 − β).
    b = 1.1 ** (-1 / 12)
    ltv_d = 50 * b * (1 - b**10) / (1 - b)
    r = run(scenario(**{"economics.discount_rate": 0.1}))
    assert r.metric("generate", "npv_lifetime") == pytest.approx((b + b**2 + b**3) * (10 * ltv_d - 1000))
    # With a lag, the deals still open at H close after it and count: undiscounted, every worked lead is
    # eventually won with p, so npv_lifetime = customers_eventual · ltv_d − cost = 30·500 − 3000 again.
    r = run(scenario(**{"channel.gen.nurture_months": 4.0}))
    assert r.metric("generate", "customers") < 25
    assert r.metric("generate", "npv_lifetime") == pytest.approx(12000, rel=1e-9)
    # Fixed costs are never charged after the horizon, even while the stock still yields (R = 2):
    # leads after H: 100(1 − δ³)·δ^k → customers 10(1 − δ³)·δ/(1 − δ) more, at no cost.
    r = run(scenario(**{"channel.gen.ramp_months": 2.0, "channel.gen.fixed_monthly_cost": 100.0}))
    inside = 10 * ((1 - SQRT_005) + 0.95 + (1 - SQRT_005**3))
    after = 10 * (1 - SQRT_005**3) * SQRT_005 / (1 - SQRT_005)
    assert r.metric("generate", "npv_lifetime") == pytest.approx((inside + after) * 500 - 3 * 1100, rel=1e-9)


def test_unit_payback_months():
    # No discounting, no churn: one customer brings 50 a month. Generate's cac_eventual = 3000/30 = 100
    # → 2 months; Buy's = 3000/15 = 200 → 4 months.
    r = run(scenario())
    assert r.metric("generate", "unit_payback_months") == 2
    assert r.metric("buy", "unit_payback_months") == 4
    # Lifetime 3: 150 < 200, Buy's CAC is not earned back within a customer's life.
    r = run(scenario(**{"economics.lifetime_months": 3}))
    assert r.metric("buy", "unit_payback_months") is None
    assert r.metric("generate", "unit_payback_months") == 2
    # No customer at all: cac_eventual is null, so is the payback.
    r = run(scenario(**{"channel.buy.sql_to_customer": 0.0}))
    assert r.metric("buy", "cac_eventual") is None and r.metric("buy", "unit_payback_months") is None


# ---- metrics over time: cohort CAC and the crossovers ------------------------------------------------


def test_cohort_cac():
    # Blend: cost 1000 a month; eventual customers from each month's leads: 0.1·50 + 0.1·25 = 7.5
    # → 133.33 a month, with or without a lag, and without the starting pipeline (not a cohort).
    r = run(scenario(**{"channel.gen.nurture_months": 3.0, "channel.buy.starting_pipeline": 500.0}))
    assert r.series_of("blend", "cohort_cac") == pytest.approx([1000 / 7.5] * 3)
    assert r.series_of("generate", "cohort_cac") == pytest.approx([100] * 3)
    assert r.series_of("buy", "cohort_cac") == pytest.approx([200] * 3)
    assert r.cohort_crossover_month() == 1


def test_crossover_months_with_a_ramp():
    # gen R = 6 (δ = 0.60696): Generate's month-m leads 100(1 − δ^m), customers 10(1 − δ^m), cost 1000.
    # Cohort CAC = 100/(1 − δ^m): month 1 254.4 > Buy's 200, month 2 157.2 ≤ 200 → cohort crossover 2.
    # CAC to date: month 1 1000/3.930 = 254.4; month 2 2000/(3.930 + 6.316) = 195.2 ≤ 200 → crossover 2.
    r = run(scenario(**{"channel.gen.ramp_months": 6.0, "horizon_months": 6}))
    d = 0.05 ** (1 / 6)
    assert r.series_of("generate", "cohort_cac")[:2] == pytest.approx([100 / (1 - d), 100 / (1 - d**2)])
    assert r.series_of("generate", "cac_to_date")[1] == pytest.approx(2000 / (10 * (1 - d) + 10 * (1 - d**2)))
    assert r.cohort_crossover_month() == 2
    assert r.crossover_month() == 2


def test_crossover_needs_customers_on_both_sides():
    # Buy never wins a customer: its CAC to date and cohort CAC are undefined in every month; an
    # undefined month does not count as "Generate ≤ Buy", so there is no crossover at all.
    r = run(scenario(**{"channel.buy.sql_to_customer": 0.0}))
    assert all(math.isnan(v) for v in r.series_of("buy", "cac_to_date"))
    assert r.crossover_month() is None
    assert r.cohort_crossover_month() is None
    # Without a buy channel there is no Buy strategy, hence no crossover.
    r = run(scenario(**{"channel.buy": None}))
    assert r.present["buy"] is False and r.crossover_month() is None and r.cohort_crossover_month() is None
