"""Scenario schema: every field of the model contract, its bounds, units and tooltip text."""

from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SCHEMA_VERSION = 1

Kind = Literal["rate", "money", "count", "months", "integer"]

# Engineering upper bounds where the contract only says "≥ 0": large enough for any real
# business, small enough that no sum overflows or loses precision.
MAX_MONEY = 1e9
MAX_PRICE = 1e6
MAX_COUNT = 1e7


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_assignment=True)


def _f(default: Any = ..., *, kind: Kind, unit: str, description: str, **bounds: Any) -> Any:
    return Field(default, description=description, json_schema_extra={"kind": kind, "unit": unit}, **bounds)


class Budget(_Strict):
    monthly: float = _f(
        kind="money",
        unit="per month",
        ge=0,
        le=MAX_MONEY,
        description="Acquisition budget per month: media plus purchased leads. Fixed costs come on top.",
    )
    buy_share: float = _f(
        0.5,
        kind="rate",
        unit="of budget",
        ge=0,
        le=1,
        description="Share of the monthly budget the Blend strategy spends on buying leads; the rest generates.",
    )


class Economics(_Strict):
    revenue_per_customer_month: float = _f(
        kind="money",
        unit="per customer per month",
        ge=0,
        le=MAX_PRICE,
        description="Revenue a customer pays each month, from the month after the deal is won.",
    )
    gross_margin: float = _f(
        kind="rate",
        unit="of revenue",
        ge=0,
        le=1,
        description="Share of revenue left after the cost of serving the customer.",
    )
    monthly_churn: float = _f(
        kind="rate",
        unit="per month",
        ge=0,
        le=1,
        description="Share of customers lost each month.",
    )
    lifetime_months: int = _f(
        60,
        kind="integer",
        unit="months",
        ge=1,
        le=240,
        description="Longest customer life counted in LTV (lifetime value).",
    )


class _Channel(_Strict):
    lead_to_mql: float = _f(
        kind="rate",
        unit="of leads",
        ge=0,
        le=1,
        description="Share of leads that become marketing-qualified leads (MQL).",
    )
    mql_to_sql: float = _f(
        kind="rate",
        unit="of MQLs",
        ge=0,
        le=1,
        description="Share of MQLs that become sales-qualified leads (SQL).",
    )
    sql_to_customer: float = _f(
        kind="rate",
        unit="of SQLs",
        ge=0,
        le=1,
        description="Share of SQLs that become paying customers (win rate).",
    )
    nurture_months: float = _f(
        kind="months",
        unit="months",
        ge=0,
        le=36,
        description="Average months from a lead's arrival to its close, won or lost.",
    )


class Generate(_Channel):
    cost_per_lead: float = _f(
        kind="money",
        unit="per lead",
        gt=0,
        le=MAX_PRICE,
        description="Steady-state cost per generated lead (CPL) once the channel has ramped up.",
    )
    ramp_months: float = _f(
        kind="months",
        unit="months",
        ge=0,
        le=60,
        description="Months of spend until generated lead volume reaches steady state (0 = no ramp).",
    )
    fixed_monthly_cost: float = _f(
        0.0,
        kind="money",
        unit="per month",
        ge=0,
        le=MAX_MONEY,
        description="Team, tools and content costs, charged every month generation has budget.",
    )


class Buy(_Channel):
    cost_per_lead: float = _f(
        kind="money",
        unit="per lead",
        gt=0,
        le=MAX_PRICE,
        description="Vendor price per delivered lead (CPL).",
    )
    max_leads_per_month: float = _f(
        0.0,
        kind="count",
        unit="leads per month",
        ge=0,
        le=MAX_COUNT,
        description="Most leads the vendors can deliver per month; 0 means no cap. Budget above the cap stays unspent.",
    )
    invalid_rate: float = _f(
        0.0,
        kind="rate",
        unit="of delivered leads",
        ge=0,
        le=1,
        description="Share of delivered leads that are unusable (wrong contact, duplicate, no intent).",
    )
    return_cap: float = _f(
        0.0,
        kind="rate",
        unit="of delivered leads",
        ge=0,
        le=1,
        description="Most of the delivered leads the vendor refunds as invalid returns.",
    )
    fixed_monthly_cost: float = _f(
        0.0,
        kind="money",
        unit="per month",
        ge=0,
        le=MAX_MONEY,
        description="Platform and vendor-management fees, charged every month buying has budget.",
    )


