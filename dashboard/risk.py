"""The Risk view: range inputs, the how-sure sentences, P10–P90 cards and bands, the CAC distribution."""

from __future__ import annotations

import streamlit as st

from simulation import Scenario
from simulation.analyses.montecarlo import MonteCarlo
from simulation.metrics import METRICS, STRATEGY_LABELS, fmt
from simulation.narrate import uncertainty_sentences
from simulation.schema import numeric_fields, spec_of

from . import charts_decisions, state
from .headline import value_text
from .text import field_label, label_text, plain

K_FIELDS = state.RISK_PREFIX + "fields"
K_DRAWS = state.RISK_PREFIX + "draws"
K_SEED = state.RISK_PREFIX + "seed"
RATE_BOUNDS = (0.005, 0.995)  # a Beta needs 0 < P10 and P90 < 1
CARD_METRIC = "npv_lifetime"


def _range_key(name: str) -> str:
    return f"{state.RISK_PREFIX}range.{name}"


def _slider_bounds(name: str) -> tuple[float, float] | None:
    """A range slider's ends for rates and months; None for fields typed into two boxes."""
    spec = spec_of(name)
    assert spec is not None
    if spec.kind == "rate":
        return max(spec.lo, RATE_BOUNDS[0]), min(spec.hi, RATE_BOUNDS[1])
    if spec.kind == "months":
        return 0.5, spec.hi
    return None


def default_range(scn: Scenario, name: str) -> tuple[float, float]:
    """A starting range around today's value, inside what the distribution allows."""
    v = numeric_fields(scn)[name]
    bounds = _slider_bounds(name)
    spec = spec_of(name)
    assert spec is not None
    if spec.kind == "rate" and bounds:
        return max(round(v * 0.75, 3), bounds[0]), min(round(v * 1.25, 3), bounds[1])
    if spec.kind == "months" and bounds:
        return max(round(v * 0.5, 1), bounds[0]), min(round(max(v, 1.0) * 1.5, 1), bounds[1])
    return max(round(v * 0.8, 2), 0.01), min(round(max(v, 1.0) * 1.25, 2), spec.hi)


def _chosen(scn: Scenario) -> dict[str, tuple[float, float]]:
    """The ranges as the Risk widgets hold them (a field just added gets its starting range)."""
    out = {}
    for name in st.session_state.get(K_FIELDS, []):
        key = _range_key(name)
        if key in st.session_state:
            lo, hi = st.session_state[key]
        elif f"{key}.lo" in st.session_state:
            lo, hi = st.session_state[f"{key}.lo"], st.session_state[f"{key}.hi"]
        else:
            lo, hi = default_range(scn, name)
        out[name] = (float(min(lo, hi)), float(max(lo, hi)))
    return out


def _commit(session: state.Session, scn: Scenario) -> None:
    """A Risk widget changed (a callback, before the script runs): put ranges, draws and seed in the link."""
    state.set_uncertainty(session, scn, _chosen(scn), int(st.session_state[K_DRAWS]), int(st.session_state[K_SEED]))


