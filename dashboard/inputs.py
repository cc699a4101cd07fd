"""Sidebar inputs: one widget per scenario field, each bound to the URL under its dotted name."""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from simulation import FIELDS, Scenario, ScenarioError, flatten, preset_names, with_values
from simulation.schema import SCHEMA_VERSION, FieldSpec

from .api import preset as load_preset
from .urlstate import sync_param

LABELS = {
    "horizon_months": "Horizon (months)",
    "budget.monthly": "Monthly budget",
    "budget.buy_share": "Blend: share spent on buying",
    "economics.revenue_per_customer_month": "Revenue per customer per month",
    "economics.gross_margin": "Gross margin",
    "economics.monthly_churn": "Monthly churn",
    "economics.lifetime_months": "Customer lifetime cap for LTV (months)",
    "generate.cost_per_lead": "Cost per generated lead (CPL)",
    "generate.ramp_months": "Ramp-up (months)",
    "generate.fixed_monthly_cost": "Fixed cost per month",
    "generate.lead_to_mql": "Lead → MQL",
    "generate.mql_to_sql": "MQL → SQL",
    "generate.sql_to_customer": "SQL → customer",
    "generate.nurture_months": "Nurture time (months)",
    "buy.cost_per_lead": "Vendor price per lead (CPL)",
    "buy.max_leads_per_month": "Vendor cap (leads per month, 0 = none)",
    "buy.invalid_rate": "Invalid leads",
    "buy.return_cap": "Refund cap (share of delivered)",
    "buy.fixed_monthly_cost": "Fixed cost per month",
    "buy.lead_to_mql": "Lead → MQL",
    "buy.mql_to_sql": "MQL → SQL",
    "buy.sql_to_customer": "SQL → customer",
    "buy.nurture_months": "Nurture time (months)",
}

GROUPS = {
    "Budget & horizon": ["horizon_months", "budget.monthly", "budget.buy_share"],
    "Generate": [k for k in FIELDS if k.startswith("generate.")],
    "Buy": [k for k in FIELDS if k.startswith("buy.")],
    "Economics": [k for k in FIELDS if k.startswith("economics.")],
}

# Number-input steps for money and counts (people type exact prices).
STEPS = {"budget.monthly": 1000.0, "generate.fixed_monthly_cost": 500.0, "buy.fixed_monthly_cost": 500.0,
         "buy.max_leads_per_month": 10.0, "economics.revenue_per_customer_month": 10.0}  # fmt: skip

PRESET_KEY = "preset"  # URL parameter; the picker's own state lives under "_preset"
PRESENT_KEY = "present"  # URL parameter ?present=1; the toggle's state lives under "_present"
NAME_KEY = "name"
FALLBACK_KEY = "_pending_fallback"


def _is_int(spec: FieldSpec) -> bool:
    return spec.kind == "integer"


def check_url_value(name: str, raw: str) -> str | None:
    """Why a URL value cannot be used for a field, or None if it can."""
    spec = FIELDS[name]
    try:
        v = float(raw)
    except ValueError:
        return f"{name}={raw!r} is not a number"
    if not math.isfinite(v) or not spec.contains(v):
        return f"{name}={raw!r} is outside {spec.range_text()}"
    if _is_int(spec) and v != int(v):
        return f"{name}={raw!r} is not a whole number"
    return None


def url_problems() -> tuple[list[str], set[str]]:
    """Problems with the scenario values in the current URL, and the fields they concern.

    Unknown parameters are ignored."""
    params = st.query_params.to_dict()
    bad = {k: p for k, raw in params.items() if k in FIELDS and (p := check_url_value(k, raw))}
    problems = list(bad.values())
    if PRESET_KEY in params and params[PRESET_KEY] not in preset_names():
        problems.append(f"preset={params[PRESET_KEY]!r} is not a preset")
    if NAME_KEY in params and len(params[NAME_KEY]) > 80:
        problems.append("name is longer than 80 characters")
    if params.get("v", str(SCHEMA_VERSION)) != str(SCHEMA_VERSION):
        problems.append(f"v={params['v']!r}: this app reads links of version {SCHEMA_VERSION}")
    return problems, set(bad)


