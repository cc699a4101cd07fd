"""The state module without a browser: reading a link (every parameter that cannot be used warns, naming it as the
link spells it), writing one (only what differs from the preset, within the length budgets), channels in the link,
version 1 links, percentages on screen and fractions in the model."""

from __future__ import annotations

import random
from urllib.parse import urlencode

import pytest
from apptest_helpers import nudged

from dashboard import state
from dashboard.state import Live, Settings, encode, read_link
from simulation import load_preset, preset_names, validate_scenario, with_values
from simulation.schema import flatten, scenario_dict
from simulation.schema.scenario import CHANNEL_ID

DEFAULT = load_preset("default")
NEW = (("Vendor A", "buy"), ("Webinars", "generate"), ("Partner referrals", "generate"), ("Trade show lists", "buy"))


def link(params: dict[str, str]) -> str:
    return "http://localhost:8501/?" + urlencode(params)


def opened(params: dict[str, str]) -> state.Opened:
    return read_link({k: [v] for k, v in params.items()})


def written(values: dict, preset: str = "default", settings: Settings | None = None) -> dict[str, str]:
    return encode(Live(preset, values, settings or Settings()))


def problems(params: dict[str, str]) -> list[str]:
    return list(opened(params).notices.problems)


def with_new_channels(values: dict, chans=NEW) -> dict:
    """Values with channels added as the editor adds them: from the template, labelled."""
    out = dict(values)
    for label, kind in chans:
        cid = state.new_channel_id(label, {c for c, _ in state.channels_of(out)})
        out.update({f"channel.{cid}.{k}": v for k, v in state.template(kind).items()})
        out[f"channel.{cid}.label"] = label
    return out


def every_field_changed(values: dict, preset: str = "default") -> dict:
    """Every field of every channel and every scalar nudged off its reference (shares kept summing to 1)."""
    ref = state.reference(preset, state.channels_of(values))
    out = {}
    for k, v in values.items():
        if k.endswith(".kind"):
            out[k] = v
        elif k.endswith(".share"):
            out[k] = round(v - 0.05, 6) if v > 0 else 0.05
        else:
            out[k] = nudged(ref, k)
    return out


# ---- screen units ---------------------------------------------------------------------------------------


def test_rates_show_as_percentages_and_reach_the_model_as_fractions():
    assert state.from_screen("channel.content.lead_to_mql", 2.3) == 0.023
    assert state.from_screen("economics.gross_margin", 23.0) == 0.23
    assert state.from_screen("channel.paid_search.share", 0.1) == 0.001  # typeable to 0.1 %
    assert state.to_screen("channel.vendor_shared.invalid_rate", 0.2) == 20.0
    assert state.to_screen("economics.monthly_churn", 0.07) == 7.0  # not 7.000000000000001
    # elasticity is an exponent, not a percentage; whole-number fields stay whole
    assert state.to_screen("channel.paid_search.elasticity", 0.7) == 0.7
    assert state.from_screen("horizon_months", 36.0) == 36 and isinstance(
        state.from_screen("horizon_months", 36.0), int
    )
    assert state.screen_bounds(state.spec_of("economics.gross_margin")) == (0.0, 100.0)
    assert state.screen_bounds(state.spec_of("channel.x.cost_per_lead")) == (0.0, 1e6)  # the contract's minimum


def test_every_percentage_on_the_01_grid_survives_the_round_trip():
    for tenth in range(1001):
        pct = tenth / 10
        frac = state.from_screen("channel.content.sql_to_customer", pct)
        assert frac == float(f"{tenth / 1000:.4f}")
        assert state.to_screen("channel.content.sql_to_customer", frac) == pct


def test_numbers_in_the_link_read_back_bit_for_bit():
    rng = random.Random(3)
    for _ in range(2000):
        x = rng.choice([rng.random(), rng.uniform(0, 1e6), float(rng.randint(0, 10**9)), rng.random() / 1e5])
        text = state._num(x)
        assert float(text) == x
        assert len(text) <= 24
    assert state._num(55000.0) == "55000" and state._num(0.023) == "0.023" and state._num(24) == "24"


