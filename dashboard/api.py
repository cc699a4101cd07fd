"""The one cached façade between the UI and the model's analyses, keyed on the validated scenario.

Every cache is bounded twice: by entries per function and by bytes over all of them together (`CACHE`, an LRU
shared by every session, `ACQLAB_CACHE_MB` megabytes, 200 by default; sizes are measured on the cached value:
arrays' bytes, frames' deep memory, dataclasses and models field by field). A Result is tens of kB; a Monte
Carlo keeps at most 10,000 draws of six metrics and of each ranged input (≈ 10 MB with 100 ranged inputs, ≈ 2 MB
typically); sensitivity, curves and break-even results are a few kB; exports up to a few MB. A value larger than
a quarter of the budget is returned without being kept. The cached objects are shared between sessions: treat
them as read-only."""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pydantic
import streamlit as st

from simulation import Result, Scenario, run
from simulation import compare as _compare
from simulation.analyses import breakeven as _breakeven
from simulation.analyses import curves as _curves
from simulation.analyses import montecarlo as _montecarlo
from simulation.analyses import optimize as _optimize
from simulation.analyses import plan as _plan
from simulation.analyses import sensitivity as _sensitivity

F = TypeVar("F", bound=Callable[..., Any])


# ---- the byte-budgeted cache ---------------------------------------------------------------------------------


def deep_size(obj: Any) -> int:
    """Bytes an object holds, counting each object it reaches once: arrays by their buffers, frames by their deep
    memory, containers, dataclasses, pydantic models and plain objects by their parts."""
    seen: set[int] = set()
    stack = [obj]
    total = 0
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        if isinstance(o, np.ndarray):
            total += sys.getsizeof(o) + (o.nbytes if o.base is not None else 0)  # getsizeof counts owned data
            if o.dtype == object:
                stack.extend(o.ravel().tolist())
        elif isinstance(o, pd.DataFrame | pd.Series | pd.Index):
            usage = o.memory_usage(deep=True)
            total += int(usage.sum() if hasattr(usage, "sum") else usage)
        elif isinstance(o, str | bytes | bytearray | int | float | complex | bool | np.generic) or o is None:
            total += sys.getsizeof(o)
        elif isinstance(o, dict):
            total += sys.getsizeof(o)
            stack.extend(o.keys())
            stack.extend(o.values())
        elif isinstance(o, list | tuple | set | frozenset):
            total += sys.getsizeof(o)
            stack.extend(o)
        elif isinstance(o, pydantic.BaseModel):
            total += sys.getsizeof(o)
            stack.extend(o.__dict__.values())
            stack.extend((getattr(o, "__pydantic_extra__", None) or {}).values())
        elif dataclasses.is_dataclass(o) and not isinstance(o, type):
            total += sys.getsizeof(o)
            stack.extend(getattr(o, f.name) for f in dataclasses.fields(o) if hasattr(o, f.name))
            stack.extend(getattr(o, "__dict__", {}).values())  # cached properties (a Result's frames)
        elif isinstance(o, type | Callable):  # classes and functions are shared code, not the value's data
            continue
        else:
            total += sys.getsizeof(o)
            stack.extend(getattr(o, "__dict__", {}).values())
            stack.extend(getattr(o, s) for s in getattr(type(o), "__slots__", ()) if hasattr(o, s))
    return total


class ByteCache:
    """A least-recently-used cache shared by every session, bounded by total bytes and by entries per function.

    Concurrent calls for the same key compute once: the others wait for that result. Exceptions are not kept."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()  # (function, key) → (value, bytes)
        self._counts: dict[str, int] = {}
        self._pending: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    def entries(self, name: str) -> int:
        """How many values of one function are kept."""
        return self._counts.get(name, 0)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._counts.clear()
            self.bytes = 0

    def _drop(self, key: Hashable) -> None:
        _, size = self._items.pop(key)
        self.bytes -= size
        self._counts[key[0]] -= 1  # type: ignore[index]

    def get_or_compute(self, key: tuple[str, Hashable], compute: Callable[[], Any], max_entries: int) -> Any:
        """The kept value of `key`, else `compute()`'s, kept within the budgets (the least recently used go)."""
        while True:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    return self._items[key][0]
                waiting = self._pending.get(key)
                if waiting is None:
                    done = self._pending[key] = threading.Event()
                    break
            waiting.wait()  # another session is computing it; an error there makes this one try itself
        try:
            value = compute()
            size = deep_size(value)
            with self._lock:
                if size <= self.max_bytes // 4:
                    self._items[key] = (value, size)
                    self.bytes += size
                    self._counts[key[0]] = self._counts.get(key[0], 0) + 1
                    for old in [k for k in self._items if k[0] == key[0]][: max(0, self._counts[key[0]] - max_entries)]:
                        self._drop(old)
                    while self.bytes > self.max_bytes:
                        self._drop(next(iter(self._items)))
            return value
        finally:
            with self._lock:
                self._pending.pop(key, None)
            done.set()


