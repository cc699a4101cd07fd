"""The app in Streamlit's AppTest: presets, link seeding, numbers equal to the CLI, bad links."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from apptest_helpers import app
from streamlit.testing.v1 import AppTest

from simulation import FIELDS, flatten, load_preset, preset_names, save_scenario, with_values
from simulation.format import fmt_metric

ROOT = Path(__file__).resolve().parent.parent

# A value for every field, different from every preset's, valid, and on the widgets' steps.
URL_VALUES = {
    "horizon_months": "30",
    "budget.monthly": "55000",
    "budget.buy_share": "0.35",
    "economics.revenue_per_customer_month": "1750",
    "economics.gross_margin": "0.65",
    "economics.monthly_churn": "0.025",
    "economics.lifetime_months": "48",
    "generate.cost_per_lead": "95.5",
    "generate.ramp_months": "7.5",
    "generate.fixed_monthly_cost": "7000",
    "generate.lead_to_mql": "0.33",
    "generate.mql_to_sql": "0.32",
    "generate.sql_to_customer": "0.27",
    "generate.nurture_months": "4.5",
    "buy.cost_per_lead": "123.25",
    "buy.max_leads_per_month": "350",
    "buy.invalid_rate": "0.18",
    "buy.return_cap": "0.12",
    "buy.fixed_monthly_cost": "1250",
    "buy.lead_to_mql": "0.28",
    "buy.mql_to_sql": "0.31",
    "buy.sql_to_customer": "0.19",
    "buy.nurture_months": "2.5",
}


def widget_value(at: AppTest, key: str):
    for kind in (at.slider, at.number_input):
        try:
            return kind(key=key).value
        except KeyError:
            continue
    raise KeyError(key)


def cli_summary(scn, tmp_path: Path) -> dict:
    path = tmp_path / "scn.toml"
    save_scenario(scn, path)
    out = subprocess.run([sys.executable, "-m", "simulation", "run", str(path)], capture_output=True, text=True,
                         cwd=ROOT, check=True)  # fmt: skip
    return json.loads(out.stdout)["summary"]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_every_url_field_is_a_test_value():
    assert set(URL_VALUES) == set(FIELDS)
    for name in preset_names():
        preset = flatten(load_preset(name))
        assert all(float(URL_VALUES[k]) != preset[k] for k in FIELDS), name


@pytest.mark.parametrize("preset", preset_names())
def test_every_preset_renders(preset):
    at = app({"preset": preset})
    scn = load_preset(preset)
    assert at.title[0].value.replace("\\", "") == scn.name
    assert len(at.metric) == 15
    assert not at.warning


def test_query_parameters_seed_every_widget():
    at = app({"preset": "b2b_saas", **URL_VALUES})
    for key, raw in URL_VALUES.items():
        assert widget_value(at, key) == pytest.approx(float(raw)), key
    assert at.selectbox(key="_preset").value == "b2b_saas"
    assert not at.warning


def test_metrics_equal_the_cli(tmp_path):
    at = app({"preset": "insurance", **URL_VALUES})
    scn = with_values(load_preset("insurance"), {k: float(v) for k, v in URL_VALUES.items()})
    summary = cli_summary(scn, tmp_path)
    shown = metrics(at)
    for strategy, label in (("generate", "Generate"), ("buy", "Buy"), ("blend", "Blend")):
        for metric, name in (("cac", "CAC"), ("roi", "ROI"), ("payback_month", "Payback"), ("customers", "Customers"),
                             ("pipeline_end", "Pipeline")):  # fmt: skip
            assert shown[f"{name} · {label}"] == fmt_metric(metric, summary[strategy][metric]), (strategy, metric)


def test_default_link_matches_cli_default(tmp_path):
    at = app({})
    summary = cli_summary(load_preset("default"), tmp_path)
    assert metrics(at)["CAC · Buy"] == fmt_metric("cac", summary["buy"]["cac"]) == "4,846"


@pytest.mark.parametrize(
    "param,raw,reason",
    [
        ("buy.cost_per_lead", "-3", "outside (0, 1,000,000]"),
        ("generate.lead_to_mql", "1.7", "outside [0, 1]"),
        ("budget.monthly", "lots", "not a number"),
        ("buy.invalid_rate", "nan", "outside [0, 1]"),
        ("horizon_months", "30.5", "not a whole number"),
    ],
)
def test_bad_parameter_falls_back_with_a_warning(param, raw, reason):
    at = app({"preset": "b2b_saas", param: raw, "buy.mql_to_sql": "0.3"})
    (warning,) = at.warning
    text = warning.value.replace("\\", "")
    assert param in text and reason in text
    assert widget_value(at, param) == pytest.approx(flatten(load_preset("b2b_saas"))[param])
    assert widget_value(at, "buy.mql_to_sql") == pytest.approx(0.3)  # the good values still apply


def test_unknown_parameters_are_ignored():
    at = app({"utm_source": "newsletter", "colour": "red"})
    assert not at.warning and len(at.metric) == 15


def test_unknown_preset_warns_and_uses_default():
    at = app({"preset": "nope"})
    assert "preset='nope' is not a preset" in at.warning[0].value.replace("\\", "")
    assert at.selectbox(key="_preset").value == "default"


def test_name_from_url_is_shown_as_plain_text():
    evil = "<img src=x onerror=alert(1)> **bold** [link](http://example.com)"
    at = app({"name": evil})
    assert at.title[0].value.replace("\\", "") == evil
    assert "<img" not in at.title[0].value.replace("\\<", "")


def test_picking_a_preset_loads_its_values():
    at = app({"buy.cost_per_lead": "123.25"})
    at.selectbox(key="_preset").set_value("home_services").run()
    home = flatten(load_preset("home_services"))
    assert widget_value(at, "buy.cost_per_lead") == home["buy.cost_per_lead"]
    assert widget_value(at, "budget.monthly") == home["budget.monthly"]
    assert at.title[0].value.replace("\\", "") == home["name"]


def test_reset_to_preset_restores_values():
    at = app({"preset": "insurance", "buy.cost_per_lead": "123.25", "budget.monthly": "55000"})
    at.button[0].click().run()
    ins = flatten(load_preset("insurance"))
    assert widget_value(at, "buy.cost_per_lead") == ins["buy.cost_per_lead"]
    assert widget_value(at, "budget.monthly") == ins["budget.monthly"]


def test_presenter_view_hides_table_tab():
    normal = app({})
    presenting = app({"present": "1"})
    assert len(normal.tabs) == 7 and len(presenting.tabs) == 6
    assert "Table" not in [t.label for t in presenting.tabs]
    assert presenting.toggle(key="_present").value is True
    assert len(presenting.metric) == 15
