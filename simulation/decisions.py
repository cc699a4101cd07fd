"""Decision tools on the vectorised model: sensitivity, break-even, heatmap, best mix, two-phase plan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize as sopt

from .model import SUMMARY, params_of, simulate, summarize
from .results import clean
from .schema import FIELDS, MAX_PRICE, RANGEABLE, Scenario, get_field

Objective = Literal["roi", "cac"]

SENSITIVITY_OUTPUTS = ("cac_generate", "cac_buy", "cac_blend", "roi_generate", "roi_buy", "roi_blend", "cac_gap")


def _batch(params: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in params]) for k in params[0]}


# ---- sensitivity ------------------------------------------------------------------------------


def swing_values(scn: Scenario, name: str) -> tuple[float, float]:
    """The low and high of one input for the tornado: its range if it has one, else ±20 %."""
    ranges = scn.uncertainty.ranges if scn.uncertainty else {}
    if name in ranges:
        lo, hi = ranges[name]
        return float(lo), float(hi)
    spec = FIELDS[name]
    v = float(get_field(scn, name))
    lo, hi = v * 0.8, v * 1.2
    floor = np.nextafter(spec.lo, np.inf) if spec.lo_open else spec.lo
    return float(np.clip(lo, floor, spec.hi)), float(np.clip(hi, floor, spec.hi))


def _outputs(summary: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    cac, roi = summary["cac"], summary["roi"]
    return {
        "cac_generate": cac[:, 0], "cac_buy": cac[:, 1], "cac_blend": cac[:, 2],
        "roi_generate": roi[:, 0], "roi_buy": roi[:, 1], "roi_blend": roi[:, 2],
        "cac_gap": cac[:, 1] - cac[:, 0],
    }  # fmt: skip


def sensitivity(scn: Scenario) -> pd.DataFrame:
    """One-at-a-time swings of every input to its low and high, all evaluated in one batch.

    Columns: field, low, high, and for each output (CAC and ROI per strategy, and the gap
    CAC buy − CAC generate) its value at the low, at the high, and the swing |high − low|.
    Rows are sorted by the swing of the generate-vs-buy CAC gap."""
    base = params_of(scn)
    names = list(RANGEABLE)
    lows, highs, batch = [], [], [base]
    for name in names:
        lo, hi = swing_values(scn, name)
        lows.append(lo)
        highs.append(hi)
        for v in (lo, hi):
            p = dict(base)
            p[name] = np.array([v])
            batch.append(p)
    p = _batch(batch)
    out = _outputs(summarize(p, simulate(p, scn.horizon_months)))
    rows = []
    for i, name in enumerate(names):
        row: dict[str, Any] = {"field": name, "low": lows[i], "high": highs[i]}
        for key, arr in out.items():
            a, b = arr[1 + 2 * i], arr[2 + 2 * i]
            row[f"{key}_low"], row[f"{key}_high"] = a, b
            row[f"{key}_swing"] = abs(b - a) if np.isfinite(a) and np.isfinite(b) else np.inf
        rows.append(row)
    df = pd.DataFrame(rows)
    df.attrs["central"] = {k: float(v[0]) for k, v in out.items()}
    return df.sort_values("cac_gap_swing", ascending=False, kind="stable").reset_index(drop=True)


# ---- break-even --------------------------------------------------------------------------------


def _cac_buy(scn: Scenario, cpl: np.ndarray) -> np.ndarray:
    p = params_of(scn)
    p["buy.cost_per_lead"] = np.asarray(cpl, float)
    s = summarize(p, simulate(p, scn.horizon_months, shares=np.array([1.0])))
    return s["cac"][:, 0]


def _cac_generate(scn: Scenario) -> float:
    p = params_of(scn)
    return float(summarize(p, simulate(p, scn.horizon_months, shares=np.array([0.0])))["cac"][0, 0])


def breakeven(scn: Scenario) -> dict[str, Any]:
    """The vendor CPL at which buying's CAC equals generating's (None when none exists).

    Buying's CAC rises monotonically with the vendor price, so the root is bracketed between
    the smallest and largest allowed price and solved with Brent's method."""
    target = _cac_generate(scn)
    current = float(_cac_buy(scn, np.array([scn.buy.cost_per_lead]))[0])
    answer: dict[str, Any] = {
        "buy_cost_per_lead": None, "cac_generate": clean(target), "cac_buy_at_current_price": clean(current),
        "current_buy_cost_per_lead": scn.buy.cost_per_lead,
    }  # fmt: skip
    if not np.isfinite(target):
        return answer
    lo, hi = 1e-6, MAX_PRICE

    def gap(c: float) -> float:
        v = float(_cac_buy(scn, np.array([c]))[0])
        return (v if np.isfinite(v) else np.inf) - target

    g_lo, g_hi = gap(lo), gap(hi)
    if not (np.isfinite(g_lo) and g_lo <= 0 <= g_hi):
        return answer
    root = sopt.brentq(lambda c: min(gap(c), 1e300), lo, hi, xtol=1e-10, rtol=1e-13, maxiter=200)
    answer["buy_cost_per_lead"] = float(root)
    return answer


