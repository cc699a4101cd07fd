"""The sentences that explain results — the verdict and how sure — written once for the CLI and the app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .metrics import METRICS, STRATEGY_LABELS, fmt, money_short

if TYPE_CHECKING:  # pragma: no cover
    from .analyses.montecarlo import MonteCarlo
    from .results import Result

EARLY_MONTH = 6  # "this quarter's customers": the trade-off looks at the first half year


@dataclass(frozen=True)
class Verdict:
    """The answer first: which strategy to choose, why, the trade-off, how sure."""

    best: str | None  # strategy with the most lifetime value; None when nothing can be said
    headline: str  # "Generate creates the most lifetime value: 6.9 M against 6.7 M for Blend."
    reason: str  # why, in one clause
    tradeoff: str | None  # "Buy wins 34 customers by month 6 against 17: choose it if …"
    sureness: str  # how sure (or that no input has a range)
    blend: str  # what Blend is in this scenario

    @property
    def sentence(self) -> str:
        """The verdict as one short paragraph."""
        parts = [self.headline, self.reason, self.tradeoff, self.sureness]
        return " ".join(p for p in parts if p)


def _label(s: str) -> str:
    return STRATEGY_LABELS[s]


def plan_description(result: Result) -> str:
    """What Blend (the plan) spends where: 'Blend is the plan: 30 % Paid search, 30 % SEO & content, …'."""
    scn = result.scenario
    parts = [f"{c.share * 100:.0f} % {c.display_label(cid)}" for cid, c in scn.channel.items() if c.share > 0]
    rest = 1 - sum(c.share for c in scn.channel.values())
    if rest > 1e-9:
        parts.append(f"{rest * 100:.0f} % unspent")
    return "Blend is the plan: " + (", ".join(parts) if parts else "nothing allocated") + "."


def customers_by(result: Result, month: int) -> dict[str, float]:
    """Cumulative customers won by a month, per existing strategy."""
    return {s: float(result.series_of(s, "cumulative_customers")[month - 1]) for s in result.strategies}


def verdict(result: Result, mc: MonteCarlo | None = None) -> Verdict:
    """Which strategy creates the most lifetime value, why, the trade-off in one clause, and how sure."""
    cur = result.scenario.currency
    strategies = result.strategies
    values = {s: result.metric(s, "npv_lifetime") for s in strategies}
    defined = {s: v for s, v in values.items() if v is not None}
    blend = plan_description(result)
    if not defined:
        return Verdict(None, "Nothing is spent, so there is nothing to compare.", "", None, "", blend)
    order = sorted(defined, key=lambda s: defined[s], reverse=True)
    best = order[0]
    runner = order[1] if len(order) > 1 else None
    if defined[best] <= 0:
        headline = (
            f"No strategy earns back its cost over its customers' lifetime; {_label(best)} loses least "
            f"({money_short(defined[best], cur)})."
        )
    elif runner is None:
        headline = f"{_label(best)} creates {money_short(defined[best], cur)} of lifetime value."
    else:
        headline = (
            f"Choose {_label(best)}: it creates the most lifetime value, {money_short(defined[best], cur)} "
            f"against {money_short(defined[runner], cur)} for {_label(runner)}."
        )
    reason = _reason(result, best, runner)
    tradeoff = _tradeoff(result, best)
    sureness = _sureness(result, best, mc)
    return Verdict(best, headline, reason, tradeoff, sureness, blend)


def _reason(result: Result, best: str, runner: str | None) -> str:
    cur = result.scenario.currency
    cac_b = result.metric(best, "cac_eventual")
    if runner is None:
        return f"Each customer costs {fmt('cac', cac_b, cur)} to win." if cac_b is not None else ""
    cac_r = result.metric(runner, "cac_eventual")
    cust_b, cust_r = result.metric(best, "customers_eventual"), result.metric(runner, "customers_eventual")
    if cac_b is not None and cac_r is not None and cac_b < cac_r:
        why = (
            f"once its pipeline has closed, each customer costs {fmt('cac', cac_b, cur)} (eventual CAC) "
            f"against {fmt('cac', cac_r, cur)}"
        )
        if cust_b is not None and cust_r is not None and cust_b > cust_r:
            why += f", and it wins more of them ({cust_b:,.0f} against {cust_r:,.0f})"
        return f"Why: {why}."
    if cust_b is not None and cust_r is not None and cust_b > cust_r:
        return f"Why: it wins more customers ({cust_b:,.0f} against {cust_r:,.0f}) for the same budget."
    return "Why: its customers are won sooner or kept longer, so more of their value counts."


def _tradeoff(result: Result, best: str) -> str | None:
    """The strongest reason to choose another strategy: customers sooner, or payback sooner."""
    horizon = result.scenario.horizon_months
    early = min(EARLY_MONTH, horizon)
    by = customers_by(result, early)
    faster = max(by, key=lambda s: by[s])
    if faster != best and by[faster] >= by[best] + 0.5:
        return (
            f"{_label(faster)} wins {by[faster]:,.0f} customers by month {early} against {by[best]:,.0f}: "
            f"choose it if this quarter's customers matter more."
        )
    paybacks = {s: result.metric(s, "payback_month") for s in result.strategies}
    pb_best = paybacks[best]
    sooner = [s for s, m in paybacks.items() if m is not None and (pb_best is None or m < pb_best)]
    if sooner:
        s = min(sooner, key=lambda x: paybacks[x])  # type: ignore[arg-type,return-value]
        then = f"month {pb_best}" if pb_best is not None else f"not within {horizon} months"
        return (
            f"{_label(s)} pays back sooner (month {paybacks[s]} against {then}): choose it if cash this year "
            "matters more."
        )
    return None


def _sureness(result: Result, best: str, mc: MonteCarlo | None) -> str:
    if mc is None or not _has_ranges(result):
        return "No input has a range, so this is one possible future; give uncertain inputs a range to see how sure."
    share = mc.probabilities.get("best_npv", {}).get(best)
    if share is None:
        return ""
    return f"{_label(best)} has the most lifetime value in {probability(share)} of {mc.draws:,} simulated futures."


def _has_ranges(result: Result) -> bool:
    unc = result.scenario.uncertainty
    return bool(unc and any(lo != hi for lo, hi in unc.ranges.values()))


def probability(share: float) -> str:
    """A share of simulated futures as people read it: never '100 %' or '0 %' unless exact."""
    pct = share * 100
    if 0 < pct < 1:
        return "under 1 %"
    if 99 < pct < 100:
        return "over 99 %"
    return f"{pct:.0f} %"


def crossover_sentence(result: Result) -> str | None:
    """When generating becomes cheaper per customer than buying (cumulative), or that it does not."""
    if not (result.present["generate"] and result.present["buy"]):
        return None
    m = result.crossover_month()
    h = result.scenario.horizon_months
    if m is None:
        return f"Generating does not become cheaper per customer than buying within {h} months."
    if m == 1:
        return "Generating is cheaper per customer than buying from the first month."
    return f"Generating becomes cheaper per customer than buying from month {m} (cumulative CAC)."


def uncertainty_sentences(mc: MonteCarlo) -> list[str]:
    """Who-beats-whom shares, for people."""
    p = mc.probabilities
    out = []
    if p.get("buy_beats_generate_cac") is not None:
        out.append(f"Buying has the lower CAC in {probability(p['buy_beats_generate_cac'])} of simulated futures.")
    if p.get("buy_beats_generate_roi") is not None:
        out.append(f"Buying has the higher ROI within the horizon in {probability(p['buy_beats_generate_roi'])}.")
    best = p.get("best_npv") or {}
    if best:
        parts = ", ".join(f"{_label(s)} {probability(v)}" for s, v in best.items())
        out.append(f"Most lifetime value: {parts}.")
    return out


# ---- the compact comparison of the strategies ----------------------------------------------------

COMPARISON = ("npv_lifetime", "customers", "cac", "payback_month")


@dataclass(frozen=True)
class ComparisonRow:
    metric: str
    label: str
    help: str
    values: dict[str, float | int | None]  # per existing strategy
    text: dict[str, str]  # formatted as people read it
    best: tuple[str, ...]  # the strategies with the best value (ties share it); empty when undefined


def comparison(result: Result, metrics: tuple[str, ...] = COMPARISON) -> list[ComparisonRow]:
    """The strategies side by side on a few headline metrics, the best of each marked by the registry's direction."""
    cur = result.scenario.currency
    rows = []
    for m in metrics:
        spec = METRICS[m]
        values = {s: result.metric(s, m) for s in result.strategies}
        defined = {s: v for s, v in values.items() if v is not None}
        best: tuple[str, ...] = ()
        if defined and spec.better is not None and len(result.strategies) > 1:
            pick = max if spec.better == "higher" else min
            top = pick(defined.values())
            tol = 1e-9 * max(1.0, abs(top))
            best = tuple(s for s, v in defined.items() if abs(v - top) <= tol)
            if len(best) == len(result.strategies):
                best = ()  # all equal: nothing to mark
        text = {s: (money_short(v, cur) if spec.format == "money" and m == "npv_lifetime" else fmt(m, v, cur))
                for s, v in values.items()}  # fmt: skip
        rows.append(ComparisonRow(m, spec.label, spec.help, values, text, best))
    return rows


