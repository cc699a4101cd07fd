"""Session state and the link: the only code that reads or writes the address bar and the app's own session keys.

The address bar always is the share link. It holds

- ``v=2``, ``preset=<id>`` (when not the default preset) and ``base=v1`` (see version 1 links below);
- every scenario field under its dotted name, only where it differs from the preset: ``name``, ``currency``,
  ``horizon_months``, ``budget.monthly``, ``economics.*``, ``sales.*`` and ``channel.<id>.<field>`` for every
  numeric field of each of the preset's channels. Streamlit's own ``bind="query-params"`` widget binding keeps
  these (a widget at its default, the preset's value, leaves the link);
- the analysis settings, also only where they differ from the preset: ``ranges=<field>:<low>:<high>,…``
  (``ranges=none``: no ranges although the preset has some), ``draws``, ``seed``, ``objective``,
  ``min_customers`` and ``by_month``;
- ``view`` (the open tab, bound by Streamlit) and ``present=1``.

Opening a link, every value is checked by the schema (``with_values``) on its own and then together; a value that
cannot be used falls back to the preset's, and one warning lists every such parameter as the link spells it.
Parameters the app does not know at all (``utm_source``) are ignored quietly. The warning (and the upgrade note)
goes away at the first edit of an input, a reset or another preset.

Version 1 links — ``v=1``, or no ``v`` and a version 1 name (``generate.*``, ``buy.*``, ``budget.buy_share``) —
open upgraded, with one line saying so. Their scenario starts from the *version 1 form* of the link's preset: the
two channels version 1 had, ``generate`` (the preset's first generate channel) and ``buy`` (its first buy channel),
with only the fields version 1 knew (so no elasticity, starting leads, sales capacity or discounting), version 1's
default Blend share of 0.5 and no ranges; it is migrated by the schema's ``migrate_v1``. The link's ``generate.X``
and ``buy.X`` become ``channel.generate.X`` and ``channel.buy.X``, ``budget.buy_share`` becomes those two
channels' shares, and version 1 range names are renamed the same way. The address bar then becomes a version 2
link (``v=2&base=v1&channel.generate.cost_per_lead=80…``): ``base=v1`` keeps the two-channel base, so the link
reopens the same scenario. Picking a preset leaves the version 1 form.
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from simulation import Scenario, ScenarioError, load_preset, preset_names, validate_scenario, with_values
from simulation.analyses.optimize import OBJECTIVES
from simulation.schema import SCALAR_FIELDS, Uncertainty, flatten, migrate_v1, numeric_fields, range_problems
from simulation.schema import scenario_dict as _scenario_dict
from simulation.schema.fields import channel_field_names

VERSION = "2"
VIEWS = ("Customers & CAC", "Cash", "Pipeline & funnel", "Risk", "Sensitivity", "Optimize", "Table")
DRAWS_RANGE = (100, 100_000)
SEED_RANGE = (0, 2**32 - 1)
DRAWS_DEFAULT, SEED_DEFAULT = 2000, 1
NO_RANGES = "none"

# Link parameters the app manages by hand (the scenario fields and the view are bound widgets).
P_VERSION, P_PRESET, P_BASE, P_PRESENT = "v", "preset", "base", "present"
P_RANGES, P_DRAWS, P_SEED = "ranges", "draws", "seed"
P_OBJECTIVE, P_MIN, P_BY = "objective", "min_customers", "by_month"
P_VIEW = "view"
SETTINGS = (P_VERSION, P_PRESET, P_BASE, P_PRESENT, P_RANGES, P_DRAWS, P_SEED, P_OBJECTIVE, P_MIN, P_BY, P_VIEW)

# Session keys of this module (widget keys equal to link parameters are the widgets' own).
K_PRESET, K_V1, K_PRESENT = "_preset", "_v1", "_present"
K_NOTICES, K_BAD, K_PENDING, K_FLUSH, K_FIRST = "_notices", "_bad", "_pending", "_flush", "_first_values"

# Version 1: the fields a version 1 channel had, and the link names that only version 1 used.
V1_GENERATE = ("cost_per_lead", "ramp_months", "fixed_monthly_cost", "lead_to_mql", "mql_to_sql", "sql_to_customer",
               "nurture_months")  # fmt: skip
V1_BUY = ("cost_per_lead", "max_leads_per_month", "invalid_rate", "return_cap", "fixed_monthly_cost", "lead_to_mql",
          "mql_to_sql", "sql_to_customer", "nurture_months")  # fmt: skip
V1_ECONOMICS = ("revenue_per_customer_month", "gross_margin", "monthly_churn", "lifetime_months")
V1_SHARE = "budget.buy_share"
SCENARIO_HEADS = ("channel", "generate", "buy", "budget", "economics", "sales")


# ---- bases ------------------------------------------------------------------------------------


def v1_form(scn: Scenario) -> Scenario:
    """The version 1 form of a scenario: channels ``generate`` and ``buy`` (its first of each kind) with the fields
    version 1 had, version 1's default Blend share, no ranges; migrated by the schema."""
    first = {k: scn.channel_ids(k)[0] for k in ("generate", "buy") if scn.channel_ids(k)}
    if len(first) < 2:  # a preset without both kinds has no version 1 form: use the default preset's
        scn = load_preset(preset_names()[0])
        first = {k: scn.channel_ids(k)[0] for k in ("generate", "buy")}
    gen, buy = scn.channel[first["generate"]], scn.channel[first["buy"]]
    data = {
        "schema_version": 1,
        "name": scn.name,
        "horizon_months": scn.horizon_months,
        "budget": {"monthly": scn.budget.monthly},
        "economics": {k: getattr(scn.economics, k) for k in V1_ECONOMICS},
        "generate": {k: getattr(gen, k) for k in V1_GENERATE},
        "buy": {k: getattr(buy, k) for k in V1_BUY},
    }
    return validate_scenario(data)


