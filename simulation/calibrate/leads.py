"""From an export and a mapping to clean lead arrays: dates as day numbers, outcomes, channels.

Row problems are either dropped with one warning or refused (CalibrationError), one line per
column and kind of problem, naming the column and the number of rows (docs/CALIBRATION.md):

- dropped with a warning: duplicate ids (the first row of each id is kept), rows with no created
  date, rows whose source is not in [sources];
- refused (exit 2): dates that cannot be read, dates after the export date, and MQL, SQL or close
  dates before the created date (negative durations would bias the fitted nurture time).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import CalibrationError, quote, rows_text
from .mapping import KNOWN_COLUMNS, REQUIRED, ROLE_TEXT, ROLES, Mapping, norm, source_codes
from .reader import Export

DAYS_PER_MONTH = 30.44  # durations are round(days / 30.44) whole months (the contract)
NO_DAY = np.iinfo(np.int64).min  # a missing date among day numbers
DATE_ROLES = ("created", "mql", "sql", "closed")
OPEN, LOST, WON = 0, 1, 2

# Date formats tried on a column's date part (the text before a space or 'T' when it starts with a
# digit): the one that reads the most values is used for the whole column.
_FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%m/%d/%y", "%d/%m/%y", "%d-%m-%Y",
            "%m-%d-%Y", "%d-%b-%Y", "%d-%b-%y", "%Y%m%d"]  # fmt: skip
_FORMAT_TEXT = {"%Y-%m-%d": "YYYY-MM-DD", "%m/%d/%Y": "M/D/YYYY", "%d/%m/%Y": "D/M/YYYY", "%d.%m.%Y": "D.M.YYYY",
                "%Y/%m/%d": "YYYY/MM/DD", "%m/%d/%y": "M/D/YY", "%d/%m/%y": "D/M/YY", "%d-%m-%Y": "D-M-YYYY",
                "%m-%d-%Y": "M-D-YYYY", "%d-%b-%Y": "D-Mon-YYYY", "%d-%b-%y": "D-Mon-YY", "%Y%m%d": "YYYYMMDD"}  # fmt: skip
_SWAPPED = {"%m/%d/%Y": "%d/%m/%Y", "%m/%d/%y": "%d/%m/%y", "%m-%d-%Y": "%d-%m-%Y"}
_EPOCH = dt.date(1970, 1, 1).toordinal()
_DATE_PART = re.compile(r"^\s*(\d[^\sT]*)")


@dataclass(frozen=True)
class Leads:
    """The usable leads of an export, one array entry a lead (only rows of mapped sources).

    ``created``/``closed`` are day numbers (days since 1970-01-01; ``closed`` is NO_DAY when open or
    unknown); ``state`` OPEN/LOST/WON; ``mql``/``sql`` whether the lead reached that stage (None when
    the export has no such column); ``export_day`` the censoring date's day number."""

    channel: np.ndarray
    created: np.ndarray
    closed: np.ndarray
    state: np.ndarray
    mql: np.ndarray | None
    sql: np.ndarray | None
    amount: np.ndarray | None
    export_day: int
    export_date_given: bool


