"""The app in Streamlit's AppTest: links (version 2 and upgraded version 1) open exactly their scenario with the
model's numbers; values that cannot be used fall back with one warning that clears at the first edit; the channel
editor; undo and redo; rates typed as percentages; text from the link shown literally."""

from __future__ import annotations

import pytest
from apptest_helpers import (
    app,
    expected_table,
    field_value,
    link_of,
    nudged,
    set_field,
    shown_value,
    table,
    unescape,
    unfold_all,
    url,
    warnings,
)

from dashboard import state
from dashboard.state import v1_form, widget_keys
from dashboard.text import label_text, plain
from simulation import load_preset, preset_names, validate_scenario, with_values
from simulation.schema import flatten, scenario_dict

DEFAULT = load_preset("default")


def link_values(scn) -> dict[str, object]:
    """A valid value for every field an input edits, each different from the preset's."""
    return {k: nudged(scn, k) for k in widget_keys(scn)}


def as_params(values: dict[str, object]) -> dict[str, str]:
    return {k: state._num(v) if not isinstance(v, str) else v for k, v in values.items()}


def test_link_values_differ_from_the_preset_and_stay_valid():
    values = link_values(DEFAULT)
    assert len(values) == 2 + 9 + 4 * 13  # name, currency, 9 scalars, label and 12 fields for each of the 4 channels
    base = flatten(DEFAULT)
    assert all(values[k] != base[k] for k in values)
    with_values(DEFAULT, values)  # every value at once passes the schema (shares still sum to at most 1)


@pytest.mark.parametrize("preset", preset_names())
def test_every_preset_renders_with_the_models_numbers(preset):
    at = app({"preset": preset})
    scn = load_preset(preset)
    assert unescape(at.title[0].value) == scn.name
    assert not at.warning and not at.info
    assert table(at) == expected_table(scn)
    labels = [e.label for e in at.expander]
    for cid, ch in scn.channel.items():
        assert f"{label_text(ch.display_label(cid))} · {ch.kind}" in labels
    assert link_of(at) == ({} if preset == "default" else {"preset": preset})  # opened as given


def test_query_parameters_seed_every_input_in_screen_units():
    values = link_values(DEFAULT)
    at = app(as_params(values))
    for key, v in values.items():
        assert field_value(at, key) == v, key
        assert shown_value(at, key) == state.to_screen(key, v), key
    assert shown_value(at, "channel.content.lead_to_mql") == pytest.approx(100 * values["channel.content.lead_to_mql"])
    assert not at.warning


def test_a_link_changing_every_field_shows_the_models_numbers():
    scn = load_preset("b2b_saas")
    values = link_values(scn)
    at = app({"preset": "b2b_saas", **as_params(values)})
    assert not at.warning
    assert table(at) == expected_table(with_values(scn, values))


def test_the_default_link_is_empty_and_shows_the_default_preset():
    at = app({})
    assert table(at) == expected_table(DEFAULT)
    assert table(at)["CAC"] == ["$4,399", "$4,850", "$4,362"]
    assert link_of(at) == {}  # nothing differs from the preset


def test_a_link_changing_three_fields_is_short_and_reopens_the_same_numbers():
    three = {"channel.vendor_shared.cost_per_lead": "92.5", "channel.content.ramp_months": "6",
             "budget.monthly": "55000"}  # fmt: skip
    at = app({"v": "2", **three})
    link = link_of(at)
    assert link == {**three, "v": "2"}
    assert len(url(link)) < 500
    again = app(link)
    scn = with_values(DEFAULT, {k: float(v) for k, v in three.items()})
    assert table(at) == table(again) == expected_table(scn)


def test_a_rate_typed_as_2_3_percent_reaches_the_model_as_0_023():
    at = app({})
    set_field(at, "channel.content.lead_to_mql", 2.3)
    assert link_of(at) == {"v": "2", "channel.content.lead_to_mql": "0.023"}
    assert table(at) == expected_table(with_values(DEFAULT, {"channel.content.lead_to_mql": 0.023}))
    assert shown_value(at, "channel.content.lead_to_mql") == 2.3
    assert at.number_input(key="channel.content.lead_to_mql").label == "SEO & content · Lead → MQL (%)"


