"""The best two-phase plan: one allocation in months 1 … k − 1, another from month k on.

Buying can bridge the months while a generate channel builds up; the plan says whether switching pays and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine import params_of, simulate, summarize
from ..metrics import clean, money_short
from ..schema import Scenario
from ..strategies import kind_allocation, plan_allocation
from .optimize import (
    SEED,
    Constraint,
    Evaluator,
    Layout,
    Objective,
    Optimum,
    Space,
    describe_allocation,
    flat_summary,
    objective_phrase,
    objective_value,
    optimize,
    pattern,
    project,
    refine,
    share_bounds,
    switch_moves,
)

MAX_PAIRS_TIMES_MONTHS = 8000  # screened two-phase plans; fewer switch months are tried on long horizons
CHUNK = 1500  # plans per engine call while screening
PATTERN_CALLS = 12  # engine calls of the final compass search
N_RANDOM = 3


@dataclass(frozen=True)
class TwoPhase:
    """The best plan "allocation `first` until month k − 1, `second` from month k" (k = `switch_month`).

    `switch_month` is None when a constant allocation is best (then first = second = the constant optimum).
    `score` is the objective oriented so that higher is better, `gain` = score − the best constant's score (≥ 0;
    None when no constant allocation meets the constraint). `first`, `second` and `summary` are None when no
    plan meets the constraint."""

    objective: str
    constraint: Constraint | None
    first: dict[str, float] | None
    second: dict[str, float] | None
    switch_month: int | None
    summary: dict[str, float | int | None] | None
    score: float | None
    constant: Optimum
    gain: float | None
    message: str
    budget: float
    by_month: int
    customers_by_month: float | None

    @property
    def value(self) -> float | None:
        """The objective in its own units (lifetime value, customers, CAC or ROI)."""
        if self.summary is None:
            return None
        return objective_value(self.objective, self.summary, self.customers_by_month)

    def shares_by_month(self, horizon: int) -> dict[str, list[float]] | None:
        """Channel id → share of B in each month 1 … horizon."""
        if self.first is None or self.second is None:
            return None
        k = self.switch_month or horizon + 1
        return {c: [self.first[c] if m < k else self.second[c] for m in range(1, horizon + 1)] for c in self.first}

    def to_json(self) -> dict[str, Any]:
        """The `plan` document: both allocations, the switch month, the plan's metrics and the constant optimum."""
        return {
            "first": _clean_alloc(self.first),
            "second": _clean_alloc(self.second),
            "switch_month": self.switch_month,
            "budget": clean(self.budget),
            "summary": self.summary,
            "customers_by_month": clean(self.customers_by_month),
            "by_month": self.by_month,
            "objective": self.objective,
            "value": clean(self.value),
            "gain": clean(self.gain),
            "constant": self.constant.to_json(),
            "message": self.message,
        }


def _clean_alloc(a: dict[str, float] | None) -> dict[str, float | None] | None:
    return None if a is None else {k: clean(v) for k, v in a.items()}