# ---- channel ids and templates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label,taken,want",
    [
        ("Vendor A", set(), "vendor_a"),
        ("Vendor A", {"vendor_a"}, "vendor_a_2"),
        ("Vendor A", {"vendor_a", "vendor_a_2"}, "vendor_a_3"),
        ("2025 lists", set(), "ch_2025_lists"),
        ("Événements & salons", set(), "v_nements_salons"),
        ("", set(), "ch"),
        ("A very long channel name indeed", set(), "a_very_long_chan"),
        ("A very long channel name indeed", {"a_very_long_chan"}, "a_very_long_ch_2"),
    ],
)
def test_channel_ids_are_made_from_labels(label, taken, want):
    cid = state.new_channel_id(label, taken)
    assert cid == want and CHANNEL_ID.fullmatch(cid) and len(cid) <= state.ID_LENGTH


def test_a_new_channel_starts_from_the_default_presets_first_channel_of_its_kind_with_share_0():
    for kind, cid in (("generate", "paid_search"), ("buy", "vendor_exclusive")):
        t = state.template(kind)
        want = scenario_dict(DEFAULT)["channel"][cid]
        assert t == {**want, "share": 0.0, "label": ""}


# ---- writing links -----------------------------------------------------------------------------------------


def test_the_preset_as_it_is_has_an_empty_link():
    assert written(flatten(DEFAULT)) == {}
    for preset in preset_names()[1:]:
        assert written(flatten(load_preset(preset)), preset) == {"v": "2", "preset": preset}


def test_three_changed_fields_of_the_4_channel_preset_make_a_link_under_500_characters():
    values = flatten(DEFAULT)
    three = {"channel.vendor_shared.cost_per_lead": 92.5, "channel.content.lead_to_mql": 0.023,
             "budget.monthly": 55000.0}  # fmt: skip
    params = written({**values, **three})
    assert params == {"v": "2", "budget.monthly": "55000", "channel.content.lead_to_mql": "0.023",
                      "channel.vendor_shared.cost_per_lead": "92.5"}  # fmt: skip
    assert len(link(params)) < 500
    back = opened(params)
    assert back.values == {**values, **three} and not back.notices.problems


def test_eight_channels_with_every_field_changed_make_a_link_under_8000_characters():
    values = every_field_changed(with_new_channels(flatten(DEFAULT)))
    assert len(state.channels_of(values)) == 8
    params = written(values)
    assert params["channels"] == "paid_search,content,vendor_exclusive,vendor_shared,vendor_a,webinars,partner_referral,trade_show_lists"  # fmt: skip
    # every field differs: each one is in the link (the kinds only for the channels the preset lacks)
    assert len(params) == 2 + len([k for k in values if not k.endswith(".kind")]) + 4
    assert len(link(params)) < 8000, len(link(params))
    back = opened(params)
    assert not back.notices.problems
    assert back.values == values  # bit for bit, in order
    assert list(back.values) == list(values)
    with_values(DEFAULT, {k: v for k, v in values.items()})  # and the values are a valid scenario


def test_a_new_channel_is_in_the_link_by_kind_label_and_what_differs_from_its_template():
    values = with_new_channels(flatten(DEFAULT), [("Vendor A", "buy")])
    values["channel.vendor_a.cost_per_lead"] = 60.0
    params = written(values)
    assert params == {"v": "2", "channels": "paid_search,content,vendor_exclusive,vendor_shared,vendor_a",
                      "channel.vendor_a.label": "Vendor A", "channel.vendor_a.kind": "buy",
                      "channel.vendor_a.cost_per_lead": "60"}  # fmt: skip
    assert opened(params).values == values