def test_inputs_are_labelled_with_units_and_the_channel_cost_per_lead_first():
    at = app({"preset": "insurance"})  # euros
    unfold_all(at)  # each sidebar group draws its inputs only when unfolded
    labels = [n.label for n in at.number_input]
    assert "Monthly budget (€)" in labels and "Gross margin (%)" in labels and "Discount rate (a year, %)" in labels
    ins = load_preset("insurance")
    for cid in ins.channel:
        mine = [n for n in at.number_input if n.key.startswith(f"channel.{cid}.")]
        assert mine[0].key == f"channel.{cid}.cost_per_lead"
        assert mine[0].label == f"{label_text(ins.channel[cid].display_label(cid))} · Cost per lead (€)"
        assert all(n.label.startswith(label_text(ins.channel[cid].display_label(cid)) + " · ") for n in mine)
    horizon = at.number_input(key="horizon_months")
    assert horizon.value == ins.horizon_months and isinstance(horizon.value, int)
    assert at.number_input(key="budget.monthly").step == 1000


# ---- version 1 links ---------------------------------------------------------------------------------------------


def test_version_1_link_opens_upgraded_with_one_line():
    v1 = {"generate.cost_per_lead": "80", "buy.cost_per_lead": "120", "budget.buy_share": "0.3", "v": "1"}
    at = app(v1)
    upgraded = [i.value for i in at.info if "version 1" in i.value]
    assert len(upgraded) == 1 and "upgraded" in upgraded[0]
    assert not at.warning
    # the version 1 form of the default preset: its first generate and first buy channel, version 1's fields
    paid, vendor = DEFAULT.channel["paid_search"], DEFAULT.channel["vendor_exclusive"]
    v1_doc = {
        "name": DEFAULT.name, "horizon_months": 24, "budget": {"monthly": 40000.0, "buy_share": 0.3},
        "economics": {"revenue_per_customer_month": 1200.0, "gross_margin": 0.7, "monthly_churn": 0.02,
                      "lifetime_months": 60},
        "generate": {"cost_per_lead": 80.0, "ramp_months": paid.ramp_months, "fixed_monthly_cost": 1500.0,
                     "lead_to_mql": 0.4, "mql_to_sql": 0.3, "sql_to_customer": 0.22, "nurture_months": 2.5},
        "buy": {"cost_per_lead": 120.0, "max_leads_per_month": vendor.max_leads_per_month, "invalid_rate": 0.06,
                "return_cap": 0.1, "fixed_monthly_cost": 500.0, "lead_to_mql": 0.5, "mql_to_sql": 0.4,
                "sql_to_customer": 0.25, "nurture_months": 1.5},
    }  # fmt: skip
    scn = validate_scenario(v1_doc)  # migrated by the schema: channels generate (share 0.7) and buy (0.3)
    assert list(scn.channel) == ["generate", "buy"] and scn.channel["generate"].share == pytest.approx(0.7)
    assert table(at) == expected_table(scn)
    link = link_of(at)
    assert link["v"] == "2" and link["channels"] == "generate,buy" and "base" not in link
    assert link["channel.generate.cost_per_lead"] == "80" and link["channel.buy.share"] == "0.3"
    assert not any(k.startswith(("generate.", "buy.")) for k in link) and "budget.buy_share" not in link
    again = app(link)  # the upgraded link reopens the same scenario, without the upgrade line
    assert table(again) == table(at)
    assert not again.info and not again.warning
    assert field_value(again, "channel.buy.cost_per_lead") == 120.0
    assert [e.label for e in again.expander if e.label.endswith(("· generate", "· buy"))] == ["Generate · generate",
                                                                                             "Buy · buy"]  # fmt: skip


def test_version_1_link_without_v_and_its_ranges_are_upgraded():
    at = app({"buy.cost_per_lead": "120", "view": "Risk", "ranges": "buy.cost_per_lead:100:150"})
    assert len([i for i in at.info if "version 1" in i.value]) == 1
    link = link_of(at)
    assert link["ranges"] == "channel.buy.cost_per_lead:100:150" and "buy.cost_per_lead" not in link