@st.cache_resource(show_spinner=False)
def _base(preset: str, v1: bool) -> tuple[Scenario, Uncertainty | None]:
    """What the widgets default to — the preset or its version 1 form, without ranges — and the preset's
    uncertainty block (read and validated once per server process; treat as read-only)."""
    scn = load_preset(preset)
    if v1:
        return v1_form(scn), None
    data = _scenario_dict(scn)
    data.pop("uncertainty", None)
    return validate_scenario(data), scn.uncertainty


def preset_title(name: str) -> str:
    """The preset's scenario name, for the picker."""
    return _base(name, False)[0].name


@dataclass(frozen=True)
class Session:
    """What this run starts from: the preset, its base scenario (the widgets' defaults) and its analysis defaults."""

    preset: str
    v1: bool
    base: Scenario
    uncertainty: Uncertainty | None  # the preset's ranges, draws, seed, correlations
    defaults: dict[str, Any] = field(repr=False)  # widget key → the base's value

    @property
    def default_ranges(self) -> dict[str, tuple[float, float]]:
        return dict(self.uncertainty.ranges) if self.uncertainty else {}

    @property
    def default_draws(self) -> int:
        return self.uncertainty.draws if self.uncertainty else DRAWS_DEFAULT

    @property
    def default_seed(self) -> int:
        return self.uncertainty.seed if self.uncertainty else SEED_DEFAULT


def widget_keys(scn: Scenario) -> list[str]:
    """Every field a widget edits, by its dotted name (= its link parameter), in display order."""
    keys = ["name", "currency", *SCALAR_FIELDS]
    for cid, ch in scn.channel.items():
        keys += [f"channel.{cid}.{leaf}" for leaf in channel_field_names(ch.kind)]
    return keys


def _defaults(scn: Scenario) -> dict[str, Any]:
    flat = flatten(scn)
    return {k: flat.get(k) for k in widget_keys(scn)}


# ---- the link's parameters ----------------------------------------------------------------------


def sync_param(key: str, value: str | None) -> None:
    """Keep a hand-managed link parameter equal to `value`; None removes it."""
    if value is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def _number(raw: str) -> float | str:
    """A link value as a number, or the text itself (the schema then says why it is not a number)."""
    try:
        return float(raw)
    except ValueError:
        return raw


def _is_v1_name(name: str) -> bool:
    head, _, leaf = name.partition(".")
    return name == V1_SHARE or (head in ("generate", "buy") and bool(leaf))


def _v1_values(name: str, value: Any) -> dict[str, Any]:
    """A version 1 link value under its version 2 names (the schema's migration decides the shares)."""
    if name == V1_SHARE:
        channels = migrate_v1({"budget": {"buy_share": value}, "generate": {}, "buy": {}})[0]["channel"]
        return {f"channel.{cid}.share": ch["share"] for cid, ch in channels.items() if "share" in ch}
    head, _, leaf = name.partition(".")
    return {f"channel.{head}.{leaf}": value}