CACHE = ByteCache(int(float(os.environ.get("ACQLAB_CACHE_MB", "200")) * 1024**2))


def _frozen(v: Any) -> Hashable:
    if isinstance(v, Scenario):
        return ("scenario", v.model_dump_json())
    if isinstance(v, tuple | list):
        return tuple(_frozen(x) for x in v)
    return v


def cached(max_entries: int, spinner: str | None = None) -> Callable[[F], F]:
    """Keep a function's results in `CACHE` (keyed on its arguments; scenarios by their content), at most
    `max_entries` of them; `spinner` shows while a result is computed."""

    def wrap(func: F) -> F:
        name = func.__qualname__

        @functools.wraps(func)
        def inner(*args: Any, **kwargs: Any) -> Any:
            key = (name, (_frozen(args), _frozen(sorted(kwargs.items()))))

            def compute() -> Any:
                if spinner is None:
                    return func(*args, **kwargs)
                with st.spinner(spinner):
                    return func(*args, **kwargs)

            return CACHE.get_or_compute(key, compute, max_entries)

        return inner  # type: ignore[return-value]

    return wrap


# ---- the analyses ---------------------------------------------------------------------------------------------


@cached(max_entries=256)
def simulate(scn: Scenario) -> Result:
    """Deterministic run of the three strategies, with its frames built once."""
    result = run(scn)
    _ = result.monthly, result.summary  # build the frames inside the cache
    return result


@cached(max_entries=8)
def monte_carlo(scn: Scenario) -> _montecarlo.MonteCarlo:
    """Monte Carlo over the scenario's ranges (its uncertainty block sets draws and seed)."""
    return _montecarlo.monte_carlo(scn)


@cached(max_entries=64)
def curves(scn: Scenario) -> dict[str, _curves.Curve]:
    """Each channel's response to its own monthly spend."""
    return _curves.curves(scn)


@cached(max_entries=64)
def next_budget(scn: Scenario, amount: float = 1000.0) -> list[_curves.NextBudget]:
    """Where `amount` more a month does most, best lifetime value first."""
    return _curves.next_budget(scn, amount)


@cached(max_entries=64, spinner="Swinging every input to its low and high…")
def sensitivity(scn: Scenario) -> _sensitivity.Sensitivity:
    """The tornado over every input."""
    return _sensitivity.sensitivity(scn)


@cached(max_entries=64)
def breakeven(scn: Scenario) -> dict[str, float | None]:
    """Per buy channel: the price per lead at which buying from it alone costs what generating does per customer."""
    return _breakeven.breakeven(scn)


@cached(max_entries=64)
def breakeven_grid(scn: Scenario, cid: str) -> _breakeven.BreakevenGrid:
    """The CAC gap over price × close rate of one vendor."""
    return _breakeven.breakeven_grid(scn, cid)


@cached(max_entries=32, spinner="Searching for the best allocation and the best two-phase plan…")
def best_mix(
    scn: Scenario, objective: str, floor: tuple[float, int] | None
) -> tuple[_optimize.Optimum, _plan.TwoPhase | None]:
    """Best constant allocation and best two-phase plan for an objective and an optional customer floor
    (at least N customers by month M)."""
    constraint = _optimize.Constraint(*floor) if floor else None
    best = _optimize.optimize(scn, objective, constraint)  # type: ignore[arg-type]
    if best.allocation is None:
        return best, None
    return best, _plan.two_phase(scn, objective, constraint, best_constant=best)  # type: ignore[arg-type]


# ---- the team library, comparison and exports ---------------------------------------------------------------


def library() -> Any:
    """The team library (simulation.library.Library) of this server's database; raises LibraryUnavailable."""
    from simulation.library import open_library

    return open_library()


@cached(max_entries=64)
def saved(slug: str, version: int) -> Any:
    """A saved version (immutable, so cached for good): simulation.library.Saved."""
    return library().get(slug, version)


@cached(max_entries=16)
def comparison(items: tuple[tuple[str, Scenario], ...]) -> _compare.Comparison:
    """2–4 scenarios side by side, the first the one the differences are measured against."""
    return _compare.compare([_compare.Compared(label, simulate(scn)) for label, scn in items])


@cached(max_entries=8)
def export(scn: Scenario, fmt: str, link: str, when: date, paper: str = "A4") -> bytes:
    """The scenario as XLSX, CSV, a one-page HTML report or its PDF (raises ExportUnavailable without a browser)."""
    from simulation import exports

    return exports.export(scn, fmt, link=link, when=when, paper=paper)


@cached(max_entries=16)
def chart_image(scn: Scenario, chart: str, fmt: str) -> bytes:
    """One of the charts of the scenario's deterministic run as PNG or SVG."""
    from simulation import exports

    from .charts import strategies as charts

    result = simulate(scn)
    fig = getattr(charts, chart)(result)
    return exports.chart_image(fig, fmt=fmt)