def assumptions_line(result: Result) -> str:
    """The scenario in one line, for the presenter view and reports."""
    scn = result.scenario
    cur = scn.currency
    chans = ", ".join(
        f"{c.display_label(cid)} {fmt('cpl', c.cost_per_lead, cur)}/lead" for cid, c in scn.channel.items()
    )
    sales = ""
    if scn.sales.capacity_leads_per_month > 0:
        sales = f" · sales capacity {scn.sales.capacity_leads_per_month:,.0f} leads/month"
    return (
        f"{money_short(scn.budget.monthly, cur)} a month for {scn.horizon_months} months · {chans} · "
        f"customer worth {fmt('revenue', scn.economics.revenue_per_customer_month, cur)}/month at "
        f"{scn.economics.gross_margin * 100:.0f} % margin{sales}"
    )


# ---- lines the app's views show -------------------------------------------------------------------


def absent_line(result: Result) -> str | None:
    """Why a strategy is not shown: 'Buy is not shown: this scenario has no buy channel.'; None when all exist."""
    from .metrics import STRATEGIES

    missing = [s for s in STRATEGIES if not result.present[s]]
    if not missing:
        return None
    names = " and ".join(_label(s) for s in missing)
    kinds = " or ".join(missing)
    verb = "is" if len(missing) == 1 else "are"
    return f"{names} {verb} not shown: this scenario has no {kinds} channel."