def _unknown_field(base: Scenario, keys: set[str], name: str, key: str) -> str | None:
    """Why a dotted name is not a field of this scenario's widgets, or None when it is."""
    if key in keys:
        return None
    parts = key.split(".")
    if parts[0] == "channel" and len(parts) == 3 and parts[1] not in base.channel:
        return f"{name}: this scenario has no channel {parts[1]!r}"
    if parts[0] == "channel" and len(parts) == 3:
        return f"{name}: {base.channel[parts[1]].kind} channels have no field {parts[2]!r}"
    return f"{name}: not a field of this scenario"


def _int_setting(raw: str | None, name: str, lo: int, hi: int) -> tuple[int | None, str | None]:
    if raw is None:
        return None, None
    try:
        v = int(raw)
    except ValueError:
        return None, f"{name}={raw!r} is not a whole number"
    if not lo <= v <= hi:
        return None, f"{name}={raw!r} is outside [{lo}, {hi:,}]"
    return v, None


def _num(v: float) -> str:
    return format(float(v), ".10g")


def encode_ranges(ranges: dict[str, tuple[float, float]], order: list[str]) -> str:
    """``name:low:high,…`` in the scenario's field order; ``none`` when there are none."""
    parts = [f"{k}:{_num(ranges[k][0])}:{_num(ranges[k][1])}" for k in order if k in ranges]
    return ",".join(parts) or NO_RANGES


def decode_ranges(text: str, scn: Scenario, v1: bool = False) -> tuple[dict[str, tuple[float, float]], list[str]]:
    """Ranges from the ``ranges`` parameter, and one problem per entry that cannot be used (version 1 names renamed)."""
    if text == NO_RANGES:
        return {}, []
    numeric = numeric_fields(scn)
    out: dict[str, tuple[float, float]] = {}
    problems = []
    for entry in text.split(","):
        bits = entry.rsplit(":", 2)
        if len(bits) != 3:
            problems.append(f"ranges: {entry!r} is not field:low:high")
            continue
        name, lo_s, hi_s = bits
        key = next(iter(_v1_values(name, 0.0))) if v1 and _is_v1_name(name) and name != V1_SHARE else name
        if key not in numeric:
            problems.append(f"ranges: {name!r} is not an input of this scenario that can have a range")
            continue
        try:
            lo, hi = float(lo_s), float(hi_s)
        except ValueError:
            problems.append(f"ranges: {name} {lo_s!r}–{hi_s!r} are not numbers")
            continue
        bad = range_problems(key, lo, hi)
        if bad:
            problems += [p.replace(f"uncertainty.ranges.{key}", f"ranges: {name}") for p in bad]
            continue
        out[key] = (lo, hi)
    return out, problems


# ---- opening a link -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Notices:
    """What the link's opening has to tell: that it was upgraded from version 1, and what could not be used."""

    upgraded: bool = False
    problems: tuple[str, ...] = ()


