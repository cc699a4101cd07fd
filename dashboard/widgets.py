"""The sidebar: a widget for any field of the registry, bound to the link under the field's dotted name.

Labels, help, bounds and formats come from the field registry (`simulation.schema.fields`); a channel's widgets
are labelled with the channel's name ("Vendor A · Lead → MQL"), cost per lead first.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from simulation import preset_names
from simulation.schema import MAX_PRICE, FieldSpec, Scenario, spec_of
from simulation.schema.fields import channel_field_names

from . import state
from .text import channel_label, label_text

SECTIONS = ("Budget & horizon", "Economics", "Sales")
KIND_NAMES = {"generate": "generate", "buy": "buy"}


def _step(spec: FieldSpec, default: Any) -> float:
    """A number box's step: about a tenth of the preset's order of magnitude for large amounts, else 1."""
    if not isinstance(default, int | float) or default < 1000:
        return 1.0
    return float(10 ** (math.floor(math.log10(default)) - 1))


def field_widget(container: Any, key: str, label: str, default: Any) -> Any:
    """The widget of one dotted field, bound to the link under `key`; returns its value."""
    spec = spec_of(key)
    assert spec is not None, key
    common: dict[str, Any] = {"key": key, "bind": "query-params", "help": spec.help}
    if spec.kind == "rate":
        fmt = "percent" if spec.unit else "%.2f"  # a share shows as a percentage; elasticity is an exponent
        return container.slider(label, spec.lo, spec.hi, float(default), step=0.001, format=fmt, **common)
    if spec.kind == "months":
        return container.slider(label, spec.lo, spec.hi, float(default), step=0.5, format="%.1f", **common)
    if spec.kind == "integer":
        return container.slider(label, int(spec.lo), int(spec.hi), int(default), step=1, **common)
    lo = 0.01 if spec.lo_open else spec.lo
    fmt = "%.2f" if spec.hi <= MAX_PRICE else "%.0f"  # prices to the cent; budgets, fixed costs and counts whole
    value = None if default is None else float(default)
    return container.number_input(label, lo, spec.hi, value, step=_step(spec, default), format=fmt, **common)


def _section(scn: Scenario, defaults: dict[str, Any], section: str) -> dict[str, Any]:
    keys = [
        k for k in defaults if (s := spec_of(k)) is not None and s.group == section and not k.startswith("channel.")
    ]
    out = {}
    with st.sidebar.expander(section, expanded=section == SECTIONS[0]):
        for key in keys:
            spec = spec_of(key)
            assert spec is not None
            out[key] = field_widget(st, key, spec.label, defaults[key])
    return out


def _channel(scn: Scenario, cid: str, defaults: dict[str, Any]) -> dict[str, Any]:
    ch = scn.channel[cid]
    name = label_text(channel_label(scn, cid))
    out = {}
    with st.sidebar.expander(f"{name} · {KIND_NAMES[ch.kind]}"):
        for leaf in channel_field_names(ch.kind):
            key = f"channel.{cid}.{leaf}"
            spec = spec_of(key)
            assert spec is not None
            out[key] = field_widget(st, key, f"{name} · {spec.label}", defaults[key])
    return out


def sidebar(session: state.Session) -> dict[str, Any]:
    """Draw every input; return each field's value by its dotted name."""
    sb = st.sidebar
    base, defaults = session.base, session.defaults
    sb.selectbox(
        "Preset", preset_names(), key=state.K_PRESET, on_change=state.on_preset_change, format_func=state.preset_title,
        help="A starting scenario for a kind of business. Every figure can be changed below.",
    )  # fmt: skip
    sb.button("Reset to preset", on_click=state.reset, args=(session,), help="Put every input back to the preset.")
    if session.v1:
        sb.caption("Version 1 form of the preset: one generate and one buy channel, as version 1 modelled them.")
    values: dict[str, Any] = {
        "name": sb.text_input("Scenario name", defaults["name"], max_chars=80, key="name", bind="query-params",
                              help="Shown as the page title and in exports."),
        "currency": sb.text_input("Currency (ISO code)", defaults["currency"], max_chars=3, key="currency",
                                  bind="query-params", help="Three capital letters, such as USD or EUR; display only."),
    }  # fmt: skip
    for section in SECTIONS:
        values.update(_section(base, defaults, section))
    for cid in base.channel:
        values.update(_channel(base, cid, defaults))
    present = sb.toggle("Presenter view", key=state.K_PRESENT,
                        help="Hide the inputs; show the name, the headline and the charts. Share the link.")  # fmt: skip
    state.set_presenting(present)
    return values
