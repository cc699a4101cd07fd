"""The engine against the naive reference (tests/reference.py) on random scenarios, and its identities."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import reference as ref
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import params_of, run, validate_scenario, with_values
from simulation.metrics import CHANNEL_METRICS, STRATEGIES, SUMMARY
from simulation.results import MONTHLY_SERIES, evaluate
from simulation.strategies import strategy_allocations

EXAMPLES = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REL = 1e-7

# ---- random valid scenarios -------------------------------------------------------------------------


def fl(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


rate = st.one_of(st.just(0.0), st.just(1.0), fl(0.01, 1.0))
pos_rate = st.one_of(st.just(1.0), fl(0.05, 1.0))
partial = st.one_of(st.just(0.0), fl(0.01, 0.99))  # invalid rate, return cap: refunds never cancel all spend
small = st.one_of(st.just(0.0), st.sampled_from([1e-12, 1e-6]), fl(0.001, 0.5))  # churn, discount
nurture = st.one_of(st.just(0.0), st.sampled_from([0.5, 1.0, 3.0, 12.0, 36.0]), fl(0.0, 36.0))
ramp = st.one_of(st.just(0.0), st.sampled_from([0.5, 1.0, 2.0, 6.0, 60.0]), fl(0.0, 60.0))
price = fl(0.5, 5000.0)


@st.composite
def channel(draw, kind: str) -> dict:
    c = {
        "kind": kind,
        "cost_per_lead": draw(price),
        "fixed_monthly_cost": draw(st.one_of(st.just(0.0), fl(0.0, 20000.0))),
        "lead_to_mql": draw(pos_rate),
        "mql_to_sql": draw(pos_rate),
        "sql_to_customer": draw(rate),
        "nurture_months": draw(nurture),
        "starting_pipeline": draw(st.one_of(st.just(0.0), fl(0.0, 2000.0))),
    }
    if kind == "generate":
        c["ramp_months"] = r = draw(ramp)
        c["elasticity"] = el = draw(st.one_of(st.just(1.0), fl(0.1, 1.0)))
        if el < 1 or draw(st.booleans()):
            c["reference_spend"] = draw(fl(100.0, 1e5))
        if r > 0:
            c["starting_leads_per_month"] = draw(st.one_of(st.just(0.0), fl(0.0, 500.0)))
    else:
        c["max_leads_per_month"] = draw(st.one_of(st.just(0.0), fl(1.0, 2000.0)))
        c["invalid_rate"] = draw(partial)
        c["return_cap"] = draw(partial)
        c["refund_delay_months"] = draw(st.integers(0, 3))
    return c


@st.composite
def scenario_dicts(draw, kinds=None, capacity: bool = True) -> dict:
    if kinds is None:
        kinds = draw(st.lists(st.sampled_from(["generate", "buy"]), min_size=1, max_size=4))
    chans = {f"{k[0]}{i}": draw(channel(k)) for i, k in enumerate(kinds)}
    # shares: sometimes all 0 (equal split within a kind; Blend spends nothing), otherwise summing to ≤ 1
    weights = [draw(st.one_of(st.just(0.0), fl(0.0, 1.0))) for _ in chans]
    total = draw(st.one_of(st.just(1.0), fl(0.0, 1.0)))
    w = sum(weights)
    for c, x in zip(chans.values(), weights, strict=True):
        c["share"] = min(x / w * total, 1.0) if w > 0 else 0.0
    horizon = draw(st.integers(1, 36))
    return {
        "schema_version": 2,
        "name": "random",
        "horizon_months": horizon,
        "budget": {"monthly": draw(st.one_of(st.just(0.0), fl(1.0, 1e6)))},
        "economics": {
            "revenue_per_customer_month": draw(st.one_of(st.just(0.0), fl(1.0, 10000.0))),
            "gross_margin": draw(rate),
            "monthly_churn": draw(st.one_of(small, st.just(1.0))),
            "lifetime_months": draw(st.one_of(st.integers(1, max(1, horizon - 1)), st.integers(horizon, 240))),
            "discount_rate": draw(small),
        },
        "sales": {
            "capacity_leads_per_month": draw(st.one_of(st.just(0.0), fl(1.0, 5000.0))) if capacity else 0.0,
            "cost_per_worked_lead": draw(st.one_of(st.just(0.0), fl(0.0, 200.0))),
        },
        "channel": chans,
    }


scenarios = scenario_dicts().map(validate_scenario)


# ---- comparing numbers ------------------------------------------------------------------------------

COUNTS = {"leads", "unworked", "mqls", "sqls", "customers", "customers_eventual", "pipeline_end", "pipeline_peak",
          "spend_generate", "leads_generate", "leads_buy", "pipeline", "pipeline_leads", "pipeline_mql",
          "pipeline_sql", "cumulative_customers"}  # fmt: skip
INTEGERS = {"payback_month", "unit_payback_months"}


def tolerance(name: str, r: dict) -> float:
    """Absolute tolerance of a value: REL of the magnitudes it is made of (sums can cancel to about 0)."""
    s = r["summary"]
    count = REL * 1e-3 * r["scales"]["count"]
    money = REL * 1e-3 * r["scales"]["money"]
    denominators = {"cpl": s["leads"], "cac": s["customers"], "cac_eventual": s["customers_eventual"],
                    "roi": s["total_cost"], "roi_lifetime": s["total_cost"]}  # fmt: skip
    if name in denominators:
        d = denominators[name]
        return money / d if d else 0.0
    if name in ("ltv_to_cac", "capacity_used", "cohort_cac", "cac_to_date"):
        return 0.0
    if name == "npv_lifetime":
        return money + r["scales"]["cutoff"]
    return count if name in COUNTS else money


def cutoff_bound(scn) -> float:
    """How much npv_lifetime may change with where the extended run stops: what the leads below 1e-9 a
    month (fading by at most ρ = δ^elasticity a month) and the pipeline below 1e-9 leads are still worth."""
    ltv_d = ref.ltv_discounted(scn)
    per_lead = max(ch.lead_to_mql * ch.mql_to_sql * ch.sql_to_customer for ch in scn.channel.values()) * ltv_d
    per_lead += scn.sales.cost_per_worked_lead
    rho = max([ref.decay(ch) ** ch.elasticity for ch in scn.channel.values() if ch.kind == "generate"] + [0.0])
    return 10 * ref.EPS_LEADS * per_lead * (1 + 1 / (1 - rho))


def close(got, want, atol: float) -> bool:
    if want is None or got is None:
        return want is None and got is None
    return math.isclose(got, want, rel_tol=REL, abs_tol=atol)


def near_tie(net: list, cost: list, atol: float) -> bool:
    """Some month's cumulative net is about 0 (the engine reads |net| ≤ 1e-9·max(1, cumulative cost) as 0)."""
    return any(abs(v) <= max(atol, 2e-9 * max(1.0, c)) for v, c in zip(net, cost, strict=True))