# ---- values that cannot be used ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "param,raw,reason",
    [
        ("channel.vendor_shared.cost_per_lead", "-3", "allowed (0, 1,000,000]"),
        ("channel.vendor_shared.cost_per_lead", "0", "allowed (0, 1,000,000]"),  # below the input's minimum too
        ("channel.content.lead_to_mql", "1.7", "allowed [0, 1]"),
        ("budget.monthly", "lots", "'lots' is not a number"),
        ("channel.vendor_exclusive.invalid_rate", "nan", "nan is not a finite number"),
        ("horizon_months", "30.5", "30.5 is not a whole number"),
        ("currency", "usd", "not an ISO 4217 code"),
    ],
)
def test_bad_value_falls_back_with_one_warning_naming_it(param, raw, reason):
    at = app({param: raw, "channel.vendor_shared.mql_to_sql": "0.3"})
    (text,) = warnings(at)
    assert f"{param}:" in text and reason in text
    assert field_value(at, param) == flatten(DEFAULT)[param]
    assert field_value(at, "channel.vendor_shared.mql_to_sql") == 0.3  # the good value applies
    assert link_of(at) == {"channel.vendor_shared.mql_to_sql": "0.3", "v": "2"}  # the bad one left the link
    assert table(at) == expected_table(with_values(DEFAULT, {"channel.vendor_shared.mql_to_sql": 0.3}))


@pytest.mark.parametrize(
    "params,reason",
    [
        ({"channel.vendor_a.cost_per_lead": "90"}, "this scenario has no channel 'vendor_a'"),
        ({"channel.content.max_leads_per_month": "90"}, "generate channels have no field 'max_leads_per_month'"),
        ({"generate.cost_per_lead": "90", "v": "2"}, "generate.cost_per_lead: not a field of this scenario"),
        ({"objective": "fastest"}, "objective='fastest' is not one of npv, customers, cac, roi"),
        ({"view": "Nowhere"}, "view='Nowhere' is not a view"),
        ({"present": "yes please"}, "present='yes please'"),
        ({"draws": "12"}, "draws='12' is outside [100, 100,000]"),
        ({"seed": "x"}, "seed='x' is not a whole number"),
        ({"min_customers": "-1"}, "min_customers='-1'"),
        ({"by_month": "40"}, "by_month='40' is outside [1, 24]"),
        ({"ranges": "channel.content.cost_per_lead:90:40"}, "ranges: channel.content.cost_per_lead: low 90.0"),
        ({"channels": "content,ghost"}, "channels: 'ghost' is not a channel of the preset and has no kind"),
        ({"channels": "content,content"}, "channels: 'content' is listed twice"),
        ([("budget.monthly", "50000"), ("budget.monthly", "60000")], "budget.monthly is given 2 times"),
    ],
)
def test_unusable_parameters_warn_in_one_warning(params, reason):
    at = app(params)
    (text,) = warnings(at)
    assert text.startswith("Some values in the link could not be used") and reason in text
    assert table(at)  # the page is there


def test_several_bad_parameters_make_one_warning_naming_each():
    at = app({"objective": "x", "view": "y", "budget.monthly": "-1", "channel.content.cost_per_lead": "0"})
    (text,) = warnings(at)
    for name in ("objective='x'", "view='y'", "budget.monthly:", "channel.content.cost_per_lead:"):
        assert name in text
    assert table(at) == expected_table(DEFAULT)


def test_shares_above_one_together_fall_back_naming_both():
    at = app({"channel.content.share": "0.5", "channel.paid_search.share": "0.4"})
    (text,) = warnings(at)
    assert "channel.content.share, channel.paid_search.share: the shares sum to 1.3" in text
    assert field_value(at, "channel.content.share") == 0.3 and field_value(at, "channel.paid_search.share") == 0.3


def test_warning_clears_at_the_first_edit():
    at = app({"budget.monthly": "lots"})
    assert len(at.warning) == 1
    set_field(at, "budget.monthly", 45000.0)
    assert not at.warning
    assert table(at) == expected_table(with_values(DEFAULT, {"budget.monthly": 45000.0}))


