"""Monte Carlo over input ranges: fit each range's distribution, sample, evaluate all draws at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import optimize, stats

from .model import MONTHLY, STRATEGIES, SUMMARY, cumulative, params_of, simulate, summarize
from .results import clean
from .schema import FIELDS, RANGEABLE, Scenario

Z90 = float(stats.norm.ppf(0.9))
QUANTILES = {"p10": 0.1, "p50": 0.5, "p90": 0.9}

# Metrics whose undefined value means "infinitely bad or late" (no customers, never paid back).
INFINITE_WHEN_UNDEFINED = {"cac", "cac_eventual", "cpl", "payback_month"}
ZERO_WHEN_UNDEFINED = {"ltv_to_cac"}  # LTV ÷ an infinite CAC

# Monthly series with quantiles: the model's figures plus the cumulative ones the charts use.
SERIES = (*MONTHLY, "cumulative_customers", "cumulative_net", "cac_to_date")


# ---- distributions ------------------------------------------------------------------------


@lru_cache(maxsize=512)
def beta_params(lo: float, hi: float) -> tuple[float, float]:
    """Beta(a, b) whose P10 and P90 are lo and hi (0 < lo < hi < 1)."""
    m = (lo + hi) / 2
    sd = (hi - lo) / (2 * Z90)
    k0 = max(m * (1 - m) / sd**2 - 1, 0.5)
    x0 = np.array([np.log(m / (1 - m)), np.log(k0)])

    def resid(x: np.ndarray) -> np.ndarray:
        mean, conc = 1 / (1 + np.exp(-x[0])), np.exp(x[1])
        a, b = mean * conc, (1 - mean) * conc
        return np.array([stats.beta.ppf(0.1, a, b) - lo, stats.beta.ppf(0.9, a, b) - hi]) / (hi - lo)

    sol = optimize.least_squares(resid, x0, xtol=1e-14, ftol=1e-14, gtol=1e-14)
    mean, conc = 1 / (1 + np.exp(-sol.x[0])), np.exp(sol.x[1])
    return float(mean * conc), float((1 - mean) * conc)


@lru_cache(maxsize=512)
def gamma_params(lo: float, hi: float) -> tuple[float, float]:
    """Gamma(shape k, scale θ) whose P10 and P90 are lo and hi (0 < lo < hi)."""
    ratio = np.log(hi / lo)

    def f(logk: float) -> float:
        k = np.exp(logk)
        return np.log(stats.gamma.ppf(0.9, k) / stats.gamma.ppf(0.1, k)) - ratio

    logk = optimize.brentq(f, np.log(0.02), np.log(1e9), xtol=1e-13)
    k = float(np.exp(logk))
    return k, float(lo / stats.gamma.ppf(0.1, k))


def lognormal_params(lo: float, hi: float) -> tuple[float, float]:
    """(μ, σ) of the log of a lognormal whose P10 and P90 are lo and hi (0 < lo < hi)."""
    return (np.log(lo) + np.log(hi)) / 2, (np.log(hi) - np.log(lo)) / (2 * Z90)


def family(name: str) -> str:
    """The distribution a field's range draws from: beta (rates), gamma (months), lognormal (money, counts)."""
    kind = FIELDS[name].kind
    return {"rate": "beta", "months": "gamma"}.get(kind, "lognormal")


def ppf(name: str, lo: float, hi: float, u: np.ndarray) -> np.ndarray:
    """Values of a field at uniform numbers u, from the distribution fitted to its (P10, P90)."""
    if lo == hi:
        return np.full(u.shape, float(lo))
    fam = family(name)
    if fam == "beta":
        a, b = beta_params(lo, hi)
        x = stats.beta.ppf(u, a, b)
    elif fam == "gamma":
        k, theta = gamma_params(lo, hi)
        x = stats.gamma.ppf(u, k, scale=theta)
    else:
        mu, sigma = lognormal_params(lo, hi)
        x = np.exp(mu + sigma * stats.norm.ppf(u))
    spec = FIELDS[name]
    floor = np.nextafter(spec.lo, np.inf) if spec.lo_open else spec.lo
    return np.clip(x, floor, spec.hi)  # the tails stay inside the field's own range