def check_strategy(res, strat: str, r: dict) -> None:
    s = r["summary"]
    r["scales"]["cutoff"] = cutoff_bound(res.scenario)
    for name in SUMMARY:
        got, want = res.metric(strat, name), s[name]
        if name == "payback_month" and near_tie(
            r["monthly"]["cumulative_net"], r["monthly"]["cumulative_cost"], tolerance("cumulative_net", r)
        ):
            continue  # cumulative net at about 0 in some month: floating noise may decide
        if name in INTEGERS:
            assert got == want, (strat, name, got, want)
        else:
            assert close(got, want, tolerance(name, r)), (strat, name, got, want)
    for cid in res.channel_ids:
        for name in CHANNEL_METRICS:
            got, want = res.channel_metric(strat, cid, name), r["channels"][cid][name]
            assert close(got, want, tolerance(name, r)), (strat, cid, name, got, want)
    for name in MONTHLY_SERIES:
        got = res.series_of(strat, name)
        for t, want in enumerate(r["monthly"][name]):
            g = None if np.isnan(got[t]) else float(got[t])
            assert close(g, want, tolerance(name, r)), (strat, name, t + 1, g, want)


def tie_free(a: list, b: list) -> bool:
    """No month where both are defined and equal to within REL (floating noise could order them either way)."""
    return all(x is None or y is None or not math.isclose(x, y, rel_tol=1e-9) for x, y in zip(a, b, strict=True))


