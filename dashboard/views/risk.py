"""Risk: how sure the answer is. Without ranges it claims nothing and offers typical ranges in one click; with
ranges, who wins how often, P10–P90 fans and the distributions as small multiples. The ranges are edited here too."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from simulation import Scenario
from simulation.analyses.montecarlo import MonteCarlo
from simulation.analyses.sensitivity import field_label, swing_values
from simulation.analyses.typical import typical_ranges
from simulation.metrics import METRICS, STRATEGY_LABELS, fmt, money_short
from simulation.narrate import median_notes, uncertainty_sentences, verdict
from simulation.schema import numeric_fields, range_problems, spec_of

from .. import state
from ..charts import uncertainty as charts
from ..contract import ViewContext
from ..text import label_text, plain
from . import parts

PREFIX = "_views.risk."
K_FIELDS, K_DRAWS, K_SEED, K_SYNC = PREFIX + "fields", PREFIX + "draws", PREFIX + "seed", PREFIX + "synced"
K_DIST = PREFIX + "distribution"
DRAWS_RANGE = (100, 100_000)
SEED_RANGE = (0, 2**32 - 1)
RATE_ENDS = (0.005, 0.995)  # a Beta has no P10 at 0 or P90 at 1
QUANTILE_ROWS = ("npv_lifetime", "customers", "cac")


# ---- the ranges, kept in the link by the state module -----------------------------------------------


def _key(name: str, side: str = "") -> str:
    return f"{PREFIX}range.{name}{'.' + side if side else ''}"


def _slider_ends(name: str) -> tuple[float, float] | None:
    """A range slider's ends for rates and months; None for fields typed into two boxes."""
    spec = spec_of(name)
    assert spec is not None
    if spec.kind == "rate":
        return max(spec.lo, RATE_ENDS[0]), min(spec.hi, RATE_ENDS[1])
    if spec.kind == "months":
        return 0.5, spec.hi
    return None


def starting_range(scn: Scenario, name: str) -> tuple[float, float]:
    """Where a newly picked input's range starts: its typical range, else ±20 % (the sensitivity's swing)."""
    typical = typical_ranges(scn)
    if name in typical:
        return typical[name]
    return swing_values(scn, name, numeric_fields(scn)[name])


def _seed_widgets(name: str, lo: float, hi: float) -> None:
    ends = _slider_ends(name)
    if ends is not None:
        st.session_state[_key(name)] = (min(max(lo, ends[0]), ends[1]), min(max(hi, ends[0]), ends[1]))
    else:
        st.session_state[_key(name, "lo")], st.session_state[_key(name, "hi")] = float(lo), float(hi)


def _sync(session: Any, scn: Scenario) -> None:
    """Put the widgets to the link's ranges, draws and seed whenever those changed elsewhere (the link, a preset,
    typical ranges, undo)."""
    ranges, draws, seed = state.ranges(session), state.draws(session), state.seed(session)
    sig = (tuple(sorted(ranges.items())), draws, seed)
    if st.session_state.get(K_SYNC) == sig:
        return
    numeric = numeric_fields(scn)
    st.session_state[K_FIELDS] = [k for k in numeric if k in ranges]
    for name, (lo, hi) in ranges.items():
        _seed_widgets(name, lo, hi)
    st.session_state[K_DRAWS], st.session_state[K_SEED] = draws, seed
    st.session_state[K_SYNC] = sig


def _chosen(scn: Scenario) -> tuple[dict[str, tuple[float, float]], list[str]]:
    """The ranges the widgets hold (a field just picked gets its starting range) and why any cannot be used."""
    out, problems = {}, []
    values = numeric_fields(scn)
    for name in st.session_state.get(K_FIELDS, []):
        if _key(name) in st.session_state:
            lo, hi = st.session_state[_key(name)]
        elif _key(name, "lo") in st.session_state:
            lo, hi = st.session_state[_key(name, "lo")], st.session_state[_key(name, "hi")]
        else:
            lo, hi = starting_range(scn, name)
            _seed_widgets(name, lo, hi)
        lo, hi = float(min(lo, hi)), float(max(lo, hi))
        bad = [p.removeprefix("!contains ") for p in range_problems(name, lo, hi, values.get(name))]
        if bad:
            problems += [p.replace(f"uncertainty.ranges.{name}", field_label(scn, name)) for p in bad]
            continue
        out[name] = (lo, hi)
    return out, problems


def _commit(session: Any, scn: Scenario) -> None:
    """A range widget changed (a callback): ranges, draws and seed into the link."""
    chosen, _ = _chosen(scn)
    draws, seed = int(st.session_state[K_DRAWS]), int(st.session_state[K_SEED])
    state.set_uncertainty(session, scn, chosen, draws, seed)
    # the widgets already show what the link now holds (and any range still to fix): no reseeding next run
    st.session_state[K_SYNC] = (tuple(sorted(state.ranges(session).items())), state.draws(session), state.seed(session))


def add_typical(session: Any, scn: Scenario) -> None:
    """One click: typical ranges for every channel's price, close rate, nurture time and ramp-up."""
    state.set_uncertainty(session, scn, typical_ranges(scn), state.draws(session), state.seed(session))