def test_removing_and_reordering_channels_changes_only_the_channel_list():
    values = {k: v for k, v in flatten(DEFAULT).items() if not k.startswith("channel.vendor_shared.")}
    params = written(values)
    assert params == {"v": "2", "channels": "paid_search,content,vendor_exclusive"}
    back = opened(params)
    assert back.values == values and not back.notices.problems
    scn = validate_scenario({**scenario_dict(DEFAULT), "channel": {
        k: v for k, v in scenario_dict(DEFAULT)["channel"].items() if k != "vendor_shared"},
        "optimize": {"bounds": {"content": [0.15, 0.6]}}})  # fmt: skip
    assert flatten(scn) == back.values
    swapped = opened({"channels": "content,paid_search,vendor_shared,vendor_exclusive"})
    assert [c for c, _ in state.channels_of(swapped.values)] == ["content", "paid_search", "vendor_shared",
                                                                 "vendor_exclusive"]  # fmt: skip


def test_a_preset_channel_given_another_kind_starts_from_the_template_of_that_kind():
    got = opened({"channel.content.kind": "buy", "channel.content.cost_per_lead": "44"})
    assert not got.notices.problems
    assert got.values["channel.content.kind"] == "buy"
    assert got.values["channel.content.max_leads_per_month"] == state.template("buy")["max_leads_per_month"]
    assert got.values["channel.content.cost_per_lead"] == 44.0
    assert written(got.values) == {"v": "2", "channel.content.kind": "buy", "channel.content.cost_per_lead": "44"}
    assert opened(written(got.values)).values == got.values


def test_settings_are_in_the_link_only_where_they_differ():
    values = flatten(DEFAULT)
    s = Settings(ranges={"channel.content.cost_per_lead": (40.0, 70.0)}, draws=3000, seed=1, objective="cac",
                 min_customers=120.0, by_month=12)  # fmt: skip
    params = written(values, settings=s)
    assert params == {"v": "2", "ranges": "channel.content.cost_per_lead:40:70", "draws": "3000", "objective": "cac",
                      "min_customers": "120", "by_month": "12"}  # fmt: skip
    back = opened(params)
    assert back.settings == Settings(ranges={"channel.content.cost_per_lead": (40.0, 70.0)}, draws=3000,
                                     objective="cac", min_customers=120.0, by_month=12)  # fmt: skip
    assert written(values, settings=Settings(ranges={})) == {"v": "2", "ranges": "none"}
    assert written(values, settings=Settings(ranges=dict(DEFAULT.uncertainty.ranges))) == {}


# ---- reading links: every parameter that cannot be used warns once, naming it --------------------------------


