"""Two to four scenarios side by side: the strategies' headline metrics with differences against the first, the
monthly series to overlay, and the inputs that differ. Pure: results in, tables out (the app's Compare view and the
exports format them, nothing more)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .metrics import DASH, METRICS, STRATEGIES, fmt, money
from .results import Result
from .schema import flatten, spec_of

MAX_COMPARED = 4
HEADLINE = ("npv_lifetime", "customers", "cac", "cac_eventual", "payback_month", "roi", "spend")
SERIES = ("cumulative_customers", "cac_to_date", "cumulative_net")


@dataclass(frozen=True)
class Compared:
    """One scenario in a comparison: what the person picked it as, and its deterministic run."""

    label: str  # "Q3 plan · v2", "This scenario"
    result: Result


@dataclass(frozen=True)
class HeadlineRow:
    """One metric of one strategy across the scenarios."""

    strategy: str
    metric: str
    label: str
    values: tuple[float | int | None, ...]  # per scenario, None where undefined or the strategy is absent
    deltas: tuple[float | None, ...]  # value − first scenario's value (None for the first, or when undefined)
    text: tuple[str, ...]  # formatted values
    delta_text: tuple[str, ...]  # "+$12,300", "−3", "" for the first; "—" when undefined
    better: tuple[bool, ...]  # per scenario: its difference is an improvement by the registry's direction


@dataclass(frozen=True)
class InputRow:
    """An input whose value is not the same in every scenario."""

    key: str  # dotted name
    label: str  # "Vendor A · Cost per lead"
    values: tuple[Any, ...]  # None where the scenario has no such input
    text: tuple[str, ...]


@dataclass(frozen=True)
class Comparison:
    labels: tuple[str, ...]
    currency: str  # the first scenario's (money in other currencies is labelled with their own symbol)
    headline: list[HeadlineRow]
    inputs: list[InputRow]
    months: tuple[np.ndarray, ...]  # per scenario: months 1..H
    series: dict[str, dict[str, tuple[np.ndarray | None, ...]]]  # series → strategy → per scenario (None: absent)
    currencies_differ: bool


def _signed(metric: str, d: float, currency: str) -> str:
    kind = METRICS[metric].format
    sign = "+" if d > 0 else "−" if d < 0 else "±"
    a = abs(d)
    if kind == "money":
        return f"{sign}{money(a, currency)}"
    if kind == "ratio":
        return f"{sign}{a:,.2f}×"
    if kind in ("percent", "share"):
        return f"{sign}{a * 100:,.1f} pts"
    if kind in ("month", "months"):
        return f"{sign}{a:,.0f} months" if round(a) != 1 else f"{sign}1 month"
    return f"{sign}{a:,.0f}"


def _improves(metric: str, d: float | None) -> bool:
    better = METRICS[metric].better
    if d is None or better is None or d == 0:
        return False
    return (d > 0) == (better == "higher")


def headline_rows(items: list[Compared], metrics: tuple[str, ...] = HEADLINE) -> list[HeadlineRow]:
    """Per strategy present in any scenario, per metric: the values and the differences against the first."""
    rows = []
    strategies = [s for s in STRATEGIES if any(s in c.result.strategies for c in items)]
    for s in strategies:
        for m in metrics:
            values = tuple(c.result.metric(s, m) if s in c.result.strategies else None for c in items)
            first = values[0]
            deltas = tuple(
                None if i == 0 or v is None or first is None else float(v) - float(first) for i, v in enumerate(values)
            )
            text = tuple(fmt(m, v, c.result.scenario.currency) for v, c in zip(values, items, strict=True))
            dtext = tuple(
                "" if i == 0 else DASH if d is None else _signed(m, d, items[0].result.scenario.currency)
                for i, d in enumerate(deltas)
            )
            rows.append(
                HeadlineRow(s, m, METRICS[m].label, values, deltas, text, dtext, tuple(_improves(m, d) for d in deltas))
            )
    return rows


def input_label(key: str, labels: dict[str, str]) -> str:
    """An input's name as the sidebar shows it: 'Budget per month', 'Vendor A · Cost per lead'."""
    if key in ("name", "currency"):
        return {"name": "Name", "currency": "Currency"}[key]
    parts = key.split(".")
    spec = spec_of(key)
    if parts[0] == "channel" and len(parts) == 3:
        who = labels.get(parts[1], parts[1])
        what = {"label": "Label", "kind": "Kind"}.get(parts[2], spec.label if spec else parts[2])
        return f"{who} · {what}"
    return spec.label if spec else key


def input_text(key: str, value: Any, currency: str = "") -> str:
    """An input's value as the sidebar shows it: percentages for rates, money with its symbol, whole counts."""
    if value is None:
        return DASH
    if isinstance(value, str):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return DASH
    spec = spec_of(key)
    if spec is None:
        return f"{value:,}"
    if spec.kind == "rate":
        return f"{value * 100:,.2f}".rstrip("0").rstrip(".") + " %"
    if spec.kind == "money":
        return money(value, currency, decimals=2 if 0 < abs(value) < 100 and value != int(value) else 0)
    if spec.kind == "integer":
        return f"{int(value):,}"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def input_rows(items: list[Compared]) -> list[InputRow]:
    """The inputs whose values are not all equal (channels one scenario lacks included), in the first seen order."""
    flats = [flatten(c.result.scenario) for c in items]
    labels: dict[str, str] = {}
    for c in items:
        for cid, ch in c.result.scenario.channel.items():
            labels.setdefault(cid, ch.display_label(cid))
    keys: list[str] = []
    for f in flats:
        keys += [k for k in f if k not in keys]
    rows = []
    for k in keys:
        values = tuple(f.get(k) for f in flats)
        if all(v == values[0] for v in values[1:]):
            continue
        text = tuple(input_text(k, v, c.result.scenario.currency) for v, c in zip(values, items, strict=True))
        rows.append(InputRow(k, input_label(k, labels), values, text))
    return rows


def compare(items: list[Compared]) -> Comparison:
    """The comparison of 2–4 scenarios (the first is the one the differences are measured against)."""
    if not 1 <= len(items) <= MAX_COMPARED:
        raise ValueError(f"compare takes 1 to {MAX_COMPARED} scenarios, not {len(items)}")
    series: dict[str, dict[str, tuple[np.ndarray | None, ...]]] = {}
    for name in SERIES:
        series[name] = {}
        for s in STRATEGIES:
            per = []
            for c in items:
                if s not in c.result.strategies:
                    per.append(None)
                    continue
                frame = c.result.monthly
                per.append(frame.loc[frame["strategy"] == s, name].to_numpy(dtype=float))
            if any(x is not None for x in per):
                series[name][s] = tuple(per)
    currencies = {c.result.scenario.currency for c in items}
    return Comparison(
        labels=tuple(c.label for c in items),
        currency=items[0].result.scenario.currency,
        headline=headline_rows(items),
        inputs=input_rows(items),
        months=tuple(np.arange(1, c.result.scenario.horizon_months + 1) for c in items),
        series=series,
        currencies_differ=len(currencies) > 1,
    )