def _decode() -> None:
    """Read the link once per session: preset, base, every value checked; session state seeded; link rewritten."""
    names = preset_names()
    qp = st.query_params
    given = {k: qp.get_all(k) for k in qp}
    raw = {k: v[-1] if v else "" for k, v in given.items()}
    problems = [f"{k} is given {len(v)} times; the last one is used" for k, v in given.items()
                if len(v) > 1 and (k in SETTINGS or k.split(".")[0] in SCENARIO_HEADS or k in SCALAR_FIELDS)]  # fmt: skip

    version = raw.get(P_VERSION)
    has_v1 = any(_is_v1_name(k) for k in raw)
    if version not in (None, "1", VERSION):
        problems.append(f"v={version!r}: links are of version 1 or 2; read as version {'1' if has_v1 else '2'}")
    upgraded = version == "1" or (version not in ("1", VERSION) and has_v1)
    preset = raw.get(P_PRESET, names[0])
    if preset not in names:
        problems.append(f"preset={preset!r} is not a preset; the default preset is used")
        preset = names[0]
    base_raw = raw.get(P_BASE)
    if base_raw is not None and base_raw != "v1":
        problems.append(f"base={base_raw!r}: the only base is v1 (the version 1 form of the preset)")
    v1 = upgraded or base_raw == "v1"
    base, _unc = _base(preset, v1)
    keys = set(widget_keys(base))

    candidates: dict[str, Any] = {}  # version 2 name → value
    spelt: dict[str, str] = {}  # version 2 name → the parameter as the link spells it
    from_v1: set[str] = set()
    for name, text in raw.items():
        if name in SETTINGS:
            continue
        if upgraded and _is_v1_name(name):
            values = _v1_values(name, _number(text))
            del st.query_params[name]  # the link gets the version 2 names
            from_v1 |= set(values)
        elif name in keys or name.split(".")[0] in SCENARIO_HEADS:
            values = {name: text if name in ("name", "currency") else _number(text)}
        else:
            continue  # not ours (utm_source): ignored quietly
        unknown = [p for k in values if (p := _unknown_field(base, keys, name, k))]
        if unknown:
            problems.append(unknown[0])
            if name in st.query_params:
                del st.query_params[name]
            continue
        candidates.update(values)
        spelt.update({k: name for k in values})

    checked, lines, dropped = resolve(base, candidates)
    named: dict[str, list[str]] = {}
    for line in lines:  # name the parameters as the link spells them
        for key in sorted(spelt, key=len, reverse=True):
            line = line.replace(key, spelt[key])
        head, sep, rest = line.partition(":")
        head = ", ".join(dict.fromkeys(head.split(", ")))
        named.setdefault(head, []).append(head + sep + rest)
    for head, found in named.items():  # budget.buy_share is two shares: keep the line about the link's own value
        mine = [x for x in found if head in raw and raw[head] in x]
        problems += mine or found[:1]
    bad = dropped - from_v1  # bound widgets Streamlit may have seeded with them: put back by a rerun
    for key in sorted(set(candidates) & from_v1 - dropped):  # version 1 values: no widget reads them from the link
        value = candidates[key]
        st.session_state[key] = value
        st.query_params[key] = _num(value) if isinstance(value, float) else str(value)

    horizon = checked.horizon_months
    problems += _decode_settings(raw, base, upgraded, horizon)
    st.session_state[K_PRESET] = preset
    st.session_state[K_V1] = v1
    st.session_state[K_PRESENT] = raw.get(P_PRESENT, "0").lower() in ("1", "true")
    st.session_state[K_BAD] = bad
    st.session_state[K_NOTICES] = Notices(upgraded, tuple(problems))


def _decode_settings(raw: dict[str, str], base: Scenario, v1: bool, horizon: int) -> list[str]:
    """Problems with the analysis settings, the view and the presenter switch; unusable ones leave the link."""
    problems: list[str] = []

    def drop(key: str, problem: str | None) -> None:
        if problem:
            problems.append(problem)
            if key in st.query_params:
                del st.query_params[key]

    if P_RANGES in raw and raw[P_RANGES] != NO_RANGES:
        ranges, bad = decode_ranges(raw[P_RANGES], base, v1)
        problems += bad
        if bad or v1:  # keep what can be used, under version 2 names; nothing usable: the preset's ranges
            sync_param(P_RANGES, encode_ranges(ranges, list(numeric_fields(base))) if ranges else None)
    drop(P_DRAWS, _int_setting(raw.get(P_DRAWS), P_DRAWS, *DRAWS_RANGE)[1])
    drop(P_SEED, _int_setting(raw.get(P_SEED), P_SEED, *SEED_RANGE)[1])
    obj = raw.get(P_OBJECTIVE)
    drop(
        P_OBJECTIVE, None if obj in (None, *OBJECTIVES) else f"objective={obj!r} is not one of {', '.join(OBJECTIVES)}"
    )
    n = raw.get(P_MIN)
    if n is not None:
        v = _number(n)
        ok = isinstance(v, float) and math.isfinite(v) and v >= 0
        drop(P_MIN, None if ok else f"min_customers={n!r} is not a number of customers (0 or more)")
    drop(P_BY, _int_setting(raw.get(P_BY), P_BY, 1, horizon)[1])
    present = raw.get(P_PRESENT)
    if present is not None and present.lower() not in ("0", "1", "true", "false"):
        drop(P_PRESENT, f"present={present!r}: use present=1 for the presenter view")
    view = raw.get(P_VIEW)
    if view is not None and view not in VIEWS:
        problems.append(f"view={view!r} is not a view; the first view is shown")
    return problems


