"""Monte Carlo over channel fields: distribution fits, correlations (Gaussian copula), reproducibility,
agreement with deterministic runs, probabilities, JSON, chunking."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

from simulation.analyses import montecarlo as mcm
from simulation.analyses.montecarlo import (
    beta_params,
    gamma_params,
    lognormal_params,
    monte_carlo,
    quantiles,
    sample_inputs,
)
from simulation.metrics import STRATEGIES, SUMMARY
from simulation.results import run
from simulation.schema import ScenarioError, validate_scenario, with_values

# Two generate and two buy channels, a year, sales capacity and discounting: every strategy wins
# customers, so every CAC is defined.
BASE: dict[str, Any] = {
    "schema_version": 2,
    "name": "mc",
    "horizon_months": 12,
    "budget": {"monthly": 20000.0},
    "economics": {"revenue_per_customer_month": 800.0, "gross_margin": 0.7, "monthly_churn": 0.02,
                  "lifetime_months": 36, "discount_rate": 0.1},
    "sales": {"capacity_leads_per_month": 300.0, "cost_per_worked_lead": 10.0},
    "channel": {
        "search": {"kind": "generate", "share": 0.3, "cost_per_lead": 60.0, "lead_to_mql": 0.4, "mql_to_sql": 0.3,
                   "sql_to_customer": 0.25, "nurture_months": 2.0, "elasticity": 0.8, "reference_spend": 6000.0},
        "content": {"kind": "generate", "share": 0.3, "cost_per_lead": 50.0, "lead_to_mql": 0.35,
                    "mql_to_sql": 0.35, "sql_to_customer": 0.25, "nurture_months": 4.0, "ramp_months": 6.0,
                    "starting_leads_per_month": 20.0, "fixed_monthly_cost": 2000.0},
        "vendor": {"kind": "buy", "share": 0.2, "cost_per_lead": 120.0, "lead_to_mql": 0.5, "mql_to_sql": 0.4,
                   "sql_to_customer": 0.25, "nurture_months": 1.5, "max_leads_per_month": 100.0,
                   "invalid_rate": 0.1, "return_cap": 0.08, "refund_delay_months": 1},
        "shared": {"kind": "buy", "share": 0.2, "cost_per_lead": 70.0, "lead_to_mql": 0.4, "mql_to_sql": 0.3,
                   "sql_to_customer": 0.15, "nurture_months": 2.0},
    },
}  # fmt: skip

RANGES = {
    "channel.vendor.cost_per_lead": [100.0, 150.0],  # money: lognormal
    "channel.vendor.sql_to_customer": [0.18, 0.32],  # rate: Beta
    "channel.content.ramp_months": [4.0, 9.0],  # months: gamma
    "economics.lifetime_months": [24, 48],  # integer: lognormal, rounded
    "budget.monthly": [15000.0, 25000.0],  # a scalar money field
}
CORR = {"channel.vendor.cost_per_lead|channel.vendor.sql_to_customer": 0.5}


def make(ranges: dict | None = None, corr: dict | None = None, drop: tuple[str, ...] = (), **unc: Any) -> Any:
    data = copy.deepcopy(BASE)
    for cid in drop:
        data["channel"].pop(cid)
    if ranges is not None:
        data["uncertainty"] = {"ranges": ranges, "correlations": corr or {}, **unc}
    return validate_scenario(data)


def q_of(x: np.ndarray, v: float) -> float:
    """Share of draws at or below v: the distribution function at v, as sampled."""
    return float(np.mean(x <= v))


# ---- distributions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lo, hi", [(0.18, 0.32), (0.02, 0.05), (0.6, 0.97), (0.4, 0.41), (0.001, 0.999), (1e-6, 2e-6), (0.5, 0.500001)]
)
def test_beta_fit_hits_p10_p90(lo: float, hi: float) -> None:
    a, b = beta_params(lo, hi)
    assert stats.beta.ppf(0.1, a, b) == pytest.approx(lo, rel=1e-9)
    assert stats.beta.ppf(0.9, a, b) == pytest.approx(hi, rel=1e-9)


@pytest.mark.parametrize("lo, hi", [(4.0, 9.0), (0.5, 20.0), (3.0, 3.3), (3.0, 3.00001), (0.001, 60.0)])
def test_gamma_fit_hits_p10_p90(lo: float, hi: float) -> None:
    k, theta = gamma_params(lo, hi)
    assert stats.gamma.ppf(0.1, k, scale=theta) == pytest.approx(lo, rel=1e-9)
    assert stats.gamma.ppf(0.9, k, scale=theta) == pytest.approx(hi, rel=1e-9)


def test_lognormal_fit_hits_p10_p90() -> None:
    mu, sigma = lognormal_params(100.0, 150.0)
    # μ is the log of the geometric mean; σ spreads P10 and P90 by ±1.2816 σ
    assert mu == pytest.approx(math.log(math.sqrt(100.0 * 150.0)), rel=1e-12)
    assert math.exp(mu - stats.norm.ppf(0.9) * sigma) == pytest.approx(100.0, rel=1e-12)
    assert math.exp(mu + stats.norm.ppf(0.9) * sigma) == pytest.approx(150.0, rel=1e-12)


# 200,000 draws: the sampled distribution function at low/high is 0.1/0.9 within
# 4 standard errors, sqrt(0.1 · 0.9 / 200,000) = 0.00067 each.
N_BIG = 200_000
TOL = 4 * math.sqrt(0.09 / N_BIG)


@pytest.mark.parametrize("corr", [{}, {"channel.vendor.cost_per_lead|channel.vendor.sql_to_customer": 0.8}])
def test_draws_keep_each_input_p10_p90_with_and_without_correlation(corr: dict) -> None:
    ranges = {k: v for k, v in RANGES.items() if k != "economics.lifetime_months"}
    draws = sample_inputs(make(ranges, corr), N_BIG, 3)
    for name, (lo, hi) in ranges.items():
        x = draws[name]
        assert x.shape == (N_BIG,)
        assert abs(q_of(x, lo) - 0.1) < TOL, name
        assert abs(q_of(x, hi) - 0.9) < TOL, name


def test_correlation_gives_the_copula_rank_correlation() -> None:
    rho = 0.8
    a, b = "channel.vendor.cost_per_lead", "channel.vendor.sql_to_customer"
    draws = sample_inputs(make(RANGES, {f"{a}|{b}": rho}), N_BIG, 3)
    spearman = stats.spearmanr(draws[a], draws[b]).statistic
    implied = 6 / math.pi * math.asin(rho / 2)  # 0.786 for ρ = 0.8
    assert spearman == pytest.approx(implied, abs=0.005)
    # an uncorrelated pair stays uncorrelated: |r| within 4 standard errors of 0
    other = stats.spearmanr(draws[a], draws["channel.content.ramp_months"]).statistic
    assert abs(other) < 4 / math.sqrt(N_BIG)
    # a negative correlation, the other way round in the file, gives the mirrored rank correlation
    neg = sample_inputs(make(RANGES, {f"{b}|{a}": -rho}), N_BIG, 3)
    assert stats.spearmanr(neg[a], neg[b]).statistic == pytest.approx(-implied, abs=0.005)


def test_zero_width_range_is_a_fixed_value() -> None:
    ranges = {"channel.vendor.cost_per_lead": [120.0, 120.0], "channel.vendor.sql_to_customer": [0.25, 0.25]}
    scn = make(ranges)
    draws = sample_inputs(scn, 1000, 1)
    assert np.all(draws["channel.vendor.cost_per_lead"] == 120.0)
    assert np.all(draws["channel.vendor.sql_to_customer"] == 0.25)
    mc = monte_carlo(scn, draws=500)
    det = run(scn)
    for s in STRATEGIES:  # every draw is the deterministic run: P10 = P50 = P90 = its value
        q = mc.quantiles_dict()[s]["npv_lifetime"]
        assert q["p10"] == q["p50"] == q["p90"] == pytest.approx(det.metric(s, "npv_lifetime"), rel=1e-12)


def test_integer_field_is_drawn_and_rounded() -> None:
    x = sample_inputs(make(RANGES), 50_000, 5)["economics.lifetime_months"]
    assert np.all(x == np.round(x))
    assert x.min() >= 1 and x.max() <= 240
    assert len(np.unique(x)) > 10  # it does vary
    # lognormal with P10 = 24 and P90 = 48 before rounding: P(X ≤ 24.5) and P(X < 47.5) bracket them
    mu, sigma = lognormal_params(24, 48)
    expected = stats.norm.cdf((np.log([23.5, 24.5, 47.5, 48.5]) - mu) / sigma)
    assert q_of(x, 23) == pytest.approx(expected[0], abs=0.01)
    assert q_of(x, 24) == pytest.approx(expected[1], abs=0.01)
    assert q_of(x, 47) == pytest.approx(expected[2], abs=0.01)
    assert q_of(x, 48) == pytest.approx(expected[3], abs=0.01)


def test_draws_stay_inside_the_fields_own_range() -> None:
    # a wide lognormal on a rate-bounded field would spill over [0, 1]; a wide gamma over 36 months
    scn = make({"channel.search.nurture_months": [1.0, 30.0], "channel.search.sql_to_customer": [0.01, 0.99]})
    x = sample_inputs(scn, 100_000, 2)
    assert x["channel.search.nurture_months"].max() <= 36.0
    assert x["channel.search.nurture_months"].min() >= 0.0
    assert np.all((x["channel.search.sql_to_customer"] > 0) & (x["channel.search.sql_to_customer"] < 1))
    assert x["channel.search.nurture_months"].max() == 36.0  # the tail is clipped, not redrawn


# ---- validation (the schema's rules) -------------------------------------------------------------


def test_non_positive_definite_correlations_are_rejected() -> None:
    a, b, c = "channel.vendor.cost_per_lead", "channel.vendor.sql_to_customer", "channel.content.ramp_months"
    with pytest.raises(ScenarioError) as err:
        make(RANGES, {f"{a}|{b}": 0.9, f"{b}|{c}": 0.9, f"{a}|{c}": -0.9})
    assert any(p.startswith("uncertainty.correlations") and "positive definite" in p for p in err.value.problems)


def test_a_range_must_contain_the_fields_value() -> None:
    with pytest.raises(ScenarioError) as err:
        make({"channel.vendor.cost_per_lead": [130.0, 150.0]})  # the field's value is 120
    (problem,) = err.value.problems
    assert problem.startswith("uncertainty.ranges.channel.vendor.cost_per_lead:")
    assert "120" in problem


# ---- reproducibility ---------------------------------------------------------------------------


def test_same_seed_same_numbers_other_seed_other_numbers() -> None:
    scn = make(RANGES, CORR)
    one, two, other = (monte_carlo(scn, draws=300, seed=s) for s in (7, 7, 8))
    for k in RANGES:
        assert np.array_equal(one.inputs[k], two.inputs[k])
        assert not np.array_equal(one.inputs[k], other.inputs[k])
    for k in SUMMARY:
        assert np.array_equal(one.summary_q[k], two.summary_q[k], equal_nan=True)
    assert one.probabilities == two.probabilities
    assert one.summary_q["npv_lifetime"][1, 2] != other.summary_q["npv_lifetime"][1, 2]


def test_adding_a_range_leaves_other_fields_draws_unchanged() -> None:
    a, b = "channel.vendor.cost_per_lead", "channel.content.ramp_months"
    alone = sample_inputs(make({a: RANGES[a]}), 1000, 4)
    both = sample_inputs(make({b: RANGES[b], a: RANGES[a]}), 1000, 4)
    assert np.array_equal(alone[a], both[a])
    # a correlation mixes only the fields it names
    linked = sample_inputs(make(RANGES, CORR), 1000, 4)
    assert np.array_equal(linked[b], both[b])


def test_defaults_come_from_the_file_then_2000_and_1() -> None:
    mc = monte_carlo(make(RANGES, draws=40, seed=9))
    assert (mc.draws, mc.seed) == (40, 9)
    assert np.array_equal(mc.inputs["budget.monthly"], monte_carlo(make(RANGES), 40, 9).inputs["budget.monthly"])
    plain = monte_carlo(make(None), draws=None)
    assert (plain.draws, plain.seed) == (2000, 1)


# ---- agreement with the deterministic model ----------------------------------------------------


def test_draws_at_once_equal_single_deterministic_runs() -> None:
    scn = make(RANGES, CORR)
    mc = monte_carlo(scn, draws=5, seed=11)
    central = scn.model_copy(update={"uncertainty": None})
    for i in range(5):
        values = {k: float(v[i]) for k, v in mc.inputs.items()}
        single = run(with_values(central, values))
        for s in STRATEGIES:
            j = STRATEGIES.index(s)
            for metric in ("npv_lifetime", "customers", "cac"):
                assert mc.samples[metric][i, j] == pytest.approx(single.metric(s, metric), rel=1e-9), (i, s, metric)


def test_one_draw_without_ranges_is_the_deterministic_run() -> None:
    scn = make(None)
    det = run(scn)
    for n in (1, 50):
        q = monte_carlo(scn, draws=n).quantiles_dict()
        for s in STRATEGIES:
            for metric in SUMMARY:
                want = det.metric(s, metric)
                for k in ("p10", "p50", "p90"):
                    got = q[s][metric][k]
                    assert (got is None) == (want is None), (s, metric)
                    if want is not None:
                        assert got == pytest.approx(want, rel=1e-12, abs=1e-12), (s, metric, k)


def test_monthly_quantiles_follow_the_first_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    scn = make(RANGES, CORR)
    monkeypatch.setattr(mcm, "MAX_KEPT", 40)
    big, small = monte_carlo(scn, draws=120, seed=2), monte_carlo(scn, draws=40, seed=2)
    assert big.samples["npv_lifetime"].shape == (40, 3)
    assert big.inputs["budget.monthly"].shape == (40,)
    # the monthly series come from the first 40 draws, which are the 40 draws of the smaller run
    for k in mcm.MONTHLY_Q_SERIES:
        assert big.monthly_q[k].shape == (3, 3, 12)
        np.testing.assert_allclose(big.monthly_q[k], small.monthly_q[k], rtol=1e-12)
    # while summary quantiles use all 120 draws
    assert not np.allclose(big.summary_q["npv_lifetime"], small.summary_q["npv_lifetime"])
    # the last month of cumulative customers is the horizon's customers, draw by draw
    ref = quantiles(small.samples["customers"])
    np.testing.assert_allclose(small.monthly_q["cumulative_customers"][..., -1], ref, rtol=1e-9)


def test_chunks_give_the_same_quantiles_as_one_chunk() -> None:
    scn = make(RANGES, CORR)
    whole = monte_carlo(scn, draws=600, seed=5, chunk=600)
    parts = monte_carlo(scn, draws=600, seed=5, chunk=170)
    for k in SUMMARY:
        np.testing.assert_allclose(parts.summary_q[k], whole.summary_q[k], rtol=1e-9, equal_nan=True)
    for k in mcm.MONTHLY_Q_SERIES:
        np.testing.assert_allclose(parts.monthly_q[k], whole.monthly_q[k], rtol=1e-9, equal_nan=True)
    assert parts.probabilities == whole.probabilities


# ---- quantiles of undefined values, probabilities, JSON ----------------------------------------


def test_quantiles_by_hand() -> None:
    a = np.array([[1.0, 5.0], [2.0, np.nan], [3.0, np.nan], [4.0, 7.0], [np.inf, np.nan]])
    q = quantiles(a)
    # column 0: positions 0.4, 2, 3.6 of [1, 2, 3, 4, inf]; column 1: NaN left out, [5, 7]
    np.testing.assert_array_equal(q[:, 0], [1.4, 3.0, np.inf])
    np.testing.assert_allclose(q[:, 1], [5.2, 6.0, 6.8], rtol=1e-12)
    assert np.isnan(quantiles(np.full((4, 1), np.nan))).all()
    x = np.random.default_rng(0).standard_normal((1001, 3, 4))
    np.testing.assert_allclose(quantiles(x), np.quantile(x, [0.1, 0.5, 0.9], axis=0), rtol=1e-12)


def test_undefined_metrics_count_as_worst_or_zero() -> None:
    data = copy.deepcopy(BASE)
    for cid in ("vendor", "shared"):  # no bought lead ever qualifies: Buy wins no customer
        data["channel"][cid]["lead_to_mql"] = 0.0
    data["channel"]["content"]["starting_leads_per_month"] = 0.0  # nor does content bring leads without spend
    data["uncertainty"] = {"ranges": {"channel.vendor.cost_per_lead": [100.0, 150.0]}}
    mc = monte_carlo(validate_scenario(data), draws=200)
    q = mc.quantiles_dict()
    assert q["buy"]["cac"] == {"p10": None, "p50": None, "p90": None}  # +inf: no customers in any draw
    assert q["buy"]["ltv_to_cac"] == {"p10": 0.0, "p50": 0.0, "p90": 0.0}
    assert q["buy"]["roi"]["p50"] == pytest.approx(-1.0)  # all cost, no gross profit
    assert mc.probabilities["buy_beats_generate_cac"] == 0.0  # an infinite CAC never beats a finite one
    assert mc.probabilities["buy_beats_generate_roi"] == 0.0
    assert np.isnan(mc.samples["cac"][:, 1]).all()  # undefined is NaN in arrays, never inf
    for arr in (*mc.summary_q.values(), *mc.monthly_q.values()):
        assert not np.isinf(arr).any()
    json.dumps(mc.to_json(), allow_nan=False)
    json.dumps(mc.monthly_quantiles_dict(), allow_nan=False)


def test_probabilities_and_json() -> None:
    mc = monte_carlo(make(RANGES, CORR), draws=400, seed=3)
    p = mc.probabilities
    assert set(p["best_npv"]) == set(STRATEGIES)
    assert sum(p["best_npv"].values()) == pytest.approx(1.0, abs=1e-12)
    # shares recomputed from the kept draws (all 400 are kept)
    best = np.argmax(mc.samples["npv_lifetime"], axis=1)
    for j, s in enumerate(STRATEGIES):
        assert p["best_npv"][s] == pytest.approx(np.mean(best == j), abs=1e-12)
    cac = mc.samples["cac"]
    assert p["buy_beats_generate_cac"] == pytest.approx(np.mean(cac[:, 1] < cac[:, 0]), abs=1e-12)
    roi = mc.samples["roi"]
    assert p["buy_beats_generate_roi"] == pytest.approx(np.mean(roi[:, 1] > roi[:, 0]), abs=1e-12)
    doc = json.loads(json.dumps(mc.to_json(), allow_nan=False))
    assert doc["uncertainty"] == {"draws": 400, "seed": 3}
    assert set(doc["quantiles"]) == set(STRATEGIES)
    assert set(doc["quantiles"]["blend"]) == set(SUMMARY)
    q = doc["quantiles"]["blend"]["npv_lifetime"]
    assert q["p10"] <= q["p50"] <= q["p90"]
    assert q["p50"] == pytest.approx(float(np.median(mc.samples["npv_lifetime"][:, 2])), rel=1e-12)
    months = json.loads(json.dumps(mc.monthly_quantiles_dict(), allow_nan=False))
    assert len(months["generate"]["cumulative_net"]["p90"]) == 12


def test_no_buy_channel_buy_is_absent_and_probabilities_null_safe() -> None:
    scn = make({"channel.search.cost_per_lead": [50.0, 75.0]}, drop=("vendor", "shared"))
    mc = monte_carlo(scn, draws=300)
    assert mc.present == {"generate": True, "buy": False, "blend": True}
    assert mc.probabilities["buy_beats_generate_cac"] is None
    assert mc.probabilities["buy_beats_generate_roi"] is None
    assert set(mc.probabilities["best_npv"]) == {"generate", "blend"}
    assert sum(mc.probabilities["best_npv"].values()) == pytest.approx(1.0, abs=1e-12)
    doc = json.loads(json.dumps(mc.to_json(), allow_nan=False))
    assert doc["quantiles"]["buy"] is None
    assert mc.monthly_quantiles_dict()["buy"] is None
    assert np.isnan(mc.samples["npv_lifetime"][:, 1]).all()


def test_ties_split_a_draw_evenly() -> None:
    # Blend's shares all on the generate channels, summing to 1: Blend is Generate in every draw
    data = copy.deepcopy(BASE)
    data["channel"]["search"]["share"] = 0.5
    data["channel"]["content"]["share"] = 0.5
    for cid in ("vendor", "shared"):
        data["channel"][cid]["share"] = 0.0
        data["channel"][cid]["cost_per_lead"] = 5000.0  # buying loses in every draw
    data["uncertainty"] = {"ranges": {"channel.search.cost_per_lead": [50.0, 75.0]}}
    best = monte_carlo(validate_scenario(data), draws=200).probabilities["best_npv"]
    assert best == {"generate": 0.5, "buy": 0.0, "blend": 0.5}


def test_monthly_false_skips_the_series() -> None:
    scn = make(RANGES)
    lean, full = monte_carlo(scn, draws=100, monthly=False), monte_carlo(scn, draws=100)
    assert lean.monthly_q == {}
    assert lean.monthly_quantiles_dict() == {s: None for s in STRATEGIES}
    assert lean.to_json() == full.to_json()
