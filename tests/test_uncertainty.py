"""Monte Carlo: fitted distributions, quantiles, reproducibility, probabilities."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import HAND
from hypothesis import given
from hypothesis import settings as st_settings
from hypothesis import strategies as st

from simulation import ScenarioError, load_preset, run, save_scenario, validate_scenario
from simulation.model import SUMMARY
from simulation.uncertainty import beta_params, family, gamma_params, monte_carlo, sample_inputs

ROOT = Path(__file__).resolve().parent.parent

RANGES = {
    "buy.cost_per_lead": [90.0, 140.0],  # lognormal
    "generate.sql_to_customer": [0.15, 0.30],  # beta
    "generate.nurture_months": [2.0, 6.0],  # gamma
    "economics.lifetime_months": [36.0, 72.0],  # lognormal (an integer field)
}


def with_ranges(ranges, draws=2000, seed=1, preset="default"):
    d = load_preset(preset).model_dump()
    d["uncertainty"] = {"draws": draws, "seed": seed, "ranges": ranges}
    return validate_scenario(d)


def test_families():
    assert family("buy.cost_per_lead") == "lognormal"
    assert family("generate.sql_to_customer") == "beta"
    assert family("generate.nurture_months") == "gamma"


@pytest.mark.parametrize("name,lo,hi", [(k, *v) for k, v in RANGES.items()] + [("buy.invalid_rate", 0.02, 0.6)])
def test_sampled_inputs_hit_the_requested_p10_p90(name, lo, hi):
    scn = with_ranges({name: [lo, hi]})
    x = sample_inputs(scn, 200_000, 7)[name]
    # sampling error of a quantile at n = 200,000 is well under 1 % of the range
    assert np.quantile(x, 0.1) == pytest.approx(lo, abs=0.01 * (hi - lo))
    assert np.quantile(x, 0.9) == pytest.approx(hi, abs=0.01 * (hi - lo))


def test_fitted_parameters_exactly():
    from scipy import stats

    a, b = beta_params(0.15, 0.30)
    assert stats.beta.ppf([0.1, 0.9], a, b) == pytest.approx([0.15, 0.30], abs=1e-9)
    k, theta = gamma_params(2.0, 6.0)
    assert stats.gamma.ppf([0.1, 0.9], k, scale=theta) == pytest.approx([2.0, 6.0], rel=1e-9)


def test_zero_width_ranges_give_the_deterministic_run():
    scn = load_preset("default")
    central = {k: [v, v] for k, v in [("buy.cost_per_lead", scn.buy.cost_per_lead),
                                       ("generate.sql_to_customer", scn.generate.sql_to_customer),
                                       ("generate.nurture_months", scn.generate.nurture_months)]}  # fmt: skip
    mc = monte_carlo(with_ranges(central, draws=50))
    det = run(scn)
    q = mc.quantiles_dict()
    for s in ("generate", "buy", "blend"):
        for m in SUMMARY:
            want = det.metric(s, m)
            for k in ("p10", "p50", "p90"):
                if want is None:
                    assert q[s][m][k] is None, (s, m)
                else:
                    assert q[s][m][k] == pytest.approx(want, rel=1e-9), (s, m, k)
    assert mc.probabilities["buy_beats_generate_cac"] in (0.0, 1.0)


def test_no_ranges_at_all_is_deterministic_too():
    mc = monte_carlo(load_preset("b2b_saas"), draws=10, seed=3)
    assert mc.quantiles_dict()["buy"]["cac"]["p10"] == pytest.approx(run(load_preset("b2b_saas")).metric("buy", "cac"))


@pytest.mark.parametrize("preset", ["default", "b2b_saas", "industrial_b2b"])
def test_quantiles_are_ordered(preset):
    mc = monte_carlo(with_ranges(RANGES, draws=1500, seed=5, preset=preset))
    for m, q in mc.summary_q.items():
        with np.errstate(invalid="ignore"):
            ok = (q[0] <= q[1] + 1e-9) & (q[1] <= q[2] + 1e-9)
        assert np.all(ok | np.isnan(q[0]) | np.isnan(q[2])), m
    for k, q in mc.monthly_q.items():
        with np.errstate(invalid="ignore"):
            ok = (q[0] <= q[1] + 1e-9) & (q[1] <= q[2] + 1e-9)
        assert np.all(ok | np.isnan(q).any(axis=0)), k


def test_same_seed_same_numbers_other_seed_other_numbers():
    a = monte_carlo(with_ranges(RANGES, draws=500, seed=11))
    b = monte_carlo(with_ranges(RANGES, draws=500, seed=11))
    c = monte_carlo(with_ranges(RANGES, draws=500, seed=12))
    np.testing.assert_array_equal(a.inputs["buy.cost_per_lead"], b.inputs["buy.cost_per_lead"])
    assert a.quantiles_dict() == b.quantiles_dict() and a.probabilities == b.probabilities
    assert not np.array_equal(a.inputs["buy.cost_per_lead"], c.inputs["buy.cost_per_lead"])
    assert a.quantiles_dict()["buy"]["cac"] != c.quantiles_dict()["buy"]["cac"]


def test_a_fields_draws_do_not_depend_on_other_ranges():
    one = sample_inputs(with_ranges({"buy.cost_per_lead": [90.0, 140.0]}), 300, 4)
    two = sample_inputs(with_ranges(RANGES), 300, 4)
    np.testing.assert_array_equal(one["buy.cost_per_lead"], two["buy.cost_per_lead"])


def test_probability_is_the_share_of_draws():
    mc = monte_carlo(with_ranges(RANGES, draws=4000, seed=2))
    cac = mc.samples["cac"]
    assert mc.probabilities["buy_beats_generate_cac"] == pytest.approx(np.mean(cac[:, 1] < cac[:, 0]))
    assert 0.0 < mc.probabilities["buy_beats_generate_cac"] < 1.0


def test_buying_certainly_cheaper_when_vendor_is_nearly_free():
    mc = monte_carlo(with_ranges({"buy.cost_per_lead": [1.0, 2.0], "generate.nurture_months": [2.0, 6.0]}, draws=300))
    assert mc.probabilities["buy_beats_generate_cac"] == 1.0


# ---- bad range input, one per failure mode ------------------------------------------------------


def problems(ranges):
    d = copy.deepcopy(HAND)
    d["uncertainty"] = {"ranges": ranges}
    with pytest.raises(ScenarioError) as exc:
        validate_scenario(d)
    return exc.value.problems


def test_range_low_above_high():
    assert problems({"buy.cost_per_lead": [30.0, 10.0]}) == [
        "uncertainty.ranges.buy.cost_per_lead: low 30.0 is above high 10.0"
    ]


def test_range_outside_field():
    (msg,) = problems({"buy.invalid_rate": [0.1, 1.5]})
    assert msg.startswith("uncertainty.ranges.buy.invalid_rate: 1.5 is outside [0, 1]")


def test_range_unknown_field_did_you_mean():
    assert problems({"generate.nurture": [1.0, 2.0]}) == [
        "uncertainty.ranges: unknown field 'generate.nurture' (did you mean 'generate.nurture_months'?)"
    ]


def test_range_not_a_pair():
    (msg,) = problems({"buy.nurture_months": [1.0]})
    assert msg.startswith("uncertainty.ranges.buy.nurture_months: expected a pair [low, high]")


def test_range_nan():
    (msg,) = problems({"buy.nurture_months": [1.0, float("nan")]})
    assert msg.startswith("uncertainty.ranges.buy.nurture_months: expected a pair")


def test_range_zero_low_for_lognormal_and_beta_edges():
    assert problems({"budget.monthly": [0.0, 5.0]})[0].startswith(
        "uncertainty.ranges.budget.monthly: low must be above 0"
    )
    assert "0 < low and high < 1" in problems({"buy.invalid_rate": [0.0, 0.3]})[0]


def test_range_on_horizon_is_refused():
    assert problems({"horizon_months": [12.0, 24.0]})[0].startswith("uncertainty.ranges.horizon_months: the horizon")


def test_draws_out_of_range():
    d = copy.deepcopy(HAND)
    d["uncertainty"] = {"draws": 0}
    with pytest.raises(ScenarioError) as exc:
        validate_scenario(d)
    assert exc.value.problems[0].startswith("uncertainty.draws: 0 ")


# ---- CLI --------------------------------------------------------------------------------------


def cli(*args):
    return subprocess.run([sys.executable, "-m", "simulation", *args], capture_output=True, text=True, cwd=ROOT)


def test_cli_run_adds_quantiles_and_probabilities(tmp_path):
    path = tmp_path / "u.toml"
    save_scenario(with_ranges(RANGES, draws=800, seed=9), path)
    proc = cli("run", str(path))
    doc = json.loads(proc.stdout)
    mc = monte_carlo(with_ranges(RANGES, draws=800, seed=9))
    assert doc["quantiles"] == json.loads(json.dumps(mc.quantiles_dict()))
    assert doc["probabilities"] == mc.probabilities
    assert set(doc["quantiles"]["buy"]["cac"]) == {"p10", "p50", "p90"}
    assert doc["summary"]["buy"]["cac"] == pytest.approx(run(load_preset("default")).metric("buy", "cac"))
    # --draws and --seed override the file
    over = json.loads(cli("run", str(path), "--draws", "300", "--seed", "4").stdout)
    assert over["uncertainty"] == {"draws": 300, "seed": 4}
    assert over["quantiles"] == json.loads(
        json.dumps(monte_carlo(with_ranges(RANGES), draws=300, seed=4).quantiles_dict())
    )


def test_cli_run_without_uncertainty_has_no_quantiles():
    doc = json.loads(cli("run", str(ROOT / "data" / "presets" / "default.toml")).stdout)
    assert "quantiles" not in doc and "probabilities" not in doc


def test_cli_bad_draws_exit_2():
    proc = cli("run", str(ROOT / "data" / "presets" / "default.toml"), "--draws", "0")
    assert proc.returncode == 2 and "--draws" in proc.stderr and "Traceback" not in proc.stderr


@st_settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(["default", "b2b_saas", "home_services", "insurance", "industrial_b2b"]),
    st.floats(0.2, 0.9), st.floats(1.05, 3.0), st.floats(0.05, 0.4), st.floats(0.01, 0.5), st.integers(0, 2**31),
)  # fmt: skip
def test_quantiles_ordered_for_any_ranges(preset, cpl_lo, cpl_hi, rate_lo, rate_width, seed):
    base = load_preset(preset)
    ranges = {
        "buy.cost_per_lead": [base.buy.cost_per_lead * cpl_lo, base.buy.cost_per_lead * cpl_hi],
        "generate.sql_to_customer": [rate_lo, min(rate_lo + rate_width, 0.99)],
        "buy.nurture_months": [0.5, 0.5 + 10 * rate_width],
    }
    mc = monte_carlo(with_ranges(ranges, draws=300, seed=seed, preset=preset))
    for q in (*mc.summary_q.values(), *mc.monthly_q.values()):
        lo, mid, hi = q
        with np.errstate(invalid="ignore"):
            assert np.all((lo <= mid + 1e-9) | np.isnan(lo) | np.isnan(mid))
            assert np.all((mid <= hi + 1e-9) | np.isnan(mid) | np.isnan(hi))


def test_cli_table_shows_how_sure(tmp_path):
    path = tmp_path / "u.toml"
    save_scenario(with_ranges(RANGES, draws=600, seed=3), path)
    out = cli("run", str(path), "--format", "table").stdout
    q = monte_carlo(with_ranges(RANGES, draws=600, seed=3)).quantiles_dict()["buy"]["cac"]
    line = next(x for x in out.splitlines() if x.startswith("cac ") and "Buy:" in x)
    assert f"Buy: {q['p10']:,.0f} – {q['p50']:,.0f} – {q['p90']:,.0f}" in line
    assert "of simulated futures" in out
