"""The mapping: which export column is what, which values are won or lost, which source is which channel.

The TOML format (the CLI's ``--mapping`` file and the app's mapping screen read and write it)::

    [columns]                     # what → the export's column name
    id = "Record ID"
    source = "Original Source"
    created = "Create Date"
    mql = "Became a Marketing Qualified Lead Date"      # optional
    sql = "Became a Sales Qualified Lead Date"          # optional
    closed = "Close Date"                               # won or lost; empty while open
    outcome = "Deal Stage"

    [outcome]                     # the export's values → won / lost; anything else is open
    won = ["Closed Won", "customer"]
    lost = ["Closed Lost", "Unqualified"]

    [sources]                     # the export's source values → channels
    "Organic Search" = "content"
    "LeadCo list" = { channel = "vendor_a", kind = "buy" }

    [export]
    date = 2026-10-31             # censoring date; default: the latest date in the file
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import tomli_w

from ..schema import Scenario, did_you_mean
from ..schema.scenario import CHANNEL_ID, MAX_CHANNELS
from .errors import CalibrationError, clip, quote
from .reader import Export

ROLES = ("id", "source", "created", "mql", "sql", "closed", "outcome", "amount")
REQUIRED = ("source", "created", "outcome")
ROLE_TEXT = {
    "id": "lead id", "source": "lead source", "created": "created date", "mql": "MQL date", "sql": "SQL date",
    "closed": "close date", "outcome": "outcome (won / lost / open)", "amount": "amount",
}  # fmt: skip

# Column names recognised without a mapping, best first: HubSpot contact and deal exports, Salesforce
# lead and opportunity reports, then plain names. Matching ignores case, spaces, '_' and '-'.
KNOWN_COLUMNS: dict[str, list[str]] = {
    "id": ["Record ID", "Contact ID", "Deal ID", "Lead ID", "Opportunity ID", "Lead Id", "Id", "lead_id"],
    "source": ["Original Source", "Original Source Type", "Lead Source", "Source", "Latest Source",
               "Original Traffic Source", "Channel"],
    "created": ["Create Date", "Created Date", "Lead Created Date", "Created", "Date Created", "Created At",
                "created_at", "Create date"],
    "mql": ["Became a Marketing Qualified Lead Date", "MQL Date", "Date Became MQL", "Marketing Qualified Date",
            "mql_date"],
    "sql": ["Became a Sales Qualified Lead Date", "SQL Date", "Date Became SQL", "Converted Date",
            "Sales Qualified Date", "sql_date"],
    "closed": ["Close Date", "Closed Date", "Date Closed", "Closed At", "close_date"],
    "outcome": ["Deal Stage", "Stage", "Opportunity Stage", "Outcome", "Lead Status", "Lifecycle Stage", "Status"],
    "amount": ["Amount", "Deal Amount", "Opportunity Amount", "Total Contract Value", "Annual Revenue (deal)"],
}  # fmt: skip

# Outcome values proposed as won or lost when they occur (matching ignores case and spaces).
KNOWN_WON = ["Closed Won", "closedwon", "Won", "Customer", "Closed - Won"]
KNOWN_LOST = ["Closed Lost", "closedlost", "Lost", "Unqualified", "Disqualified", "Closed - Not Converted",
              "Closed - Lost", "Bad Timing", "Not Interested"]  # fmt: skip

# A source whose name contains one of these words is proposed as a bought (buy) channel.
BOUGHT_WORDS = ["vendor", "purchased", "purchase", "bought", "list", "lists", "partner", "partners",
                "affiliate", "affiliates", "broker", "reseller", "aggregator", "syndication", "leadgen"]  # fmt: skip
_BOUGHT = re.compile(r"(?<![a-z])(" + "|".join(BOUGHT_WORDS) + r")(?![a-z])")


def norm(text: str) -> str:
    """A source or outcome value as matched: trimmed, case ignored."""
    return str(text).strip().casefold()


def _col_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(text)).casefold()


def looks_bought(name: str) -> bool:
    """Whether a source or channel name reads as a bought source (vendor, purchased, list, partner, …)."""
    return bool(_BOUGHT.search(str(name).casefold().replace("_", " ")))


def slug(text: str, taken: set[str] | None = None) -> str:
    """A valid channel id from a source value: lowercase, a–z 0–9 _, starts with a letter, ≤ 24, unique."""
    s = re.sub(r"[^a-z0-9]+", "_", str(text).casefold()).strip("_")
    if not s or not s[0].isalpha():
        s = "src_" + s
    s = s[:24].rstrip("_")
    taken = taken or set()
    if s not in taken:
        return s
    for i in range(2, 1000):
        cand = f"{s[: 24 - len(str(i)) - 1]}_{i}"
        if cand not in taken:
            return cand
    raise CalibrationError([f"sources: cannot make a channel id for {quote(text)}"])


@dataclass(frozen=True)
class Target:
    """Where one source value goes: a channel id and, when given in the mapping, its kind."""

    channel: str
    kind: str | None = None


@dataclass(frozen=True)
class Mapping:
    """Columns by role, outcome values, source → channel, and the export (censoring) date."""

    columns: dict[str, str] = field(default_factory=dict)
    won: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    sources: dict[str, Target] = field(default_factory=dict)
    export_date: dt.date | None = None

    def with_columns(self, **columns: str | None) -> Mapping:
        """A copy with some roles set (a column name) or removed (None)."""
        cols = dict(self.columns)
        for role, col in columns.items():
            if col is None:
                cols.pop(role, None)
            else:
                cols[role] = col
        return replace(self, columns=cols)

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": dict(self.columns),
            "outcome": {"won": list(self.won), "lost": list(self.lost)},
            "sources": {k: {"channel": t.channel, "kind": t.kind} for k, t in self.sources.items()},
            "export_date": self.export_date.isoformat() if self.export_date else None,
        }


# ---- proposal -----------------------------------------------------------------------------------


def recognise_columns(columns: list[str]) -> dict[str, str]:
    """Role → column for the columns whose names are known (HubSpot, Salesforce, plain names)."""
    keyed: dict[str, str] = {}
    for c in columns:
        keyed.setdefault(_col_key(c), c)
    out: dict[str, str] = {}
    used: set[str] = set()
    for role in ROLES:
        for known in KNOWN_COLUMNS[role]:
            col = keyed.get(_col_key(known))
            if col is not None and col not in used:
                out[role] = col
                used.add(col)
                break
    return out


def _propose_outcomes(values: pd.Series) -> tuple[list[str], list[str]]:
    present: dict[str, str] = {}
    for v in pd.unique(values):
        present.setdefault(norm(v), str(v).strip())
    won = [present[norm(k)] for k in KNOWN_WON if norm(k) in present]
    lost = [present[norm(k)] for k in KNOWN_LOST if norm(k) in present]
    return list(dict.fromkeys(won)), list(dict.fromkeys(lost))


def propose_sources(values: pd.Series, base: Scenario | None = None) -> dict[str, Target]:
    """Each distinct source value (most leads first) → an existing channel of the base with the same id or
    label, or a new channel named after it; the kind proposed from the name."""
    counts = values.map(norm).value_counts(sort=True)
    spelling: dict[str, str] = {}
    for v in values.drop_duplicates():
        spelling.setdefault(norm(v), str(v).strip())
    existing: dict[str, str] = {}
    taken: set[str] = set()
    if base is not None:
        for cid, ch in base.channel.items():
            existing.setdefault(cid, cid)
            existing.setdefault(norm(ch.label), cid)
            taken.add(cid)
    out: dict[str, Target] = {}
    for key in counts.index:
        if key == "":
            continue
        name = spelling[key]
        cid = existing.get(key) or existing.get(slug(name))
        if cid is None:
            cid = slug(name, taken)
            taken.add(cid)
            existing[key] = cid
        out[name] = Target(cid, None)
    return out


def propose_mapping(export: Export, base: Scenario | None = None) -> Mapping:
    """A mapping from the column names alone: known columns, outcome values and every source as a channel.

    Required roles that are not recognised are left out (``fit`` names them)."""
    cols = recognise_columns(export.columns)
    won: list[str] = []
    lost: list[str] = []
    if "outcome" in cols:
        won, lost = _propose_outcomes(export.frame[cols["outcome"]])
    sources = propose_sources(export.frame[cols["source"]], base) if "source" in cols else {}
    return Mapping(columns=cols, won=won, lost=lost, sources=sources, export_date=None)


# ---- the TOML file ------------------------------------------------------------------------------

_SECTIONS = ["columns", "outcome", "sources", "export"]


def parse_mapping(text: str, source: str = "mapping") -> Mapping:
    """A mapping from TOML text; CalibrationError with one line per problem."""
    name = clip(source)
    if len(text) > 1_000_000:
        raise CalibrationError([f"{name}: larger than 1 MB; a mapping file is a few kilobytes"])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CalibrationError([f"{name}: malformed TOML: {clip(exc, 120)}"]) from None
    except (RecursionError, MemoryError):
        raise CalibrationError([f"{name}: nested too deeply to be a mapping"]) from None
    problems: list[str] = []
    for key in data:
        if key not in _SECTIONS:
            problems.append(
                f"{clip(key)}: unknown section{did_you_mean(key, _SECTIONS)}; allowed {', '.join(_SECTIONS)}"
            )
    columns: dict[str, str] = {}
    cols = data.get("columns", {})
    if not isinstance(cols, dict):
        problems.append('columns: expected a table of role = "column name"')
        cols = {}
    for role, col in cols.items():
        if role not in ROLES:
            problems.append(
                f"columns.{clip(role)}: unknown role{did_you_mean(role, list(ROLES))}; allowed {', '.join(ROLES)}"
            )
        elif not isinstance(col, str) or not col.strip():
            problems.append(f"columns.{role}: expected a column name (text), got {_what(col)}")
        else:
            columns[role] = col
    won: list[str] = []
    lost: list[str] = []
    outcome = data.get("outcome", {})
    if not isinstance(outcome, dict):
        problems.append("outcome: expected a table with won = [...] and lost = [...]")
        outcome = {}
    for key, values in outcome.items():
        if key not in ("won", "lost"):
            problems.append(f"outcome.{clip(key)}: unknown key{did_you_mean(key, ['won', 'lost'])}; allowed won, lost")
            continue
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problems.append(f"outcome.{key}: expected a list of values (text), got {_what(values)}")
            continue
        (won if key == "won" else lost).extend(values)
    both = {norm(v) for v in won} & {norm(v) for v in lost}
    for v in sorted(both):
        problems.append(f"outcome: {quote(v)} is listed as both won and lost")
    sources: dict[str, Target] = {}
    seen: dict[str, tuple[str, Target]] = {}
    srcs = data.get("sources", {})
    if not isinstance(srcs, dict):
        problems.append('sources: expected a table of "source value" = "channel_id"')
        srcs = {}
    for value, target in srcs.items():
        where = f"sources.{quote(value)}"
        if isinstance(target, str):
            t = Target(target, None)
        elif isinstance(target, dict):
            extra = [k for k in target if k not in ("channel", "kind")]
            if extra:
                problems.append(f"{where}: unknown key {quote(extra[0])}; allowed channel, kind")
                continue
            kind = target.get("kind")
            if kind is not None and kind not in ("generate", "buy"):
                problems.append(f"{where}.kind: {_what(kind)} is not allowed; allowed 'generate' or 'buy'")
                continue
            if not isinstance(target.get("channel"), str):
                problems.append(f"{where}.channel: expected a channel id (text), got {_what(target.get('channel'))}")
                continue
            t = Target(target["channel"], kind)
        else:
            problems.append(
                f'{where}: expected a channel id or {{ channel = "id", kind = "buy" }}, got {_what(target)}'
            )
            continue
        if not CHANNEL_ID.fullmatch(t.channel):
            problems.append(
                f"{where}: {quote(t.channel)} is not a channel id (a lowercase letter then up to 23 of a-z, 0-9 or _)"
            )
            continue
        key = norm(value)
        if key in seen and seen[key][1] != t:
            problems.append(
                f"{where}: the same source (case and spaces ignored) as {quote(seen[key][0])}, mapped differently"
            )
            continue
        seen[key] = (value, t)
        sources[value] = t
    kinds: dict[str, str] = {}
    for value, t in sources.items():
        if t.kind is not None:
            if kinds.get(t.channel, t.kind) != t.kind:
                problems.append(f"sources.{quote(value)}: channel {t.channel!r} is given both kinds, generate and buy")
            kinds[t.channel] = t.kind
    export_date = None
    exp = data.get("export", {})
    if not isinstance(exp, dict):
        problems.append("export: expected a table with date = YYYY-MM-DD")
        exp = {}
    for key, v in exp.items():
        if key != "date":
            problems.append(f"export.{clip(key)}: unknown key{did_you_mean(key, ['date'])}; allowed date")
        elif isinstance(v, dt.datetime):
            export_date = v.date()
        elif isinstance(v, dt.date):
            export_date = v
        else:
            problems.append(f"export.date: expected a date such as 2026-10-31 (no quotes), got {_what(v)}")
    if problems:
        raise CalibrationError(problems)
    return Mapping(columns=columns, won=won, lost=lost, sources=sources, export_date=export_date)


def _what(v: Any) -> str:
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, list):
        return "a list"
    return quote(v) if isinstance(v, str) else clip(repr(v))


def mapping_toml(mapping: Mapping) -> str:
    """The mapping as TOML text that parse_mapping reads back to an equal mapping."""
    doc: dict[str, Any] = {"columns": {r: mapping.columns[r] for r in ROLES if r in mapping.columns}}
    doc["outcome"] = {"won": list(mapping.won), "lost": list(mapping.lost)}
    doc["sources"] = {
        value: (t.channel if t.kind is None else {"channel": t.channel, "kind": t.kind})
        for value, t in mapping.sources.items()
    }
    if mapping.export_date is not None:
        doc["export"] = {"date": mapping.export_date}
    return tomli_w.dumps(doc)


def source_kinds(mapping: Mapping, base: Scenario | None) -> tuple[dict[str, str], list[str]]:
    """Channel id → kind: the base's kind for its channels; else the mapping's kind; else proposed from the
    names (buy when the channel id or any of its source values looks bought). Also the problems."""
    problems: list[str] = []
    names: dict[str, list[str]] = {}
    given: dict[str, str] = {}
    for value, t in mapping.sources.items():
        names.setdefault(t.channel, []).append(value)
        if t.kind is not None:
            given[t.channel] = t.kind
    kinds: dict[str, str] = {}
    for cid, values in names.items():
        if base is not None and cid in base.channel:
            kinds[cid] = base.channel[cid].kind
            if cid in given and given[cid] != kinds[cid]:
                problems.append(
                    f"sources.{quote(values[0])}: kind {given[cid]!r}, but channel {cid!r} of the base scenario is a "
                    f"{kinds[cid]} channel"
                )
        elif cid in given:
            kinds[cid] = given[cid]
        else:
            kinds[cid] = "buy" if looks_bought(cid) or any(looks_bought(v) for v in values) else "generate"
    n_new = len([c for c in kinds if base is None or c not in base.channel])
    n_all = n_new + (len(base.channel) if base is not None else 0)
    if n_all > MAX_CHANNELS:
        problems.append(
            f"sources: the mapping makes {n_all} channels ({n_new} new); allowed at most {MAX_CHANNELS}: map several "
            "sources to one channel or leave some out of [sources]"
        )
    return kinds, problems


def source_codes(values: pd.Series, mapping: Mapping, channels: list[str]) -> tuple[np.ndarray, dict[str, int]]:
    """Per row: the index of its channel in `channels`, or -1 when its source is not mapped; and the count
    of rows per unmapped source value (as first spelled)."""
    codes, uniques = pd.factorize(values, sort=False)
    index = {c: i for i, c in enumerate(channels)}
    wanted = {norm(v): index[t.channel] for v, t in mapping.sources.items()}
    lookup = np.array([wanted.get(norm(u), -1) for u in uniques] + [-1], dtype=np.int64)
    row_codes = lookup[codes]  # factorize's -1 (missing) maps to the trailing -1
    by_key: dict[str, list] = {}
    if (row_codes < 0).any():
        counts = np.bincount(codes[(row_codes < 0) & (codes >= 0)], minlength=len(uniques))
        for i in np.flatnonzero(counts):
            entry = by_key.setdefault(norm(uniques[i]), [str(uniques[i]).strip(), 0])
            entry[1] += int(counts[i])
    return row_codes, {label: n for label, n in by_key.values()}


def value_counts(export: Export, column: str) -> list[tuple[str, int]]:
    """The distinct values of a column as matched (spaces trimmed, case ignored), most rows first, each with its
    first spelling and its row count: what the mapping screen lists for [sources] and [outcome]."""
    values = export.frame[column]
    keys = values.map(norm)
    spelling: dict[str, str] = {}
    for v, k in zip(values.drop_duplicates(), keys[values.drop_duplicates().index], strict=True):
        spelling.setdefault(k, str(v).strip())
    return [(spelling[k], int(n)) for k, n in keys.value_counts(sort=True).items()]