def day_of(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def date_of(day: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(day))


def _col(mapping: Mapping, role: str) -> str:
    return mapping.columns[role]


def _name(mapping: Mapping, role: str) -> str:
    return f"{quote(mapping.columns[role])} ({role})"


def check_columns(export: Export, mapping: Mapping) -> list[str]:
    """One line per required role with no column and per mapped column the export lacks."""
    import difflib

    problems = []
    for role in REQUIRED:
        if role not in mapping.columns:
            looked = ", ".join(repr(k) for k in KNOWN_COLUMNS[role][:3])
            problems.append(
                f"{role}: no column recognised as the {ROLE_TEXT[role]} (looked for {looked}, …); the export's columns "
                f'are {_list(export.columns)}; name one in the mapping\'s [columns] {role} = "…"'
            )
    for role in ROLES:
        col = mapping.columns.get(role)
        if col is not None and col not in export.columns:
            close = difflib.get_close_matches(col, export.columns, n=1, cutoff=0.6)
            hint = (
                f" (did you mean {quote(close[0])}?)"
                if close
                else f"; the export's columns are {_list(export.columns)}"
            )
            problems.append(f"columns.{role}: no column {quote(col)} in {export.filename}{hint}")
    return problems


def _list(columns: list[str], n: int = 8) -> str:
    shown = ", ".join(quote(c, 40) for c in columns[:n])
    return shown + (f" and {len(columns) - n} more" if len(columns) > n else "")


def parse_dates(values: pd.Series) -> tuple[np.ndarray, np.ndarray, str | None, bool]:
    """Day numbers of a column of date text: (days with NO_DAY for blank or unreadable, unreadable mask,
    the format used, whether day and month order was ambiguous)."""
    codes, uniques = pd.factorize(values, sort=False)
    texts = [str(u) for u in uniques]
    parts = []
    for t in texts:
        m = _DATE_PART.match(t)
        parts.append(m.group(1) if m else t.strip())
    blank = np.array([t.strip() == "" for t in texts], dtype=bool)
    probe = pd.Series([p for p, b in zip(parts, blank, strict=True) if not b][:2000], dtype=object)
    best, best_n, scores = None, -1, {}
    for fmt in _FORMATS:
        n = int(pd.to_datetime(probe, format=fmt, errors="coerce").notna().sum()) if len(probe) else 0
        scores[fmt] = n
        if n > best_n:
            best, best_n = fmt, n
    ambiguous = best in _SWAPPED and scores[_SWAPPED[best]] == best_n and best_n > 0
    if best_n <= 0:
        best = None
    udays = np.full(len(texts), NO_DAY, dtype=np.int64)
    if best is not None and len(texts):
        parsed = pd.to_datetime(pd.Series(parts, dtype=object), format=best, errors="coerce")
        ok = parsed.notna().to_numpy()
        udays[ok] = parsed[ok].to_numpy().astype("datetime64[D]").astype(np.int64)
    bad_u = ~blank & (udays == NO_DAY)
    if best is not None and bad_u.any() and bad_u.sum() <= 10_000:  # beyond pandas' years 1677–2262
        for i in np.flatnonzero(bad_u):
            try:
                udays[i] = dt.datetime.strptime(parts[i], best).date().toordinal() - _EPOCH
            except ValueError:
                continue
        bad_u = ~blank & (udays == NO_DAY)
    days = np.append(udays, NO_DAY)[codes]
    bad = np.append(bad_u, False)[codes]
    return days, bad, best, ambiguous


def prepare(export: Export, mapping: Mapping, channels: list[str], today: dt.date | None = None,
            ) -> tuple[Leads, list[str]]:  # fmt: skip
    """Clean lead arrays of the mapped sources and the warnings; CalibrationError for what exit 2 refuses."""
    problems = check_columns(export, mapping)
    if problems:
        raise CalibrationError(problems)
    frame = export.frame
    warnings: list[str] = []
    n = len(frame)
    keep = np.ones(n, dtype=bool)
    # duplicate ids: the first row of each id is kept
    if "id" in mapping.columns:
        ids = frame[_col(mapping, "id")].str.strip()
        dup = ids.duplicated(keep="first").to_numpy() & (ids != "").to_numpy()
        if dup.any():
            warnings.append(
                f"{_name(mapping, 'id')}: {rows_text(int(dup.sum()))} with an id seen before dropped (the first row of each id kept)"
            )
            keep &= ~dup
    # sources not in [sources]
    codes, unmapped = source_codes(frame[_col(mapping, "source")], mapping, channels)
    codes_kept = np.where(keep, codes, -2)
    ignored = int((codes_kept == -1).sum())
    if ignored:
        _, unmapped = source_codes(frame[_col(mapping, "source")][keep], mapping, channels)
        top = sorted(unmapped.items(), key=lambda kv: -kv[1])
        shown = ", ".join(f"{quote(k, 40) if k else '(blank)'} {v:,}" for k, v in top[:5])
        more = f" and {len(top) - 5} more" if len(top) > 5 else ""
        warnings.append(
            f"{_name(mapping, 'source')}: {rows_text(ignored)} with sources not in [sources] ignored ({shown}{more})"
        )
    keep &= codes >= 0
    # dates
    days: dict[str, np.ndarray] = {}
    for role in DATE_ROLES:
        if role not in mapping.columns:
            continue
        d, bad, fmt, ambiguous = parse_dates(frame[_col(mapping, role)])
        created_blank = role == "created"
        bad_kept = bad & keep
        if bad_kept.any():
            first = int(np.flatnonzero(bad_kept)[0])
            value = frame[_col(mapping, role)].iat[first]
            how = f"; the column reads as {_FORMAT_TEXT[fmt]}" if fmt else ""
            problems.append(
                f"{_name(mapping, role)}: {rows_text(int(bad_kept.sum()))} not a date (first: row {first + 2}, "
                f"{quote(value, 40)}){how}"
            )
        if ambiguous and (keep & (d != NO_DAY)).any():
            warnings.append(
                f"{_name(mapping, role)}: day and month cannot be told apart in any row; read as "
                f"{_FORMAT_TEXT[fmt or '']} (month first)"
            )
        days[role] = d
        if created_blank:
            blank = keep & (d == NO_DAY) & ~bad
            if blank.any():
                warnings.append(f"{_name(mapping, 'created')}: {rows_text(int(blank.sum()))} with no date dropped")
                keep &= ~blank
    if problems:
        raise CalibrationError(problems)
    # outcomes: the mapping's won / lost values, anything else is open
    out_vals = frame[_col(mapping, "outcome")]
    o_codes, o_uniques = pd.factorize(out_vals, sort=False)
    won_set, lost_set = {norm(v) for v in mapping.won}, {norm(v) for v in mapping.lost}
    o_lookup = np.array([WON if norm(u) in won_set else LOST if norm(u) in lost_set else OPEN for u in o_uniques]
                        + [OPEN], dtype=np.int8)  # fmt: skip
    state_all = o_lookup[o_codes]
    if not (state_all[keep] != OPEN).any():
        listed = ", ".join(quote(v, 30) for v in pd.unique(out_vals[keep])[:6])
        raise CalibrationError([
            f"{_name(mapping, 'outcome')}: no lead is won or lost, so nothing can be fitted (values: {listed}); "
            "list the export's values in the mapping's [outcome] won = [...] and lost = [...]"
        ])  # fmt: skip
    if "closed" in days:  # an open lead's close date is an expected date: not an event, not checked
        days["closed"] = np.where(state_all == OPEN, NO_DAY, days["closed"])
    # the export (censoring) date
    if mapping.export_date is not None:
        export_day = day_of(mapping.export_date)
        given = True
    else:
        limit = day_of(today or dt.date.today())
        latest = [int(d[keep & (d != NO_DAY) & (d <= limit)].max()) for d in days.values()
                  if (keep & (d != NO_DAY) & (d <= limit)).any()]  # fmt: skip
        export_day = max(latest) if latest else limit
        given = False
    where = f"the export date {date_of(export_day).isoformat()}" + (
        "" if given else " (the latest date in the file up to today)"
    )
    for role, d in days.items():
        future = keep & (d != NO_DAY) & (d > export_day)
        if future.any():
            first = int(np.flatnonzero(future)[0])
            problems.append(
                f"{_name(mapping, role)}: {rows_text(int(future.sum()))} after {where} (first: row {first + 2}, "
                f"{quote(frame[_col(mapping, role)].iat[first], 40)}); set [export] date or correct the dates"
            )
    created = days["created"]
    for role in ("mql", "sql", "closed"):
        if role in days:
            neg = keep & (days[role] != NO_DAY) & (days[role] < created)
            if neg.any():
                first = int(np.flatnonzero(neg)[0])
                problems.append(
                    f"{_name(mapping, role)}: {rows_text(int(neg.sum()))} before {quote(mapping.columns['created'])}, "
                    f"a negative duration (first: row {first + 2})"
                )
    if problems:
        raise CalibrationError(problems)
    if not keep.any():
        raise CalibrationError([f"{export.filename}: no lead left to fit after the rows above were dropped or ignored"])
    idx = np.flatnonzero(keep)
    state = state_all[idx]
    closed = days["closed"][idx] if "closed" in days else np.full(len(idx), NO_DAY, dtype=np.int64)
    # stages: a later stage implies the earlier ones (a customer passed MQL and SQL)
    sql = None
    if "sql" in days:
        sql = (days["sql"][idx] != NO_DAY) | (state == WON)
    mql = None
    if "mql" in days:
        mql = (days["mql"][idx] != NO_DAY) | (state == WON)
        if sql is not None:
            mql |= sql
    amount = None
    if "amount" in mapping.columns:
        amount = pd.to_numeric(
            frame[_col(mapping, "amount")].iloc[idx].str.replace(",", ""), errors="coerce"
        ).to_numpy()
    leads = Leads(channel=codes[idx], created=created[idx], closed=closed, state=state, mql=mql, sql=sql,
                  amount=amount, export_day=export_day, export_date_given=given)  # fmt: skip
    missing_close = (state != OPEN) & (closed == NO_DAY)
    if "closed" in days and missing_close.any():
        warnings.append(
            f"{_name(mapping, 'closed')}: {rows_text(int(missing_close.sum()))} won or lost with no close date: "
            "used for the stage rates, not for the nurture time"
        )
    return leads, warnings


def months_between(start: np.ndarray, end: np.ndarray | int) -> np.ndarray:
    """Whole months between two day numbers: round(days / 30.44)."""
    return np.rint((np.asarray(end) - np.asarray(start)) / DAYS_PER_MONTH).astype(np.int64)


def calendar_month(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of day numbers."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def month_text(m: int) -> str:
    return f"{1970 + m // 12:04d}-{m % 12 + 1:02d}"


__all__ = ["DAYS_PER_MONTH", "NO_DAY", "Leads", "check_columns", "months_between", "parse_dates", "prepare"]
