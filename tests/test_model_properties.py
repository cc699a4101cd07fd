"""Identities and hypothesis properties of the model."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import HAND, scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import params_of, run, simulate, summarize, validate_scenario
from simulation.model import MONTHLY, SUMMARY

rate = st.floats(0.0, 1.0)
pos_rate = st.floats(0.01, 1.0)
money = st.floats(0.0, 1e6)
price = st.floats(0.5, 5000.0)
months = st.floats(0.0, 36.0)


@st.composite
def scenarios(draw):
    return validate_scenario(
        {
            "name": "h",
            "horizon_months": draw(st.integers(1, 60)),
            "budget": {"monthly": draw(money), "buy_share": draw(rate)},
            "economics": {
                "revenue_per_customer_month": draw(st.floats(0.0, 10000.0)),
                "gross_margin": draw(rate),
                "monthly_churn": draw(rate),
                "lifetime_months": draw(st.integers(1, 240)),
            },
            "generate": {
                "cost_per_lead": draw(price),
                "ramp_months": draw(st.floats(0.0, 60.0)),
                "fixed_monthly_cost": draw(st.floats(0.0, 1e5)),
                "lead_to_mql": draw(rate),
                "mql_to_sql": draw(rate),
                "sql_to_customer": draw(rate),
                "nurture_months": draw(months),
            },
            "buy": {
                "cost_per_lead": draw(price),
                "max_leads_per_month": draw(st.sampled_from([0.0, 1.0, 50.0, 1e4])),
                "invalid_rate": draw(rate),
                "return_cap": draw(rate),
                "fixed_monthly_cost": draw(st.floats(0.0, 1e5)),
                "lead_to_mql": draw(rate),
                "mql_to_sql": draw(rate),
                "sql_to_customer": draw(rate),
                "nurture_months": draw(months),
            },
        }
    )


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- identities -------------------------------------------------------------------------


@pytest.mark.parametrize("strategy,src", [("generate", "generate"), ("buy", "buy")])
@pytest.mark.parametrize("nurture", [0.0, 0.7, 3.0, 11.0])
def test_conservation_of_leads(strategy, src, nurture):
    """customers + p · pipeline_end = p · leads for a single-source strategy."""
    r = run(scenario(**{f"{src}.nurture_months": nurture, "horizon_months": 18, "generate.ramp_months": 4.0}))
    c = HAND[src]
    p = c["lead_to_mql"] * c["mql_to_sql"] * c["sql_to_customer"]
    s = r.summary.loc[strategy]
    assert s["customers"] + p * s["pipeline_end"] == pytest.approx(p * s["leads"], rel=1e-9)
    assert s["customers_eventual"] == pytest.approx(p * s["leads"], rel=1e-12)


@pytest.mark.parametrize("nurture", [0.5, 3.0, 8.0])
def test_mean_lag_read_back_from_long_constant_run(nurture):
    """Little's law: in steady state, pipeline / monthly leads = mean months to close."""
    r = run(scenario(**{"generate.nurture_months": nurture, "horizon_months": 120}))
    df = r.monthly[r.monthly["strategy"] == "generate"]
    assert df["pipeline"].iloc[-1] / df["leads"].iloc[-1] == pytest.approx(nurture, rel=0.01)


def test_summary_is_sum_of_monthly_rows():
    r = run(scenario(**{"generate.nurture_months": 2.0, "buy.invalid_rate": 0.3, "buy.return_cap": 0.1,
                        "generate.fixed_monthly_cost": 50.0, "economics.monthly_churn": 0.1, "horizon_months": 12}))  # fmt: skip
    for strat, df in r.monthly.groupby("strategy"):
        for metric in ("spend", "unspent", "refunds", "fixed_costs", "total_cost", "leads", "customers", "revenue",
                       "gross_profit"):  # fmt: skip
            assert r.summary.at[strat, metric] == pytest.approx(df[metric].sum(), rel=1e-12)
        assert r.summary.at[strat, "pipeline_end"] == pytest.approx(df["pipeline"].iloc[-1])


# ---- properties ---------------------------------------------------------------------------


@FAST
@given(scenarios())
def test_no_nan_or_inf_and_json_is_strict(scn):
    r = run(scn)
    for key in MONTHLY:
        assert np.all(np.isfinite(r.monthly_arrays[key])), key
        assert np.all(r.monthly_arrays[key] >= 0), key
    doc = json.loads(json.dumps(r.to_json(), allow_nan=False))
    for metrics in doc["summary"].values():
        assert set(metrics) == set(SUMMARY)
        for v in metrics.values():
            assert v is None or np.isfinite(v)
    assert len(doc["monthly"]["blend"]) == scn.horizon_months


@FAST
@given(scenarios(), st.floats(0.5, 1000.0), st.floats(1.01, 3.0))
def test_cac_rises_with_vendor_cpl(scn, cpl, factor):
    cheap = run(scn.model_copy(update={"buy": scn.buy.model_copy(update={"cost_per_lead": cpl})}))
    dear = run(scn.model_copy(update={"buy": scn.buy.model_copy(update={"cost_per_lead": cpl * factor})}))
    a, b = cheap.metric("buy", "cac"), dear.metric("buy", "cac")
    if a is not None and b is not None:
        assert b >= a * (1 - 1e-9)


@FAST
@given(scenarios(), st.floats(1.0, 5.0))
def test_leads_never_fall_when_budget_rises(scn, factor):
    more = scn.model_copy(update={"budget": scn.budget.model_copy(update={"monthly": scn.budget.monthly * factor})})
    a, b = run(scn), run(more)
    for strat in ("generate", "buy", "blend"):
        assert b.metric(strat, "leads") >= a.metric(strat, "leads") * (1 - 1e-12)


@settings(max_examples=15, deadline=None)
@given(st.lists(scenarios(), min_size=2, max_size=6), st.integers(1, 48))
def test_vectorised_equals_single_evaluations(scns, horizon):
    singles = [params_of(s) for s in scns]
    batch = {k: np.concatenate([p[k] for p in singles]) for k in singles[0]}
    monthly = simulate(batch, horizon)
    summary = summarize(batch, monthly)
    for i, p in enumerate(singles):
        one = simulate(p, horizon)
        one_summary = summarize(p, one)
        for key in MONTHLY:
            np.testing.assert_allclose(monthly[key][i], one[key][0], rtol=1e-9, atol=1e-9)
        for key in SUMMARY:
            np.testing.assert_allclose(summary[key][i], one_summary[key][0], rtol=1e-9, atol=1e-9, equal_nan=True)
