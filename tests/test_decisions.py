"""Break-even, sensitivity, best mix and the two-phase plan."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import scenario

from simulation import load_preset, preset_names, run, with_values
from simulation.decisions import (
    Constraint,
    _evaluate,
    _score,
    breakeven,
    breakeven_grid,
    optimize_share,
    sensitivity,
    swing_values,
    two_phase,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("preset", preset_names())
def test_breakeven_price_equalises_cac(preset):
    scn = load_preset(preset)
    be = breakeven(scn)
    assert be["buy_cost_per_lead"] is not None
    at = run(with_values(scn, {"buy.cost_per_lead": be["buy_cost_per_lead"]}))
    assert at.metric("buy", "cac") == pytest.approx(at.metric("generate", "cac"), rel=1e-3)


def test_breakeven_by_hand():
    # HAND: generate CAC = 100. Buy without lag or cap: CAC = price / (0.5·0.5·0.4) = 10·price → 10.
    be = breakeven(scenario())
    assert be["cac_generate"] == pytest.approx(100)
    assert be["buy_cost_per_lead"] == pytest.approx(10.0, rel=1e-9)


def test_breakeven_none_when_vendor_fees_alone_exceed_generate_cac():
    # A cap of 1 lead a month and fixed vendor fees of 5,000 make every bought customer dearer than 100.
    scn = scenario(**{"buy.max_leads_per_month": 1.0, "buy.fixed_monthly_cost": 5000.0})
    assert breakeven(scn)["buy_cost_per_lead"] is None


def test_breakeven_grid_marks_where_buying_wins():
    scn = load_preset("default")
    grid = breakeven_grid(scn, 11, 9)
    assert grid["gap"].shape == (9, 11)
    # cheaper vendor and better conversion → buying wins (negative gap) in that corner
    assert grid["gap"][-1, 0] < 0 < grid["gap"][0, -1]
    # along each conversion row the gap rises with price
    assert np.all(np.diff(grid["gap"], axis=1) >= -1e-9)


def test_sensitivity_swings_and_order():
    scn = load_preset("default")
    df = sensitivity(scn)
    assert list(df["cac_gap_swing"]) == sorted(df["cac_gap_swing"], reverse=True)
    row = df.set_index("field").loc["buy.cost_per_lead"]
    assert (row["low"], row["high"]) == pytest.approx((80.0, 120.0))  # ±20 % without a range
    want_low = run(with_values(scn, {"buy.cost_per_lead": 80.0})).metric("buy", "cac")
    assert row["cac_buy_low"] == pytest.approx(want_low)
    # generation inputs do not move buying's CAC
    assert df.set_index("field").loc["generate.cost_per_lead", "cac_buy_swing"] == pytest.approx(0, abs=1e-9)


def test_sensitivity_uses_ranges_and_clips_rates():
    d = load_preset("default").model_dump()
    d["uncertainty"] = {"ranges": {"buy.cost_per_lead": [90.0, 140.0]}}
    from simulation import validate_scenario

    scn = validate_scenario(d)
    assert swing_values(scn, "buy.cost_per_lead") == (90.0, 140.0)
    high = with_values(scn, {"budget.buy_share": 0.9})
    assert swing_values(high, "budget.buy_share") == pytest.approx((0.72, 1.0))


def fine_scan(scn, objective, constraint, n=2001):
    shares = np.linspace(0, 1, n)
    summary, by = _evaluate(scn, shares, constraint)
    need = constraint.min_customers if constraint else -np.inf
    score = np.where(by >= need - 1e-9, _score(summary, objective), -np.inf)
    return float(score.max())


def best_score(best, objective):
    return best.summary["roi"] if objective == "roi" else -best.summary["cac"]


@pytest.mark.parametrize("preset", preset_names())
@pytest.mark.parametrize("objective", ["roi", "cac"])
def test_optimizer_not_beaten_by_a_fine_scan(preset, objective):
    scn = load_preset(preset)
    best = optimize_share(scn, objective)
    assert best.buy_share is not None
    assert best_score(best, objective) >= fine_scan(scn, objective, None) - 1e-9 * (
        1 + abs(best_score(best, objective))
    )


@pytest.mark.parametrize("preset", ["default", "b2b_saas", "home_services"])
def test_optimizer_with_customer_floor(preset):
    scn = load_preset(preset)
    month = scn.horizon_months // 2
    # a floor between what the slowest and fastest share reach by that month, so it binds
    _, by = _evaluate(scn, np.linspace(0, 1, 201), Constraint(0, month))
    floor = float(np.quantile(by, 0.6))
    constraint = Constraint(floor, month)
    best = optimize_share(scn, "cac", constraint)
    assert best.buy_share is not None and best.customers_by_month >= floor - 1e-9
    assert best_score(best, "cac") >= fine_scan(scn, "cac", constraint) - 1e-9 * abs(best_score(best, "cac"))


def test_impossible_floor_gives_null_share_and_message():
    best = optimize_share(load_preset("default"), "roi", Constraint(1e9, 6))
    assert best.buy_share is None and best.summary is None
    assert best.message.startswith("No buy share reaches 1,000,000,000 customers by month 6")


@pytest.mark.parametrize("preset", preset_names())
@pytest.mark.parametrize("objective", ["roi", "cac"])
def test_two_phase_never_worse_than_best_constant(preset, objective):
    scn = load_preset(preset)
    best = optimize_share(scn, objective)
    plan = two_phase(scn, objective, best_constant=best)
    assert plan.score >= best_score(best, objective) - 1e-12
    assert plan.gain >= 0
    if plan.switch_month is not None:
        # the plan's own summary reproduces its score
        assert best_score_of(plan.summary, objective) == pytest.approx(plan.score)


def best_score_of(summary, objective):
    return summary["roi"] if objective == "roi" else -summary["cac"]


def test_two_phase_buys_while_generation_ramps():
    # Slow ramp and a vendor cap: buying first, then generating, beats any constant share on customers' cost
    scn = load_preset("default")
    plan = two_phase(scn, "roi")
    assert plan.switch_month is not None and plan.first_share > plan.second_share


def test_cli_optimize_and_breakeven():
    f = str(ROOT / "data" / "presets" / "default.toml")
    doc = json.loads(subprocess.run([sys.executable, "-m", "simulation", "optimize", f, "--objective", "cac"],
                                    capture_output=True, text=True, cwd=ROOT, check=True).stdout)  # fmt: skip
    assert doc["buy_share"] == pytest.approx(optimize_share(load_preset("default"), "cac").buy_share)
    assert doc["summary"]["cac"] == pytest.approx(optimize_share(load_preset("default"), "cac").summary["cac"])
    none = json.loads(subprocess.run([sys.executable, "-m", "simulation", "optimize", f, "--min-customers", "1e9",
                                      "--by-month", "3"], capture_output=True, text=True, cwd=ROOT).stdout)  # fmt: skip
    assert none["buy_share"] is None
    be = json.loads(subprocess.run([sys.executable, "-m", "simulation", "breakeven", f], capture_output=True, text=True,
                                   cwd=ROOT, check=True).stdout)  # fmt: skip
    assert be["buy_cost_per_lead"] == pytest.approx(breakeven(load_preset("default"))["buy_cost_per_lead"])
    bad = subprocess.run([sys.executable, "-m", "simulation", "optimize", f, "--min-customers", "10"],
                         capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert bad.returncode == 2 and "go together" in bad.stderr
