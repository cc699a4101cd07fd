"""The app in Streamlit's AppTest: presets, links (version 2 and upgraded version 1), numbers equal to the CLI,
values that fall back with one warning, text from the link shown literally."""

from __future__ import annotations

import pytest
from apptest_helpers import app, cards, cli_run, expected_cards, link_of, nudged, unescape, url, widget_value

from dashboard.state import v1_form, widget_keys
from dashboard.text import label_text, plain
from simulation import load_preset, preset_names, validate_scenario, with_values
from simulation.schema import flatten, scenario_dict

DEFAULT = load_preset("default")


def link_values(scn) -> dict[str, object]:
    """A valid value for every field a widget edits, each different from the preset's."""
    return {k: nudged(scn, k) for k in widget_keys(scn)}


def as_params(values: dict[str, object]) -> dict[str, str]:
    return {k: str(v) for k, v in values.items()}


def test_link_values_differ_from_the_preset_and_stay_valid():
    values = link_values(DEFAULT)
    assert len(values) == 2 + 9 + 4 * 12  # name, currency, 9 scalars, 12 fields for each of the 4 channels
    base = flatten(DEFAULT)
    assert all(values[k] != base[k] for k in values)
    with_values(DEFAULT, values)  # every value at once passes the schema (shares still sum to at most 1)


@pytest.mark.parametrize("preset", preset_names())
def test_every_preset_renders(preset):
    at = app({"preset": preset})
    scn = load_preset(preset)
    assert unescape(at.title[0].value) == scn.name
    assert len(at.metric) == 15
    assert not at.warning
    labels = [e.label for e in at.expander]
    for cid, ch in scn.channel.items():
        assert f"{label_text(ch.display_label(cid))} · {ch.kind}" in labels


def test_query_parameters_seed_every_widget():
    values = link_values(DEFAULT)
    at = app(as_params(values))
    for key, v in values.items():
        shown = widget_value(at, key)
        assert shown == (pytest.approx(v) if isinstance(v, float) else v), key
    assert not at.warning


def test_cards_equal_the_cli_for_a_link_changing_every_field(tmp_path):
    scn = load_preset("b2b_saas")
    values = link_values(scn)
    at = app({"preset": "b2b_saas", **as_params(values)})
    doc = cli_run(with_values(scn, values), tmp_path)
    assert cards(at) == expected_cards(doc["summary"])


def test_default_link_matches_cli_default(tmp_path):
    at = app({})
    doc = cli_run(DEFAULT, tmp_path)
    shown = cards(at)
    assert shown == expected_cards(doc["summary"])
    assert shown["CAC · Buy"] == f"{doc['summary']['buy']['cac']:,.0f}" == "4,850"
    assert any(c.value.startswith("Money in USD.") for c in at.caption)
    assert link_of(at) == {"v": "2"}  # nothing differs from the preset


def test_a_link_changing_three_fields_is_short_and_reopens_the_same_numbers(tmp_path):
    three = {
        "channel.vendor_shared.cost_per_lead": "92.5",
        "channel.content.ramp_months": "6",
        "budget.monthly": "55000",
    }
    at = app(three)
    link = link_of(at)
    assert link == {**three, "v": "2"}
    assert len(url(link)) < 500
    again = app(link)
    assert cards(again) == cards(at)
    scn = with_values(DEFAULT, {k: float(v) for k, v in three.items()})
    assert cards(at) == expected_cards(cli_run(scn, tmp_path)["summary"])


def test_version_1_link_opens_upgraded_with_one_line(tmp_path):
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
    assert cards(at) == expected_cards(cli_run(scn, tmp_path)["summary"])
    link = link_of(at)
    assert link == {"v": "2", "base": "v1", "channel.generate.cost_per_lead": "80", "channel.buy.cost_per_lead": "120",
                    "channel.generate.share": "0.7", "channel.buy.share": "0.3"}  # fmt: skip
    again = app(link)  # the upgraded link reopens the same scenario, without the upgrade line
    assert cards(again) == cards(at)
    assert not [i for i in again.info if "version 1" in i.value] and not again.warning
    assert widget_value(again, "channel.buy.cost_per_lead") == 120.0


def test_version_1_link_without_v_and_its_ranges_are_upgraded():
    at = app({"buy.cost_per_lead": "120", "view": "Risk", "ranges": "buy.cost_per_lead:100:150"})
    assert len([i for i in at.info if "version 1" in i.value]) == 1
    link = link_of(at)
    assert link["ranges"] == "channel.buy.cost_per_lead:100:150" and "buy.cost_per_lead" not in link
    assert at.multiselect(key="_risk.fields").value == ["channel.buy.cost_per_lead"]


def test_version_1_form_keeps_version_1_fields_only():
    scn = v1_form(load_preset("insurance"))
    ins = load_preset("insurance")
    g = ins.channel[ins.channel_ids("generate")[0]]
    assert scn.channel["generate"].cost_per_lead == g.cost_per_lead and scn.channel["generate"].elasticity == 1.0
    assert scn.channel["generate"].starting_leads_per_month == 0.0 and scn.economics.discount_rate == 0.0
    assert scn.sales.capacity_leads_per_month == 0.0 and scn.uncertainty is None
    assert scn.channel["buy"].share == scn.channel["generate"].share == 0.5


