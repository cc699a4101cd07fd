"""Headline KPI cards from a Result: labels, help and formats from the metric registry (no Streamlit)."""

from __future__ import annotations

from dataclasses import dataclass

from simulation import Result
from simulation.metrics import METRICS, STRATEGIES, STRATEGY_LABELS, fmt

HEADLINE = ("npv_lifetime", "customers", "cac", "roi", "payback_month")


@dataclass(frozen=True)
class Kpi:
    strategy: str
    metric: str
    label: str
    value: str
    delta: str | None
    delta_color: str
    help: str


def _delta(metric: str, value: float | None, base: float | None, currency: str) -> str | None:
    """The difference to Generate in the metric's own format."""
    if value is None or base is None:
        return None
    d = value - base
    if abs(d) < 1e-9:
        return "±0"
    kind = METRICS[metric].format
    if kind == "percent":
        return f"{d * 100:+,.1f} pp"
    if kind in ("month", "months"):
        return f"{d:+,.0f} months"
    sign = "+" if d > 0 else "-"  # an ASCII minus: Streamlit turns it into a down arrow
    return sign + value_text(metric, abs(d), currency)


def _colour(metric: str, value: float | None, base: float | None) -> str:
    better = METRICS[metric].better
    if value is None or base is None or abs(value - base) < 1e-9 or better is None:
        return "off"
    return "inverse" if better == "lower" else "normal"


def value_text(metric: str, v: float | int | None, currency: str) -> str:
    """A card's value: the registry's format, millions of money shortened so that five cards fit a row."""
    if v is not None and METRICS[metric].format == "money" and abs(v) >= 1e6:
        return f"{'-' if v < 0 else ''}{currency + ' ' if currency else ''}{abs(v) / 1e6:,.2f} M"
    return fmt(metric, v, currency)


def label(metric: str, strategy: str) -> str:
    """'CAC · Buy': the metric's label and the strategy's."""
    return f"{METRICS[metric].label} · {STRATEGY_LABELS[strategy]}"


def kpis(result: Result) -> list[Kpi]:
    """One card per existing strategy and headline metric, with the difference to Generate (when it exists).

    Money shows without its currency code so that five cards fit a row at 1280 pixels; the caption names it."""
    cur = ""
    compare = result.present["generate"]
    out = []
    for s in result.strategies:
        for m in HEADLINE:
            v, base = result.metric(s, m), result.metric("generate", m)
            delta = _delta(m, v, base, cur) if compare and s != "generate" else None
            out.append(Kpi(s, m, label(m, s), value_text(m, v, cur), delta,
                           _colour(m, v, base) if delta else "off", METRICS[m].help))  # fmt: skip
    return out


def absent(result: Result) -> list[str]:
    """The strategies this scenario has no channel for."""
    return [s for s in STRATEGIES if not result.present[s]]
