"""The sidebar: undo and redo, the preset, every field of the scenario and the channel editor.

Each input shows a value held by `state` and reports edits to it (`state.on_edit`); labels, help, bounds and units
come from the field registry (`simulation.schema.fields`). A channel's inputs are labelled with the channel's name
("Vendor A · Lead → MQL (%)"), cost per lead first; rates are typed as percentages to 0.1 %, money shows its currency
symbol in the label.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from simulation import preset_names
from simulation.schema import MAX_PRICE, spec_of
from simulation.schema.fields import channel_field_names
from simulation.schema.scenario import MAX_CHANNELS

from . import auth, state
from .text import input_label, label_text

SECTIONS = ("Budget & horizon", "Economics", "Sales")
KIND_NAMES = {"generate": "generate", "buy": "buy"}
KIND_CHOICES = {"generate": "Generate (our own marketing)", "buy": "Buy (a lead vendor)"}

# Steps of the +/− buttons where one unit is too fine (money in whole hundreds or thousands, counts in tens).
STEPS = {"budget.monthly": 1000.0, "fixed_monthly_cost": 100.0, "reference_spend": 500.0,
         "economics.revenue_per_customer_month": 10.0, "sales.capacity_leads_per_month": 10.0,
         "max_leads_per_month": 10.0}  # fmt: skip


def field_input(container: Any, key: str, label: str) -> None:
    """The input of one dotted field, showing the value `state` holds, reporting edits to it."""
    spec = spec_of(key)
    assert spec is not None, key
    # the value goes in twice: as the input's state (so that undo and Back move an input already on screen) and as its
    # default (what an input inside a folded expander shows when it is first unfolded)
    value = state.shown(key)
    lo, hi = state.screen_bounds(spec)
    leaf = key.rsplit(".", 1)[-1]
    common: dict[str, Any] = {"value": value, "key": key, "on_change": state.on_edit, "args": (key,), "help": spec.help}
    if spec.is_int:
        container.number_input(label, lo, hi, step=1, **common)
    elif state.is_percent(spec):
        container.number_input(label, lo, hi, step=0.1, format="%.1f", **common)
    elif spec.kind == "rate":  # elasticity: an exponent
        container.number_input(label, lo, hi, step=0.05, format="%.2f", **common)
    elif spec.kind == "months":
        container.number_input(label, lo, hi, step=0.5, format="%.1f", **common)
    else:
        step = STEPS.get(key, STEPS.get(leaf, 1.0))
        fmt = "%.2f" if spec.kind == "money" and spec.hi <= MAX_PRICE else "%.0f"  # prices to the cent
        container.number_input(label, lo, hi, step=step, format=fmt, **common)


def _text(container: Any, key: str, label: str, max_chars: int, help: str) -> None:
    value = state.shown(key)
    container.text_input(label, value, max_chars=max_chars, key=key, on_change=state.on_edit, args=(key,), help=help)


def _history(sb: Any) -> None:
    row = sb.container(horizontal=True)  # side by side on a phone too (columns would stack)
    row.button("↶ Undo", key="_undo", on_click=state.undo, disabled=not state.can_undo(), width="stretch",
                help=f"Put the inputs back as they were before the last edit (up to {state.UNDO_STEPS} edits).")  # fmt: skip
    row.button("↷ Redo", key="_redo", on_click=state.redo, disabled=not state.can_redo(), width="stretch",
                 help="Make the last undone edit again.")  # fmt: skip


def _section(section: str, currency: str) -> None:
    keys = [k for k in state.values() if (s := spec_of(k)) is not None and s.group == section
            and not k.startswith("channel.")]  # fmt: skip
    box = st.sidebar.expander(section, expanded=section == SECTIONS[0], key=f"_box.{section}", on_change="rerun")
    if not box.open:  # a folded group draws nothing: its values live in `state`, not in the inputs
        return
    with box:
        for key in keys:
            spec = spec_of(key)
            assert spec is not None
            field_input(st, key, input_label(None, spec, currency))


def _channel(cid: str, kind: str, values: dict[str, Any], currency: str, count: int) -> None:
    name = values.get(f"channel.{cid}.label") or cid
    shown = label_text(name)
    # `expanded` stays fixed: a parameter that changes between runs would make a new expander (and fold it);
    # a new channel's group is opened through its key by `state.add_channel`
    box = st.sidebar.expander(f"{shown} · {KIND_NAMES[kind]}", key=f"_box.{cid}", on_change="rerun")
    if not box.open:  # drawn only when unfolded: a sidebar of 8 folded channels costs nothing to render
        return
    with box:
        for leaf in channel_field_names(kind):  # cost per lead first
            key = f"channel.{cid}.{leaf}"
            spec = spec_of(key)
            assert spec is not None
            field_input(st, key, input_label(name, spec, currency))
        _text(st, f"channel.{cid}.label", f"{shown} · Name", 40,
              "The channel's name on screen (at most 40 characters). Its id in the link stays "
              f"{cid!r}.")  # fmt: skip
        st.button(f"Remove {shown}", key=f"_remove.{cid}", on_click=state.remove_channel, args=(cid,),
                  disabled=count <= 1, icon=":material/delete:",
                  help="Take this channel out of the scenario (Undo brings it back). One channel must remain.")  # fmt: skip


def _add(count: int) -> None:
    full = count >= MAX_CHANNELS
    with st.sidebar.expander("Add a channel", icon=":material/add:"):
        with st.form("_add.form", border=False):
            st.radio("Kind", list(KIND_CHOICES), key=state.K_ADD_KIND, format_func=KIND_CHOICES.__getitem__,
                     help="Generate: marketing you run (ads, content). Buy: leads bought from a vendor. A new "
                     "channel starts from the default preset's first channel of that kind, with no budget.")  # fmt: skip
            st.text_input("Name", key=state.K_ADD_LABEL, max_chars=40, placeholder="Vendor A")
            st.form_submit_button("Add channel", key="_add.submit", on_click=state.add_channel, disabled=full,
                                  icon=":material/add:")  # fmt: skip
        if full:
            st.caption(f"At most {MAX_CHANNELS} channels: remove one to add another.")


def sidebar(currency: str) -> None:
    """Draw every input, each showing the value being edited; money labels carry the symbol of `currency`."""
    sb = st.sidebar
    auth.sign_in_box(sb)
    _history(sb)
    names = list(preset_names())
    saved = state.base_ref() is not None
    if saved:  # opened from the library: the saved version is the base, and the first choice
        names.insert(0, state.preset())
    sb.selectbox(
        "Preset", names, names.index(state.preset()), key=state.K_PRESET, on_change=state.on_preset_change, format_func=state.preset_title,
        help="A starting scenario for a kind of business, or the saved scenario this one was opened from. Every figure can be changed below.",
    )  # fmt: skip
    what = "saved version" if saved else "preset"
    sb.button(f"Reset to {what}", key="_reset", on_click=state.reset,
              help=f"Put every input and analysis setting back to the {what} (Undo brings your edits back).")  # fmt: skip
    sb.toggle("Presenter view", state.presenting(), key=state.K_PRESENT, on_change=state.on_present_toggle,
              help="Hide the inputs; show the name, the assumptions, the verdict and a chart. Share the link.")  # fmt: skip
    values = state.values()
    _text(sb, "name", "Scenario name", 80, "Shown as the page title and in exports.")
    _text(sb, "currency", "Currency (ISO code)", 3, "Three capital letters, such as USD or EUR; display only.")
    for section in SECTIONS:
        _section(section, currency)
    chans = state.channels_of(values)
    sb.caption(f"Channels: {len(chans)} of at most {MAX_CHANNELS}")
    for cid, kind in chans:
        _channel(cid, kind, values, currency, len(chans))
    _add(len(chans))