def _head(problem: str) -> str:
    return problem.split(":", 1)[0].strip()


def _named(problem: str, values: dict[str, Any]) -> set[str]:
    """The keys of `values` a problem line is about (``channel.*.share`` is about every share); a channel's own rule
    that names a field not in `values` (ramp_months set to 0 breaks starting leads) is about that channel's keys."""
    head = _head(problem)
    hit = {k for k in values if fnmatch.fnmatchcase(k, head)}
    if hit or not head.startswith("channel."):
        return hit
    channel = ".".join(head.split(".")[:2]) + "."
    return {k for k in values if k.startswith(channel)}


def resolve(base: Scenario, values: dict[str, Any]) -> tuple[Scenario, list[str], set[str]]:
    """The base with these values, validated by the schema. Values that break a rule fall back to the base's, until
    the rest passes: the scenario, one line per problem (naming its values) and the keys that fell back."""
    kept, lines, dropped = dict(values), [], set()
    for _ in range(len(values) + 1):
        try:
            return with_values(base, kept), lines, dropped
        except ScenarioError as exc:
            problems = list(exc.problems)
        hits = [(p, _named(p, kept)) for p in problems]
        if not any(hit for _, hit in hits):
            break
        for p, hit in hits:
            head, _, rest = p.partition(":")
            names = ", ".join(sorted(hit))
            if hit == {head} or not hit:
                lines.append(p)
            elif all(fnmatch.fnmatchcase(k, head) for k in hit):  # a pattern (channel.*.share): name the values
                lines.append(f"{names}:{rest}")
            else:  # a rule about another field that these values break
                lines.append(f"{names}: {p}")
            dropped |= hit
        kept = {k: v for k, v in kept.items() if k not in dropped}
    return base, lines, set(values)


# ---- every run ----------------------------------------------------------------------------------


def open_session() -> Session:
    """This run's preset and base; on a session's first run the link is read (and checked) first."""
    if K_NOTICES not in st.session_state:
        _decode()
    pending = st.session_state.pop(K_PENDING, {})
    for key, value in pending.items():  # fallbacks asked for by the previous run
        st.session_state[key] = value
    st.session_state[K_FLUSH] = bool(pending)
    preset, v1 = st.session_state[K_PRESET], bool(st.session_state[K_V1])
    base, unc = _base(preset, v1)
    names = preset_names()
    sync_param(P_VERSION, VERSION)
    sync_param(P_PRESET, None if preset == names[0] else preset)
    sync_param(P_BASE, "v1" if v1 else None)
    return Session(preset, v1, base, unc, _defaults(base))


def notices() -> Notices:
    return st.session_state.get(K_NOTICES, Notices())


def clear_notices() -> None:
    st.session_state[K_NOTICES] = Notices()
    st.session_state.pop(K_FIRST, None)


def scenario(session: Session, values: dict[str, Any]) -> tuple[Scenario, list[str]]:
    """The scenario of the widgets' values, validated; with the problems of values that fell back.

    A link value the schema refused but Streamlit's widget took (24.5 months) is put back to the preset's value
    with one rerun. The link's notices clear at the first edit."""
    bad = st.session_state.get(K_BAD, set())
    pending = {k: session.defaults[k] for k in bad if k in values and values[k] != session.defaults[k]}
    st.session_state[K_BAD] = set()
    if pending:
        st.session_state[K_PENDING] = pending
        st.rerun()
    if st.session_state.pop(K_FLUSH, False):
        # Streamlit dropped the fallen-back parameters from its copy of the link without telling the browser:
        # send the whole link again (setting a parameter always sends it)
        st.query_params[P_VERSION] = VERSION
    first = st.session_state.setdefault(K_FIRST, values)
    if first is not None and values != first:
        clear_notices()
        st.session_state[K_FIRST] = None
    changed = {k: v for k, v in values.items() if v != session.defaults.get(k)}
    scn, lines, _dropped = resolve(session.base, changed)
    return scn, lines


def set_values(values: dict[str, Any]) -> None:
    """Put widgets to these values (a callback: runs before the widgets are drawn)."""
    for key, value in values.items():
        st.session_state[key] = value


