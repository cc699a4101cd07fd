"""The best constant allocation of the budget over the channels for an objective, within per-channel bounds,
optionally under a floor "at least N customers won by month M" and with the monthly budget chosen too.

Objectives: ``npv`` (the plan's lifetime value, ``npv_lifetime``; the default), ``customers`` (customers won by
month M), ``cac`` (``cac_eventual``, lowest) and ``roi`` (ROI over the horizon, version 1's objective: it favours
whatever pays back soonest, so it is not the default).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import optimize as sopt

from ..engine import Params, params_of, simulate, summarize
from ..engine.funnel import baseline_spend
from ..metrics import INTEGER_METRICS, SUMMARY, clean, fmt, money_short
from ..schema import Scenario
from ..strategies import kind_allocation, plan_allocation

Objective = Literal["npv", "customers", "cac", "roi"]
OBJECTIVES: tuple[str, ...] = ("npv", "customers", "cac", "roi")

FD_STEP = 1e-6  # finite-difference step, in shares of the budget
MIN_SHARE = 1e-6  # a channel in an allocation's support gets at least this share while refining
N_RANDOM = 240  # random feasible allocations screened with the structured candidates
N_STARTS = 3  # candidates refined with SLSQP
MAX_CALLS = 30  # engine calls per refinement
PATTERN_CALLS = 24  # engine calls of the final compass search
MOMENTUM = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0])  # lengths at which the compass search repeats its last move
SWITCH_ON = np.geomspace(1e-4, 0.5, 12)  # shares at which a fixed-cost channel is tried when switched on
SWITCH_FROM_ONE = (0.002, 0.01, 0.05)  # … when its share is taken from one other channel
SEED = 20240  # the optimiser is deterministic


@dataclass(frozen=True)
class Constraint:
    """At least `min_customers` won (cumulative) by the end of month `by_month`."""

    min_customers: float
    by_month: int


def flat_summary(summary: dict[str, np.ndarray], i: int) -> dict[str, float | int | None]:
    """Every summary metric of allocation i of a one-draw summary {metric: (1, S)}, JSON-safe."""
    out: dict[str, float | int | None] = {}
    for name in SUMMARY:
        v = clean(summary[name][0, i])
        out[name] = int(v) if v is not None and name in INTEGER_METRICS else v
    return out


def objective_value(objective: str, summary: dict[str, Any], customers_by_month: float | None) -> float | None:
    """The objective in its own units (lifetime value, customers, CAC, ROI) from a flat summary; None if undefined."""
    if objective == "customers":
        return customers_by_month
    key = {"npv": "npv_lifetime", "cac": "cac_eventual", "roi": "roi"}[objective]
    return summary.get(key)


def _check_objective(objective: str) -> None:
    if objective not in OBJECTIVES:
        raise ValueError(f"objective: {objective!r} is not one of {', '.join(OBJECTIVES)}")


def resolve_month(scn: Scenario, constraint: Constraint | None, by_month: int | None) -> int:
    """M: the constraint's month, else `by_month`, else the horizon; must lie in 1 … H."""
    H = scn.horizon_months
    M = constraint.by_month if constraint is not None else (by_month if by_month is not None else H)
    if isinstance(M, bool) or int(M) != M or not 1 <= M <= H:
        raise ValueError(f"by_month: {M!r} is outside [1, {H}] (the scenario's horizon)")
    if constraint is not None and not (math.isfinite(constraint.min_customers) and constraint.min_customers >= 0):
        raise ValueError(f"min_customers: {constraint.min_customers!r} is not allowed; allowed [0, ∞)")
    return int(M)