def test_warning_and_upgrade_line_clear_at_reset():
    at = app({"buy.cost_per_lead": "-1"})
    assert len(at.warning) == 1 and len(at.info) == 1
    at.button(key="_reset").click().run()
    assert not at.warning and not at.info
    assert table(at) == expected_table(DEFAULT) and link_of(at) == {}


def test_inputs_that_cannot_be_used_together_warn_while_they_last():
    at = app({})
    set_field(at, "channel.content.share", 50.0)  # 0.5 + 0.3 + 0.2 + 0.2 > 1
    (text,) = warnings(at)
    assert text.startswith("Some inputs cannot be used as they are") and "channel.content.share" in text
    assert table(at) == expected_table(DEFAULT)
    set_field(at, "channel.paid_search.share", 10.0)
    assert not at.warning
    assert table(at) == expected_table(with_values(DEFAULT, {"channel.content.share": 0.5,
                                                             "channel.paid_search.share": 0.1}))  # fmt: skip


def test_unknown_parameters_are_ignored_quietly():
    at = app({"utm_source": "newsletter", "colour": "red"})
    assert not at.warning and table(at) == expected_table(DEFAULT)
    set_field(at, "budget.monthly", 41000.0)
    assert link_of(at) == {"utm_source": "newsletter", "colour": "red", "v": "2", "budget.monthly": "41000"}


def test_unknown_preset_warns_and_uses_default():
    at = app({"preset": "nope"})
    assert "preset='nope' is not a preset" in warnings(at)[0]
    assert at.selectbox(key="_preset").value == "default"


# ---- text from the link, shown literally --------------------------------------------------------------------------

EVIL = "<img src=x onerror=alert(1)> **b** :material/warning: [l](http://e.com) _x_"


def test_name_from_the_link_is_shown_literally():
    at = app({"name": EVIL})
    title = at.title[0].value
    assert title == plain(EVIL) and unescape(title) == EVIL
    for ch in "<>*:[]()_":  # every Markdown or HTML character is escaped
        assert title.count(ch) == title.count("\\" + ch)
    assert field_value(at, "name") == EVIL


def test_channel_labels_from_the_link_are_shown_literally():
    label = ":material/warning: **b** <i>x</i>"
    at = app({"channels": "paid_search,evil", "channel.evil.kind": "buy", "channel.evil.label": label})
    unfold_all(at)  # each sidebar group draws its inputs only when unfolded
    assert not at.warning
    assert f"{plain(label)} · buy" in [e.label for e in at.expander]
    assert at.number_input(key="channel.evil.cost_per_lead").label == f"{plain(label)} · Cost per lead ($)"
    assert field_value(at, "channel.evil.label") == label
    assert unescape(at.number_input(key="channel.evil.cost_per_lead").label).startswith(label)


# ---- presets and reset -----------------------------------------------------------------------------------------


def test_picking_a_preset_loads_its_channels_and_values():
    at = app({"budget.monthly": "55000"})
    at.selectbox(key="_preset").set_value("home_services").run()
    home = load_preset("home_services")
    assert field_value(at, "budget.monthly") == home.budget.monthly
    cid = home.channel_ids("buy")[0]
    assert field_value(at, f"channel.{cid}.cost_per_lead") == home.channel[cid].cost_per_lead
    assert unescape(at.title[0].value) == home.name
    assert link_of(at) == {"v": "2", "preset": "home_services"}
    assert table(at) == expected_table(home)


def test_reset_to_preset_restores_values():
    at = app({"preset": "insurance", "channel.aggregator.cost_per_lead": "33.25", "budget.monthly": "55000"})
    assert field_value(at, "channel.aggregator.cost_per_lead") == 33.25
    at.button(key="_reset").click().run()
    ins = load_preset("insurance")
    assert field_value(at, "channel.aggregator.cost_per_lead") == ins.channel["aggregator"].cost_per_lead
    assert field_value(at, "budget.monthly") == ins.budget.monthly
    assert link_of(at) == {"v": "2", "preset": "insurance"}


