"""Monte Carlo over the scenario's ranges: fit each range's distribution, draw (correlated through a
Gaussian copula where asked), evaluate the three strategies over all draws, summarise as quantiles
and who-wins shares.

A range's low and high are the P10 and P90 of its input's distribution: rates draw from a Beta,
months from a gamma, money, counts and integers from a lognormal (integers then rounded); every
draw stays inside the field's own range. A zero-width range is a fixed value. Correlated inputs
share a Gaussian copula, so each input keeps its own P10 and P90. Each field has its own random
stream (seed and a hash of its dotted name): adding a range does not change another field's draws.

Draws are evaluated in chunks, so memory stays bounded. Summary quantiles and probabilities use
every draw; the monthly quantiles the charts use, the kept samples and the inputs use a fixed
subsample, the first 10,000 draws.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import special  # not scipy.stats or optimize: each costs a CLI run ~0.3–0.7 s to import

from ..engine import Params, cumulative, params_of
from ..metrics import INFINITE_WHEN_UNDEFINED, STRATEGIES, SUMMARY, ZERO_WHEN_UNDEFINED, clean
from ..results import evaluate
from ..schema import Scenario, spec_of
from ..schema.scenario import correlation_matrix
from ..strategies import strategy_allocations

Z90 = float(special.ndtri(0.9))
QUANTILES = {"p10": 0.1, "p50": 0.5, "p90": 0.9}
DEFAULT_DRAWS = 2000
DEFAULT_SEED = 1

# Monthly series whose quantiles the charts use (only these: quantiles of every series are slow).
MONTHLY_Q_SERIES = ("cumulative_customers", "cumulative_net", "cac_to_date", "customers", "pipeline")
# Metrics whose draws are kept for distribution charts.
SAMPLE_METRICS = ("cac", "cac_eventual", "npv_lifetime", "roi", "customers", "payback_month")
MAX_KEPT = 10_000  # draws kept for monthly quantiles, samples and inputs
CHUNK_ELEMENTS = 1_000_000  # draws × strategies × channels × months evaluated at a time (bounds memory)
MIN_CHUNK, MAX_CHUNK = 250, 5000


# ---- distributions ------------------------------------------------------------------------


_P = np.array([0.1, 0.9])


def _beta_p10_p90(x: np.ndarray) -> np.ndarray:
    """P10 and P90 of the Beta with mean 1/(1 + e^−x0) and concentration e^x1."""
    m, k = 1.0 / (1.0 + np.exp(-x[0])), np.exp(x[1])
    return special.betaincinv(m * k, (1.0 - m) * k, _P)


def _beta_nested(lo: float, hi: float) -> tuple[float, float]:
    """Beta(a, b) with P10 = lo and P90 = hi by bisection: on the concentration, and for each
    concentration on the mean that puts P10 at lo (slow, always converges)."""

    def mean_for(k: float) -> float:
        a, b = 0.0, 1.0
        for _ in range(80):
            m = (a + b) / 2
            a, b = (m, b) if special.betaincinv(m * k, (1 - m) * k, 0.1) < lo else (a, m)
        return (a + b) / 2

    lk, hk = np.log(1e-3), np.log(1e15)
    for _ in range(80):
        mk = (lk + hk) / 2
        k, m = np.exp(mk), mean_for(np.exp(mk))
        lk, hk = (mk, hk) if special.betaincinv(m * k, (1 - m) * k, 0.9) > hi else (lk, mk)
    k = float(np.exp((lk + hk) / 2))
    m = mean_for(k)
    return m * k, (1 - m) * k


@lru_cache(maxsize=512)
def beta_params(lo: float, hi: float) -> tuple[float, float]:
    """Beta(a, b) whose P10 and P90 are lo and hi (0 < lo < hi < 1)."""
    m = (lo + hi) / 2
    sd = (hi - lo) / (2 * Z90)
    x = np.array([np.log(m / (1 - m)), np.log(max(m * (1 - m) / sd**2 - 1, 0.5))])  # moments as a start
    target, scale = np.array([lo, hi]), hi - lo
    r = (_beta_p10_p90(x) - target) / scale
    for _ in range(100):  # damped Newton on (logit mean, log concentration)
        if np.max(np.abs(r)) < 1e-14:
            break
        jac = np.empty((2, 2))
        for j, e in enumerate(np.eye(2) * 1e-7):
            jac[:, j] = ((_beta_p10_p90(x + e) - target) / scale - r) / 1e-7
        try:
            step = np.linalg.solve(jac, -r)
        except np.linalg.LinAlgError:
            break
        t = 1.0
        while t > 1e-8:
            rn = (_beta_p10_p90(x + t * step) - target) / scale
            if np.all(np.isfinite(rn)) and np.linalg.norm(rn) < np.linalg.norm(r):
                break
            t /= 2
        else:
            break
        x, r = x + t * step, rn
    if not (np.all(np.isfinite(r)) and np.max(np.abs(r)) < 1e-10):
        return _beta_nested(lo, hi)
    m, k = 1.0 / (1.0 + np.exp(-x[0])), np.exp(x[1])
    return float(m * k), float((1 - m) * k)


@lru_cache(maxsize=512)
def gamma_params(lo: float, hi: float) -> tuple[float, float]:
    """Gamma(shape k, scale θ) whose P10 and P90 are lo and hi (0 < lo < hi)."""
    ratio = np.log(hi / lo)
    a, b = np.log(1e-3), np.log(1e15)  # bisection on log k: P90 / P10 falls as k grows
    for _ in range(200):
        mid = (a + b) / 2
        q = special.gammaincinv(np.exp(mid), _P)
        a, b = (mid, b) if np.log(q[1] / q[0]) > ratio else (a, mid)
        if b - a < 1e-15 * max(1.0, abs(mid)):
            break
    k = float(np.exp((a + b) / 2))
    return k, float(lo / special.gammaincinv(k, 0.1))


def lognormal_params(lo: float, hi: float) -> tuple[float, float]:
    """(μ, σ) of the log of a lognormal whose P10 and P90 are lo and hi (0 < lo < hi)."""
    return float((np.log(lo) + np.log(hi)) / 2), float((np.log(hi) - np.log(lo)) / (2 * Z90))


def family(name: str) -> str:
    """The distribution a field's range draws from: beta (rates), gamma (months), lognormal (money,
    counts, integers)."""
    spec = spec_of(name)
    if spec is None:
        raise KeyError(name)
    return {"rate": "beta", "months": "gamma"}.get(spec.kind, "lognormal")


def from_normal(name: str, lo: float, hi: float, z: np.ndarray) -> np.ndarray:
    """Values of a field at standard normal numbers z (its quantile at Φ(z)), from the distribution
    fitted to its (P10, P90) = (lo, hi); clipped to the field's own range, integers rounded."""
    spec = spec_of(name)
    if spec is None:
        raise KeyError(name)
    z = np.asarray(z, float)
    if lo == hi:
        return np.full(z.shape, float(lo))
    fam = family(name)
    if fam == "lognormal":
        mu, sigma = lognormal_params(lo, hi)
        x = np.exp(mu + sigma * z)
    elif fam == "beta":
        a, b = beta_params(lo, hi)
        x = np.empty(z.shape)
        low = z <= 0  # the upper tail through the complement keeps its precision
        x[low] = special.betaincinv(a, b, special.ndtr(z[low]))
        x[~low] = 1 - special.betaincinv(b, a, special.ndtr(-z[~low]))
    else:
        k, theta = gamma_params(lo, hi)
        x = np.empty(z.shape)
        low = z <= 0
        x[low] = theta * special.gammaincinv(k, special.ndtr(z[low]))
        x[~low] = theta * special.gammainccinv(k, special.ndtr(-z[~low]))
    if spec.is_int:
        x = np.round(x)
    floor = np.nextafter(spec.lo, np.inf) if spec.lo_open else spec.lo
    if spec.is_int:
        floor = np.ceil(floor)
    return np.clip(x, floor, spec.hi)


