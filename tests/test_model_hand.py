"""Hand-computed cases, one per equation of the model contract."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import scenario

from simulation import run
from simulation.model import lag_pmf, lag_survival, ramp


def col(result, strategy, name):
    df = result.monthly
    return df[df["strategy"] == strategy][name].to_numpy()


def test_generate_no_lag_no_churn_by_hand():
    # 1000/month at CPL 10 → 100 leads; p = 0.5·0.4·0.5 = 0.1 → 10 customers a month.
    # Revenue: customers won before month m pay 100 each → 0, 1000, 2000.
    r = run(scenario())
    assert col(r, "generate", "leads") == pytest.approx([100, 100, 100])
    assert col(r, "generate", "customers") == pytest.approx([10, 10, 10])
    assert col(r, "generate", "revenue") == pytest.approx([0, 1000, 2000])
    assert col(r, "generate", "gross_profit") == pytest.approx([0, 500, 1000])
    assert col(r, "generate", "cumulative_net") == pytest.approx([-1000, -1500, -1500])
    assert col(r, "generate", "pipeline") == pytest.approx([0, 0, 0], abs=1e-9)
    assert r.metric("generate", "customers") == pytest.approx(30)
    assert r.metric("generate", "cac") == pytest.approx(100)
    assert r.metric("generate", "cpl") == pytest.approx(10)
    assert r.metric("generate", "roi") == pytest.approx((1500 - 3000) / 3000)
    assert r.metric("generate", "payback_month") is None


def test_buy_and_blend_by_hand():
    # Buy: 1000 / 20 = 50 leads, p = 0.5·0.5·0.4 = 0.1 → 5 customers a month, CAC 200.
    # Blend (share 0.5): 500 → 50 generated (5 customers) + 500 → 25 bought (2.5 customers).
    r = run(scenario())
    assert col(r, "buy", "customers") == pytest.approx([5, 5, 5])
    assert r.metric("buy", "cac") == pytest.approx(200)
    assert col(r, "blend", "leads_generate") == pytest.approx([50, 50, 50])
    assert col(r, "blend", "leads_buy") == pytest.approx([25, 25, 25])
    assert col(r, "blend", "customers") == pytest.approx([7.5, 7.5, 7.5])
    assert r.metric("blend", "cac") == pytest.approx(3000 / 22.5)


def test_revenue_with_churn_by_hand():
    # churn 0.5: month 2 pays 10·100; month 3 pays (10·0.5 + 10)·100 = 1500; month 4 (5 + 10·0.5 ... )
    r = run(scenario(**{"economics.monthly_churn": 0.5, "horizon_months": 4}))
    assert col(r, "generate", "revenue") == pytest.approx([0, 1000, 1500, 1750])
    # LTV = 100 · 0.5 · Σ_{t<10} 0.5^t = 50 · (1 − 0.5^10) / 0.5
    assert r.metric("generate", "ltv") == pytest.approx(50 * (1 - 0.5**10) / 0.5)


def test_ltv_without_churn_counts_lifetime_months():
    r = run(scenario())
    assert r.metric("buy", "ltv") == pytest.approx(100 * 0.5 * 10)
    # LTV:CAC = 500 / 200; lifetime ROI = (15 · 500 − 3000) / 3000
    assert r.metric("buy", "ltv_to_cac") == pytest.approx(2.5)
    assert r.metric("buy", "roi_lifetime") == pytest.approx((15 * 500 - 3000) / 3000)


def test_payback_month_by_hand():
    # Revenue 400, margin 0.5: gross profit 0, 2000, 4000 against cost 1000 a month → net −1000, 0, 3000.
    r = run(scenario(**{"economics.revenue_per_customer_month": 400.0}))
    assert col(r, "generate", "cumulative_net") == pytest.approx([-1000, 0, 3000])
    assert r.metric("generate", "payback_month") == 2


def test_vendor_cap_leaves_budget_unspent():
    # Cap 30 leads at CPL 20 → at most 600 spent of 1000; 400 unspent each month.
    r = run(scenario(**{"buy.max_leads_per_month": 30.0}))
    assert col(r, "buy", "spend") == pytest.approx([600, 600, 600])
    assert col(r, "buy", "unspent") == pytest.approx([400, 400, 400])
    assert r.metric("buy", "unspent") == pytest.approx(1200)
    # Blend buys 500 → 25 leads, under the cap: nothing unspent.
    assert r.metric("blend", "unspent") == pytest.approx(0)


def test_refunds_capped_at_return_cap():
    # 50 delivered, 20 % invalid → 40 valid; vendor refunds min(0.2, 0.1) · 1000 = 100.
    r = run(scenario(**{"buy.invalid_rate": 0.2, "buy.return_cap": 0.1}))
    assert col(r, "buy", "delivered_buy") == pytest.approx([50, 50, 50])
    assert col(r, "buy", "leads") == pytest.approx([40, 40, 40])
    assert col(r, "buy", "refunds") == pytest.approx([100, 100, 100])
    assert col(r, "buy", "total_cost") == pytest.approx([900, 900, 900])
    assert r.metric("buy", "cpl") == pytest.approx(900 / 40)
    # Return cap above the invalid rate: only the invalid ones come back.
    r2 = run(scenario(**{"buy.invalid_rate": 0.2, "buy.return_cap": 0.5}))
    assert col(r2, "buy", "refunds") == pytest.approx([200, 200, 200])


def test_fixed_costs_only_for_channels_with_budget():
    r = run(scenario(**{"generate.fixed_monthly_cost": 300.0, "buy.fixed_monthly_cost": 70.0}))
    assert col(r, "generate", "fixed_costs") == pytest.approx([300, 300, 300])
    assert col(r, "buy", "fixed_costs") == pytest.approx([70, 70, 70])
    assert col(r, "blend", "fixed_costs") == pytest.approx([370, 370, 370])
    assert r.metric("generate", "total_cost") == pytest.approx(3 * 1300)
    only_gen = run(scenario(**{"budget.buy_share": 0.0, "buy.fixed_monthly_cost": 70.0}))
    assert only_gen.metric("blend", "fixed_costs") == pytest.approx(0)


def test_ramp_shape():
    # ramp_months 3: 1/4, 2/4, 3/4 of steady state, then exactly steady from month 4.
    r = run(scenario(**{"generate.ramp_months": 3.0, "horizon_months": 6}))
    assert col(r, "generate", "leads") == pytest.approx([25, 50, 75, 100, 100, 100])
    age = np.arange(1, 61, dtype=float)
    for months in (0.0, 0.5, 2.5, 7.0, 59.0):
        f = ramp(age, np.float64(months))
        assert np.all(f > 0) and np.all(f <= 1)
        assert np.all(np.diff(f) >= 0)
        assert np.all(f[age > months] == 1.0)
        assert np.all(f[age <= months] < 1.0)


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


def test_lagged_customers_by_hand():
    # nurture 1: 100 generated leads a month, p = 0.1: customers(1) = 10·27/64,
    # customers(2) = 10·(27/64 + 81/256); pipeline(1) = 100·37/64, pipeline(2) = 100·(37/64 + 67/256).
    r = run(scenario(**{"generate.nurture_months": 1.0}))
    cust = col(r, "generate", "customers")
    assert cust[:2] == pytest.approx([270 / 64, 10 * (27 / 64 + 81 / 256)])
    assert col(r, "generate", "pipeline")[:2] == pytest.approx([3700 / 64, 100 * (37 / 64 + 67 / 256)])
    # Stages after month 1 (stay q = 1/4): stage 1 holds 100·q = 25, stage 2 holds 75·q = 18.75,
    # stage 3 holds 56.25·q = 14.0625. With lead→MQL 0.5 and MQL→SQL 0.4:
    # SQL = 0.5·0.4·14.0625; MQL = 0.5·(18.75 + 0.6·14.0625); open leads = 25 + 0.5·(18.75 + 14.0625).
    assert col(r, "generate", "pipeline_sql")[0] == pytest.approx(2.8125)
    assert col(r, "generate", "pipeline_mql")[0] == pytest.approx(13.59375)
    assert col(r, "generate", "pipeline_leads")[0] == pytest.approx(41.40625)


def test_pipeline_stages_sum_to_pipeline():
    r = run(scenario(**{"generate.nurture_months": 4.0, "buy.nurture_months": 2.0, "horizon_months": 24}))
    df = r.monthly
    parts = df["pipeline_leads"] + df["pipeline_mql"] + df["pipeline_sql"]
    assert parts.to_numpy() == pytest.approx(df["pipeline"].to_numpy())
    # With the lead → MQL rate of 0.5 at most half of the open items can have reached MQL or SQL.
    assert np.all((df["pipeline_mql"] + df["pipeline_sql"]) <= 0.5 * df["pipeline"] + 1e-9)
