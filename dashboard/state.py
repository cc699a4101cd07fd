"""Session state and the link: the only code that reads or writes the address bar and the scenario being edited.

The scenario being edited lives here, as a flat mapping of dotted names to values (``Live.values``: ``name``,
``currency``, the scalar fields, then per channel ``channel.<id>.label``, ``.kind`` and every field of its kind);
the inputs show it and report edits to it (`on_edit`, `set_values`, `add_channel`, `remove_channel`, `undo`, …).
The address bar is written from it at the end of every run, in one update.

**The link** holds only what differs from the preset:

- ``v=2`` and ``preset=<id>`` (when not the default preset);
- ``channels=paid_search,content,vendor_a`` (ids in order) when the list of channels differs from the preset's;
- every scenario field under its dotted name where it differs from its reference: the preset's value for the
  scalars and the preset's channels, the *template* for a channel the preset does not have (the default preset's
  first channel of its kind, with share 0). Such a channel also carries ``channel.<id>.kind`` and its label.
  Rates are fractions (``channel.content.lead_to_mql=0.023``); the inputs show them as percentages;
- the analysis settings, also only where they differ from the preset: ``ranges=<field>:<low>:<high>,…``
  (``ranges=none``: no ranges although the preset has some), ``draws``, ``seed``, ``objective``,
  ``min_customers``, ``by_month``; and ``present=1`` for the presenter view;
- ``view``: the open tab, bound to the link by Streamlit itself (not written here).

**Opening a link**, every value is checked by the schema on its own and then together; a value that cannot be
used falls back to its reference, and one warning lists every such parameter as the link spells it. Parameters
the app does not know at all (``utm_source``) are ignored quietly. The warning goes away at the first edit, a
reset, an undo or another preset.

**Version 1 links** (``v=1``, or no ``v`` and a version 1 name: ``generate.*``, ``buy.*``, ``budget.buy_share``)
open upgraded, with one line saying so. Their scenario is the *version 1 form* of the link's preset — channels
``generate`` (its first generate channel) and ``buy`` (its first buy channel) with only the fields version 1 knew
(no elasticity, starting leads, sales capacity or discounting), version 1's Blend share of 0.5, no ranges —
with the link's values (``generate.X`` → ``channel.generate.X``; ``budget.buy_share`` → the two shares). The
address bar then holds an ordinary version 2 link whose channel list is ``generate,buy``.

**Undo and Back.** Every edit is one step of a bounded undo history (`UNDO_STEPS`). Streamlit writes the link
with ``history.pushState``, so every change of the link is also one entry of the browser's history: Back reruns
the app on the previous link, which is read again here (`open_session`), as if opened.
"""

from __future__ import annotations

import fnmatch
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

import streamlit as st

from simulation import Scenario, ScenarioError, load_preset, preset_names, validate_scenario, with_values
from simulation.analyses.optimize import OBJECTIVES
from simulation.schema import (
    SCALAR_FIELDS,
    FieldSpec,
    Uncertainty,
    flatten,
    migrate_v1,
    numeric_fields,
    range_problems,
    spec_of,
)
from simulation.schema import scenario_dict as _scenario_dict
from simulation.schema.fields import channel_field_names
from simulation.schema.scenario import CHANNEL_ID, MAX_CHANNELS

from .contract import VIEW_NAMES

VERSION = "2"
UNDO_STEPS = 30  # edits that can be undone
DRAWS_RANGE = (100, 100_000)  # as the Risk view's input allows
SEED_RANGE = (0, 2**32 - 1)
DRAWS_DEFAULT, SEED_DEFAULT = 2000, 1
MAX_DRAW_MONTHS = 10_000 * 36  # draws × months of one Monte Carlo in the app: under 1 s of CPU and 500 MB
NO_RANGES = "none"
KINDS = ("generate", "buy")
NEW_LABELS = {"generate": "New channel", "buy": "New vendor"}
ID_LENGTH = 16  # ids made from labels are at most this long (links stay short)

# Link parameters (the scenario's fields are their dotted names).
P_VERSION, P_PRESET, P_CHANNELS, P_PRESENT = "v", "preset", "channels", "present"
P_RANGES, P_DRAWS, P_SEED = "ranges", "draws", "seed"
P_OBJECTIVE, P_MIN, P_BY = "objective", "min_customers", "by_month"
P_VIEW = "view"
P_BASE = "base"  # base=v1: how the app wrote upgraded version 1 links before the channel list (read, never written)
P_SCENARIO = "scenario"  # scenario=<slug>[@<n>]: a saved version of the library is the base instead of a preset
P_COMPARE = "compare"  # compare=current,<slug>@<n>,…: the Compare view's scenarios
SETTINGS = (P_VERSION, P_PRESET, P_CHANNELS, P_PRESENT, P_RANGES, P_DRAWS, P_SEED, P_OBJECTIVE, P_MIN, P_BY, P_VIEW,
            P_BASE, P_SCENARIO, P_COMPARE)  # fmt: skip
SAVED = "saved:"  # the base of a session opened from the library: "saved:<slug>@<n>" where a preset's id would be
CURRENT = "current"  # in compare=: the scenario being edited
MAX_COMPARE = 4
SCENARIO_HEADS = ("channel", "generate", "buy", "budget", "economics", "sales")

# Session keys of this module. Widgets of the views whose starting values come from the link's settings should use
# keys starting with VIEW_PREFIX: they are dropped when the settings change from outside (another preset, a reset,
# Back), so that they start again from the new settings.
K_LIVE = "_live"
K_PRESET = "_preset"  # the preset picker
K_PRESENT = "_present"  # the presenter toggle
K_ADD_KIND, K_ADD_LABEL = "_add.kind", "_add.label"  # the add-a-channel form
VIEW_PREFIX = "_views."