def breakeven_grid(scn: Scenario, n_price: int = 31, n_conv: int = 31) -> dict[str, Any]:
    """CAC buy − CAC generate over vendor CPL × the buy lead → customer rate, in one batch.

    The rate axis moves `buy.sql_to_customer` (the other two buy rates stay), so it spans
    0 to lead_to_mql · mql_to_sql."""
    p0 = params_of(scn)
    q12 = scn.buy.lead_to_mql * scn.buy.mql_to_sql
    price = np.linspace(max(scn.buy.cost_per_lead * 0.25, 0.01), scn.buy.cost_per_lead * 2.5, n_price)
    conv_now = q12 * scn.buy.sql_to_customer
    conv = np.linspace(q12 / n_conv, q12, n_conv) if q12 > 0 else np.array([0.0])
    cc, pp = np.meshgrid(conv, price, indexing="ij")
    p = {k: v for k, v in p0.items()}
    p["buy.cost_per_lead"] = pp.ravel()
    p["buy.sql_to_customer"] = (cc.ravel() / q12) if q12 > 0 else np.zeros(pp.size)
    cac_buy = summarize(p, simulate(p, scn.horizon_months, shares=np.array([1.0])))["cac"][:, 0]
    cac_gen = _cac_generate(scn)
    gap = cac_buy.reshape(cc.shape) - cac_gen
    return {"price": price, "conversion": conv, "gap": gap, "current": (scn.buy.cost_per_lead, conv_now),
            "cac_generate": cac_gen}  # fmt: skip


# ---- best mix ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Constraint:
    """At least `min_customers` won by the end of month `by_month`."""

    min_customers: float
    by_month: int


def _score(summary: dict[str, np.ndarray], objective: Objective) -> np.ndarray:
    """Higher is better: ROI, or −CAC; undefined is worst."""
    v = summary["roi"] if objective == "roi" else -summary["cac"]
    return np.where(np.isfinite(v), v, -np.inf)


def _evaluate(scn: Scenario, shares: np.ndarray, constraint: Constraint | None) -> tuple[dict, np.ndarray]:
    """Summaries (flattened to the strategy axis) and customers by the constraint month."""
    p = params_of(scn)
    monthly = simulate(p, scn.horizon_months, shares=shares)
    summary = {k: v[0] for k, v in summarize(p, monthly).items()}
    month = min(constraint.by_month, scn.horizon_months) if constraint else scn.horizon_months
    by = monthly["customers"][0, :, :month].sum(axis=-1)
    return summary, by


@dataclass(frozen=True)
class BestMix:
    objective: Objective
    constraint: Constraint | None
    buy_share: float | None
    summary: dict[str, Any] | None
    customers_by_month: float | None
    frontier: pd.DataFrame  # share, customers, cac, roi, customers_by_month, feasible
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "buy_share": self.buy_share,
            "summary": self.summary,
            "objective": self.objective,
            "constraint": None if self.constraint is None else vars(self.constraint),
            "customers_by_month": clean(self.customers_by_month),
            "message": self.message,
        }


