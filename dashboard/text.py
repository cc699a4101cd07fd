"""Text helpers without Streamlit: untrusted text shown literally, and field labels from the registry."""

from __future__ import annotations

import re

from simulation.metrics import currency_symbol
from simulation.schema import FieldSpec, Scenario, spec_of

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=^/])")


def plain(text: str) -> str:
    """Escape every Markdown/HTML-significant character so the text shows literally (no icons, links, HTML).

    The slash is escaped too: Streamlit finds ``:material/…:`` icons in the source before Markdown unescapes it.
    The result is Markdown source: show it only through Markdown elements."""
    # Streamlit draws its logo for ":streamlit:" even when escaped: an invisible word joiner keeps it text
    return _SPECIAL.sub(r"\\\1", text.replace(":streamlit:", ":\u2060streamlit:"))


_MARKUP = re.compile(r"[\\`*_{}\[\]<>~$|#]|&#?\w+;|:[\w/+-]+:|^\s*[-+>\d]")


def label_text(text: str) -> str:
    """A widget or card label: unchanged when nothing in it could render as Markdown (so screen readers read it as
    written: Streamlit puts the label's source in aria-label), else escaped like `plain`."""
    return plain(text) if _MARKUP.search(text) else text


def channel_label(scn: Scenario, cid: str) -> str:
    """The label people know a channel by (its id when it has none)."""
    return scn.channel[cid].display_label(cid)


def field_label(scn: Scenario, key: str) -> str:
    """A dotted field's label as people read it, naming the channel: 'Vendor A · Lead → MQL', 'Monthly budget'."""
    spec = spec_of(key)
    if spec is None:
        return key
    parts = key.split(".")
    if parts[0] == "channel" and len(parts) == 3 and parts[1] in scn.channel:
        return f"{channel_label(scn, parts[1])} · {spec.label}"
    return spec.label


def unit_suffix(spec: FieldSpec, currency: str) -> str:
    """What an input's label adds to say its unit: ' ($)', ' (%)', ' (months)', ' (leads per month)' or ''."""
    if spec.kind == "money":
        return f" ({currency_symbol(currency) or currency})"
    if spec.kind == "rate":
        return " (%)" if spec.unit else ""
    if spec.kind in ("months", "integer"):
        return " (months)"
    if spec.kind == "count" and spec.unit != "leads":
        return f" ({spec.unit})"
    return ""


def input_label(scn_label: str | None, spec: FieldSpec, currency: str) -> str:
    """An input's label, shown literally: 'Vendor A · Lead → MQL (%)', 'Monthly budget ($)', 'Discount rate (a
    year, %)'."""
    head = f"{label_text(scn_label)} · " if scn_label is not None else ""
    unit = unit_suffix(spec, currency)
    if unit and spec.label.endswith(")"):  # one pair of brackets: 'Share of budget (plan, %)'
        return head + spec.label[:-1] + ", " + unit[2:]
    return head + spec.label + unit