# Version 1: the fields a version 1 channel had, and the link names that only version 1 used.
V1_GENERATE = ("cost_per_lead", "ramp_months", "fixed_monthly_cost", "lead_to_mql", "mql_to_sql", "sql_to_customer",
               "nurture_months")  # fmt: skip
V1_BUY = ("cost_per_lead", "max_leads_per_month", "invalid_rate", "return_cap", "fixed_monthly_cost", "lead_to_mql",
          "mql_to_sql", "sql_to_customer", "nurture_months")  # fmt: skip
V1_ECONOMICS = ("revenue_per_customer_month", "gross_margin", "monthly_churn", "lifetime_months")
V1_SHARE = "budget.buy_share"


# ---- presets, templates and references ------------------------------------------------------------


def saved_key(slug: str, version: int) -> str:
    """The base key of a saved version (where a preset's id would be)."""
    return f"{SAVED}{slug}@{version}"


def saved_of(key: str) -> tuple[str, int] | None:
    """(slug, version) of a saved version's base key; None for a preset."""
    if not key.startswith(SAVED):
        return None
    slug, _, n = key[len(SAVED) :].rpartition("@")
    return slug, int(n)


def _source(preset: str) -> Scenario:
    ref = saved_of(preset)
    if ref is None:
        return load_preset(preset)
    from simulation.library import open_library

    return open_library().get(*ref).scenario


@st.cache_resource(show_spinner=False, max_entries=128)
def _base(preset: str) -> tuple[Scenario, Uncertainty | None]:
    """The preset (or saved version: immutable) without its ranges, and its uncertainty block (read once per server
    process; read-only)."""
    scn = _source(preset)
    data = _scenario_dict(scn)
    data.pop("uncertainty", None)
    return validate_scenario(data), scn.uncertainty


def preset_title(name: str) -> str:
    """The preset's scenario name, for the picker (a saved version: its name, slug and version)."""
    ref = saved_of(name)
    if ref is not None:
        return f"Saved: {_base(name)[0].name} ({ref[0]} v{ref[1]})"
    return _base(name)[0].name


@st.cache_resource(show_spinner=False)
def template(kind: str) -> dict[str, Any]:
    """A new channel of this kind: the default preset's first channel of that kind, with share 0 and no label."""
    scn = _base(preset_names()[0])[0]
    cid = scn.channel_ids(kind)[0]
    data = _scenario_dict(scn)["channel"][cid]
    return {**data, "label": "", "share": 0.0}


def _ref_channel(base: Scenario, cid: str, kind: str) -> dict[str, Any]:
    if cid in base.channel and base.channel[cid].kind == kind:
        return _scenario_dict(base)["channel"][cid]
    return dict(template(kind))


@st.cache_resource(show_spinner=False, max_entries=256)
def reference(preset: str, channels: tuple[tuple[str, str], ...]) -> Scenario:
    """What a link's values are measured against: the preset with these channels (id, kind) — the preset's own
    where it has that channel, else the template — and its plan bounds for the channels that remain."""
    base = _base(preset)[0]
    data = _scenario_dict(base)
    data["channel"] = {cid: _ref_channel(base, cid, kind) for cid, kind in channels}
    if "optimize" in data:
        bounds = {k: v for k, v in data["optimize"]["bounds"].items() if k in data["channel"]}
        if bounds:
            data["optimize"]["bounds"] = bounds
        else:
            data.pop("optimize")
    return validate_scenario(data)