# ---- the channel editor --------------------------------------------------------------------------------------------


def add(at, kind: str, label: str):
    at.radio(key=state.K_ADD_KIND).set_value(kind)
    at.text_input(key=state.K_ADD_LABEL).input(label)
    at.button(key="_add.submit").click().run()
    assert not at.exception, at.exception
    return at


def test_adding_a_channel_puts_it_in_the_link_and_the_link_reproduces_it():
    at = app({})
    add(at, "buy", "Vendor A")
    assert "Vendor A · buy" in [e.label for e in at.expander]
    assert field_value(at, "channel.vendor_a.cost_per_lead") == state.template("buy")["cost_per_lead"]
    assert field_value(at, "channel.vendor_a.share") == 0.0
    set_field(at, "channel.vendor_a.cost_per_lead", 60.0)
    set_field(at, "channel.vendor_a.share", 10.0)
    set_field(at, "channel.vendor_shared.share", 10.0)
    link = link_of(at)
    assert link == {"v": "2", "channels": "paid_search,content,vendor_exclusive,vendor_shared,vendor_a",
                    "channel.vendor_a.label": "Vendor A", "channel.vendor_a.kind": "buy",
                    "channel.vendor_a.cost_per_lead": "60", "channel.vendor_a.share": "0.1",
                    "channel.vendor_shared.share": "0.1"}  # fmt: skip
    d = scenario_dict(DEFAULT)
    d["channel"]["vendor_shared"]["share"] = 0.1
    d["channel"]["vendor_a"] = {**state.template("buy"), "label": "Vendor A", "cost_per_lead": 60.0, "share": 0.1}
    scn = validate_scenario(d)
    assert table(at) == expected_table(scn)
    again = app(link)
    assert not again.warning and table(again) == table(at)
    assert "Vendor A · buy" in [e.label for e in again.expander]
    assert field_value(again, "channel.vendor_a.cost_per_lead") == 60.0


def test_renaming_and_removing_channels_round_trip_through_the_link():
    at = app({})
    unfold_all(at)  # each sidebar group draws its inputs only when unfolded
    at.text_input(key="channel.content.label").input("Blog").run()
    assert "Blog · generate" in [e.label for e in at.expander]
    assert at.number_input(key="channel.content.cost_per_lead").label == "Blog · Cost per lead ($)"
    at.button(key="_remove.vendor_shared").click().run()
    link = link_of(at)
    assert link == {"v": "2", "channels": "paid_search,content,vendor_exclusive", "channel.content.label": "Blog"}
    d = scenario_dict(DEFAULT)
    del d["channel"]["vendor_shared"]
    d["channel"]["content"]["label"] = "Blog"
    d["optimize"]["bounds"].pop("vendor_shared")
    scn = validate_scenario(d)
    assert table(at) == expected_table(scn)
    again = app(link)
    assert table(again) == table(at) and not again.warning
    assert [e.label for e in again.expander if e.label.endswith(("generate", "buy"))] == [
        "Paid search · generate", "Blog · generate", "Vendor: exclusive leads · buy"]  # fmt: skip


def test_at_most_eight_channels_and_at_least_one():
    at = app({})
    unfold_all(at)  # each sidebar group draws its inputs only when unfolded
    for i in range(4):
        add(at, "generate", f"Extra {i}")
    unfold_all(at)
    assert len(state.channels_of(at.session_state[state.K_LIVE].values)) == 8
    assert at.button(key="_add.submit").disabled
    assert any("At most 8 channels" in c.value for c in at.caption)
    for cid in ["paid_search", "content", "vendor_exclusive", "vendor_shared", "extra_0", "extra_1", "extra_2"]:
        at.button(key=f"_remove.{cid}").click().run()
    assert at.button(key="_remove.extra_3").disabled
    assert link_of(at) == {"v": "2", "channels": "extra_3", "channel.extra_3.kind": "generate",
                           "channel.extra_3.label": "Extra 3"}  # fmt: skip
    assert not at.button(key="_add.submit").disabled


# ---- undo and redo ------------------------------------------------------------------------------------------------