def on_preset_change() -> None:
    """Another preset: its values in every widget, its analysis settings, the version 1 form left."""
    preset = st.session_state[K_PRESET]
    st.session_state[K_V1] = False
    set_values(_defaults(_base(preset, False)[0]))
    for key in (P_RANGES, P_DRAWS, P_SEED, P_MIN, P_BY):
        sync_param(key, None)
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(RISK_PREFIX)]:
        del st.session_state[key]
    clear_notices()


def reset(session: Session) -> None:
    """Every input back to the preset (a callback)."""
    set_values(session.defaults)
    clear_notices()


def presenting_in_link() -> bool:
    return st.query_params.get(P_PRESENT, "0").lower() in ("1", "true")


def presenting() -> bool:
    return bool(st.session_state.get(K_PRESENT, presenting_in_link()))


def set_presenting(on: bool) -> None:
    sync_param(P_PRESENT, "1" if on else None)


# ---- analysis settings --------------------------------------------------------------------------

RISK_PREFIX = "_risk."  # session keys of the Risk view's own widgets


def ranges(session: Session) -> dict[str, tuple[float, float]]:
    """The ranges in use: the link's, else the preset's (unusable entries left out; the first run warned)."""
    text = st.query_params.get(P_RANGES)
    if text is None:
        return session.default_ranges
    return decode_ranges(text, session.base, False)[0]


def draws(session: Session) -> int:
    return _int_setting(st.query_params.get(P_DRAWS), P_DRAWS, *DRAWS_RANGE)[0] or session.default_draws


def seed(session: Session) -> int:
    v = _int_setting(st.query_params.get(P_SEED), P_SEED, *SEED_RANGE)[0]
    return session.default_seed if v is None else v


def set_uncertainty(session: Session, scn: Scenario, chosen: dict[str, tuple[float, float]], n: int, s: int) -> None:
    """Put ranges, draws and seed in the link where they differ from the preset's."""
    same = chosen == session.default_ranges
    sync_param(P_RANGES, None if same else encode_ranges(chosen, list(numeric_fields(scn))))
    sync_param(P_DRAWS, None if n == session.default_draws else str(n))
    sync_param(P_SEED, None if s == session.default_seed else str(s))


def with_uncertainty(session: Session, scn: Scenario) -> tuple[Scenario, list[str]]:
    """The scenario with the ranges, draws and seed in use (and the preset's correlations between them); ranges
    that no longer contain their field's value (after an edit) are left out, with a line each."""
    numeric = numeric_fields(scn)
    out, dropped = {}, []
    for key, (lo, hi) in ranges(session).items():
        if key not in numeric:
            continue
        if not lo <= numeric[key] <= hi:
            dropped.append(f"{key}: the range {lo:g} – {hi:g} does not contain today's value {numeric[key]:g}")
            continue
        out[key] = (lo, hi)
    corr = {}
    if session.uncertainty is not None:
        varied = {k for k, (lo, hi) in out.items() if lo != hi}
        corr = {k: r for k, r in session.uncertainty.correlations.items() if set(k.split("|")) <= varied}
    data = _scenario_dict(scn)
    data["uncertainty"] = {"draws": draws(session), "seed": seed(session),
                           "ranges": {k: list(v) for k, v in out.items()}, "correlations": corr}  # fmt: skip
    try:
        return validate_scenario(data), dropped
    except ScenarioError as exc:  # correlations that no longer hold together: drop them, never crash the page
        data["uncertainty"]["correlations"] = {}
        return validate_scenario(data), dropped + list(exc.problems)


def objective() -> str:
    v = st.query_params.get(P_OBJECTIVE, "npv")
    return v if v in OBJECTIVES else "npv"


def floor(horizon: int) -> tuple[float | None, int | None]:
    """The optimiser's customer floor from the link: (at least N, by month M), or (None, None)."""
    n = _number(st.query_params.get(P_MIN, ""))
    m = _int_setting(st.query_params.get(P_BY), P_BY, 1, horizon)[0]
    if not isinstance(n, float) or not math.isfinite(n) or n < 0:
        return None, m
    return n, m


def set_optimizer(obj: str, on: bool, n: float, m: int, horizon: int) -> None:
    sync_param(P_OBJECTIVE, None if obj == "npv" else obj)
    sync_param(P_MIN, _num(n) if on else None)
    sync_param(P_BY, str(int(m)) if on and m != horizon else None)