@pytest.mark.parametrize(
    "params,needle",
    [
        ({"view": "Nowhere"}, "view='Nowhere' is not a view"),
        ({"objective": "fastest"}, "objective='fastest' is not one of npv, customers, cac, roi"),
        ({"min_customers": "-4"}, "min_customers='-4' is not a number of customers"),
        ({"min_customers": "lots"}, "min_customers='lots'"),
        ({"by_month": "25"}, "by_month='25' is outside [1, 24]"),
        ({"by_month": "1.5"}, "by_month='1.5' is not a whole number"),
        ({"present": "yes please"}, "present='yes please'"),
        ({"draws": "12"}, "draws='12' is outside [100, 100,000]"),
        ({"draws": "many"}, "draws='many' is not a whole number"),
        ({"seed": "-1"}, "seed='-1' is outside [0, 4,294,967,295]"),
        ({"ranges": "channel.content.cost_per_lead:70:40"}, "ranges: channel.content.cost_per_lead: low 70.0 is above"),
        ({"ranges": "budget.monthly:1"}, "ranges: 'budget.monthly:1' is not field:low:high"),
        ({"ranges": "channel.nope.cost_per_lead:1:2"}, "ranges: 'channel.nope.cost_per_lead' is not an input"),
        ({"ranges": "channel.content.lead_to_mql:0:0.5"}, "ranges: channel.content.lead_to_mql: a rate's range"),
        ({"preset": "nope"}, "preset='nope' is not a preset"),
        ({"v": "3"}, "v='3': links are of version 1 or 2"),
        ({"channels": "content,content"}, "channels: 'content' is listed twice"),
        ({"channels": "content,Vendor A"}, "channels: 'Vendor A' is not a channel id"),
        ({"channels": "content,webinars"}, "channels: 'webinars' is not a channel of the preset and has no kind"),
        ({"channels": "content,webinars", "channel.webinars.kind": "rent"}, "channel.webinars.kind='rent' is not"),
        (
            {"channels": ",".join(f"c{i}" for i in range(9)), **{f"channel.c{i}.kind": "buy" for i in range(9)}},
            "channels: 9 channels; at most 8",
        ),
        ({"channel.vendor_a.cost_per_lead": "90"}, "channel.vendor_a.cost_per_lead: this scenario has no channel"),
        ({"channel.vendor_a.kind": "buy"}, "channel.vendor_a.kind: this scenario has no channel 'vendor_a'"),
        ({"channel.content.max_leads_per_month": "9"}, "generate channels have no field 'max_leads_per_month'"),
        ({"generate.cost_per_lead": "90", "v": "2"}, "generate.cost_per_lead: not a field of this scenario"),
        ({"channel.content.cost_per_lead": "0"}, "channel.content.cost_per_lead: 0.0 is not allowed"),
        ({"channel.paid_search.elasticity": "0.05"}, "channel.paid_search.elasticity: 0.05 is not allowed"),
        ({"channel.content.lead_to_mql": "23"}, "channel.content.lead_to_mql: 23.0 is not allowed; allowed [0, 1]"),
        ({"budget.monthly": "lots"}, "budget.monthly: 'lots' is not a number"),
        ({"horizon_months": "30.5"}, "horizon_months: 30.5 is not a whole number"),
        ({"channel.content.label": "x" * 41}, "channel.content.label: 41 characters; allowed at most 40"),
        ({"name": "n" * 81}, "name: 81 characters; allowed at most 80"),
        ({"currency": "usd"}, "currency: 'usd' is not an ISO 4217 code"),
    ],
)
def test_every_parameter_that_cannot_be_used_warns_once_naming_it(params, needle):
    found = problems(params)
    assert len(found) == 1, found
    assert needle in found[0], found


def test_values_that_cannot_be_used_fall_back_and_the_rest_apply():
    got = opened({"budget.monthly": "-1", "channel.vendor_shared.mql_to_sql": "0.3", "by_month": "99"})
    assert got.values == {**flatten(DEFAULT), "channel.vendor_shared.mql_to_sql": 0.3}
    assert got.settings == Settings()


def test_duplicates_warn_and_the_last_one_is_used():
    got = read_link({"budget.monthly": ["50000", "60000"], "utm_source": ["a", "b"]})
    assert got.notices.problems == ("budget.monthly is given 2 times; the last one is used",)
    assert got.values["budget.monthly"] == 60000.0


def test_unknown_parameters_are_ignored_quietly():
    got = opened({"utm_source": "newsletter", "colour": "red", "fbclid": "x"})
    assert got.notices == state.Notices() and got.values == flatten(DEFAULT)


def test_too_many_channels_keep_the_first_eight():
    params = {"channels": ",".join(f"c{i}" for i in range(9)), **{f"channel.c{i}.kind": "buy" for i in range(9)}}
    got = opened(params)
    assert [c for c, _ in state.channels_of(got.values)] == [f"c{i}" for i in range(8)]


def test_shares_above_one_together_fall_back_naming_both():
    (line,) = problems({"channel.content.share": "0.5", "channel.paid_search.share": "0.4"})
    assert line.startswith("channel.content.share, channel.paid_search.share: the shares sum to 1.3")


def test_names_and_labels_are_text_from_the_link():
    evil = ":material/warning: **b** <img src=x>"
    got = opened({"name": evil, "channels": "paid_search,evil", "channel.evil.kind": "buy",
                  "channel.evil.label": evil[:40]})  # fmt: skip
    assert got.values["name"] == evil and got.values["channel.evil.label"] == evil[:40]
    assert not got.notices.problems