@st.cache_resource(show_spinner=False, max_entries=256)
def _reference_flat(preset: str, channels: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    return flatten(reference(preset, channels))


def v1_form(scn: Scenario) -> Scenario:
    """The version 1 form of a scenario: channels ``generate`` and ``buy`` (its first of each kind) with the fields
    version 1 had, version 1's default Blend share, no ranges; migrated by the schema."""
    first = {k: scn.channel_ids(k)[0] for k in KINDS if scn.channel_ids(k)}
    if len(first) < 2:  # a preset without both kinds has no version 1 form: use the default preset's channels
        other = load_preset(preset_names()[0])
        first = {k: other.channel_ids(k)[0] for k in KINDS}
        gen, buy = other.channel[first["generate"]], other.channel[first["buy"]]
    else:
        gen, buy = scn.channel[first["generate"]], scn.channel[first["buy"]]
    data = {
        "schema_version": 1,
        "name": scn.name,
        "currency": scn.currency,
        "horizon_months": scn.horizon_months,
        "budget": {"monthly": scn.budget.monthly},
        "economics": {k: getattr(scn.economics, k) for k in V1_ECONOMICS},
        "generate": {k: getattr(gen, k) for k in V1_GENERATE},
        "buy": {k: getattr(buy, k) for k in V1_BUY},
    }
    return validate_scenario(data)


def channels_of(values: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The channels (id, kind) of a flat mapping of values, in order."""
    out = []
    for key, value in values.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "channel" and parts[2] == "kind":
            out.append((parts[1], value))
    return tuple(out)


def widget_keys(scn: Scenario) -> list[str]:
    """Every field an input edits, by its dotted name (= its link parameter), in display order."""
    keys = ["name", "currency", *SCALAR_FIELDS]
    for cid, ch in scn.channel.items():
        keys += [f"channel.{cid}.{leaf}" for leaf in channel_field_names(ch.kind)] + [f"channel.{cid}.label"]
    return keys


# ---- values on screen -------------------------------------------------------------------------------


def is_percent(spec: FieldSpec) -> bool:
    """Whether a field shows as a percentage (rates with a unit; elasticity is an exponent)."""
    return spec.kind == "rate" and bool(spec.unit)


def to_screen(key: str, value: Any) -> Any:
    """A field's value as its input shows it: rates in percent (0.023 → 2.3), whole numbers as int."""
    spec = spec_of(key)
    if spec is None or value is None or isinstance(value, str):
        return value
    if is_percent(spec):
        return round(float(value) * 100, 10)
    if spec.is_int:
        return int(value)
    return float(value)


def from_screen(key: str, value: Any) -> Any:
    """An input's value as the model takes it: percentages as fractions (2.3 → 0.023)."""
    spec = spec_of(key)
    if spec is None or value is None or isinstance(value, str):
        return value
    if is_percent(spec):
        return round(float(value) / 100, 12)
    if spec.is_int:
        return int(value)
    return float(value)


def screen_bounds(spec: FieldSpec) -> tuple[float, float] | tuple[int, int]:
    """An input's lowest and highest value: the contract's, in the input's units (an open bound as its limit)."""
    if spec.is_int:
        return int(spec.lo), int(spec.hi)
    scale = 100.0 if is_percent(spec) else 1.0
    return spec.lo * scale, spec.hi * scale


# ---- the live state of a session ---------------------------------------------------------------------


@dataclass(frozen=True)
class Notices:
    """What the link's opening has to tell: that it was upgraded from version 1, and what could not be used."""

    upgraded: bool = False
    problems: tuple[str, ...] = ()


@dataclass
class Settings:
    """The analysis settings in use; None = the preset's (or the app's) default."""

    ranges: dict[str, tuple[float, float]] | None = None
    draws: int | None = None
    seed: int | None = None
    objective: str | None = None
    min_customers: float | None = None
    by_month: int | None = None


@dataclass
class Live:
    """One session's scenario being edited, its settings, notices and undo history."""

    preset: str
    values: dict[str, Any]
    settings: Settings
    present: bool = False
    notices: Notices = field(default_factory=Notices)
    history: list[tuple[str, dict[str, Any], Settings]] = field(default_factory=list)
    pos: int = 0
    opened: bool = True  # the run that opened the link has not finished
    built: tuple[Any, Any] | None = None  # (key, (scenario, problems)) of the last build
    scenario_ref: tuple[str, str] | None = None  # (base key, scenario= as the link gave it: "q3-plan" = the latest)
    keep_scenario: str | None = None  # a scenario= that could not be opened (library down): kept in the link as is
    compare: tuple[str, ...] = ()  # the Compare view's scenarios: "current" or "<slug>@<n>"


@dataclass(frozen=True)
class Session:
    """What this run starts from: the preset, its base scenario and its analysis defaults."""

    preset: str
    base: Scenario  # the preset without ranges
    uncertainty: Uncertainty | None  # the preset's ranges, draws, seed, correlations
    defaults: dict[str, Any] = field(repr=False)  # dotted name → the preset's value

    @property
    def default_ranges(self) -> dict[str, tuple[float, float]]:
        return dict(self.uncertainty.ranges) if self.uncertainty else {}

    @property
    def default_draws(self) -> int:
        return self.uncertainty.draws if self.uncertainty else DRAWS_DEFAULT

    @property
    def default_seed(self) -> int:
        return self.uncertainty.seed if self.uncertainty else SEED_DEFAULT


def _live() -> Live:
    live = st.session_state.get(K_LIVE)
    if live is None:  # the session's first run, or a callback before it (the server restarted under an open page,
        qp = st.query_params  # whose reconnected inputs report an edit first): the link holds the scenario
        live = _open(read_link({k: qp.get_all(k) for k in qp}), None)
        st.session_state[K_LIVE] = live
    return live


def _session(preset: str) -> Session:
    base, unc = _base(preset)
    return Session(preset, base, unc, flatten(base))


# ---- reading a link ----------------------------------------------------------------------------------


def _number(raw: str) -> float | str:
    """A link value as a number, or the text itself (the schema then says why it is not a number)."""
    try:
        return float(raw)
    except ValueError:
        return raw


def _value(key: str, raw: str) -> Any:
    """A link value for a dotted field: text for names and labels, None for an empty optional number."""
    if key in ("name", "currency") or key.endswith(".label"):
        return raw
    if raw == "" and key.endswith(".reference_spend"):
        return None
    return _number(raw)


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


def _unknown_field(scn: Scenario, keys: set[str], name: str, key: str) -> str | None:
    """Why a dotted name is not a field of this scenario, or None when it is."""
    if key in keys:
        return None
    parts = key.split(".")
    name = name if len(name) <= 80 else name[:80] + "…"
    if parts[0] == "channel" and len(parts) == 3 and parts[1] not in scn.channel:
        return f"{name}: this scenario has no channel {_q(parts[1], 40)}"
    if parts[0] == "channel" and len(parts) == 3:
        return f"{name}: {scn.channel[parts[1]].kind} channels have no field {_q(parts[2], 40)}"
    return f"{name}: not a field of this scenario"


def _q(text: str, n: int = 80) -> str:
    """A value from the link as a problem quotes it: its first `n` characters, in quotes, '…' when cut."""
    return repr(text[:n]) + ("…" if len(text) > n else "")


def _int_setting(raw: str | None, name: str, lo: int, hi: int) -> tuple[int | None, str | None]:
    if raw is None:
        return None, None
    try:
        v = int(raw) if len(raw) <= 40 else int("x")  # a longer text is no whole number in range (and int() of
    except ValueError:  # 10 million digits would take seconds)
        return None, f"{name}={_q(raw)} is not a whole number"
    if not lo <= v <= hi:
        return None, f"{name}={_q(raw)} is outside [{lo:,}, {hi:,}]"
    return v, None


def _num(v: Any) -> str:
    """A number as the link writes it: the shortest text that reads back to the same float."""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    return "" if v is None else str(v)


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
            problems.append(f"ranges: {_q(entry)} is not field:low:high")
            continue
        name, lo_s, hi_s = bits
        key = next(iter(_v1_values(name, 0.0))) if v1 and _is_v1_name(name) and name != V1_SHARE else name
        if key not in numeric:
            problems.append(f"ranges: {_q(name)} is not an input of this scenario that can have a range")
            continue
        if key in out:
            problems.append(f"ranges: {name} is given twice; the first range is used")
            continue
        try:
            lo, hi = float(lo_s), float(hi_s)
        except ValueError:
            problems.append(f"ranges: {name} {_q(lo_s, 40)}–{_q(hi_s, 40)} are not numbers")
            continue
        bad = range_problems(key, lo, hi)
        if bad:
            problems += [p.replace(f"uncertainty.ranges.{key}", f"ranges: {name}") for p in bad]
            continue
        out[key] = (lo, hi)
    return out, problems


def _channels(raw: dict[str, str], base: Scenario) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    """The link's channels (id, kind), in order, and one problem per id that cannot be used."""
    problems: list[str] = []
    text = raw.get(P_CHANNELS)
    if text is None:
        ids = list(base.channel)
    else:
        ids = []
        for part in text.split(","):
            cid = part.strip()
            if not CHANNEL_ID.fullmatch(cid):
                problems.append(f"channels: {_q(cid, 40)} is not a channel id (a lowercase letter, then up to 23 of "
                                "a-z, 0-9 or _); left out")  # fmt: skip
            elif cid in ids:
                problems.append(f"channels: {cid!r} is listed twice; once is used")
            else:
                ids.append(cid)
        if len(ids) > MAX_CHANNELS:
            problems.append(f"channels: {len(ids)} channels; at most {MAX_CHANNELS}, the first {MAX_CHANNELS} are used")
            ids = ids[:MAX_CHANNELS]
    out = []
    for cid in ids:
        name = f"channel.{cid}.kind"
        kind = raw.get(name)
        if kind is not None and kind not in KINDS:
            if cid in base.channel:
                problems.append(f"{name}={_q(kind, 40)} is not generate or buy; the preset's kind is used")
                kind = base.channel[cid].kind
            else:
                problems.append(f"{name}={_q(kind, 40)} is not generate or buy; channel {cid!r} is left out")
                continue
        if kind is None and cid in base.channel:
            kind = base.channel[cid].kind
        if kind is None:
            problems.append(f"channels: {cid!r} is not a channel of the preset and has no kind ({name}=generate or "
                            "buy); left out")  # fmt: skip
            continue
        out.append((cid, kind))
    if not out:
        problems.append("channels: no channel could be used; the preset's channels are used")
        out = [(cid, ch.kind) for cid, ch in base.channel.items()]
    return tuple(out), problems


def _listed(raw: dict[str, str]) -> set[str]:
    """The ids the link's channel list names (used or not: their own parameters need no second warning)."""
    return {part.strip() for part in raw.get(P_CHANNELS, "").split(",")}


@dataclass
class Opened:
    preset: str
    values: dict[str, Any]
    settings: Settings
    present: bool
    notices: Notices
    scenario_ref: tuple[str, str] | None = None
    keep_scenario: str | None = None
    compare: tuple[str, ...] = ()


def _saved_base(text: str) -> tuple[str | None, str | None, bool]:
    """A link's scenario=<slug>[@<n>]: (the base key, a problem, whether the library could not be reached)."""
    from simulation.library import LibraryError, LibraryUnavailable, open_library, parse_ref

    try:
        slug, version = parse_ref(text)
        got = open_library().get(slug, version)
    except LibraryUnavailable as exc:
        return None, f"scenario={_q(text, 60)}: {exc}", True
    except LibraryError as exc:
        return None, f"scenario={_q(text, 60)}: {exc}; the default preset is used", False
    return saved_key(got.slug, got.version), None, False


def _compare_list(text: str) -> tuple[tuple[str, ...], list[str]]:
    """A link's compare=current,<slug>@<n>,…: the items (syntax only; the view says which it cannot open)."""
    from simulation.library import LibraryError, parse_ref

    items: list[str] = []
    problems = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if part != CURRENT:
            try:
                parse_ref(part)
            except LibraryError:
                problems.append(f"compare: {_q(part, 60)} is neither current nor a saved scenario's slug[@version]")
                continue
        if part in items:
            continue
        if len(items) == MAX_COMPARE:
            problems.append(f"compare: at most {MAX_COMPARE} scenarios side by side; {_q(part, 60)} is left out")
            continue
        items.append(part)
    return tuple(items), problems


def read_link(given: dict[str, list[str]]) -> Opened:
    """A link's preset, scenario values and settings, every value checked; with the problems to tell."""
    names = preset_names()
    raw = {k: v[-1] if v else "" for k, v in given.items()}
    problems = [f"{k[:80]} is given {len(v)} times; the last one is used" for k, v in given.items()
                if len(v) > 1 and (_managed(k) or k == P_VIEW)]  # fmt: skip

    version = raw.get(P_VERSION)
    has_v1 = any(_is_v1_name(k) for k in raw)
    if version not in (None, "1", VERSION):
        problems.append(f"v={_q(version, 20)}: links are of version 1 or 2; read as version {'1' if has_v1 else '2'}")
    base_raw = raw.get(P_BASE)
    if base_raw is not None and base_raw != "v1":
        problems.append(f"base={_q(base_raw, 20)}: the only base is v1 (the version 1 form of the preset)")
    upgraded = version == "1" or (version not in ("1", VERSION) and has_v1) or base_raw == "v1"
    preset = raw.get(P_PRESET, names[0])
    if preset not in names:
        problems.append(f"preset={_q(preset, 40)} is not a preset; the default preset is used")
        preset = names[0]
    scenario_ref, keep = None, None
    if P_SCENARIO in raw:  # a saved version is the base: the link's values are measured against it
        key, problem, down = _saved_base(raw[P_SCENARIO])
        if key is not None:
            if P_PRESET in raw:
                problems.append("preset: the link opens a saved scenario, which is its base; preset is ignored")
            preset, upgraded = key, False
            scenario_ref = (key, raw[P_SCENARIO])
        else:
            problems.append(problem or "")
            keep = raw[P_SCENARIO] if down else None
    base = _base(preset)[0]

    chans: tuple[tuple[str, str], ...] = ()
    listed: set[str] = set()
    if upgraded:
        ref = v1_form(load_preset(preset))
        if P_CHANNELS in raw:
            problems.append("channels: a version 1 link has the channels generate and buy; ignored")
    else:
        chans, bad = _channels(raw, base)
        problems += bad
        ref = reference(preset, chans)
        listed = _listed(raw)
    keys = {k for k in flatten(ref) if not k.endswith(".kind")}

    candidates: dict[str, Any] = {}  # version 2 name → value
    spelt: dict[str, str] = {}  # version 2 name → the parameter as the link spells it
    for name, text in raw.items():
        if name in SETTINGS:
            continue
        if upgraded and _is_v1_name(name):
            values = _v1_values(name, _number(text))
        elif name.endswith(".kind") and name.split(".")[0] == "channel" and not upgraded:
            cid = name.split(".")[1]
            if cid not in dict(chans) and cid not in listed:
                problems.append(f"{name[:80]}: this scenario has no channel {_q(cid, 40)}")
            continue  # read with the channels
        elif (
            name.split(".")[0] == "channel" and name.count(".") == 2 and name.split(".")[1] in listed - set(dict(chans))
        ):
            continue  # a channel the list could not use: warned once already
        elif name in keys or name in ("name", "currency") or name.split(".")[0] in SCENARIO_HEADS:
            values = {name: _value(name, text)}
        else:
            continue  # not ours (utm_source): ignored quietly
        unknown = [p for k in values if (p := _unknown_field(ref, keys, name, k))]
        if unknown:
            problems.append(unknown[0])
            continue
        candidates.update(values)
        spelt.update({k: name for k in values})

    scn, lines, _dropped = resolve(ref, candidates)
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

    settings, more, present = _read_settings(raw, scn, upgraded)
    problems += more
    compare: tuple[str, ...] = ()
    if P_COMPARE in raw:
        compare, more = _compare_list(raw[P_COMPARE])
        problems += more
    return Opened(preset, flatten(scn), settings, present, Notices(upgraded, tuple(problems)), scenario_ref, keep,
                  compare)  # fmt: skip


def _read_settings(raw: dict[str, str], scn: Scenario, v1: bool) -> tuple[Settings, list[str], bool]:
    """The analysis settings, the presenter switch and the view from a link; one problem per unusable one."""
    problems: list[str] = []
    s = Settings()
    if P_RANGES in raw:
        s.ranges, bad = decode_ranges(raw[P_RANGES], scn, v1)
        problems += bad
    elif v1:
        s.ranges = {}  # version 1 had no ranges unless the link gave some
    s.draws, bad = _int_setting(raw.get(P_DRAWS), P_DRAWS, *DRAWS_RANGE)
    problems += [bad] if bad else []
    s.seed, bad = _int_setting(raw.get(P_SEED), P_SEED, *SEED_RANGE)
    problems += [bad] if bad else []
    obj = raw.get(P_OBJECTIVE)
    if obj is not None and obj not in OBJECTIVES:
        problems.append(f"objective={_q(obj, 40)} is not one of {', '.join(OBJECTIVES)}")
    else:
        s.objective = obj
    n = raw.get(P_MIN)
    if n is not None:
        v = _number(n)
        if isinstance(v, float) and math.isfinite(v) and v >= 0:
            s.min_customers = v
        else:
            problems.append(f"min_customers={_q(n, 40)} is not a number of customers (0 or more)")
    s.by_month, bad = _int_setting(raw.get(P_BY), P_BY, 1, scn.horizon_months)
    problems += [bad] if bad else []
    present_raw = raw.get(P_PRESENT)
    present = False
    if present_raw is not None:
        if present_raw.lower() in ("0", "1", "true", "false"):
            present = present_raw.lower() in ("1", "true")
        else:
            problems.append(f"present={_q(present_raw, 40)}: use present=1 for the presenter view")
    view = raw.get(P_VIEW)
    if view is not None and view not in VIEW_NAMES:
        problems.append(f"view={_q(view, 40)} is not a view; the first view is shown")
    return s, problems, present


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


# ---- writing the link ----------------------------------------------------------------------------------


def _ranges_in_use(live: Live, session: Session, numeric: dict[str, float]) -> dict[str, tuple[float, float]]:
    chosen = session.default_ranges if live.settings.ranges is None else live.settings.ranges
    return {k: v for k, v in chosen.items() if k in numeric}


def encode(live: Live) -> dict[str, str]:
    """The link of a session's scenario and settings: only what differs from the preset (without ``view``)."""
    session = _session(live.preset)
    chans = channels_of(live.values)
    ref = _reference_flat(live.preset, chans)
    out: dict[str, str] = {}
    saved = saved_of(live.preset)
    if saved is None and live.preset != preset_names()[0]:
        out[P_PRESET] = live.preset
    if [c for c, _ in chans] != list(session.base.channel):
        out[P_CHANNELS] = ",".join(c for c, _ in chans)
    for key, value in live.values.items():
        parts = key.split(".")
        if parts[-1] == "kind" and parts[0] == "channel":
            base_ch = session.base.channel.get(parts[1])
            if base_ch is None or base_ch.kind != value:
                out[key] = value
            continue
        if key not in ref or ref[key] != value:
            out[key] = value if isinstance(value, str) else _num(value)
    ids = {c for c, _ in chans}
    for key in ref:  # an optional field unset here but set in the reference (reference spend): empty
        if key not in live.values and key.split(".")[0] == "channel" and key.split(".")[1] in ids:
            out[key] = ""
    s = live.settings
    if s.ranges is not None:
        scn = _build(live)[0]
        numeric = numeric_fields(scn)
        mine = {k: v for k, v in s.ranges.items() if k in numeric}
        if mine != {k: v for k, v in session.default_ranges.items() if k in numeric}:
            out[P_RANGES] = encode_ranges(mine, list(numeric))
    for name, v, default in ((P_DRAWS, s.draws, session.default_draws), (P_SEED, s.seed, session.default_seed),
                             (P_OBJECTIVE, s.objective, "npv"), (P_MIN, s.min_customers, None),
                             (P_BY, s.by_month, None)):  # fmt: skip
        if v is not None and v != default:
            out[name] = _num(v)
    if saved is not None:  # as the link gave it while nothing differs ("q3-plan": the latest), else pinned
        given = live.scenario_ref[1] if live.scenario_ref and live.scenario_ref[0] == live.preset else None
        out = {P_SCENARIO: given if given and not out else f"{saved[0]}@{saved[1]}", **out}
    elif live.keep_scenario:
        out = {P_SCENARIO: live.keep_scenario, **out}
    if live.compare:
        out[P_COMPARE] = ",".join(live.compare)
    if live.present:
        out[P_PRESENT] = "1"
    if out:
        out = {P_VERSION: VERSION, **out}
    return out


def _managed(name: str) -> bool:
    """Whether a link parameter is written here (the view is Streamlit's; unknown parameters stay as they are)."""
    if name == P_VIEW:
        return False
    return (
        name in SETTINGS
        or name in SCALAR_FIELDS
        or name in ("name", "currency")
        or (name.split(".")[0] in SCENARIO_HEADS)
    )


def _current_link() -> dict[str, list[str]]:
    qp = st.query_params
    return {k: qp.get_all(k) for k in qp if _managed(k)}


def write_link() -> None:
    """Make the address bar the link of the scenario and settings, in one update (one history entry); call once at
    the end of a run. The run that opens a link rewrites it only when it had to change something in it."""
    live = st.session_state.get(K_LIVE)
    if live is None:
        return
    want = encode(live)
    have = _current_link()
    opened, live.opened = live.opened, False
    if {k: [v] for k, v in want.items()} == have:
        return
    if opened and {k: v for k, v in want.items() if k != P_VERSION} == {k: v[-1] for k, v in have.items()}:
        return  # as given, only without v=2: leave the link as it was opened
    removes = [k for k in have if k not in want]
    try:  # one update for the whole link: Streamlit pushes one history entry per update
        from streamlit.runtime.state.session_state_proxy import get_session_state

        with get_session_state().query_params() as qp:
            for k in removes:
                qp.discard_param_no_forward_msg(k)
    except (ImportError, AttributeError):  # another Streamlit: one update per removed parameter
        for k in removes:
            del st.query_params[k]
    st.query_params.update({k: v for k, v in want.items() if have.get(k) != [v]})


# ---- every run -------------------------------------------------------------------------------------------


def _history_navigation() -> bool:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(ctx is not None and getattr(ctx, "is_history_navigation", False))


def _open(opened: Opened, live: Live | None) -> Live:
    new = Live(opened.preset, opened.values, opened.settings, opened.present, opened.notices)
    new.scenario_ref, new.keep_scenario, new.compare = opened.scenario_ref, opened.keep_scenario, opened.compare
    if live is not None:  # Back or Forward: the same session goes on, with this link's scenario
        new.history, new.pos = live.history, live.pos
        new.opened = False
        _drop_view_keys()
    _remember(new)
    return new


def open_session() -> Session:
    """This run's preset and base. The session's first run reads the link; a run after the browser's Back or Forward
    reads the link it went back to."""
    first = st.session_state.get(K_LIVE) is None
    live = _live()  # the session's first run reads the link here
    if not first and _history_navigation():
        qp = st.query_params
        given = {k: qp.get_all(k) for k in qp}
        want = encode(live)
        have = {k: v[-1] for k, v in given.items() if _managed(k)}
        if {k: v for k, v in want.items() if k != P_VERSION} != {k: v for k, v in have.items() if k != P_VERSION}:
            live = _open(read_link(given), live)
            st.session_state[K_LIVE] = live
    for key, value in ((K_PRESET, live.preset), (K_PRESENT, live.present)):
        if key in st.session_state:
            _sync(key, value)
    return _session(live.preset)


def preset() -> str:
    """The preset in use."""
    return _live().preset


def _sync(key: str, value: Any) -> None:
    """Show `value` in the input `key` (before the input is drawn in this run)."""
    if st.session_state.get(key, _MISSING) != value:
        st.session_state[key] = value


_MISSING = object()


def values() -> dict[str, Any]:
    """The values being edited, by dotted name (a copy)."""
    return dict(_live().values)


def shown(key: str) -> Any:
    """What the input of a field shows, in its units; call just before drawing the input and pass it as the input's
    value. An input already on screen showing something else (after undo, Back, a reset) is moved to it."""
    v = to_screen(key, _live().values.get(key))
    if key in st.session_state:
        _sync(key, v)
    return v


def notices() -> Notices:
    live = st.session_state.get(K_LIVE)
    return live.notices if live is not None else Notices()


def clear_notices() -> None:
    _live().notices = Notices()


def _build(live: Live) -> tuple[Scenario, list[str]]:
    chans = channels_of(live.values)
    key = (live.preset, tuple(live.values.items()))
    if live.built is not None and live.built[0] == key:
        return live.built[1]
    ref = _reference_flat(live.preset, chans)
    changed = {k: v for k, v in live.values.items() if not k.endswith(".kind") and ref.get(k, _MISSING) != v}
    scn, lines, _dropped = resolve(reference(live.preset, chans), changed)
    live.built = (key, (scn, lines))
    return scn, lines


def scenario(session: Session) -> tuple[Scenario, list[str]]:
    """The scenario of the values being edited, validated; with one line per value that fell back (values that
    cannot be used together fall back to the preset's or the template's)."""
    return _build(_live())


# ---- edits (callbacks: they run before the inputs are drawn) --------------------------------------------


def _copy(s: Settings) -> Settings:
    return replace(s, ranges=None if s.ranges is None else dict(s.ranges))


def _remember(live: Live) -> None:
    """Add the live values and settings as the newest step of the undo history (dropping the redo steps and the
    oldest)."""
    snap = (live.preset, dict(live.values), _copy(live.settings))
    if live.history and live.history[live.pos] == snap:
        return
    del live.history[live.pos + 1 :]
    live.history.append(snap)
    del live.history[: -(UNDO_STEPS + 1)]
    live.pos = len(live.history) - 1


def _commit(changes: dict[str, Any]) -> None:
    live = _live()
    live.values = {**live.values, **changes}
    live.notices = Notices()
    _remember(live)


def on_edit(key: str) -> None:
    """An input was edited: take its value (a callback)."""
    _commit({key: from_screen(key, st.session_state[key])})
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "channel" and parts[2] == "label":
        st.session_state[f"_box.{parts[1]}"] = True  # a renamed channel's group stays open under its new title


def set_values(changes: dict[str, Any]) -> None:
    """Put fields to these values, by dotted name in the model's units (a callback: "apply to plan" passes
    ``{"channel.<id>.share": s, …}``). One step of the undo history."""
    live = _live()
    unknown = [k for k in changes if k not in live.values]
    if unknown:
        raise KeyError(f"not a field of the scenario being edited: {', '.join(unknown)}")
    _commit(dict(changes))


def new_channel_id(label: str, taken: set[str]) -> str:
    """A channel id made from its label ("Vendor A" → vendor_a), unique among `taken`."""
    slug = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:ID_LENGTH].strip("_")
    if not slug or not slug[0].isalpha():
        slug = ("ch_" + slug)[:ID_LENGTH].strip("_")
    cid, n = slug, 2
    while cid in taken:
        cid = f"{slug[: ID_LENGTH - len(str(n)) - 1]}_{n}"
        n += 1
    return cid


def can_add() -> bool:
    return len(channels_of(_live().values)) < MAX_CHANNELS


def add_channel(kind: str | None = None, label: str | None = None) -> None:
    """Add a channel of this kind at the end, from the template (a callback; without arguments it reads the add
    form). Nothing happens at the limit of channels."""
    kind = kind or st.session_state.get(K_ADD_KIND, "generate")
    label = (label if label is not None else st.session_state.get(K_ADD_LABEL, "")).strip()[:40]
    label = label or NEW_LABELS[kind]
    live = _live()
    chans = channels_of(live.values)
    if len(chans) >= MAX_CHANNELS:
        return
    cid = new_channel_id(label, {c for c, _ in chans})
    fields = {f"channel.{cid}.{k}": v for k, v in template(kind).items()}
    fields[f"channel.{cid}.label"] = label
    _commit(fields)
    st.session_state[f"_box.{cid}"] = True  # the new channel's group opens (and stays open)
    st.session_state[K_ADD_LABEL] = ""


def remove_channel(cid: str) -> None:
    """Remove a channel (a callback); the last one stays."""
    live = _live()
    if len(channels_of(live.values)) <= 1:
        return
    prefix = f"channel.{cid}."
    live.values = {k: v for k, v in live.values.items() if not k.startswith(prefix)}
    live.notices = Notices()
    _remember(live)


def can_undo() -> bool:
    return _live().pos > 0


def can_redo() -> bool:
    live = _live()
    return live.pos < len(live.history) - 1


def _restore(pos: int) -> None:
    live = _live()
    live.pos = pos
    preset, vals, settings = live.history[pos]
    if preset != live.preset:
        live.preset = preset
        _drop_view_keys()
    live.values = dict(vals)
    live.settings = _copy(settings)
    live.notices = Notices()


def undo() -> None:
    """Back to the values before the last edit (a callback)."""
    if can_undo():
        _restore(_live().pos - 1)


def redo() -> None:
    """The edit undone last, again (a callback)."""
    if can_redo():
        _restore(_live().pos + 1)


def on_preset_change() -> None:
    """Another preset: its values in every input, its analysis settings (a callback on the preset picker)."""
    live = _live()
    live.preset = st.session_state[K_PRESET]
    live.values = flatten(_base(live.preset)[0])
    live.settings = Settings(objective=live.settings.objective)
    live.notices = Notices()
    _drop_view_keys()
    _remember(live)


def apply_scenario(scn: Scenario) -> None:
    """Put every input to this scenario — the calibration's Apply: fitted values, new channels — and make its
    uncertainty ranges the ones in use (over the ranges in use now). One step of the undo history (a callback)."""
    live = _live()
    session = _session(live.preset)
    live.values = flatten(scn)
    if scn.uncertainty is not None and scn.uncertainty.ranges:
        now = session.default_ranges if live.settings.ranges is None else dict(live.settings.ranges)
        live.settings = replace(_copy(live.settings), ranges={**now, **dict(scn.uncertainty.ranges)})
    live.notices = Notices()
    _drop_view_keys()
    _remember(live)


def open_saved(slug: str, version: int) -> None:
    """Open a saved version: its values in every input, its ranges; the link becomes ``scenario=<slug>@<n>`` (a
    callback; one step of the undo history)."""
    live = _live()
    live.preset = saved_key(slug, version)
    live.values = flatten(_base(live.preset)[0])
    live.settings = Settings(objective=live.settings.objective)
    live.notices = Notices()
    live.keep_scenario = None
    _drop_view_keys()
    _remember(live)


def base_ref() -> tuple[str, int] | None:
    """(slug, version) when the scenario being edited started from a saved version, else None."""
    return saved_of(_live().preset)


def compared() -> tuple[str, ...]:
    """The Compare view's scenarios ("current" or "<slug>@<n>"), as the link or the view chose them."""
    return _live().compare


def set_compared(items: list[str]) -> None:
    """The Compare view's scenarios (in the link as ``compare=``); at most MAX_COMPARE."""
    _live().compare = tuple(dict.fromkeys(items))[:MAX_COMPARE]


def reset(session: Session | None = None) -> None:
    """Every input and analysis setting back to the preset (a callback)."""
    live = _live()
    live.values = flatten(_base(live.preset)[0])
    live.settings = Settings()
    live.notices = Notices()
    _drop_view_keys()
    _remember(live)


def _drop_view_keys() -> None:
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(VIEW_PREFIX)]:
        del st.session_state[key]