class Uncertainty(_Strict):
    draws: int = Field(2000, ge=1, le=100_000, description="Number of simulated futures.")
    seed: int = Field(1, ge=0, le=2**32 - 1, description="Random seed: the same seed gives the same numbers.")
    ranges: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="Per-field (P10, P90) of the input's distribution."
    )


class Scenario(_Strict):
    name: str = Field("Scenario", max_length=80, description="Label of the scenario.")
    horizon_months: int = Field(
        24, ge=1, le=120, description="Months simulated.", json_schema_extra={"kind": "integer", "unit": "months"}
    )
    budget: Budget
    economics: Economics
    generate: Generate
    buy: Buy
    uncertainty: Uncertainty | None = None

    @model_validator(mode="after")
    def _check_ranges(self) -> Scenario:
        if self.uncertainty is None:
            return self
        problems = []
        for key, (lo, hi) in self.uncertainty.ranges.items():
            spec = FIELDS.get(key)
            if key == "horizon_months":
                problems.append(
                    "uncertainty.ranges.horizon_months: the horizon sets the months simulated; it cannot have a range"
                )
                continue
            if spec is None or not spec.rangeable:
                problems.append(f"uncertainty.ranges: unknown field {key!r}{_did_you_mean(key, RANGEABLE)}")
                continue
            problems.extend(range_problems(key, lo, hi))
        if problems:
            raise ValueError(RANGE_SEP.join(problems))
        return self


RANGE_SEP = "\n"


def range_problems(key: str, lo: float, hi: float) -> list[str]:
    """Why (lo, hi) cannot be the P10/P90 range of a field; empty when it can."""
    spec = FIELDS[key]
    where = f"uncertainty.ranges.{key}"
    out = [f"{where}: {v!r} is outside {spec.range_text()}" for v in (lo, hi) if not spec.contains(v)]
    if out:
        return out
    if lo > hi:
        return [f"{where}: low {lo!r} is above high {hi!r}"]
    if lo == hi:
        return []
    if spec.kind == "rate" and (lo <= 0 or hi >= 1):
        return [
            f"{where}: a rate's range needs 0 < low and high < 1 (a Beta has no P10 at 0 or P90 at 1), got [{lo!r}, {hi!r}]"
        ]
    if spec.kind != "rate" and lo <= 0:
        return [f"{where}: low must be above 0 for a lognormal or gamma range, got {lo!r}"]
    return []


# --------------------------------------------------------------------------------------
# Field registry: one entry per numeric scenario field, derived from the models above.


@dataclass(frozen=True)
class FieldSpec:
    """One numeric scenario field: dotted name, bounds, kind, unit and tooltip."""

    name: str
    kind: Kind
    unit: str
    description: str
    lo: float
    hi: float
    lo_open: bool
    default: float | None

    @property
    def rangeable(self) -> bool:
        return self.name != "horizon_months"

    def contains(self, v: float) -> bool:
        if not math.isfinite(v):
            return False
        above = v > self.lo if self.lo_open else v >= self.lo
        return above and v <= self.hi

    def range_text(self) -> str:
        left = "(" if self.lo_open else "["
        return f"{left}{_num(self.lo)}, {_num(self.hi)}]"


def _num(v: float) -> str:
    return f"{v:g}" if abs(v) < 1e6 else f"{v:,.0f}"


def _specs() -> dict[str, FieldSpec]:
    out: dict[str, FieldSpec] = {}

    def add(prefix: str, model: type[BaseModel]) -> None:
        for fname, info in model.model_fields.items():
            extra = info.json_schema_extra
            if not isinstance(extra, dict) or "kind" not in extra:
                continue
            lo, hi, lo_open = -math.inf, math.inf, False
            for m in info.metadata:
                if getattr(m, "ge", None) is not None:
                    lo = m.ge
                if getattr(m, "gt", None) is not None:
                    lo, lo_open = m.gt, True
                if getattr(m, "le", None) is not None:
                    hi = m.le
            default = None if info.is_required() else info.default
            name = f"{prefix}{fname}"
            out[name] = FieldSpec(name, extra["kind"], extra["unit"], info.description or "", lo, hi, lo_open, default)

    add("", Scenario)
    for section, model in (("budget", Budget), ("economics", Economics), ("generate", Generate), ("buy", Buy)):
        add(f"{section}.", model)
    return out


