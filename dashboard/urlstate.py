"""URL parameters the app manages itself (not bound widgets): preset, present, ranges, draws, …"""

from __future__ import annotations

import math

import streamlit as st

from simulation.schema import FIELDS, RANGEABLE, range_problems


def sync_param(key: str, value: str | None) -> None:
    """Keep a hand-managed URL parameter equal to `value`; None removes it."""
    if value is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def _num(v: float) -> str:
    return format(float(v), ".10g")


def encode_ranges(ranges: dict[str, tuple[float, float]]) -> str | None:
    """`name:low:high,…` in field order; None when there are none."""
    parts = [f"{k}:{_num(ranges[k][0])}:{_num(ranges[k][1])}" for k in RANGEABLE if k in ranges]
    return ",".join(parts) or None


def decode_ranges(text: str | None) -> tuple[dict[str, tuple[float, float]], list[str]]:
    """Ranges from the `ranges` URL parameter, and a problem per entry that cannot be used."""
    if not text:
        return {}, []
    out: dict[str, tuple[float, float]] = {}
    problems = []
    for entry in text.split(","):
        bits = entry.split(":")
        if len(bits) != 3:
            problems.append(f"ranges entry {entry!r} is not name:low:high")
            continue
        name, lo_s, hi_s = bits
        if name not in FIELDS or name not in RANGEABLE:
            problems.append(f"ranges: {name!r} is not an input that can have a range")
            continue
        try:
            lo, hi = float(lo_s), float(hi_s)
        except ValueError:
            problems.append(f"ranges: {name} {lo_s!r}–{hi_s!r} are not numbers")
            continue
        if not (math.isfinite(lo) and math.isfinite(hi)):
            problems.append(f"ranges: {name} needs finite numbers")
            continue
        bad = range_problems(name, lo, hi)
        if bad:
            problems.extend(p.replace("uncertainty.ranges.", "ranges: ") for p in bad)
            continue
        out[name] = (lo, hi)
    return out, problems


def int_param(key: str, default: int, lo: int, hi: int) -> tuple[int, str | None]:
    """An integer URL parameter within [lo, hi], or the default and a problem."""
    raw = st.query_params.get(key)
    if raw is None:
        return default, None
    try:
        v = int(raw)
    except ValueError:
        return default, f"{key}={raw!r} is not a whole number"
    if not lo <= v <= hi:
        return default, f"{key}={raw!r} is outside [{lo}, {hi:,}]"
    return v, None