def preset_label(name: str) -> str:
    """The preset's scenario name, shown in the picker."""
    return load_preset(name).name


def apply_preset(name: str) -> None:
    """Put every field's widget to the preset's value (a callback, before widgets render)."""
    scn = load_preset(name)
    for key, value in flatten(scn).items():
        st.session_state[key] = value


def _on_preset_change() -> None:
    apply_preset(st.session_state["_preset"])


def presenting_in_url() -> bool:
    """Whether the link asks for the presenter view (?present=1)."""
    return st.query_params.get(PRESENT_KEY, "0").lower() in ("1", "true")


def apply_pending_fallbacks() -> None:
    """Put fields whose link value was invalid back to the preset (set on the previous run)."""
    for key, value in st.session_state.pop(FALLBACK_KEY, {}).items():
        st.session_state[key] = value


def _enforce_fallbacks(values: dict[str, Any], defaults: dict[str, Any], bad: set[str]) -> None:
    """A link value Streamlit accepted but the contract rejects (e.g. 24.5 months): rerun with the preset value."""
    pending = {k: defaults[k] for k in bad if k in values and values[k] != defaults[k]}
    if pending:
        st.session_state[FALLBACK_KEY] = pending
        st.rerun()


def _widget(container: Any, name: str, default: Any) -> Any:
    spec = FIELDS[name]
    common = {"key": name, "bind": "query-params", "help": spec.description}
    label = LABELS[name]
    if spec.kind == "rate":
        return container.slider(label, 0.0, 1.0, float(default), step=0.005, format="percent", **common)
    if spec.kind == "months":
        return container.slider(label, float(spec.lo), float(spec.hi), float(default), step=0.5, **common)
    if spec.kind == "integer":
        return container.slider(label, int(spec.lo), int(spec.hi), int(default), step=1, **common)
    lo = 0.01 if spec.lo_open else float(spec.lo)
    step = STEPS.get(name, 1.0)
    fmt = "%.2f" if step < 10 else "%.0f"
    return container.number_input(label, lo, float(spec.hi), float(default), step=step, format=fmt, **common)


def sidebar_inputs() -> tuple[str, Scenario, list[str]]:
    """Render the inputs; return the preset id, the validated scenario and any problems."""
    sb = st.sidebar
    names = preset_names()
    if "_preset" not in st.session_state:
        asked = st.query_params.get(PRESET_KEY)
        st.session_state["_preset"] = asked if asked in names else names[0]
    if "_present" not in st.session_state:
        st.session_state["_present"] = presenting_in_url()
    apply_pending_fallbacks()
    preset = sb.selectbox(
        "Preset", names, key="_preset", on_change=_on_preset_change, format_func=preset_label,
        help="A starting scenario for a kind of business. Every figure can be changed below.",
    )  # fmt: skip
    sync_param(PRESET_KEY, None if preset == names[0] else preset)
    base = load_preset(preset)
    defaults = flatten(base)
    sb.button("Reset to preset", on_click=apply_preset, args=(preset,), help="Put every input back to the preset.")
    values: dict[str, Any] = {
        "name": sb.text_input(
            "Scenario name",
            defaults["name"],
            max_chars=80,
            key=NAME_KEY,
            bind="query-params",
            help="Shown as the page title and in exports.",
        )  # fmt: skip
    }
    for group, fields in GROUPS.items():
        with sb.expander(group, expanded=group == "Budget & horizon"):
            for name in fields:
                values[name] = _widget(st, name, defaults[name])
    present = sb.toggle("Presenter view", key="_present",
                        help="Hide the inputs; show the name, the headline and the charts. Share the link.")  # fmt: skip
    sync_param(PRESENT_KEY, "1" if present else None)
    _enforce_fallbacks(values, defaults, st.session_state.get("url_bad_fields", set()))
    problems: list[str] = []
    try:
        scn = with_values(base, values)
    except ScenarioError as exc:  # cannot happen through bounded widgets, but never crash the page
        problems.extend(exc.problems)
        scn = base
    return preset, scn, problems