def median_notes(result: Result, mc: MonteCarlo) -> list[str]:
    """Where the headline (today's values) and the median of the simulated futures disagree on lifetime value by
    more than the middle half of the futures spans (|headline − P50| > P75 − P25): one sentence per strategy."""
    import numpy as np

    from .metrics import STRATEGIES

    cur = result.scenario.currency
    samples = mc.samples.get("npv_lifetime")
    if samples is None:
        return []
    out = []
    for s in result.strategies:
        head = result.metric(s, "npv_lifetime")
        p50 = mc.quantile(s, "npv_lifetime", "p50")
        x = samples[:, STRATEGIES.index(s)]
        x = x[np.isfinite(x)]
        if head is None or p50 is None or x.size < 2:
            continue
        p25, p75 = (float(v) for v in np.quantile(x, [0.25, 0.75]))
        if abs(head - p50) <= p75 - p25:
            continue
        side = "above" if head > p50 else "below"
        out.append(
            f"{_label(s)}: the headline lifetime value ({money_short(head, cur)}, at today's values) lies {side} the "
            f"median of the simulated futures ({money_short(p50, cur)}) by more than the middle half of them spans "
            f"({money_short(p25, cur)} – {money_short(p75, cur)}); the ranges are lopsided, so read the median as "
            "the typical case."
        )
    return out


def capacity_sentence(result: Result) -> str:
    """Whether the sales team's capacity binds, and the leads left unworked per strategy when it does."""
    cap = result.scenario.sales.capacity_leads_per_month
    if cap <= 0:
        return "Sales capacity has no limit in this scenario: every valid lead is worked."
    unworked = {s: result.metric(s, "unworked") or 0.0 for s in result.strategies}
    short = {s: v for s, v in unworked.items() if v >= 0.5}
    if not short:
        used = {s: result.metric(s, "capacity_used") for s in result.strategies}
        peak = max((v for v in used.values() if v is not None), default=None)
        most = f", at most {fmt('capacity_used', peak)} of it used" if peak is not None else ""
        return f"Sales capacity ({cap:,.0f} leads a month) is never exceeded{most}: every valid lead is worked."
    parts = [f"{_label(s)} {v:,.0f}" for s, v in short.items()]
    parts[0] = parts[0].replace(" ", " leaves ", 1) + " leads unworked"
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return (
        f"Sales capacity ({cap:,.0f} leads a month) binds: over {result.scenario.horizon_months} months {listed} "
        "(never contacted, so never won)."
    )
