"""Calibrate: fit the channels to a CRM lead export (CSV or XLSX, at most 50 MB) — map its columns, outcomes and
sources, see each channel's fitted rates, nurture time and ranges beside the scenario's, and apply them.

The export stays in this session's server memory (st.session_state, never a cache shared between sessions) until
"Forget the upload"; the link and Apply carry only the fitted values. Everything from the file shows literally."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from simulation import Scenario, calibrate
from simulation.calibrate.errors import quote
from simulation.calibrate.mapping import KNOWN_LOST, KNOWN_WON, ROLE_TEXT, ROLES, looks_bought, norm, slug
from simulation.metrics import money
from simulation.schema import did_you_mean, flatten
from simulation.schema.scenario import MAX_CHANNELS

from .. import state
from ..charts import calibration as charts
from ..charts.theme import channel_colors
from ..contract import ViewContext
from ..text import label_text, plain
from . import parts

log = logging.getLogger(__name__)

K = state.VIEW_PREFIX + "calibrate."  # the mapping's widgets: dropped (and drawn again from the mapping) on Apply
# The upload, the mapping and the fit live under their own prefix, not VIEW_PREFIX: state.apply_scenario, a reset or
# another preset drop the views' keys, and the export must outlive them (until "Forget the upload").
D = "_calibrate."
D_EXPORT, D_SPEND, D_MAPPING, D_FIT, D_COUNTS = (D + k for k in ("export", "spend", "mapping", "fit", "counts"))
D_ERRORS, D_MSG, D_UPLOADS, D_TOKEN = (D + k for k in ("errors", "message", "uploads", "token"))

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "samples" / "crm_export.csv"
SAMPLE_MAPPING = ROOT / "data" / "samples" / "crm_mapping.toml"
MB = 1024 * 1024
EXPORT_TYPES = ["csv", "tsv", "txt", "xlsx"]
IGNORE = ""  # a source's choice "ignore": never a channel id
KINDS = ("generate", "buy")
MAX_SOURCES = 30  # source values listed for mapping (most leads first); a mapping file maps the rest
MAX_OUTCOMES = 200  # outcome values offered as won / lost
RATE_LABELS = {"lead_to_mql": "Lead → MQL", "mql_to_sql": "MQL → SQL", "sql_to_customer": "SQL → customer"}
UNEXPECTED = "an unexpected problem ({}); check that it is a CSV or XLSX export of leads with a header row"


@dataclass(frozen=True)
class Loaded:
    """The export in memory: its table, a token that changes with every load, and where it came from."""

    export: Any  # simulation.calibrate.Export
    token: int
    sample: bool = False


# ---- session data --------------------------------------------------------------------------------------------


def _token() -> int:
    st.session_state[D_TOKEN] = st.session_state.get(D_TOKEN, 0) + 1
    return st.session_state[D_TOKEN]


def _uploads() -> int:
    """The uploaders' generation: a new one draws them empty (their files leave the server's memory)."""
    return st.session_state.get(D_UPLOADS, 0)


def _clear_uploaders() -> None:
    st.session_state[D_UPLOADS] = _uploads() + 1


def _clear_widgets() -> None:
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(K)]:
        del st.session_state[key]


def _problems(title: str, lines: list[str]) -> None:
    st.session_state[D_ERRORS] = (title, list(lines))


def _unexpected(exc: Exception) -> list[str]:
    log.exception("calibrate: unexpected error")
    return [UNEXPECTED.format(type(exc).__name__)]


def _counts(loaded: Loaded, column: str) -> list[tuple[str, int]]:
    """value_counts of a column of the export in memory, kept for the session while the export is."""
    memo = st.session_state.setdefault(D_COUNTS, {})
    key = (loaded.token, column)
    if key not in memo:
        if len(memo) > 16:
            memo.clear()
        memo[key] = calibrate.value_counts(loaded.export, column)
    return memo[key]


# ---- the proposal --------------------------------------------------------------------------------------------


def _known(values: list[tuple[str, int]], known: list[str]) -> list[str]:
    want = {norm(k) for k in known}
    return [v for v, _ in values if norm(v) in want]


def _limit(sources: dict[str, Any], base: Scenario) -> tuple[dict[str, Any], int]:
    """The proposed sources (most leads first) kept while the channels fit the scenario's limit; the rest ignored."""
    new: list[str] = []
    kept = {}
    over = 0
    for value, target in sources.items():
        if target.channel not in base.channel and target.channel not in new:
            if len(base.channel) + len(new) >= MAX_CHANNELS:
                over += 1
                continue
            new.append(target.channel)
        kept[value] = target
    return kept, over


