"""Version 1 scenarios are migrated, never refused; with ramp_months = 0 they give the version 1 numbers."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest
import tomli_w

from simulation import ScenarioError, run, validate_scenario
from simulation.schema import load_with_warnings, validate_with_warnings

GOLDEN = json.loads((Path(__file__).resolve().parent / "golden" / "v1_ramp0.json").read_text())
REVENUE_DERIVED = {"revenue", "gross_profit", "roi", "cumulative_net", "payback_month"}
V1_ONLY_ROWS = {"delivered_buy", "invalid_buy"}  # version 1 row fields that version 2 has per channel instead

V1: dict = {
    "name": "v1",
    "horizon_months": 6,
    "budget": {"monthly": 1000.0, "buy_share": 0.3},
    "economics": {"revenue_per_customer_month": 100.0, "gross_margin": 0.5, "monthly_churn": 0.02,
                  "lifetime_months": 24},
    "generate": {"cost_per_lead": 10.0, "ramp_months": 0.0, "fixed_monthly_cost": 50.0, "lead_to_mql": 0.5,
                 "mql_to_sql": 0.4, "sql_to_customer": 0.5, "nurture_months": 1.0},
    "buy": {"cost_per_lead": 20.0, "max_leads_per_month": 0.0, "invalid_rate": 0.1, "return_cap": 0.05,
            "fixed_monthly_cost": 0.0, "lead_to_mql": 0.5, "mql_to_sql": 0.5, "sql_to_customer": 0.4,
            "nurture_months": 2.0},
}  # fmt: skip


def same(got, want) -> bool:
    if want is None or got is None:
        return want is None and got is None
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize("case", sorted(GOLDEN))
def test_migrated_version_1_reproduces_the_version_1_figures(case):
    golden = GOLDEN[case]
    scn = validate_scenario(copy.deepcopy(golden["scenario_v1"]))
    v1 = golden["scenario_v1"]
    H, life = v1["horizon_months"], v1["economics"]["lifetime_months"]
    # Version 2 caps revenue at lifetime_months within the horizon too (version 1 capped only the LTV), so
    # when lifetime < horizon the revenue-derived figures differ by design; everything else must not.
    capped = life < H
    doc = run(scn).to_json()
    assert doc["schema_version"] == 2
    checked = 0
    for strat, metrics in golden["summary"].items():
        for name, want in metrics.items():
            if capped and name in REVENUE_DERIVED:
                continue
            got = doc["summary"][strat][name]
            assert same(got, want), (strat, name, got, want)
            checked += 1
        cpl = v1["buy"]["cost_per_lead"]
        for t, row in enumerate(golden["monthly"][strat]):
            mine = doc["monthly"][strat][t]
            for name, want in row.items():
                if name in V1_ONLY_ROWS or (capped and name in REVENUE_DERIVED and t + 1 > life + 1):
                    continue
                got = mine[name]
                assert same(got, want), (strat, t + 1, name, got, want)
                checked += 1
            # delivered and invalid bought leads, from the buy channel's spend
            delivered = mine["channels"]["buy"]["spend"] / cpl
            assert same(delivered, row["delivered_buy"])
            assert same(delivered * v1["buy"]["invalid_rate"], row["invalid_buy"])
            if capped and t + 1 > life + 1:  # the first cohort has stopped paying: less revenue than v1
                assert mine["revenue"] < row["revenue"] or row["revenue"] == 0
    assert checked >= 3 * H * 15  # every strategy, every month, (almost) every field


def test_golden_cases_cover_a_lifetime_shorter_than_the_horizon():
    shorter = [c for c, g in GOLDEN.items() if g["scenario_v1"]["economics"]["lifetime_months"]
               < g["scenario_v1"]["horizon_months"]]  # fmt: skip
    assert shorter and len(shorter) < len(GOLDEN)


@pytest.mark.parametrize("version", [None, 1, 1.0])
def test_version_1_becomes_two_channels(version):
    d = copy.deepcopy(V1)
    if version is not None:
        d["schema_version"] = version
    scn, warnings = validate_with_warnings(d)
    assert warnings == []
    assert scn.schema_version == 2
    assert list(scn.channel) == ["generate", "buy"]
    gen, buy = scn.channel["generate"], scn.channel["buy"]
    assert (gen.kind, buy.kind) == ("generate", "buy")
    assert (gen.label, buy.label) == ("Generate", "Buy")
    assert gen.share == pytest.approx(0.7) and buy.share == 0.3
    for field, value in V1["generate"].items():
        assert getattr(gen, field) == value, field
    for field, value in V1["buy"].items():
        assert getattr(buy, field) == value, field
    assert scn.economics.discount_rate == 0 and scn.sales.capacity_leads_per_month == 0
    assert scn.budget.monthly == 1000.0


def test_version_1_without_buy_share_splits_half_and_half():
    d = copy.deepcopy(V1)
    del d["budget"]["buy_share"]
    scn = validate_scenario(d)
    assert scn.channel["generate"].share == 0.5 and scn.channel["buy"].share == 0.5


def test_version_1_strategies_are_generate_buy_and_blend():
    # Generate puts all of B on `generate`, Buy all on `buy`, the Blend 0.7 / 0.3 as buy_share said.
    r = run(validate_scenario(copy.deepcopy(V1)))
    assert r.metric("generate", "spend") == pytest.approx(6000)
    assert r.channel_metric("blend", "buy", "spend") == pytest.approx(0.3 * 6000)
    assert r.channel_metric("blend", "generate", "spend") == pytest.approx(0.7 * 6000)


def test_version_1_range_names_are_mapped():
    d = copy.deepcopy(V1)
    d["uncertainty"] = {"draws": 10, "seed": 3, "ranges": {"buy.cost_per_lead": [15.0, 30.0],
                        "generate.nurture_months": [0.5, 2.0], "economics.gross_margin": [0.4, 0.6]}}  # fmt: skip
    scn, warnings = validate_with_warnings(d)
    assert warnings == []
    assert scn.uncertainty.ranges == {
        "channel.buy.cost_per_lead": (15.0, 30.0),
        "channel.generate.nurture_months": (0.5, 2.0),
        "economics.gross_margin": (0.4, 0.6),
    }
    assert (scn.uncertainty.draws, scn.uncertainty.seed) == (10, 3)


def test_version_1_buy_share_range_is_dropped_with_a_warning():
    d = copy.deepcopy(V1)
    d["uncertainty"] = {"ranges": {"budget.buy_share": [0.2, 0.4]}}
    scn, warnings = validate_with_warnings(d)
    assert scn.uncertainty.ranges == {}
    assert len(warnings) == 1 and warnings[0].startswith("uncertainty.ranges.budget.buy_share: ")


def test_version_1_range_without_its_value_warns_but_version_2_refuses():
    d = copy.deepcopy(V1)
    d["uncertainty"] = {"ranges": {"buy.cost_per_lead": [30.0, 40.0]}}  # the value is 20
    scn, warnings = validate_with_warnings(d)
    assert scn.uncertainty.ranges["channel.buy.cost_per_lead"] == (30.0, 40.0)
    assert warnings == [
        "uncertainty.ranges.channel.buy.cost_per_lead: [30, 40] does not contain the field's own value 20; "
        "a range must contain it so that the headline and the P50 tell the same story"
    ]
    # the same range in a version 2 file is an error, with the same sentence
    v2 = json.loads(json.dumps(scn.model_dump(exclude_none=True)))
    v2["channel"] = {
        cid: {k: v for k, v in ch.items() if k in _fields_of(ch["kind"])} for cid, ch in v2["channel"].items()
    }
    with pytest.raises(ScenarioError) as exc:
        validate_scenario(v2)
    assert exc.value.problems == warnings


def _fields_of(kind: str) -> set[str]:
    from simulation.schema.fields import channel_field_names

    return {"label", "kind", *channel_field_names(kind)}


def test_version_1_range_outside_the_fields_own_range_is_still_an_error():
    d = copy.deepcopy(V1)
    d["uncertainty"] = {"ranges": {"buy.invalid_rate": [0.05, 1.5]}}
    with pytest.raises(ScenarioError) as exc:
        validate_with_warnings(d)
    assert exc.value.problems == ["uncertainty.ranges.channel.buy.invalid_rate: 1.5 is outside [0, 1]"]


def test_version_1_file_loads_with_warnings(tmp_path):
    d = copy.deepcopy(V1)
    d["schema_version"] = 1
    d["uncertainty"] = {"ranges": {"generate.cost_per_lead": [12.0, 15.0]}}
    path = tmp_path / "old.toml"
    path.write_text(tomli_w.dumps(d))
    scn, warnings = load_with_warnings(path)
    assert list(scn.channel) == ["generate", "buy"]
    assert len(warnings) == 1 and "channel.generate.cost_per_lead" in warnings[0]


def test_version_1_errors_name_the_migrated_field():
    d = copy.deepcopy(V1)
    d["buy"]["invalid_rate"] = 1.5
    d["generate"]["cost_per_laed"] = 3.0
    with pytest.raises(ScenarioError) as exc:
        validate_scenario(d)
    assert sorted(exc.value.problems) == [
        "channel.buy.invalid_rate: 1.5 is not allowed; allowed [0, 1] (input should be less than or equal to 1)",
        "channel.generate.cost_per_laed: unknown field (did you mean 'channel.generate.cost_per_lead'?)",
    ]