def field_rng(seed: int, name: str) -> np.random.Generator:
    """The random stream of one field: seeded by the seed and a stable hash of the field's dotted name."""
    h = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")
    return np.random.default_rng([int(seed), h])


def standard_normals(scn: Scenario, draws: int, seed: int) -> dict[str, np.ndarray]:
    """Standard normal numbers (draws,) of each field with a range of non-zero width, correlated as
    `[uncertainty.correlations]` says (Cholesky factor of the correlation matrix)."""
    unc = scn.uncertainty
    if unc is None:
        return {}
    names = [k for k, (lo, hi) in unc.ranges.items() if lo != hi]
    z = {k: field_rng(seed, k).standard_normal(draws) for k in names}
    linked = sorted({x for key in unc.correlations for x in key.split("|")} & set(names))
    if linked:
        chol = np.linalg.cholesky(correlation_matrix(unc.correlations, linked))
        mixed = chol @ np.stack([z[k] for k in linked])
        z.update({k: mixed[i] for i, k in enumerate(linked)})
    return z


def sample_inputs(scn: Scenario, draws: int, seed: int) -> dict[str, np.ndarray]:
    """Drawn values (draws,) of every field with a range, in the order of the file's ranges.

    Each field's own P10 and P90 are its range's low and high, with or without correlations."""
    unc = scn.uncertainty
    if unc is None:
        return {}
    z = standard_normals(scn, draws, seed)
    out = {}
    for name, (lo, hi) in unc.ranges.items():
        out[name] = from_normal(name, float(lo), float(hi), z[name] if name in z else np.zeros(draws))
    return out


