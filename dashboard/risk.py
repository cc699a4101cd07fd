"""The Risk view: range inputs, fan charts, CAC distribution, probabilities in plain sentences."""

from __future__ import annotations

import streamlit as st

from simulation import Scenario
from simulation.format import fmt_metric
from simulation.model import STRATEGIES
from simulation.schema import FIELDS, RANGEABLE, Uncertainty, get_field

from . import api, charts_decisions
from .inputs import LABELS
from .style import STRATEGY_LABELS
from .urlstate import encode_ranges, sync_param

DRAWS_DEFAULT, SEED_DEFAULT = 2000, 1


def field_label(name: str) -> str:
    group = {"generate": "Generate", "buy": "Buy", "economics": "Economics", "budget": "Budget"}[name.split(".")[0]]
    return f"{group} · {LABELS[name]}"


def default_range(scn: Scenario, name: str) -> tuple[float, float]:
    """A starting range around the current value, inside what the distribution allows."""
    v = float(get_field(scn, name))
    spec = FIELDS[name]
    if spec.kind == "rate":
        return max(round(v * 0.75, 3), 0.005), min(round(v * 1.25, 3), 0.995)
    if spec.kind == "months":
        return max(round(v * 0.5, 1), 0.5), min(round(max(v, 1.0) * 1.5, 1), spec.hi)
    return max(round(v * 0.8, 2), 0.01), min(round(max(v, 1.0) * 1.25, 2), spec.hi)


