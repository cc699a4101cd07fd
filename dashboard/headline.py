"""Headline KPIs and the one-sentence verdict, computed from a Result (no Streamlit)."""

from __future__ import annotations

from dataclasses import dataclass

from simulation import Result
from simulation.format import fmt_metric
from simulation.model import STRATEGIES

from .style import STRATEGY_LABELS

HEADLINE = ("cac", "roi", "payback_month", "customers", "pipeline_end")

METRIC_LABELS = {
    "cac": "CAC",
    "roi": "ROI",
    "payback_month": "Payback",
    "customers": "Customers",
    "pipeline_end": "Pipeline",
}

METRIC_HELP = {
    "cac": "Customer acquisition cost: all acquisition cost (spend − vendor refunds + fixed costs) "
    "divided by the customers won within the horizon. Lower is better.",
    "roi": "Return on investment within the horizon: (gross profit − total cost) ÷ total cost.",
    "payback_month": "First month in which cumulative gross profit catches up with cumulative cost. "
    "'—' means not within the horizon.",
    "customers": "Customers won within the horizon.",
    "pipeline_end": "Pipeline at the end of the horizon: leads that arrived but have not closed (won or lost) at the end of the horizon: "
    "the customers still to come.",
}

# For these a lower number is the better one.
LOWER_IS_BETTER = {"cac", "payback_month"}


@dataclass(frozen=True)
class Kpi:
    strategy: str
    metric: str
    label: str
    value: str
    delta: str | None
    delta_color: str
    help: str


def _delta(metric: str, value: float | None, base: float | None) -> str | None:
    if value is None or base is None:
        return None
    d = value - base
    if abs(d) < 1e-9:
        return "±0"
    if metric == "roi":
        return f"{d * 100:+,.1f} pp"
    if metric == "payback_month":
        return f"{d:+,.0f} months"
    if metric == "cac":
        return f"{d:+,.0f}"
    return f"{d:+,.1f}"


def _colour(metric: str, value: float | None, base: float | None) -> str:
    if value is None or base is None or abs(value - base) < 1e-9:
        return "off"
    return "inverse" if metric in LOWER_IS_BETTER else "normal"


def kpis(result: Result) -> list[Kpi]:
    """One card per strategy and headline metric, with deltas against Generate."""
    out = []
    for s in STRATEGIES:
        for m in HEADLINE:
            v = result.metric(s, m)
            base = result.metric("generate", m)
            out.append(
                Kpi(
                    strategy=s,
                    metric=m,
                    label=f"{METRIC_LABELS[m]} · {STRATEGY_LABELS[s]}",
                    value=fmt_metric(m, v),
                    delta=None if s == "generate" else _delta(m, v, base),
                    delta_color=_colour(m, v, base) if s != "generate" else "off",
                    help=METRIC_HELP[m],
                )
            )
    return out


def _customers_by(result: Result, month: int) -> dict[str, float]:
    df = result.monthly
    at = df[df["month"] == month].set_index("strategy")["cumulative_customers"]
    return {s: float(at[s]) for s in STRATEGIES}


def verdict(result: Result) -> str:
    """A plain sentence answering: which is cheaper, which is faster, when, and the best ROI."""
    g_cac, b_cac = result.metric("generate", "cac"), result.metric("buy", "cac")
    parts = []
    if g_cac is None and b_cac is None:
        parts.append("Neither generating nor buying wins a customer within the horizon")
    elif b_cac is None or (g_cac is not None and g_cac <= b_cac):
        parts.append(f"Generating is cheaper per customer (CAC {fmt_metric('cac', g_cac)} against "
                     f"{fmt_metric('cac', b_cac)} for buying)")  # fmt: skip
    else:
        parts.append(f"Buying is cheaper per customer (CAC {fmt_metric('cac', b_cac)} against "
                     f"{fmt_metric('cac', g_cac)} for generating)")  # fmt: skip

    horizon = result.scenario.horizon_months
    early = min(6, horizon)
    by = _customers_by(result, early)
    if abs(by["buy"] - by["generate"]) > 1e-9:
        fast = "buy" if by["buy"] > by["generate"] else "generate"
        slow = "generate" if fast == "buy" else "buy"
        verb = "buying" if fast == "buy" else "generating"
        parts.append(f"{verb} gets customers sooner ({by[fast]:,.0f} by month {early} against {by[slow]:,.0f})")

    cross = result.crossover_month()
    if cross is not None and cross > 1:
        parts.append(f"generating becomes cheaper than buying from month {cross}")
    elif cross is None and g_cac is not None:
        parts.append(f"generating does not become cheaper than buying within {horizon} months")

    rois = {s: result.metric(s, "roi") for s in STRATEGIES}
    defined = {s: r for s, r in rois.items() if r is not None}
    if defined:
        best = max(defined, key=lambda s: defined[s])
        roi = fmt_metric("roi", defined[best])
        if defined[best] >= 0:
            parts.append(f"the best ROI over {horizon} months is {STRATEGY_LABELS[best]} ({roi})")
        else:
            parts.append(
                f"no strategy earns back its cost within {horizon} months (best ROI: {STRATEGY_LABELS[best]}, {roi})"
            )
    sentence = "; ".join(parts) + "."
    return sentence[0].upper() + sentence[1:]
