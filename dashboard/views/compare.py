"""Compare: 2–4 scenarios (this one and saved versions) side by side — one strategy's headline metrics with the
differences against the first, its customers, CAC and cash overlaid, and the inputs that differ. In the link as
``compare=current,<slug>@<n>,…``."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from simulation.metrics import STRATEGY_LABELS

from .. import api, state
from ..charts import compare as charts
from ..contract import ViewContext
from ..text import plain
from . import parts

K = state.VIEW_PREFIX + "compare."
K_PICK, K_STRATEGY = K + "pick", K + "strategy"
THIS = "This scenario"


def _on_pick() -> None:
    state.set_compared(list(st.session_state[K_PICK]))


def _options() -> tuple[list[str], dict[str, str], str | None]:
    """What can be compared (this scenario, the latest version of each saved scenario, the versions chosen) and
    their labels; a line when the library cannot be reached."""
    from simulation.library import LibraryUnavailable

    labels = {state.CURRENT: THIS}
    options = [state.CURRENT]
    problem = None
    try:
        for e in api.library().list(include_deleted=False):
            ref = f"{e.slug}@{e.version}"
            options.append(ref)
            labels[ref] = f"{e.name} v{e.version}"
    except LibraryUnavailable as exc:
        problem = f"The library cannot be reached ({exc}); only this scenario can be compared until it is back."
    for ref in state.compared():
        if ref not in labels:
            options.append(ref)
            labels[ref] = ref
    return options, labels, problem


def _resolve(ref: str, ctx: ViewContext, labels: dict[str, str]) -> tuple[str, object] | str:
    """(label, scenario) of a compared item, or the line saying why it cannot be opened."""
    from simulation.library import LibraryError, LibraryUnavailable, parse_ref

    if ref == state.CURRENT:
        return THIS, ctx.scenario
    try:
        slug, version = parse_ref(ref)
        got = api.saved(slug, version) if version is not None else api.library().get(slug)
    except (LibraryError, LibraryUnavailable) as exc:
        return f"{ref}: {exc}"
    label = labels.get(ref) if ref in labels and labels[ref] != ref else f"{got.name} v{got.version}"
    return label, got.scenario


def render(ctx: ViewContext) -> None:
    options, labels, problem = _options()
    if problem:
        st.warning(plain(problem))
    chosen = list(state.compared()) or [state.CURRENT]
    if st.session_state.get(K_PICK) != chosen:
        st.session_state[K_PICK] = chosen
    st.multiselect("Scenarios side by side (the first is the one the others are measured against)", options,
                   key=K_PICK, format_func=lambda r: labels.get(r, r), max_selections=state.MAX_COMPARE,
                   on_change=_on_pick, placeholder="Pick saved scenarios")  # fmt: skip
    items, problems = [], []
    for ref in chosen:
        got = _resolve(ref, ctx, labels)
        (problems.append(got) if isinstance(got, str) else items.append(got))
    for line in problems:
        st.warning(plain(line))
    seen: dict[str, int] = {}
    for i, (label, scn) in enumerate(items):  # two columns of one name would merge: number the repeats
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            items[i] = (f"{label} ({seen[label]})", scn)
    if len(items) < 2:
        st.info("Pick two to four scenarios: this one and versions saved in the Library (its “Add to Compare” "
                "button does the same). The comparison is in the link.")  # fmt: skip
        return
    comparison = api.comparison(tuple(items))
    if comparison.currencies_differ:
        st.caption("These scenarios are in different currencies: differences are in the first one's.")
    present = [s for s in STRATEGY_LABELS if comparison.series["cumulative_customers"].get(s)]
    strategy = st.segmented_control("Strategy", present, default="blend" if "blend" in present else present[0],
                                    format_func=STRATEGY_LABELS.get, key=K_STRATEGY) or present[0]  # fmt: skip
    rows = [r for r in comparison.headline if r.strategy == strategy]
    table = pd.DataFrame(
        {"Metric": [r.label for r in rows]}
        | {
            (lab if i == 0 else f"{lab} (vs first)"): [
                r.text[i] if i == 0 or not r.delta_text[i] else f"{r.text[i]}  ({r.delta_text[i]})" for r in rows
            ]
            for i, lab in enumerate(comparison.labels)
        }
    )
    parts.section(f"{STRATEGY_LABELS[strategy]}: headline metrics, differences against the first scenario")
    st.dataframe(table, hide_index=True, width="stretch")
    left, right = st.columns(2)
    parts.chart(left, charts.overlay(comparison, "cumulative_customers", strategy), key=K + "customers")
    parts.chart(right, charts.overlay(comparison, "cac_to_date", strategy), key=K + "cac")
    parts.chart(st, charts.overlay(comparison, "cumulative_net", strategy), key=K + "cash")
    parts.section("Inputs that differ")
    if not comparison.inputs:
        st.caption("Every input is the same.")
        return
    frame = pd.DataFrame(
        {"Input": [r.label for r in comparison.inputs]}
        | {lab: [r.text[i] for r in comparison.inputs] for i, lab in enumerate(comparison.labels)}
    )
    st.dataframe(frame, hide_index=True, width="stretch")