# ---- presenter view ----------------------------------------------------------------------------------------


def presenting() -> bool:
    """Whether the presenter view is on (before the session's first run: whether the link asks for it)."""
    live = st.session_state.get(K_LIVE)
    if live is not None:
        return live.present
    return st.query_params.get(P_PRESENT, "0").lower() in ("1", "true")


def set_presenting(on: bool) -> None:
    """Presenter view on or off (in the link as ``present=1``)."""
    _live().present = bool(on)


def on_present_toggle() -> None:
    set_presenting(bool(st.session_state[K_PRESENT]))


# ---- analysis settings --------------------------------------------------------------------------------------


def ranges(session: Session) -> dict[str, tuple[float, float]]:
    """The ranges chosen: the link's or the Risk view's, else the preset's (entries for fields the scenario no
    longer has are left out when used)."""
    r = _live().settings.ranges
    return dict(session.default_ranges if r is None else r)


def draws(session: Session) -> int:
    """The simulated futures asked for (the app may use fewer: see `with_uncertainty`)."""
    return _live().settings.draws or session.default_draws


def seed(session: Session) -> int:
    v = _live().settings.seed
    return session.default_seed if v is None else v


def set_uncertainty(session: Session, scn: Scenario, chosen: dict[str, tuple[float, float]], n: int, s: int) -> None:
    """Use these ranges, draws and seed (in the link where they differ from the preset's)."""
    live = _live()
    numeric = numeric_fields(scn)
    default = {k: v for k, v in session.default_ranges.items() if k in numeric}
    new = replace(
        live.settings,
        ranges=None if dict(chosen) == default else {k: (float(lo), float(hi)) for k, (lo, hi) in chosen.items()},
        draws=None if int(n) == session.default_draws else int(n),
        seed=None if int(s) == session.default_seed else int(s),
    )
    _settle(live, new)


