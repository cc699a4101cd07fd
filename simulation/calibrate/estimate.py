"""The fits, per channel: stage rates (closed leads, Jeffreys Beta posterior), nurture time (censored
maximum likelihood of the engine's own lag distribution), Kaplan–Meier, monthly volume and CPL."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize, stats

from ..engine.funnel import lag_pmf, lag_survival
from ..metrics import clean
from ..schema import Scenario
from .errors import CalibrationError, quote
from .leads import (
    LOST,
    NO_DAY,
    OPEN,
    WON,
    calendar_month,
    check_columns,
    date_of,
    month_text,
    months_between,
    prepare,
)
from .mapping import Mapping, source_kinds
from .reader import Export

RATES = ("lead_to_mql", "mql_to_sql", "sql_to_customer")
MIN_CLOSED = 30  # below this many closed leads a channel's fit gets a warning
NURTURE_MAX = 36.0  # the schema's upper bound for nurture_months
Z90 = 1.2815515655446004  # the standard normal's P90: P10/P90 = an 80 % interval
PRIOR = 0.5  # Jeffreys prior Beta(½, ½) for every rate
RATE_CAP = 1.0 - 1e-4  # a rate divided by kept rates stays below 1 (a Beta range needs high < 1)


@dataclass(frozen=True)
class RateFit:
    """One stage rate: the point value, its P10/P50/P90, and the counts it comes from.

    ``fitted`` is False for a rate kept from the base (the export has no date for its stage);
    ``scale`` is the product of the kept rates the fitted conversion was divided by (1 when the
    rate is fitted directly); ``k`` of ``n`` closed leads made the conversion."""

    name: str
    value: float
    p10: float | None = None
    p50: float | None = None
    p90: float | None = None
    k: int = 0
    n: int = 0
    fitted: bool = True
    scale: float = 1.0
    basis: str = ""

    def to_json(self) -> dict[str, Any]:
        return {k: clean(v) if isinstance(v, float) else v for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class NurtureFit:
    """Nurture time: the censored-ML mean of the lag, its P10/P90 (likelihood ratio), and the curves.

    ``months`` 0…K; ``km`` the Kaplan–Meier estimate of P(L > k); ``model`` the fitted lag's P(L > k);
    ``closed`` leads with an observed lag, ``censored`` open leads."""

    value: float
    p10: float
    p90: float
    closed: int
    censored: int
    months: list[int]
    km: list[float]
    model: list[float]
    at_bound: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "value": clean(self.value), "p10": clean(self.p10), "p90": clean(self.p90), "closed": self.closed,
            "censored": self.censored, "at_bound": self.at_bound,
            "curve": {"months": self.months, "kaplan_meier": [clean(x) for x in self.km],
                      "model": [clean(x) for x in self.model]},
        }  # fmt: skip


@dataclass(frozen=True)
class ChannelFit:
    """Everything fitted for one channel."""

    channel: str
    kind: str
    label: str
    sources: list[str]
    new: bool
    leads: int
    open: int
    won: int
    lost: int
    rates: dict[str, RateFit]
    nurture: NurtureFit | None
    months: list[str]
    volume: list[int]
    spend: float | None = None
    spend_leads: int | None = None
    spend_months: int | None = None
    cpl: float | None = None
    amount_won_mean: float | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def closed(self) -> int:
        return self.won + self.lost

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel, "kind": self.kind, "label": self.label, "sources": list(self.sources),
            "new": self.new,
            "sample": {"leads": self.leads, "closed": self.closed, "won": self.won, "lost": self.lost,
                       "open": self.open},
            "rates": {k: r.to_json() for k, r in self.rates.items()},
            "nurture": self.nurture.to_json() if self.nurture else None,
            "volume": {"months": list(self.months), "leads": list(self.volume)},
            "spend": clean(self.spend), "spend_leads": self.spend_leads, "spend_months": self.spend_months,
            "cpl": clean(self.cpl),
            "amount_won_mean": clean(self.amount_won_mean), "warnings": list(self.warnings),
        }  # fmt: skip


@dataclass(frozen=True)
class Calibration:
    """A fit of every mapped channel, the export date, and the warnings (file-level first)."""

    channels: dict[str, ChannelFit]
    export_date: dt.date
    export_date_given: bool
    stages: list[str]
    rows: int
    leads: int
    warnings: list[str]

    def all_warnings(self) -> list[str]:
        return [*self.warnings, *(w for c in self.channels.values() for w in c.warnings)]

    def to_json(self) -> dict[str, Any]:
        return {
            "export_date": self.export_date.isoformat(), "export_date_given": self.export_date_given,
            "stages": list(self.stages), "rows": self.rows, "leads": self.leads,
            "channels": {cid: c.to_json() for cid, c in self.channels.items()},
            "warnings": list(self.warnings),
        }  # fmt: skip


# ---- rates --------------------------------------------------------------------------------------


def beta_quantiles(k: np.ndarray, n: np.ndarray, probs: tuple[float, ...] = (0.1, 0.5, 0.9)) -> np.ndarray:
    """Quantiles of the Jeffreys posterior Beta(k + ½, n − k + ½) of a binomial rate: (len(probs), …)."""
    k = np.asarray(k, float)
    n = np.asarray(n, float)
    return np.stack([stats.beta.ppf(p, k + PRIOR, n - k + PRIOR) for p in probs])


def rate_fit(name: str, k: int, n: int, scale: float, basis: str) -> RateFit:
    """A rate fitted as (k / n) / scale with its Jeffreys quantiles divided by the same scale.

    The value is k / n, except at k = 0 or k = n, where it is the posterior median: a Beta range
    cannot hold a rate of exactly 0 or 1."""
    p10, p50, p90 = (min(float(x) / scale, RATE_CAP) for x in beta_quantiles(k, n))
    value = k / n / scale if 0 < k < n else p50
    return RateFit(name=name, value=value, p10=p10, p50=p50, p90=p90, k=int(k), n=int(n), fitted=True, scale=scale,
                   basis=basis)  # fmt: skip


# ---- nurture time -------------------------------------------------------------------------------


def _loglik(n: float, lag_k: np.ndarray, lag_c: np.ndarray, cen_k: np.ndarray, cen_c: np.ndarray) -> float:
    """Log-likelihood of nurture n: closed leads with lag k, open leads with elapsed months k.

    An open lead τ months old (round(days / 30.44)) has a lag above τ − ½ months: P(L > τ) + ½ P(L = τ)."""
    nn = np.float64(n)
    with np.errstate(divide="ignore"):
        ll = lag_c @ np.log(np.maximum(lag_pmf(lag_k, nn), 1e-300))
        if cen_k.size:
            tail = lag_survival(cen_k, nn) + 0.5 * lag_pmf(cen_k, nn)
            ll += cen_c @ np.log(np.maximum(tail, 1e-300))
    return float(ll)


def fit_nurture(lags: np.ndarray, elapsed: np.ndarray) -> tuple[float, float, float, bool]:
    """Censored ML of nurture_months and its P10/P90 from the likelihood ratio (an 80 % interval:
    2·(ℓ̂ − ℓ) ≤ 1.2816²); `lags` of closed leads and `elapsed` months of open leads, whole months."""
    lc = np.bincount(lags)
    cc = np.bincount(elapsed) if elapsed.size else np.zeros(0, dtype=np.int64)
    lk = np.flatnonzero(lc).astype(float)
    ck = np.flatnonzero(cc).astype(float)
    args = (lk, lc[lc > 0].astype(float), ck, cc[cc > 0].astype(float))

    def nll(n: float) -> float:
        return -_loglik(n, *args)

    grid = np.concatenate([[0.0], np.geomspace(0.01, NURTURE_MAX, 80)])
    vals = np.array([nll(g) for g in grid])
    i = int(np.argmin(vals))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    if hi > lo:
        res = optimize.minimize_scalar(nll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-7})
        best = float(res.x) if res.fun <= vals[i] else float(grid[i])
    else:
        best = float(grid[i])
    top = -nll(best)
    drop = Z90**2 / 2.0

    def gap(n: float) -> float:
        return top - _loglik(n, *args) - drop

    p10 = 0.0 if gap(0.0) <= 0 else float(optimize.brentq(gap, 0.0, best, xtol=1e-9)) if best > 0 else 0.0
    p90 = NURTURE_MAX if gap(NURTURE_MAX) <= 0 else float(optimize.brentq(gap, best, NURTURE_MAX, xtol=1e-9))
    at_bound = best >= NURTURE_MAX - 1e-6
    return best, p10, p90, at_bound


def kaplan_meier(lags: np.ndarray, elapsed: np.ndarray, last: int) -> np.ndarray:
    """Discrete Kaplan–Meier estimate of P(L > k), k = 0 … last: closes at month k over the leads at risk
    at k (closed at k or later, open with k or more months elapsed; an open lead is at risk at its own
    month, as lifelines counts it)."""
    size = max(last + 1, int(lags.max(initial=0)) + 1, int(elapsed.max(initial=0)) + 1)
    d = np.bincount(lags, minlength=size).astype(float)
    c = np.bincount(elapsed, minlength=size).astype(float) if elapsed.size else np.zeros(size)
    at_risk = np.cumsum((d + c)[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(at_risk > 0, 1.0 - d / np.where(at_risk > 0, at_risk, 1.0), 1.0)
    return np.cumprod(step)[: last + 1]


# ---- the fit ------------------------------------------------------------------------------------


def _template(kind: str) -> Any:
    from ..presets import DEFAULT_PRESET, load_preset

    scn = load_preset(DEFAULT_PRESET)
    for ch in scn.channel.values():
        if ch.kind == kind:
            return ch
    return next(iter(scn.channel.values()))


def _segments(stages: list[str]) -> list[tuple[str, str, list[str]]]:
    """Observed checkpoints lead → [mql] → [sql] → won as segments: (from, to, the model rates it spans)."""
    span = {("lead", "mql"): ["lead_to_mql"], ("lead", "sql"): ["lead_to_mql", "mql_to_sql"],
            ("lead", "won"): list(RATES), ("mql", "sql"): ["mql_to_sql"],
            ("mql", "won"): ["mql_to_sql", "sql_to_customer"], ("sql", "won"): ["sql_to_customer"]}  # fmt: skip
    points = ["lead", *stages, "won"]
    return [(a, b, span[(a, b)]) for a, b in zip(points, points[1:], strict=False)]


def fit(export: Export, mapping: Mapping, base: Scenario | None = None, spend: Any = None,
        today: dt.date | None = None) -> Calibration:  # fmt: skip
    """Fit every channel the mapping's sources name. `base` defaults to the default preset; `spend` is a
    Spend (read_spend) or None; `today` bounds the export date when the mapping gives none.

    Raises CalibrationError (one line per problem) for what cannot be fitted."""
    if base is None:
        from ..presets import DEFAULT_PRESET, load_preset

        base = load_preset(DEFAULT_PRESET)
    kinds, problems = source_kinds(mapping, base)
    problems = check_columns(export, mapping) + problems
    channels = list(kinds)
    if not channels and "source" in mapping.columns:
        problems.append("sources: no source is mapped to a channel; list the export's sources in [sources]")
    if problems:
        raise CalibrationError(problems)
    leads, warnings = prepare(export, mapping, channels, today=today)
    stages = [s for s in ("mql", "sql") if getattr(leads, s) is not None]
    C = len(channels)
    ch = leads.channel
    state = leads.state
    closed = state != OPEN
    counts = {s: np.bincount(ch[state == s], minlength=C) for s in (OPEN, LOST, WON)}
    reached = {"lead": np.ones(len(ch), dtype=bool), "won": state == WON}
    for s in stages:
        reached[s] = getattr(leads, s)
    seg_n = {}
    seg_k = {}
    for a, b, _ in _segments(stages):
        seg_n[(a, b)] = np.bincount(ch[closed & reached[a]], minlength=C)
        seg_k[(a, b)] = np.bincount(ch[closed & reached[a] & reached[b]], minlength=C)
    # nurture: closed leads with a close date, open leads censored at the export date
    has_lag = closed & (leads.closed != NO_DAY)
    lag = months_between(leads.created, np.where(has_lag, leads.closed, leads.created))
    elapsed = months_between(leads.created, leads.export_day)
    # monthly volume
    month = calendar_month(leads.created)
    m0, m1 = int(month.min()), int(calendar_month(np.array([leads.export_day]))[0])
    vol = np.bincount(ch * (m1 - m0 + 1) + (month - m0), minlength=C * (m1 - m0 + 1)).reshape(C, -1)
    month_names = [month_text(m) for m in range(m0, m1 + 1)]
    spend_by = _spend(spend, mapping, channels, vol, m0, m1, warnings)
    src_names: dict[str, list[str]] = {}
    for value, t in mapping.sources.items():
        src_names.setdefault(t.channel, []).append(value)
    out: dict[str, ChannelFit] = {}
    for c, cid in enumerate(channels):
        kind = kinds[cid]
        existing = base.channel.get(cid)
        ref = existing if existing is not None else _template(kind)
        cw: list[str] = []
        rates: dict[str, RateFit] = {}
        for a, b, span in _segments(stages):
            kept = span[:-1]
            scale = 1.0
            for r in kept:
                v = float(getattr(ref, r))
                scale *= v
                rates[r] = RateFit(name=r, value=v, fitted=False, basis="kept from the base scenario"
                                   if existing is not None else "the default preset's value for its kind")  # fmt: skip
            name = span[-1]
            n, k = int(seg_n[(a, b)][c]), int(seg_k[(a, b)][c])
            basis = f"{k:,} of {n:,} closed leads" + ("" if a == "lead" else f" that reached {a.upper()}")
            if n == 0 or scale <= 0:
                rates[name] = RateFit(name=name, value=float(getattr(ref, name)), fitted=False,
                                      basis=f"no closed lead {('that reached ' + a.upper()) if a != 'lead' else ''}"
                                            .strip() + "; kept")  # fmt: skip
                cw.append(f"channel {cid}: no closed lead to fit {name} from; {name} kept at {getattr(ref, name):g}")
                continue
            fitted = rate_fit(name, k, n, scale, basis)
            if k / n > scale:  # the observed conversion needs a rate above 1
                kept_text = " · ".join(f"{r} {rates[r].value:g}" for r in kept)
                problems.append(
                    f"channel {cid}: {k:,} of {n:,} closed leads were won ({k / n:.1%}), more than {kept_text} "
                    f"allows; {name} would be {k / n / scale:.2f} (above 1): lower the kept rates in the base or add "
                    "MQL and SQL date columns"
                )
            rates[name] = fitted
        rates = {r: rates[r] for r in RATES}
        n_closed = int(counts[WON][c] + counts[LOST][c])
        if n_closed < MIN_CLOSED:
            cw.append(f"channel {cid}: {n_closed} closed leads (fewer than {MIN_CLOSED}); its rates are rough — see "
                      "their ranges")  # fmt: skip
        nurture = None
        sel = ch == c
        lags_c = lag[sel & has_lag]
        open_c = elapsed[sel & ~closed]
        if lags_c.size:
            best, p10, p90, at_bound = fit_nurture(lags_c, open_c)
            last = int(min(max(lags_c.max(initial=0), open_c.max(initial=0), math.ceil(p90 * 3)), 120))
            months = np.arange(last + 1)
            km = kaplan_meier(lags_c, open_c, last)
            model = lag_survival(months.astype(float), np.float64(best))
            nurture = NurtureFit(value=best, p10=p10, p90=p90, closed=int(lags_c.size), censored=int(open_c.size),
                                 months=months.tolist(), km=km.tolist(), model=np.asarray(model).tolist(),
                                 at_bound=at_bound)  # fmt: skip
            if at_bound:
                cw.append(
                    f"channel {cid}: the fitted nurture time reaches the allowed maximum of {NURTURE_MAX:g} months"
                )
        else:
            cw.append(f"channel {cid}: no closed lead with a close date; nurture_months kept at {ref.nurture_months:g}")
        amount = None
        if leads.amount is not None:
            a = leads.amount[sel & (state == WON)]
            a = a[np.isfinite(a)]
            amount = float(a.mean()) if a.size else None
        sp = spend_by.get(cid)
        values = src_names[cid]
        label = existing.label if existing is not None else (values[0].strip()[:40] if len(values) == 1 else cid)
        out[cid] = ChannelFit(
            channel=cid, kind=kind, label=label, sources=values, new=existing is None, leads=int(sel.sum()),
            open=int(counts[OPEN][c]), won=int(counts[WON][c]), lost=int(counts[LOST][c]), rates=rates,
            nurture=nurture, months=month_names, volume=vol[c].tolist(),
            spend=sp[0] if sp else None, spend_leads=sp[1] if sp else None, spend_months=sp[2] if sp else None,
            cpl=(sp[0] / sp[1] if sp and sp[1] > 0 else None), amount_won_mean=amount, warnings=cw,
        )  # fmt: skip
        if sp and sp[1] == 0:
            cw.append(f"channel {cid}: spend {sp[0]:,.2f} but no leads in the months it was spent; no cost per lead")
        if int(sel.sum()) == 0:
            cw.append(f"channel {cid}: no lead of its sources in the export")
    if problems:
        raise CalibrationError(problems)
    return Calibration(channels=out, export_date=date_of(leads.export_day), export_date_given=leads.export_date_given,
                       stages=stages, rows=export.rows, leads=len(ch), warnings=warnings)  # fmt: skip


def _spend(spend: Any, mapping: Mapping, channels: list[str], vol: np.ndarray, m0: int, m1: int,
           warnings: list[str]) -> dict[str, tuple[float, int, int]]:  # fmt: skip
    """Channel → (spend, leads in the months with spend, months with spend), from a Spend table."""
    if spend is None:
        return {}
    from .mapping import norm

    index = {norm(v): t.channel for v, t in mapping.sources.items()}
    out: dict[str, list] = {}
    months_seen: dict[str, set[int]] = {}
    unmapped: dict[str, float] = {}
    outside = 0
    for src, m, amount in zip(spend.source, spend.month, spend.spend, strict=True):
        cid = index.get(norm(src))
        if cid is None:
            unmapped[src] = unmapped.get(src, 0.0) + amount
            continue
        entry = out.setdefault(cid, [0.0, 0])
        entry[0] += amount
        if m in months_seen.setdefault(cid, set()):
            continue
        months_seen[cid].add(m)
        if m0 <= m <= m1:
            entry[1] += int(vol[channels.index(cid), m - m0])
        else:
            outside += 1
    if unmapped:
        shown = ", ".join(quote(k, 40) for k in list(unmapped)[:5])
        warnings.append(f"spend: {len(unmapped)} sources not in [sources] ignored ({shown})")
    if outside:
        warnings.append(f"spend: {outside} source-months outside the export's months {month_text(m0)} … "
                        f"{month_text(m1)} count with 0 leads")  # fmt: skip
    return {k: (float(v[0]), int(v[1]), len(months_seen[k])) for k, v in out.items()}


__all__ = ["Calibration", "ChannelFit", "NurtureFit", "RateFit", "beta_quantiles", "fit", "fit_nurture", "kaplan_meier"]