@EXAMPLES
@given(scenarios)
def test_engine_matches_reference(scn):
    res = run(scn)
    want = ref.run(scn)
    for strat in STRATEGIES:
        r = want["strategies"][strat]
        assert res.present[strat] == (r is not None)
        if r is not None:
            check_strategy(res, strat, r)
    if want["strategies"]["generate"] and want["strategies"]["buy"]:
        g, b = want["strategies"]["generate"]["monthly"], want["strategies"]["buy"]["monthly"]
        if tie_free(g["cac_to_date"], b["cac_to_date"]):
            assert res.crossover_month() == want["crossover_month"]
        if tie_free(g["cohort_cac"], b["cohort_cac"]):
            assert res.cohort_crossover_month() == want["cohort_crossover_month"]
    else:
        assert res.crossover_month() is None and res.cohort_crossover_month() is None


@st.composite
def monthly_allocations(draw):
    scn = draw(scenarios)
    H, C = scn.horizon_months, len(scn.channel)
    rows = []
    for _ in range(H):
        w = [draw(st.one_of(st.just(0.0), fl(0.0, 1.0))) for _ in range(C)]
        total = sum(w)
        rows.append([x / total * draw(fl(0.0, 1.0)) if total > 0 else 0.0 for x in w])
    return scn, [[rows[t][c] for t in range(H)] for c in range(C)]


@EXAMPLES
@given(monthly_allocations())
def test_month_by_month_allocation_matches_reference(case):
    """An allocation that changes every month (stocks build and fade while spend moves)."""
    scn, alloc = case
    p = params_of(scn)
    a = np.array(alloc)[None]  # (1 allocation, C, T)
    m, summary = evaluate(p, a, detail=True)
    _, fast = evaluate(p, a)  # without per-channel monthly detail (the batches of the analyses)
    r = ref.simulate(scn, alloc)
    r["scales"]["cutoff"] = cutoff_bound(scn)
    for name in SUMMARY:
        np.testing.assert_allclose(fast[name], summary[name], rtol=1e-12, atol=0, equal_nan=True, err_msg=name)
        got = summary[name][0, 0]
        got = None if np.isnan(got) else float(got)
        want = r["summary"][name]
        if name == "payback_month":
            if near_tie(
                r["monthly"]["cumulative_net"], r["monthly"]["cumulative_cost"], tolerance("cumulative_net", r)
            ):
                continue
            # the contract's rule, literally: a month whose cumulative gross profit ≥ cumulative cost
        if name in INTEGERS:
            assert got == want, (name, got, want)
        else:
            assert close(got, want, tolerance(name, r)), (name, got, want)
    for c, cid in enumerate(scn.channel):
        for t in range(scn.horizon_months):
            assert close(float(m.leads[0, 0, c, t]), r["channel_monthly"][cid]["leads"][t], tolerance("leads", r))
            assert close(float(m.customers[0, 0, c, t]), r["channel_monthly"][cid]["customers"][t],
                         tolerance("customers", r))  # fmt: skip


# ---- identities --------------------------------------------------------------------------------------


def engine_monthly(scn):
    p = params_of(scn)
    alloc, present = strategy_allocations(scn)
    m, summary = evaluate(p, alloc, detail=True)
    return p, m, summary, present


@EXAMPLES
@given(scenarios)
def test_capacity_works_at_most_C_and_leads_are_conserved(scn):
    """Σ worked = min(V, C) each month (V without a cap); worked + unworked = valid leads, per channel."""
    p, m, summary, present = engine_monthly(scn)
    cap = scn.sales.capacity_leads_per_month
    V = m.leads.sum(axis=2)  # (1, S, T)
    worked = m.worked.sum(axis=2)
    expected = np.minimum(V, cap) if cap > 0 else V
    np.testing.assert_allclose(worked, expected, rtol=1e-12, atol=1e-12 * (1 + V.max()))
    np.testing.assert_allclose(m.worked + m.unworked, m.leads, rtol=1e-12, atol=0)
    assert np.all(m.unworked >= -1e-9 * (1 + m.leads.max()))
    # a buy channel's valid leads are its delivered leads less the invalid ones
    for c, ch in enumerate(scn.channel.values()):
        if ch.kind == "buy":
            want = m.spend[0, :, c] / ch.cost_per_lead * (1 - ch.invalid_rate)
            np.testing.assert_allclose(m.leads[0, :, c], want, rtol=1e-12, atol=0)