def sample_inputs(scn: Scenario, draws: int, seed: int) -> dict[str, np.ndarray]:
    """Parameter arrays: (draws,) for fields with a range, (1,) central values for the rest.

    Each field has its own random stream (seeded by seed and the field's position), so adding
    a range to one field does not change the draws of another."""
    p = params_of(scn)
    ranges = scn.uncertainty.ranges if scn.uncertainty else {}
    for name, (lo, hi) in ranges.items():
        rng = np.random.default_rng([seed, RANGEABLE.index(name)])
        p[name] = ppf(name, float(lo), float(hi), rng.random(draws))
    return p


# ---- Monte Carlo ------------------------------------------------------------------------------


def _for_quantiles(metric: str, a: np.ndarray) -> np.ndarray:
    if metric in INFINITE_WHEN_UNDEFINED:
        return np.where(np.isnan(a), np.inf, a)
    if metric in ZERO_WHEN_UNDEFINED:
        return np.where(np.isnan(a), 0.0, a)
    return a


def _quantiles(a: np.ndarray) -> np.ndarray:
    """P10, P50, P90 over the draw axis (0); NaN draws are left out, infinities kept.

    Figures constant over the months (a broadcast last axis) are summarised once."""
    if a.ndim == 3 and a.shape[-1] > 1 and a.strides[-1] == 0:
        return np.broadcast_to(_quantiles(a[..., :1]), (3, *a.shape[1:]))
    if a.shape[0] > 1 and a.strides[0] == 0:  # the same in every draw
        return np.broadcast_to(a[0], (3, *a.shape[1:]))
    q = list(QUANTILES.values())
    with np.errstate(invalid="ignore"):
        if not np.isnan(a).any():
            return np.quantile(a, q, axis=0, method="linear")
        return np.nanquantile(a, q, axis=0, method="linear")


@dataclass(frozen=True)
class MonteCarlo:
    """Quantiles of every summary metric and monthly series, and who-beats-whom shares."""

    draws: int
    seed: int
    inputs: dict[str, np.ndarray]  # sampled values of the fields with a range
    summary_q: dict[str, np.ndarray]  # metric → (3 quantiles, S)
    monthly_q: dict[str, np.ndarray]  # series → (3 quantiles, S, T)
    probabilities: dict[str, float]
    samples: dict[str, np.ndarray] = field(repr=False)  # metric → (N, S), for distributions

    def quantiles_dict(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {
            s: {m: {k: clean(self.summary_q[m][i, j]) for i, k in enumerate(QUANTILES)} for m in SUMMARY}
            for j, s in enumerate(STRATEGIES)
        }

    def monthly_quantiles_dict(self) -> dict[str, dict[str, dict[str, list]]]:
        return {
            s: {k: {q: [clean(v) for v in self.monthly_q[k][i, j]] for i, q in enumerate(QUANTILES)} for k in SERIES}
            for j, s in enumerate(STRATEGIES)
        }


def monte_carlo(scn: Scenario, draws: int | None = None, seed: int | None = None) -> MonteCarlo:
    """Evaluate all draws of the scenario's ranges at once."""
    unc = scn.uncertainty
    n = int(draws if draws is not None else (unc.draws if unc else 2000))
    s = int(seed if seed is not None else (unc.seed if unc else 1))
    p = sample_inputs(scn, n, s)
    monthly = simulate(p, scn.horizon_months)
    summary = summarize(p, monthly)
    # one draw of a scenario without ranges stands for all of them
    summary = {k: np.broadcast_to(v, (n, v.shape[1])) for k, v in summary.items()}
    series = {**monthly, **cumulative(monthly)}
    series["cac_to_date"] = _for_quantiles("cac", series["cac_to_date"])
    monthly_q = {k: _quantiles(np.broadcast_to(series[k], (n, *series[k].shape[1:]))) for k in SERIES}
    samples = {m: _for_quantiles(m, summary[m]) for m in SUMMARY}
    summary_q = {m: _quantiles(samples[m]) for m in SUMMARY}
    g, b = STRATEGIES.index("generate"), STRATEGIES.index("buy")
    roi = np.where(np.isnan(summary["roi"]), -np.inf, summary["roi"])
    probabilities = {
        "buy_beats_generate_cac": float(np.mean(samples["cac"][:, b] < samples["cac"][:, g])),
        "buy_beats_generate_roi": float(np.mean(roi[:, b] > roi[:, g])),
    }
    inputs = {k: v for k, v in p.items() if v.shape[0] == n and unc and k in unc.ranges}
    return MonteCarlo(n, s, inputs, summary_q, monthly_q, probabilities, samples)