def test_undo_goes_back_twenty_edits_and_redo_forward():
    at = app({})
    budgets = [40000.0 + 1000 * i for i in range(1, 22)]  # 21 edits
    for b in budgets:
        set_field(at, "budget.monthly", b)
    assert field_value(at, "budget.monthly") == budgets[-1]
    for _ in range(20):
        at.button(key="_undo").click().run()
    assert field_value(at, "budget.monthly") == budgets[0]
    assert table(at) == expected_table(with_values(DEFAULT, {"budget.monthly": budgets[0]}))
    assert link_of(at) == {"v": "2", "budget.monthly": "41000"}
    at.button(key="_redo").click().run()
    assert field_value(at, "budget.monthly") == budgets[1]
    assert table(at) == expected_table(with_values(DEFAULT, {"budget.monthly": budgets[1]}))
    at.button(key="_undo").click().run()
    at.button(key="_undo").click().run()  # the 21st step back: the link as opened
    assert field_value(at, "budget.monthly") == 40000.0 and link_of(at) == {}


def test_undo_brings_back_a_removed_channel_and_redo_removes_it_again():
    at = app({})
    set_field(at, "channel.vendor_shared.cost_per_lead", 70.0)
    at.button(key="_remove.vendor_shared").click().run()
    assert "channel.vendor_shared.cost_per_lead" not in [n.key for n in at.number_input]
    at.button(key="_undo").click().run()
    assert field_value(at, "channel.vendor_shared.cost_per_lead") == 70.0
    assert table(at) == expected_table(with_values(DEFAULT, {"channel.vendor_shared.cost_per_lead": 70.0}))
    at.button(key="_redo").click().run()
    assert link_of(at)["channels"] == "paid_search,content,vendor_exclusive"
    assert at.button(key="_redo").disabled and not at.button(key="_undo").disabled


def test_undo_and_redo_start_disabled_and_an_edit_after_undo_drops_the_redo_steps():
    at = app({})
    assert at.button(key="_undo").disabled and at.button(key="_redo").disabled
    set_field(at, "budget.monthly", 41000.0)
    set_field(at, "budget.monthly", 42000.0)
    at.button(key="_undo").click().run()
    set_field(at, "horizon_months", 30)
    assert at.button(key="_redo").disabled
    assert link_of(at) == {"v": "2", "budget.monthly": "41000", "horizon_months": "30"}


# ---- settings --------------------------------------------------------------------------------------------------------


def test_draws_above_the_apps_cap_are_lowered_with_a_note():
    at = app({"view": "Risk", "draws": "100000"})
    assert not at.warning
    notes = [unescape(c.value) for c in at.caption if "capped" in c.value]
    assert notes and notes[0].startswith("100,000 simulated futures over 24 months") and "15,000" in notes[0]
    assert link_of(at)["draws"] == "100000"  # the link keeps what it asked for


def test_presenter_view_from_the_link():
    at = app({"present": "1"})
    assert at.toggle(key=state.K_PRESENT).value is True
    assert link_of(at) == {"present": "1"}
    at.toggle(key=state.K_PRESENT).set_value(False).run()
    assert link_of(at) == {}


def test_version_1_form_of_a_preset_without_both_kinds_uses_the_default_channels():
    d = scenario_dict(DEFAULT)
    d["channel"] = {k: v for k, v in d["channel"].items() if v["kind"] == "generate"}
    d.pop("optimize")
    d.pop("uncertainty")
    scn = validate_scenario(d)
    form = v1_form(scn)
    assert list(form.channel) == ["generate", "buy"]
    assert form.channel["buy"].cost_per_lead == DEFAULT.channel["vendor_exclusive"].cost_per_lead


def test_reset_is_one_step_of_undo_with_the_settings():
    at = app({"draws": "3000", "budget.monthly": "50000", "objective": "cac"})
    at.button(key="_reset").click().run()
    assert link_of(at) == {}
    at.button(key="_undo").click().run()
    assert link_of(at) == {"v": "2", "budget.monthly": "50000", "draws": "3000", "objective": "cac"}
    assert field_value(at, "budget.monthly") == 50000.0