FIELDS: dict[str, FieldSpec] = _specs()
RANGEABLE = [k for k, s in FIELDS.items() if s.rangeable]
_ALL_NAMES = [
    "name",
    *FIELDS,
    "budget",
    "economics",
    "generate",
    "buy",
    "uncertainty",
    "uncertainty.draws",
    "uncertainty.seed",
    "uncertainty.ranges",
]


# --------------------------------------------------------------------------------------
# Errors


class ScenarioError(ValueError):
    """Invalid scenario input; ``problems`` holds one human sentence per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _did_you_mean(name: str, candidates: list[str]) -> str:
    leaf = name.rsplit(".", 1)[-1]
    hits = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if not hits:
        leaves = {c.rsplit(".", 1)[-1]: c for c in candidates}
        close = difflib.get_close_matches(leaf, list(leaves), n=1, cutoff=0.6)
        hits = [leaves[close[0]]] if close else []
    return f" (did you mean {hits[0]!r}?)" if hits else ""


def _describe(err: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    value = err.get("input")
    etype = err["type"]
    spec = FIELDS.get(loc)
    if etype == "extra_forbidden":
        prefix = loc.rsplit(".", 1)[0] + "." if "." in loc else ""
        siblings = [n for n in _ALL_NAMES if n.startswith(prefix) and n.count(".") == loc.count(".")]
        return f"{loc}: unknown field{_did_you_mean(loc, siblings)}"
    if err["loc"][:2] == ("uncertainty", "ranges") and len(err["loc"]) >= 3:
        where = ".".join(str(p) for p in err["loc"][:3])
        return f"{where}: expected a pair [low, high] of finite numbers ({err['msg'].lower()})"
    if etype == "missing":
        return f"{loc}: required field is missing" + (f" (allowed {FIELDS[loc].range_text()})" if loc in FIELDS else "")
    if etype == "value_error":
        return err["msg"].removeprefix("Value error, ")

    shown = repr(value) if not isinstance(value, dict) else "a table"
    if spec is not None:
        if isinstance(value, float) and not math.isfinite(value):
            return f"{loc}: {shown} is not a finite number; allowed {spec.range_text()}"
        return f"{loc}: {shown} is not allowed; allowed {spec.range_text()} ({err['msg'].lower()})"
    return f"{loc}: {shown} is not allowed ({err['msg'].lower()})"


def validate_scenario(data: dict[str, Any]) -> Scenario:
    """Validate a nested scenario mapping, raising ScenarioError with one line per problem."""
    if not isinstance(data, dict):
        raise ScenarioError(["scenario: expected a table of fields"])
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([line for e in exc.errors() for line in _describe(e).split(RANGE_SEP)]) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([f"{p}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"{p}: cannot read ({exc.__class__.__name__})"]) from None
    return loads_scenario(text, source=str(p))


def loads_scenario(text: str, source: str = "scenario") -> Scenario:
    """Parse and validate scenario TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([f"{source}: malformed TOML: {exc}"]) from None
    return validate_scenario(data)


def dumps_scenario(scn: Scenario) -> str:
    """Serialise a scenario to TOML text that loads back to an equal scenario."""
    return tomli_w.dumps(scn.model_dump(exclude_none=True))


def save_scenario(scn: Scenario, path: str | Path) -> None:
    """Write a scenario as TOML."""
    Path(path).write_text(dumps_scenario(scn), encoding="utf-8")


def get_field(scn: Scenario, name: str) -> Any:
    """Value of a dotted field name."""
    obj: Any = scn
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def flatten(scn: Scenario) -> dict[str, Any]:
    """Dotted name → value for every field of the contract (not uncertainty)."""
    return {"name": scn.name, **{k: get_field(scn, k) for k in FIELDS}}


def with_values(scn: Scenario, values: dict[str, Any]) -> Scenario:
    """A copy of the scenario with some dotted fields replaced, validated."""
    data = scn.model_dump()
    for key, v in values.items():
        if key != "name" and key not in FIELDS:
            raise ScenarioError([f"{key}: unknown field{_did_you_mean(key, list(FIELDS))}"])
        node = data
        *parents, leaf = key.split(".")
        for p in parents:
            node = node[p]
        node[leaf] = v
    return validate_scenario(data)