def range_inputs(session: state.Session, scn: Scenario) -> None:
    """Pick the uncertain inputs and their P10–P90; kept in the link as ?ranges=…"""
    current = state.ranges(session)
    numeric = list(numeric_fields(scn))
    st.session_state.setdefault(K_FIELDS, [k for k in numeric if k in current])
    st.session_state.setdefault(K_DRAWS, state.draws(session))
    st.session_state.setdefault(K_SEED, state.seed(session))
    args = (session, scn)
    chosen = st.multiselect(
        "Uncertain inputs", numeric, key=K_FIELDS, format_func=lambda k: field_label(scn, k), on_change=_commit,
        args=args,
        help="Give each input you are unsure about a low and a high: the value you would be surprised to fall "
        "below (P10) and to exceed (P90). Rates draw from a Beta, money and counts from a lognormal, months from "
        "a gamma distribution fitted to those two numbers. A range must contain today's value.",
    )  # fmt: skip
    for name in chosen:
        spec = spec_of(name)
        assert spec is not None
        key = _range_key(name)
        start = current.get(name) or default_range(scn, name)
        label = label_text(field_label(scn, name))
        bounds = _slider_bounds(name)
        if bounds is not None:
            lo_b, hi_b = bounds
            st.session_state.setdefault(key, (min(max(start[0], lo_b), hi_b), min(max(start[1], lo_b), hi_b)))
            st.slider(f"{label}: P10 – P90", lo_b, hi_b, key=key, step=0.005 if spec.kind == "rate" else 0.5,
                      format="percent" if spec.kind == "rate" else "%.1f months", help=spec.help, on_change=_commit,
                      args=args)  # fmt: skip
        else:
            c1, c2 = st.columns(2)
            for side, v in (("lo", start[0]), ("hi", start[1])):
                st.session_state.setdefault(f"{key}.{side}", float(v))
            c1.number_input(f"{label}: P10", 0.01, spec.hi, key=f"{key}.lo", format="%.2f", on_change=_commit,
                            args=args)  # fmt: skip
            c2.number_input(f"{label}: P90", 0.01, spec.hi, key=f"{key}.hi", format="%.2f", on_change=_commit,
                            args=args)  # fmt: skip
    c1, c2 = st.columns(2)
    c1.number_input("Simulated futures (draws)", *state.DRAWS_RANGE, step=500, key=K_DRAWS, on_change=_commit,
                    args=args, help="More draws give steadier percentages and take longer.")  # fmt: skip
    c2.number_input("Random seed", *state.SEED_RANGE, step=1, key=K_SEED, on_change=_commit, args=args,
                    help="The same seed gives the same numbers; change it to see the sampling noise.")  # fmt: skip


def view(session: state.Session, scn: Scenario, mc: MonteCarlo | None, dropped: list[str]) -> None:
    """Render the Risk view for the scenario with its uncertainty block (`mc` its Monte Carlo, None without ranges)."""
    with st.expander("Ranges and simulation settings", expanded=mc is None):
        range_inputs(session, scn)
    if dropped:
        st.warning("Left out of the simulation: " + plain("; ".join(dropped)) + ".", icon="⚠️")
    if mc is None:
        st.info("No input has a range, so every simulated future is the same and nothing can be said about how "
                "sure the answer is. Add an uncertain input above.", icon=":material/info:")  # fmt: skip
        return
    for sentence in uncertainty_sentences(mc):
        st.markdown(f"**{plain(sentence)}**")
    cur = scn.currency
    cols = st.columns(len(mc.strategies))
    for col, s in zip(cols, mc.strategies, strict=True):
        q = {k: mc.quantile(s, CARD_METRIC, k) for k in ("p10", "p50", "p90")}
        c = {k: mc.quantile(s, "cac", k) for k in ("p10", "p90")}
        col.metric(f"{METRICS[CARD_METRIC].label} · {STRATEGY_LABELS[s]} (median)",
                   value_text(CARD_METRIC, q["p50"], cur),
                   help="Half of the simulated futures create less, half more.")  # fmt: skip
        col.caption(plain(f"P10–P90: {fmt(CARD_METRIC, q['p10'], cur)} – {fmt(CARD_METRIC, q['p90'], cur)} · "
                          f"CAC {fmt('cac', c['p10'], cur)} – {fmt('cac', c['p90'], cur)}"))  # fmt: skip
    left, right = st.columns(2)
    left.plotly_chart(charts_decisions.fan(mc, "cumulative_customers", "Customers won to date (P10–P90 band)",
                                           "Customers (cumulative)"), width="stretch")  # fmt: skip
    right.plotly_chart(charts_decisions.cac_distribution(mc, cur), width="stretch")
    left, right = st.columns(2)
    unit = cur or "money"
    left.plotly_chart(charts_decisions.fan(mc, "cac_to_date", "CAC to date (P10–P90 band)",
                                           f"CAC to date ({unit} per customer)", clip_early=True), width="stretch")  # fmt: skip
    right.plotly_chart(charts_decisions.fan(mc, "cumulative_net", "Cumulative net cash (P10–P90 band)",
                                            f"Cumulative net ({unit})"), width="stretch")  # fmt: skip