def _propose(export: Any, base: Scenario) -> Any:
    """The mapping proposed from the export's column names, its sources within the channel limit."""
    proposed = calibrate.propose_mapping(export, base)
    sources, _ = _limit(proposed.sources, base)
    return replace(proposed, sources=sources)


def _store(export: Any, mapping: Any, sample: bool = False) -> None:
    st.session_state[D_EXPORT] = Loaded(export, _token(), sample)
    st.session_state[D_MAPPING] = mapping
    st.session_state.pop(D_FIT, None)
    st.session_state.pop(D_COUNTS, None)
    st.session_state.pop(D_ERRORS, None)
    _clear_widgets()


# ---- callbacks (they run before the page is drawn again) -----------------------------------------------------


def _on_file(key: str, base: Scenario) -> None:
    """A file was chosen in the export's uploader: read it (a bad file leaves what was loaded before)."""
    f = st.session_state.get(key)
    if f is None:
        return
    name = f.name
    try:
        export = calibrate.read_export(f.getvalue(), name)
        mapping = _propose(export, base)
    except calibrate.CalibrationError as exc:
        _problems(f"{name} cannot be used:", exc.problems)
        return
    except Exception as exc:  # anything else: one line, never a traceback
        _problems(f"{name} cannot be used:", _unexpected(exc))
        return
    finally:
        _clear_uploaders()  # the bytes leave the uploader; the table read from them stays
    _store(export, mapping)


def _on_sample() -> None:
    try:
        export = calibrate.read_export(SAMPLE.read_bytes(), SAMPLE.name)
        mapping = calibrate.parse_mapping(SAMPLE_MAPPING.read_text(encoding="utf-8"), SAMPLE_MAPPING.name)
    except Exception as exc:  # the checkout lacks the sample: say so in one line
        _problems("The sample export cannot be read:", getattr(exc, "problems", None) or _unexpected(exc))
        return
    _clear_uploaders()
    _store(export, mapping, sample=True)


def _on_spend(key: str) -> None:
    f = st.session_state.get(key)
    if f is None:
        return
    try:
        spend = calibrate.read_spend(f.getvalue(), f.name)
    except calibrate.CalibrationError as exc:
        _problems(f"{f.name} cannot be used:", exc.problems)
        return
    except Exception as exc:
        _problems(f"{f.name} cannot be used:", _unexpected(exc))
        return
    finally:
        _clear_uploaders()
    st.session_state[D_SPEND] = (f.name, spend, len(spend.source))
    st.session_state.pop(D_FIT, None)
    st.session_state.pop(D_ERRORS, None)


def _on_mapping_file(key: str) -> None:
    f = st.session_state.get(key)
    loaded: Loaded | None = st.session_state.get(D_EXPORT)
    if f is None or loaded is None:
        return
    title = f"{f.name} is not used:"
    try:
        mapping = calibrate.parse_mapping(f.getvalue().decode("utf-8-sig"), f.name)
    except UnicodeDecodeError:
        _problems(title, [f"{f.name}: not UTF-8 text; a mapping file is TOML text"])
        return
    except calibrate.CalibrationError as exc:
        _problems(title, exc.problems)
        return
    except Exception as exc:
        _problems(title, _unexpected(exc))
        return
    finally:
        _clear_uploaders()
    columns = loaded.export.columns
    missing = [f"columns.{role}: no column {col!r} in {loaded.export.filename}{did_you_mean(col, columns)}"
               for role, col in mapping.columns.items() if col not in columns]  # fmt: skip
    if missing:
        _problems(title, missing)
        return
    st.session_state[D_MAPPING] = mapping
    st.session_state.pop(D_ERRORS, None)
    _clear_widgets()