def _pair_layout(k: int, T: int, space: Space, fa: np.ndarray, fb: np.ndarray) -> tuple[Layout, np.ndarray]:
    """Variables: the shares of `first` on its support, then of `second` on its support, switching at month k;
    and the starting variables from (fa, fb)."""
    sa, sb = space.support(fa), space.support(fb)
    ia, ib = np.flatnonzero(sa), np.flatnonzero(sb)
    C = space.lo.size
    early = (np.arange(1, T + 1) < k)[None, None, :]
    budget = space.budget

    def build(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        A = np.zeros((Z.shape[0], C))
        Bm = np.zeros((Z.shape[0], C))
        A[:, ia] = Z[:, : ia.size]
        Bm[:, ib] = Z[:, ia.size :]
        return np.where(early, A[..., None], Bm[..., None]), np.full(Z.shape[0], budget)

    lower = np.concatenate([space.lower_of(sa), space.lower_of(sb)])
    upper = np.maximum(np.concatenate([space.hi[ia], space.hi[ib]]), lower)
    groups = [(np.arange(ia.size), 1.0), (ia.size + np.arange(ib.size), 1.0)]
    z0 = np.maximum(np.concatenate([fa[sa], fb[sb]]), lower)
    return Layout(build, lower, upper, groups), z0


def _phases(alloc: np.ndarray) -> tuple[np.ndarray, np.ndarray, int | None]:
    """(first, second, switch month) of a month-by-month allocation (C, T) with at most one switch."""
    a, b = alloc[:, 0], alloc[:, -1]
    differ = np.flatnonzero(np.any(alloc != a[:, None], axis=0))
    if differ.size == 0:
        return a, b, None
    return a, b, int(differ[0] + 1)


def _stack(pairs_a: np.ndarray, pairs_b: np.ndarray, ks: np.ndarray, T: int) -> np.ndarray:
    """Month-by-month allocations (P·K, C, T) of every pair at every switch month."""
    months = np.arange(1, T + 1)
    early = months[None, :] < ks[:, None]  # (K, T)
    a = pairs_a[:, None, :, None]
    b = pairs_b[:, None, :, None]
    out = np.where(early[None, :, None, :], a, b)  # (P, K, C, T)
    return out.reshape(-1, pairs_a.shape[1], T)


def two_phase(
    scn: Scenario,
    objective: Objective = "npv",
    constraint: Constraint | None = None,
    best_constant: Optimum | None = None,
    by_month: int | None = None,
) -> TwoPhase:
    """The best two-phase allocation for the objective among those meeting the constraint, at the constant
    optimum's budget. Never worse than the best constant allocation, which is one of the candidates."""
    const = best_constant if best_constant is not None else optimize(scn, objective, constraint, by_month)
    T = scn.horizon_months
    M = const.by_month
    B = const.budget
    p = params_of(scn)
    space = Space.of(scn, B, objective=objective)
    lo, hi = space.lo, space.hi
    need = constraint.min_customers if constraint is not None else -np.inf
    ev = Evaluator(p, objective, M, need)
    rng = np.random.default_rng(SEED + 1)
    C = lo.size

    rows = [lo.copy(), plan_allocation(scn)]
    if const.allocation is not None:
        rows.insert(0, np.array([const.allocation[c] for c in scn.channel]))
    for kind in ("generate", "buy"):
        a = kind_allocation(scn, kind)
        if a is not None:
            rows.append(a)
    for c in range(C):
        a = lo.copy()
        a[c] = hi[c]
        rows.append(a)
    rows += list(rng.dirichlet(np.ones(C), N_RANDOM))
    cands = np.unique(project(np.array(rows), lo, hi).round(12), axis=0)
    n = cands.shape[0]

    if T >= 2 and n >= 2:
        ii, jj = np.nonzero(~np.eye(n, dtype=bool))
        n_k = max(1, min(T - 1, MAX_PAIRS_TIMES_MONTHS // ii.size))
        ks = np.unique(np.round(np.linspace(2, T, n_k)).astype(int))
        plans = _stack(cands[ii], cands[jj], ks, T)
        for s in range(0, plans.shape[0], CHUNK):
            chunk = plans[s : s + CHUNK]
            ev(chunk, np.full(chunk.shape[0], B))
    # the constant candidates too (a plan is never worse than the best of them)
    ev(np.repeat(cands[:, :, None], T, axis=2), np.full(n, B))

    if T >= 2 and ev.best is not None:
        _refine_pair(ev, T, space)
        a, b, k = _phases(ev.best[0])
        # every switch month for the refined pair, then refine again if another month wins
        ks_all = np.arange(2, T + 1)
        ev(_stack(a[None], b[None], ks_all, T), np.full(ks_all.size, B))
        if _phases(ev.best[0])[2] != k:
            _refine_pair(ev, T, space)
        _polish_pair(ev, T, space)
        a, b, k = _phases(ev.best[0])
        if k is not None:
            pattern(ev, *_pair_layout(k, T, space, a, b), max_calls=PATTERN_CALLS)
    return _result(scn, p, ev, const, objective, constraint, M, B)


def _refine_pair(ev: Evaluator, T: int, space: Space) -> None:
    """SLSQP on both allocations at the best plan's switch month, from the best plan and from its first allocation
    held throughout."""
    assert ev.best is not None
    a, b, k = _phases(ev.best[0])
    if k is None:
        return
    for fa, fb in ((a, b), (a, a)):
        layout, z0 = _pair_layout(k, T, space, fa, fb)
        if z0.size:
            refine(ev, layout, z0)


def _polish_pair(ev: Evaluator, T: int, space: Space, rounds: int = 2) -> None:
    """Switch fixed-cost channels on or off in either phase of the best plan (one batch), refining again when the
    best plan changes which of them it uses."""
    for _ in range(rounds):
        assert ev.best is not None
        a, b, k = _phases(ev.best[0])
        if k is None:
            return
        early = np.arange(1, T + 1) < k
        rows = [np.where(early, m[:, None], b[:, None]) for m in switch_moves(a, space)]
        rows += [np.where(early, a[:, None], m[:, None]) for m in switch_moves(b, space)]
        if not rows:
            return
        ev(np.array(rows), np.full(len(rows), space.budget))
        a2, b2, k2 = _phases(ev.best[0])
        same = k2 == k and all(np.array_equal(space.support(x), space.support(y)) for x, y in ((a, a2), (b, b2)))
        if same:
            return
        _refine_pair(ev, T, space)


def gain_phrase(objective: str, gain: float, constant_score: float, currency: str) -> str:
    """'USD 2,031 more (0.04 %)': what the plan adds to the best constant allocation, in the objective's units."""
    rel = f" ({gain / abs(constant_score) * 100:,.2f} %)" if constant_score else ""
    if objective == "npv":
        return f"{money_short(gain, currency)} more{rel}"
    if objective == "customers":
        return f"{gain:,.1f} more customers{rel}"
    if objective == "cac":
        return f"{money_short(gain, currency)} less per customer{rel}"
    return f"{gain * 100:,.1f} points more"


def _result(
    scn: Scenario, p: Any, ev: Evaluator, const: Optimum, objective: str, constraint: Constraint | None, M: int,
    B: float,
) -> TwoPhase:  # fmt: skip
    ids = list(scn.channel)
    T = scn.horizon_months
    cur = scn.currency
    if ev.best is None:
        message = (
            f"No plan wins {constraint.min_customers:,.0f} customers by month {M}."
            if constraint is not None
            else "No plan has a defined value for this objective."
        )
        return TwoPhase(objective, constraint, None, None, None, None, None, const, None, message, B, M, None)
    lo, hi = share_bounds(scn)  # within the bounds exactly (SLSQP may overshoot a sum of 1 by a rounding error)
    alloc = np.moveaxis(project(np.moveaxis(ev.best[0], -1, 0), lo, hi), 0, -1)
    zeroed = np.where(alloc < 1e-12, 0.0, alloc)  # shares below 1e-12 as 0, unless that changes the answer
    if np.any(zeroed != alloc):
        r = ev(np.array([alloc, zeroed]), np.array([B, B]), record=False)
        if r.feasible[1] and r.score[1] >= r.score[0] - 1e-12 * max(1.0, abs(r.score[0])):
            alloc = zeroed
    m = simulate(p, (alloc * B)[None, None], tail=True, detail=False)
    s = summarize(p, m, np.array([[B * T]]))
    summary = flat_summary(s, 0)
    got = float(m.series["customers"][0, 0, :M].sum())
    value = objective_value(objective, summary, got)
    score = -value if objective == "cac" and value is not None else value
    a, b, k = _phases(alloc)
    tol = 1e-9 * max(1.0, abs(const.score)) if const.score is not None else 0.0
    if (
        const.allocation is not None
        and const.score is not None
        and (k is None or score is None or score <= const.score + tol)
    ):
        x = dict(const.allocation)
        assert const.summary is not None
        message = f"No switch beats a constant allocation. {const.message}"
        return TwoPhase(
            objective, constraint, x, dict(x), None, const.summary, const.score, const, 0.0, message, B, M,
            const.customers_by_month,
        )  # fmt: skip
    gain = None if const.score is None or score is None else max(0.0, score - const.score)
    if k is None:
        first = f"Put {describe_allocation(scn, a)} throughout"
    else:
        months = "in month 1" if k == 2 else f"in months 1–{k - 1}"
        first = f"Put {describe_allocation(scn, a)} {months}, then {describe_allocation(scn, b)} from month {k}"
    message = f"{first}: {objective_phrase(objective, value, cur, M)}"
    if const.allocation is not None and gain is not None:
        message += f", {gain_phrase(objective, gain, const.score, cur)} than the best constant allocation"
    else:
        message += "; no constant allocation meets the constraint"
    if constraint is not None:
        message += f", winning {got:,.0f} customers by month {M} (at least {constraint.min_customers:,.0f})"
    return TwoPhase(
        objective, constraint, {c: float(v) for c, v in zip(ids, a, strict=True)},
        {c: float(v) for c, v in zip(ids, b, strict=True)}, k, summary, score, const, gain, message + ".", B, M, got,
    )  # fmt: skip