def optimize_share(
    scn: Scenario, objective: Objective = "roi", constraint: Constraint | None = None, grid: int = 201
) -> BestMix:
    """The constant buy share that is best for the objective among those meeting the constraint.

    A grid of shares runs in one batch; the best grid point is then refined with a bounded
    scalar search on each side, and where the constraint binds between two grid points its
    boundary is solved for, so that no finer scan finds a better feasible share."""
    shares = np.linspace(0.0, 1.0, grid)
    summary, by = _evaluate(scn, shares, constraint)
    need = constraint.min_customers if constraint else -np.inf
    feasible = by >= need - 1e-9
    score = _score(summary, objective)
    frontier = pd.DataFrame({
        "share": shares, "customers": summary["customers"], "cac": summary["cac"], "roi": summary["roi"],
        "customers_by_month": by, "feasible": feasible,
    })  # fmt: skip

    def one(s: float) -> tuple[float, float]:
        sm, b = _evaluate(scn, np.array([s]), constraint)
        return float(_score(sm, objective)[0]), float(b[0])

    if not feasible.any():
        where = f" by month {constraint.by_month}" if constraint else ""
        best_by = float(by.max())
        msg = f"No buy share reaches {need:,.0f} customers{where}; the most any share reaches is {best_by:,.1f}."
        return BestMix(objective, constraint, None, None, None, frontier, msg)

    candidates = {float(s): float(sc) for s, sc, ok in zip(shares, score, feasible, strict=True) if ok}
    i = int(np.argmax(np.where(feasible, score, -np.inf)))
    step = 1.0 / (grid - 1)
    for a, b in ((max(0.0, shares[i] - step), shares[i]), (shares[i], min(1.0, shares[i] + step))):
        if b > a:
            res = sopt.minimize_scalar(lambda s: -one(s)[0], bounds=(a, b), method="bounded",
                                       options={"xatol": 1e-10})  # fmt: skip
            sc, b_s = one(float(res.x))
            if b_s >= need - 1e-9:
                candidates[float(res.x)] = sc
    # constraint boundaries between a feasible and an infeasible neighbour
    if constraint is not None:
        for j in range(grid - 1):
            if feasible[j] != feasible[j + 1]:
                f = lambda s: one(s)[1] - need  # noqa: E731
                root = sopt.brentq(f, shares[j], shares[j + 1], xtol=1e-12)
                for s in (root, root - 1e-9, root + 1e-9):
                    s = float(np.clip(s, 0, 1))
                    sc, b_s = one(s)
                    if b_s >= need - 1e-9:
                        candidates[s] = sc
    best = max(candidates, key=lambda s: candidates[s])
    sm, b_best = _evaluate(scn, np.array([best]), constraint)
    flat = {m: (int(v) if m == "payback_month" and v is not None else v) for m in SUMMARY
            for v in [clean(sm[m][0])]}  # fmt: skip
    word = "highest ROI" if objective == "roi" else "lowest CAC"
    msg = f"Spending {best:.0%} of the budget on buying gives the {word}"
    if constraint:
        msg += f" among the shares winning at least {need:,.0f} customers by month {constraint.by_month}"
    return BestMix(objective, constraint, best, flat, float(b_best[0]), frontier, msg + ".")


@dataclass(frozen=True)
class TwoPhase:
    first_share: float
    second_share: float
    switch_month: int | None  # first month of the second phase; None = a constant share is best
    score: float
    constant_share: float | None
    constant_score: float
    summary: dict[str, Any]
    customers_by_month: float

    @property
    def gain(self) -> float:
        return self.score - self.constant_score


def two_phase(
    scn: Scenario, objective: Objective = "roi", constraint: Constraint | None = None, steps: int = 11,
    best_constant: BestMix | None = None,
) -> TwoPhase | None:  # fmt: skip
    """Best plan "share a until month k−1, share b from month k", searched in one batch.

    Every pair of shares on a grid of `steps` and every switch month are evaluated at once;
    the best constant share (from `optimize_share`) is a candidate too, so the plan is never
    worse than it. None when no plan meets the constraint."""
    T = scn.horizon_months
    best_constant = best_constant or optimize_share(scn, objective, constraint)
    grid = np.linspace(0.0, 1.0, steps)
    plans, meta = [], []
    months = np.arange(1, T + 1)
    for a in grid:
        for b in grid:
            if a == b:
                continue
            for k in range(2, T + 1):
                plans.append(np.where(months < k, a, b))
                meta.append((float(a), float(b), k))
    if best_constant.buy_share is not None:
        plans.append(np.full(T, best_constant.buy_share))
        meta.append((best_constant.buy_share, best_constant.buy_share, None))
    if not plans:
        return None
    summary, by = _evaluate(scn, np.array(plans), constraint)
    need = constraint.min_customers if constraint else -np.inf
    score = np.where(by >= need - 1e-9, _score(summary, objective), -np.inf)
    i = int(np.argmax(score))
    if not np.isfinite(score[i]):
        return None
    a, b, k = meta[i]
    if k is None or (
        best_constant.summary is not None and score[i] <= _summary_score(best_constant.summary, objective)
    ):
        # the best constant share wins (or ties): no switch
        const = best_constant.buy_share
        const_score = _summary_score(best_constant.summary, objective) if best_constant.summary else -np.inf
        return TwoPhase(const, const, None, const_score, const, const_score, best_constant.summary or {},
                        float(best_constant.customers_by_month or 0.0))  # fmt: skip
    flat = {m: clean(summary[m][i]) for m in SUMMARY}
    const_score = _summary_score(best_constant.summary, objective) if best_constant.summary else -np.inf
    return TwoPhase(a, b, k, float(score[i]), best_constant.buy_share, const_score, flat, float(by[i]))


def _summary_score(summary: dict[str, Any], objective: Objective) -> float:
    """The objective of a flat summary (None = undefined = worst), higher is better."""
    v = summary["roi"] if objective == "roi" else summary["cac"]
    if v is None:
        return -np.inf
    return float(v) if objective == "roi" else -float(v)