def _on_forget() -> None:
    for key in (D_EXPORT, D_SPEND, D_MAPPING, D_FIT, D_COUNTS, D_ERRORS, D_MSG):
        st.session_state.pop(key, None)
    _clear_uploaders()
    _clear_widgets()


def _on_column(role: str, base: Scenario) -> None:
    """The source or outcome column changed: propose its values again."""
    loaded: Loaded | None = st.session_state.get(D_EXPORT)
    mapping = st.session_state.get(D_MAPPING)
    if loaded is None or mapping is None:
        return
    column = st.session_state.get(K + "col." + role)
    mapping = mapping.with_columns(**{role: column})
    if role == "source":
        from simulation.calibrate.mapping import propose_sources

        sources = {} if column is None else _limit(propose_sources(loaded.export.frame[column], base), base)[0]
        mapping = replace(mapping, sources=sources)
        for key in [k for k in st.session_state if isinstance(k, str) and k.startswith((K + "src.", K + "kind."))]:
            del st.session_state[key]
    else:
        values = [] if column is None else _counts(loaded, column)
        mapping = replace(mapping, won=_known(values, KNOWN_WON), lost=_known(values, KNOWN_LOST))
        for key in (K + "won", K + "lost"):
            st.session_state.pop(key, None)
    st.session_state[D_MAPPING] = mapping


def _on_apply(scn: Scenario, message: str, warnings: list[str]) -> None:
    state.apply_scenario(scn)
    st.session_state[D_MSG] = (message, list(warnings))


# ---- the page -----------------------------------------------------------------------------------------------


def _bullets(title: str, lines: list[str]) -> str:
    """A title and one line a problem, all shown literally."""
    return plain(title) + "\n\n" + "\n".join(f"- {plain(line)}" for line in lines)