@EXAMPLES
@given(scenarios)
def test_every_lead_is_won_lost_or_open(scn):
    """Per channel: customers + p·pipeline_end = p·(worked leads + starting pipeline) = customers_eventual."""
    res = run(scn)
    for strat in res.strategies:
        i = STRATEGIES.index(strat)
        for c, (cid, ch) in enumerate(scn.channel.items()):
            p = ch.lead_to_mql * ch.mql_to_sql * ch.sql_to_customer
            worked = res.channel_metric(strat, cid, "leads") - res.channel_metric(strat, cid, "unworked")
            pipe_end = res.channel_series["pipeline"][i, c, -1]
            won = res.channel_metric(strat, cid, "customers")
            scale = p * (worked + ch.starting_pipeline)
            # worked = leads − unworked loses digits when capacity leaves most leads unworked
            atol = 1e-11 * p * (res.channel_metric(strat, cid, "leads") + ch.starting_pipeline)
            assert won + p * pipe_end == pytest.approx(scale, rel=1e-9, abs=atol)
            assert res.channel_metric(strat, cid, "customers_eventual") == pytest.approx(scale, rel=1e-12, abs=atol)


ADDITIVE = ("spend", "refunds", "fixed_costs", "sales_cost", "total_cost", "leads", "unworked", "customers",
            "customers_eventual")  # fmt: skip


@EXAMPLES
@given(scenarios)
def test_strategy_totals_are_sums_of_channels_and_of_months(scn):
    res = run(scn)
    B, H = scn.budget.monthly, scn.horizon_months
    for strat in res.strategies:
        i = STRATEGIES.index(strat)
        for name in ADDITIVE:
            parts = [res.channel_metric(strat, cid, name) for cid in res.channel_ids]
            assert res.metric(strat, name) == pytest.approx(sum(parts), rel=1e-12, abs=1e-9), name
        rows = res.monthly[res.monthly["strategy"] == strat]
        for name in ("spend", "unspent", "refunds", "fixed_costs", "sales_cost", "total_cost", "leads", "unworked",
                     "customers", "revenue", "gross_profit"):  # fmt: skip
            total = rows[name].sum()
            scale = 1 + B * H + rows[name].abs().sum()
            assert res.metric(strat, name) == pytest.approx(total, rel=1e-9, abs=1e-12 * scale), name
        assert res.metric(strat, "unspent") == pytest.approx(B * H - res.metric(strat, "spend"), rel=1e-12, abs=1e-6)
        assert res.metric(strat, "pipeline_end") == pytest.approx(rows["pipeline"].iloc[-1], rel=1e-12, abs=1e-12)
        assert res.metric(strat, "pipeline_peak") == pytest.approx(rows["pipeline"].max(), rel=1e-12, abs=1e-12)
        parts = rows["pipeline_leads"] + rows["pipeline_mql"] + rows["pipeline_sql"]
        np.testing.assert_allclose(parts, rows["pipeline"], rtol=1e-9, atol=1e-9)
        net = rows["gross_profit"].sum() - rows["total_cost"].sum()
        assert rows["cumulative_net"].iloc[-1] == pytest.approx(net, rel=1e-9, abs=1e-6)
        # the per-channel monthly series add up to the strategy's
        for name in ("spend", "leads", "customers", "pipeline"):
            np.testing.assert_allclose(res.channel_series[name][i].sum(axis=0), rows[name], rtol=1e-9, atol=1e-9)


def _finite_or_none(x) -> None:
    if isinstance(x, dict):
        for v in x.values():
            _finite_or_none(v)
    elif isinstance(x, list):
        for v in x:
            _finite_or_none(v)
    elif isinstance(x, float):
        assert math.isfinite(x)


@EXAMPLES
@given(scenarios)
def test_json_has_no_nan_or_infinity(scn):
    doc = run(scn).to_json()
    text = json.dumps(doc, allow_nan=False)
    back = json.loads(text)
    _finite_or_none(back)
    assert back["schema_version"] == 2
    for strat in STRATEGIES:
        if back["summary"][strat] is not None:
            assert set(back["summary"][strat]) == set(SUMMARY)
            assert len(back["monthly"][strat]) == scn.horizon_months
            assert set(back["channels"][strat]) == set(scn.channel)