def range_inputs(scn: Scenario, ranges: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """Pick the uncertain inputs and their P10–P90; kept in the link as ?ranges=…"""
    if "_unc_fields" not in st.session_state:
        st.session_state["_unc_fields"] = [k for k in RANGEABLE if k in ranges]
    chosen = st.multiselect(
        "Uncertain inputs", RANGEABLE, key="_unc_fields", format_func=field_label,
        help="Give each input you are unsure about a low and a high: the value you would be surprised to fall "
        "below (P10) and to exceed (P90). Rates draw from a Beta, money and counts from a lognormal, months from "
        "a gamma distribution fitted to those two numbers.",
    )  # fmt: skip
    out: dict[str, tuple[float, float]] = {}
    for name in chosen:
        spec = FIELDS[name]
        key = f"_range.{name}"
        start = ranges.get(name) or default_range(scn, name)
        if spec.kind in ("rate", "months"):
            lo_b, hi_b = (0.005, 0.995) if spec.kind == "rate" else (0.5, float(spec.hi))
            if key not in st.session_state:
                st.session_state[key] = (min(max(start[0], lo_b), hi_b), min(max(start[1], lo_b), hi_b))
            lo, hi = st.slider(
                f"{field_label(name)}: P10 – P90", lo_b, hi_b, key=key, step=0.005 if spec.kind == "rate" else 0.5,
                format="percent" if spec.kind == "rate" else "%.1f months", help=spec.description,
            )  # fmt: skip
        else:
            c1, c2 = st.columns(2)
            for side, v in (("lo", start[0]), ("hi", start[1])):
                st.session_state.setdefault(f"{key}.{side}", float(v))
            lo = c1.number_input(f"{field_label(name)}: P10", 0.01, float(spec.hi), key=f"{key}.lo", format="%.2f")
            hi = c2.number_input(f"{field_label(name)}: P90", 0.01, float(spec.hi), key=f"{key}.hi", format="%.2f")
        if lo > hi:
            st.warning(f"{field_label(name)}: P10 is above P90; the two are swapped.")
            lo, hi = hi, lo
        out[name] = (float(lo), float(hi))
    return out


def simulation_settings(unc: Uncertainty) -> tuple[int, int]:
    c1, c2 = st.columns(2)
    st.session_state.setdefault("_draws", unc.draws)
    st.session_state.setdefault("_seed", unc.seed)
    draws = c1.number_input("Simulated futures (draws)", 100, 100_000, step=500, key="_draws",
                            help="More draws give steadier percentages and take longer.")  # fmt: skip
    seed = c2.number_input("Random seed", 0, 2**32 - 1, step=1, key="_seed",
                           help="The same seed gives the same numbers; change it to see the sampling noise.")  # fmt: skip
    return int(draws), int(seed)


def probability_sentences(p: dict[str, float]) -> list[str]:
    """The who-beats-whom shares as sentences an executive reads."""
    cac_b = p["buy_beats_generate_cac"]
    roi_b = p["buy_beats_generate_roi"]
    cac = (f"In {cac_b:.0%} of simulated futures, buying has the lower CAC." if cac_b >= 0.5
           else f"In {1 - cac_b:.0%} of simulated futures, generating has the lower CAC.")  # fmt: skip
    roi = (f"In {roi_b:.0%} of simulated futures, buying has the higher ROI." if roi_b >= 0.5
           else f"In {1 - roi_b:.0%} of simulated futures, generating has the higher ROI.")  # fmt: skip
    return [cac, roi]


def view(scn: Scenario, unc: Uncertainty) -> Scenario:
    """Render the Risk view; return the scenario with the uncertainty block used."""
    with st.expander("Ranges and simulation settings", expanded=not unc.ranges):
        ranges = range_inputs(scn, dict(unc.ranges))
        draws, seed = simulation_settings(unc)
    sync_param("ranges", encode_ranges(ranges))
    sync_param("draws", None if draws == DRAWS_DEFAULT else str(draws))
    sync_param("seed", None if seed == SEED_DEFAULT else str(seed))
    scn_u = scn.model_copy(update={"uncertainty": Uncertainty(draws=draws, seed=seed, ranges=ranges)})
    if not ranges:
        st.info("Add an uncertain input above to see how sure the answer is. Until then every simulated future "
                "is the same.", icon=":material/info:")  # fmt: skip
    outside = [field_label(k) for k, (lo, hi) in ranges.items() if not lo <= get_field(scn, k) <= hi]
    if outside:
        st.warning("The current value lies outside its range for: " + ", ".join(outside) + ".")
    slow = draws * scn.horizon_months > 400_000
    if slow:
        with st.status(f"Simulating {draws:,} futures…", expanded=False) as status:
            mc = api.monte_carlo(scn_u)
            status.update(label=f"Simulated {draws:,} futures", state="complete")
    else:
        mc = api.monte_carlo(scn_u)
    for sentence in probability_sentences(mc.probabilities):
        st.markdown(f"**{sentence}**")
    q = mc.quantiles_dict()
    cols = st.columns(3)
    for col, s in zip(cols, STRATEGIES, strict=True):
        c, r = q[s]["cac"], q[s]["roi"]
        col.metric(f"CAC · {STRATEGY_LABELS[s]} (median)", fmt_metric("cac", c["p50"]),
                   help="Half of the simulated futures have a lower CAC, half a higher one.")  # fmt: skip
        col.caption(f"P10–P90: {fmt_metric('cac', c['p10'])} – {fmt_metric('cac', c['p90'])} · "
                    f"ROI {fmt_metric('roi', r['p10'])} – {fmt_metric('roi', r['p90'])}")  # fmt: skip
    left, right = st.columns(2)
    left.plotly_chart(charts_decisions.fan(mc, "cumulative_customers", "Customers won to date (P10–P90 band)",
                                           "Customers (cumulative)"), width="stretch")  # fmt: skip
    right.plotly_chart(charts_decisions.cac_distribution(mc), width="stretch")
    left, right = st.columns(2)
    fig = charts_decisions.fan(mc, "cac_to_date", "CAC to date (P10–P90 band)", "CAC to date (money per customer)")
    late = mc.monthly_q["cac_to_date"][:, :, scn.horizon_months // 4 :]
    finite = late[late < float("inf")]
    if finite.size:
        fig.update_yaxes(range=[0, float(finite.max()) * 1.1])
    left.plotly_chart(fig, width="stretch")
    right.plotly_chart(charts_decisions.fan(mc, "cumulative_net", "Cumulative net cash (P10–P90 band)",
                                            "Cumulative net (money)"), width="stretch")  # fmt: skip
    return scn_u