# ---- version 1 links -----------------------------------------------------------------------------------------


def test_version_1_link_becomes_an_ordinary_version_2_link_with_channels_generate_and_buy():
    v1 = {"generate.cost_per_lead": "80", "buy.cost_per_lead": "120", "budget.buy_share": "0.3", "v": "1"}
    got = opened(v1)
    assert got.notices == state.Notices(upgraded=True)
    d = scenario_dict(state.v1_form(DEFAULT))
    d["channel"]["generate"].update(cost_per_lead=80.0, share=0.7)
    d["channel"]["buy"].update(cost_per_lead=120.0, share=0.3)
    want = validate_scenario(d)
    assert got.values == flatten(want)
    params = written(got.values, settings=got.settings)
    assert params["channels"] == "generate,buy" and params["channel.generate.cost_per_lead"] == "80"
    assert params["channel.generate.kind"] == "generate" and params["channel.buy.label"] == "Buy"
    assert "v1" not in params.values() and "base" not in params
    assert len(link(params)) < 1000
    again = opened(params)
    assert again.values == got.values and again.notices == state.Notices()
    assert again.settings.ranges in (None, {})


def test_version_1_ranges_and_names_are_renamed():
    got = opened({"buy.cost_per_lead": "120", "ranges": "buy.cost_per_lead:100:150"})
    assert got.notices.upgraded and not got.notices.problems
    assert got.settings.ranges == {"channel.buy.cost_per_lead": (100.0, 150.0)}
    assert got.values["channel.buy.cost_per_lead"] == 120.0


def test_version_1_form_keeps_version_1_fields_only():
    ins = load_preset("insurance")
    scn = state.v1_form(ins)
    g = ins.channel[ins.channel_ids("generate")[0]]
    assert scn.channel["generate"].cost_per_lead == g.cost_per_lead and scn.channel["generate"].elasticity == 1.0
    assert scn.channel["generate"].starting_leads_per_month == 0.0 and scn.economics.discount_rate == 0.0
    assert scn.sales.capacity_leads_per_month == 0.0 and scn.uncertainty is None
    assert scn.channel["buy"].share == scn.channel["generate"].share == 0.5
    assert scn.currency == ins.currency == "EUR"


def test_a_bad_version_1_value_falls_back_to_the_version_1_form_naming_it():
    got = opened({"buy.cost_per_lead": "-5", "generate.lead_to_mql": "0.5"})
    assert got.notices.upgraded
    (line,) = got.notices.problems
    assert line.startswith("buy.cost_per_lead:")
    assert got.values["channel.buy.cost_per_lead"] == state.v1_form(DEFAULT).channel["buy"].cost_per_lead
    assert got.values["channel.generate.lead_to_mql"] == 0.5


# ---- limits --------------------------------------------------------------------------------------------------


def test_draws_times_months_are_capped():
    assert state.draws_cap(36) == 10_000 and state.draws_cap(24) == 15_000 and state.draws_cap(120) == 3000
    assert state.draws_cap(1) == 360_000


def test_links_the_app_wrote_with_base_v1_open_upgraded_too():
    """Before the channel list, an upgraded version 1 link read `v=2&base=v1&channel.generate.…`."""
    old = opened({"v": "2", "base": "v1", "channel.generate.cost_per_lead": "80", "channel.buy.cost_per_lead": "120",
                  "channel.generate.share": "0.7", "channel.buy.share": "0.3"})  # fmt: skip
    v1 = opened({"generate.cost_per_lead": "80", "buy.cost_per_lead": "120", "budget.buy_share": "0.3", "v": "1"})
    assert old.notices == v1.notices == state.Notices(upgraded=True)
    assert old.values == v1.values
    assert "base" not in written(old.values, settings=old.settings)
    assert problems({"base": "v7"}) == ["base='v7': the only base is v1 (the version 1 form of the preset)"]