def _settle(live: Live, new: Settings) -> None:
    """Use new settings: one step of the undo history when they differ."""
    if new != live.settings:
        live.settings = new
        live.notices = Notices()
        _remember(live)


def draws_cap(horizon: int) -> int:
    """The most simulated futures the app runs for a horizon (draws × months ≤ MAX_DRAW_MONTHS)."""
    return max(1, MAX_DRAW_MONTHS // max(1, horizon))


def with_uncertainty(session: Session, scn: Scenario) -> tuple[Scenario, list[str], str | None]:
    """The scenario with the ranges, draws and seed in use (and the preset's correlations between them): ranges
    that no longer contain their field's value (after an edit) are left out with a line each; draws above the app's
    cap are lowered, with a note saying so."""
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
    n, cap = draws(session), draws_cap(scn.horizon_months)
    note = None
    if n > cap:
        note = (f"{n:,} simulated futures over {scn.horizon_months} months are more than the app runs at once: "
                f"it uses {cap:,} (simulated futures × months are capped at {MAX_DRAW_MONTHS:,} in the app; the "
                "command line runs more).")  # fmt: skip
        n = cap
    data = _scenario_dict(scn)
    data["uncertainty"] = {"draws": n, "seed": seed(session),
                           "ranges": {k: list(v) for k, v in out.items()}, "correlations": corr}  # fmt: skip
    try:
        return validate_scenario(data), dropped, note
    except ScenarioError as exc:  # correlations that no longer hold together: drop them, never crash the page
        data["uncertainty"]["correlations"] = {}
        return validate_scenario(data), dropped + list(exc.problems), note


def objective() -> str:
    """The optimiser's objective (``npv`` unless the link or the Optimize view chose another)."""
    return _live().settings.objective or "npv"


def floor(horizon: int) -> tuple[float | None, int | None]:
    """The optimiser's customer floor: (at least N, by month M), or (None, None); M is None for the horizon."""
    s = _live().settings
    m = s.by_month if s.by_month is not None and 1 <= s.by_month <= horizon else None
    return s.min_customers, m


def set_optimizer(obj: str, on: bool, n: float, m: int, horizon: int) -> None:
    """Use this objective and customer floor (in the link where they differ from the defaults)."""
    live = _live()
    new = replace(live.settings, objective=None if obj == "npv" else obj, min_customers=float(n) if on else None,
                  by_month=int(m) if on and int(m) != horizon else None)  # fmt: skip
    _settle(live, new)


# ---- links to share -----------------------------------------------------------------------------------------


def _page_url() -> str:
    try:
        url = st.context.url or ""
    except Exception:  # outside a browser session (tests)
        url = ""
    url = url.split("?")[0].split("#")[0]
    if url.count("/") == 2:  # http://host:port: the page is its root
        url += "/"
    return url


def share_link() -> str:
    """The link of the scenario being edited, as the address bar holds it (for reports and exports)."""
    from urllib.parse import urlencode

    params = encode(_live())
    return _page_url() + ("?" + urlencode(params) if params else "")


def saved_link(slug: str, version: int | None = None) -> str:
    """The link that opens a saved scenario: its version n, or the latest when no version is given."""
    ref = slug if version is None else f"{slug}@{version}"
    return f"{_page_url()}?{P_SCENARIO}={ref}"
