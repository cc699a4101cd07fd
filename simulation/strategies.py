"""Strategies are allocations of the monthly budget over the channels (a share per channel)."""

from __future__ import annotations

import numpy as np

from .metrics import STRATEGIES
from .schema import Scenario


def kind_allocation(scn: Scenario, kind: str) -> np.ndarray | None:
    """The whole budget over the channels of one kind, in proportion to their plan shares
    (equally when those shares are all 0); None when the scenario has no channel of that kind."""
    mask = np.array([c.kind == kind for c in scn.channel.values()])
    if not mask.any():
        return None
    shares = np.array([c.share for c in scn.channel.values()]) * mask
    total = shares.sum()
    return shares / total if total > 0 else mask / mask.sum()


def plan_allocation(scn: Scenario) -> np.ndarray:
    """The Blend strategy: each channel gets its own plan share."""
    return np.array([c.share for c in scn.channel.values()], dtype=float)


def strategy_allocations(scn: Scenario) -> tuple[np.ndarray, dict[str, bool]]:
    """Allocations (3, C) of Generate, Buy and Blend, and which of them exist.

    A strategy with no channel of its kind is absent (all zeros here, null in results)."""
    rows, present = [], {}
    for name in STRATEGIES:
        a = plan_allocation(scn) if name == "blend" else kind_allocation(scn, name)
        present[name] = a is not None
        rows.append(a if a is not None else np.zeros(len(scn.channel)))
    return np.array(rows), present


def spend_plan(budget: np.ndarray, allocation: np.ndarray) -> np.ndarray:
    """Wanted spend per channel: budget (N,) × allocation (S, C[, T]) or (N, S, C[, T])."""
    b = np.asarray(budget, float)
    a = np.asarray(allocation, float)
    if a.ndim in (2, 3) and not (a.ndim == 3 and a.shape[0] == b.shape[0] and b.shape[0] > 1):
        a = a[None]
    return b.reshape((-1,) + (1,) * (a.ndim - 1)) * a