@pytest.mark.parametrize(
    "param,raw,reason",
    [
        ("channel.vendor_shared.cost_per_lead", "-3", "allowed (0, 1,000,000]"),
        ("channel.content.lead_to_mql", "1.7", "allowed [0, 1]"),
        ("budget.monthly", "lots", "'lots' is not a number"),
        ("channel.vendor_exclusive.invalid_rate", "nan", "nan is not a finite number"),
        ("horizon_months", "30.5", "30.5 is not a whole number"),
        ("currency", "usd", "not an ISO 4217 code"),
    ],
)
def test_bad_value_falls_back_with_one_warning_naming_it(param, raw, reason, tmp_path):
    at = app({param: raw, "channel.vendor_shared.mql_to_sql": "0.3"})
    (warning,) = at.warning
    text = unescape(warning.value)
    assert f"{param}:" in text and reason in text
    assert widget_value(at, param) == pytest.approx(flatten(DEFAULT)[param])
    assert widget_value(at, "channel.vendor_shared.mql_to_sql") == pytest.approx(0.3)  # the good value applies
    assert link_of(at) == {"channel.vendor_shared.mql_to_sql": "0.3", "v": "2"}  # the bad one left the link
    scn = with_values(DEFAULT, {"channel.vendor_shared.mql_to_sql": 0.3})
    assert cards(at) == expected_cards(cli_run(scn, tmp_path)["summary"])


@pytest.mark.parametrize(
    "param,raw,reason",
    [
        ("channel.vendor_a.cost_per_lead", "90", "this scenario has no channel 'vendor_a'"),
        ("channel.content.max_leads_per_month", "90", "generate channels have no field 'max_leads_per_month'"),
        ("generate.cost_per_lead", "90", "not a field of this scenario"),  # a version 1 name in a version 2 link
        ("objective", "fastest", "objective='fastest' is not one of npv, customers, cac, roi"),
        ("view", "Nowhere", "view='Nowhere' is not a view"),
        ("present", "yes please", "present='yes please'"),
        ("draws", "12", "draws='12' is outside [100, 100,000]"),
    ],
)
def test_unusable_parameters_warn_too(param, raw, reason):
    at = app({param: raw, "v": "2"})
    (warning,) = at.warning
    assert param in unescape(warning.value) and reason in unescape(warning.value)
    assert len(at.metric) == 15


def test_shares_above_one_together_fall_back_naming_both():
    at = app({"channel.content.share": "0.5", "channel.paid_search.share": "0.4"})
    (warning,) = at.warning
    text = unescape(warning.value)
    assert "channel.content.share, channel.paid_search.share: the shares sum to 1.3" in text
    assert widget_value(at, "channel.content.share") == pytest.approx(0.3)
    assert widget_value(at, "channel.paid_search.share") == pytest.approx(0.3)


def test_warning_clears_at_the_first_edit():
    at = app({"budget.monthly": "lots"})
    assert len(at.warning) == 1
    at.number_input(key="budget.monthly").set_value(45000.0).run()
    assert not at.warning and not at.exception


def test_unknown_parameters_are_ignored_quietly():
    at = app({"utm_source": "newsletter", "colour": "red"})
    assert not at.warning and len(at.metric) == 15


def test_unknown_preset_warns_and_uses_default():
    at = app({"preset": "nope"})
    assert "preset='nope' is not a preset" in unescape(at.warning[0].value)
    assert at.selectbox(key="_preset").value == "default"


def test_name_and_text_from_the_link_are_shown_literally():
    evil = "<img src=x onerror=alert(1)> **b** :material/warning: [l](http://e.com) _x_"
    at = app({"name": evil})
    title = at.title[0].value
    assert title == plain(evil) and unescape(title) == evil
    for ch in "<>*:[]()_":  # every Markdown or HTML character is escaped
        assert title.count(ch) == title.count("\\" + ch)
    assert widget_value(at, "name") == evil


def test_picking_a_preset_loads_its_channels_and_values():
    at = app({"budget.monthly": "55000"})
    at.selectbox(key="_preset").set_value("home_services").run()
    home = load_preset("home_services")
    assert widget_value(at, "budget.monthly") == home.budget.monthly
    cid = home.channel_ids("buy")[0]
    assert widget_value(at, f"channel.{cid}.cost_per_lead") == home.channel[cid].cost_per_lead
    assert unescape(at.title[0].value) == home.name
    assert link_of(at)["preset"] == "home_services"


def test_reset_to_preset_restores_values():
    at = app({"preset": "insurance", "channel.aggregator.cost_per_lead": "33.25", "budget.monthly": "55000"})
    assert widget_value(at, "channel.aggregator.cost_per_lead") == 33.25
    at.button[0].click().run()
    ins = load_preset("insurance")
    assert widget_value(at, "channel.aggregator.cost_per_lead") == ins.channel["aggregator"].cost_per_lead
    assert widget_value(at, "budget.monthly") == ins.budget.monthly


def test_presenter_view_hides_table_tab():
    normal = app({})
    presenting = app({"present": "1"})
    assert len(normal.tabs) == 7 and len(presenting.tabs) == 6
    assert "Table" not in [t.label for t in presenting.tabs]
    assert presenting.toggle(key="_present").value is True
    assert len(presenting.metric) == 15


def test_absent_strategy_is_hidden_with_one_line(tmp_path, monkeypatch):
    """A preset without vendors: no Buy cards, one line saying why."""
    d = scenario_dict(DEFAULT)
    d["channel"] = {k: v for k, v in d["channel"].items() if v["kind"] == "generate"}
    d.pop("uncertainty")
    d.pop("optimize")
    from dashboard import state

    scn = validate_scenario(d)
    monkeypatch.setattr(state, "load_preset", lambda name: scn)
    state._base.clear()
    try:
        at = app({"preset": "default"})
    finally:
        state._base.clear()
    assert [c.value for c in at.caption if "Buy is not shown" in c.value] == [
        "Buy is not shown: this scenario has no buy channel."
    ]
    assert len(at.metric) == 10 and not any("· Buy" in m.label for m in at.metric)
