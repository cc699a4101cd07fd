"""The scenario (version 2): pydantic models built from the field registry, with the cross-field rules."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .fields import CHANNEL_FIELDS, SCALAR_FIELDS, FieldSpec, channel_key, spec_of

SCHEMA_VERSION = 2
MAX_CHANNELS = 8
CHANNEL_ID = re.compile(r"[a-z][a-z0-9_]{0,23}")
CURRENCY = re.compile(r"[A-Z]{3}")
SHARE_TOLERANCE = 1e-9


def _whole(v: Any) -> Any:
    """Integer fields take whole numbers: 24 and 24.0 pass, 24.5, true and "24" fail."""
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        return int(v)
    return v


WholeInt = Annotated[int, BeforeValidator(_whole)]


def _pair(v: Any) -> Any:
    """A [low, high] pair from a file or link (a list) as a tuple."""
    return tuple(v) if isinstance(v, list) else v


Pair = Annotated[tuple[float, float], BeforeValidator(_pair)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True, frozen=True)


def _field(spec: FieldSpec, *, required: bool | None = None) -> Any:
    bounds: dict[str, float] = {"le": spec.hi}
    if spec.lo_open:
        bounds["gt"] = spec.lo
    else:
        bounds["ge"] = spec.lo
    if spec.is_int:
        bounds = {k: int(v) for k, v in bounds.items()}
    default = ... if (spec.default is None or required) else spec.default
    return Field(default, description=spec.help, **bounds)


_S = SCALAR_FIELDS
_C = CHANNEL_FIELDS


class Budget(_Strict):
    monthly: float = _field(_S["budget.monthly"])


class Economics(_Strict):
    revenue_per_customer_month: float = _field(_S["economics.revenue_per_customer_month"])
    gross_margin: float = _field(_S["economics.gross_margin"])
    monthly_churn: float = _field(_S["economics.monthly_churn"])
    lifetime_months: WholeInt = _field(_S["economics.lifetime_months"])
    discount_rate: float = _field(_S["economics.discount_rate"])


class Sales(_Strict):
    capacity_leads_per_month: float = _field(_S["sales.capacity_leads_per_month"])
    cost_per_worked_lead: float = _field(_S["sales.cost_per_worked_lead"])


class Channel(_Strict):
    """One lead source: a generate channel (own marketing) or a buy channel (a vendor)."""

    label: str = Field("", max_length=40, description="Name shown on screen; the id when empty.")
    kind: Literal["generate", "buy"]
    share: float = _field(_C["share"])
    cost_per_lead: float = _field(_C["cost_per_lead"])
    fixed_monthly_cost: float = _field(_C["fixed_monthly_cost"])
    lead_to_mql: float = _field(_C["lead_to_mql"])
    mql_to_sql: float = _field(_C["mql_to_sql"])
    sql_to_customer: float = _field(_C["sql_to_customer"])
    nurture_months: float = _field(_C["nurture_months"])
    ramp_months: float = _field(_C["ramp_months"])
    elasticity: float = _field(_C["elasticity"])
    reference_spend: float | None = Field(
        None, gt=0, le=_C["reference_spend"].hi, description=_C["reference_spend"].help
    )
    starting_leads_per_month: float = _field(_C["starting_leads_per_month"])
    starting_pipeline: float = _field(_C["starting_pipeline"])
    max_leads_per_month: float = _field(_C["max_leads_per_month"])
    invalid_rate: float = _field(_C["invalid_rate"])
    return_cap: float = _field(_C["return_cap"])
    refund_delay_months: WholeInt = _field(_C["refund_delay_months"])

    @model_validator(mode="after")
    def _kind_rules(self) -> Channel:
        problems = []
        for name in sorted(self.model_fields_set):
            spec = CHANNEL_FIELDS.get(name)
            if spec is not None and spec.only is not None and spec.only != self.kind:
                problems.append(f"{name}: {name} is for {spec.only} channels, not {self.kind} channels")
        if self.kind == "generate":
            if self.elasticity < 1 and self.reference_spend is None:
                problems.append(
                    f"reference_spend: required when elasticity is below 1 (elasticity = {self.elasticity:g}); "
                    "allowed (0, 1,000,000,000]"
                )
            if self.starting_leads_per_month > 0 and self.ramp_months == 0:
                problems.append(
                    f"starting_leads_per_month: {self.starting_leads_per_month:g} needs ramp_months above 0 "
                    "(a baseline fades over the ramp-up; with no ramp-up there is nothing to fade)"
                )
        if problems:
            raise ValueError(PROBLEM_SEP.join(problems))
        return self

    def display_label(self, cid: str) -> str:
        return self.label or cid


PROBLEM_SEP = "\n"


class Uncertainty(_Strict):
    draws: WholeInt = Field(2000, ge=1, le=100_000, description="Number of simulated futures.")
    seed: WholeInt = Field(1, ge=0, le=2**32 - 1, description="Random seed: the same seed gives the same numbers.")
    ranges: dict[str, Pair] = Field(
        default_factory=dict, description="Per-field (P10, P90) of the input's distribution."
    )
    correlations: dict[str, float] = Field(
        default_factory=dict, description="Rank correlation of two ranged inputs, 'a|b' = ρ (Gaussian copula)."
    )


class Optimize(_Strict):
    bounds: dict[str, Pair] = Field(
        default_factory=dict, description="Per channel: the lowest and highest share of the budget it may get."
    )


class Scenario(_Strict):
    """A validated version 2 scenario."""

    schema_version: Literal[2] = 2
    name: str = Field("Scenario", max_length=80, description="Label of the scenario.")
    currency: str = Field("USD", description="ISO 4217 code of the scenario's currency; display only.")
    horizon_months: WholeInt = _field(_S["horizon_months"])
    budget: Budget
    economics: Economics
    sales: Sales = Field(default_factory=Sales)
    channel: dict[str, Channel]
    uncertainty: Uncertainty | None = None
    optimize: Optimize | None = None

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        if not CURRENCY.fullmatch(v):
            raise ValueError(f"{_quote(v)} is not an ISO 4217 code (three capital letters, such as USD or EUR)")
        return v

    @field_validator("channel")
    @classmethod
    def _channel_ids(cls, v: dict[str, Channel]) -> dict[str, Channel]:
        problems = []
        if not v:
            problems.append("channel: at least one channel is needed")
        if len(v) > MAX_CHANNELS:
            problems.append(f"channel: {len(v)} channels; at most {MAX_CHANNELS}")
        for cid in v:
            if not CHANNEL_ID.fullmatch(cid):
                problems.append(
                    f"channel.{_clip(cid)}: a channel id is a lowercase letter then up to 23 of a-z, 0-9 or _"
                )
        if problems:
            raise ValueError(PROBLEM_SEP.join(problems))
        return v

    @model_validator(mode="after")
    def _cross_rules(self, info: ValidationInfo) -> Scenario:
        lenient = bool(info.context and info.context.get("lenient_ranges"))
        warnings: list[str] = info.context.setdefault("warnings", []) if info.context is not None else []
        problems = []
        total = sum(c.share for c in self.channel.values())
        if total > 1 + SHARE_TOLERANCE:
            shares = ", ".join(f"{cid} {c.share:g}" for cid, c in self.channel.items())
            problems.append(f"channel.*.share: the shares sum to {total:g} ({shares}); allowed at most 1")
        if self.uncertainty is not None:
            problems += self._range_problems(lenient, warnings)
        if self.optimize is not None:
            for cid, (lo, hi) in self.optimize.bounds.items():
                where = f"optimize.bounds.{_clip(cid)}"
                if cid not in self.channel:
                    problems.append(f"{where}: no channel {_quote(cid)}{did_you_mean(cid, list(self.channel))}")
                elif not (0 <= lo <= hi <= 1):
                    problems.append(f"{where}: [{lo!r}, {hi!r}] is not allowed; allowed 0 ≤ low ≤ high ≤ 1")
            lows = sum(lo for lo, _ in self.optimize.bounds.values())
            if lows > 1 + SHARE_TOLERANCE:
                problems.append(f"optimize.bounds: the lowest shares sum to {lows:g}; allowed at most 1")
        if problems:
            raise ValueError(PROBLEM_SEP.join(problems))
        return self

    def _range_problems(self, lenient: bool, warnings: list[str]) -> list[str]:
        assert self.uncertainty is not None
        problems = []
        numeric = numeric_fields(self)
        for key, (lo, hi) in self.uncertainty.ranges.items():
            where = f"uncertainty.ranges.{_clip(key)}"
            spec = spec_of(key)
            if key not in numeric:
                if spec is not None and not spec.rangeable:
                    problems.append(f"{where}: {spec.label.lower()} cannot have a range")
                else:
                    problems.append(f"{where}: not a numeric field of this scenario{did_you_mean(key, numeric)}")
                continue
            bad = range_problems(key, lo, hi, numeric[key])
            if bad and lenient and all(b.startswith("!contains") for b in bad):
                warnings.extend(b.removeprefix("!contains ") for b in bad)
                continue
            problems += [b.removeprefix("!contains ") for b in bad]
        seen: set[frozenset[str]] = set()
        ranged = self.uncertainty.ranges
        names: list[str] = []
        for key, rho in self.uncertainty.correlations.items():
            where = f"uncertainty.correlations.{_clip(key)}"
            parts = key.split("|")
            if len(parts) != 2:
                problems.append(f"{where}: expected 'field|field'")
                continue
            a, b = parts
            if a == b:
                problems.append(f"{where}: a field cannot be correlated with itself")
                continue
            missing = [x for x in (a, b) if x not in ranged or ranged[x][0] == ranged[x][1]]
            if missing:
                names = ", ".join(_clip(x) for x in missing)
                problems.append(f"{where}: {names} needs a range of its own to be correlated")
                continue
            pair = frozenset((a, b))
            if pair in seen:
                problems.append(f"{where}: this pair is given twice ('{a}|{b}' and '{b}|{a}' are the same)")
                continue
            seen.add(pair)
            if not (math.isfinite(rho) and -1 < rho < 1):
                problems.append(f"{where}: {rho!r} is not allowed; allowed (-1, 1)")
                continue
            names += [x for x in (a, b) if x not in names]
        if not problems and self.uncertainty.correlations:
            m = correlation_matrix(self.uncertainty.correlations, names)
            if np.linalg.eigvalsh(m).min() <= 1e-10:
                problems.append(
                    "uncertainty.correlations: these correlations cannot hold together (the matrix is not positive "
                    "definite); make some of them weaker"
                )
        return problems

    def channel_ids(self, kind: str | None = None) -> list[str]:
        return [cid for cid, c in self.channel.items() if kind is None or c.kind == kind]


def correlation_matrix(corr: dict[str, float], names: list[str]) -> np.ndarray:
    """The correlation matrix of `names` from 'a|b' = ρ pairs (1 on the diagonal, 0 where not given)."""
    idx = {n: i for i, n in enumerate(names)}
    m = np.eye(len(names))
    for key, rho in corr.items():
        a, b = key.split("|")
        if a in idx and b in idx:
            m[idx[a], idx[b]] = m[idx[b], idx[a]] = rho
    return m


def numeric_fields(scn: Scenario) -> dict[str, float]:
    """Dotted name → value of every rangeable numeric field of this scenario."""
    out: dict[str, float] = {}
    for key, spec in SCALAR_FIELDS.items():
        if spec.rangeable:
            out[key] = float(get_value(scn, key))
    for cid, ch in scn.channel.items():
        for fname, spec in CHANNEL_FIELDS.items():
            if not spec.rangeable or spec.only not in (None, ch.kind):
                continue
            v = getattr(ch, fname)
            if v is not None:
                out[channel_key(cid, fname)] = float(v)
    return out


def get_value(scn: Scenario, name: str) -> Any:
    """Value of a dotted field name (``economics.gross_margin``, ``channel.content.cost_per_lead``)."""
    parts = name.split(".")
    if parts[0] == "channel" and len(parts) == 3:
        return getattr(scn.channel[parts[1]], parts[2])
    obj: Any = scn
    for part in parts:
        obj = getattr(obj, part)
    return obj


def range_problems(key: str, lo: float, hi: float, value: float | None = None) -> list[str]:
    """Why (lo, hi) cannot be the P10/P90 range of a field; empty when it can.

    A problem that is only "the range does not contain the field's value" starts with '!contains '."""
    spec = spec_of(key)
    assert spec is not None
    where = f"uncertainty.ranges.{key}"
    out = [f"{where}: {v!r} is outside {spec.range_text()}" for v in (lo, hi) if not spec.contains(v)]
    if out:
        return out
    if lo > hi:
        return [f"{where}: low {lo!r} is above high {hi!r}"]
    if lo != hi:
        if spec.kind == "rate" and (lo <= 0 or hi >= 1):
            return [
                f"{where}: a rate's range needs 0 < low and high < 1 (a Beta has no P10 at 0 or P90 at 1), "
                f"got [{lo!r}, {hi!r}]"
            ]
        if spec.kind != "rate" and lo <= 0:
            return [f"{where}: low must be above 0 for a lognormal or gamma range, got {lo!r}"]
    if value is not None and not lo <= value <= hi:
        return [
            f"!contains {where}: [{lo:g}, {hi:g}] does not contain the field's own value {value:g}; "
            "a range must contain it so that the headline and the P50 tell the same story"
        ]
    return []


def did_you_mean(name: str, candidates: list[str]) -> str:
    """' (did you mean 'x'?)' for the closest candidate, or ''."""
    import difflib

    if len(name) > 200:  # no field name is this long; difflib on a huge string would take seconds
        return ""
    leaf = name.rsplit(".", 1)[-1]
    hits = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if not hits:
        leaves: dict[str, str] = {}
        for c in candidates:
            leaves.setdefault(c.rsplit(".", 1)[-1], c)
        close = difflib.get_close_matches(leaf, list(leaves), n=1, cutoff=0.6)
        hits = [leaves[close[0]]] if close else []
    return f" (did you mean {hits[0]!r}?)" if hits else ""


def _clip(text: str, n: int = 80) -> str:
    """At most n characters of a user's text, control characters removed."""
    text = str(text)
    if len(text) <= n:
        return "".join(ch if ch.isprintable() else "?" for ch in text)
    return "".join(ch if ch.isprintable() else "?" for ch in text[: n - 1]) + "…"


def _quote(v: Any) -> str:
    return repr(v) if not isinstance(v, str) else repr(_clip(v))
