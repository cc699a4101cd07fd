"""Break-even price per vendor: the price per lead at which putting the whole budget into that vendor gives the
same eventual CAC as the Generate strategy; and the gap over prices × close rates for a heatmap."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize as sopt

from ..engine import Params, params_of, simulate, summarize
from ..metrics import clean
from ..schema import MAX_PRICE, Scenario, channel_key
from ..strategies import kind_allocation

LOWEST_PRICE = 1e-6  # the bracket's lower end: "a positive price"
BRACKET = np.geomspace(LOWEST_PRICE, MAX_PRICE, 61)


def _cac_eventual(p: Params, alloc: np.ndarray, budget: float) -> np.ndarray:
    """cac_eventual (N, S) of allocations (S, C) or per-draw allocations (N, S, C); NaN where undefined."""
    a = np.asarray(alloc, float)
    plan = budget * (a if a.ndim == 3 else a[None])
    m = simulate(p, plan, tail=False, detail=False)
    return summarize(p, m, np.array([budget * p.horizon]))["cac_eventual"]


def generate_cac(scn: Scenario, p: Params | None = None) -> float | None:
    """The Generate strategy's eventual CAC; None without a generate channel or when undefined."""
    gen = kind_allocation(scn, "generate")
    if gen is None:
        return None
    p = params_of(scn) if p is None else p
    return clean(_cac_eventual(p, gen[None], scn.budget.monthly)[0, 0])


def breakeven(scn: Scenario) -> dict[str, float | None]:
    """Per buy channel: the price per lead at which allocation 1 on it (0 elsewhere) gives the Generate strategy's
    eventual CAC; baselines and open pipeline count in both, and the vendor's cap in leads stays (its spend cap moves
    with the price). None when no price in (0, MAX_PRICE] gives equality, or without a generate channel.

    The CAC rises with the price; every vendor's bracket is screened in one engine call, then solved exactly."""
    buy = scn.channel_ids("buy")
    if not buy:
        return {}
    p = params_of(scn)
    target = generate_cac(scn, p)
    if target is None:
        return {c: None for c in buy}
    ids = list(scn.channel)
    B = scn.budget.monthly
    n = BRACKET.size
    # one draw per (vendor, price): that vendor's price set, all of B on it
    batch = p
    alloc = np.zeros((len(buy) * n, 1, len(ids)))
    for j, cid in enumerate(buy):
        c = ids.index(cid)
        prices = np.broadcast_to(p.chan["cost_per_lead"][:, c], (len(buy) * n,)).copy()
        prices[j * n : (j + 1) * n] = BRACKET
        batch = batch.set(channel_key(cid, "cost_per_lead"), prices)
        alloc[j * n : (j + 1) * n, 0, c] = 1.0
    gap = _cac_eventual(batch, alloc, B)[:, 0] - target
    gap = np.where(np.isfinite(gap), gap, np.inf)  # no customer at all: never equal
    out: dict[str, float | None] = {}
    for j, cid in enumerate(buy):
        g = gap[j * n : (j + 1) * n]
        out[cid] = _root(p, ids.index(cid), cid, len(ids), B, target, g)
    return out


def _root(p: Params, c: int, cid: str, C: int, B: float, target: float, g: np.ndarray) -> float | None:
    """The price where the vendor's CAC meets the target, from its screened gaps g over BRACKET."""
    at = np.flatnonzero(g >= 0)
    if at.size == 0 or at[0] == 0 and g[0] > 0:
        return None
    i = int(at[0])
    if g[i] == 0:
        return float(BRACKET[i])
    alloc = np.zeros((1, C))
    alloc[0, c] = 1.0
    key = channel_key(cid, "cost_per_lead")

    def f(price: float) -> float:
        v = _cac_eventual(p.set(key, np.array([price])), alloc, B)[0, 0]
        return float(v - target) if np.isfinite(v) else 1e300

    return float(sopt.brentq(f, BRACKET[i - 1], BRACKET[i], xtol=1e-12, rtol=1e-13, maxiter=200))


@dataclass(frozen=True)
class BreakevenGrid:
    """cac_eventual(all of B on one vendor) − cac_eventual(Generate) over prices × that vendor's SQL → customer rate.

    `gap` has shape (rates, prices); NaN where either CAC is undefined. Negative = buying from the vendor is cheaper
    per eventual customer."""

    channel: str
    label: str
    prices: np.ndarray  # (P,)
    rates: np.ndarray  # (R,) sql_to_customer
    gap: np.ndarray  # (R, P)
    cac_generate: float | None  # at the vendor's own rate
    current_price: float
    current_rate: float
    breakeven_price: float | None


def breakeven_grid(scn: Scenario, cid: str, n: int = 25) -> BreakevenGrid:
    """The CAC gap over n prices × n close rates of buy channel `cid`, in one engine call.

    Prices run from a quarter to 2.5 times today's price; rates up to 2.5 times today's (at most 1)."""
    ch = scn.channel.get(cid)
    if ch is None or ch.kind != "buy":
        raise ValueError(f"channel: {cid!r} is not a buy channel of this scenario")
    p = params_of(scn)
    ids = list(scn.channel)
    c = ids.index(cid)
    price0, rate0 = ch.cost_per_lead, ch.sql_to_customer
    prices = np.linspace(price0 * 0.25, price0 * 2.5, n)
    top = min(1.0, max(2.5 * rate0, 0.05))
    rates = np.linspace(top / n, top, n)
    rr, pp = np.meshgrid(rates, prices, indexing="ij")
    batch = p.set(channel_key(cid, "cost_per_lead"), pp.ravel()).set(channel_key(cid, "sql_to_customer"), rr.ravel())
    alloc = np.zeros((2, len(ids)))
    alloc[0, c] = 1.0
    gen = kind_allocation(scn, "generate")
    if gen is not None:
        alloc[1] = gen
    cac = _cac_eventual(batch, alloc, scn.budget.monthly)
    gap = (cac[:, 0] - cac[:, 1]) if gen is not None else np.full(rr.size, np.nan)
    return BreakevenGrid(
        channel=cid, label=ch.display_label(cid), prices=prices, rates=rates, gap=gap.reshape(rr.shape),
        cac_generate=generate_cac(scn, p), current_price=price0, current_rate=rate0,
        breakeven_price=breakeven(scn).get(cid),
    )  # fmt: skip