def _upload(ctx: ViewContext) -> Loaded | None:
    parts.section("Your lead export")
    st.caption("One row a lead: its source, created date, optional MQL, SQL and close dates, and outcome. Columns "
               "of HubSpot contact exports and Salesforce lead or opportunity reports are recognised by name. The "
               "file stays in this session's memory on the server: it is never saved, and neither the link nor "
               "Apply carries it — only the fitted values.")  # fmt: skip
    n = _uploads()
    loaded: Loaded | None = st.session_state.get(D_EXPORT)
    pick, act = st.columns([3, 2], vertical_alignment="center")
    key = f"{D}file.{n}"
    pick.file_uploader(
        "CRM export (CSV or XLSX, at most 50 MB)", type=EXPORT_TYPES, key=key, on_change=_on_file,
        args=(key, ctx.scenario), max_upload_size=calibrate.MAX_EXPORT_BYTES // MB,
    )  # fmt: skip
    with act:
        with st.container(horizontal=True):
            st.button("Use the sample export", key=K + "sample", on_click=_on_sample, icon=":material/dataset:",
                      help="A HubSpot-style export of 15,000 leads from three sources, with its mapping "
                      "(data/samples/).")  # fmt: skip
            st.button("Forget the upload", key=K + "forget", on_click=_on_forget, icon=":material/delete:",
                      disabled=loaded is None and D_SPEND not in st.session_state,
                      help="Drop the export, the spend and the mapping from this session's memory.")  # fmt: skip
    if loaded is not None:
        ex = loaded.export
        what = "the sample export " if loaded.sample else ""
        st.caption(plain(f"In memory: {what}{ex.filename}, {ex.rows:,} rows, {len(ex.columns)} columns."))
    with st.expander("Spend per source and month (optional, for cost per lead)"):
        skey = f"{D}spend.{n}"
        st.file_uploader("Spend (CSV: source, month, spend)", type=["csv"], key=skey, on_change=_on_spend,
                         args=(skey,), max_upload_size=calibrate.MAX_EXPORT_BYTES // MB)  # fmt: skip
        st.caption("A header row source, month, spend; month as YYYY-MM; spend in the scenario's currency. A "
                   "channel's cost per lead is its sources' spend over its leads in those months.")  # fmt: skip
        spend = st.session_state.get(D_SPEND)
        if spend is not None:
            st.caption(plain(f"In memory: {spend[0]}, {spend[2]:,} rows."))
    errors = st.session_state.pop(D_ERRORS, None)  # shown once: the next change of anything hides it
    if errors is not None:
        st.error(_bullets(*errors), icon=":material/error:")
    return loaded


def _init(key: str, value: Any) -> None:
    """A widget's starting value, from the mapping, unless it has one already."""
    if key not in st.session_state:
        st.session_state[key] = value


def _hash(value: str) -> str:
    return hashlib.sha1(norm(value).encode("utf-8", "replace")).hexdigest()[:12]


def _columns(loaded: Loaded, mapping: Any, base: Scenario) -> dict[str, str]:
    cols = list(loaded.export.columns)
    options: list[str | None] = [None, *cols]
    chosen = {}
    grid: list[Any] = []
    for i, role in enumerate(ROLES):
        if i % 4 == 0:  # a row of four at a time: on a phone they stack in the roles' order
            grid = st.columns(4)
        key = K + "col." + role
        have = mapping.columns.get(role)
        if st.session_state.get(key, have) not in options:
            st.session_state.pop(key, None)
            have = None
        _init(key, have if have in cols else None)
        required = role in ("source", "created", "outcome")
        label = ROLE_TEXT[role][0].upper() + ROLE_TEXT[role][1:] + ("" if required else " (optional)")
        on_change = _on_column if role in ("source", "outcome") else None
        got = grid[i % 4].selectbox(label, options, key=key, format_func=lambda c: "—" if c is None else c,
                                    on_change=on_change, args=(role, base) if on_change else None)  # fmt: skip
        if got is not None:
            chosen[role] = got
    return chosen


def _outcomes(loaded: Loaded, mapping: Any, column: str | None) -> tuple[list[str], list[str]]:
    counts = _counts(loaded, column)[:MAX_OUTCOMES] if column else []
    n = dict(counts)
    spelled = {norm(v): v for v, _ in counts}
    extra = [v for v in [*mapping.won, *mapping.lost] if norm(v) not in spelled]
    options = [v for v, _ in counts] + list(dict.fromkeys(extra))
    spelled.update({norm(v): v for v in extra})
    won_col, lost_col = st.columns(2)
    chosen = []
    for col, what, given in ((won_col, "won", mapping.won), (lost_col, "lost", mapping.lost)):
        key = K + what
        _init(key, list(dict.fromkeys(spelled[norm(v)] for v in given if norm(v) in spelled)))
        st.session_state[key] = [v for v in st.session_state[key] if v in options]
        chosen.append(col.multiselect(
            f"Outcome values that mean {what}", options, key=key, disabled=column is None,
            format_func=lambda v: f"{v} ({n[v]:,} rows)" if v in n else f"{v} (not in the export)",
            help="Every other value, blank included, means the lead is still open.",
        ))  # fmt: skip
    return chosen[0], chosen[1]


def _channel_name(base: Scenario):  # noqa: ANN202
    def name(cid: str) -> str:
        if cid == IGNORE:
            return "ignore (leave its leads out)"
        if cid in base.channel:
            return f"{base.channel[cid].display_label(cid)} ({cid})"
        return f"new channel: {cid}"

    return name


def _sources(loaded: Loaded, mapping: Any, column: str | None, base: Scenario) -> tuple[dict[str, Any], list[str]]:
    """Each source value → a channel (existing, new, or ignore) and a kind; also problems with the choice."""
    from simulation.calibrate import Target

    if column is None:
        st.caption("Choose the source column to map its values to channels.")
        return {}, []
    counts = _counts(loaded, column)
    given = {norm(v): t for v, t in mapping.sources.items()}
    taken = set(base.channel)
    new_ids = [t.channel for t in mapping.sources.values() if t.channel not in base.channel]
    name = _channel_name(base)
    out: dict[str, Any] = {}
    kinds: dict[str, tuple[str, str]] = {}
    problems: list[str] = []
    shown = counts[:MAX_SOURCES]
    for value, n in shown:
        if value == "":
            continue
        h = _hash(value)
        target = given.get(norm(value))
        own = slug(value, taken)
        options = list(dict.fromkeys([*base.channel, *new_ids, own, IGNORE]))
        if st.session_state.get(K + "src." + h, IGNORE) not in options:  # a channel removed meanwhile
            st.session_state.pop(K + "src." + h)
        _init(K + "src." + h, target.channel if target is not None and target.channel in options else IGNORE)
        where, kind_col = st.columns([3, 1], vertical_alignment="bottom")
        cid = where.selectbox(label_text(f"{value} ({n:,} rows) → channel"), options, key=K + "src." + h,
                              format_func=name)  # fmt: skip
        if cid in base.channel:
            fixed = base.channel[cid].kind
            kind_col.selectbox("Kind", [fixed], key=K + "fixed." + h, disabled=True,
                               help="The scenario's channel keeps its kind.")  # fmt: skip
            out[value] = Target(cid, None)
            continue
        proposed = (target.kind if target is not None and target.kind else None) or (
            "buy" if looks_bought(value) or (cid != IGNORE and looks_bought(cid)) else "generate"
        )
        _init(K + "kind." + h, proposed)
        kind = kind_col.selectbox("Kind", KINDS, key=K + "kind." + h, disabled=cid == IGNORE,
                                  help="Generate: leads from your own spend. Buy: leads bought from a vendor.")  # fmt: skip
        if cid == IGNORE:
            continue
        if cid in kinds and kinds[cid][1] != kind:
            problems.append(f"sources {quote(kinds[cid][0])} and {quote(value)} both go to the new channel {cid!r} with "
                            f"different kinds; choose one kind for both")  # fmt: skip
        kinds.setdefault(cid, (value, kind))
        out[value] = Target(cid, kind)
    listed = {norm(v) for v, _ in shown}
    rest = [(v, n) for v, n in counts[MAX_SOURCES:]]
    if rest:
        mapped = [(v, n) for v, n in rest if norm(v) in given]
        for v, _ in mapped:
            out[v] = given[norm(v)]
        st.caption(plain(f"{len(rest):,} more source values ({sum(n for _, n in rest):,} rows) are not listed: "
                         f"{len(mapped):,} of them mapped by the mapping file, the rest ignored. Map them in a "
                         "mapping file (download it below, edit, upload)."))  # fmt: skip
    seen = listed | {norm(v) for v, _ in rest}
    for v, t in mapping.sources.items():  # sources of a mapping file that this export lacks: kept in the file
        if norm(v) not in seen:
            out[v] = t
    return out, problems


def _mapping(ctx: ViewContext, loaded: Loaded) -> tuple[Any, list[str]]:
    """The mapping screen; the mapping its widgets hold now, and problems to fix before a fit."""
    base = ctx.scenario
    mapping = st.session_state.get(D_MAPPING) or _propose(loaded.export, base)
    parts.section("Columns")
    columns = _columns(loaded, mapping, base)
    parts.section("Outcomes")
    won, lost = _outcomes(loaded, mapping, columns.get("outcome"))
    problems = [f"outcome: {quote(v)} is chosen as both won and lost" for v in won if v in lost]
    parts.section("Sources → channels")
    sources, more = _sources(loaded, mapping, columns.get("source"), base)
    problems += more
    parts.section("Export date and the mapping file")
    left, right = st.columns(2)
    key = K + "date"
    _init(key, mapping.export_date)
    date = left.date_input(
        "Export date (leads open on it are still open, not lost)", key=key, value=None, format="YYYY-MM-DD",
        min_value=dt.date(1990, 1, 1), max_value=dt.date.today() + dt.timedelta(days=366),
        help="Empty: the latest date in the file that is not after today.",
    )  # fmt: skip
    now = calibrate.Mapping(columns=columns, won=list(won), lost=list(lost), sources=sources, export_date=date)
    st.session_state[D_MAPPING] = now
    stem = Path(loaded.export.filename).stem or "export"
    left.download_button("Download the mapping (TOML)", calibrate.mapping_toml(now), file_name=f"{stem}_mapping.toml",
                         mime="application/toml", on_click="ignore", key=K + "download",
                         icon=":material/download:")  # fmt: skip
    mkey = f"{D}mapping.{_uploads()}"
    right.file_uploader("Use a mapping file (TOML)", type=["toml", "txt"], key=mkey, on_change=_on_mapping_file,
                        args=(mkey,), max_upload_size=1,
                        help="The format the command line's --mapping reads (docs/CALIBRATION.md).")  # fmt: skip
    return now, problems


def _fit(ctx: ViewContext, loaded: Loaded, mapping: Any) -> tuple[Any, list[str]]:
    """The calibration for the export, the mapping, the scenario's channels and the spend (kept while they stay the
    same), or the problems' lines."""
    spend = st.session_state.get(D_SPEND)
    base = ctx.scenario
    sig = (loaded.token, calibrate.mapping_toml(mapping), repr(sorted(flatten(base).items(), key=lambda kv: kv[0])),
           id(spend[1]) if spend else None)  # fmt: skip
    memo = st.session_state.get(D_FIT)
    if memo is not None and memo[0] == sig:
        return memo[1], memo[2]
    try:
        cal, lines = calibrate.fit(loaded.export, mapping, base, spend[1] if spend else None), []
    except calibrate.CalibrationError as exc:
        cal, lines = None, list(exc.problems)
    except Exception as exc:
        cal, lines = None, _unexpected(exc)
    st.session_state[D_FIT] = (sig, cal, lines)
    return cal, lines


def _pct(v: float) -> str:
    return f"{v * 100:.2f} %"


def _months(v: float) -> str:
    return f"{v:.2f} months"


def _pct_range(lo: float, hi: float) -> str:
    return "fixed (no spread)" if lo == hi else f"{lo * 100:.2f}–{hi * 100:.2f} %"


def _months_range(lo: float, hi: float) -> str:
    return "fixed (no spread)" if lo == hi else f"{lo:.2f}–{hi:.2f} months"


def _basis(text: str) -> str:
    """The fit's basis, short: '743 of 1,864 closed leads that reached MQL' → '743 of 1,864 closed MQLs'."""
    return re.sub(r"closed leads? that reached (MQL|SQL)", r"closed \1s", text)


def rate_rows(cal: Any, base: Scenario, currency: str) -> list[dict[str, str]]:
    """The fitted values table: per channel, each rate and the nurture time as Apply writes them (with the range it
    writes), the scenario's value now, and what the fit is based on."""
    rows = []
    for cid, cf in _ordered(cal, base):
        now = base.channel.get(cid)
        label = cf.label
        for name, r in cf.rates.items():
            if r.fitted:
                v, (lo, hi) = calibrate.rate_range(r.value, r.p10, r.p90)
                fitted, rng = _pct(v), _pct_range(lo, hi)
            else:
                fitted, rng = _pct(r.value), "—"
            rows.append({"Channel": label, "Value": RATE_LABELS[name], "Fitted": fitted, "P10–P90": rng,
                         "Now": _pct(getattr(now, name)) if now is not None else "— (new)",
                         "From": _basis(r.basis) if r.fitted else f"kept: {r.basis}"})  # fmt: skip
        nf = cf.nurture
        if nf is not None:
            v, (lo, hi) = calibrate.months_range(nf.value, nf.p10, nf.p90)
            fitted, rng = _months(v), _months_range(lo, hi)
            basis = f"{nf.closed:,} closed, {nf.censored:,} open (censored)"
        else:
            fitted, rng, basis = "—", "—", "no closed lead with a close date: kept"
        rows.append({"Channel": label, "Value": "Nurture time", "Fitted": fitted, "P10–P90": rng,
                     "Now": _months(now.nurture_months) if now is not None else "— (new)", "From": basis})  # fmt: skip
        if cf.cpl is not None:
            rows.append({"Channel": label, "Value": "Cost per lead", "Fitted": money(cf.cpl, currency, 2),
                         "P10–P90": "—", "Now": money(now.cost_per_lead, currency, 2) if now is not None else "— (new)",
                         "From": f"{money(cf.spend, currency)} spent over {cf.spend_leads:,} leads in "
                                 f"{cf.spend_months} months"})  # fmt: skip
    return rows


def sample_rows(cal: Any, base: Scenario) -> list[dict[str, Any]]:
    """Per channel: its sources and sample sizes."""
    return [{"Channel": cf.label, "Kind": cf.kind + (" (new)" if cf.new else ""), "Sources": ", ".join(cf.sources),
             "Leads": cf.leads, "Still open": cf.open, "Closed": cf.closed, "Won": cf.won}
            for _, cf in _ordered(cal, base)]  # fmt: skip


def _ordered(cal: Any, base: Scenario) -> list[tuple[str, Any]]:
    """The fitted channels in the scenario's order, new ones after (where Apply puts them)."""
    ids = [c for c in base.channel if c in cal.channels] + [c for c in cal.channels if c not in base.channel]
    return [(c, cal.channels[c]) for c in ids]


def _colors(cal: Any, base: Scenario) -> dict[str, str]:
    return channel_colors([*base.channel, *(c for c in cal.channels if c not in base.channel)])


def change_summary(before: Scenario, after: Scenario) -> str:
    """What Apply changes: values of the scenario's channels, channels added, ranges set."""
    a, b = flatten(before), flatten(after)
    changed = [k for k in b if k in a and a[k] != b[k]]
    touched = list(dict.fromkeys(k.split(".")[1] for k in changed if k.startswith("channel.")))
    added = [c for c in after.channel if c not in before.channel]
    r0 = before.uncertainty.ranges if before.uncertainty else {}
    r1 = after.uncertainty.ranges if after.uncertainty else {}
    ranges = [k for k, v in r1.items() if r0.get(k) != v]
    names = ", ".join(after.channel[c].display_label(c) for c in touched)
    parts_ = [
        f"{len(changed)} {'value' if len(changed) == 1 else 'values'} changed"
        + (f" in {len(touched)} {'channel' if len(touched) == 1 else 'channels'} ({names})" if touched else "")
    ]
    if added:
        parts_.append(f"{len(added)} {'channel' if len(added) == 1 else 'channels'} added "
                      f"({', '.join(after.channel[c].display_label(c) for c in added)})")  # fmt: skip
    parts_.append(f"{len(ranges)} uncertainty {'range' if len(ranges) == 1 else 'ranges'} set from the fit")
    return "Applied to the scenario: " + "; ".join(parts_) + ". Undo goes back."


def _results(ctx: ViewContext, loaded: Loaded, cal: Any) -> None:
    base = ctx.scenario
    parts.section("What the export says")
    stages = " and ".join(s.upper() for s in cal.stages)
    date_from = "set in the mapping" if cal.export_date_given else "the latest date in the file"
    line = (f"{cal.leads:,} leads of {cal.rows:,} rows fitted; export date {cal.export_date.isoformat()} ({date_from})."
            + (f" Stage dates: {stages}." if stages else " No MQL or SQL dates: Lead → MQL and MQL → SQL are kept, "
               "and the conversion to customer is fitted through SQL → customer."))  # fmt: skip
    st.caption(plain(line))
    if cal.warnings:
        st.warning(_bullets("Rows left out or noted:", cal.warnings), icon=":material/warning:")
    st.dataframe(pd.DataFrame(sample_rows(cal, base)), hide_index=True, width="stretch", key=K + "samples")
    few = [w for cf in cal.channels.values() for w in cf.warnings]
    if few:
        st.warning(_bullets("Read these fits with care:", few), icon=":material/warning:")
    parts.section("Fitted values against the scenario's")
    rows = rate_rows(cal, base, base.currency)
    text = st.column_config.TextColumn
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=K + "rates", height=38 + 35 * len(rows),
                 column_config={"Channel": text(pinned=True), "Value": text(width=115), "Fitted": text(width=100),
                                "P10–P90": text(width=135), "Now": text(width=100)})  # fmt: skip
    st.caption("Rates come from closed leads only (won or lost): leads still open at the export date are left out, "
               "not counted as lost. P10–P90 is the 80 % range of each value's uncertainty (a Beta posterior for a "
               "rate, the likelihood for the nurture time); Apply writes it as the value's range for the Risk view.")  # fmt: skip
    colors = _colors(cal, base)
    curves = {cid: charts.SurvivalCurve(cf.label, cf.nurture.months, cf.nurture.km, cf.nurture.model)
              for cid, cf in _ordered(cal, base) if cf.nurture is not None}  # fmt: skip
    left, right = st.columns(2)
    if curves:
        parts.chart(left, charts.survival(curves, colors), key=K + "survival")
        parts.caption(left, "Solid: the share of each channel's leads still open k months after they arrived, from "
                      "the export (Kaplan–Meier, open leads counted until the export date). Dashed: the same share "
                      "under the fitted nurture time.")  # fmt: skip
    volume = {cid: (cf.label, cf.volume) for cid, cf in _ordered(cal, base)}
    months = next(iter(cal.channels.values())).months
    parts.chart(right, charts.volume(months, volume, colors), key=K + "volume")
    parts.caption(right, f"Leads created each month (the last month, {months[-1]}, runs to the export date).")