def range_editor(session: Any, scn: Scenario) -> None:
    """Pick the uncertain inputs and their P10–P90, the number of simulated futures and the seed."""
    _sync(session, scn)
    args = (session, scn)
    st.multiselect(
        "Uncertain inputs", list(numeric_fields(scn)), key=K_FIELDS, format_func=lambda k: field_label(scn, k),
        on_change=_commit, args=args,
        help="Give each input you are unsure about a low and a high: the value you would be surprised to fall below "
        "(P10) and to exceed (P90). Rates draw from a Beta, money and counts from a lognormal, months from a gamma "
        "distribution fitted to those two numbers. A range must contain today's value.",
    )  # fmt: skip
    _, problems = _chosen(scn)
    for name in st.session_state.get(K_FIELDS, []):
        spec = spec_of(name)
        assert spec is not None
        label = label_text(field_label(scn, name))
        ends = _slider_ends(name)
        if ends is not None:
            st.slider(f"{label}: P10 – P90", ends[0], ends[1], key=_key(name), on_change=_commit, args=args,
                      step=0.001 if spec.kind == "rate" else 0.5, help=spec.help,
                      format="percent" if spec.kind == "rate" else "%.1f months")  # fmt: skip
        else:
            c1, c2 = st.columns(2)
            fmt_ = "%.0f" if spec.is_int or spec.kind == "count" else "%.2f"
            c1.number_input(f"{label}: P10", 0.0, spec.hi, key=_key(name, "lo"), format=fmt_, on_change=_commit,
                            args=args)  # fmt: skip
            c2.number_input(f"{label}: P90", 0.0, spec.hi, key=_key(name, "hi"), format=fmt_, on_change=_commit,
                            args=args)  # fmt: skip
    if problems:
        st.warning("Not simulated until fixed: " + plain("; ".join(problems)) + ".", icon=":material/warning:")
    c1, c2 = st.columns(2)
    c1.number_input("Simulated futures (draws)", *DRAWS_RANGE, step=500, key=K_DRAWS, on_change=_commit, args=args,
                    help="More draws give steadier percentages and take longer.")  # fmt: skip
    c2.number_input("Random seed", *SEED_RANGE, step=1, key=K_SEED, on_change=_commit, args=args,
                    help="The same seed gives the same numbers; change it to see the sampling noise.")  # fmt: skip


# ---- the results ------------------------------------------------------------------------------------


def quantile_table(mc: MonteCarlo, currency: str) -> pd.DataFrame:
    """One row per strategy: each metric's median, then its P10 – P90 range, formatted."""
    rows = []
    for s in mc.strategies:
        row = {"Strategy": STRATEGY_LABELS[s]}
        for m in QUANTILE_ROWS:
            f = (lambda v: money_short(v, currency)) if m == "npv_lifetime" else (lambda v, m=m: fmt(m, v, currency))
            q = {k: f(mc.quantile(s, m, k)) for k in ("p10", "p50", "p90")}
            row[METRICS[m].label] = f"{q['p50']} ({q['p10']} – {q['p90']})"
        rows.append(row)
    return pd.DataFrame(rows)


@st.fragment
def _distribution(mc: MonteCarlo, currency: str) -> None:
    metric = st.segmented_control("Distribution of", list(charts.DISTRIBUTIONS), key=K_DIST, default="npv_lifetime",
                                  format_func=charts.DISTRIBUTIONS.get)  # fmt: skip
    parts.chart(st, charts.distribution(mc, metric or "npv_lifetime", currency))


def render(ctx: ViewContext) -> None:
    scn, mc, cur = ctx.scenario, ctx.mc, ctx.scenario.currency
    for line in ctx.dropped_ranges:
        st.warning("Left out of the simulation: " + plain(line), icon=":material/warning:")
    if mc is None:
        st.info(plain(verdict(ctx.result, None).sureness), icon=":material/info:")
        st.button("Add typical ranges", type="primary", on_click=add_typical, args=(ctx.session, scn),
                  key=PREFIX + "typical",
                  help="Typical P10–P90 ranges around today's values for each channel's price (±20 %), close rate "
                  "(±25 %), nurture time (±35 %) and ramp-up (±40 %). Edit them below.")  # fmt: skip
        with st.expander("Ranges and simulation settings"):
            range_editor(ctx.session, scn)
        return
    st.markdown("  \n".join(f"**{parts.literal(sentence)}**" for sentence in uncertainty_sentences(mc)))
    for note in median_notes(ctx.result, mc):
        st.markdown(parts.literal(note))
    st.dataframe(quantile_table(mc, cur), hide_index=True, width="stretch",
                 column_config={"Strategy": st.column_config.TextColumn(pinned=True)})  # fmt: skip
    parts.caption(st, "The median of the simulated futures, then the P10 – P90 range in brackets: one future in ten "
                      "does worse than P10, one in ten better than P90.")  # fmt: skip
    parts.caption(st, ctx.draws_note)
    with st.expander("Ranges and simulation settings"):
        range_editor(ctx.session, scn)
    left, right = st.columns(2)
    parts.chart(left, charts.fan(mc, "cumulative_customers", cur))
    parts.chart(right, charts.fan(mc, "cumulative_net", cur))
    _distribution(mc, cur)
