"""Decision analyses over channels: optimiser, two-phase plan, break-even, response curves, sensitivity."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from simulation.analyses.breakeven import breakeven, breakeven_grid
from simulation.analyses.curves import curves, next_budget
from simulation.analyses.optimize import Constraint, optimize
from simulation.analyses.plan import two_phase
from simulation.analyses.sensitivity import sensitivity
from simulation.engine import params_of
from simulation.results import evaluate, run
from simulation.schema import CHANNEL_FIELDS, Scenario, scenario_dict, validate_scenario, with_values

# ---- scenarios ---------------------------------------------------------------------------------------

ECON = {"revenue_per_customer_month": 100.0, "gross_margin": 0.5, "monthly_churn": 0.0, "lifetime_months": 10}


def gen(**kw: Any) -> dict[str, Any]:
    """A generate channel: 10 per lead, win rate 0.5·0.4·0.5 = 0.1, no lag, no ramp."""
    return {"kind": "generate", "share": 0.5, "cost_per_lead": 10.0, "lead_to_mql": 0.5, "mql_to_sql": 0.4,
            "sql_to_customer": 0.5, "nurture_months": 0.0, **kw}  # fmt: skip


def buy(**kw: Any) -> dict[str, Any]:
    """A buy channel: 20 per lead, win rate 0.5·0.5·0.4 = 0.1, no lag, no cap."""
    return {"kind": "buy", "share": 0.5, "cost_per_lead": 20.0, "lead_to_mql": 0.5, "mql_to_sql": 0.5,
            "sql_to_customer": 0.4, "nurture_months": 0.0, **kw}  # fmt: skip


def make(channel: dict[str, Any], horizon: int = 3, budget: float = 1000.0, **top: Any) -> Scenario:
    d = {"schema_version": 2, "name": "test", "horizon_months": horizon, "budget": {"monthly": budget},
         "economics": dict(ECON), "channel": channel}  # fmt: skip
    for k, v in top.items():
        if isinstance(v, dict) and isinstance(d.get(k), dict):
            d[k] = {**d[k], **v}
        else:
            d[k] = v
    return validate_scenario(d)


def mixed(**top: Any) -> Scenario:
    """Five channels with fixed costs, diminishing returns, ramps, caps, invalid leads, capacity, discounting."""
    channel = {
        "search": gen(share=0.25, cost_per_lead=60.0, elasticity=0.7, reference_spend=10000.0, fixed_monthly_cost=1000.0,
                      nurture_months=2.0, lead_to_mql=0.4, mql_to_sql=0.4, sql_to_customer=0.25),
        "content": gen(share=0.25, cost_per_lead=40.0, ramp_months=9.0, elasticity=0.6, reference_spend=8000.0,
                       fixed_monthly_cost=3000.0, nurture_months=4.0, lead_to_mql=0.35, mql_to_sql=0.35,
                       sql_to_customer=0.25),
        "social": gen(share=0.1, cost_per_lead=50.0, ramp_months=2.0, elasticity=0.8, reference_spend=5000.0,
                      fixed_monthly_cost=500.0, nurture_months=3.0, lead_to_mql=0.3, mql_to_sql=0.35,
                      sql_to_customer=0.2),
        "vendor_a": buy(share=0.2, cost_per_lead=90.0, max_leads_per_month=150.0, invalid_rate=0.15, return_cap=0.1,
                        refund_delay_months=1, nurture_months=1.5, lead_to_mql=0.4, mql_to_sql=0.4,
                        sql_to_customer=0.2),
        "vendor_b": buy(share=0.2, cost_per_lead=70.0, max_leads_per_month=300.0, invalid_rate=0.3, return_cap=0.2,
                        fixed_monthly_cost=800.0, nurture_months=1.0, lead_to_mql=0.35, mql_to_sql=0.35,
                        sql_to_customer=0.15),
    }  # fmt: skip
    base = {
        "horizon": 24, "budget": 40000.0,
        "economics": {"revenue_per_customer_month": 800.0, "gross_margin": 0.7, "monthly_churn": 0.03,
                      "lifetime_months": 48, "discount_rate": 0.1},
        "sales": {"capacity_leads_per_month": 600.0, "cost_per_worked_lead": 15.0},
    }  # fmt: skip
    base.update(top)
    return make(channel, **base)


def objective_of(scn: Scenario, alloc: np.ndarray, objective: str, month: int) -> tuple[np.ndarray, np.ndarray]:
    """(objective value in its own units, customers by month) of allocations (S, C), in one engine call."""
    m, s = evaluate(params_of(scn), alloc)
    customers = m.series["customers"][0, :, :month].sum(-1)
    value = customers if objective == "customers" else s[{"npv": "npv_lifetime", "cac": "cac_eventual"}[objective]][0]
    return value, customers


def random_allocations(C: int, n: int = 2000, seed: int = 7) -> np.ndarray:
    """n random feasible allocations: half spend the whole budget, half part of it."""
    rng = np.random.default_rng(seed)
    a = rng.dirichlet(np.ones(C), n)
    a[n // 2 :] *= rng.random((n - n // 2, 1))
    return a


# ---- optimize -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("objective", "constraint"),
    [("npv", None), ("cac", None), ("npv", Constraint(min_customers=35.5, by_month=4))],
)
def test_optimum_is_not_beaten_by_2000_random_allocations(objective, constraint):
    scn = mixed()
    opt = optimize(scn, objective, constraint)
    assert opt.allocation is not None
    a = np.array(list(opt.allocation.values()))
    assert np.all(a >= 0) and a.sum() <= 1 + 1e-9
    month = constraint.by_month if constraint else scn.horizon_months
    rand, cust = objective_of(scn, random_allocations(len(a)), objective, month)
    mine, my_cust = objective_of(scn, a[None], objective, month)
    if constraint is not None:
        assert my_cust[0] >= constraint.min_customers - 1e-6
        rand = rand[cust >= constraint.min_customers]
        assert rand.size > 50  # the floor leaves a real choice …
        assert opt.customers_by_month == pytest.approx(my_cust[0], rel=1e-9)
        # … and binds: the unconstrained optimum misses it
        assert optimize(scn, objective, by_month=4).customers_by_month < constraint.min_customers
    if objective == "cac":
        assert np.nanmin(rand) >= mine[0] * (1 - 1e-6)
        assert opt.value == pytest.approx(mine[0], rel=1e-12)
    else:
        assert np.nanmax(rand) <= mine[0] + 1e-6 * abs(mine[0])
        assert opt.summary["npv_lifetime"] == pytest.approx(mine[0], rel=1e-12)
    # better than the plan, which the result reports as its comparison
    assert opt.score >= opt.plan_score


def test_two_identical_concave_channels_split_the_budget_evenly():
    # HAND: elasticity 0.5, reference 1000, cost per lead 10: leads(x) = √(1000·x)/10 a month. Win rate 0.1, LTV =
    # 100·0.5·10 = 500, so a month's value on one channel is 50·√(1000·x)/10 − x = 158.1·√x − x, best at
    # x* = 158.1²/4 = 6,250. With B = 10,000 < 2·x* all of B is worth spending, and symmetry splits it 50/50.
    ch = {c: gen(elasticity=0.5, reference_spend=1000.0) for c in ("a", "b")}
    opt = optimize(make(ch, horizon=6, budget=10000.0))
    assert opt.allocation["a"] == pytest.approx(0.5, abs=1e-3)
    assert opt.allocation["b"] == pytest.approx(0.5, abs=1e-3)
    # with B = 50,000 each channel stops at x* = 6,250 = 12.5 % of B: an interior optimum that leaves 75 % unspent
    opt = optimize(make(ch, horizon=6, budget=50000.0))
    assert opt.allocation["a"] == pytest.approx(0.125, rel=1e-3)
    assert opt.allocation["b"] == pytest.approx(0.125, rel=1e-3)
    # … and when the budget is chosen too, B = 2·x* = 12,500, all of it spent, evenly
    opt = optimize(make(ch, horizon=6, budget=50000.0), budget_range=(1000.0, 100000.0))
    assert opt.budget == pytest.approx(12500.0, rel=1e-3)
    assert opt.allocation["a"] == pytest.approx(0.5, abs=1e-3)
    assert opt.allocation["b"] == pytest.approx(0.5, abs=1e-3)


def test_concave_generate_channels_give_an_interior_mix():
    # two different generate channels with diminishing returns and no vendor: each takes part of the budget
    d = scenario_dict(mixed())
    d["channel"] = {k: v for k, v in d["channel"].items() if k in ("search", "content")}
    scn = validate_scenario(d)
    opt = optimize(scn)
    assert 0.05 < opt.allocation["search"] < 0.95
    assert 0.05 < opt.allocation["content"] < 0.95
    # … and every constant allocation on a fine grid does worse
    grid = np.array([(x, y) for x in np.linspace(0, 1, 41) for y in np.linspace(0, 1, 41) if x + y <= 1])
    value, _ = objective_of(scn, grid, "npv", 24)
    assert value.max() <= opt.value
    # with both kinds, the mix stays interior too
    mix = optimize(mixed())
    assert 0.05 < mix.allocation["search"] < 0.95 and 0.05 < mix.allocation["content"] < 0.95


def test_bounds_are_respected():
    scn = mixed()
    free = optimize(scn)
    top = max(free.allocation, key=free.allocation.get)
    cap = round(free.allocation[top] / 2, 3)
    d = scenario_dict(scn)
    d["optimize"] = {"bounds": {top: [0.0, cap], "vendor_a": [0.1, 0.4]}}
    bounded = optimize(validate_scenario(d))
    assert bounded.allocation[top] <= cap + 1e-9
    assert bounded.allocation[top] == pytest.approx(cap, abs=1e-6)  # the bound binds
    assert 0.1 - 1e-9 <= bounded.allocation["vendor_a"] <= 0.4 + 1e-9
    assert bounded.score <= free.score


def test_an_infeasible_floor_gives_no_allocation_and_says_the_most_reachable():
    scn = mixed()
    most = optimize(scn, "customers", by_month=6)
    opt = optimize(scn, "npv", Constraint(min_customers=1e6, by_month=6))
    assert opt.allocation is None and opt.summary is None and opt.buy_share is None
    assert opt.reachable == pytest.approx(most.customers_by_month, rel=1e-6)
    assert "the most any allocation reaches is" in opt.message
    assert f"{most.customers_by_month:,.1f}" in opt.message
    doc = opt.to_json()
    assert doc["allocation"] is None and doc["summary"] is None
    json.dumps(doc, allow_nan=False)


def test_optimum_json_and_message():
    scn = mixed()
    opt = optimize(scn)
    doc = json.loads(json.dumps(opt.to_json(), allow_nan=False))
    assert set(doc) >= {"allocation", "budget", "summary", "buy_share", "customers_by_month", "by_month", "objective"}
    assert list(doc["allocation"]) == list(scn.channel)
    assert doc["budget"] == 40000.0 and doc["by_month"] == 24 and doc["objective"] == "npv"
    assert doc["buy_share"] == pytest.approx(opt.allocation["vendor_a"] + opt.allocation["vendor_b"])
    r = run(scn)
    assert opt.plan_summary["npv_lifetime"] == pytest.approx(r.metric("blend", "npv_lifetime"), rel=1e-12)
    assert opt.message.startswith("Put ") and "for the plan" in opt.message
    assert isinstance(doc["summary"]["unit_payback_months"], int | None)


def test_objective_customers_maximises_customers_by_month():
    scn = mixed()
    opt = optimize(scn, "customers", by_month=12)
    _, cust = objective_of(scn, random_allocations(5), "customers", 12)
    assert cust.max() <= opt.customers_by_month * (1 + 1e-6)
    assert opt.by_month == 12


def test_month_outside_the_horizon_is_refused():
    with pytest.raises(ValueError, match="by_month"):
        optimize(mixed(), "customers", by_month=25)


# ---- plan --------------------------------------------------------------------------------------------


def test_buy_first_then_generate_beats_any_constant_allocation():
    # Content takes 12 months to ramp but is cheap for good; the vendor delivers at once at a higher price. A floor
    # of customers by month 4 forces some buying, which a plan needs only early on.
    ch = {
        "content": gen(share=0.5, cost_per_lead=20.0, ramp_months=12.0, nurture_months=1.0),
        "vendor": buy(share=0.5, cost_per_lead=40.0, nurture_months=1.0),
    }
    scn = make(ch, horizon=24, budget=10000.0)
    floor = Constraint(min_customers=70.0, by_month=4)
    const = optimize(scn, "npv", floor)
    plan = two_phase(scn, "npv", floor, best_constant=const)
    assert const.allocation is not None and plan.switch_month is not None
    # buy (most of) the first months, generate afterwards: the floor needs the vendor only until month 4
    assert plan.switch_month == 5
    assert plan.first["vendor"] > 0.5 and plan.second == {"content": pytest.approx(1.0), "vendor": 0.0}
    assert plan.customers_by_month >= 70.0 - 1e-6
    assert plan.gain > 0.5 * abs(const.score)
    assert plan.score == pytest.approx(const.score + plan.gain, rel=1e-12)
    # the reported figures are the plan's own, month by month
    months = np.arange(1, 25)
    alloc = np.array([[plan.first[c] if m < plan.switch_month else plan.second[c] for m in months] for c in ch])
    _, s = evaluate(params_of(scn), alloc[None])
    assert plan.summary["npv_lifetime"] == pytest.approx(s["npv_lifetime"][0, 0], rel=1e-12)
    doc = json.loads(json.dumps(plan.to_json(), allow_nan=False))
    assert doc["switch_month"] == plan.switch_month and doc["constant"]["allocation"] is not None


@pytest.mark.parametrize("objective", ["npv", "cac", "customers"])
def test_plan_is_never_worse_than_the_best_constant(objective):
    scn = mixed(horizon=12)
    const = optimize(scn, objective)
    plan = two_phase(scn, objective, best_constant=const)
    assert plan.score >= const.score
    assert plan.gain >= 0
    if plan.switch_month is None:
        assert plan.first == plan.second == const.allocation


# ---- break-even --------------------------------------------------------------------------------------


def test_breakeven_by_hand():
    # HAND: Generate CAC = cost / customers = 10 per lead / 0.1 = 100. The vendor at price x with 20 % invalid leads
    # and 10 % refunded: cost 0.9·B, customers 0.8·B/x·0.1, so CAC = 11.25·x = 100 at x = 8.888…
    ch = {"g": gen(), "v": buy(invalid_rate=0.2, return_cap=0.1)}
    scn = make(ch)
    price = breakeven(scn)["v"]
    assert price == pytest.approx(100 / 11.25, rel=1e-6)
    at = run(with_values(scn, {"channel.v.cost_per_lead": price}))
    assert at.metric("generate", "cac_eventual") == pytest.approx(100.0, rel=1e-12)


def test_breakeven_counts_the_vendor_cap_with_the_price():
    # HAND: cap 20 leads a month; at the break-even price x the vendor spends 20·x < B: CAC = 20x / (20·0.1) = 10x.
    ch = {"g": gen(), "v": buy(max_leads_per_month=20.0)}
    assert breakeven(make(ch))["v"] == pytest.approx(10.0, rel=1e-6)


def test_breakeven_without_a_positive_solution_is_none():
    # even free leads cost more: the vendor's fixed cost of 100,000 a month buys at most 20·0.1 = 2 customers a month
    ch = {"g": gen(), "v": buy(max_leads_per_month=20.0, fixed_monthly_cost=100000.0)}
    assert breakeven(make(ch)) == {"v": None}
    # no generate channel: nothing to break even with
    assert breakeven(make({"v": buy()})) == {"v": None}
    assert breakeven(make({"g": gen()})) == {}


def test_breakeven_grid_by_hand():
    # HAND: the vendor's CAC at price x and close rate r is x / (0.5·0.5·r); Generate's is 100.
    scn = make({"g": gen(), "v": buy()})
    g = breakeven_grid(scn, "v", n=7)
    assert g.gap.shape == (7, 7)
    expected = g.prices[None, :] / (0.25 * g.rates[:, None]) - 100.0
    np.testing.assert_allclose(g.gap, expected, rtol=1e-12)
    assert g.cac_generate == pytest.approx(100.0) and g.breakeven_price == pytest.approx(10.0, rel=1e-6)


# ---- curves ------------------------------------------------------------------------------------------


def test_linear_channel_curve_by_hand():
    # HAND: ramp 0, elasticity 1: leads = spend / 10 a month; every extra customer costs (10 + 5 sales) / 0.1 = 150
    scn = make({"g": gen(), "v": buy()}, sales={"cost_per_worked_lead": 5.0})
    c = curves(scn, points=9)["g"]
    np.testing.assert_allclose(c.leads, c.spend / 10.0, rtol=1e-12)
    np.testing.assert_allclose(c.customers, c.spend / 10.0 * 0.1 * 3, rtol=1e-12)
    assert math.isnan(c.marginal_cost_per_customer[0])
    np.testing.assert_allclose(c.marginal_cost_per_customer[1:], 150.0, rtol=1e-9)
    assert c.spend[0] == 0 and c.spend[-1] == pytest.approx(2.5 * 500.0) and c.today_spend == 500.0


def test_concave_channel_curve_grows_as_the_square_root():
    scn = make({"g": gen(elasticity=0.5, reference_spend=1000.0)})
    c = curves(scn, points=5)["g"]  # spend 0, 625, 1250, 1875, 2500
    assert c.leads[2] / c.leads[1] == pytest.approx(2**0.5, rel=1e-12)
    assert c.leads[4] / c.leads[2] == pytest.approx(2**0.5, rel=1e-12)
    assert c.leads[1] == pytest.approx(math.sqrt(625 * 1000) / 10, rel=1e-12)
    assert np.all(np.diff(c.marginal_cost_per_customer[1:]) > 0)  # each customer costs more than the last


def test_capped_vendor_curve_flattens_at_the_cap():
    # cap 30 leads a month at 20 each: spend above 600 buys nothing; 20 % are invalid → 24 valid leads a month
    scn = make({"v": buy(max_leads_per_month=30.0, invalid_rate=0.2)})
    c = curves(scn, points=11)["v"]  # spend 0 … 2,500
    above = c.spend >= 600
    np.testing.assert_allclose(c.leads[above], 24.0, rtol=1e-12)
    np.testing.assert_allclose(c.leads[~above], c.spend[~above] / 20 * 0.8, rtol=1e-12)
    assert np.all(np.isnan(c.marginal_cost_per_customer[1:][above[:-1]]))


def test_next_budget_by_hand():
    # HAND: 1,000 more a month for 3 months on the generate channel = 300 leads → 30 customers; on the vendor
    # 150 leads → 15 customers. Each customer is worth 500: generate adds 30·500 − 3,000 = 12,000 of value.
    rows = next_budget(make({"g": gen(), "v": buy()}), amount=1000.0)
    assert [r.channel for r in rows] == ["g", "v"]
    assert rows[0].extra_customers == pytest.approx(30.0, rel=1e-12)
    assert rows[0].extra_npv == pytest.approx(12000.0, rel=1e-9)
    assert rows[1].extra_customers == pytest.approx(15.0, rel=1e-12)
    assert rows[1].cost_per_extra_customer == pytest.approx(200.0, rel=1e-12)


# ---- sensitivity -------------------------------------------------------------------------------------


def test_budget_swing_on_a_linear_scenario_by_hand():
    # HAND: no fixed costs, no caps, no ramp: value and cost are proportional to the budget, CAC does not move
    scn = make({"g": gen(), "v": buy()})
    sens = sensitivity(scn)
    row = next(r for r in sens.rows if r.field == "budget.monthly")
    assert (row.low, row.high) == (800.0, 1200.0)
    for strat in ("generate", "buy", "blend"):
        out = f"npv_lifetime_{strat}"
        assert row.at_low[out] == pytest.approx(0.8 * sens.central[out], rel=1e-12)
        assert row.at_high[out] == pytest.approx(1.2 * sens.central[out], rel=1e-12)
        assert row.swing[f"cac_eventual_{strat}"] == pytest.approx(0.0, abs=1e-9)
    # the Generate CAC (100) and Buy CAC (20 / 0.1 = 200) give the gap; the vendor's price moves only Buy's side
    assert sens.central["cac_gap"] == pytest.approx(100.0)
    price = next(r for r in sens.rows if r.field == "channel.v.cost_per_lead")
    assert price.at_low["cac_gap"] == pytest.approx(0.8 * 200 - 100) and price.swing["cac_gap"] == pytest.approx(80)


def test_sensitivity_covers_every_channel_field_and_ranks():
    scn = mixed()
    sens = sensitivity(scn)
    fields = {r.field for r in sens.rows}
    for cid, ch in scn.channel.items():
        for name, spec in CHANNEL_FIELDS.items():
            if spec.rangeable and spec.only in (None, ch.kind) and getattr(ch, name) is not None:
                assert f"channel.{cid}.{name}" in fields
    assert "economics.discount_rate" in fields and "sales.capacity_leads_per_month" in fields
    label = next(r.label for r in sens.rows if r.field == "channel.vendor_a.cost_per_lead")
    assert label == "vendor_a · Cost per lead"
    ranked = sens.ranked()
    swings = [r.swing[sens.default_output] for r in ranked]
    finite = [s for s in swings if math.isfinite(s)]
    assert finite == sorted(finite, reverse=True) and swings[: len(finite)] == finite
    assert sens.best_strategy == max(("generate", "buy", "blend"), key=lambda s: sens.central[f"npv_lifetime_{s}"])
    frame = sens.to_frame()
    assert list(frame["field"]) == [r.field for r in ranked]
    # every row is a real one-at-a-time run: the vendor's price at its high gives that run's Buy CAC
    row = next(r for r in sens.rows if r.field == "channel.vendor_a.cost_per_lead")
    high = run(with_values(scn, {"channel.vendor_a.cost_per_lead": row.high}))
    assert row.at_high["cac_eventual_buy"] == pytest.approx(high.metric("buy", "cac_eventual"), rel=1e-12)


def test_sensitivity_uses_a_fields_own_range_and_needs_both_kinds_for_the_gap():
    scn = make({"g": gen()}, uncertainty={"ranges": {"channel.g.cost_per_lead": [8.0, 15.0]}})
    sens = sensitivity(scn)
    row = next(r for r in sens.rows if r.field == "channel.g.cost_per_lead")
    assert (row.low, row.high) == (8.0, 15.0)
    assert "cac_gap" not in sens.outputs and "npv_lifetime_buy" not in sens.outputs
    # elasticity of a channel without diminishing returns swings down around today's spend
    el = next(r for r in sens.rows if r.field == "channel.g.elasticity")
    assert (el.low, el.high) == (0.8, 1.0)
    assert el.at_low["npv_lifetime_generate"] < sens.central["npv_lifetime_generate"]