def share_bounds(scn: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest share of B per channel: [optimize.bounds] where given, else [0, 1]."""
    given = scn.optimize.bounds if scn.optimize is not None else {}
    lo = np.array([given.get(c, (0.0, 1.0))[0] for c in scn.channel], float)
    hi = np.array([given.get(c, (0.0, 1.0))[1] for c in scn.channel], float)
    return lo, hi


def project(a: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The nearest allocations (rows of a) with lo ≤ share ≤ hi and shares summing to at most 1."""
    a = np.clip(np.asarray(a, float), lo, hi)
    over = a.sum(-1) > 1.0
    if over.any():
        rows = a[over]
        t_lo = np.zeros(rows.shape[0])
        t_hi = rows.max(-1)
        for _ in range(60):  # bisection on the shift τ with Σ clip(a − τ, lo, hi) = 1
            t = 0.5 * (t_lo + t_hi)
            s = np.clip(rows - t[:, None], lo, hi).sum(-1)
            t_lo = np.where(s > 1.0, t, t_lo)
            t_hi = np.where(s > 1.0, t_hi, t)
        a[over] = np.clip(rows - t_hi[:, None], lo, hi)
    return a


@dataclass
class Scores:
    """Per allocation of a batch: the objective (higher is better; −inf when undefined), its value in its own units,
    customers won by month M, whether the allocation meets the floor, and its peak valid new leads in a month."""

    score: np.ndarray
    value: np.ndarray
    customers: np.ndarray
    feasible: np.ndarray
    peak: np.ndarray


class Evaluator:
    """Scores batches of allocations of one scenario (one engine call per batch), remembering the best seen."""

    def __init__(self, p: Params, objective: str, month: int, need: float) -> None:
        self.p = p
        self.objective = objective
        self.month = month
        self.need = need  # −inf without a floor
        self.best_score = -np.inf
        self.best: tuple[np.ndarray, float] | None = None  # (allocation, budget)
        self.best_peak = 0.0
        self.most_customers = -np.inf
        self.most: tuple[np.ndarray, float] | None = None
        self.calls = 0

    def meets(self, customers: np.ndarray) -> np.ndarray:
        return customers >= self.need - 1e-9 * max(1.0, abs(self.need))

    def __call__(self, alloc: np.ndarray, budget: np.ndarray, record: bool = True) -> Scores:
        """Scores of allocations (S, C[, T]) at budgets (S,)."""
        p = self.p
        alloc = np.asarray(alloc, float)
        budget = np.broadcast_to(np.asarray(budget, float), alloc.shape[:1])
        plan = alloc * budget.reshape((-1,) + (1,) * (alloc.ndim - 1))
        m = simulate(p, plan[None], tail=self.objective == "npv", detail=False)
        self.calls += 1
        customers = m.series["customers"][0, :, : self.month].sum(-1)
        if self.objective == "customers":
            value = customers
        else:
            s = summarize(p, m, (budget * p.horizon)[None])
            value = s[{"npv": "npv_lifetime", "cac": "cac_eventual", "roi": "roi"}[self.objective]][0]
        score = -value if self.objective == "cac" else value
        score = np.where(np.isfinite(score), score, -np.inf)
        feasible = self.meets(customers)
        peak = m.series["leads"][0].max(-1)
        if record:
            total = alloc.sum(1) if alloc.ndim == 2 else alloc.sum(1).max(-1)
            ok = feasible & (total <= 1.0 + 1e-9)
            cand = np.where(ok, score, -np.inf)
            i = int(np.argmax(cand))
            if cand[i] > self.best_score:
                self.best_score = float(cand[i])
                self.best = (alloc[i].copy(), float(budget[i]))
                self.best_peak = float(peak[i])
            j = int(np.argmax(np.where(total <= 1.0 + 1e-9, customers, -np.inf)))
            if customers[j] > self.most_customers:
                self.most_customers = float(customers[j])
                self.most = (alloc[j].copy(), float(budget[j]))
        return Scores(score, value, customers, feasible, peak)


@dataclass(frozen=True)
class Layout:
    """Free variables z (k,) ↔ allocations: `build(Z (S, k))` → (allocations (S, C[, T]), budgets (S,)).

    Each group of variables sums to at most its cap (the shares of one allocation); `constraints` are further
    SLSQP inequality constraints on z (vendor caps when the budget is chosen too)."""

    build: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
    lower: np.ndarray
    upper: np.ndarray
    groups: list[tuple[np.ndarray, float]]
    constraints: tuple[dict[str, Any], ...] = ()


class _Spent(Exception):
    """The refinement used its engine calls."""


def refine(
    ev: Evaluator, layout: Layout, z0: np.ndarray, target: str = "score", max_calls: int = MAX_CALLS,
    peak_cap: float | None = None, side: str = "inside",
) -> None:  # fmt: skip
    """Local SLSQP from z0: maximise the score (under the floor) or, with target="customers", customers by M.

    With `peak_cap` (the sales capacity) the gradient is taken on one `side` of the capacity's kink: "inside" also
    keeps every month's valid new leads within it (the kink made a constraint), "outside" follows the objective where
    the capacity binds.

    Objective and its forward-difference gradient come from one batched engine call per point; at most `max_calls`
    calls (kinks such as a sales capacity reached exactly can make SLSQP's line search crawl). The evaluator keeps
    the best feasible point seen, which is the result."""
    lower, upper = layout.lower, layout.upper
    z0 = np.clip(np.asarray(z0, float), lower, upper)
    k = z0.size
    cache: dict[bytes, tuple[float, np.ndarray, float, np.ndarray, float, np.ndarray]] = {}
    floor = target == "score" and np.isfinite(ev.need)
    nscale = max(abs(ev.need), 1.0) if floor else 1.0

    def compute(z: np.ndarray) -> tuple[float, np.ndarray, float, np.ndarray, float, np.ndarray]:
        z = np.clip(z, lower, upper)
        key = z.tobytes()
        if key not in cache:
            if len(cache) >= max_calls:
                raise _Spent
            fwd = z + FD_STEP <= upper
            steps = [np.where(fwd, FD_STEP, -FD_STEP)]
            if peak_cap is not None:  # also the other side, to take the slope inside the capacity
                steps.append(np.where(z - FD_STEP >= lower, -FD_STEP, FD_STEP))
            Z = np.repeat(z[None], 1 + k * len(steps), axis=0)
            for n, step in enumerate(steps):
                Z[1 + n * k + np.arange(k), np.arange(k)] += step
            alloc, budget = layout.build(Z)
            r = ev(alloc, budget)
            obj = r.score if target == "score" else r.customers
            step, rows = steps[0], 1 + np.arange(k)
            if peak_cap is not None:  # per variable, the step that stays on the chosen side of the capacity
                p1 = r.peak[1 : k + 1]
                first = p1 <= peak_cap * (1 + 1e-12) if side == "inside" else p1 >= peak_cap * (1 - 1e-12)
                step = np.where(first, steps[0], steps[1])
                rows = np.where(first, rows, rows + k)
            f0 = float(obj[0])
            g = (obj[rows] - f0) / step
            g = np.where(np.isfinite(g), g, 0.0)
            c0 = float(r.customers[0])
            gc = (r.customers[rows] - c0) / step
            gp = (r.peak[rows] - r.peak[0]) / step
            cache[key] = (f0, g, c0, np.where(np.isfinite(gc), gc, 0.0), float(r.peak[0]), gp)
        return cache[key]

    f_start = compute(z0)[0]
    if not np.isfinite(f_start):
        return
    fscale = max(abs(f_start), 1.0)

    def fun(z: np.ndarray) -> float:
        f = compute(z)[0]
        return -f / fscale if np.isfinite(f) else 1e6

    def jac(z: np.ndarray) -> np.ndarray:
        return -compute(z)[1] / fscale

    cons: list[dict[str, Any]] = []
    for idx, cap in layout.groups:
        ind = np.zeros(k)
        ind[idx] = 1.0
        cons.append({"type": "ineq", "fun": lambda z, ind=ind, cap=cap: cap - ind @ z, "jac": lambda z, ind=ind: -ind})
    if floor:
        cons.append({
            "type": "ineq",
            "fun": lambda z: (compute(z)[2] - ev.need) / nscale,
            "jac": lambda z: compute(z)[3] / nscale,
        })  # fmt: skip
    if peak_cap is not None and peak_cap > 0 and side == "inside":
        cons.append({
            "type": "ineq",
            "fun": lambda z: (peak_cap - compute(z)[4]) / peak_cap,
            "jac": lambda z: -compute(z)[5] / peak_cap,
        })  # fmt: skip
    cons += list(layout.constraints)
    try:
        sopt.minimize(
            fun, z0, jac=jac, method="SLSQP", bounds=list(zip(lower, upper, strict=True)), constraints=cons,
            options={"maxiter": max_calls, "ftol": 1e-12},
        )  # fmt: skip
    except _Spent:
        pass


def pattern(
    ev: Evaluator, layout: Layout, z0: np.ndarray, step: float = 0.02, smallest: float = 1e-8,
    max_calls: int = PATTERN_CALLS, peak_cap: float | None = None,
) -> None:  # fmt: skip
    """Compass search from z0: every variable up and down and every exchange between two variables of one group, at
    one step size per engine call; move to the best feasible improvement, else shrink the step. It needs no gradient,
    so it walks along the kinks (a capacity or a cap reached exactly) where SLSQP stalls. When the point sits on the
    customer floor or on the sales capacity, it also tries the exchanges that keep that figure unchanged (to first
    order), so that it can slide along the surface."""
    lower, upper = layout.lower, layout.upper
    z = np.clip(np.asarray(z0, float), lower, upper)
    k = z.size
    pairs = [(i, j) for idx, _ in layout.groups for i in idx for j in idx if i != j]
    dirs = [np.eye(k)[i] * sgn for i in range(k) for sgn in (1.0, -1.0)]
    for i, j in pairs:
        d = np.zeros(k)
        d[i], d[j] = 1.0, -1.0
        dirs.append(d)
    D0 = np.array(dirs)
    r = ev(*layout.build(z[None]))
    best = r.score[0] if r.feasible[0] else -np.inf
    at = (float(r.customers[0]), float(r.peak[0]))
    calls = 1
    neutral: np.ndarray | None = None  # exchanges along the active surfaces at z
    last = np.zeros((0, k))  # the last move, tried again at growing lengths (a ridge is walked quickly)
    while step >= smallest and calls < max_calls:
        if neutral is None:
            neutral = np.zeros((0, k))
            on_floor = np.isfinite(ev.need) and abs(at[0] - ev.need) <= 1e-6 * max(1.0, abs(ev.need))
            on_cap = peak_cap is not None and abs(at[1] - peak_cap) <= 1e-6 * peak_cap
            if (on_floor or on_cap) and pairs:
                h = np.where(z + FD_STEP <= upper, FD_STEP, -FD_STEP)
                Z = np.repeat(z[None], k, axis=0) + np.diag(h)
                g = ev(*layout.build(Z))
                calls += 1
                grads = ([(g.customers - at[0]) / h] if on_floor else []) + ([(g.peak - at[1]) / h] if on_cap else [])
                rows = []
                for grad in grads:
                    for i, j in pairs:
                        if abs(grad[j]) > 1e-12 * max(1.0, np.abs(grad).max()):
                            d = np.zeros(k)
                            d[i], d[j] = 1.0, -grad[i] / grad[j]
                            rows.append(d / np.abs(d).max())
                neutral = np.array(rows) if rows else neutral
        D = np.vstack([step * D0, step * neutral, last])
        Z = np.clip(z[None] + D, lower, upper)
        ok = np.ones(Z.shape[0], bool)
        for idx, cap in layout.groups:
            ok &= Z[:, idx].sum(1) <= cap + 1e-12
        if not ok.any():
            step /= 4
            continue
        Z = Z[ok]
        r = ev(*layout.build(Z))
        calls += 1
        cand = np.where(r.feasible, r.score, -np.inf)
        i = int(np.argmax(cand))
        if cand[i] > best + 1e-13 * max(1.0, abs(best)):
            move = Z[i] - z
            best, z = float(cand[i]), Z[i]
            at = (float(r.customers[i]), float(r.peak[i]))
            neutral = None
            last = move[None] * MOMENTUM[:, None]
            step = min(2 * step, 0.05)
        else:
            last = np.zeros((0, k))
            step /= 4


@dataclass(frozen=True)
class Space:
    """The allocations searched: shares within [lo, hi] summing to at most 1, at the monthly budget `budget` or, with
    `budget_range`, at a budget chosen in that range. A channel with a fixed cost (`jumps`) costs a step more as soon
    as it spends anything, so it is refined only from allocations that already use it; the others are always free."""

    lo: np.ndarray
    hi: np.ndarray
    jumps: np.ndarray
    budget: float
    budget_range: tuple[float, float] | None = None
    caps: np.ndarray | None = None  # a vendor's most useful monthly spend (cap × price); inf without a cap

    @classmethod
    def of(
        cls, scn: Scenario, budget: float, budget_range: tuple[float, float] | None = None, objective: str = "npv"
    ) -> Space:
        """The search space of a scenario. At a fixed budget a capped vendor's highest share is its cap's share:
        above it the same spend buys the same leads and the rest stays unspent. Customers do not depend on fixed
        costs, so for that objective no channel jumps."""
        lo, hi = share_bounds(scn)
        jumps = np.array([ch.fixed_monthly_cost > 0 and objective != "customers" for ch in scn.channel.values()])
        caps = np.array([
            ch.max_leads_per_month * ch.cost_per_lead if ch.kind == "buy" and ch.max_leads_per_month > 0 else np.inf
            for ch in scn.channel.values()
        ])  # fmt: skip
        if budget_range is None and budget > 0:
            hi = np.maximum(lo, np.minimum(hi, caps / budget))
        return cls(lo, hi, jumps, budget, budget_range, caps)

    def support(self, a: np.ndarray) -> np.ndarray:
        """The channels a refinement from allocation a moves: those a uses, those with a lower bound, and every
        channel without a fixed cost."""
        return (a > 0) | (self.lo > 0) | ~self.jumps

    def lower_of(self, support: np.ndarray) -> np.ndarray:
        """Lowest share of each support channel while refining (a channel with a fixed cost keeps a sliver)."""
        return np.where(self.jumps[support], np.maximum(self.lo[support], MIN_SHARE), self.lo[support])

    def layout(self, support: np.ndarray) -> Layout:
        """Variables: the shares of the support channels (others at 0), then B / high when the budget is chosen."""
        idx = np.flatnonzero(support)
        C = self.lo.size
        lower = self.lower_of(support)
        upper = np.maximum(self.hi[idx], lower)
        groups = [(np.arange(idx.size), 1.0)]
        budget = self.budget
        chosen = self.budget_range
        if chosen is not None:
            lower = np.append(lower, chosen[0] / chosen[1])
            upper = np.append(upper, 1.0)

        def build(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            A = np.zeros((Z.shape[0], C))
            A[:, idx] = Z[:, : idx.size]
            return A, (Z[:, -1] * chosen[1] if chosen is not None else np.full(Z.shape[0], budget))

        cons: list[dict[str, Any]] = []
        if chosen is not None and self.caps is not None:
            high = chosen[1]
            for j, c in enumerate(idx):
                if np.isfinite(self.caps[c]):  # share × B ≤ cap × price
                    K = self.caps[c]

                    def fun(z: np.ndarray, j: int = j, K: float = K) -> float:
                        return (K - z[j] * z[-1] * high) / K

                    def jac(z: np.ndarray, j: int = j, K: float = K) -> np.ndarray:
                        g = np.zeros(z.size)
                        g[j], g[-1] = -z[-1] * high / K, -z[j] * high / K
                        return g

                    cons.append({"type": "ineq", "fun": fun, "jac": jac})
        return Layout(build, lower, upper, groups, tuple(cons))

    def start(self, a: np.ndarray, b: float) -> tuple[Layout, np.ndarray]:
        """The layout of a refinement from allocation a at budget b, and its starting variables."""
        support = self.support(a)
        z0 = np.maximum(a[support], self.lower_of(support))
        if self.budget_range is not None:
            z0 = np.append(z0, b / self.budget_range[1])
        return self.layout(support), z0


def candidates(
    scn: Scenario, lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator, n_random: int
) -> tuple[np.ndarray, int]:
    """Feasible allocations worth screening: the plan, the Generate and Buy strategies, nothing, every channel alone
    (at its upper bound, at parts of it, and where its leads fill the sales capacity), vendors at their caps with one
    other channel taking the rest, and random points
    (dense, sparse and partly spent). Also returns how many of the rows are the structured ones (they come first)."""
    C = lo.size
    rows: list[np.ndarray] = [lo.copy(), plan_allocation(scn)]
    for kind in ("generate", "buy"):
        a = kind_allocation(scn, kind)
        if a is not None:
            rows.append(a)
    B = scn.budget.monthly
    capacity = scn.sales.capacity_leads_per_month
    for c, ch in enumerate(scn.channel.values()):
        for part in (1.0, 0.6, 0.3, 0.1):  # alone, at part of its range
            a = lo.copy()
            a[c] = lo[c] + part * (hi[c] - lo[c])
            rows.append(a)
        if capacity > 0 and B > 0:  # alone, at the steady spend whose leads fill the sales capacity
            if ch.kind == "generate":
                ref = ch.reference_spend or 1.0
                fill = float(baseline_spend(np.array(capacity), ch.cost_per_lead, ref, ch.elasticity))
            else:
                fill = capacity * ch.cost_per_lead / (1 - ch.invalid_rate) if ch.invalid_rate < 1 else 0.0
            if 0 < fill < hi[c] * B:
                a = lo.copy()
                a[c] = fill / B
                rows.append(a)
    for c, ch in enumerate(scn.channel.values()):
        if ch.kind == "buy" and ch.max_leads_per_month > 0 and B > 0:
            at_cap = ch.max_leads_per_month * ch.cost_per_lead / B
            if at_cap < 1:
                for other in range(C):
                    a = lo.copy()
                    a[c] = at_cap
                    if other != c:
                        a[other] = 1.0
                    rows.append(a)
    third = max(n_random // 3, 1)
    dense = rng.dirichlet(np.ones(C), third)
    mask = rng.random((third, C)) < 0.4
    mask[np.arange(third), rng.integers(0, C, third)] = True
    sparse = rng.dirichlet(np.ones(C), third) * mask
    sparse /= sparse.sum(1, keepdims=True)
    partial = rng.dirichlet(np.ones(C), third) * rng.random((third, 1)) ** 0.5
    rows_arr = np.vstack([np.array(rows), dense, sparse, partial])
    return project(rows_arr, lo, hi), len(rows)


@dataclass(frozen=True)
class Optimum:
    """The best constant allocation for an objective. `score` is the objective oriented so that higher is better
    (−CAC for ``cac``); `value` gives it in its own units."""

    objective: str
    constraint: Constraint | None
    allocation: dict[str, float] | None  # channel id → share of B; None when nothing meets the constraint
    budget: float
    summary: dict[str, float | int | None] | None
    customers_by_month: float | None
    by_month: int
    buy_share: float | None
    plan_summary: dict[str, float | int | None]
    plan_score: float | None  # the plan's objective, higher is better; None when undefined
    score: float | None  # None when nothing meets the constraint
    message: str
    reachable: float | None = None  # with a floor: the most customers by month M any allocation wins
    plan_customers_by_month: float | None = None

    @property
    def value(self) -> float | None:
        """The objective at the optimum in its own units (lifetime value, customers, CAC or ROI)."""
        if self.summary is None:
            return None
        return objective_value(self.objective, self.summary, self.customers_by_month)

    @property
    def plan_value(self) -> float | None:
        return objective_value(self.objective, self.plan_summary, self.plan_customers_by_month)

    def to_json(self) -> dict[str, Any]:
        """The contract's `optimize` document."""
        return {
            "allocation": None if self.allocation is None else {k: clean(v) for k, v in self.allocation.items()},
            "budget": clean(self.budget),
            "summary": self.summary,
            "buy_share": clean(self.buy_share),
            "customers_by_month": clean(self.customers_by_month),
            "by_month": self.by_month,
            "objective": self.objective,
            "constraint": None if self.constraint is None else {
                "min_customers": clean(self.constraint.min_customers), "by_month": self.constraint.by_month,
            },
            "message": self.message,
        }  # fmt: skip


UNDEFINED_WHAT = {
    "npv": "lifetime value", "customers": "number of customers", "cac": "eventual CAC (none wins a customer)",
    "roi": "ROI (none has any cost)",
}  # fmt: skip
NOTHING_WHY = {
    "npv": "Every channel costs more than the customers it adds are worth",
    "customers": "No channel adds customers by that month",
    "cac": (
        "What comes in without spend (leads from past work, deals already open) costs only its sales effort, "
        "and every channel's spend raises the cost per customer above that"
    ),
    "roi": "What comes in without spend returns more per unit of cost than any channel's spend adds",
}

# ---- sentences ---------------------------------------------------------------------------------------


def describe_allocation(scn: Scenario, alloc: np.ndarray) -> str:
    """'35 % on SEO & content, 25 % on Paid search and 40 % on Vendor A', largest share first."""
    parts = [
        (share, f"{share * 100:.0f} % on {ch.display_label(cid)}")
        for (cid, ch), share in zip(scn.channel.items(), alloc, strict=True)
        if share >= 0.005
    ]
    parts.sort(key=lambda x: -x[0])
    texts = [t for _, t in parts]
    if not texts:
        return "nothing on any channel"
    text = texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]
    left = 1.0 - float(np.sum(alloc))
    if left >= 0.005:
        text += f", leaving {left * 100:.0f} % of the budget unspent"
    return text


def objective_amount(objective: str, v: float | None, currency: str) -> str:
    """The objective's value as people read it: money for npv and cac, a count, a percentage."""
    if objective in ("npv", "cac"):
        return money_short(v, currency)
    return fmt("customers" if objective == "customers" else "roi", v)


def objective_phrase(objective: str, v: float | None, currency: str, month: int) -> str:
    """'lifetime value $7.8 M', '331 customers won by month 12', 'eventual CAC $3,387', 'ROI over the horizon 81 %'."""
    amount = objective_amount(objective, v, currency)
    return {
        "npv": f"lifetime value {amount}",
        "customers": f"{amount} customers won by month {month}",
        "cac": f"eventual CAC {amount}",
    }.get(objective, f"ROI over the horizon {amount}")


# ---- the optimiser -----------------------------------------------------------------------------------


def _screen(
    ev: Evaluator, cands: np.ndarray, n_struct: int, budget: float, budget_range: tuple[float, float] | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, Scores]:  # fmt: skip
    """Scores of the candidates (with budgets when B is chosen too), in one engine call."""
    if budget_range is None:
        budgets = np.full(cands.shape[0], budget)
        alloc = cands
    else:
        low, high = budget_range
        grid = np.linspace(low, high, 5)
        alloc = np.vstack([np.repeat(cands[:n_struct], grid.size, axis=0), cands[n_struct:]])
        budgets = np.concatenate([np.tile(grid, n_struct), rng.uniform(low, high, cands.shape[0] - n_struct)])
    return alloc, budgets, ev(alloc, budgets)


def _starts(
    alloc: np.ndarray, budgets: np.ndarray, score: np.ndarray, n: int, space: Space
) -> list[tuple[np.ndarray, float]]:
    """The n best candidates that differ in which channels they use."""
    order = np.argsort(-score, kind="stable")
    seen: set[bytes] = set()
    out = []
    for i in order:
        if not np.isfinite(score[i]):
            break
        key = (space.support(alloc[i]) & (alloc[i] > 0)).tobytes()
        if key in seen:
            continue
        seen.add(key)
        out.append((alloc[i], float(budgets[i])))
        if len(out) == n:
            break
    return out


def _refine_from(
    ev: Evaluator, space: Space, a: np.ndarray, b: float, target: str = "score", peak_cap: float | None = None,
    side: str = "inside",
) -> None:  # fmt: skip
    """SLSQP over the channels a refinement from allocation a moves (and B when it is chosen), from a at budget b."""
    if not space.support(a).any():
        return
    layout, z0 = space.start(a, b)
    refine(ev, layout, z0, target, peak_cap=peak_cap, side=side)


def at_capacity(ev: Evaluator, space: Space, capacity: float) -> None:
    """When the best allocation's busiest month is near the sales capacity, refine once more with "no month above
    capacity" as a constraint (the optimum often sits exactly on that kink, where SLSQP alone stalls), and when that
    lands on the kink, once more on its far side."""
    if capacity > 0 and ev.best is not None and 0.8 * capacity <= ev.best_peak <= 1.25 * capacity:
        _refine_from(ev, space, *ev.best, peak_cap=capacity)
        if abs(ev.best_peak - capacity) <= 1e-6 * capacity:  # on the kink: also the best just beyond it
            _refine_from(ev, space, *ev.best, peak_cap=capacity, side="outside")


def switch_moves(a: np.ndarray, space: Space) -> np.ndarray:
    """Allocations near a with one fixed-cost channel switched: off (its share dropped, or spread over the others) or
    on (at a few shares, taken from the others or from what a leaves unspent)."""
    rows = []
    lo, hi = space.lo, space.hi
    for c in np.flatnonzero(space.jumps & (lo == 0)):
        if a[c] > 0:
            r = a.copy()
            r[c] = 0.0
            rows.append(r)
            rest = r.sum()
            if rest > 0:
                rows.append(r * (a.sum() / rest))
        elif hi[c] > 0:
            for share in SWITCH_ON:
                r = a * (1 - share)
                r[c] = share
                rows.append(r)
                if a.sum() + share <= 1:
                    r = a.copy()
                    r[c] = share
                    rows.append(r)
            for j in np.flatnonzero(a > 0):  # … or taken from one other channel
                for share in SWITCH_FROM_ONE:
                    if a[j] > share:
                        r = a.copy()
                        r[c], r[j] = share, a[j] - share
                        rows.append(r)
    return project(np.array(rows), lo, hi) if rows else np.zeros((0, a.size))


def polish(ev: Evaluator, space: Space, rounds: int = 3) -> None:
    """Switch fixed-cost channels on or off around the best allocation (one batch), refining again when the best
    changes which of them it uses."""
    for _ in range(rounds):
        if ev.best is None:
            return
        a, b = ev.best
        before = ev.best_score
        moves = switch_moves(a, space)
        if moves.shape[0] == 0:
            return
        r = ev(moves, np.full(moves.shape[0], b))
        if not np.array_equal(space.support(ev.best[0]), space.support(a)):
            _refine_from(ev, space, *ev.best)
            continue
        # a switch that would pay but misses the floor by a little: let SLSQP make up the customers
        near = ~r.feasible & (r.score > before) & (r.customers >= ev.need - 0.05 * abs(ev.need))
        if not near.any():
            return
        i = int(np.argmax(np.where(near, r.score, -np.inf)))
        _refine_from(ev, space, moves[i], b)
        if np.array_equal(space.support(ev.best[0]), space.support(a)):
            return


def optimize(
    scn: Scenario,
    objective: Objective = "npv",
    constraint: Constraint | None = None,
    by_month: int | None = None,
    budget_range: tuple[float, float] | None = None,
) -> Optimum:
    """The constant allocation (shares ≥ 0, sum ≤ 1, within [optimize.bounds]) best for the objective among those
    meeting the constraint; with `budget_range` = (low, high) the monthly budget is chosen in that range too.

    Candidates are screened in one batch, the best few refined by SLSQP, and the best feasible point seen is kept."""
    _check_objective(objective)
    M = resolve_month(scn, constraint, by_month)
    B = float(scn.budget.monthly)
    if budget_range is not None:
        low, high = (float(x) for x in budget_range)
        if not (math.isfinite(low) and math.isfinite(high) and 0 <= low <= high):
            raise ValueError(f"budget: {low!r}:{high!r} is not allowed; allowed 0 ≤ LOW ≤ HIGH")
        budget_range = (low, high)
    # the budget searched over: a range, or one value (the file's, or LOW = HIGH)
    search = budget_range if budget_range is not None and budget_range[0] < budget_range[1] else None
    B_search = budget_range[0] if budget_range is not None and search is None else B
    p = params_of(scn)
    need = constraint.min_customers if constraint is not None else -np.inf
    space = Space.of(scn, B_search, search, objective)
    rng = np.random.default_rng(SEED)
    ev = Evaluator(p, objective, M, need)

    cands, n_struct = candidates(scn, space.lo, space.hi, rng, N_RANDOM)
    alloc, budgets, r = _screen(ev, cands, n_struct, B_search, search, rng)
    starts = _starts(alloc, budgets, np.where(r.feasible, r.score, -np.inf), N_STARTS, space)
    if constraint is not None and not starts:
        # nothing screened meets the floor: look for the most customers any allocation wins by month M
        for a, b in _starts(alloc, budgets, r.customers, N_STARTS, space):
            _refine_from(ev, space, a, b, target="customers")
        if ev.best is None:
            return _result(scn, p, ev, objective, constraint, M, B, budget_range)
        starts = [ev.best]
    for a, b in starts:
        _refine_from(ev, space, a, b)
    polish(ev, space)
    at_capacity(ev, space, scn.sales.capacity_leads_per_month)
    if ev.best is not None and space.support(ev.best[0]).any():
        capacity = scn.sales.capacity_leads_per_month
        pattern(ev, *space.start(*ev.best), peak_cap=capacity if capacity > 0 else None)
    if search is not None and ev.best is not None:
        _tighten_budget(ev, space.lo, space.hi, search)
    return _result(scn, p, ev, objective, constraint, M, B, budget_range)


def _tighten_budget(ev: Evaluator, lo: np.ndarray, hi: np.ndarray, budget_range: tuple[float, float]) -> None:
    """When B is chosen and the optimum leaves part of it unspent, the smallest B that spends the same."""
    assert ev.best is not None
    a, b = ev.best
    total = float(a.sum())
    if total >= 1 - 1e-9 or b <= budget_range[0] or total <= 0:
        return
    b2 = max(budget_range[0], b * total)
    a2 = a * b / b2
    if np.all(a2 <= hi + 1e-12) and a2.sum() <= 1 + 1e-9:
        a2 = np.minimum(a2, hi)
        r = ev(a2[None], np.array([b2]), record=False)
        if r.feasible[0] and r.score[0] >= ev.best_score - 1e-9 * max(1.0, abs(ev.best_score)):
            ev.best = (a2, b2)
            ev.best_score = float(r.score[0])


def _result(
    scn: Scenario, p: Params, ev: Evaluator, objective: str, constraint: Constraint | None, M: int, B: float,
    budget_range: tuple[float, float] | None,
) -> Optimum:  # fmt: skip
    ids = list(scn.channel)
    plan = plan_allocation(scn)
    if ev.best is not None:  # within the bounds exactly (SLSQP may overshoot a sum of 1 by a rounding error)
        lo, hi = share_bounds(scn)
        ev.best = (project(ev.best[0][None], lo, hi)[0], ev.best[1])
    if ev.best is not None and np.any((ev.best[0] > 0) & (ev.best[0] < 1e-12)):
        # shares below 1e-12 reported as 0, unless that changes the answer (a vanishing spend can be the best)
        a0, b0 = ev.best
        zeroed = np.where(a0 < 1e-12, 0.0, a0)
        r = ev(np.array([a0, zeroed]), np.array([b0, b0]), record=False)
        if r.feasible[1] and r.score[1] >= r.score[0] - 1e-12 * max(1.0, abs(r.score[0])):
            ev.best = (zeroed, b0)
    rows = [plan] + ([ev.best[0]] if ev.best is not None else [])
    budgets = [B] + ([ev.best[1]] if ev.best is not None else [])
    alloc = np.array(rows)
    bud = np.array(budgets)
    m = simulate(p, (alloc * bud[:, None])[None], tail=True, detail=False)
    s = summarize(p, m, (bud * p.horizon)[None])
    customers = m.series["customers"][0, :, :M].sum(-1)
    plan_summary = flat_summary(s, 0)
    plan_customers = float(customers[0])
    plan_value = objective_value(objective, plan_summary, plan_customers)
    plan_score = _oriented(objective, plan_value)
    cur = scn.currency
    if ev.best is None:
        most = max(ev.most_customers, 0.0)
        if constraint is not None and not ev.meets(np.array([ev.most_customers]))[0]:
            message = (
                f"No allocation wins {fmt('customers', constraint.min_customers)} customers by month {M}; "
                f"the most any allocation reaches is {most:,.1f}."
            )
        else:  # e.g. no allocation wins a customer, so none has a CAC
            message = f"No allocation has a defined {UNDEFINED_WHAT[objective]}."
        return Optimum(
            objective, constraint, None, float(budget_range[1] if budget_range else B), None, None, M, None,
            plan_summary, plan_score, None, message, most, plan_customers,
        )  # fmt: skip
    a, b = ev.best
    summary = flat_summary(s, 1)
    got = float(customers[1])
    value = objective_value(objective, summary, got)
    is_buy = np.array([ch.kind == "buy" for ch in scn.channel.values()])
    lead = f"With a budget of {money_short(b, cur)} a month, put " if budget_range is not None else "Put "
    message = (
        f"{lead}{describe_allocation(scn, a)}: {objective_phrase(objective, value, cur, M)} against "
        f"{objective_amount(objective, plan_value, cur)} for the plan"
    )
    if not np.any(a > 0):
        message = f"Spend nothing: {objective_phrase(objective, value, cur, M)} against {objective_amount(objective, plan_value, cur)} for the plan"
    if budget_range is not None:
        message += f" at {money_short(B, cur)} a month"
    if constraint is not None:
        message += (
            f", winning {fmt('customers', got)} customers by month {M} "
            f"(at least {fmt('customers', constraint.min_customers)})"
        )
    if not np.any(a > 0):
        message += f". {NOTHING_WHY[objective] if b > 0 else 'The monthly budget is 0: there is nothing to allocate'}"
    elif a.sum() < 0.005:
        message += (
            ". The best is a vanishing spend: a channel with diminishing returns gets its cheapest leads from its "
            "first units of spend"
        )
    return Optimum(
        objective=objective, constraint=constraint, allocation={c: float(x) for c, x in zip(ids, a, strict=True)},
        budget=float(b), summary=summary, customers_by_month=got, by_month=M, buy_share=float(a[is_buy].sum()),
        plan_summary=plan_summary, plan_score=plan_score, score=_oriented(objective, value), message=message + ".",
        reachable=max(ev.most_customers, got) if constraint is not None else None, plan_customers_by_month=plan_customers,
    )  # fmt: skip


def _oriented(objective: str, v: float | None) -> float | None:
    """The objective oriented so that higher is better; None when undefined."""
    if v is None:
        return None
    return -float(v) if objective == "cac" else float(v)


def widget_shares(allocation: dict[str, float], step: float = 0.001) -> dict[str, float]:
    """An allocation on the plan's input step (0.1 %), nearest first, never summing to more than the budget:
    where rounding would overspend, the shares rounded up most go down a step."""
    units = {c: round(v / step) for c, v in allocation.items()}
    room = round(1.0 / step)
    up = sorted(allocation, key=lambda c: units[c] - allocation[c] / step, reverse=True)
    for c in up:
        if sum(units.values()) <= room:
            break
        if units[c] > 0:
            units[c] -= 1
    return {c: round(u * step, 10) for c, u in units.items()}