def _apply(ctx: ViewContext, cal: Any) -> None:
    base = ctx.scenario
    parts.section("Apply to the scenario")
    try:
        scn, warnings = calibrate.apply(base, cal)
    except calibrate.CalibrationError as exc:
        st.error(_bullets("These fits cannot be applied:", exc.problems), icon=":material/block:")
        _message()
        return
    except Exception as exc:
        st.error(_bullets("These fits cannot be applied:", _unexpected(exc)), icon=":material/block:")
        _message()
        return
    r0 = base.uncertainty.ranges if base.uncertainty else {}
    r1 = scn.uncertainty.ranges if scn.uncertainty else {}
    same = flatten(scn) == flatten(base) and all(r0.get(k) == v for k, v in r1.items())
    message = change_summary(base, scn)
    noted = set(cal.all_warnings())  # shown with the fits already
    warnings = [w for w in warnings if w not in noted]
    st.button("Apply to the scenario", key=K + "apply", type="primary", icon=":material/check:", on_click=_on_apply,
              args=(scn, message, warnings), disabled=same,
              help="Write the fitted values into the channels, and their P10–P90 as ranges.")  # fmt: skip
    st.caption("The scenario has these fitted values." if same else
               "Writes each fitted rate and nurture time (and cost per lead, with spend) into its channel and the "
               "P10–P90 as its uncertainty range; new channels start with a share of 0. Undo goes back. The link "
               "then carries the values, never the export.")  # fmt: skip
    _message()


def _message() -> None:
    said = st.session_state.pop(D_MSG, None)
    if said:
        text, warnings = said
        st.success(plain(text), icon=":material/check_circle:")
        if warnings:
            st.warning(_bullets("Notes from applying:", warnings), icon=":material/warning:")


def render(ctx: ViewContext) -> None:
    loaded = _upload(ctx)
    if loaded is None:
        _message()
        return
    mapping, problems = _mapping(ctx, loaded)
    if problems:
        st.error(_bullets("Fix the mapping first:", problems), icon=":material/error:")
        _message()
        return
    with st.spinner("Fitting…"):
        cal, lines = _fit(ctx, loaded, mapping)
    if cal is None:
        st.error(_bullets("The export cannot be fitted with this mapping:", lines), icon=":material/error:")
        _message()
        return
    _results(ctx, loaded, cal)
    _apply(ctx, cal)  # the message of an Apply under its button