@EXAMPLES
@given(scenario_dicts(capacity=False), fl(1.0, 5.0))
def test_leads_never_fall_as_budget_rises(d, factor):
    """Elasticity ≤ 1 and no sales capacity: more budget never buys fewer leads, in any strategy or channel."""
    scn = validate_scenario(d)
    d["budget"]["monthly"] = d["budget"]["monthly"] * factor
    more = validate_scenario(d)
    a, b = run(scn), run(more)
    for strat in a.strategies:
        assert b.metric(strat, "leads") >= a.metric(strat, "leads") * (1 - 1e-12)
        for cid in a.channel_ids:
            assert b.channel_metric(strat, cid, "leads") >= a.channel_metric(strat, cid, "leads") * (1 - 1e-12)


@EXAMPLES
@given(st.integers(1, 4).flatmap(lambda n: scenario_dicts(kinds=["generate"] * n)).map(validate_scenario))
def test_null_strategy_without_buy_channels(scn):
    res = run(scn)
    assert res.strategies == ["generate", "blend"]
    assert res.metric("buy", "customers") is None and res.channel_metric("buy", res.channel_ids[0], "spend") is None
    doc = json.loads(json.dumps(res.to_json(), allow_nan=False))
    assert doc["summary"]["buy"] is None and doc["channels"]["buy"] is None and doc["monthly"]["buy"] is None
    assert doc["crossover_month"] is None and doc["cohort_crossover_month"] is None
    assert doc["summary"]["generate"] is not None and doc["summary"]["blend"] is not None
    assert set(res.monthly["strategy"]) == {"generate", "blend"}


@EXAMPLES
@given(scenario_dicts(kinds=["buy"]), fl(1.01, 3.0))
def test_cac_rises_with_the_vendor_price(d, factor):
    """One vendor (no starting pipeline): a dearer lead never lowers its CAC (break-even relies on it)."""
    d["channel"]["b0"]["starting_pipeline"] = 0.0
    cheap = validate_scenario(d)
    d["channel"]["b0"]["cost_per_lead"] = min(d["channel"]["b0"]["cost_per_lead"] * factor, 1e6)
    dear = validate_scenario(d)
    for name in ("cac", "cac_eventual"):
        a, b = run(cheap).metric("buy", name), run(dear).metric("buy", name)
        if a is not None and b is not None:
            assert b >= a * (1 - 1e-9), name


FIELDS_DRAWN = ("cost_per_lead", "nurture_months", "lead_to_mql", "fixed_monthly_cost", "starting_pipeline")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios, st.data())
def test_draws_evaluated_at_once_equal_single_runs(scn, data):
    """The draw axis: N sets of values in one engine call give each single scenario's numbers."""
    cid = data.draw(st.sampled_from(list(scn.channel)))
    n = data.draw(st.integers(2, 4))
    values = {
        f"channel.{cid}.cost_per_lead": data.draw(st.lists(fl(0.5, 5000.0), min_size=n, max_size=n)),
        f"channel.{cid}.nurture_months": data.draw(st.lists(fl(0.0, 36.0), min_size=n, max_size=n)),
        f"channel.{cid}.lead_to_mql": data.draw(st.lists(fl(0.0, 1.0), min_size=n, max_size=n)),
        "economics.monthly_churn": data.draw(st.lists(fl(0.0, 1.0), min_size=n, max_size=n)),
        "budget.monthly": data.draw(st.lists(fl(0.0, 1e6), min_size=n, max_size=n)),
    }
    p = params_of(scn)
    for key, v in values.items():
        p = p.set(key, np.array(v))
    alloc, _ = strategy_allocations(scn)
    _, batch = evaluate(p, alloc)
    for i in range(n):
        one = with_values(scn, {k: v[i] for k, v in values.items()})
        _, single = evaluate(params_of(one), alloc)
        for name in SUMMARY:
            np.testing.assert_allclose(batch[name][i], single[name][0], rtol=1e-9, atol=1e-9, equal_nan=True,
                                       err_msg=name)  # fmt: skip
