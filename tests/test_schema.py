"""Validation of version 2 scenarios: one test per rule, with the message it gives; TOML round trips."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import scenario, scenario_dict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_engine_identities import scenario_dicts

from simulation import ScenarioError, dumps_scenario, load_scenario, loads_scenario, validate_scenario, with_values

PRESETS = sorted((Path(__file__).resolve().parent.parent / "data" / "presets").glob("*.toml"))


def problems(**overrides: Any) -> list[str]:
    with pytest.raises(ScenarioError) as exc:
        validate_scenario(scenario_dict(**overrides))
    return exc.value.problems


def one(**overrides: Any) -> str:
    (msg,) = problems(**overrides)
    return msg


def ok(**overrides: Any) -> None:
    validate_scenario(scenario_dict(**overrides))


BUY_FIELDS = {"kind": "buy", "cost_per_lead": 10.0, "lead_to_mql": 0.5, "mql_to_sql": 0.5, "sql_to_customer": 0.5,
              "nurture_months": 0.0}  # fmt: skip
RANGES = {"channel.buy.cost_per_lead": [10.0, 40.0], "channel.gen.cost_per_lead": [5.0, 20.0],
          "economics.gross_margin": [0.3, 0.7]}  # fmt: skip


def uncertainty(**kw: Any) -> dict[str, Any]:
    return {"uncertainty": {"draws": 10, "seed": 1, **kw}}


# ---- unknown fields, with "did you mean" at every level ---------------------------------------------


def test_unknown_top_level_field():
    assert one(horzon_months=3) == "horzon_months: unknown field (did you mean 'horizon_months'?)"


def test_unknown_section():
    assert one(econmics={"a": 1}) == "econmics: unknown field (did you mean 'economics'?)"


def test_unknown_field_in_a_section():
    assert one(**{"economics.gros_margin": 0.5}) == (
        "economics.gros_margin: unknown field (did you mean 'economics.gross_margin'?)"
    )
    assert one(**{"sales.capacity": 5.0}) == (
        "sales.capacity: unknown field (did you mean 'sales.capacity_leads_per_month'?)"
    )


def test_unknown_channel_field():
    msgs = problems(**{"channel.buy.cost_per_laed": 3.0, "channel.buy.cost_per_lead": None})
    assert "channel.buy.cost_per_laed: unknown field (did you mean 'channel.buy.cost_per_lead'?)" in msgs
    assert "channel.buy.cost_per_lead: required field is missing; allowed (0, 1,000,000]" in msgs
    assert len(msgs) == 2


def test_version_1_section_in_a_version_2_file_is_unknown():
    assert one(**{"budget.buy_share": 0.5}) == "budget.buy_share: unknown field"


# ---- ranges, non-finite numbers, strict types -----------------------------------------------------


@pytest.mark.parametrize(
    "field,value,start,allowed",
    [
        ("budget.monthly", -5.0, "budget.monthly: -5.0 ", "[0, 1,000,000,000]"),
        ("channel.buy.invalid_rate", 1.5, "channel.buy.invalid_rate: 1.5 ", "[0, 1]"),
        ("channel.gen.cost_per_lead", 0.0, "channel.gen.cost_per_lead: 0.0 ", "(0, 1,000,000]"),
        ("horizon_months", 121, "horizon_months: 121 ", "[1, 120]"),
        ("economics.lifetime_months", 0, "economics.lifetime_months: 0 ", "[1, 240]"),
        ("channel.gen.ramp_months", 61.0, "channel.gen.ramp_months: 61.0 ", "[0, 60]"),
        ("channel.gen.elasticity", 0.05, "channel.gen.elasticity: 0.05 ", "[0.1, 1]"),
        ("channel.buy.refund_delay_months", 7, "channel.buy.refund_delay_months: 7 ", "[0, 6]"),
        ("economics.discount_rate", 1.5, "economics.discount_rate: 1.5 ", "[0, 1]"),
        ("sales.capacity_leads_per_month", -1.0, "sales.capacity_leads_per_month: -1.0 ", "[0, 10,000,000]"),
    ],
)
def test_out_of_range_names_field_value_and_allowed_range(field, value, start, allowed):
    msg = one(**{field: value})
    assert msg.startswith(start) and f"allowed {allowed}" in msg


@pytest.mark.parametrize("bad,text", [(math.nan, "nan"), (math.inf, "inf"), (-math.inf, "-inf")])
def test_nan_and_infinity(bad, text):
    assert (
        one(**{"economics.gross_margin": bad})
        == f"economics.gross_margin: {text} is not a finite number; allowed [0, 1]"
    )
    assert one(**{"channel.buy.cost_per_lead": bad}).startswith(f"channel.buy.cost_per_lead: {text} is not a finite")


def test_booleans_and_strings_are_not_numbers():
    assert one(**{"budget.monthly": True}) == "budget.monthly: True is not a number; allowed [0, 1,000,000,000]"
    assert one(horizon_months=True) == "horizon_months: True is not a whole number; allowed [1, 120]"
    assert one(**{"budget.monthly": "40000"}) == "budget.monthly: '40000' is not a number; allowed [0, 1,000,000,000]"
    assert one(**{"channel.buy.refund_delay_months": "1"}).startswith("channel.buy.refund_delay_months: '1' is not")
    assert one(**{"budget.monthly": [1.0]}) == "budget.monthly: a list is not a number; allowed [0, 1,000,000,000]"


def test_integer_fields_take_whole_numbers():
    for value in (24, 24.0):
        assert validate_scenario(scenario_dict(horizon_months=value)).horizon_months == 24
    assert validate_scenario(scenario_dict(**{"economics.lifetime_months": 12.0})).economics.lifetime_months == 12
    assert one(horizon_months=24.5) == "horizon_months: 24.5 is not a whole number; allowed [1, 120]"
    assert one(**{"economics.lifetime_months": 24.5}) == (
        "economics.lifetime_months: 24.5 is not a whole number; allowed [1, 240]"
    )
    assert one(**{"channel.buy.refund_delay_months": 1.5}) == (
        "channel.buy.refund_delay_months: 1.5 is not a whole number; allowed [0, 6]"
    )
    # money fields take integers as numbers
    assert validate_scenario(scenario_dict(**{"budget.monthly": 1000})).budget.monthly == 1000.0


# ---- channel rules --------------------------------------------------------------------------------


def test_a_field_of_the_other_kind():
    assert one(**{"channel.gen.max_leads_per_month": 5.0}) == (
        "channel.gen.max_leads_per_month: max_leads_per_month is for buy channels, not generate channels"
    )
    assert one(**{"channel.buy.ramp_months": 5.0}) == (
        "channel.buy.ramp_months: ramp_months is for generate channels, not buy channels"
    )


def test_kind_is_required_and_checked():
    assert one(**{"channel.gen.kind": "make"}) == "channel.gen.kind: 'make' is not allowed; allowed 'generate' or 'buy'"
    assert one(**{"channel.gen.kind": None}) == "channel.gen.kind: required field is missing"


@pytest.mark.parametrize("field", ["cost_per_lead", "lead_to_mql", "mql_to_sql", "sql_to_customer", "nurture_months"])
def test_required_channel_fields(field):
    assert one(**{f"channel.buy.{field}": None}).startswith(f"channel.buy.{field}: required field is missing; allowed ")


def test_channel_defaults():
    c = scenario().channel["buy"]
    assert (c.label, c.fixed_monthly_cost, c.max_leads_per_month, c.invalid_rate, c.return_cap) == ("", 0, 0, 0, 0)
    assert (c.refund_delay_months, c.starting_pipeline) == (0, 0)
    g = scenario(**{"channel.gen.share": None}).channel["gen"]
    assert (g.share, g.ramp_months, g.elasticity, g.starting_leads_per_month, g.reference_spend) == (0, 0, 1, 0, None)
    assert g.display_label("gen") == "gen"


def test_shares_sum_to_at_most_one():
    assert one(**{"channel.gen.share": 0.7}) == (
        "channel.*.share: the shares sum to 1.2 (gen 0.7, buy 0.5); allowed at most 1"
    )
    ok(**{"channel.gen.share": 0.5})  # exactly 1
    ok(**{"channel.gen.share": 0.2, "channel.buy.share": 0.1, "channel.b2": {**BUY_FIELDS, "share": 0.7}})  # 1 + ε
    ok(**{"channel.gen.share": 0.0, "channel.buy.share": 0.0})  # nothing allocated: all of B unspent


@pytest.mark.parametrize("cid", ["Gen", "2nd", "a-b", "ä", "a" * 25, "_x"])
def test_invalid_channel_ids(cid):
    msgs = problems(**{f"channel.{cid}": BUY_FIELDS})
    assert msgs == [f"channel.{cid}: a channel id is a lowercase letter then up to 23 of a-z, 0-9 or _"]


def test_valid_channel_ids():
    ok(**{"channel.a" + "b" * 23: BUY_FIELDS, "channel.x_1": BUY_FIELDS})


def test_number_of_channels():
    assert one(channel={}) == "channel: at least one channel is needed"
    nine = {f"c{i}": dict(BUY_FIELDS) for i in range(9)}
    assert one(channel=nine) == "channel: 9 channels; at most 8"
    ok(channel=dict(list(nine.items())[:8]))


def test_reference_spend_required_below_elasticity_one():
    assert one(**{"channel.gen.elasticity": 0.5}) == (
        "channel.gen.reference_spend: required when elasticity is below 1 (elasticity = 0.5); "
        "allowed (0, 1,000,000,000]"
    )
    ok(**{"channel.gen.elasticity": 0.5, "channel.gen.reference_spend": 100.0})
    ok(**{"channel.gen.elasticity": 1.0})


def test_starting_leads_need_a_ramp():
    msg = one(**{"channel.gen.starting_leads_per_month": 5.0})
    assert msg.startswith("channel.gen.starting_leads_per_month: 5 needs ramp_months above 0")
    ok(**{"channel.gen.starting_leads_per_month": 5.0, "channel.gen.ramp_months": 0.5})


def test_label_length():
    assert one(**{"channel.gen.label": "x" * 41}) == "channel.gen.label: 41 characters; allowed at most 40"
    ok(**{"channel.gen.label": "x" * 40})


# ---- uncertainty ranges and correlations --------------------------------------------------------------


@pytest.mark.parametrize(
    "key,label",
    [("channel.gen.share", "share of budget (plan)"), ("horizon_months", "horizon"),
     ("channel.buy.refund_delay_months", "refund delay")],
)  # fmt: skip
def test_fields_that_cannot_have_a_range(key, label):
    assert one(**uncertainty(ranges={key: [1.0, 1.0]})) == f"uncertainty.ranges.{key}: {label} cannot have a range"


def test_range_of_an_unknown_field():
    assert one(**uncertainty(ranges={"channel.buy.cost_per_laed": [10.0, 40.0]})) == (
        "uncertainty.ranges.channel.buy.cost_per_laed: not a numeric field of this scenario "
        "(did you mean 'channel.buy.cost_per_lead'?)"
    )


def test_range_must_contain_the_value_in_version_2():
    assert one(**uncertainty(ranges={"channel.buy.cost_per_lead": [30.0, 40.0]})) == (
        "uncertainty.ranges.channel.buy.cost_per_lead: [30, 40] does not contain the field's own value 20; "
        "a range must contain it so that the headline and the P50 tell the same story"
    )
    ok(**uncertainty(ranges={"channel.buy.cost_per_lead": [20.0, 40.0]}))


def test_range_outside_the_fields_own_range_or_upside_down():
    assert one(**uncertainty(ranges={"economics.gross_margin": [0.3, 1.5]})) == (
        "uncertainty.ranges.economics.gross_margin: 1.5 is outside [0, 1]"
    )
    assert one(**uncertainty(ranges={"channel.buy.cost_per_lead": [40.0, 10.0]})) == (
        "uncertainty.ranges.channel.buy.cost_per_lead: low 40.0 is above high 10.0"
    )
    assert one(**uncertainty(ranges={"channel.buy.cost_per_lead": [math.nan, 30.0]})).startswith(
        "uncertainty.ranges.channel.buy.cost_per_lead: expected a pair [low, high] of finite numbers"
    )


def test_correlation_with_itself():
    key = "channel.buy.cost_per_lead|channel.buy.cost_per_lead"
    assert one(**uncertainty(ranges=RANGES, correlations={key: 0.3})) == (
        f"uncertainty.correlations.{key}: a field cannot be correlated with itself"
    )


def test_correlation_pair_given_both_ways():
    a, b = "channel.buy.cost_per_lead", "channel.gen.cost_per_lead"
    msg = one(**uncertainty(ranges=RANGES, correlations={f"{a}|{b}": 0.3, f"{b}|{a}": 0.3}))
    assert msg.startswith(f"uncertainty.correlations.{b}|{a}: this pair is given twice")


def test_correlation_needs_both_inputs_ranged():
    key = "channel.buy.cost_per_lead|economics.monthly_churn"
    assert one(**uncertainty(ranges=RANGES, correlations={key: 0.3})) == (
        f"uncertainty.correlations.{key}: economics.monthly_churn needs a range of its own to be correlated"
    )
    assert one(**uncertainty(ranges=RANGES, correlations={"channel.buy.cost_per_lead": 0.3})) == (
        "uncertainty.correlations.channel.buy.cost_per_lead: expected 'field|field'"
    )


@pytest.mark.parametrize("rho", [1.0, -1.0, -1.2, 3.0])
def test_correlation_must_be_inside_minus_one_one(rho):
    key = "channel.buy.cost_per_lead|channel.gen.cost_per_lead"
    assert one(**uncertainty(ranges=RANGES, correlations={key: rho})) == (
        f"uncertainty.correlations.{key}: {rho!r} is not allowed; allowed (-1, 1)"
    )


def test_correlations_must_form_a_positive_definite_matrix():
    a, b, c = RANGES
    corr = {f"{a}|{b}": 0.9, f"{a}|{c}": 0.9, f"{b}|{c}": -0.9}
    assert one(**uncertainty(ranges=RANGES, correlations=corr)) == (
        "uncertainty.correlations: these correlations cannot hold together (the matrix is not positive definite); "
        "make some of them weaker"
    )
    ok(**uncertainty(ranges=RANGES, correlations={f"{a}|{b}": 0.9, f"{a}|{c}": 0.5, f"{b}|{c}": 0.5}))


# ---- optimize bounds, currency, name, versions --------------------------------------------------------


def test_bounds_of_an_unknown_channel():
    assert (
        one(optimize={"bounds": {"gne": [0.0, 0.5]}}) == "optimize.bounds.gne: no channel 'gne' (did you mean 'gen'?)"
    )


def test_bounds_must_be_ordered_inside_zero_one():
    assert one(optimize={"bounds": {"gen": [0.6, 0.5]}}) == (
        "optimize.bounds.gen: [0.6, 0.5] is not allowed; allowed 0 ≤ low ≤ high ≤ 1"
    )
    assert one(optimize={"bounds": {"gen": [0.6, 0.9], "buy": [0.5, 0.9]}}) == (
        "optimize.bounds: the lowest shares sum to 1.1; allowed at most 1"
    )
    ok(optimize={"bounds": {"gen": [0.1, 0.9]}})


@pytest.mark.parametrize("code", ["usd", "EURO", "US", "U$D", ""])
def test_currency_must_look_like_an_iso_code(code):
    assert one(currency=code) == (
        f"currency: {code!r} is not an ISO 4217 code (three capital letters, such as USD or EUR)"
    )


def test_currency_default_and_valid():
    assert scenario().currency == "USD"
    assert scenario(currency="EUR").currency == "EUR"


def test_name_at_most_80_characters():
    assert one(name="x" * 81) == "name: 81 characters; allowed at most 80"
    assert scenario(name="é" * 80).name == "é" * 80


def test_schema_version():
    assert one(schema_version=3) == "schema_version: 3 is not allowed; allowed 1 or 2"
    assert one(schema_version=True).startswith("schema_version: True is not allowed")


def test_several_problems_one_line_each():
    msgs = problems(**{"budget.monthly": -1.0, "channel.buy.invalid_rate": 2.0, "horizon_months": 0})
    assert sorted(m.split(":")[0] for m in msgs) == ["budget.monthly", "channel.buy.invalid_rate", "horizon_months"]
    assert all("\n" not in m for m in msgs)


HUGE = "x" * 10_000_000


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": HUGE},
        {"currency": HUGE},
        {"channel.gen.label": HUGE},
        {"channel.gen.kind": HUGE},
        {"budget.monthly": HUGE},
        {"horizon_months": HUGE},
        {f"channel.{HUGE}": BUY_FIELDS},
        {f"channel.{HUGE}": {"kind": "buy"}},
        {f"channel.gen.{HUGE}": 1.0},
        {HUGE: 1.0},
        {"optimize": {"bounds": {HUGE: [0.0, 1.0]}}},
        uncertainty(ranges={HUGE: [1.0, 2.0]}),
        uncertainty(ranges={"channel.buy.cost_per_lead": [HUGE, 30.0]}),
        uncertainty(ranges=RANGES, correlations={HUGE: 0.5}),
        uncertainty(ranges=RANGES, correlations={f"{HUGE}|{HUGE}": 0.5}),
        uncertainty(ranges=RANGES, correlations={f"channel.buy.cost_per_lead|{HUGE}": 0.5}),
    ],
)
def test_error_lines_quote_at_most_80_characters_of_a_value(overrides):
    t0 = time.perf_counter()
    msgs = problems(**overrides)
    assert time.perf_counter() - t0 < 2.0  # bounded work: no character-by-character pass over 10 MB, no difflib
    assert msgs
    for m in msgs:
        assert "x" * 81 not in m
        assert len(m) < 400


def test_with_values_validates_and_suggests():
    scn = with_values(scenario(), {"channel.buy.cost_per_lead": 30.0, "horizon_months": 12})
    assert scn.channel["buy"].cost_per_lead == 30.0 and scn.horizon_months == 12
    for key, want in [("budget.monthy", "budget.monthly"), ("channel.buy.cost_per_leed", "channel.buy.cost_per_lead")]:
        with pytest.raises(ScenarioError) as exc:
            with_values(scenario(), {key: 3.0})
        assert exc.value.problems == [f"{key}: unknown field (did you mean '{want}'?)"]
    with pytest.raises(ScenarioError) as exc:
        with_values(scenario(), {"channel.buy.invalid_rate": 2.0})
    assert exc.value.problems[0].startswith("channel.buy.invalid_rate: 2.0 is not allowed; allowed [0, 1]")


# ---- round trips -------------------------------------------------------------------------------------


def bits(x: Any) -> Any:
    """A value with every float as its exact bit pattern, for bit-for-bit comparison."""
    if isinstance(x, dict):
        return {k: bits(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [bits(v) for v in x]
    if isinstance(x, float):
        return ("float", x.hex())
    return x


def assert_round_trip(scn) -> None:
    text = dumps_scenario(scn)
    back = loads_scenario(text)
    assert back == scn
    assert bits(back.model_dump()) == bits(scn.model_dump())
    assert dumps_scenario(back) == text


@pytest.mark.parametrize("path", PRESETS, ids=[p.stem for p in PRESETS])
def test_presets_are_version_2_and_round_trip(path):
    assert "schema_version = 2" in path.read_text()
    scn = load_scenario(path)
    assert scn.schema_version == 2
    assert_round_trip(scn)


def test_presets_exist():
    assert len(PRESETS) >= 3


odd_floats = st.floats(0.0, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def full_scenarios(draw):
    d = draw(scenario_dicts())
    d["name"] = draw(st.text(max_size=80))
    d["currency"] = draw(st.from_regex(r"[A-Z]{3}", fullmatch=True))
    d["budget"]["monthly"] = draw(odd_floats)
    for ch in d["channel"].values():
        ch["label"] = draw(st.text(max_size=40))
        ch["cost_per_lead"] = draw(st.floats(1e-300, 1e6))
    ids = list(d["channel"])
    if draw(st.booleans()):
        cid = ids[0]
        v = d["channel"][cid]["cost_per_lead"]
        d["uncertainty"] = {"draws": draw(st.integers(1, 100_000)), "seed": draw(st.integers(0, 2**32 - 1)),
                            "ranges": {f"channel.{cid}.cost_per_lead": [v, v]}}  # fmt: skip
    if draw(st.booleans()):
        lo = draw(st.floats(0.0, 1.0 / len(ids)))
        d["optimize"] = {"bounds": {ids[-1]: [lo, draw(st.floats(lo, 1.0))]}}
    return validate_scenario(d)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(full_scenarios())
def test_random_scenarios_round_trip_bit_for_bit(scn):
    assert_round_trip(scn)