# ---- quantiles --------------------------------------------------------------------------------


def for_quantiles(metric: str, a: np.ndarray) -> np.ndarray:
    """Undefined values as the quantiles read them: +inf (worst) or 0 for some metrics, else NaN (left out)."""
    if metric in INFINITE_WHEN_UNDEFINED:
        return np.where(np.isnan(a), np.inf, a)
    if metric in ZERO_WHEN_UNDEFINED:
        return np.where(np.isnan(a), 0.0, a)
    return a


def _undefined_in_place(metric: str, a: np.ndarray) -> None:
    """`for_quantiles` without a copy."""
    if metric in INFINITE_WHEN_UNDEFINED:
        np.copyto(a, np.inf, where=np.isnan(a))
    elif metric in ZERO_WHEN_UNDEFINED:
        np.copyto(a, 0.0, where=np.isnan(a))


def _lerp(lo: np.ndarray, hi: np.ndarray, frac: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        v = lo + (hi - lo) * frac
    v = np.where(frac == 0, lo, v)
    v = np.where(np.isinf(hi) & (frac > 0), hi, v)
    return np.where(np.isinf(lo), lo, v)


def _sorted_quantiles(rows: np.ndarray) -> np.ndarray:
    """P10, P50, P90 of each row of `rows` (R, n), already sorted with NaN last: (R, 3)."""
    n = rows.shape[1]
    q = np.array(list(QUANTILES.values()))
    valid = np.full((rows.shape[0], 1), n)
    has_nan = np.isnan(rows[:, -1])  # sorted: a row has a NaN when its last value is one
    if has_nan.any():
        valid[has_nan, 0] = (~np.isnan(rows[has_nan])).sum(axis=1)
    h = np.maximum(valid - 1, 0) * q[None, :]
    lo = np.floor(h).astype(int)
    hi = np.minimum(lo + 1, np.maximum(valid - 1, 0))
    out = _lerp(np.take_along_axis(rows, lo, 1), np.take_along_axis(rows, hi, 1), h - lo)
    return np.where(valid > 0, out, np.nan)


def quantiles(a: np.ndarray) -> np.ndarray:
    """P10, P50, P90 over the draw axis (0) as numpy's "linear" method: (3, *a.shape[1:]).

    NaN draws are left out (all NaN: NaN); infinities are kept (an infinite quantile stays infinite)."""
    n, rest = a.shape[0], a.shape[1:]
    rows = np.sort(np.moveaxis(np.asarray(a, float), 0, -1).reshape(-1, n), axis=1)  # NaN last
    return np.moveaxis(_sorted_quantiles(rows), -1, 0).reshape(len(QUANTILES), *rest)


def _quantiles_in_place(buf: np.ndarray, rules: tuple[str, ...]) -> list[np.ndarray]:
    """Quantiles of each (S[, T], draws) slab of a buffer with draws last, sorted in place: (3, S[, T]) each.

    Undefined values of slab i count as `for_quantiles(rules[i], …)` says; an infinite quantile becomes NaN."""
    for i, k in enumerate(rules):
        _undefined_in_place(k, buf[i])
    buf.sort(axis=-1)
    q = _sorted_quantiles(buf.reshape(-1, buf.shape[-1])).reshape(*buf.shape[:-1], len(QUANTILES))
    return list(_nan_for_inf(np.moveaxis(q, -1, 1)))  # (3, S[, T]) each


def _nan_for_inf(a: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(a), a, np.nan)


# ---- Monte Carlo ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonteCarlo:
    """Quantiles of every summary metric and of the charts' monthly series, and who-wins shares.

    Arrays have a strategy axis S in `STRATEGIES` order; an absent strategy's entries are NaN.
    Undefined values are NaN (never infinite): a quantile that is "infinitely bad" (the CAC's P90
    when over 10 % of draws win no customer) is NaN here and None in JSON. Monthly quantiles,
    `samples` and `inputs` cover the first min(draws, MAX_KEPT) draws (a random subsample, as
    the draws are independent); summary quantiles and probabilities cover every draw."""

    draws: int
    seed: int
    present: dict[str, bool]  # which strategies exist
    inputs: dict[str, np.ndarray] = field(repr=False)  # field → its drawn values (≤ MAX_KEPT,)
    summary_q: dict[str, np.ndarray] = field(repr=False)  # metric → (3 quantiles, S)
    monthly_q: dict[str, np.ndarray] = field(repr=False)  # series → (3 quantiles, S, T)
    probabilities: dict[str, Any]  # buy_beats_generate_cac, buy_beats_generate_roi, best_npv
    samples: dict[str, np.ndarray] = field(repr=False)  # metric → (≤ MAX_KEPT, S), NaN where undefined

    @property
    def strategies(self) -> list[str]:
        return [s for s in STRATEGIES if self.present[s]]

    def quantile(self, strategy: str, metric: str, q: str = "p50") -> float | None:
        """One quantile of one summary metric; None when undefined or the strategy is absent."""
        if not self.present.get(strategy):
            return None
        return clean(self.summary_q[metric][list(QUANTILES).index(q), STRATEGIES.index(strategy)])

    def quantiles_dict(self) -> dict[str, dict[str, dict[str, float | None]] | None]:
        """{strategy: {metric: {"p10", "p50", "p90"}}} for every summary metric; None for an absent strategy."""
        out: dict[str, dict[str, dict[str, float | None]] | None] = {}
        for j, s in enumerate(STRATEGIES):
            if not self.present[s]:
                out[s] = None
                continue
            out[s] = {m: {k: clean(self.summary_q[m][i, j]) for i, k in enumerate(QUANTILES)} for m in SUMMARY}
        return out

    def monthly_quantiles_dict(self) -> dict[str, dict[str, dict[str, list[float | None]]] | None]:
        """{strategy: {series: {"p10": [month 1 …], "p50", "p90"}}}; None for an absent strategy
        (and for every strategy when the run skipped the monthly series)."""
        out: dict[str, dict[str, dict[str, list[float | None]]] | None] = {}
        for j, s in enumerate(STRATEGIES):
            if not self.present[s] or not self.monthly_q:
                out[s] = None
                continue
            out[s] = {
                k: {q: [clean(v) for v in self.monthly_q[k][i, j]] for i, q in enumerate(QUANTILES)}
                for k in self.monthly_q
            }
        return out

    def to_json(self) -> dict[str, Any]:
        """The Monte Carlo part of the `run` document: draws and seed, quantiles, probabilities (JSON-safe)."""
        return {
            "uncertainty": {"draws": self.draws, "seed": self.seed},
            "quantiles": self.quantiles_dict(),
            "probabilities": self.probabilities,
        }


def chunk_size(p: Params, strategies: int) -> int:
    """Draws evaluated at a time, so that one (draws, S, C, T) array stays near CHUNK_ELEMENTS."""
    per_draw = max(1, strategies * p.n_channels * p.horizon)
    return int(np.clip(CHUNK_ELEMENTS // per_draw, MIN_CHUNK, MAX_CHUNK))


def _slice(p: Params, i: int, j: int) -> Params:
    """Draws i … j − 1 of the per-draw arrays (one-draw arrays as they are)."""
    cut = lambda v: v[i:j] if v.shape[0] > 1 else v  # noqa: E731
    return replace(p, scalar={k: cut(v) for k, v in p.scalar.items()}, chan={k: cut(v) for k, v in p.chan.items()})


def _probabilities(summary: dict[str, np.ndarray], present: dict[str, bool]) -> dict[str, Any]:
    g, b = STRATEGIES.index("generate"), STRATEGIES.index("buy")
    both = present["generate"] and present["buy"]
    cac = for_quantiles("cac", summary["cac"])
    roi = np.where(np.isnan(summary["roi"]), -np.inf, summary["roi"])
    idx = [i for i, s in enumerate(STRATEGIES) if present[s]]
    npv = summary["npv_lifetime"][:, idx]
    npv = np.where(np.isnan(npv), -np.inf, npv)
    best = npv.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        tie = np.where(np.isfinite(best), npv >= best - 1e-12 * np.abs(best), npv == best)
    share = (tie / tie.sum(axis=1, keepdims=True)).mean(axis=0)  # a tie splits its draw evenly
    return {
        "buy_beats_generate_cac": float(np.mean(cac[:, b] < cac[:, g])) if both else None,
        "buy_beats_generate_roi": float(np.mean(roi[:, b] > roi[:, g])) if both else None,
        "best_npv": {STRATEGIES[i]: float(v) for i, v in zip(idx, share, strict=True)},
    }


WORKERS = min(2, os.cpu_count() or 1)  # chunks evaluated at once


def monte_carlo(
    scn: Scenario,
    draws: int | None = None,
    seed: int | None = None,
    *,
    monthly: bool = True,
    chunk: int | None = None,
) -> MonteCarlo:
    """Evaluate every draw of the scenario's ranges for the three strategies.

    draws and seed default to the file's `[uncertainty]`, else 2000 and 1; the same seed gives the
    same numbers, however many draws are evaluated at a time (`chunk`, by default sized so memory
    stays bounded). Summary quantiles and probabilities use every draw; monthly quantiles, samples
    and inputs use the first min(draws, 10,000) draws. `monthly=False` skips the monthly series
    (`monthly_q` is then empty), for callers that print only the summary, such as the CLI's JSON."""
    unc = scn.uncertainty
    n = int(draws if draws is not None else (unc.draws if unc else DEFAULT_DRAWS))
    s = int(seed if seed is not None else (unc.seed if unc else DEFAULT_SEED))
    if n < 1:
        raise ValueError(f"draws: {n} is not allowed; at least 1")
    inputs = sample_inputs(scn, n, s)
    varying = {k: v for k, v in inputs.items() if v.shape[0] > 1 and np.any(v != v[0])}

    base = params_of(scn)
    for k, v in inputs.items():
        if k not in varying:  # a fixed value: one draw stands for all
            base = base.set(k, v[:1])
    for k, v in varying.items():
        base = base.set(k, v)

    alloc, present = strategy_allocations(scn)
    idx = [i for i, st in enumerate(STRATEGIES) if present[st]]
    S, T = len(STRATEGIES), scn.horizon_months
    n_eval = n if varying else 1  # no draw differs: evaluate one and broadcast
    kept = min(n, MAX_KEPT)
    step = chunk if chunk is not None else chunk_size(base, len(idx))

    # results are stored draws last, so that their quantiles sort in place without a copy
    summ_buf = np.full((len(SUMMARY), S, n_eval), np.nan)
    series_q = MONTHLY_Q_SERIES if monthly else ()
    ser_buf = np.full((len(series_q), S, T, min(n_eval, kept)), np.nan)
    width = max(1, int(step))
    if chunk is None and WORKERS > 1 and n_eval > width:  # equal chunks, a multiple of the workers
        rounds = -(-n_eval // (width * WORKERS))
        width = -(-n_eval // (rounds * WORKERS))

    def one_chunk(i: int) -> None:  # writes draws i … j − 1 of the buffers, nothing else
        j = min(n_eval, i + width)
        m, summ = evaluate(_slice(base, i, j), alloc[idx])
        for mi, k in enumerate(SUMMARY):
            summ_buf[mi, idx, i:j] = summ[k].T
        if series_q and i < kept:
            r = min(j, kept) - i
            series = {"customers": m.series["customers"], "pipeline": m.series["pipeline"], **cumulative(m)}
            for si, k in enumerate(series_q):
                ser_buf[si, idx, :, i : i + r] = np.moveaxis(series[k][:r], 0, -1)

    starts = list(range(0, n_eval, width))
    if len(starts) > 1 and WORKERS > 1:  # numpy releases the GIL on large arrays: chunks overlap on two cores
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            list(pool.map(one_chunk, starts))
    else:
        for i in starts:
            one_chunk(i)

    summary = {k: summ_buf[mi].T for mi, k in enumerate(SUMMARY)}  # (draws, S) views
    probabilities = _probabilities(summary, present)
    samples = {k: np.array(np.broadcast_to(summary[k][:kept], (kept, S))) for k in SAMPLE_METRICS}
    del summary
    summary_q = dict(zip(SUMMARY, _quantiles_in_place(summ_buf, SUMMARY), strict=True))
    # CAC to date before the first customer counts as infinite, like an undefined CAC
    rules = tuple("cac" if k == "cac_to_date" else k for k in series_q)
    monthly_q = dict(zip(series_q, _quantiles_in_place(ser_buf, rules), strict=True))
    return MonteCarlo(
        draws=n,
        seed=s,
        present=present,
        inputs={k: v[:kept].copy() for k, v in inputs.items()},
        summary_q=summary_q,
        monthly_q=monthly_q,
        probabilities=probabilities,
        samples=samples,
    )
